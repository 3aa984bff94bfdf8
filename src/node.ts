// Node entry: reads the wasm from disk, turns on relaxed SIMD in Node 20, runs kernels on
// worker_threads, and adds the file loaders.
import { readFile } from 'node:fs/promises';
import { availableParallelism } from 'node:os';
import { fileURLToPath } from 'node:url';
import { setFlagsFromString } from 'node:v8';
import { Worker } from 'node:worker_threads';
import { loadDataset, type LoadDatasetOptions } from './data/node.js';
import type { Dataset } from './data/dataset.js';
import { WasmLoadError } from './errors.js';
import type { WorkerPort } from './exec/pool.js';
import { initWith, type Build, type InitOptions, type RuntimeInfo } from './runtime.js';

export * from './api.js';
export { loadDataset } from './data/node.js';
export type { LoadDatasetOptions } from './data/node.js';
export { saveModel, loadModel } from './models-node.js';

/** The Fashion-MNIST sample shipped in the package (first 10,000 training and 2,000 test images). */
export function loadSample(options?: LoadDatasetOptions): Promise<Dataset> {
  return loadDataset(fileURLToPath(new URL('../data/fashion-mnist-sample/', import.meta.url)), options);
}

async function wasmFile(build: Build, threaded: boolean): Promise<Uint8Array> {
  const url = new URL(`../build/simdclass-${build}${threaded ? '-threads' : ''}.wasm`, import.meta.url);
  try {
    return await readFile(url);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code ?? String(err);
    throw new WasmLoadError(`Could not read the simdclass '${build}' WebAssembly core at ${fileURLToPath(url)} (${code}). ` +
      `Reinstall simdclass; if you bundled its Node entry, copy node_modules/simdclass/build/*.wasm to a build/ folder beside the bundle's folder, or pass the bytes: init({ wasm })`);
  }
}

/** Node 20 keeps relaxed SIMD behind a V8 flag; it must be set before the first compile. */
function enableRelaxedSimd(): void {
  setFlagsFromString('--experimental-wasm-relaxed-simd');
}

function spawnWorker(): WorkerPort {
  // No execArgv: flags such as --input-type=module or --eval are the main script's, not the worker's.
  const worker = new Worker(new URL('./exec/worker-node.js', import.meta.url), { execArgv: [] });
  return {
    post: (message) => worker.postMessage(message),
    listen(onMessage, onFailure) {
      worker.on('message', onMessage);
      worker.on('error', (err) => onFailure(err.message));
      worker.on('exit', (code) => onFailure(`exit code ${code}`));
    },
    hold: (busy) => { if (busy) worker.ref(); else worker.unref(); },
    terminate: () => void worker.terminate(),
  };
}

/**
 * Loads the WebAssembly core (relaxed SIMD when the engine has it, else SIMD) and starts its
 * worker threads (default: os.availableParallelism()). Idempotent.
 */
export function init(options?: InitOptions | null): Promise<RuntimeInfo> {
  return initWith({
    defaultSource: wasmFile,
    prepare: enableRelaxedSimd,
    defaultThreads: availableParallelism,
    threadsUnavailable: () => null,
    spawnWorker,
  }, options);
}

// Browser-safe entry: no Node built-ins. Bundlers (Vite, esbuild) see each `new URL(..., import.meta.url)`
// and ship the .wasm (and the worker script) next to the bundle.
import type { WorkerPort } from './exec/pool.js';
import type { FromWorker } from './exec/worker-core.js';
import { initWith, type Build, type InitOptions, type RuntimeInfo, type WasmSource } from './runtime.js';

export * from './api.js';

function wasmUrl(build: Build, threaded: boolean): WasmSource {
  if (threaded && build === 'relaxed') return new URL('../build/simdclass-relaxed-threads.wasm', import.meta.url);
  if (threaded && build === 'simd') return new URL('../build/simdclass-simd-threads.wasm', import.meta.url);
  switch (build) {
    case 'relaxed': return new URL('../build/simdclass-relaxed.wasm', import.meta.url);
    case 'simd': return new URL('../build/simdclass-simd.wasm', import.meta.url);
    case 'scalar': return new URL('../build/simdclass-scalar.wasm', import.meta.url);
  }
}

function threadsUnavailable(): string | null {
  // First: browsers hide SharedArrayBuffer from pages that are not cross-origin isolated, and the fix is the headers.
  if (globalThis.crossOriginIsolated === false) {
    return 'the page is not cross-origin isolated (serve it with Cross-Origin-Opener-Policy: same-origin and Cross-Origin-Embedder-Policy: require-corp)';
  }
  if (typeof SharedArrayBuffer === 'undefined') return 'SharedArrayBuffer is not available in this context';
  if (typeof Worker === 'undefined') return 'this context cannot start Web Workers';
  return null;
}

function spawnWorker(): WorkerPort {
  const worker = new Worker(new URL('./exec/worker-browser.js', import.meta.url), { type: 'module' });
  return {
    post: (message) => worker.postMessage(message),
    listen(onMessage, onFailure) {
      worker.onmessage = (event: MessageEvent<FromWorker>) => onMessage(event.data);
      worker.onerror = (event) => onFailure(event.message || 'the worker failed to load');
      worker.onmessageerror = () => onFailure('a message could not be read');
    },
    hold: () => {},
    terminate: () => worker.terminate(),
  };
}

/**
 * Loads the WebAssembly core (relaxed SIMD when the engine has it, else SIMD) and starts its Web
 * Workers (default: navigator.hardwareConcurrency) when the page is cross-origin isolated. Idempotent.
 */
export function init(options?: InitOptions | null): Promise<RuntimeInfo> {
  return initWith({
    defaultSource: wasmUrl,
    defaultThreads: () => globalThis.navigator?.hardwareConcurrency ?? 1,
    threadsUnavailable,
    spawnWorker,
  }, options);
}

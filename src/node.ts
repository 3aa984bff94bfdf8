// Node entry: reads the wasm from disk, turns on relaxed SIMD in Node 20, and adds the file loaders.
import { readFile } from 'node:fs/promises';
import { setFlagsFromString } from 'node:v8';
import { initWith, type Build, type InitOptions, type RuntimeInfo } from './runtime.js';

export * from './api.js';
export { loadDataset } from './data/node.js';
export type { LoadDatasetOptions } from './data/node.js';

function wasmFile(build: Build): Promise<Uint8Array> {
  return readFile(new URL(`../build/simdclass-${build}.wasm`, import.meta.url));
}

/** Node 20 keeps relaxed SIMD behind a V8 flag; it must be set before the first compile. */
function enableRelaxedSimd(): void {
  setFlagsFromString('--experimental-wasm-relaxed-simd');
}

/** Loads the WebAssembly core (relaxed SIMD when the engine has it, else SIMD). Idempotent. */
export function init(options?: InitOptions): Promise<RuntimeInfo> {
  return initWith({ defaultSource: wasmFile, prepare: enableRelaxedSimd }, options);
}

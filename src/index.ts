// Browser-safe entry: no Node built-ins. Bundlers (Vite, esbuild) see each `new URL(..., import.meta.url)`
// and ship the .wasm next to the bundle.
import { initWith, type Build, type InitOptions, type RuntimeInfo, type WasmSource } from './runtime.js';

export * from './api.js';

function wasmUrl(build: Build): WasmSource {
  switch (build) {
    case 'relaxed': return new URL('../build/simdclass-relaxed.wasm', import.meta.url);
    case 'simd': return new URL('../build/simdclass-simd.wasm', import.meta.url);
    case 'scalar': return new URL('../build/simdclass-scalar.wasm', import.meta.url);
  }
}

/** Loads the WebAssembly core (relaxed SIMD when the engine has it, else SIMD). Idempotent. */
export function init(options?: InitOptions): Promise<RuntimeInfo> {
  return initWith({ defaultSource: wasmUrl }, options);
}

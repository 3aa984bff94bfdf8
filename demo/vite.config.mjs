// Vite config for the browser demo. The app imports 'simdclass' by name: Vite resolves it through
// the package's own `exports` (the "default" = browser condition, dist/index.js) with no alias,
// and bundles each `new URL('../build/simdclass-*.wasm', import.meta.url)` as an asset.
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';

const here = fileURLToPath(new URL('.', import.meta.url));

export default defineConfig({
  root: here,
  base: './',
  publicDir: false,
  logLevel: 'warn',
  build: {
    outDir: fileURLToPath(new URL('./dist', import.meta.url)),
    emptyOutDir: true,
    target: 'es2022',
    // Keep the data files (gzipped IDX) and the wasm as separate files, never inlined as base64.
    assetsInlineLimit: 0,
    reportCompressedSize: false,
  },
  worker: { format: 'es' },
});

// Vite config for the browser demo. The app imports 'simdclass' by name: Vite resolves it through
// the package's own `exports` (the "default" = browser condition, dist/index.js) with no alias,
// and bundles each `new URL('../build/simdclass-*.wasm', import.meta.url)` as an asset.
//
// `vite build -c demo/vite.config.mjs` then `vite preview -c demo/vite.config.mjs` serves demo/dist
// on http://127.0.0.1:5173/ (`npm run demo:web` does both). Vite preview sends .wasm as
// application/wasm; the rest of this file is about what the demo needs from the server.
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';
import { guardPlugin } from './guard-plugin.mjs';

const here = fileURLToPath(new URL('.', import.meta.url));

// Cross-origin isolation (self.crossOriginIsolated), needed for SharedArrayBuffer (threads over
// one shared wasm memory). Same-origin assets only, so require-corp costs the demo nothing.
const isolation = {
  'Cross-Origin-Opener-Policy': 'same-origin',
  'Cross-Origin-Embedder-Policy': 'require-corp',
};

// Vite's static servers (sirv) send any file whose name ends in .gz with `Content-Encoding: gzip`,
// and the browser would then hand the page inflated bytes. The page fetches the gzipped IDX files
// as they are and gunzips them itself (parseIdx), so once built their names must not end in .gz.
const assetFileNames = (asset) => asset.names.some((name) => name.endsWith('.gz'))
  ? 'assets/[name]-[hash].gz.bin'
  : 'assets/[name]-[hash][extname]';

export default defineConfig({
  root: here,
  base: './',
  publicDir: false,
  logLevel: 'warn',
  // Not a single-page app: an unknown path is a 404 (a missing .wasm must not come back as
  // index.html with status 200).
  appType: 'mpa',
  // Answers 400 to a malformed percent-encoding, and (preview) 404 to a symlink out of the build
  // folder: two things Vite 8.3's preview server gets wrong (see guard-plugin.mjs).
  plugins: [guardPlugin()],
  server: { host: '127.0.0.1', port: 5173, headers: isolation },
  preview: { host: '127.0.0.1', port: 5173, headers: isolation },
  build: {
    outDir: fileURLToPath(new URL('./dist', import.meta.url)),
    emptyOutDir: true,
    target: 'es2022',
    // Keep the data files (gzipped IDX) and the wasm as separate files, never inlined as base64.
    assetsInlineLimit: 0,
    reportCompressedSize: false,
    rolldownOptions: {
      output: {
        assetFileNames,
      },
    },
  },
  worker: {
    format: 'es',
    // The worker is the one that imports the data files.
    rolldownOptions: {
      output: {
        assetFileNames,
      },
    },
  },
});

// The demo app: imports simdclass exactly as a user's app would (by package name; Vite picks the
// package's browser entry from its `exports`, and bundles the .wasm it locates with
// `new URL(..., import.meta.url)`), loads the WebAssembly core once, and starts the three panels.
import { KNearestNeighbor, init } from 'simdclass';
import { setupKnnPanel } from './knn2d.js';
import { setupLinearPanel } from './linear2d.js';
import { setupImagesPanel } from './images.js';
import { showThreads } from './common.js';
import './style.css';

const BUILD_NAMES = { relaxed: 'relaxed SIMD (with FMA)', simd: 'SIMD', scalar: 'scalar (no SIMD)' };

function wasmSize(build) {
  const entry = performance.getEntriesByType('resource').find((e) => e.name.includes(`simdclass-${build}`) && e.name.endsWith('.wasm'));
  return entry && entry.decodedBodySize > 0 ? ` · ${(entry.decodedBodySize / 1024).toFixed(1)} KiB` : '';
}

async function main() {
  const chip = document.getElementById('build');
  let info;
  try {
    // No options: navigator.hardwareConcurrency workers over one shared memory when the page is
    // cross-origin isolated (the server's COOP + COEP headers), else the page's thread and a threadsNote.
    info = await init();
  } catch (err) {
    chip.textContent = `WebAssembly core failed to load: ${err.message}`;
    chip.classList.add('error');
    throw err;
  }
  chip.textContent = `WebAssembly core: ${BUILD_NAMES[info.build]} build${wasmSize(info.build)}`;
  chip.dataset.build = info.build;
  // The page's runtime (panels 1 and 2): its worker pool, or one thread and why.
  showThreads(document.getElementById('threads'), info, 'Page');

  let workerBuild = null;
  const workerReady = new Promise((resolve) => {
    setupImagesPanel({ onWorkerReady: (build) => { workerBuild = build; resolve(build); } }).start();
  });
  const knnPanel = setupKnnPanel();
  const linearPanel = setupLinearPanel();

  // A small hook for the browser test (test/browser.test.mjs): the same kNN run as in Node.
  window.simdclassTest = {
    build: info.build,
    /** What the page's init() returned: { build, memoryBytes, threads, threadsNote? }. */
    runtime: info,
    workerBuild: () => workerBuild,
    workerReady,
    /** The points each 2-D panel draws, in data units ([-1, 1]^2, y up): [x, y, label] each. */
    points: { knn: () => knnPanel.points(), linear: () => linearPanel.points() },
    /** train/test: { dtype: 'u8' | 'f32', rows, cols, data: number[] }; returns plain arrays. */
    async knnPredict(train, labels, test, k, metric) {
      const matrix = (m) => ({ data: m.dtype === 'u8' ? Uint8Array.from(m.data) : Float32Array.from(m.data), rows: m.rows, cols: m.cols });
      const knn = new KNearestNeighbor({ k, metric });
      try {
        await knn.train(matrix(train), Int32Array.from(labels));
        const X = matrix(test);
        const predictions = await knn.predict(X);
        const { indices, distances } = await knn.kneighbors(X);
        return { predictions: Array.from(predictions), indices: Array.from(indices), distances: Array.from(distances) };
      } finally {
        knn.dispose();
      }
    },
    /** The error init() gives for a wasm URL that does not exist (the loaded core stays in use). */
    async initError(url) {
      try {
        await init({ build: info.build, wasm: url });
        return null;
      } catch (err) {
        return { name: err.name, code: err.code, message: err.message };
      }
    },
  };
  document.body.dataset.ready = 'true';
}

main();

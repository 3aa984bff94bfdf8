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

  let workerBuild = null, workerStarted;
  const workerReady = new Promise((resolve) => { workerStarted = resolve; });
  const imagesPanel = setupImagesPanel({ onWorkerReady: (build) => { workerBuild = build; workerStarted(build); } });
  imagesPanel.start();
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
    /**
     * Panel 3's trained models (its worker's, from the last run) saved with model.save(), as base64:
     * { runId, params, knn, softmax }.
     */
    async saveModels() {
      const reply = await imagesPanel.request('save');
      return { runId: reply.runId, params: reply.params, knn: toBase64(reply.knn), softmax: toBase64(reply.softmax) };
    },
    /**
     * Loads a model file (base64; any kind) in panel 3's worker, with loadModelBytes, and runs it
     * on X ({ rows, cols, data: base64 of u8 pixels }): its kind, labels, and class probabilities
     * (kNN, softmax), neighbours (kNN) or scores (linear models), as plain arrays.
     */
    async loadAndPredict(model, X) {
      const bytes = fromBase64(model), data = fromBase64(X.data);
      const reply = await imagesPanel.request('load', { model: bytes, X: { data, rows: X.rows, cols: X.cols } }, [bytes.buffer, data.buffer]);
      const out = {};
      for (const [key, value] of Object.entries(reply)) if (key !== 'type' && key !== 'id') out[key] = ArrayBuffer.isView(value) ? Array.from(value) : value;
      return out;
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

/** Bytes as base64 (btoa in chunks: a 5,000-image kNN model is about 4 MB). */
function toBase64(bytes) {
  let text = '';
  for (let i = 0; i < bytes.length; i += 0x8000) text += String.fromCharCode.apply(null, bytes.subarray(i, i + 0x8000));
  return btoa(text);
}

function fromBase64(text) {
  const binary = atob(text);
  const bytes = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
  return bytes;
}

main();

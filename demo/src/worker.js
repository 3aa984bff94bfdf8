// Panel 3's Web Worker: downloads the embedded Fashion-MNIST sample, parses it with parseIdx,
// trains kNN and a softmax classifier with simdclass, and posts progress and results back, so the
// page never freezes. The worker has its own copy of the WebAssembly core (its own init()), and with
// it its own pool of Web Workers (nested workers) when the page is cross-origin isolated: init() with
// no options starts navigator.hardwareConcurrency of them, or none (kernels in this worker's thread)
// with a threadsNote saying why.
//
// After a run the worker keeps the two trained models (until the next run replaces them) and
// answers the page's requests about them: `classify` (one 28 x 28 row from the drawing pad: its k
// nearest training images, kNN vote shares and softmax probabilities, and what the kNN search did:
// KNearestNeighbor.lastStats) and `save` (both models as
// the bytes of simdclass model files); and `load` runs a model file made elsewhere (any kind, read
// with loadModelBytes) on given images. Requests carry an id; the answer is { type: 'reply', id, ... }.
import { FASHION_MNIST_CLASSES, KNearestNeighbor, LinearSVM, Softmax, accuracy, headRows, idxImages, idxLabels, init, loadModelBytes, parseIdx, weightImages } from 'simdclass';
import { addSearchStats } from './common.js';

// Bundled by Vite as static files (gzipped IDX, exactly the files in data/fashion-mnist-sample).
const FILES = {
  trainImages: new URL('../../data/fashion-mnist-sample/train-images-idx3-ubyte.gz', import.meta.url).href,
  trainLabels: new URL('../../data/fashion-mnist-sample/train-labels-idx1-ubyte.gz', import.meta.url).href,
  testImages: new URL('../../data/fashion-mnist-sample/t10k-images-idx3-ubyte.gz', import.meta.url).href,
  testLabels: new URL('../../data/fashion-mnist-sample/t10k-labels-idx1-ubyte.gz', import.meta.url).href,
};

// Softmax minibatch size and SGD seed (the panel says "batch 200").
const BATCH_SIZE = 200, SEED = 0;

const ready = init();
ready.then(
  (info) => postMessage({ type: 'ready', build: info.build, threads: info.threads, threadsNote: info.threadsNote ?? null }),
  (err) => postMessage({ type: 'error', message: err.message }),
);

let dataset = null;
let busy = false;
// The models of the last finished run (null before the first): { runId, knn, softmax, Xtrain, ytrain }.
let trained = null;
let runs = 0;

self.onmessage = async (event) => {
  const { type, params } = event.data;
  if (type === 'classify' || type === 'save' || type === 'load') {
    answer(event.data);
    return;
  }
  if (type !== 'run' || busy) return;
  busy = true;
  try {
    await ready;
    await run(params);
  } catch (err) {
    postMessage({ type: 'error', message: err?.message ?? String(err) });
  } finally {
    busy = false;
  }
};

/** Answers a request about the trained models; a request before the first run gets { error }. */
async function answer({ type, id, row, model, X }) {
  try {
    await ready;
    if (type === 'load') {
      postMessage({ type: 'reply', id, ...await loadAndRun(model, X) });
      return;
    }
    const models = trained;
    if (!models) {
      postMessage({ type: 'reply', id, error: 'The models are not trained yet.' });
      return;
    }
    if (type === 'save') {
      const knn = models.knn.save(), softmax = models.softmax.save();
      postMessage({ type: 'reply', id, runId: models.runId, params: models.params, knn, softmax }, [knn.buffer, softmax.buffer]);
      return;
    }
    postMessage({ type: 'reply', id, runId: models.runId, ...await classify(models, row) });
  } catch (err) {
    postMessage({ type: 'reply', id, error: err?.message ?? String(err) });
  }
}

/**
 * A model file (any kind) loaded with loadModelBytes and run on X: its kind and labels, and its
 * class probabilities (kNN, softmax), neighbours (kNN) or scores (linear models).
 */
async function loadAndRun(bytes, X) {
  const m = loadModelBytes(bytes);
  try {
    const kind = m instanceof KNearestNeighbor ? 'knn' : m instanceof Softmax ? 'softmax' : m instanceof LinearSVM ? 'svm' : 'unknown';
    const out = { kind, predictions: await m.predict(X) };
    if (kind === 'knn' || kind === 'softmax') out.proba = (await m.predictProba(X)).data;
    if (kind === 'knn') {
      const { indices, distances } = await m.kneighbors(X);
      Object.assign(out, { k: m.k, metric: m.metric, nTrain: m.nTrain, indices, distances });
    } else {
      out.scores = (await m.scores(X)).data;
    }
    return out;
  } finally {
    m.dispose();
  }
}

/**
 * One image (a u8 row of 784 pixels) through both models: its k nearest training images (index,
 * distance, label, pixels), the kNN vote shares and label, the softmax probabilities and label.
 */
async function classify({ knn, softmax, Xtrain, ytrain }, row) {
  const X = { data: row, rows: 1, cols: Xtrain.cols };
  const [{ indices, distances }, knnProba, knnLabel, softmaxProba, softmaxLabel] = await Promise.all([
    knn.kneighbors(X), knn.predictProba(X), knn.predict(X), softmax.predictProba(X), softmax.predict(X),
  ]);
  const d = Xtrain.cols;
  const images = new Uint8Array(indices.length * d);
  indices.forEach((t, i) => images.set(Xtrain.data.subarray(t * d, (t + 1) * d), i * d));
  return {
    neighbors: { indices: Int32Array.from(indices), distances: Float32Array.from(distances), labels: Int32Array.from(indices, (t) => ytrain[t]), images },
    // The three kNN searches are of the same one image: whichever set lastStats last, it holds their stats.
    knn: { proba: Float32Array.from(knnProba.data), label: knnLabel[0], search: knn.lastStats },
    softmax: { proba: Float32Array.from(softmaxProba.data), label: softmaxLabel[0] },
  };
}

function progress(stage, fraction, text) {
  postMessage({ type: 'progress', stage, fraction: Math.max(0, Math.min(1, fraction)), text });
}

/** Fetches all four files with a byte count for the progress bar. */
async function download() {
  const responses = await Promise.all(Object.entries(FILES).map(async ([key, url]) => {
    const response = await fetch(url);
    if (!response.ok) throw new Error(`Could not download ${url}: HTTP ${response.status}`);
    return [key, response];
  }));
  const total = responses.reduce((s, [, r]) => s + Number(r.headers.get('Content-Length') ?? 0), 0);
  let received = 0, last = 0;
  const out = {};
  await Promise.all(responses.map(async ([key, response]) => {
    const chunks = [];
    const reader = response.body.getReader();
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      chunks.push(value);
      received += value.length;
      const now = performance.now();
      if (total > 0 && now - last > 50) {
        last = now;
        progress('download', received / total, `Downloading the Fashion-MNIST sample: ${(received / 1e6).toFixed(1)} of ${(total / 1e6).toFixed(1)} MB`);
      }
    }
    const bytes = new Uint8Array(chunks.reduce((s, c) => s + c.length, 0));
    let o = 0;
    for (const c of chunks) { bytes.set(c, o); o += c.length; }
    out[key] = bytes;
  }));
  // `received` counts the bytes handed to parseIdx: the gzipped sizes when the server sends the
  // files as they are, the inflated sizes if it labelled them `Content-Encoding: gzip` (the
  // browser then inflates them on the way; the browser test checks that it does not).
  return { bytes: out, total, received };
}

async function load() {
  if (dataset) return dataset;
  const { bytes, received } = await download();
  progress('parse', 1, 'Decompressing and parsing the IDX files');
  const [trainImages, trainLabels, testImages, testLabels] = await Promise.all([
    parseIdx(bytes.trainImages, 'train-images-idx3-ubyte.gz'), parseIdx(bytes.trainLabels, 'train-labels-idx1-ubyte.gz'),
    parseIdx(bytes.testImages, 't10k-images-idx3-ubyte.gz'), parseIdx(bytes.testLabels, 't10k-labels-idx1-ubyte.gz'),
  ]);
  const train = idxImages(trainImages), test = idxImages(testImages);
  dataset = {
    train: { X: { data: train.data, rows: train.rows, cols: train.cols }, y: idxLabels(trainLabels) },
    test: { X: { data: test.data, rows: test.rows, cols: test.cols }, y: idxLabels(testLabels) },
    shape: train.shape,
    downloadBytes: received,
  };
  return dataset;
}

async function run(p) {
  const t0 = performance.now();
  const ds = await load();
  const nTrain = Math.min(p.trainCount, ds.train.X.rows), nTest = Math.min(p.testCount, ds.test.X.rows);
  const Xtrain = headRows(ds.train.X, nTrain), ytrain = ds.train.y.subarray(0, nTrain);
  const Xtest = headRows(ds.test.X, nTest), ytest = ds.test.y.subarray(0, nTest);

  // kNN: memorize, then classify the test images in slices so progress can be shown.
  progress('knn', 0, `kNN: classifying ${nTest} test images against ${nTrain} training images`);
  // algorithm 'auto' (the default), 'brute' or 'pyramid'; the blocks of a pyramid follow the 28 x 28 images.
  const knn = new KNearestNeighbor({ k: p.k, metric: p.metric, algorithm: p.algorithm });
  const tk = performance.now();
  const knnPred = new Int32Array(nTest);
  let search = null; // what the searches of all slices did, summed (lastStats of each)
  try {
    await knn.train(Xtrain, ytrain, { shape: ds.shape });
    const slice = 100;
    for (let first = 0; first < nTest; first += slice) {
      const count = Math.min(slice, nTest - first);
      const part = { data: Xtest.data.subarray(first * Xtest.cols, (first + count) * Xtest.cols), rows: count, cols: Xtest.cols };
      knnPred.set(await knn.predict(part), first);
      search = addSearchStats(search, knn.lastStats);
      progress('knn', (first + count) / nTest, `kNN (k = ${p.k}, ${p.metric.toUpperCase()}): ${first + count} of ${nTest} test images`);
    }
  } catch (err) {
    knn.dispose();
    throw err;
  }
  const knnMs = performance.now() - tk;

  // Softmax: minibatch SGD, progress every few iterations.
  progress('softmax', 0, `Softmax: ${p.iters} SGD iterations on ${nTrain} training images`);
  const softmax = new Softmax();
  const ts = performance.now();
  let history, softmaxPred, templates;
  try {
    let last = 0;
    history = await softmax.train(Xtrain, ytrain, {
      learningRate: p.learningRate, reg: p.reg, numIters: p.iters, batchSize: BATCH_SIZE, seed: SEED,
      onProgress: (it, total, loss) => {
        const now = performance.now();
        if (now - last > 40 || it === total - 1) {
          last = now;
          progress('softmax', (it + 1) / total, `Softmax: iteration ${it + 1} of ${total}, minibatch loss ${loss.toFixed(3)}`);
        }
      },
    });
    softmaxPred = await softmax.predict(Xtest);
    templates = weightImages(softmax, ds.shape);
  } catch (err) {
    softmax.dispose();
    knn.dispose();
    throw err;
  }
  const softmaxMs = performance.now() - ts;

  // Keep both models for the page's requests; the previous run's go (a request still running on
  // them finishes first: dispose() frees nothing a running call reads).
  const previous = trained;
  const params = {
    nTrain, nTest, k: p.k, metric: p.metric, algorithm: knn.algorithm, iters: p.iters, learningRate: p.learningRate, reg: p.reg, batchSize: BATCH_SIZE, seed: SEED,
  };
  trained = { runId: ++runs, knn, softmax, Xtrain, ytrain, params };
  previous?.knn.dispose();
  previous?.softmax.dispose();

  const shown = Math.min(p.gridCount, nTest);
  const gridImages = Xtest.data.slice(0, shown * Xtest.cols);
  const knnAll = knnPred.slice(), softmaxAll = Int32Array.from(softmaxPred);
  // Every test image of the run, for the panel's "pick a test image".
  const testImages = Xtest.data.slice(), testLabels = Int32Array.from(ytest);
  const result = {
    type: 'result', runId: trained.runId,
    nTrain, nTest, shape: ds.shape, classNames: [...FASHION_MNIST_CLASSES], downloadBytes: ds.downloadBytes,
    totalMs: performance.now() - t0,
    knn: { k: p.k, metric: p.metric, algorithm: knn.algorithm, search, accuracy: accuracy(knnPred, ytest), ms: knnMs, predictions: knnPred.slice(0, shown), all: knnAll },
    softmax: {
      accuracy: accuracy(softmaxPred, ytest), ms: softmaxMs, predictions: softmaxPred.slice(0, shown), all: softmaxAll,
      history: Float32Array.from(history), templates, iters: p.iters, learningRate: p.learningRate, reg: p.reg, batchSize: BATCH_SIZE, seed: SEED,
    },
    grid: { images: gridImages, labels: Int32Array.from(ytest.subarray(0, shown)), count: shown },
    test: { images: testImages, labels: testLabels },
  };
  postMessage(result, [gridImages.buffer, knnAll.buffer, softmaxAll.buffer, testImages.buffer, testLabels.buffer, ...templates.map((t) => t.data.buffer)]);
}

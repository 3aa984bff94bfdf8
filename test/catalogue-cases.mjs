// The catalogue of hostile inputs (issue 10, section 7) as a table, run by catalogue.test.mjs.
//
// Every case has a short `label` and a `call()` that performs it (sync or async). Then either:
//   - `code` (one SimdclassError code, or a list of acceptable ones) and `message` (a RegExp the
//     error message must match: the argument's or file's name, typically): the call must throw or
//     reject with that typed error;
//   - `valid(result)`: the input is valid, the call must return, and valid() asserts the result;
//   - both: either outcome is acceptable (a clear typed error, or a correct result).
// Optional: `within` (ms) tightens the runner's time limit for a call that must answer promptly;
// `noGrowth: true` also requires that wasm memory did not grow (the call failed before allocating).
// A case cleans up after itself (models it creates are disposed): the runner checks that
// core().usedBytes is back to its value before the case.
import * as assert from 'uvu/assert';
import {
  init, KNearestNeighbor, LinearSVM, Softmax, svmLoss, softmaxLoss, gradCheck,
  trainValSplit, kFold, crossValidate, crossValidateKnn, gridSearch, accuracy, confusionMatrix,
  takeRows, headRows, upscaleImage, cvPlotSvg, confusionMatrixSvg, lossCurvesSvg,
} from '../dist/node.js';
import { core } from '../dist/runtime.js';
import { mulberry32, randomF32, randomLabels, randomU8 } from './helpers.mjs';

const TYPE = 'ERR_ARG_TYPE', RANGE = 'ERR_ARG_RANGE', STATE = 'ERR_STATE', FORMAT = 'ERR_DATA_FORMAT';
const DIVERGED = 'ERR_DIVERGED', OOM = 'ERR_OUT_OF_MEMORY';

// ---- Fixtures (small and seeded; anything large is built inside its case so it can be collected) ----

const rng = mulberry32(20261126);
const X8 = randomU8(rng, 60, 8), Xf = randomF32(rng, 60, 8), y3 = randomLabels(rng, 60, 3);
const Q8 = randomU8(rng, 5, 8), Qf = randomF32(rng, 5, 8);
const wide8 = randomU8(rng, 5, 9), widef = randomF32(rng, 5, 9);
const five = { X: randomU8(rng, 5, 8), y: Int32Array.from([0, 1, 2, 0, 1]) };

/** A copy of an f32 matrix with `value` at (row, col). */
function poisoned(m, row, col, value) {
  const data = Float32Array.from(m.data);
  data[row * m.cols + col] = value;
  return { data, rows: m.rows, cols: m.cols };
}

/** Trains `model` on (X, y), runs fn(model), and disposes the model whatever happens. */
async function withTrained(model, X, y, fn, options) {
  try {
    await model.train(X, y, options);
    return await fn(model);
  } finally {
    model.dispose();
  }
}

const LINEAR = { learningRate: 1e-4, reg: 1e-3, numIters: 5, batchSize: 20, seed: 1 };

// gradCheck
const W23 = { data: Float32Array.from([1, -2, 3, 0.5, -1, 2]), rows: 2, cols: 3 };
const sumOfSquares = (w) => w.data.reduce((s, v) => s + v * v, 0);
const twiceW = W23.data.map((v) => 2 * v);

// A well-formed serialized SVM (D = 2, C = 3): W = [[1, 0, 0], [0, 1, 0]], b = [0, 0, 0.5], mean 0.
// [2, 0] scores [2, 0, 0.5] -> class 0; [0, 2] -> class 1; [0, 0] -> class 2.
const MODEL_JSON = {
  format: 'simdclass-linear', version: 1, model: 'svm', numFeatures: 2, numClasses: 3,
  mean: [0, 0], weights: [1, 0, 0, 0, 1, 0], bias: [0, 0, 0.5],
};
const json = (patch) => ({ ...MODEL_JSON, ...patch });

// crossValidateKnn / gridSearch
const cvX = randomU8(rng, 50, 4), cvY = randomLabels(rng, 50, 3);
const tinySplit = { X: { data: new Float32Array([0, 1, 10, 11]), rows: 4, cols: 1 }, y: new Int32Array([0, 0, 1, 1]) };

// pictures
const rgba = (width, height) => ({ width, height, data: new Uint8ClampedArray(width * height * 4).fill(200) });
const isSvg = (s) => {
  assert.type(s, 'string');
  assert.ok(s.startsWith('<svg') && s.endsWith('</svg>'), 'an <svg> element');
  assert.not.match(s, /NaN|Infinity|undefined/, 'no NaN, Infinity or undefined in the SVG');
};

/**
 * The softmax loss in float64 by log-sum-exp, for scores far past exp's range (the reference's
 * e^(s_y - max) / sum underflows to 0 there): mean(max + log(sum e^(s - max)) - s_y) + reg * sum(W^2).
 */
function stableSoftmaxLoss(W, X, y, reg) {
  const C = W.cols, D = X.cols;
  let loss = 0;
  for (let i = 0; i < X.rows; i++) {
    const s = Array.from({ length: C }, (_, j) => {
      let v = 0;
      for (let d = 0; d < D; d++) v += X.data[i * D + d] * W.data[d * C + j];
      return v;
    });
    const top = Math.max(...s);
    loss += top + Math.log(s.reduce((a, v) => a + Math.exp(v - top), 0)) - s[y[i]];
  }
  return loss / X.rows + reg * W.data.reduce((a, v) => a + v * v, 0);
}

const m3 = { data: Uint8Array.from([0, 1, 2, 3, 4, 5]), rows: 3, cols: 2 };

// ---- The table -------------------------------------------------------------------------------

export const CASES = [
  // -- Section 1: memory. Sizes past what wasm32 can hold fail before anything is allocated. --
  {
    label: 'LinearSVM train, 65536 classes, batchSize 16384',
    call: () => new LinearSVM().train({ data: new Float32Array([0, 1]), rows: 2, cols: 1 }, [0, 65535], { batchSize: 16384, numIters: 1 }),
    code: RANGE, message: /batchSize/,
  },
  {
    label: 'Softmax train, 65536 classes, batchSize 16385',
    call: () => new Softmax().train({ data: new Float32Array([0, 1]), rows: 2, cols: 1 }, [0, 65535], { batchSize: 16385, numIters: 1 }),
    code: RANGE, message: /batchSize/,
  },
  {
    label: 'svmLoss W 1 x 65536, X 16384 x 1 (scores past 4 GiB)',
    call: () => svmLoss({ data: new Float32Array(65536), rows: 1, cols: 65536 }, { data: new Float32Array(16384).fill(1), rows: 16384, cols: 1 }, new Int32Array(16384), 0),
    code: OOM, message: /scores/,
  },
  {
    label: 'softmaxLoss W 1 x 65536, X 16384 x 1 (scores past 4 GiB)',
    call: () => softmaxLoss({ data: new Float32Array(65536), rows: 1, cols: 65536 }, { data: new Float32Array(16384).fill(1), rows: 16384, cols: 1 }, new Int32Array(16384), 0),
    code: OOM, message: /scores/,
  },
  {
    label: 'LinearSVM train 1000 x 784 u8, batchSize 1,400,000',
    call: () => {
      const r = mulberry32(1);
      return new LinearSVM().train(randomU8(r, 1000, 784), randomLabels(r, 1000, 10), { batchSize: 1_400_000, numIters: 1 });
    },
    code: RANGE, message: /batchSize/,
  },
  {
    label: 'LinearSVM train 50 x 11 u8, batchSize 2**30',
    call: () => {
      const r = mulberry32(2);
      return new LinearSVM().train(randomU8(r, 50, 11), randomLabels(r, 50, 3), { batchSize: 2 ** 30, numIters: 1 });
    },
    code: RANGE, message: /batchSize/,
  },
  {
    label: 'KNearestNeighbor train on 2**28 x 1 u8 rows',
    call: async () => {
      const knn = new KNearestNeighbor({ k: 1, metric: 'l1' });
      try {
        return await knn.train({ data: new Uint8Array(2 ** 28), rows: 2 ** 28, cols: 1 }, new Uint8Array(2 ** 28));
      } finally {
        knn.dispose();
      }
    },
    code: OOM, message: /training set/,
  },

  // -- Section 4: the non-model exports. --
  { label: 'gradCheck(5, W, g)', call: () => gradCheck(5, W23, twiceW), code: TYPE, message: /\bf\b/ },
  { label: 'gradCheck(f, W, null)', call: () => gradCheck(sumOfSquares, W23, null), code: TYPE, message: /analyticGrad/ },
  { label: 'gradCheck(() => NaN, W, g)', call: () => gradCheck(() => NaN, W23, twiceW), code: RANGE, message: /\bf\b/ },
  {
    label: 'trainValSplit(X, y, null) (valid: defaults)',
    call: () => trainValSplit(X8, y3, null),
    valid: (split) => {
      assert.is(split.val.X.rows, 12, '20% of 60 rows for validation');
      assert.is(split.train.X.rows, 48);
      assert.is(split.train.y.length, 48);
      assert.is(split.val.y.length, 12);
      assert.equal(split, trainValSplit(X8, y3, { valSize: 0.2, seed: 0 }), 'null means the defaults');
    },
  },
  { label: 'crossValidate(null, X, y)', call: () => crossValidate(null, X8, y3), code: TYPE, message: /factory/ },
  { label: 'crossValidate(() => ({}), X, y)', call: () => crossValidate(() => ({}), X8, y3), code: TYPE, message: /factory/ },
  {
    label: 'crossValidateKnn(X, y) without options (valid: defaults)',
    call: () => crossValidateKnn(cvX, cvY),
    valid: async (cv) => {
      // 50 rows in 5 folds train on 40: the default ks up to 20 fit.
      const ks = [1, 3, 5, 8, 10, 12, 15, 20];
      assert.is(cv.folds, 5);
      assert.equal(cv.results.map((r) => r.k), ks);
      assert.ok(ks.includes(cv.bestK), `bestK ${cv.bestK} is one of the ks`);
      assert.ok(cv.results.every((r) => r.accuracies.length === 5 && r.accuracies.every((a) => a >= 0 && a <= 1)));
      assert.equal(cv, await crossValidateKnn(cvX, cvY, { ks, folds: 5, metric: 'l2' }), 'same as the explicit defaults');
    },
  },
  {
    label: 'gridSearch(train, val) without options',
    call: () => gridSearch(tinySplit, tinySplit),
    // loss, learningRates and regs have no defaults: a clear error naming the missing option (or options).
    code: [RANGE, TYPE], message: /\bloss\b|options/,
  },
  { label: 'accuracy(null, [1])', call: () => accuracy(null, [1]), code: TYPE, message: /predicted/ },
  { label: 'upscaleImage({}, 2)', call: () => upscaleImage({}, 2), code: TYPE, message: /image/ },
  { label: 'upscaleImage(28 x 28, 1e5)', call: () => upscaleImage(rgba(28, 28), 1e5), code: RANGE, message: /factor/ },
  { label: "confusionMatrixSvg([1, 2, 3, 4], 'ab')", call: () => confusionMatrixSvg([1, 2, 3, 4], 'ab'), code: TYPE, message: /classNames/ },
  { label: "lossCurvesSvg([{ label: 'a', values: null }])", call: () => lossCurvesSvg([{ label: 'a', values: null }]), code: TYPE, message: /values/ },
  {
    label: 'init(null) (valid: defaults)',
    call: () => init(null),
    valid: (info) => {
      assert.is(info.build, core().build, 'the current build is kept');
      assert.type(info.memoryBytes, 'number');
    },
  },
  { label: 'kFold(1e10, 2)', call: () => kFold(1e10, 2), code: RANGE, message: /\bn\b/, within: 1000 },
  { label: 'kFold(2**31, 2)', call: () => kFold(2 ** 31, 2), code: RANGE, message: /\bn\b/, within: 1000 },
  {
    label: 'lossCurvesSvg, one series of 125,000 values (valid)',
    call: () => lossCurvesSvg([{ label: 'long run', values: Array.from({ length: 125_000 }, (_, i) => 2 / (1 + i / 1000) + 0.1 * Math.sin(i)) }]),
    valid: isSvg,
  },
  {
    label: 'crossValidateKnn with 200,000 ks',
    call: () => crossValidateKnn(cvX, cvY, { ks: Array.from({ length: 200_000 }, (_, i) => 1 + (i % 40)) }),
    code: RANGE, message: /\bks\b/,
    valid: (cv) => {
      assert.is(cv.results.length, 200_000);
      assert.ok(cv.bestK >= 1 && cv.bestK <= 40);
    },
  },
  { label: 'confusionMatrix([4], [0], 3)', call: () => confusionMatrix([4], [0], 3), code: RANGE, message: /predicted/ },
  { label: 'confusionMatrix([0, 1], [5, 1], 3)', call: () => confusionMatrix([0, 1], [5, 1], 3), code: RANGE, message: /truth/ },
  // checkInt, used for every integer option, calls a number that is not an integer (NaN, 2.5) a type error.
  { label: 'confusionMatrix([0], [0], NaN)', call: () => confusionMatrix([0], [0], NaN), code: TYPE, message: /numClasses/ },
  { label: 'confusionMatrix([0], [0], -1)', call: () => confusionMatrix([0], [0], -1), code: RANGE, message: /numClasses/ },
  { label: 'confusionMatrix([0], [0], 2.5)', call: () => confusionMatrix([0], [0], 2.5), code: TYPE, message: /numClasses/ },
  { label: 'takeRows(3-row m, [5])', call: () => takeRows(m3, [5]), code: RANGE, message: /rows/ },
  { label: 'takeRows(m, [-1])', call: () => takeRows(m3, [-1]), code: RANGE, message: /rows/ },
  { label: 'takeRows(m, [0.5])', call: () => takeRows(m3, [0.5]), code: RANGE, message: /rows/ },
  { label: 'headRows(m, -1)', call: () => headRows(m3, -1), code: RANGE, message: /count/ },
  {
    label: 'LinearSVM.fromJSON well-formed (valid control)',
    call: async () => {
      const svm = LinearSVM.fromJSON(MODEL_JSON);
      try {
        return Array.from(await svm.predict([[2, 0], [0, 2], [0, 0]]));
      } finally {
        svm.dispose();
      }
    },
    valid: (predicted) => assert.equal(predicted, [0, 1, 2]),
  },
  { label: 'LinearSVM.fromJSON, a weight of 1e39', call: () => LinearSVM.fromJSON(json({ weights: [1, 0, 0, 0, 1e39, 0] })), code: FORMAT, message: /weights/ },
  { label: 'LinearSVM.fromJSON, a mean of 1e39', call: () => LinearSVM.fromJSON(json({ mean: [0, 1e39] })), code: FORMAT, message: /mean/ },
  {
    label: 'LinearSVM.fromJSON, numClasses 70000',
    call: () => LinearSVM.fromJSON(json({ numFeatures: 1, numClasses: 70000, mean: [0], weights: new Array(70000).fill(0), bias: new Array(70000).fill(0) })),
    code: FORMAT, message: /numClasses/,
  },
  {
    // (11 + 1) x 89,478,486 x 4 bytes = 2^32 + 32: a byte count that a u32 would wrap to 32.
    label: 'LinearSVM.fromJSON declaring 89,478,486 classes',
    call: () => LinearSVM.fromJSON(json({ numFeatures: 11, numClasses: 89_478_486, mean: new Array(11).fill(0), weights: [0, 0, 0], bias: [0, 0, 0] })),
    code: [FORMAT, OOM], message: /numClasses|classes/, within: 1000, noGrowth: true,
  },
  { label: 'Softmax.fromJSON of an SVM model', call: () => Softmax.fromJSON(MODEL_JSON), code: FORMAT, message: /model/ },
  {
    label: 'softmaxLoss, X at 1e20 scale, small W (valid: finite loss)',
    call: () => {
      const r = mulberry32(3);
      const X = randomF32(r, 20, 6, 2e20), W = randomF32(r, 6, 4, 2e-3), y = randomLabels(r, 20, 4);
      return { result: softmaxLoss(W, X, y, 1e-3), expected: stableSoftmaxLoss(W, X, y, 1e-3) };
    },
    valid: ({ result, expected }) => {
      assert.ok(Number.isFinite(result.loss), `finite loss, got ${result.loss}`);
      assert.ok(Math.abs(result.loss - expected) <= 1e-3 * expected, `loss ${result.loss}, float64 log-sum-exp ${expected}`);
      assert.ok(result.grad.data.every(Number.isFinite), 'finite gradient');
    },
  },
  {
    label: 'softmaxLoss, X and W at 1e20 scale (scores overflow f32)',
    call: () => {
      const r = mulberry32(4);
      return softmaxLoss(randomF32(r, 6, 4, 2e20), randomF32(r, 20, 6, 2e20), randomLabels(r, 20, 4), 0);
    },
    // Either a clear error naming W and X, or a finite loss: never NaN.
    code: RANGE, message: /\bW\b|\bX\b/,
    valid: (result) => assert.ok(Number.isFinite(result.loss), `finite loss, got ${result.loss}`),
  },
  {
    label: 'cvPlotSvg with NaN accuracies',
    call: () => cvPlotSvg({ folds: 2, bestK: 1, results: [{ k: 1, accuracies: [0.5, NaN], mean: 0.5, std: 0 }] }),
    code: RANGE, message: /accuracies/,
  },
  { label: "new KNearestNeighbor('k=5')", call: () => new KNearestNeighbor('k=5'), code: TYPE, message: /options/ },
  { label: 'new KNearestNeighbor({ K: 3 })', call: () => new KNearestNeighbor({ K: 3 }), code: TYPE, message: /"K".*"k"/ },
  {
    label: 'knn.kneighbors(Q, 5)',
    call: () => withTrained(new KNearestNeighbor({ k: 3 }), X8, y3, (knn) => knn.kneighbors(Q8, 5)),
    code: TYPE, message: /options/,
  },
  {
    label: "LinearSVM train(X, y, 'fast')",
    call: () => new LinearSVM().train(X8, y3, 'fast'),
    code: TYPE, message: /options/,
  },
  {
    label: "Softmax train(X, y, { replace: 'no' })",
    call: () => new Softmax().train(X8, y3, { replace: 'no' }),
    code: TYPE, message: /replace/,
  },
  {
    label: 'gridSearch whose every point diverges',
    call: () => gridSearch(tinySplit, tinySplit, { loss: 'svm', learningRates: [1e30, 1e31], regs: [1], numIters: 20, batchSize: 4 }),
    code: DIVERGED, message: /learningRates|learning rate/,
  },

  // -- The usual: state, non-finite pixels, labels, shapes, k and metric. --
  { label: 'KNearestNeighbor predict before train', call: () => new KNearestNeighbor().predict(Q8), code: STATE, message: /train/ },
  { label: 'LinearSVM predict before train', call: () => new LinearSVM().predict(Q8), code: STATE, message: /train/ },
  { label: 'Softmax predictProba before train', call: () => new Softmax().predictProba(Qf), code: STATE, message: /train/ },
  {
    label: 'KNearestNeighbor predict after dispose',
    call: async () => {
      const knn = new KNearestNeighbor({ k: 1 });
      await knn.train(X8, y3);
      knn.dispose();
      return knn.predict(Q8);
    },
    code: STATE, message: /dispose/,
  },
  {
    label: 'KNearestNeighbor train after dispose',
    call: () => {
      const knn = new KNearestNeighbor();
      knn.dispose();
      return knn.train(X8, y3);
    },
    code: STATE, message: /dispose/,
  },
  {
    label: 'Softmax predict after dispose',
    call: async () => {
      const model = new Softmax();
      await model.train(Xf, y3, LINEAR);
      model.dispose();
      return model.predict(Qf);
    },
    code: STATE, message: /dispose/,
  },
  { label: 'KNearestNeighbor train, NaN in f32 X', call: () => new KNearestNeighbor().train(poisoned(Xf, 7, 3, NaN), y3), code: RANGE, message: /\bX\b/ },
  { label: 'LinearSVM train, NaN in f32 X', call: () => new LinearSVM().train(poisoned(Xf, 7, 3, NaN), y3, LINEAR), code: RANGE, message: /\bX\b/ },
  { label: 'Softmax train, Infinity in f32 X', call: () => new Softmax().train(poisoned(Xf, 0, 0, Infinity), y3, LINEAR), code: RANGE, message: /\bX\b/ },
  {
    label: 'KNearestNeighbor f32 predict, NaN in X',
    call: () => withTrained(new KNearestNeighbor({ k: 3 }), Xf, y3, (knn) => knn.predict(poisoned(Qf, 2, 5, NaN))),
    code: RANGE, message: /\bX\b/,
  },
  { label: 'svmLoss, NaN in X', call: () => svmLoss(randomF32(mulberry32(5), 8, 3), poisoned(Xf, 1, 1, NaN), y3, 0), code: RANGE, message: /\bX\b/ },
  { label: 'KNearestNeighbor train, label -1', call: () => new KNearestNeighbor().train(X8, Int32Array.from(y3, (v, i) => (i === 9 ? -1 : v))), code: RANGE, message: /\by\b/ },
  { label: 'LinearSVM train, label 65536', call: () => new LinearSVM().train(X8, Int32Array.from(y3, (v, i) => (i === 9 ? 65536 : v)), LINEAR), code: RANGE, message: /\by\b/ },
  { label: 'Softmax train, label 1.5', call: () => new Softmax().train(X8, Array.from(y3, (v, i) => (i === 0 ? 1.5 : v)), LINEAR), code: RANGE, message: /\by\b/ },
  { label: 'svmLoss, label = C', call: () => svmLoss(randomF32(mulberry32(6), 8, 3), Xf, Int32Array.from(y3, (v, i) => (i === 4 ? 3 : v)), 0), code: RANGE, message: /\by\b/ },
  { label: 'KNearestNeighbor train, 59 labels for 60 rows', call: () => new KNearestNeighbor().train(X8, y3.slice(1)), code: RANGE, message: /\by\b/ },
  {
    label: 'KNearestNeighbor u8 predict, 9 columns for 8',
    call: () => withTrained(new KNearestNeighbor({ k: 3, metric: 'l1' }), X8, y3, (knn) => knn.predict(wide8)),
    code: RANGE, message: /\bX\b.*columns/,
  },
  {
    label: 'KNearestNeighbor f32 computeDistances, 9 columns for 8',
    call: () => withTrained(new KNearestNeighbor({ k: 3 }), Xf, y3, (knn) => knn.computeDistances(widef)),
    code: RANGE, message: /\bX\b.*columns/,
  },
  {
    label: 'KNearestNeighbor u8 model, f32 queries',
    call: () => withTrained(new KNearestNeighbor({ k: 3 }), X8, y3, (knn) => knn.predict(Qf)),
    code: TYPE, message: /\bX\b/,
  },
  {
    label: 'LinearSVM predict, 9 columns for 8',
    call: () => withTrained(new LinearSVM(), X8, y3, (svm) => svm.predict(wide8), LINEAR),
    code: RANGE, message: /\bX\b.*columns/,
  },
  {
    label: 'Softmax predictProba, 9 columns for 8',
    call: () => withTrained(new Softmax(), Xf, y3, (model) => model.predictProba(widef), LINEAR),
    code: RANGE, message: /\bX\b.*columns/,
  },
  { label: 'KNearestNeighbor k 6 > nTrain 5', call: () => new KNearestNeighbor({ k: 6 }).train(five.X, five.y), code: RANGE, message: /\bk\b/ },
  {
    label: 'kneighbors k 6 > nTrain 5',
    call: () => withTrained(new KNearestNeighbor({ k: 1 }), five.X, five.y, (knn) => knn.kneighbors(Q8, { k: 6 })),
    code: RANGE, message: /\bk\b/,
  },
  { label: 'new KNearestNeighbor({ k: 0 })', call: () => new KNearestNeighbor({ k: 0 }), code: RANGE, message: /\bk\b/ },
  {
    label: 'kneighbors k 0',
    call: () => withTrained(new KNearestNeighbor({ k: 1 }), five.X, five.y, (knn) => knn.kneighbors(Q8, { k: 0 })),
    code: RANGE, message: /\bk\b/,
  },
  { label: "new KNearestNeighbor({ metric: 'l3' })", call: () => new KNearestNeighbor({ metric: 'l3' }), code: RANGE, message: /metric/ },
];

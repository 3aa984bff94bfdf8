// LinearSVM and Softmax (src/linear.ts -> assembly/linear.ts, assembly/loss.ts, assembly/gemm.ts):
// training on separable blobs, the SGD step against the f64 reference under every build,
// serialization, argument and state errors, divergence, and wasm memory over many models.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import {
  init, LinearSVM, Softmax,
  ArgumentRangeError, DataFormatError, StateError, TrainingDivergedError, SimdclassError,
} from '../dist/node.js';
import { referenceSvmLoss, referenceSoftmaxLoss } from '../dist/reference.js';
import { eachBuild, gaussian, mulberry32, rejects, throws } from './helpers.mjs';

const MODELS = [LinearSVM, Softmax];
const REFERENCE = { svm: referenceSvmLoss, softmax: referenceSoftmaxLoss };

// ---- local helpers -------------------------------------------------------------------------

const throwsCode = (fn, code, message) => throws(fn, { code, message, type: SimdclassError });
const rejectsCode = (promiseOrFn, code, message) => rejects(promiseOrFn, { code, message, type: SimdclassError });
const arr = (a) => Array.from(a);
const allFinite = (a) => Array.prototype.every.call(a, Number.isFinite);

function argmaxRows(m) {
  const out = [];
  for (let i = 0; i < m.rows; i++) {
    let best = 0;
    for (let j = 1; j < m.cols; j++) if (m.data[i * m.cols + j] > m.data[i * m.cols + best]) best = j;
    out.push(best);
  }
  return out;
}

/**
 * Three Gaussian blobs (labels 0, 1, 2 in turn). The centres depend on (D, dtype) only, so a
 * training and a test set drawn with different noise seeds come from the same problem.
 */
function blobs(D, dtype, n, noiseSeed) {
  const crng = mulberry32(1000 + D * 2 + (dtype === 'u8' ? 1 : 0));
  const u8 = dtype === 'u8';
  let centers = Array.from({ length: 3 }, () => Array.from({ length: D }, () => (u8 ? 50 + 155 * crng() : 6 * (crng() - 0.5))));
  if (D === 2) centers = u8 ? [[60, 60], [190, 70], [120, 190]] : [[-3, -3], [3, -3], [0, 3]];
  const std = u8 ? 15 : 0.7;
  const normal = gaussian(mulberry32(noiseSeed));
  const data = u8 ? new Uint8Array(n * D) : new Float32Array(n * D);
  const y = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    y[i] = i % 3;
    for (let d = 0; d < D; d++) {
      const v = centers[y[i]][d] + std * normal();
      data[i * D + d] = u8 ? Math.max(0, Math.min(255, Math.round(v))) : v;
    }
  }
  return { X: { data, rows: n, cols: D }, y };
}

const PROBLEMS = [];
for (const D of [2, 20]) {
  for (const dtype of ['u8', 'f32']) {
    PROBLEMS.push({
      name: `${dtype} D=${D}`, D, dtype,
      train: blobs(D, dtype, 150, 1 + D),
      test: blobs(D, dtype, 90, 2 + D),
      options: { numIters: 100, batchSize: 50, learningRate: dtype === 'u8' ? 1e-3 : 1e-2, reg: 1e-4, seed: 7 },
    });
  }
}
const F32_20 = PROBLEMS.find((p) => p.name === 'f32 D=20');
const U8_20 = PROBLEMS.find((p) => p.name === 'u8 D=20');

/** A trained model of each kind on every problem, shared by the read-only suites. */
async function trainAll() {
  const out = [];
  for (const Model of MODELS) {
    for (const p of PROBLEMS) {
      const model = new Model();
      const history = await model.train(p.train.X, p.train.y, p.options);
      out.push({ Model, p, model, history, label: `${Model.name} ${p.name}` });
    }
  }
  return out;
}

/** Training rows centred by the model's mean, with a 1 appended (the bias trick), in f64. */
function centredWithOnes(model, X) {
  const mean = model.mean, D = X.cols;
  const data = new Float64Array(X.rows * (D + 1));
  for (let i = 0; i < X.rows; i++) {
    for (let d = 0; d < D; d++) data[i * (D + 1) + d] = X.data[i * D + d] - mean[d];
    data[i * (D + 1) + D] = 1;
  }
  return { data, rows: X.rows, cols: D + 1 };
}

/** The weights with the bias appended as a last row: (D + 1) x C, row-major, f64. */
function weightsWithBias(model) {
  return Float64Array.from([...model.weights.data, ...model.bias]);
}

function assertNear(got, want, tol, label) {
  let scale = 1e-12;
  for (const v of want) scale = Math.max(scale, Math.abs(v));
  assert.is(got.length, want.length, `${label}: length`);
  for (let i = 0; i < want.length; i++) {
    if (!(Math.abs(got[i] - want[i]) <= tol * scale)) assert.unreachable(`${label}: [${i}] is ${got[i]}, expected ${want[i]} (scale ${scale})`);
  }
}

await init();
const TRAINED = await trainAll();

// ---- train ---------------------------------------------------------------------------------

const train = suite('train');

train('returns numIters finite losses that go down, on u8 and f32 blobs in 2-D and 20-D', () => {
  for (const { history, p, label } of TRAINED) {
    assert.ok(Array.isArray(history), `${label}: an array`);
    assert.is(history.length, p.options.numIters, label);
    assert.ok(allFinite(history), `${label}: finite`);
    const mean = (a) => a.reduce((s, v) => s + v, 0) / a.length;
    assert.ok(mean(history.slice(-10)) < 0.5 * mean(history.slice(0, 10)), `${label}: ${history.slice(0, 3)} ... ${history.slice(-3)}`);
  }
});

train('starts near the loss of tiny weights: about C - 1 for SVM, log C for softmax', () => {
  for (const { Model, history, label } of TRAINED) {
    const expected = Model === LinearSVM ? 2 : Math.log(3);
    assert.ok(Math.abs(history[0] - expected) < 0.2, `${label}: first loss ${history[0]}`);
  }
});

train('calls onProgress after every iteration with (iteration, numIters, loss)', async () => {
  const calls = [];
  const model = new Softmax();
  const history = await model.train(F32_20.train.X, F32_20.train.y, { ...F32_20.options, numIters: 7, onProgress: (...a) => calls.push(a) });
  assert.equal(calls, history.map((loss, i) => [i, 7, loss]));
  model.dispose();
});

train('is deterministic: the same seed gives the same history and weights, another seed does not', async () => {
  for (const Model of MODELS) {
    for (const p of [F32_20, U8_20]) {
      const a = new Model(), b = new Model(), c = new Model();
      const ha = await a.train(p.train.X, p.train.y, { ...p.options, numIters: 20 });
      const hb = await b.train(p.train.X, p.train.y, { ...p.options, numIters: 20 });
      const hc = await c.train(p.train.X, p.train.y, { ...p.options, numIters: 20, seed: p.options.seed + 1 });
      assert.equal(hb, ha, `${Model.name} ${p.name}: history`);
      assert.equal(arr(b.weights.data), arr(a.weights.data));
      assert.equal(arr(b.bias), arr(a.bias));
      assert.not.equal(hc, ha, `${Model.name} ${p.name}: another seed`);
      assert.not.equal(arr(c.weights.data), arr(a.weights.data));
      for (const m of [a, b, c]) m.dispose();
    }
  }
});

train('full-batch steps equal the reference loss and W -= lr * dW, every build', async () => {
  // replace: false with batchSize = N makes every minibatch the whole training set. With
  // learningRate 0 the weights stay at their seeded start, which the model then exposes.
  const p = F32_20, N = p.train.X.rows, lr = 0.05, reg = 0.01;
  await eachBuild(async (build) => {
    for (const Model of MODELS) {
      const kind = Model === LinearSVM ? 'svm' : 'softmax', ref = REFERENCE[kind];
      const label = `${build} ${Model.name}`;
      const options = { batchSize: N, replace: false, reg, seed: 3 };
      const start = new Model();
      const still = await start.train(p.train.X, p.train.y, { ...options, learningRate: 0, numIters: 3 });
      const X1 = centredWithOnes(start, p.train.X), C = start.numClasses;
      const W0 = weightsWithBias(start);
      const r0 = ref(W0, X1, p.train.y, C, reg);
      for (const loss of still) assert.ok(Math.abs(loss - r0.loss) <= 1e-4 * r0.loss, `${label}: loss at the start ${loss}, reference ${r0.loss}`);

      const model = new Model();
      const history = await model.train(p.train.X, p.train.y, { ...options, learningRate: lr, numIters: 2 });
      assert.equal(arr(model.mean), arr(start.mean), `${label}: same mean`);
      const W1 = W0.map((w, i) => w - lr * r0.grad[i]);
      const r1 = ref(W1, X1, p.train.y, C, reg);
      const W2 = W1.map((w, i) => w - lr * r1.grad[i]);
      assert.ok(Math.abs(history[0] - r0.loss) <= 1e-4 * r0.loss, `${label}: step 0 loss ${history[0]}, reference ${r0.loss}`);
      assert.ok(Math.abs(history[1] - r1.loss) <= 1e-4 * r1.loss, `${label}: step 1 loss ${history[1]}, reference ${r1.loss}`);
      assertNear(weightsWithBias(model), W2, 1e-4, `${label}: weights after 2 steps`);
      start.dispose();
      model.dispose();
    }
  });
});

train('trains under every build to the same accuracy', async () => {
  await eachBuild(async (build) => {
    for (const Model of MODELS) {
      const model = new Model();
      const history = await model.train(U8_20.train.X, U8_20.train.y, U8_20.options);
      assert.ok(allFinite(history), `${build} ${Model.name}`);
      assert.ok(await model.score(U8_20.test.X, U8_20.test.y) > 0.9, `${build} ${Model.name}`);
      model.dispose();
    }
  });
});

train('samples without replacement with replace: false', async () => {
  for (const Model of MODELS) {
    const model = new Model();
    const history = await model.train(F32_20.train.X, F32_20.train.y, { ...F32_20.options, replace: false, batchSize: 150 });
    assert.ok(allFinite(history));
    assert.ok(await model.score(F32_20.test.X, F32_20.test.y) > 0.9, Model.name);
    await rejectsCode(model.train(F32_20.train.X, F32_20.train.y, { replace: false, batchSize: 151 }), 'ERR_ARG_RANGE',
      /Expected batchSize <= nTrain \(150\) when sampling without replacement, got 151/);
    model.dispose();
  }
  const err = await rejectsCode(new LinearSVM().train([[0], [1]], [0, 1], { replace: false, batchSize: 3 }), 'ERR_ARG_RANGE', /batchSize/);
  assert.ok(err instanceof ArgumentRangeError);
});

train('accepts labels as Int32Array, Uint8Array and number[]', async () => {
  const { X, y } = F32_20.train;
  const histories = [];
  for (const labels of [y, Uint8Array.from(y), arr(y)]) {
    const model = new LinearSVM();
    histories.push(await model.train(X, labels, { ...F32_20.options, numIters: 5 }));
    model.dispose();
  }
  assert.equal(histories[1], histories[0]);
  assert.equal(histories[2], histories[0]);
});

train('refuses bad options, naming each', async () => {
  const { X, y } = F32_20.train;
  const model = new LinearSVM();
  await rejectsCode(model.train(X, y, { batchSize: 0 }), 'ERR_ARG_RANGE', /Expected batchSize >= 1, got 0/);
  await rejectsCode(model.train(X, y, { batchSize: 2.5 }), 'ERR_ARG_TYPE', /batchSize.*integer/);
  await rejectsCode(model.train(X, y, { numIters: 0 }), 'ERR_ARG_RANGE', /Expected numIters >= 1, got 0/);
  await rejectsCode(model.train(X, y, { numIters: NaN }), 'ERR_ARG_TYPE', /numIters.*integer/);
  // NaN, Infinity and values beyond f32 are numbers of the wrong value: ERR_ARG_RANGE.
  await rejectsCode(model.train(X, y, { learningRate: NaN }), 'ERR_ARG_RANGE', /Expected learningRate to be a finite number, got NaN/);
  await rejectsCode(model.train(X, y, { learningRate: Infinity }), 'ERR_ARG_RANGE', /Expected learningRate to be a finite number, got Infinity/);
  await rejectsCode(model.train(X, y, { learningRate: 1e39 }), 'ERR_ARG_RANGE', /Expected learningRate <= /);
  await rejectsCode(model.train(X, y, { learningRate: -1 }), 'ERR_ARG_RANGE', /Expected learningRate >= 0, got -1/);
  await rejectsCode(model.train(X, y, { learningRate: '1e-3' }), 'ERR_ARG_TYPE', /learningRate/);
  await rejectsCode(model.train(X, y, { reg: NaN }), 'ERR_ARG_RANGE', /Expected reg to be a finite number, got NaN/);
  await rejectsCode(model.train(X, y, { reg: -0.1 }), 'ERR_ARG_RANGE', /Expected reg >= 0, got -0\.1/);
  await rejectsCode(model.train(X, y, { seed: -1 }), 'ERR_ARG_RANGE', /seed/);
  model.dispose();
});

train('refuses bad data: NaN pixels, wrong label count, bad labels, a single class', async () => {
  const { X, y } = F32_20.train;
  const model = new Softmax();
  const bad = { data: Float32Array.from(X.data), rows: X.rows, cols: X.cols };
  bad.data[3 * 20 + 4] = NaN;
  await rejectsCode(model.train(bad, y), 'ERR_ARG_RANGE', /Expected X to hold finite numbers, got NaN at row 3, column 4/);
  await rejectsCode(model.train([[0, 1], [Infinity, 2]], [0, 1]), 'ERR_ARG_RANGE', /X.*finite.*Infinity/);
  await rejectsCode(model.train(X, y.subarray(1)), 'ERR_ARG_RANGE', /Expected y to have one label per row \(150\), got 149/);
  await rejectsCode(model.train([[0], [1]], [0, -1]), 'ERR_ARG_RANGE', /y\[1\].*-1/);
  await rejectsCode(model.train([[0], [1]], [0, 1.5]), 'ERR_ARG_RANGE', /y\[1\].*integer.*1\.5/);
  await rejectsCode(model.train([[0], [1], [2]], [0, 0, 0]), 'ERR_ARG_RANGE', /Expected y to hold labels of at least 2 classes, got only class 0/);
  await rejectsCode(model.train({ data: new Float32Array(0), rows: 0, cols: 3 }, []), 'ERR_ARG_RANGE', /X.*at least one/);
  await rejectsCode(model.train('X', y), 'ERR_ARG_TYPE', /Expected X to be a Matrix/);
  model.dispose();
});

train('refuses labels of one class only, whichever class it is', async () => {
  // Every label is 1: one class, although the largest label implies C = 2.
  await rejectsCode(new LinearSVM().train([[0], [1], [2]], [1, 1, 1]), 'ERR_ARG_RANGE', /at least 2 classes/);
});

train('a failed call (bad labels, bad options, a throwing onProgress) leaves the model as it was', async () => {
  for (const { model, p, label } of TRAINED.filter((t) => t.p === F32_20)) {
    const weights = arr(model.weights.data), bias = arr(model.bias), mean = arr(model.mean);
    const predictions = arr(await model.predict(p.test.X));
    const badLabels = Int32Array.from(p.train.y);
    badLabels[10] = -2;
    await rejectsCode(model.train(p.train.X, badLabels, p.options), 'ERR_ARG_RANGE', /y\[10\]/);
    await rejectsCode(model.train(p.train.X, p.train.y, { ...p.options, batchSize: 0 }), 'ERR_ARG_RANGE', /batchSize/);
    let thrown = null;
    try {
      await model.train(U8_20.train.X, U8_20.train.y, { ...U8_20.options, onProgress: (i) => { if (i === 3) throw new Error('stop'); } });
    } catch (e) {
      thrown = e;
    }
    assert.is(thrown?.message, 'stop', label);
    assert.equal(arr(model.weights.data), weights, `${label}: weights`);
    assert.equal(arr(model.bias), bias, `${label}: bias`);
    assert.equal(arr(model.mean), mean, `${label}: mean`);
    assert.equal(arr(await model.predict(p.test.X)), predictions, `${label}: predictions`);
  }
});

/** Data with large values, on which a huge learning rate overflows f32 within a few steps. */
function largeData() {
  const rng = mulberry32(99);
  const X = { data: Float32Array.from({ length: 60 * 8 }, () => 1e4 * (rng() - 0.5)), rows: 60, cols: 8 };
  const y = Int32Array.from({ length: 60 }, (_, i) => i % 3);
  return { X, y };
}

train('a huge learning rate throws TrainingDivergedError and leaves a trained model unchanged', async () => {
  const { X, y } = largeData();
  for (const Model of MODELS) {
    const model = new Model();
    await model.train(X, y, { numIters: 10, batchSize: 20, learningRate: 1e-9 });
    const weights = arr(model.weights.data), bias = arr(model.bias), mean = arr(model.mean);
    const predictions = arr(await model.predict(X));
    const numIters = 50;
    const err = await rejectsCode(model.train(X, y, { numIters, batchSize: 20, learningRate: 1e30 }), 'ERR_DIVERGED', /diverged/);
    assert.ok(err instanceof TrainingDivergedError, Model.name);
    assert.ok(Number.isInteger(err.iteration) && err.iteration >= 0 && err.iteration < numIters, `${Model.name}: iteration ${err.iteration}`);
    assert.match(err.message, new RegExp(`iteration ${err.iteration}\\b`));
    assert.match(err.message, /learningRate/);
    assert.ok(Array.isArray(err.history) && err.history.length === err.iteration && allFinite(err.history), `${Model.name}: history ${err.history}`);
    assert.is(err.weights.length, 8 * 3);
    assert.ok(allFinite(err.weights), `${Model.name}: weights finite`);
    assert.is(err.bias.length, 3);
    assert.ok(allFinite(err.bias), `${Model.name}: bias finite`);
    assert.equal(arr(model.weights.data), weights, `${Model.name}: weights unchanged`);
    assert.equal(arr(model.bias), bias, `${Model.name}: bias unchanged`);
    assert.equal(arr(model.mean), mean, `${Model.name}: mean unchanged`);
    assert.equal(arr(await model.predict(X)), predictions, `${Model.name}: predictions unchanged`);
    // An untrained model stays untrained.
    const fresh = new Model();
    await rejectsCode(fresh.train(X, y, { numIters, batchSize: 20, learningRate: 1e30 }), 'ERR_DIVERGED', /iteration/);
    await rejectsCode(fresh.predict(X), 'ERR_STATE', /not trained/);
    model.dispose();
  }
});

train('retraining replaces the model, also with another shape', async () => {
  const model = new LinearSVM();
  await model.train(U8_20.train.X, U8_20.train.y, U8_20.options);
  assert.is(model.numFeatures, 20);
  await model.train([[0, 0], [5, 5], [0, 1], [5, 6]], [0, 1, 0, 1], { numIters: 50, batchSize: 4, learningRate: 1e-2 });
  assert.is(model.numFeatures, 2);
  assert.is(model.numClasses, 2);
  assert.equal(arr(await model.predict([[0, 0.5], [5, 5.5]])), [0, 1]);
  model.dispose();
});

train.run();

// ---- scores --------------------------------------------------------------------------------

const scores = suite('scores');

scores('is N x C and equals (x - mean) W + b computed in f64', async () => {
  for (const { model, p, label } of TRAINED) {
    const s = await model.scores(p.test.X);
    assert.ok(s.data instanceof Float32Array, label);
    assert.is(s.rows, p.test.X.rows);
    assert.is(s.cols, 3);
    const X1 = centredWithOnes(model, p.test.X), W = weightsWithBias(model);
    const want = new Float64Array(s.rows * 3);
    for (let i = 0; i < s.rows; i++) for (let d = 0; d <= p.D; d++) for (let j = 0; j < 3; j++) want[i * 3 + j] += X1.data[i * (p.D + 1) + d] * W[d * 3 + j];
    assertNear(s.data, want, 1e-4, label);
  }
});

scores('handles more rows than one block, every build', async () => {
  const p = U8_20, big = blobs(20, 'u8', 700, 55);
  await eachBuild(async (build) => {
    const model = new Softmax();
    await model.train(p.train.X, p.train.y, p.options);
    const all = await model.scores(big.X);
    // Row by row must agree with the whole: blocks are independent.
    for (const i of [0, 255, 256, 257, 511, 512, 699]) {
      const one = await model.scores({ data: big.X.data.subarray(i * 20, (i + 1) * 20), rows: 1, cols: 20 });
      assert.equal(arr(one.data), arr(all.data.subarray(i * 3, i * 3 + 3)), `${build} row ${i}`);
    }
    model.dispose();
  });
});

scores('gives the same scores for u8 pixels and the same values as f32 or number[][]', async () => {
  for (const { model, p, label } of TRAINED.filter((t) => t.p.dtype === 'u8')) {
    const asF32 = { data: Float32Array.from(p.test.X.data), rows: p.test.X.rows, cols: p.D };
    const rows = Array.from({ length: asF32.rows }, (_, i) => arr(asF32.data.subarray(i * p.D, (i + 1) * p.D)));
    const a = await model.scores(p.test.X);
    assert.equal(arr((await model.scores(asF32)).data), arr(a.data), label);
    assert.equal(arr((await model.scores(rows)).data), arr(a.data), label);
  }
});

scores('refuses X with the wrong column count, and returns 0 x C for no rows', async () => {
  const { model } = TRAINED.find((t) => t.p === F32_20);
  await rejectsCode(model.scores([[1, 2, 3]]), 'ERR_ARG_RANGE', /Expected X to have 20 columns like the training data, got 3/);
  await rejectsCode(model.scores({ data: new Float32Array(21), rows: 1, cols: 21 }), 'ERR_ARG_RANGE', /20 columns.*got 21/);
  const empty = await model.scores({ data: new Float32Array(0), rows: 0, cols: 20 });
  assert.is(empty.rows, 0);
  assert.is(empty.cols, 3);
  assert.is(empty.data.length, 0);
});

scores.run();

// ---- predict -------------------------------------------------------------------------------

const predict = suite('predict');

predict('equals the argmax of scores() and is right on separable blobs', async () => {
  for (const { model, p, label } of TRAINED) {
    const got = await model.predict(p.test.X);
    assert.ok(got instanceof Int32Array, label);
    assert.equal(arr(got), argmaxRows(await model.scores(p.test.X)), label);
  }
});

predict('before train and after dispose is a StateError', async () => {
  for (const Model of MODELS) {
    const model = new Model();
    const err = await rejectsCode(model.predict([[1, 2]]), 'ERR_STATE', new RegExp(`${Model.name} is not trained: call train`));
    assert.ok(err instanceof StateError);
    await rejectsCode(model.scores([[1, 2]]), 'ERR_STATE', /not trained/);
    throwsCode(() => model.weights, 'ERR_STATE', /not trained/);
    throwsCode(() => model.toJSON(), 'ERR_STATE', /not trained/);
    await model.train([[0, 0], [1, 1]], [0, 1], { numIters: 2 });
    model.dispose();
    await rejectsCode(model.predict([[1, 2]]), 'ERR_STATE', new RegExp(`${Model.name} was disposed`));
    await rejectsCode(model.scores([[1, 2]]), 'ERR_STATE', /disposed/);
    throwsCode(() => model.bias, 'ERR_STATE', /disposed/);
    await rejectsCode(model.train([[0, 0], [1, 1]], [0, 1]), 'ERR_STATE', /disposed/);
    model.dispose();
  }
});

predict.run();

// ---- score ---------------------------------------------------------------------------------

const score = suite('score');

score('is above 0.9 on held-out blobs and equals the fraction predicted right', async () => {
  for (const { model, p, label } of TRAINED) {
    const acc = await model.score(p.test.X, p.test.y);
    assert.ok(acc > 0.9, `${label}: ${acc}`);
    const pred = await model.predict(p.test.X);
    assert.is(acc, pred.filter((v, i) => v === p.test.y[i]).length / p.test.y.length, label);
  }
});

score('refuses labels of the wrong length', async () => {
  const { model, p } = TRAINED[0];
  await rejectsCode(model.score(p.test.X, p.test.y.subarray(2)), 'ERR_ARG_RANGE', /one label per row \(90\), got 88/);
});

score.run();

// ---- predictProba --------------------------------------------------------------------------

const proba = suite('predictProba');

proba('rows are probabilities summing to 1 whose argmax is predict', async () => {
  for (const { model, p, label } of TRAINED.filter((t) => t.Model === Softmax)) {
    const P = await model.predictProba(p.test.X);
    assert.is(P.rows, p.test.X.rows);
    assert.is(P.cols, 3);
    for (let i = 0; i < P.rows; i++) {
      const row = arr(P.data.subarray(i * 3, i * 3 + 3));
      assert.ok(row.every((v) => v >= 0 && v <= 1), `${label} row ${i}: ${row}`);
      assert.ok(Math.abs(row.reduce((a, b) => a + b) - 1) < 1e-5, `${label} row ${i}: ${row}`);
    }
    assert.equal(argmaxRows(P), arr(await model.predict(p.test.X)), label);
    // Softmax of the scores.
    const s = await model.scores(p.test.X);
    for (let i = 0; i < 5; i++) {
      const r = arr(s.data.subarray(i * 3, i * 3 + 3)), top = Math.max(...r);
      const e = r.map((v) => Math.exp(v - top)), sum = e.reduce((a, b) => a + b);
      e.forEach((v, j) => assert.ok(Math.abs(v / sum - P.data[i * 3 + j]) < 1e-6, `${label} (${i}, ${j})`));
    }
  }
});

proba.run();

// ---- weights, bias, mean ------------------------------------------------------------------

const params = suite('weights, bias, mean');

params('weights is D x C, bias has C values, mean is the column means of the training X', () => {
  for (const { model, p, label } of TRAINED) {
    const W = model.weights;
    assert.ok(W.data instanceof Float32Array);
    assert.is(W.rows, p.D, label);
    assert.is(W.cols, 3, label);
    assert.is(W.data.length, p.D * 3);
    assert.ok(model.bias instanceof Float32Array);
    assert.is(model.bias.length, 3, label);
    assert.ok(allFinite(W.data) && allFinite(model.bias), label);
    assert.is(model.numFeatures, p.D);
    assert.is(model.numClasses, 3);
    const { X } = p.train;
    const means = new Float64Array(p.D);
    for (let i = 0; i < X.rows; i++) for (let d = 0; d < p.D; d++) means[d] += X.data[i * p.D + d] / X.rows;
    assertNear(model.mean, means, 1e-6, `${label}: mean`);
    assert.is(model.mean.length, p.D);
  }
});

params('returns copies: changing them does not change the model', async () => {
  const { model, p } = TRAINED.find((t) => t.Model === LinearSVM && t.p === F32_20);
  const before = arr((await model.scores(p.test.X)).data);
  model.weights.data.fill(0);
  model.bias.fill(0);
  model.mean.fill(0);
  assert.equal(arr((await model.scores(p.test.X)).data), before);
});

params.run();

// ---- toJSON / fromJSON --------------------------------------------------------------------

const toJSON = suite('toJSON');

toJSON('carries format, version, model, shape and the arrays', () => {
  for (const { Model, model, p, label } of TRAINED) {
    const j = model.toJSON();
    assert.is(j.format, 'simdclass-linear');
    assert.is(j.version, 1);
    assert.is(j.model, Model === LinearSVM ? 'svm' : 'softmax');
    assert.is(j.numFeatures, p.D, label);
    assert.is(j.numClasses, 3, label);
    assert.equal(j.weights, arr(model.weights.data));
    assert.equal(j.bias, arr(model.bias));
    assert.equal(j.mean, arr(model.mean));
  }
});

toJSON('JSON.stringify then fromJSON gives identical scores, weights and mean', async () => {
  for (const { Model, model, p, label } of TRAINED) {
    const text = JSON.stringify(model);
    for (const copy of [Model.fromJSON(JSON.parse(text)), Model.fromJSON(text)]) {
      assert.ok(copy instanceof Model, label);
      assert.equal(arr((await copy.scores(p.test.X)).data), arr((await model.scores(p.test.X)).data), label);
      assert.equal(arr(copy.weights.data), arr(model.weights.data));
      assert.equal(arr(copy.bias), arr(model.bias));
      assert.equal(arr(copy.mean), arr(model.mean));
      assert.equal(copy.toJSON(), model.toJSON());
      copy.dispose();
    }
  }
});

toJSON.run();

const fromJSON = suite('fromJSON');

fromJSON('refuses another model, format or version, corrupted arrays and non-JSON text', () => {
  const svmJSON = TRAINED.find((t) => t.Model === LinearSVM && t.p === F32_20).model.toJSON();
  const softmaxJSON = TRAINED.find((t) => t.Model === Softmax && t.p === F32_20).model.toJSON();
  const n = 20 * 3;
  const bad = (fn, message, Model = LinearSVM) => {
    const err = throwsCode(fn, 'ERR_DATA_FORMAT', message);
    assert.ok(err instanceof DataFormatError);
    assert.match(err.message, Model === LinearSVM ? /Not a simdclass svm model/ : /Not a simdclass softmax model/);
  };
  bad(() => LinearSVM.fromJSON(softmaxJSON), /expected model "svm", got "softmax"/);
  bad(() => LinearSVM.fromJSON(JSON.stringify(softmaxJSON)), /expected model "svm", got "softmax"/);
  bad(() => Softmax.fromJSON(svmJSON), /expected model "softmax", got "svm"/, Softmax);
  bad(() => LinearSVM.fromJSON({ ...svmJSON, format: 'other' }), /expected format "simdclass-linear", got "other"/);
  bad(() => LinearSVM.fromJSON({ ...svmJSON, format: undefined }), /expected format "simdclass-linear"/);
  bad(() => LinearSVM.fromJSON({ ...svmJSON, version: 2 }), /expected version 1, got 2/);
  bad(() => LinearSVM.fromJSON({ ...svmJSON, version: '1' }), /expected version 1, got "1"/);
  bad(() => LinearSVM.fromJSON({ ...svmJSON, weights: svmJSON.weights.slice(0, -1) }), new RegExp(`weights must be an array of ${n} numbers, got ${n - 1}`));
  bad(() => LinearSVM.fromJSON({ ...svmJSON, weights: 'abc' }), /weights must be an array/);
  bad(() => LinearSVM.fromJSON({ ...svmJSON, bias: [1, 2] }), /bias must be an array of 3 numbers, got 2/);
  bad(() => LinearSVM.fromJSON({ ...svmJSON, mean: undefined }), /mean must be an array of 20 numbers/);
  bad(() => LinearSVM.fromJSON({ ...svmJSON, numFeatures: 21 }), /mean must be an array of 21 numbers, got 20/);
  bad(() => LinearSVM.fromJSON({ ...svmJSON, numFeatures: 0 }), /numFeatures must be a positive integer, got 0/);
  bad(() => LinearSVM.fromJSON({ ...svmJSON, numClasses: 1.5 }), /numClasses must be an integer in \[2, 65536\], got 1\.5/);
  const withNaN = { ...svmJSON, weights: [...svmJSON.weights] };
  withNaN.weights[7] = NaN;
  bad(() => LinearSVM.fromJSON(withNaN), /weights\[7\] is not a finite f32 number/);
  // JSON text turns NaN into null.
  bad(() => LinearSVM.fromJSON(JSON.stringify(withNaN)), /weights\[7\] is not a finite f32 number/);
  const withString = { ...svmJSON, bias: [...svmJSON.bias] };
  withString.bias[1] = '0.5';
  bad(() => LinearSVM.fromJSON(withString), /bias\[1\] is not a finite f32 number/);
  bad(() => LinearSVM.fromJSON('{"format": "simdclass-linear", '), /not valid JSON/);
  bad(() => LinearSVM.fromJSON('hello'), /not valid JSON/);
  bad(() => LinearSVM.fromJSON(null), /expected an object/);
  bad(() => LinearSVM.fromJSON(42), /expected an object/);
});

fromJSON('a refused model costs no wasm memory', async () => {
  const svmJSON = TRAINED.find((t) => t.Model === LinearSVM && t.p === F32_20).model.toJSON();
  LinearSVM.fromJSON(svmJSON).dispose();
  const before = (await init()).memoryBytes;
  for (let i = 0; i < 200; i++) {
    LinearSVM.fromJSON(svmJSON).dispose();
    try { LinearSVM.fromJSON({ ...svmJSON, version: 3 }); } catch { /* refused */ }
  }
  assert.is((await init()).memoryBytes, before);
});

fromJSON.run();

// ---- dispose -------------------------------------------------------------------------------

const dispose = suite('dispose');

dispose('300 cycles of new Softmax, train, predict, dispose keep wasm memory constant', async () => {
  const rng = mulberry32(21);
  const X = { data: Float32Array.from({ length: 40 * 8 }, () => rng() - 0.5), rows: 40, cols: 8 };
  const y = Int32Array.from({ length: 40 }, (_, i) => i % 4);
  const cycle = async () => {
    const model = new Softmax();
    await model.train(X, y, { numIters: 3, batchSize: 16 });
    const pred = await model.predict(X);
    assert.is(pred.length, 40);
    model.dispose();
  };
  await cycle();
  const before = (await init()).memoryBytes;
  for (let i = 0; i < 300; i++) await cycle();
  assert.is((await init()).memoryBytes, before);
});

dispose('failed and diverged training runs free their memory', async () => {
  const { X, y } = largeData();
  const model = new LinearSVM();
  const run = async () => {
    await rejectsCode(model.train(X, y, { numIters: 20, batchSize: 20, learningRate: 1e30 }), 'ERR_DIVERGED', /iteration/);
    const stopped = await model.train(X, y, { numIters: 20, batchSize: 20, onProgress: () => { throw new SyntaxError('stop'); } }).catch((e) => e);
    assert.instance(stopped, SyntaxError);
    await rejectsCode(model.train(X, y.subarray(1)), 'ERR_ARG_RANGE', /one label per row/);
  };
  await run();
  const before = (await init()).memoryBytes;
  for (let i = 0; i < 100; i++) await run();
  assert.is((await init()).memoryBytes, before);
  model.dispose();
});

dispose.run();

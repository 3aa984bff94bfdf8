// svmLoss, softmaxLoss and gradCheck (src/losses.ts, src/gradcheck.ts -> assembly/loss.ts, assembly/gemm.ts class products):
// the lecture's worked examples, every build against the f64 reference (src/reference.ts), numeric
// gradient checks, and argument validation.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { init, svmLoss, softmaxLoss, gradCheck } from '../dist/node.js';
import { referenceSvmLoss, referenceSoftmaxLoss } from '../dist/reference.js';
import { eachBuild, gaussian, mulberry32, throws } from './helpers.mjs';

/** Relative tolerance of an f32 kernel against the f64 reference. */
const TOL = 1e-4;

// ---- local helpers -------------------------------------------------------------------------

/** rows x cols f32 Matrix filled by `draw()`. */
function matrix(rows, cols, draw) {
  const data = new Float32Array(rows * cols);
  for (let i = 0; i < data.length; i++) data[i] = draw();
  return { data, rows, cols };
}

function labels(rng, n, C) {
  const y = new Int32Array(n);
  for (let i = 0; i < n; i++) y[i] = Math.floor(rng() * C);
  return y;
}

const throwsCode = (fn, code, message) => throws(fn, { code, message });

/** Loss and gradient of a kernel result against the f64 reference, relative to the scale of each. */
function assertClose(got, ref, label) {
  assert.ok(Number.isFinite(got.loss), `${label}: finite loss, got ${got.loss}`);
  const lossErr = Math.abs(got.loss - ref.loss);
  assert.ok(lossErr <= TOL * Math.max(1, Math.abs(ref.loss)), `${label}: loss ${got.loss}, reference ${ref.loss}`);
  assert.ok(got.grad.data instanceof Float32Array, `${label}: grad is f32`);
  assert.is(got.grad.data.length, ref.grad.length, `${label}: grad length`);
  let scale = 1e-6;
  for (const g of ref.grad) scale = Math.max(scale, Math.abs(g));
  for (let i = 0; i < ref.grad.length; i++) {
    if (!(Math.abs(got.grad.data[i] - ref.grad[i]) <= TOL * scale)) {
      assert.unreachable(`${label}: grad[${i}] is ${got.grad.data[i]}, reference ${ref.grad[i]} (scale ${scale})`);
    }
  }
}

const round2 = (v) => Math.round(v * 100) / 100;

// The lecture's three images: rows are the class scores (cat, car, frog) of the cat, car and frog
// image. With X = I, the scores X W are the rows of W.
const LECTURE_W = [[3.2, 5.1, -1.7], [1.3, 4.9, 2.0], [2.2, 2.5, -3.1]];
const IDENTITY = [[1, 0, 0], [0, 1, 0], [0, 0, 1]];

// Random shapes shared by the reference comparisons; data and reference results built once.
const SHAPES = (() => {
  const out = [];
  const rng = mulberry32(2024);
  const normal = gaussian(rng);
  for (const D of [1, 3, 5, 17, 785]) {
    for (const N of [1, 3, 7, 200]) {
      for (const C of [2, 3, 10, 13]) {
        // Scores of order 1: a mix of active and inactive SVM margins.
        const W = matrix(D, C, () => (1.5 / Math.sqrt(D)) * normal());
        const u8 = (D === 3 || D === 17) && N !== 200;
        const X = u8
          ? { data: Uint8Array.from({ length: N * D }, () => Math.floor(rng() * 256)), rows: N, cols: D }
          : matrix(N, D, () => 2 * rng() - 1);
        if (u8) W.data.forEach((v, i) => { W.data[i] = v / 128; });
        const y = labels(rng, N, C);
        out.push({ D, N, C, W, X, y, u8 });
      }
    }
  }
  return out;
})();

// ---- svmLoss -------------------------------------------------------------------------------

const svm = suite('svmLoss');
svm.before(async () => { await init(); });

svm('the lecture example: 2.9, 0 and 12.9 per image, 5.27 on average', async () => {
  await eachBuild((build) => {
    const expected = [2.9, 0, 12.9];
    for (let i = 0; i < 3; i++) {
      const { loss } = svmLoss(LECTURE_W, [IDENTITY[i]], [i], 0);
      assert.ok(Math.abs(loss - expected[i]) <= 1e-5, `${build} image ${i}: ${loss}, expected ${expected[i]}`);
      assert.is(round2(loss), expected[i]);
    }
    const { loss } = svmLoss(LECTURE_W, IDENTITY, [0, 1, 2], 0);
    assert.ok(Math.abs(loss - 15.8 / 3) <= 1e-5, `${build} mean: ${loss}`);
    assert.is(round2(loss), 5.27);
  });
});

svm('the lecture example gradient: +x for each violating class, -count * x for the label', () => {
  // Cat image: only car violates (margin 2.9); frog is inactive (margin -3.9).
  const { grad } = svmLoss(LECTURE_W, [[1, 0, 0]], [0], 0);
  assert.is(grad.rows, 3);
  assert.is(grad.cols, 3);
  assert.equal(Array.from(grad.data), [-1, 1, 0, 0, 0, 0, 0, 0, 0]);
  // Frog image: both cat and car violate.
  assert.equal(Array.from(svmLoss(LECTURE_W, [[0, 0, 1]], [2], 0).grad.data), [0, 0, 0, 0, 0, 0, 1, 1, -2]);
});

svm('is about C - 1 = 9 for small random W (the lecture sanity check)', async () => {
  const rng = mulberry32(7), normal = gaussian(rng);
  const D = 3073, C = 10, N = 50;
  const W = matrix(D, C, () => 0.0001 * normal());
  const X = matrix(N, D, () => 2 * rng() - 1);
  const y = labels(rng, N, C);
  await eachBuild((build) => {
    const { loss } = svmLoss(W, X, y, 0);
    assert.ok(Math.abs(loss - (C - 1)) < 0.1, `${build}: ${loss}`);
  });
});

svm('equals referenceSvmLoss for every shape, reg and build', async () => {
  const refs = SHAPES.map((s) => [0, 0.1].map((reg) => referenceSvmLoss(s.W.data, s.X, s.y, s.C, reg)));
  await eachBuild((build) => {
    SHAPES.forEach((s, i) => {
      [0, 0.1].forEach((reg, r) => {
        assertClose(svmLoss(s.W, s.X, s.y, reg), refs[i][r], `${build} ${s.u8 ? 'u8' : 'f32'} D=${s.D} N=${s.N} C=${s.C} reg=${reg}`);
      });
    });
  });
});

svm('takes number[][] and every label array type, and leaves its inputs unchanged', () => {
  const s = SHAPES.find((t) => t.D === 5 && t.N === 7 && t.C === 3);
  const W = Float32Array.from(s.W.data), X = Float32Array.from(s.X.data);
  const rows = (m) => Array.from({ length: m.rows }, (_, i) => Array.from(m.data.subarray(i * m.cols, (i + 1) * m.cols)));
  const a = svmLoss(s.W, s.X, s.y, 0.1);
  for (const y of [s.y, Uint8Array.from(s.y), Array.from(s.y)]) {
    const b = svmLoss(rows(s.W), rows(s.X), y, 0.1);
    assert.is(b.loss, a.loss);
    assert.equal(Array.from(b.grad.data), Array.from(a.grad.data));
  }
  assert.equal(s.W.data, W);
  assert.equal(s.X.data, X);
});

svm('refuses W that is not D x C, with D = X.cols', () => {
  throwsCode(() => svmLoss([[1, 2, 3]], IDENTITY, [0, 1, 2], 0), 'ERR_ARG_RANGE', /Expected W to be D x C with D = X\.cols \(3\), got 1 x 3/);
  throwsCode(() => svmLoss(matrix(4, 3, () => 0), IDENTITY, [0, 1, 2], 0), 'ERR_ARG_RANGE', /W.*D = X\.cols \(3\), got 4 x 3/);
  throwsCode(() => svmLoss({ data: new Float32Array(0), rows: 3, cols: 0 }, IDENTITY, [0, 1, 2], 0), 'ERR_ARG_RANGE', /W.*at least one class/);
  throwsCode(() => svmLoss({ data: new Float32Array(5), rows: 2, cols: 3 }, IDENTITY, [0, 1, 2], 0), 'ERR_ARG_RANGE', /W\.data\.length/);
  throwsCode(() => svmLoss('W', IDENTITY, [0, 1, 2], 0), 'ERR_ARG_TYPE', /Expected W to be a Matrix/);
  throwsCode(() => svmLoss(LECTURE_W, { data: new Float32Array(0), rows: 0, cols: 3 }, [], 0), 'ERR_ARG_RANGE', /X.*at least one row/);
  throwsCode(() => svmLoss(LECTURE_W, [[1, NaN, 0]], [0], 0), 'ERR_ARG_RANGE', /X.*finite.*NaN/);
});

svm('refuses labels out of [0, C), non-integer, or one per row missing', () => {
  throwsCode(() => svmLoss(LECTURE_W, IDENTITY, [0, 1, 3], 0), 'ERR_ARG_RANGE', /Expected y\[2\] to be an integer in \[0, 3\), got 3/);
  throwsCode(() => svmLoss(LECTURE_W, IDENTITY, [0, -1, 2], 0), 'ERR_ARG_RANGE', /y\[1\].*\[0, 3\).*-1/);
  throwsCode(() => svmLoss(LECTURE_W, IDENTITY, [0, 1.5, 2], 0), 'ERR_ARG_RANGE', /y\[1\].*integer.*1\.5/);
  throwsCode(() => svmLoss(LECTURE_W, IDENTITY, [0, NaN, 2], 0), 'ERR_ARG_RANGE', /y\[1\].*NaN/);
  throwsCode(() => svmLoss(LECTURE_W, IDENTITY, [0, 1], 0), 'ERR_ARG_RANGE', /y.*one label per row \(3\), got 2/);
  throwsCode(() => svmLoss(LECTURE_W, IDENTITY, 'abc', 0), 'ERR_ARG_TYPE', /Expected y to be/);
});

svm('refuses reg that is negative, NaN, infinite or not a number', () => {
  throwsCode(() => svmLoss(LECTURE_W, IDENTITY, [0, 1, 2], -1), 'ERR_ARG_RANGE', /Expected reg >= 0, got -1/);
  // NaN, Infinity and values beyond f32 are numbers of the wrong value (ERR_ARG_RANGE); a non-number is a type error.
  for (const bad of [NaN, Infinity]) {
    throwsCode(() => svmLoss(LECTURE_W, IDENTITY, [0, 1, 2], bad), 'ERR_ARG_RANGE', /Expected reg to be a finite number/);
  }
  throwsCode(() => svmLoss(LECTURE_W, IDENTITY, [0, 1, 2], 1e39), 'ERR_ARG_RANGE', /Expected reg <= /);
  for (const bad of ['0.1', undefined]) {
    throwsCode(() => svmLoss(LECTURE_W, IDENTITY, [0, 1, 2], bad), 'ERR_ARG_TYPE', /Expected reg to be a finite number/);
  }
});

svm('does not grow wasm memory over repeated (and failing) calls', async () => {
  const s = SHAPES.find((t) => t.D === 785 && t.N === 200 && t.C === 10);
  svmLoss(s.W, s.X, s.y, 0.1);
  const before = (await init()).memoryBytes;
  for (let i = 0; i < 200; i++) {
    svmLoss(s.W, s.X, s.y, 0.1);
    try { svmLoss(s.W, s.X, s.y, -1); } catch { /* refused before allocating */ }
  }
  assert.is((await init()).memoryBytes, before);
});

svm('rows without a margin violation (all-zero gradient rows) give the reference loss and gradient', async () => {
  const rng = mulberry32(77);
  const D = 37, C = 10, N = 64;
  for (const build of ['scalar', 'simd', 'relaxed']) {
    await init({ build });
    for (const satisfied of [0, 5, 8, 32, 60, 64]) {
      // The first `satisfied` rows carry a strong signal of their label (feature 1 + label, weight 1):
      // every margin holds, so their gradient rows are zero.
      const X = { data: new Float32Array(N * D), rows: N, cols: D };
      const y = Array.from({ length: N }, (_, i) => i % C);
      for (let i = 0; i < N * D; i++) X.data[i] = rng() - 0.5;
      for (let i = 0; i < satisfied; i++) X.data[i * D + 1 + y[i]] = 50;
      const W = new Float32Array(D * C);
      for (let i = 0; i < W.length; i++) W[i] = (rng() - 0.5) * 0.01;
      for (let j = 0; j < C; j++) W[(1 + j) * C + j] = 1;
      const Wm = { data: W, rows: D, cols: C };
      assertClose(svmLoss(Wm, X, y, 0.01), referenceSvmLoss(W, X, y, C, 0.01), `${build}, ${satisfied} satisfied rows`);
    }
  }
  await init();
});

svm.run();

// ---- softmaxLoss ---------------------------------------------------------------------------

const softmax = suite('softmaxLoss');
softmax.before(async () => { await init(); });

softmax('the lecture example: probabilities 0.13, 0.87, 0.00 and loss 2.04', async () => {
  const ref = referenceSoftmaxLoss([3.2, 5.1, -1.7], { data: new Float32Array([1]), rows: 1, cols: 1 }, [0], 3, 0);
  await eachBuild((build) => {
    const { loss, grad } = softmaxLoss([[3.2, 5.1, -1.7]], [[1]], [0], 0);
    // dL/dW = x (p - onehot) with x = 1, so p = grad + onehot.
    const p = Array.from(grad.data, (g, j) => g + (j === 0 ? 1 : 0));
    assert.equal(p.map(round2), [0.13, 0.87, 0], `${build}: ${p}`);
    assert.ok(Math.abs(p.reduce((a, b) => a + b) - 1) < 1e-6, `${build}: probabilities sum to 1`);
    assert.is(round2(loss), 2.04);
    assert.ok(Math.abs(loss - ref.loss) <= 1e-5, `${build}: loss ${loss}, reference ${ref.loss}`);
    assert.ok(Math.abs(loss + Math.log(p[0])) <= 1e-5, `${build}: loss is -log p[label]`);
  });
});

softmax('is about log C = 2.302 for small random W (the lecture sanity check)', async () => {
  const rng = mulberry32(8), normal = gaussian(rng);
  const D = 3073, C = 10, N = 50;
  const W = matrix(D, C, () => 0.0001 * normal());
  const X = matrix(N, D, () => 2 * rng() - 1);
  const y = labels(rng, N, C);
  await eachBuild((build) => {
    const { loss } = softmaxLoss(W, X, y, 0);
    assert.ok(Math.abs(loss - Math.log(C)) < 0.05, `${build}: ${loss}`);
  });
});

softmax('equals referenceSoftmaxLoss for every shape, reg and build', async () => {
  const refs = SHAPES.map((s) => [0, 0.1].map((reg) => referenceSoftmaxLoss(s.W.data, s.X, s.y, s.C, reg)));
  await eachBuild((build) => {
    SHAPES.forEach((s, i) => {
      [0, 0.1].forEach((reg, r) => {
        assertClose(softmaxLoss(s.W, s.X, s.y, reg), refs[i][r], `${build} ${s.u8 ? 'u8' : 'f32'} D=${s.D} N=${s.N} C=${s.C} reg=${reg}`);
      });
    });
  });
});

softmax('is shift-invariant: adding a constant to every class score changes nothing', () => {
  // Scores [1000, 1001, 999]: exp overflows without the row max subtracted.
  const a = softmaxLoss([[0, 1, -1]], [[1]], [2], 0);
  const b = softmaxLoss([[1000, 1001, 999]], [[1]], [2], 0);
  assert.ok(Number.isFinite(b.loss), `loss ${b.loss}`);
  assert.ok(Math.abs(a.loss - b.loss) < 1e-5, `${a.loss} vs ${b.loss}`);
  for (let j = 0; j < 3; j++) assert.ok(Math.abs(a.grad.data[j] - b.grad.data[j]) < 1e-6);
});

softmax('stays finite (log-sum-exp) when the label score is far below the top score', async () => {
  // The true loss is 120 (= log(1 + e^-120) + 120); e^-120 underflows in f32, so -log(p_y) would be Infinity.
  const ref = referenceSoftmaxLoss([0, 120], { data: new Float32Array([1]), rows: 1, cols: 1 }, [0], 2, 0);
  await eachBuild((build) => {
    const { loss, grad } = softmaxLoss([[0, 120]], [[1]], [0], 0);
    assert.equal(Array.from(grad.data), [-1, 1], `${build}: gradient`);
    assert.ok(Math.abs(loss - ref.loss) <= 1e-4 * ref.loss, `${build}: loss ${loss}, reference ${ref.loss}`);
  });
});

softmax('refuses bad W, labels and reg like svmLoss', () => {
  throwsCode(() => softmaxLoss([[1, 2, 3]], IDENTITY, [0, 1, 2], 0), 'ERR_ARG_RANGE', /Expected W to be D x C with D = X\.cols \(3\), got 1 x 3/);
  throwsCode(() => softmaxLoss(LECTURE_W, IDENTITY, [0, 3, 2], 0), 'ERR_ARG_RANGE', /y\[1\].*\[0, 3\).*3/);
  throwsCode(() => softmaxLoss(LECTURE_W, IDENTITY, [0.5, 1, 2], 0), 'ERR_ARG_RANGE', /y\[0\].*integer.*0\.5/);
  throwsCode(() => softmaxLoss(LECTURE_W, IDENTITY, [0, 1, 2], -0.5), 'ERR_ARG_RANGE', /Expected reg >= 0, got -0\.5/);
  throwsCode(() => softmaxLoss(LECTURE_W, IDENTITY, [0, 1, 2], NaN), 'ERR_ARG_RANGE', /Expected reg to be a finite number, got NaN/);
});

softmax.run();

// ---- gradCheck -----------------------------------------------------------------------------

const check = suite('gradCheck');
check.before(async () => { await init(); });

/** Random continuous data: margins never sit exactly on the SVM kink. */
function gradCheckCase(seed, D, N, C) {
  const rng = mulberry32(seed), normal = gaussian(rng);
  return {
    D, N, C,
    W: matrix(D, C, () => 0.5 * normal()),
    X: matrix(N, D, () => normal()),
    y: labels(rng, N, C),
  };
}

const GRAD_CASES = [gradCheckCase(11, 5, 20, 3), gradCheckCase(12, 40, 30, 10), gradCheckCase(13, 17, 9, 13)];
// Moderate reg keeps every coordinate of the gradient away from 0, where relative errors are noise.
const GRAD_REG = 0.5;

check('the wasm SVM gradient matches the numeric gradient of the f64 reference loss', async () => {
  await eachBuild((build) => {
    for (const { W, X, y, C, D } of GRAD_CASES) {
      const { grad } = svmLoss(W, X, y, GRAD_REG);
      const f = (w) => referenceSvmLoss(w.data, X, y, C, GRAD_REG).loss;
      const r = gradCheck(f, W, grad.data, { samples: 25, h: 1e-5, seed: D });
      assert.is(r.indices.length, 25);
      assert.ok(r.maxRelativeError < 1e-4, `${build} D=${D}: max relative error ${r.maxRelativeError} (${r.relativeErrors.map((e) => e.toExponential(1))})`);
    }
  });
});

check('the wasm softmax gradient matches the numeric gradient of the f64 reference loss', async () => {
  await eachBuild((build) => {
    for (const { W, X, y, C, D } of GRAD_CASES) {
      const { grad } = softmaxLoss(W, X, y, GRAD_REG);
      const f = (w) => referenceSoftmaxLoss(w.data, X, y, C, GRAD_REG).loss;
      const r = gradCheck(f, W, grad.data, { samples: 25, h: 1e-5, seed: D });
      assert.ok(r.maxRelativeError < 1e-4, `${build} D=${D}: max relative error ${r.maxRelativeError}`);
    }
  });
});

check('a numeric gradient of the f32 wasm softmax loss itself (h = 1e-2) agrees to 1e-2', async () => {
  await eachBuild((build) => {
    for (const { W, X, y, D } of GRAD_CASES) {
      const { grad } = softmaxLoss(W, X, y, GRAD_REG);
      const r = gradCheck((w) => softmaxLoss(w, X, y, GRAD_REG).loss, W, grad.data, { samples: 15, h: 1e-2, seed: D + 1 });
      assert.ok(r.maxRelativeError < 1e-2, `${build} D=${D}: max relative error ${r.maxRelativeError}`);
    }
  });
});

check('detects a wrong gradient', () => {
  const { W, X, y, C } = GRAD_CASES[0];
  const { grad } = softmaxLoss(W, X, y, GRAD_REG);
  const f = (w) => referenceSoftmaxLoss(w.data, X, y, C, GRAD_REG).loss;
  const wrong = gradCheck(f, W, grad.data.map((g) => 1.1 * g), { samples: 10, seed: 1 });
  assert.ok(wrong.maxRelativeError > 0.04, `scaled gradient: ${wrong.maxRelativeError}`);
  const zero = gradCheck(f, W, new Float32Array(grad.data.length), { samples: 10, seed: 1 });
  assert.ok(zero.maxRelativeError > 0.99, `zero gradient: ${zero.maxRelativeError}`);
});

check('reports each sample, is seeded, and leaves W unchanged', () => {
  // f(W) = sum W^2 has gradient 2W.
  const W = matrix(4, 3, gaussian(mulberry32(5)));
  const copy = Float32Array.from(W.data);
  const f = (w) => w.data.reduce((s, v) => s + v * v, 0);
  const a = gradCheck(f, W, W.data.map((v) => 2 * v), { samples: 8, seed: 3 });
  const b = gradCheck(f, W, W.data.map((v) => 2 * v), { samples: 8, seed: 3 });
  assert.equal(W.data, copy);
  assert.equal(a, b);
  for (const key of ['indices', 'numeric', 'analytic', 'relativeErrors']) assert.is(a[key].length, 8, key);
  for (const i of a.indices) assert.ok(Number.isInteger(i) && i >= 0 && i < 12);
  assert.is(a.maxRelativeError, Math.max(...a.relativeErrors));
  assert.ok(a.maxRelativeError < 1e-3, `${a.maxRelativeError}`);
});

check('never reports NaN when h is below the f32 resolution of W: refuses it or widens the step', () => {
  // f32 spacing at 300 is 3.05e-5 > 2h for the default h = 1e-5: W + h rounds back to W.
  const f = (w) => w.data[0] * w.data[0];
  for (const [W, grad, options] of [[[[300]], [600], {}], [[[1]], [2], { h: 1e-9 }]]) {
    let result = null, err = null;
    try {
      result = gradCheck(f, W, grad, { samples: 1, ...options });
    } catch (e) {
      err = e;
    }
    if (err !== null) {
      assert.is(err.code, 'ERR_ARG_RANGE');
      assert.match(err.message, /\bh\b/);
    } else {
      assert.ok(Number.isFinite(result.numeric[0]), `W = ${W[0][0]}, h = ${options.h ?? 1e-5}: numeric gradient ${result.numeric[0]}`);
      assert.ok(result.maxRelativeError < 1e-3, `W = ${W[0][0]}: max relative error ${result.maxRelativeError}`);
    }
  }
});

check('refuses an analytic gradient of the wrong length, and bad options', () => {
  const W = matrix(4, 3, () => 1);
  const f = () => 0;
  throwsCode(() => gradCheck(f, W, new Float32Array(11)), 'ERR_ARG_RANGE', /Expected analyticGrad to have 12 values like W, got 11/);
  throwsCode(() => gradCheck(f, W, new Float32Array(12), { samples: 0 }), 'ERR_ARG_RANGE', /samples/);
  throwsCode(() => gradCheck(f, W, new Float32Array(12), { h: 0 }), 'ERR_ARG_RANGE', /\bh\b/);
  throwsCode(() => gradCheck(f, W, new Float32Array(12), { h: NaN }), 'ERR_ARG_RANGE', /\bh\b/);
});

check.run();

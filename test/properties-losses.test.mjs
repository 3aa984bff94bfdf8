// Properties of svmLoss and softmaxLoss (src/losses.ts -> assembly/loss.ts, assembly/gemm.ts) over
// random shapes, dtypes, scales and reg: loss and gradient against the f64 references of
// src/reference.ts, and the gradient against centred differences of the reference loss (gradCheck).
// Seeds and case counts: test/property-config.mjs.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { init, svmLoss, softmaxLoss, gradCheck } from '../dist/node.js';
import { referenceSvmLoss, referenceSoftmaxLoss } from '../dist/reference.js';
import { BUILDS } from './helpers.mjs';
import { fc, propertyTest, realIn, logUniform } from './property-config.mjs';

const FILE = 'test/properties-losses.test.mjs';

/** Relative tolerance of the f32 kernels against the f64 reference (as in test/losses.test.mjs). */
const TOL = 1e-4;

const LOSSES = {
  svm: { kernel: svmLoss, reference: referenceSvmLoss },
  softmax: { kernel: softmaxLoss, reference: referenceSoftmaxLoss },
};

/**
 * W (D x C, C >= 2), X (N x D, u8 or f32), labels and reg, in one of three kinds of values:
 *  - 'real': X holds u8 pixels or arbitrary f32 values in [-4, 4]; W arbitrary values in [-4, 4]
 *    times a power of two chosen so that class scores are of order 2^-3 .. 2^2 (softmax
 *    probabilities then stay well conditioned in f32).
 *  - 'dyadic': the same scales, W from the multiples of 1/64 (times that power of two) and f32 X
 *    from the multiples of 1/16: every score, and every score against w_{C-1}, is exact in f32.
 *  - 'hinge': X in {0, 1, 2}, W in the multiples of 1/2 in [-2, 2]: small exact scores, so that SVM
 *    margins of exactly 0 (on the hinge: no violation, margin > 0 counts) are frequent.
 * Exact kinds must match the reference at every margin; see nearKink for 'real'.
 */
function lossCase({ realOnly = false, regMin = 0 } = {}) {
  return fc
    .record({
      D: fc.integer({ min: 1, max: 48 }),
      N: fc.integer({ min: 1, max: 24 }),
      C: fc.integer({ min: 2, max: 12 }),
      u8: fc.boolean(),
      values: realOnly ? fc.constant('real') : fc.constantFrom('real', 'dyadic', 'hinge'),
      scaleShift: fc.integer({ min: -3, max: 2 }),
      reg: regMin > 0
        ? logUniform(Math.log10(regMin), 0)
        : fc.oneof(fc.constant(0), logUniform(-4, 1)),
    })
    .chain((s) => {
      const real = s.values === 'real', hinge = s.values === 'hinge';
      const xValue = hinge ? fc.integer({ min: 0, max: 2 })
        : s.u8 ? fc.integer({ min: 0, max: 255 })
        : real ? realIn(-4, 4) : fc.integer({ min: -64, max: 64 }).map((q) => q / 16);
      const wValue = hinge ? fc.integer({ min: -4, max: 4 }).map((q) => q / 2)
        : real ? realIn(-4, 4) : fc.integer({ min: -256, max: 256 }).map((q) => q / 64);
      return fc.record({
        s: fc.constant(s),
        W: fc.array(wValue, { minLength: s.D * s.C, maxLength: s.D * s.C }),
        X: fc.array(xValue, { minLength: s.N * s.D, maxLength: s.N * s.D }),
        y: fc.array(fc.nat({ max: s.C - 1 }), { minLength: s.N, maxLength: s.N }),
      });
    });
}

function materialize(c) {
  const { D, N, C, u8, scaleShift, values } = c.s;
  const xMax = u8 ? 255 : 4;
  const wScale = values === 'hinge' ? 1 : 2 ** (scaleShift - Math.ceil(Math.log2(xMax * Math.sqrt(D))));
  const W = { data: Float32Array.from(c.W, (v) => v * wScale), rows: D, cols: C };
  const X = { data: (u8 ? Uint8Array : Float32Array).from(c.X), rows: N, cols: D };
  const y = Int32Array.from(c.y);
  return { W, X, y, label: `${u8 ? 'u8' : 'f32'} ${values} D=${D} N=${N} C=${C} reg=${c.s.reg} W scale 2^${Math.log2(wScale)}` };
}

/** Class scores x_i . W in f64, for the SVM margins. */
function scores(W, X, i) {
  const { rows: D, cols: C } = W;
  const s = new Float64Array(C);
  for (let d = 0; d < D; d++) for (let j = 0; j < C; j++) s[j] += X.data[i * D + d] * W.data[d * C + j];
  return s;
}

/**
 * Whether some SVM margin s_j - s_y + 1 (j != y) lies within slack(i, j) of the hinge at 0, where
 * rounding (or a step of the numeric gradient) may put it on either side. A margin exactly 0 in f64
 * counts too: the kernel scores against w_j - w_{C-1} (assembly/loss.ts), so with arbitrary f32
 * values its margin may round to either side of 0 even when the true one is exactly 0.
 */
function nearKink(W, X, y, slack) {
  for (let i = 0; i < X.rows; i++) {
    const s = scores(W, X, i);
    for (let j = 0; j < W.cols; j++) {
      if (j !== y[i] && Math.abs(s[j] - s[y[i]] + 1) <= slack(i, j)) return true;
    }
  }
  return false;
}

/** sum_d |x_id| (|W_dj| + |W_dy|): the scale of the rounding error of one f32 margin. */
function marginScale(W, X, y, i, j) {
  const { rows: D, cols: C } = W;
  let s = 0;
  for (let d = 0; d < D; d++) s += Math.abs(X.data[i * D + d]) * (Math.abs(W.data[d * C + j]) + Math.abs(W.data[d * C + y[i]]));
  return s;
}

/**
 * The scale of the f32 rounding error of the gradient: the largest |gradient| value, or the sum of
 * the magnitudes it is accumulated from, (1/N) sum_i |x_id| times the largest per-row factor (C - 1
 * hinges into the label's column for the SVM, a probability <= 1 for softmax), plus 2 reg |W|.
 * Cancelling rows can leave a gradient far smaller than its summands.
 */
function gradScale(kind, W, X, reg, grad) {
  const { rows: D, cols: C } = W;
  const perRow = kind === 'svm' ? C - 1 : 1;
  let scale = 1e-6;
  for (const g of grad) scale = Math.max(scale, Math.abs(g));
  for (let d = 0; d < D; d++) {
    let sum = 0;
    for (let i = 0; i < X.rows; i++) sum += Math.abs(X.data[i * D + d]);
    let w = 0;
    for (let j = 0; j < C; j++) w = Math.max(w, Math.abs(W.data[d * C + j]));
    scale = Math.max(scale, (perRow * sum) / X.rows + 2 * reg * w);
  }
  return scale;
}

function assertClose(kind, got, ref, W, X, reg, label) {
  // The loss is compared on the scale of the scores it sums (f32 rounding grows with sum |x w|).
  let scoreScale = 0;
  for (let i = 0; i < X.rows; i++) for (let d = 0; d < X.cols; d++) {
    let top = 0;
    for (let j = 0; j < W.cols; j++) top = Math.max(top, Math.abs(W.data[d * W.cols + j]));
    scoreScale += Math.abs(X.data[i * X.cols + d]) * top;
  }
  scoreScale /= X.rows;
  assert.ok(Number.isFinite(got.loss), `${label}: finite loss, got ${got.loss}`);
  const lossScale = Math.max(1, Math.abs(ref.loss), scoreScale);
  assert.ok(Math.abs(got.loss - ref.loss) <= TOL * lossScale, `${label}: loss ${got.loss}, reference ${ref.loss} (scale ${lossScale})`);
  assert.ok(got.grad.data instanceof Float32Array, `${label}: grad is f32`);
  assert.is(got.grad.rows, W.rows, `${label}: grad rows`);
  assert.is(got.grad.cols, W.cols, `${label}: grad cols`);
  const scale = gradScale(kind, W, X, reg, ref.grad);
  for (let i = 0; i < ref.grad.length; i++) {
    if (!(Math.abs(got.grad.data[i] - ref.grad[i]) <= TOL * scale)) {
      assert.unreachable(`${label}: grad[${i}] (d ${Math.floor(i / W.cols)}, class ${i % W.cols}) is ${got.grad.data[i]}, reference ${ref.grad[i]} (scale ${scale})`);
    }
  }
}

// ---------------------------------------------------------------------------------------------
const losses = suite('properties: losses');

for (const [name, { kernel, reference }] of Object.entries(LOSSES)) {
  for (const build of BUILDS) {
    propertyTest(losses, FILE, `${name}Loss equals the reference loss and gradient (${build} build)`, () =>
      fc.asyncProperty(lossCase(), async (c) => {
        assert.is((await init({ build })).build, build);
        const { W, X, y, label } = materialize(c);
        // 'real' values: a hinge within rounding of 0 may count either way (a gradient that differs
        // by x_i / N); such cases are skipped. 'dyadic' and 'hinge' values never are: every margin,
        // against w_{C-1} included, is exact in f32, so a margin of exactly 0 must not count.
        if (name === 'svm' && c.s.values === 'real') fc.pre(!nearKink(W, X, y, (i, j) => 1e-5 * marginScale(W, X, y, i, j)));
        const W0 = Float32Array.from(W.data), X0 = X.data.slice();
        const got = kernel(W, X, y, c.s.reg);
        assert.equal(W.data, W0, `${label}: W unchanged`);
        assert.equal(X.data, X0, `${label}: X unchanged`);
        assertClose(name, got, reference(W.data, X, y, c.s.C, c.s.reg), W, X, c.s.reg, `${build} ${name} ${label}`);
      }), { weight: 0.5 });
  }
}

// Centred differences of the f64 reference loss at a few sampled coordinates against the wasm
// gradient. Arbitrary (non-dyadic) values, reg > 0; SVM cases with a hinge within reach of the
// step (|margin| <= 2 h max|x|, plus rounding) are skipped: the loss has a kink there.
const H = 1e-5;
for (const build of BUILDS) {
  propertyTest(losses, FILE, `svm and softmax gradients agree with centred differences (${build} build)`, () =>
    fc.asyncProperty(lossCase({ realOnly: true, regMin: 1e-3 }), fc.constantFrom('svm', 'softmax'), fc.nat(), async (c, name, seed) => {
      assert.is((await init({ build })).build, build);
      const { W, X, y, label } = materialize(c);
      let xMax = 0;
      for (const v of X.data) xMax = Math.max(xMax, Math.abs(v));
      if (name === 'svm') fc.pre(!nearKink(W, X, y, (i, j) => 4 * H * xMax + 1e-5 * marginScale(W, X, y, i, j)));
      const { kernel, reference } = LOSSES[name];
      const { grad } = kernel(W, X, y, c.s.reg);
      const f = (w) => reference(w.data, X, y, c.s.C, c.s.reg).loss;
      const r = gradCheck(f, W, grad.data, { samples: 4, h: H, seed });
      const scale = gradScale(name, W, X, c.s.reg, grad.data);
      r.indices.forEach((at, s) => {
        const numeric = r.numeric[s], analytic = r.analytic[s];
        // Relative error as gradCheck reports it, or (for coordinates near 0, or a gradient that
        // cancels) absolute on the scale of its f32 rounding error.
        const ok = r.relativeErrors[s] < TOL || Math.abs(numeric - analytic) <= TOL * scale;
        if (!ok) {
          assert.unreachable(`${build} ${name} ${label}: W[${at}] numeric ${numeric}, analytic ${analytic}, relative error ${r.relativeErrors[s]} (error scale ${scale})`);
        }
      });
    }), { weight: 0.5 });
}

let before;
losses.before(async () => { before = (await init()).build; });
losses.after(async () => { await init({ build: before }); });

losses.run();

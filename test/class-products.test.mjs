// The class-major products of the linear classifiers (assembly/gemm.ts packClassPanels,
// classScoresF32 and classGradF32), called on raw wasm memory under every build against plain
// f64 sums: row and class counts around the 3 x 3 register tile, dims around the 12-float step,
// the shifted classes of lossGrad, accumulation, and empty input.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { weightLayout, writeRows } from '../dist/layout.js';
import { core } from '../dist/runtime.js';
import { eachBuild, mulberry32 } from './helpers.mjs';

const ROWS = [0, 1, 2, 3, 4, 5, 7, 25];
const CLASSES = [0, 1, 2, 3, 4, 5, 9, 10];
const DIMS = [1, 11, 12, 13, 40];

/** One shape's inputs, and the wasm blocks they go in: X m x ld, W^T / dW^T class rows of ld bytes, S m x lds, panels. */
function fixture(rng, m, classes, dims) {
  const { ld, lds, scorePanelBytes } = weightLayout(dims, classes);
  const X = Float32Array.from({ length: m * dims }, () => rng() * 2 - 1);
  // One more row than classes: the row lossGrad subtracts from the others.
  const W = Float32Array.from({ length: (classes + 1) * dims }, () => rng() * 2 - 1);
  const dS = Float32Array.from({ length: m * classes }, () => rng() * 2 - 1);
  const dW0 = Float32Array.from({ length: classes * dims }, () => rng() * 2 - 1);
  const sizes = [m * ld, (classes + 1) * ld, m * lds, classes * ld, scorePanelBytes];
  return { ld, lds, X, W, dS, dW0, sizes };
}

/** Writes rows x cols values into rows of `stride` bytes, zeroing the padding. */
function put(c, ptr, values, rows, cols, stride) {
  writeRows(c, { data: values, rows, cols }, 0, rows, ptr, stride);
}

function get(c, ptr, rows, cols, stride) {
  const heap = c.f32, width = stride >> 2, base = ptr >>> 2, out = new Float64Array(rows * cols);
  for (let r = 0; r < rows; r++) for (let j = 0; j < cols; j++) out[r * cols + j] = heap[base + r * width + j];
  return out;
}

function assertNear(actual, expected, scale, label) {
  assert.is(actual.length, expected.length, label);
  for (let i = 0; i < expected.length; i++) {
    if (!(Math.abs(actual[i] - expected[i]) <= 1e-5 * scale)) {
      assert.unreachable(`${label}: value ${i} is ${actual[i]}, expected ${expected[i]}`);
    }
  }
}

const scores = suite('classScoresF32');

scores('S = X W^T through packed panels on every build, row and class count around the 3 x 3 tile, plain and shifted', async () => {
  await eachBuild((build) => {
    const c = core(), rng = mulberry32(101);
    for (const m of ROWS) for (const classes of CLASSES) for (const dims of DIMS) {
      const f = fixture(rng, m, classes, dims);
      for (const shifted of [false, true]) {
        c.scoped((scope) => {
          const [x, w, s, , panels] = f.sizes.map((bytes) => scope.alloc(Math.max(16, bytes), 'test block'));
          put(c, x, f.X, m, dims, f.ld);
          put(c, w, f.W, classes + 1, dims, f.ld);
          c.f32.fill(-7, s >>> 2, (s + m * f.lds) >>> 2);
          c.kernels.packClassPanels(w, f.ld, classes, shifted ? w + classes * f.ld : 0, panels);
          c.kernels.classScoresF32(x, f.ld, m, panels, classes, s, f.lds);
          const weight = (j, d) => f.W[j * dims + d] - (shifted ? f.W[classes * dims + d] : 0);
          const expected = new Float64Array(m * classes);
          for (let i = 0; i < m; i++) for (let j = 0; j < classes; j++) {
            let sum = 0;
            for (let d = 0; d < dims; d++) sum += f.X[i * dims + d] * weight(j, d);
            expected[i * classes + j] = sum;
          }
          const label = `${build}, m ${m}, classes ${classes}, dims ${dims}, shifted ${shifted}`;
          assertNear(get(c, s, m, classes, f.lds), expected, 2 * dims, label);
          // Lanes past the last class are never written.
          const width = f.lds >> 2;
          for (let i = 0; i < m; i++) for (let j = classes; j < width; j++) assert.is(c.f32[(s >>> 2) + i * width + j], -7, `${label}: padding lane ${j}`);
        });
      }
    }
  });
});

scores.run();

const grad = suite('classGradF32');

grad('dW^T = dS^T X, overwritten or accumulated, on every build', async () => {
  await eachBuild((build) => {
    const c = core(), rng = mulberry32(202);
    for (const m of ROWS) for (const classes of CLASSES) for (const dims of DIMS) {
      const f = fixture(rng, m, classes, dims);
      for (const accumulate of [0, 1]) {
        c.scoped((scope) => {
          const [x, , s, dw] = f.sizes.map((bytes) => scope.alloc(Math.max(16, bytes), 'test block'));
          put(c, x, f.X, m, dims, f.ld);
          put(c, s, f.dS, m, classes, f.lds);
          put(c, dw, f.dW0, classes, dims, f.ld);
          c.kernels.classGradF32(x, f.ld, m, s, f.lds, classes, dw, accumulate);
          const expected = new Float64Array(classes * dims);
          for (let j = 0; j < classes; j++) for (let d = 0; d < dims; d++) {
            let sum = accumulate ? f.dW0[j * dims + d] : 0;
            for (let i = 0; i < m; i++) sum += f.dS[i * classes + j] * f.X[i * dims + d];
            expected[j * dims + d] = sum;
          }
          const label = `${build}, m ${m}, classes ${classes}, dims ${dims}, accumulate ${accumulate}`;
          assertNear(get(c, dw, classes, dims, f.ld), expected, m + 1, label);
          // The padded dims of X are zero, so those of dW^T stay zero (or keep their 0 when accumulating).
          const width = f.ld >> 2;
          for (let j = 0; j < classes; j++) for (let d = dims; d < width; d++) assert.ok(c.f32[(dw >>> 2) + j * width + d] === 0, `${label}: padding dim ${d}`);
        });
      }
    }
  });
});

grad.run();

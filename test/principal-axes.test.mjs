// leadingEigenvectors (src/principal-axes.ts): orthonormal rows, decreasing eigenvalues and small
// residuals on random covariances, a known spectrum recovered, zero and rank-deficient matrices,
// determinism, and argument validation.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { leadingEigenvectors } from '../dist/principal-axes.js';
import { Random } from '../dist/random.js';

// ---- local helpers -------------------------------------------------------------------------

const dot = (x, y) => x.reduce((sum, xi, k) => sum + xi * y[k], 0);
const norm = (x) => Math.sqrt(dot(x, x));
const row = (rows, i, n) => rows.subarray(i * n, (i + 1) * n);

/** A v for the n x n row-major a. */
function multiply(a, n, v) {
  return Float64Array.from({ length: n }, (_, i) => dot(row(a, i, n), v));
}

/** X^T X for an rows x n matrix X of standard normal draws: a random covariance-like matrix. */
function randomCovariance(random, rows, n) {
  const x = Float64Array.from({ length: rows * n }, () => random.normal());
  const a = new Float64Array(n * n);
  for (let r = 0; r < rows; r++) {
    for (let i = 0; i < n; i++) for (let k = 0; k < n; k++) a[i * n + k] += x[r * n + i] * x[r * n + k];
  }
  return a;
}

/** n random orthonormal rows of n (Gram-Schmidt, twice, of normal draws). */
function randomOrthogonal(random, n) {
  const u = Float64Array.from({ length: n * n }, () => random.normal());
  for (let j = 0; j < n; j++) {
    const v = row(u, j, n);
    for (let pass = 0; pass < 2; pass++) {
      for (let i = 0; i < j; i++) {
        const d = dot(row(u, i, n), v);
        for (let k = 0; k < n; k++) v[k] -= d * u[i * n + k];
      }
    }
    const length = norm(v);
    for (let k = 0; k < n; k++) v[k] /= length;
  }
  return u;
}

/** U^T diag(values) U: the symmetric matrix whose eigenvectors are the rows of u. */
function fromSpectrum(u, values, n) {
  const a = new Float64Array(n * n);
  values.forEach((value, l) => {
    for (let i = 0; i < n; i++) for (let k = 0; k < n; k++) a[i * n + k] += value * u[l * n + i] * u[l * n + k];
  });
  return a;
}

/** Largest |v_i . v_j - delta_ij| over the m rows of n. */
function orthonormalityError(vectors, m, n) {
  let worst = 0;
  for (let i = 0; i < m; i++) {
    for (let j = 0; j < m; j++) worst = Math.max(worst, Math.abs(dot(row(vectors, i, n), row(vectors, j, n)) - (i === j ? 1 : 0)));
  }
  return worst;
}

/** ||A v - lambda v|| of the i-th returned pair. */
function residual(a, n, result, i) {
  const v = row(result.vectors, i, n), av = multiply(a, n, v);
  return norm(av.map((x, k) => x - result.values[i] * v[k]));
}

/** The checks every result passes: shapes, no NaN, orthonormal rows, decreasing values that are the Rayleigh quotients. */
function assertWellFormed(result, a, n, m, label) {
  assert.ok(result.vectors instanceof Float64Array && result.values instanceof Float64Array, label);
  assert.is(result.vectors.length, m * n, `${label}: vectors length`);
  assert.is(result.values.length, m, `${label}: values length`);
  assert.ok(result.vectors.every(Number.isFinite) && result.values.every(Number.isFinite), `${label}: finite`);
  const error = orthonormalityError(result.vectors, m, n);
  assert.ok(error < 1e-9, `${label}: orthonormality error ${error}`);
  const scale = Math.max(norm(a), Number.MIN_VALUE);
  for (let i = 0; i < m; i++) {
    if (i > 0) assert.ok(result.values[i] <= result.values[i - 1], `${label}: values[${i}] ${result.values[i]} > values[${i - 1}] ${result.values[i - 1]}`);
    const v = row(result.vectors, i, n), quotient = dot(v, multiply(a, n, v));
    assert.ok(Math.abs(quotient - result.values[i]) <= 1e-12 * scale, `${label}: values[${i}] ${result.values[i]} is not v A v = ${quotient}`);
  }
}

const throwsRange = (fn, name) => assert.throws(fn, (err) => err instanceof RangeError && new RegExp(`\\b${name}\\b`).test(err.message), `RangeError naming ${name}`);

// ---------------------------------------------------------------------------------------------

test('random covariances: orthonormal rows, decreasing values that are Rayleigh quotients', () => {
  const random = new Random(11);
  for (const [n, m] of [[1, 1], [5, 1], [5, 5], [37, 3], [37, 37], [100, 16], [100, 60]]) {
    const a = randomCovariance(random, n + 3, n);
    assertWellFormed(leadingEigenvectors(a, n, m), a, n, m, `n ${n}, m ${m}`);
  }
});

test('m + oversample >= n: the exact eigen-decomposition (residuals, trace)', () => {
  const random = new Random(12);
  for (const [n, m, oversample] of [[5, 5, 8], [37, 37, 0], [37, 30, 8], [100, 100, 0]]) {
    const a = randomCovariance(random, 2 * n, n), scale = norm(a);
    const result = leadingEigenvectors(a, n, m, { oversample });
    assertWellFormed(result, a, n, m, `n ${n}, m ${m}`);
    for (let i = 0; i < m; i++) assert.ok(residual(a, n, result, i) <= 1e-9 * scale, `n ${n}, m ${m}: residual ${i}`);
    if (m === n) {
      let trace = 0;
      for (let i = 0; i < n; i++) trace += a[i * n + i];
      const sum = result.values.reduce((s, x) => s + x, 0);
      assert.ok(Math.abs(sum - trace) <= 1e-10 * trace, `n ${n}: sum of values ${sum}, trace ${trace}`);
    }
  }
});

test('a known spectrum with gaps (lambda_i = 2^-i): values, vectors up to sign, residuals', () => {
  const random = new Random(13);
  for (const [n, m] of [[5, 5], [37, 8], [100, 16]]) {
    const u = randomOrthogonal(random, n), lambda = Array.from({ length: n }, (_, i) => 2 ** -i);
    const a = fromSpectrum(u, lambda, n);
    const result = leadingEigenvectors(a, n, m);
    assertWellFormed(result, a, n, m, `n ${n}, m ${m}`);
    for (let i = 0; i < m; i++) {
      const label = `n ${n}, m ${m}, i ${i}`;
      assert.ok(Math.abs(result.values[i] - lambda[i]) <= 1e-8 * lambda[i], `${label}: value ${result.values[i]}, expected ${lambda[i]}`);
      const alignment = Math.abs(dot(row(result.vectors, i, n), row(u, i, n)));
      assert.ok(1 - alignment <= 1e-9, `${label}: |v . u| = ${alignment}`);
      assert.ok(residual(a, n, result, i) <= 1e-6 * lambda[0], `${label}: residual ${residual(a, n, result, i)}`);
    }
  }
});

test('negative eigenvalues with m = n: all of them, in decreasing order', () => {
  const n = 6, random = new Random(14);
  const u = randomOrthogonal(random, n), lambda = [3, -5, 0.5, -0.25, 2, 0];
  const result = leadingEigenvectors(fromSpectrum(u, lambda, n), n, n);
  const expected = [...lambda].sort((x, y) => y - x);
  expected.forEach((value, i) => assert.ok(Math.abs(result.values[i] - value) <= 1e-12 * 5, `values[${i}] ${result.values[i]}, expected ${value}`));
});

test('the zero matrix: m orthonormal rows, eigenvalues 0', () => {
  for (const [n, m] of [[1, 1], [6, 6], [20, 8]]) {
    const a = new Float64Array(n * n), result = leadingEigenvectors(a, n, m);
    assertWellFormed(result, a, n, m, `n ${n}, m ${m}`);
    assert.ok(result.values.every((x) => x === 0), `n ${n}, m ${m}: values ${result.values}`);
  }
});

test('rank 2: the two eigenpairs, then orthonormal completions with eigenvalue ~0', () => {
  const random = new Random(15);
  for (const [n, m] of [[30, 8], [30, 16], [10, 10]]) {
    const u = randomOrthogonal(random, n), lambda = [4, 1.5, ...new Array(n - 2).fill(0)];
    const a = fromSpectrum(u, lambda, n);
    const result = leadingEigenvectors(a, n, m);
    assertWellFormed(result, a, n, m, `n ${n}, m ${m}`);
    for (let i = 0; i < m; i++) {
      const label = `n ${n}, m ${m}, i ${i}`;
      assert.ok(Math.abs(result.values[i] - lambda[i]) <= 1e-12 * 4, `${label}: value ${result.values[i]}, expected ${lambda[i]}`);
      assert.ok(residual(a, n, result, i) <= 1e-10 * 4, `${label}: residual ${residual(a, n, result, i)}`);
    }
  }
});

test('n = 1: the number itself and a unit vector', () => {
  for (const x of [3, 0, -2]) {
    const result = leadingEigenvectors(new Float64Array([x]), 1, 1);
    assert.equal(Array.from(result.values), [x]);
    assert.is(Math.abs(result.vectors[0]), 1);
  }
});

test('few iterations and no oversampling still give orthonormal rows', () => {
  const random = new Random(16), n = 40, a = randomCovariance(random, 10, n);
  for (const options of [{ iterations: 1 }, { oversample: 0 }, { iterations: 1, oversample: 0 }]) {
    assertWellFormed(leadingEigenvectors(a, n, 12, options), a, n, 12, JSON.stringify(options));
  }
});

test('the same seed gives the same result, another seed the same exact eigenvalues', () => {
  const random = new Random(17), n = 30, a = randomCovariance(random, 40, n);
  const first = leadingEigenvectors(a, n, 10), again = leadingEigenvectors(a, n, 10, { seed: 1 });
  assert.equal(Array.from(again.vectors), Array.from(first.vectors));
  assert.equal(Array.from(again.values), Array.from(first.values));
  const exact = leadingEigenvectors(a, n, n), reseeded = leadingEigenvectors(a, n, n, { seed: 99 });
  exact.values.forEach((x, i) => assert.ok(Math.abs(reseeded.values[i] - x) <= 1e-12 * exact.values[0], `values[${i}]`));
});

test('bad arguments throw a RangeError naming the argument', () => {
  const a = new Float64Array(4);
  for (const n of [0, -1, 1.5, NaN, '2']) throwsRange(() => leadingEigenvectors(a, n, 1), 'n');
  for (const m of [0, 3, 1.5, NaN]) throwsRange(() => leadingEigenvectors(a, 2, m), 'm');
  throwsRange(() => leadingEigenvectors(new Float64Array(5), 2, 1), 'a');
  throwsRange(() => leadingEigenvectors(new Float64Array([1, NaN, NaN, 1]), 2, 1), 'a');
  throwsRange(() => leadingEigenvectors(new Float64Array([1, 0, 0, Infinity]), 2, 1), 'a');
  for (const iterations of [0, -1, 1.5]) throwsRange(() => leadingEigenvectors(a, 2, 1, { iterations }), 'iterations');
  for (const oversample of [-1, 0.5]) throwsRange(() => leadingEigenvectors(a, 2, 1, { oversample }), 'oversample');
  throwsRange(() => leadingEigenvectors(a, 2, 1, { seed: 0.5 }), 'seed');
  assert.throws(() => leadingEigenvectors([0, 0, 0, 0], 2, 1), (err) => err instanceof TypeError && /\ba\b/.test(err.message));
});

test.run();

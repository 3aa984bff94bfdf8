// Shared test helpers: a seeded RNG, random matrices and labels, error checkers, and the
// comparison of kernel results against the plain reference (src/reference.ts).
import * as assert from 'uvu/assert';
import { init } from '../dist/node.js';

/** The three wasm builds every kernel test runs under. */
export const BUILDS = ['scalar', 'simd', 'relaxed'];

/** Runs fn(build) under every build, then puts back the build that was current before. */
export async function eachBuild(fn) {
  const before = (await init()).build;
  try {
    for (const build of BUILDS) {
      assert.is((await init({ build })).build, build);
      await fn(build);
    }
  } finally {
    await init({ build: before });
  }
}

/** mulberry32: a tiny seeded PRNG returning floats in [0, 1). Same seed, same sequence. */
export function mulberry32(seed) {
  let a = seed >>> 0;
  return function next() {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** A rows x cols u8 Matrix with pixels uniform in [0, levels) (default the full 0..255). */
export function randomU8(rng, rows, cols, levels = 256) {
  const data = new Uint8Array(rows * cols);
  for (let i = 0; i < data.length; i++) data[i] = Math.floor(rng() * levels);
  return { data, rows, cols };
}

/** A rows x cols f32 Matrix with values (rand - 0.5) * scale, i.e. in [-scale/2, scale/2). */
export function randomF32(rng, rows, cols, scale = 4) {
  const data = new Float32Array(rows * cols);
  for (let i = 0; i < data.length; i++) data[i] = (rng() - 0.5) * scale;
  return { data, rows, cols };
}

/** A random matrix of dtype 'u8' or 'f32'. */
export function randomMatrix(rng, dtype, rows, cols) {
  return dtype === 'u8' ? randomU8(rng, rows, cols) : randomF32(rng, rows, cols);
}

/** n labels uniform in [0, numClasses). */
export function randomLabels(rng, n, numClasses) {
  const y = new Int32Array(n);
  for (let i = 0; i < n; i++) y[i] = Math.floor(rng() * numClasses);
  return y;
}

/** Copies row `from` of src over row `to` of dst (both Matrix, same cols). */
export function copyRow(src, from, dst, to) {
  const { cols } = src;
  dst.data.set(src.data.subarray(from * cols, (from + 1) * cols), to * cols);
}

/** A Matrix as number[][] (for the plain-array input path). */
export function toArrays(m) {
  return Array.from({ length: m.rows }, (_, i) => Array.from(m.data.subarray(i * m.cols, (i + 1) * m.cols)));
}

function describeError(err) {
  if (!(err instanceof Error)) return `a non-Error ${String(err)}`;
  return `${err.name} [${err.code}]: ${err.message}`;
}

function checkError(err, { code, message, type }, what) {
  assert.ok(err instanceof Error, `${what}: expected an Error, got ${describeError(err)}`);
  if (type !== undefined) assert.ok(err instanceof type, `${what}: expected a ${type.name}, got ${describeError(err)}`);
  if (code !== undefined) assert.is(err.code, code, `${what}: expected code ${code}, got ${describeError(err)}`);
  if (message !== undefined) {
    assert.ok(message instanceof RegExp, `${what}: pass the expected message as a RegExp`);
    assert.match(err.message, message, `${what}: message ${JSON.stringify(err.message)} does not match ${message}`);
  }
  return err;
}

/**
 * Asserts that a promise (or a function returning one, or throwing) rejects with an Error whose
 * `code` equals `code`, whose message matches the RegExp `message`, and (optionally) which is an
 * instance of `type`. Returns the error.
 */
export async function rejects(promiseOrFn, expected = {}) {
  let err;
  let settled = false;
  try {
    await (typeof promiseOrFn === 'function' ? promiseOrFn() : promiseOrFn);
    settled = true;
  } catch (e) {
    err = e;
  }
  assert.ok(!settled, `expected a rejection${expected.message ? ` matching ${expected.message}` : ''}, but it resolved`);
  return checkError(err, expected, 'rejection');
}

/** Like rejects, for synchronous calls: `fn` must throw (not return a rejected promise). */
export function throws(fn, expected = {}) {
  let err;
  let returned = false;
  try {
    fn();
    returned = true;
  } catch (e) {
    err = e;
  }
  assert.ok(!returned, `expected a throw${expected.message ? ` matching ${expected.message}` : ''}, but it returned`);
  return checkError(err, expected, 'throw');
}

// ---- Comparing kernel output with the reference -------------------------------------------

/** Relative tolerance for f32 kernels, against the scale of the norms involved. */
export const F32_TOL = 1e-4;

/** Per-row sums used as error scales: squared L2 norms for 'l2', L1 norms for 'l1'. */
export function rowScales(m, metric) {
  const out = new Float64Array(m.rows);
  for (let i = 0; i < m.rows; i++) {
    let s = 0;
    for (let d = 0; d < m.cols; d++) {
      const v = m.data[i * m.cols + d];
      s += metric === 'l2' ? v * v : Math.abs(v);
    }
    out[i] = s;
  }
  return out;
}

/**
 * A closeness test for distances between query i and training row j, in the units the kernel
 * rounds in: squared distances for L2 (the kernel computes ||a||^2 + ||b||^2 - 2ab), plain for L1.
 * u8 is exact: the kernel sums integers, and the API returns them (or their square root) as f32.
 * Pass `exact: true` for f32 data holding small integers, where f32 arithmetic is exact too.
 */
export function distanceChecker(a, b, metric, { exact = a.data instanceof Uint8Array, tol = F32_TOL } = {}) {
  const sa = rowScales(a, metric), sb = rowScales(b, metric);
  const key = metric === 'l2' ? (d) => d * d : (d) => d;
  return {
    exact,
    /** Is `actual` (kernel) an acceptable value for the true distance `expected` of (i, j)? */
    close(actual, expected, i, j) {
      if (exact) return actual === Math.fround(expected);
      return Math.abs(key(actual) - key(expected)) <= tol * (sa[i] + sb[j]) + 1e-30;
    },
    /** May the true distances e1 (row j1) and e2 (row j2) of query i swap places? Never when exact. */
    tied(e1, e2, i, j1, j2) {
      if (exact) return false;
      return Math.abs(key(e1) - key(e2)) <= tol * (2 * sa[i] + sb[j1] + sb[j2]);
    },
  };
}

/** Asserts computeDistances-style output (m x n) against referenceDistances. */
export function assertDistances(actual, ref, a, b, metric, label, options) {
  assert.ok(actual instanceof Float32Array, `${label}: a Float32Array`);
  assert.is(actual.length, a.rows * b.rows, `${label}: length`);
  const check = distanceChecker(a, b, metric, options);
  for (let i = 0; i < a.rows; i++) {
    for (let j = 0; j < b.rows; j++) {
      const got = actual[i * b.rows + j], want = ref[i * b.rows + j];
      if (!check.close(got, want, i, j)) {
        assert.unreachable(`${label}: distance (${i}, ${j}) is ${got}, reference ${want}${check.exact ? ' (exact expected)' : ''}`);
      }
    }
  }
}

/**
 * Asserts a kneighbors result against the reference: `refIdx` from referenceKneighbors at some
 * kRef >= k (the first k columns are used), `refDist` from referenceDistances (m x n).
 * u8 (or options.exact): indices and distances (as f32) equal exactly. f32: each distance is close to
 * the true distance of the row returned, and where the index differs from the reference the two
 * rows' true distances are within tolerance (a near-tie that rounding may order either way).
 */
export function assertNeighbors(result, refIdx, kRef, refDist, a, b, k, metric, label, options) {
  const m = a.rows, n = b.rows;
  assert.is(result.k, k, `${label}: k`);
  assert.ok(result.indices instanceof Int32Array, `${label}: indices is an Int32Array`);
  assert.ok(result.distances instanceof Float32Array, `${label}: distances is a Float32Array`);
  assert.is(result.indices.length, m * k, `${label}: indices length`);
  assert.is(result.distances.length, m * k, `${label}: distances length`);
  const check = distanceChecker(a, b, metric, options);
  const seen = new Uint8Array(n);
  for (let i = 0; i < m; i++) {
    seen.fill(0);
    for (let p = 0; p < k; p++) {
      const where = `${label}: query ${i}, position ${p}`;
      const idx = result.indices[i * k + p], want = refIdx[i * kRef + p];
      const dist = result.distances[i * k + p];
      if (!(idx >= 0 && idx < n)) assert.unreachable(`${where}: index ${idx} out of [0, ${n})`);
      if (seen[idx]) assert.unreachable(`${where}: index ${idx} listed twice`);
      seen[idx] = 1;
      if (p > 0 && !(dist >= result.distances[i * k + p - 1])) {
        assert.unreachable(`${where}: distances not ascending (${result.distances[i * k + p - 1]} then ${dist})`);
      }
      const trueDist = refDist[i * n + idx];
      if (!check.close(dist, trueDist, i, idx)) {
        assert.unreachable(`${where}: distance to row ${idx} is ${dist}, reference ${trueDist}`);
      }
      if (idx !== want && !check.tied(trueDist, refDist[i * n + want], i, idx, want)) {
        assert.unreachable(`${where}: index ${idx} (distance ${trueDist}), reference ${want} (distance ${refDist[i * n + want]})`);
      }
    }
  }
}

/** Standard normal draws from a uniform generator (Box-Muller). */
export function gaussian(rng) {
  return () => Math.sqrt(-2 * Math.log(1 - rng())) * Math.cos(2 * Math.PI * rng());
}

// Principal axes of a covariance for the exact L2 projection bounds of the pyramid kNN: the leading
// eigenvectors of a symmetric matrix by randomized subspace iteration (Halko, Martinsson, Tropp 2011)
// and Rayleigh-Ritz, the small projected matrix being diagonalised by cyclic Jacobi.
import { Random } from './random.js';

export interface LeadingEigenvectorsOptions {
  /** Rounds of Y = A Q and re-orthonormalisation, the first on the random start (default 3, at least 1). */
  iterations?: number;
  /** Extra subspace dimensions beyond m, capped at n (default 8). */
  oversample?: number;
  /** Seed of the random start vectors (default 1): the same seed gives the same result. */
  seed?: number;
}

export interface Eigenvectors {
  /** m x n, row-major: orthonormal rows. */
  vectors: Float64Array;
  /** m eigenvalues, decreasing. */
  values: Float64Array;
}

/**
 * Gram-Schmidt projects a row a second time only when the first pass left less than this fraction
 * of its norm: only then has cancellation cost it digits of orthogonality, and twice is enough
 * (Daniel, Gragg, Kaufman, Stewart 1976; Giraud, Langou, Rozloznik 2005).
 */
const KEPT_FOR_ONE_PASS = Math.SQRT1_2;
/** Below this fraction of the largest norm among the vectors, Gram-Schmidt takes what is left of one for noise and replaces it. */
const NEGLIGIBLE_NORM = 1e-10;
/** Start vectors each coordinate takes part in (multiplySparseStart). */
const SPARSE_START_VECTORS = 8;
/** Jacobi stops when the off-diagonal norm is below this fraction of the Frobenius norm. */
const JACOBI_TOLERANCE = 1e-14;
const MAX_JACOBI_SWEEPS = 50;

/**
 * The m leading eigenvectors of a symmetric n x n matrix `a` (row-major Float64Array, e.g. a
 * covariance), as m orthonormal rows of n values (Float64Array of m * n), in decreasing order of
 * eigenvalue, with their eigenvalues. Randomized subspace iteration on min(n, m + oversample)
 * random start vectors, then Rayleigh-Ritz: exact when m + oversample >= n, otherwise accurate for
 * the eigenvalues well separated from the (m + oversample + 1)-th. A rank-deficient or zero `a`
 * still gives m orthonormal rows (completed with random directions, eigenvalue 0). Subspace
 * iteration finds the eigenvalues largest in magnitude: for `a` with negative eigenvalues, the m
 * returned are the largest of the min(n, m + oversample) largest in magnitude.
 */
export function leadingEigenvectors(a: Float64Array, n: number, m: number, options: LeadingEigenvectorsOptions = {}): Eigenvectors {
  const { iterations = 3, oversample = 8, seed = 1 } = options;
  checkArguments(a, n, m, iterations, oversample, seed);
  const p = Math.min(n, m + oversample);
  const random = new Random(seed);
  // Column vectors are stored as contiguous rows: basis is p x n, row j is the j-th basis vector.
  let basis = new Float64Array(p * n);
  let product = new Float64Array(p * n);
  for (let round = 0; round < iterations; round++) {
    if (round === 0) multiplySparseStart(a, product, n, p, random);
    else dotsBetweenRows(a, n, basis, p, n, product);
    orthonormalise(product, p, n, random);
    [basis, product] = [product, basis];
  }
  const ritz = symmetricEigen(projectedMatrix(a, basis, n, p, product), p);
  const order = Array.from({ length: p }, (_, j) => j).sort((x, y) => ritz.values[y]! - ritz.values[x]! || x - y);
  const vectors = new Float64Array(m * n);
  const values = new Float64Array(m);
  for (let j = 0; j < m; j++) {
    const source = order[j]!;
    values[j] = ritz.values[source]!;
    addRowCombination(vectors.subarray(j * n, (j + 1) * n), basis, ritz.vectors.subarray(source * p, (source + 1) * p), p, n);
  }
  return { vectors, values };
}

function checkArguments(a: Float64Array, n: number, m: number, iterations: number, oversample: number, seed: number): void {
  if (!Number.isSafeInteger(n) || n < 1) throw new RangeError(`Expected n to be a positive integer, got ${n}`);
  if (!Number.isSafeInteger(m) || m < 1 || m > n) throw new RangeError(`Expected m to be an integer in [1, ${n}], got ${m}`);
  if (!(a instanceof Float64Array)) throw new TypeError(`Expected a to be a Float64Array, got ${Object.prototype.toString.call(a).slice(8, -1)}`);
  if (a.length !== n * n) throw new RangeError(`Expected a to hold n * n = ${n * n} values, got ${a.length}`);
  for (let k = 0; k < a.length; k++) if (!Number.isFinite(a[k])) throw new RangeError('Expected a to hold finite values only');
  if (!Number.isSafeInteger(iterations) || iterations < 1) throw new RangeError(`Expected options.iterations to be a positive integer, got ${iterations}`);
  if (!Number.isSafeInteger(oversample) || oversample < 0) throw new RangeError(`Expected options.oversample to be a non-negative integer, got ${oversample}`);
  if (!Number.isSafeInteger(seed)) throw new RangeError(`Expected options.seed to be an integer, got ${seed}`);
}

/**
 * product = A S for a sparse random start S (n x p, its columns stored as the rows of product):
 * each coordinate takes part in min(p, 8) of the p start vectors, with a Gaussian weight, like
 * the sparse sign embeddings of Martinsson and Tropp (2020), which in practice serve as well as a
 * dense Gaussian start. A S then only adds up rows of A (A being symmetric, row k is column k):
 * 8 n^2 multiply-adds instead of the p n^2 of a dense start.
 */
function multiplySparseStart(a: Float64Array, product: Float64Array, n: number, p: number, random: Random): void {
  product.fill(0);
  const perCoordinate = Math.min(p, SPARSE_START_VECTORS);
  const columns = Int32Array.from({ length: p }, (_, j) => j);
  for (let k = 0; k < n; k++) {
    for (let t = 0; t < perCoordinate; t++) {
      // A partial Fisher-Yates shuffle: perCoordinate distinct columns, uniformly.
      const pick = t + random.int(p - t), j = columns[pick]!;
      columns[pick] = columns[t]!;
      columns[t] = j;
      const weight = random.normal(), target = j * n, row = k * n;
      for (let i = 0; i < n; i++) product[target + i] = product[target + i]! + weight * a[row + i]!;
    }
  }
}

/** Fills `row` with a random direction of norm 1 (Gaussian draws, so every direction is equally likely). */
function fillRandomUnit(row: Float64Array, random: Random): void {
  let length = 0;
  while (length === 0) {
    for (let k = 0; k < row.length; k++) row[k] = random.normal();
    length = norm(row);
  }
  scale(row, 1 / length);
}

/**
 * Makes the p rows of `rows` orthonormal in place, in order (Gram-Schmidt). A row that is only
 * rounding noise after the projection is replaced by a random direction, so the result always has
 * p orthonormal rows, whatever the rank of what came in.
 */
function orthonormalise(rows: Float64Array, p: number, n: number, random: Random): void {
  let largest = 0;
  for (let j = 0; j < p; j++) largest = Math.max(largest, norm(rows.subarray(j * n, (j + 1) * n)));
  const coefficients = new Float64Array(p);
  for (let j = 0; j < p; j++) {
    if (orthonormaliseRow(rows, j, n, NEGLIGIBLE_NORM * largest, coefficients)) continue;
    do fillRandomUnit(rows.subarray(j * n, (j + 1) * n), random);
    while (!orthonormaliseRow(rows, j, n, NEGLIGIBLE_NORM, coefficients));
  }
}

/**
 * Projects row j off rows 0..j-1 (classical Gram-Schmidt, a second time when the first pass
 * cancelled most of the row) and normalises it; false, leaving it unnormalised, if its norm is then
 * <= floor. `coefficients` is scratch of at least j values.
 */
function orthonormaliseRow(rows: Float64Array, j: number, n: number, floor: number, coefficients: Float64Array): boolean {
  const row = rows.subarray(j * n, (j + 1) * n);
  let length = norm(row);
  for (let pass = 0; pass < 2; pass++) {
    dotsWithVector(rows, j, row, n, coefficients);
    for (let i = 0; i < j; i++) coefficients[i] = -coefficients[i]!;
    addRowCombination(row, rows, coefficients, j, n);
    const before = length;
    length = norm(row);
    if (length > KEPT_FOR_ONE_PASS * before) break;
  }
  if (!(length > floor)) return false;
  scale(row, 1 / length);
  return true;
}

/** out[i] = rows[i] . x for the first `count` rows of n values, four rows at a time (x loaded once for four). */
function dotsWithVector(rows: Float64Array, count: number, x: Float64Array, n: number, out: Float64Array): void {
  for (let i = 0; i < count; i += 4) {
    // Missing rows of the last block repeat the last row: same value computed and stored twice.
    const i1 = Math.min(i + 1, count - 1), i2 = Math.min(i + 2, count - 1), i3 = Math.min(i + 3, count - 1);
    const r0 = i * n, r1 = i1 * n, r2 = i2 * n, r3 = i3 * n;
    let s0 = 0, s1 = 0, s2 = 0, s3 = 0;
    for (let k = 0; k < n; k++) {
      const v = x[k]!;
      s0 += rows[r0 + k]! * v;
      s1 += rows[r1 + k]! * v;
      s2 += rows[r2 + k]! * v;
      s3 += rows[r3 + k]! * v;
    }
    out[i] = s0; out[i1] = s1; out[i2] = s2; out[i3] = s3;
  }
}

/** x += sum of weights[i] * rows[i] over the first `count` rows of n, four rows at a time (x stored once for four). */
function addRowCombination(x: Float64Array, rows: Float64Array, weights: Float64Array, count: number, n: number): void {
  for (let i = 0; i < count; i += 4) {
    // Missing rows of the last block repeat the last row with weight 0.
    const w0 = weights[i]!, w1 = i + 1 < count ? weights[i + 1]! : 0, w2 = i + 2 < count ? weights[i + 2]! : 0, w3 = i + 3 < count ? weights[i + 3]! : 0;
    const r0 = i * n, r1 = Math.min(i + 1, count - 1) * n, r2 = Math.min(i + 2, count - 1) * n, r3 = Math.min(i + 3, count - 1) * n;
    for (let k = 0; k < n; k++) {
      x[k] = x[k]! + (w0 * rows[r0 + k]! + w1 * rows[r1 + k]! + w2 * rows[r2 + k]! + w3 * rows[r3 + k]!);
    }
  }
}

/**
 * out[j][i] = x[i] . y[j] (yRows rows of xRows values) for the xRows rows of x and the yRows rows
 * of y, all of `length` values: with x = A and y the basis vectors, out holds A Q as rows. Two rows
 * of x by four of y at a time, so that each value loaded serves several multiply-adds. `upper`
 * says that row i of x is 0 before column i, and the sums skip those zeros.
 */
function dotsBetweenRows(x: Float64Array, xRows: number, y: Float64Array, yRows: number, length: number, out: Float64Array, upper = false): void {
  for (let i0 = 0; i0 < xRows; i0 += 2) {
    // An odd last row of x, and the missing rows of y in the last block, repeat the last one: the
    // same values are computed and stored twice, and the loops need no remainder cases.
    const i1 = Math.min(i0 + 1, xRows - 1);
    const x0 = i0 * length, x1 = i1 * length;
    for (let j = 0; j < yRows; j += 4) {
      const j1 = Math.min(j + 1, yRows - 1), j2 = Math.min(j + 2, yRows - 1), j3 = Math.min(j + 3, yRows - 1);
      const y0 = j * length, y1 = j1 * length, y2 = j2 * length, y3 = j3 * length;
      let s00 = 0, s01 = 0, s02 = 0, s03 = 0, s10 = 0, s11 = 0, s12 = 0, s13 = 0;
      for (let k = upper ? i0 : 0; k < length; k++) {
        const a0 = x[x0 + k]!, a1 = x[x1 + k]!;
        const b0 = y[y0 + k]!, b1 = y[y1 + k]!, b2 = y[y2 + k]!, b3 = y[y3 + k]!;
        s00 += a0 * b0; s01 += a0 * b1; s02 += a0 * b2; s03 += a0 * b3;
        s10 += a1 * b0; s11 += a1 * b1; s12 += a1 * b2; s13 += a1 * b3;
      }
      out[j * xRows + i0] = s00; out[j1 * xRows + i0] = s01; out[j2 * xRows + i0] = s02; out[j3 * xRows + i0] = s03;
      out[j * xRows + i1] = s10; out[j1 * xRows + i1] = s11; out[j2 * xRows + i1] = s12; out[j3 * xRows + i1] = s13;
    }
  }
}

/**
 * B = Q^T A Q (p x p) for the basis Q. With A = U + U^T, U the upper triangle of A with half its
 * diagonal, B = C + C^T for C = Q^T U Q, and U Q costs half of A Q. `scratch` holds p * n values.
 */
function projectedMatrix(a: Float64Array, basis: Float64Array, n: number, p: number, scratch: Float64Array): Float64Array {
  dotsBetweenRows(upperHalf(a, n), n, basis, p, n, scratch, true);
  const c = new Float64Array(p * p);
  dotsBetweenRows(basis, p, scratch, p, n, c);
  const b = new Float64Array(p * p);
  for (let r = 0; r < p; r++) {
    for (let s = 0; s < p; s++) b[r * p + s] = c[r * p + s]! + c[s * p + r]!;
  }
  return b;
}

/** The upper triangle of the n x n matrix a, with half its diagonal and zeros below. */
function upperHalf(a: Float64Array, n: number): Float64Array {
  const upper = new Float64Array(n * n);
  for (let i = 0; i < n; i++) {
    upper[i * n + i] = a[i * n + i]! / 2;
    upper.set(a.subarray(i * n + i + 1, (i + 1) * n), i * n + i + 1);
  }
  return upper;
}

/**
 * Eigenvalues and eigenvectors (as rows of p, unsorted) of a symmetric p x p matrix by cyclic
 * Jacobi. Destroys `b`.
 */
function symmetricEigen(b: Float64Array, p: number): { values: Float64Array; vectors: Float64Array } {
  const vectors = new Float64Array(p * p);
  for (let j = 0; j < p; j++) vectors[j * p + j] = 1;
  const tolerance = JACOBI_TOLERANCE * norm(b);
  // Skipping entries below tolerance / p leaves at most p^2 of them: still an off-diagonal norm below tolerance.
  const negligible = tolerance / p;
  for (let sweep = 0; sweep < MAX_JACOBI_SWEEPS && offDiagonalNorm(b, p) > tolerance; sweep++) {
    for (let r = 0; r < p - 1; r++) {
      for (let s = r + 1; s < p; s++) {
        if (Math.abs(b[r * p + s]!) > negligible) rotate(b, vectors, p, r, s);
      }
    }
  }
  const values = new Float64Array(p);
  for (let j = 0; j < p; j++) values[j] = b[j * p + j]!;
  return { values, vectors };
}

/**
 * The Jacobi rotation J in the (r, s) plane that zeroes b[r][s]: b becomes J^T b J, and V, whose
 * columns are the rows of `vectors`, becomes V J.
 */
function rotate(b: Float64Array, vectors: Float64Array, p: number, r: number, s: number): void {
  const R = r * p, S = s * p, brr = b[R + r]!, bss = b[S + s]!, brs = b[R + s]!;
  const theta = (bss - brr) / (2 * brs);
  // The smaller angle (|t| <= 1). Should theta * theta overflow, t is 0 and the rotation sets to 0
  // an entry below 1e-154 of the diagonal difference: no loss.
  const t = (theta >= 0 ? 1 : -1) / (Math.abs(theta) + Math.sqrt(1 + theta * theta));
  const c = 1 / Math.sqrt(1 + t * t), sn = t * c;
  // The loop also writes the four entries at rows and columns r, s: they are set right after it.
  for (let k = 0; k < p; k++) {
    const bRk = b[R + k]!, bSk = b[S + k]!;
    const newR = c * bRk - sn * bSk, newS = sn * bRk + c * bSk;
    b[R + k] = b[k * p + r] = newR;
    b[S + k] = b[k * p + s] = newS;
    const vR = vectors[R + k]!, vS = vectors[S + k]!;
    vectors[R + k] = c * vR - sn * vS;
    vectors[S + k] = sn * vR + c * vS;
  }
  b[R + r] = brr - t * brs;
  b[S + s] = bss + t * brs;
  b[R + s] = b[S + r] = 0;
}

function offDiagonalNorm(b: Float64Array, p: number): number {
  let sum = 0;
  for (let r = 0; r < p; r++) {
    for (let s = 0; s < p; s++) if (r !== s) sum += b[r * p + s]! * b[r * p + s]!;
  }
  return Math.sqrt(sum);
}

function norm(x: Float64Array): number {
  // Four partial sums: a single one would wait on the latency of every addition.
  let s0 = 0, s1 = 0, s2 = 0, s3 = 0, k = 0;
  for (; k + 4 <= x.length; k += 4) {
    s0 += x[k]! * x[k]!;
    s1 += x[k + 1]! * x[k + 1]!;
    s2 += x[k + 2]! * x[k + 2]!;
    s3 += x[k + 3]! * x[k + 3]!;
  }
  for (; k < x.length; k++) s0 += x[k]! * x[k]!;
  return Math.sqrt((s0 + s1) + (s2 + s3));
}

function scale(x: Float64Array, factor: number): void {
  for (let k = 0; k < x.length; k++) x[k] = x[k]! * factor;
}

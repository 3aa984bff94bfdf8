import { ArgumentRangeError } from './errors.js';
import { checkInt, checkNumber, toMatrix, type Matrix, type MatrixLike } from './matrix.js';
import { Random } from './random.js';

export interface GradCheckOptions {
  /** Coordinates of W to check, sampled at random (default 10). */
  samples?: number;
  /** Step of the centred difference (default 1e-5; use ~1e-2 for a loss computed in f32). */
  h?: number;
  seed?: number;
}

export interface GradCheckResult {
  /** Flat indices into W (row-major) that were checked. */
  indices: number[];
  numeric: number[];
  analytic: number[];
  /** |numeric - analytic| / max(|numeric| + |analytic|, 1e-12) per checked coordinate. */
  relativeErrors: number[];
  maxRelativeError: number;
}

/**
 * Numeric gradient check (the lecture's grad_check_sparse): at sampled coordinates of W, compares
 * the centred difference (f(W + h) - f(W - h)) / 2h with the analytic gradient. W itself is not changed.
 */
export function gradCheck(f: (W: Matrix<Float32Array>) => number, W: MatrixLike, analyticGrad: ArrayLike<number>, options: GradCheckOptions = {}): GradCheckResult {
  const w = toMatrix(W, 'W');
  const samples = checkInt(options.samples ?? 10, 'samples', 1);
  const h = checkNumber(options.h ?? 1e-5, 'h', Number.MIN_VALUE);
  const random = new Random(checkInt(options.seed ?? 0, 'seed', 0, 0xffffffff));
  if (analyticGrad.length !== w.data.length) {
    throw new ArgumentRangeError(`Expected analyticGrad to have ${w.data.length} values like W, got ${analyticGrad.length}`);
  }
  const probe = { data: Float32Array.from(w.data), rows: w.rows, cols: w.cols };
  const result: GradCheckResult = { indices: [], numeric: [], analytic: [], relativeErrors: [], maxRelativeError: 0 };
  for (let s = 0; s < samples; s++) {
    const i = random.int(w.data.length);
    const old = probe.data[i]!;
    // W is f32: divide by the step actually stored, not the 2h asked for.
    probe.data[i] = old + h;
    const up = probe.data[i]!;
    const plus = f(probe);
    probe.data[i] = old - h;
    const down = probe.data[i]!;
    const minus = f(probe);
    probe.data[i] = old;
    if (up === down) {
      throw new ArgumentRangeError(`Expected h to change W[${i}] = ${old} in f32 precision, got h = ${h}; use a larger h`);
    }
    const numeric = (plus - minus) / (up - down);
    const analytic = analyticGrad[i]!;
    const rel = Math.abs(numeric - analytic) / Math.max(Math.abs(numeric) + Math.abs(analytic), 1e-12);
    result.indices.push(i);
    result.numeric.push(numeric);
    result.analytic.push(analytic);
    result.relativeErrors.push(rel);
    result.maxRelativeError = Math.max(result.maxRelativeError, rel);
  }
  return result;
}

import { ArgumentRangeError, ArgumentTypeError } from './errors.js';
import { checkInt, checkNumber, describe, isNumericTypedArray, toMatrix, type Matrix, type MatrixLike } from './matrix.js';
import { checkOptions } from './options.js';
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

type LossFunction = (W: Matrix<Float32Array>) => number;

/**
 * Numeric gradient check (the lecture's grad_check_sparse): at sampled coordinates of W, compares
 * the centred difference (f(W + h) - f(W - h)) / 2h with the analytic gradient, given as a
 * Matrix shaped like W (svmLoss's `grad`) or as its flat row-major values. W itself is not changed.
 */
export function gradCheck(f: LossFunction, W: MatrixLike, analyticGrad: Matrix | ArrayLike<number>, options?: GradCheckOptions | null): GradCheckResult {
  if (typeof f !== 'function') throw new ArgumentTypeError(`Expected f to be a function (W) => loss, got ${describe(f)}`);
  const w = toMatrix(W, 'W');
  const gradient = flatGradient(analyticGrad, w);
  const opts = checkOptions(options, 'options', ['samples', 'h', 'seed']);
  const samples = checkInt(opts.samples ?? 10, 'samples', 1);
  const h = checkNumber(opts.h ?? 1e-5, 'h', Number.MIN_VALUE);
  const random = new Random(checkInt(opts.seed ?? 0, 'seed', 0, 0xffffffff));
  const probe = { data: Float32Array.from(w.data), rows: w.rows, cols: w.cols };
  const result: GradCheckResult = { indices: [], numeric: [], analytic: [], relativeErrors: [], maxRelativeError: 0 };
  for (let s = 0; s < samples; s++) {
    const i = random.int(w.data.length);
    const old = probe.data[i]!;
    // W is f32: divide by the step actually stored, not the 2h asked for.
    probe.data[i] = old + h;
    const up = probe.data[i]!;
    const plus = lossAt(f, probe, i, '+h');
    probe.data[i] = old - h;
    const down = probe.data[i]!;
    const minus = lossAt(f, probe, i, '-h');
    probe.data[i] = old;
    if (up === down) {
      throw new ArgumentRangeError(`Expected h to change W[${i}] = ${old} in f32 precision, got h = ${h}; use a larger h`);
    }
    const numeric = (plus - minus) / (up - down);
    const analytic = gradient[i]!;
    const rel = Math.abs(numeric - analytic) / Math.max(Math.abs(numeric) + Math.abs(analytic), 1e-12);
    result.indices.push(i);
    result.numeric.push(numeric);
    result.analytic.push(analytic);
    result.relativeErrors.push(rel);
    result.maxRelativeError = Math.max(result.maxRelativeError, rel);
  }
  return result;
}

/** The analytic gradient as W.data-shaped values: a Matrix like W, or rows x cols finite numbers. */
function flatGradient(grad: Matrix | ArrayLike<number>, w: Matrix): ArrayLike<number> {
  if (typeof grad === 'object' && grad !== null && 'data' in grad) {
    const g = toMatrix(grad, 'analyticGrad');
    if (g.rows !== w.rows || g.cols !== w.cols) {
      throw new ArgumentRangeError(`Expected analyticGrad to be ${w.rows} x ${w.cols} like W, got ${g.rows} x ${g.cols}`);
    }
    return g.data;
  }
  if (!Array.isArray(grad) && !isNumericTypedArray(grad)) {
    throw new ArgumentTypeError(`Expected analyticGrad to be a Matrix like W or an array of its ${w.data.length} values, got ${describe(grad)}`);
  }
  if (grad.length !== w.data.length) {
    throw new ArgumentRangeError(`Expected analyticGrad to have ${w.data.length} values like W, got ${grad.length}`);
  }
  for (let i = 0; i < grad.length; i++) {
    const v: unknown = grad[i];
    if (typeof v !== 'number') throw new ArgumentTypeError(`Expected analyticGrad[${i}] to be a number, got ${describe(v)}`);
    if (!Number.isFinite(v)) throw new ArgumentRangeError(`Expected analyticGrad[${i}] to be a finite number, got ${v}`);
  }
  return grad;
}

/** f at the probe whose coordinate i was moved by `step`; a loss that is not a finite number is refused. */
function lossAt(f: LossFunction, probe: Matrix<Float32Array>, i: number, step: string): number {
  const loss: unknown = f(probe);
  const where = () => `W[${i}] (row ${Math.floor(i / probe.cols)}, column ${i % probe.cols}) moved by ${step}`;
  if (typeof loss !== 'number') {
    throw new ArgumentTypeError(`Expected f to return the loss as a number (e.g. (W) => svmLoss(W, X, y, reg).loss), got ${describe(loss)} at ${where()}`);
  }
  if (!Number.isFinite(loss)) throw new ArgumentRangeError(`Expected f to return a finite loss, got ${loss} at ${where()}`);
  return loss;
}

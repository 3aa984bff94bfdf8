import { ArgumentRangeError, ArgumentTypeError } from './errors.js';
import { distanceMatrix, freeTrainingRows, searchNeighbors, storeTrainingRows, type Metric, type Neighbors, type TrainingRows } from './exec/knn.js';
import { F32_MAX, MAX_CLASSES, checkInt, maxAbs, numClassesOf, toLabels, toMatrix, type Labels, type Matrix, type MatrixLike } from './matrix.js';
import { accuracy } from './metrics.js';
import { ModelState } from './model-state.js';
import { checkCallback, checkOptions, checkSignal } from './options.js';
import { core } from './runtime.js';

export { mergeTopK } from './exec/knn.js';
export type { Metric, Neighbors, NeighborShard } from './exec/knn.js';

// u8 squared L2 sums D squares of at most 255^2 in an i32: exact up to this many columns.
const MAX_U8_L2_COLS = Math.floor(0x7fffffff / (255 * 255));

export interface KNearestNeighborOptions {
  /** Neighbours that vote (default 1). */
  k?: number;
  /** Distance (default 'l2'). */
  metric?: Metric;
}

export interface PredictOptions {
  /** Called after each block of queries with the number done and the total. */
  onProgress?: (done: number, total: number) => void;
  /** Cancels the call: it rejects with ERR_ABORTED and the model is unchanged. */
  signal?: AbortSignal;
}

const PREDICT_OPTIONS = ['onProgress', 'signal'] as const;

export interface KneighborsOptions extends PredictOptions {
  /** Neighbours to return (default: the model's k). */
  k?: number;
}

interface TrainedState {
  rows: TrainingRows;
  labels: Int32Array;
  numClasses: number;
}

/**
 * k-nearest-neighbour classifier: train memorizes the images (copied once into wasm memory,
 * u8 stays u8); predict is a majority vote of the k closest, ties to the smallest label.
 */
export class KNearestNeighbor {
  readonly k: number;
  readonly metric: Metric;
  private readonly model = new ModelState<TrainedState>('KNearestNeighbor', (state) => freeTrainingRows(state.rows));

  constructor(knnOptions?: KNearestNeighborOptions | null) {
    const options = checkOptions(knnOptions, 'KNearestNeighbor options', ['k', 'metric']);
    this.k = checkInt(options.k ?? 1, 'k', 1);
    const metric = options.metric ?? 'l2';
    if (metric !== 'l1' && metric !== 'l2') {
      throw new ArgumentRangeError(`Expected metric to be 'l1' or 'l2', got ${JSON.stringify(metric)}`);
    }
    this.metric = metric;
  }

  /** Number of training rows (0 before train). */
  get nTrain(): number { return this.model.current?.rows.rows ?? 0; }

  /**
   * Memorizes the training images and labels. A failed call leaves the model as it was; calls
   * still running on the old training set finish on it.
   */
  async train(X: MatrixLike, y: Labels): Promise<void> {
    this.model.checkAlive();
    const c = core();
    const x = toMatrix(X, 'X');
    const labels = toLabels(y, x.rows, 'y');
    if (x.rows === 0) throw new ArgumentRangeError('Expected X to have at least one training row, got 0');
    if (x.cols === 0) throw new ArgumentRangeError('Expected X to have at least one column, got 0');
    if (this.k > x.rows) throw new ArgumentRangeError(`Expected k <= nTrain (${x.rows}), got ${this.k}`);
    checkRange(x, this.metric, 'X');
    if (x.data instanceof Uint8Array && this.metric === 'l2' && x.cols > MAX_U8_L2_COLS) {
      throw new ArgumentRangeError(`Expected at most ${MAX_U8_L2_COLS} columns for u8 L2 (exact i32 sums), got ${x.cols}; pass Float32Array data instead`);
    }
    await this.model.train(() => ({ rows: storeTrainingRows(c, x, this.metric), labels, numClasses: numClassesOf(labels) }));
  }

  /** The k nearest training rows of each row of X (k defaults to the model's). */
  async kneighbors(X: MatrixLike, kneighborsOptions?: KneighborsOptions | null): Promise<Neighbors> {
    const options = checkOptions(kneighborsOptions, 'kneighbors options', ['k', ...PREDICT_OPTIONS]);
    const onProgress = checkCallback(options.onProgress, 'onProgress');
    const signal = checkSignal(options.signal);
    return this.model.read(async (state) => {
      const k = checkInt(options.k ?? this.k, 'k', 1);
      if (k > state.rows.rows) throw new ArgumentRangeError(`Expected k <= nTrain (${state.rows.rows}), got ${k}`);
      const x = this.checkQueries(X, state);
      return searchNeighbors(state.rows, x, k, { onProgress, signal });
    });
  }

  /** Predicted label of each row of X: majority vote of the k nearest, ties to the smallest label. */
  async predict(X: MatrixLike, predictOptions?: PredictOptions | null): Promise<Int32Array> {
    const options = checkOptions(predictOptions, 'predict options', PREDICT_OPTIONS);
    return this.model.read(async (state) => {
      const { indices } = await this.kneighbors(X, options);
      return voteLabels(indices, this.k, state.labels, state.numClasses, this.k);
    });
  }

  /** Fraction of rows of X whose predicted label equals y. */
  async score(X: MatrixLike, y: Labels, options?: PredictOptions | null): Promise<number> {
    const x = toMatrix(X, 'X');
    const truth = toLabels(y, x.rows, 'y');
    return accuracy(await this.predict(x, options), truth);
  }

  /**
   * The full m x n distance matrix (L1, or Euclidean L2) between X and the training rows.
   * For teaching and small sets: predict never builds it.
   */
  computeDistances(X: MatrixLike): Float32Array {
    const state = this.model.trained();
    return distanceMatrix(state.rows, this.checkQueries(X, state));
  }

  /**
   * Frees the wasm memory that holds the training set (once calls still running on it end).
   * The model cannot be used afterwards.
   */
  dispose(): void {
    this.model.dispose();
  }

  private checkQueries(X: MatrixLike, state: TrainedState): Matrix {
    const x = toMatrix(X, 'X');
    if (x.cols !== state.rows.cols && x.rows > 0) {
      throw new ArgumentRangeError(`Expected X to have ${state.rows.cols} columns like the training data, got ${x.cols}`);
    }
    if ((x.data instanceof Uint8Array) !== state.rows.isU8) {
      const want = state.rows.isU8 ? 'Uint8Array' : 'Float32Array';
      throw new ArgumentTypeError(`Expected X.data to be a ${want} like the training data, got ${x.data.constructor.name}`);
    }
    checkRange(x, this.metric, 'X');
    return x;
  }
}

/**
 * f32 distances are computed in f32: values so large that a distance (L1) or a squared norm (L2)
 * would overflow to Infinity are refused, since no neighbour order is left to find.
 */
function checkRange(x: Matrix, metric: Metric, name: string): void {
  if (!(x.data instanceof Float32Array) || x.cols === 0) return;
  // L2 rows are centred (exec/knn.ts columnCentres), which can double a value.
  const bound = metric === 'l1' ? F32_MAX / (2 * x.cols) : Math.sqrt(F32_MAX / (16 * x.cols));
  const largest = maxAbs(x.data);
  if (largest > bound) {
    throw new ArgumentRangeError(`Expected |${name}| <= ${bound.toPrecision(3)} so that f32 ${metric.toUpperCase()} distances over ${x.cols} columns stay finite, got ${largest}`);
  }
}

/**
 * Majority vote over the first k of each row of `indices` (rows of length `stride`), ties to the
 * smallest label. One neighbour search at the largest k serves every smaller k.
 */
export function voteLabels(indices: Int32Array, stride: number, labels: Int32Array, numClasses: number, k: number): Int32Array {
  checkInt(stride, 'stride', 1);
  checkInt(k, 'k', 1, stride);
  checkInt(numClasses, 'numClasses', 1, MAX_CLASSES);
  if (indices.length % stride !== 0) throw new ArgumentRangeError(`Expected indices.length to be a multiple of stride (${stride}), got ${indices.length}`);
  for (let i = 0; i < labels.length; i++) {
    if (labels[i]! < 0 || labels[i]! >= numClasses) throw new ArgumentRangeError(`Expected labels[${i}] in [0, ${numClasses}), got ${labels[i]}`);
  }
  for (let i = 0; i < indices.length; i++) {
    if (indices[i]! < 0 || indices[i]! >= labels.length) throw new ArgumentRangeError(`Expected indices[${i}] in [0, ${labels.length}), got ${indices[i]}`);
  }
  const m = indices.length / stride;
  const out = new Int32Array(m);
  const counts = new Int32Array(numClasses);
  for (let i = 0; i < m; i++) {
    counts.fill(0);
    for (let j = 0; j < k; j++) counts[labels[indices[i * stride + j]!]!]!++;
    let best = 0;
    for (let label = 1; label < numClasses; label++) if (counts[label]! > counts[best]!) best = label;
    out[i] = best;
  }
  return out;
}

import { ArgumentRangeError, ArgumentTypeError, StateError } from './errors.js';
import { F32_MAX, MAX_CLASSES, checkInt, maxAbs, numClassesOf, toLabels, toMatrix, type Labels, type Matrix, type MatrixLike } from './matrix.js';
import { core, type Core } from './runtime.js';
import { copyRows, writeRows, type WasmRows } from './wasm-rows.js';
import { accuracy } from './metrics.js';

/** Distance between images: 'l1' (Manhattan, sum of absolute differences) or 'l2' (Euclidean). */
export type Metric = 'l1' | 'l2';

// Metric codes; twin: METRIC_L1 / METRIC_L2 in assembly/knn.ts.
const METRIC_CODES: Record<Metric, number> = { l1: 1, l2: 2 };

// u8 squared L2 sums D squares of at most 255^2 in an i32: exact up to this many columns.
const MAX_U8_L2_COLS = Math.floor(0x7fffffff / (255 * 255));

// Queries copied into wasm per kernel call: bounds memory at O(block x D + queries x k).
const QUERY_BLOCK = 256;

export interface KNearestNeighborOptions {
  /** Neighbours that vote (default 1). */
  k?: number;
  /** Distance (default 'l2'). */
  metric?: Metric;
}

export interface Neighbors {
  /** Training-row indices, m x k row-major, nearest first; equal distances list the lower index first. */
  indices: Int32Array;
  /** Distances (L1, or Euclidean L2), m x k row-major. */
  distances: Float32Array;
  /** Neighbours per query (the row length of both arrays). */
  k: number;
}

export interface PredictOptions {
  /** Called after each block of queries with the number done and the total. */
  onProgress?: (done: number, total: number) => void;
}

interface TrainedState {
  core: Core;
  rows: WasmRows;
  /** L2 only: the training rows' squared norms (i32 for u8, f32 padded to 8 for f32), and for f32 the rows packed into 8-row panels. */
  norms: number;
  panels: number;
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
  private state: TrainedState | null = null;
  private disposed = false;

  constructor(options: KNearestNeighborOptions | null = {}) {
    options ??= {};
    this.k = checkInt(options.k ?? 1, 'k', 1);
    const metric = options.metric ?? 'l2';
    if (metric !== 'l1' && metric !== 'l2') {
      throw new ArgumentRangeError(`Expected metric to be 'l1' or 'l2', got ${JSON.stringify(metric)}`);
    }
    this.metric = metric;
  }

  /** Number of training rows (0 before train). */
  get nTrain(): number { return this.state?.rows.rows ?? 0; }

  /** Memorizes the training images and labels. A failed call leaves the model as it was. */
  async train(X: MatrixLike, y: Labels): Promise<void> {
    this.checkAlive();
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
    const next = buildState(c, x, this.metric, labels);
    this.release();
    this.state = next;
  }

  /** The k nearest training rows of each row of X (k defaults to the model's). */
  async kneighbors(X: MatrixLike, options: ({ k?: number } & PredictOptions) | null = {}): Promise<Neighbors> {
    options ??= {};
    const state = this.trained();
    const k = checkInt(options.k ?? this.k, 'k', 1);
    if (k > state.rows.rows) throw new ArgumentRangeError(`Expected k <= nTrain (${state.rows.rows}), got ${k}`);
    const x = this.checkQueries(X, state);
    return runKnn(state, this.metric, x, k, options.onProgress);
  }

  /** Predicted label of each row of X: majority vote of the k nearest, ties to the smallest label. */
  async predict(X: MatrixLike, options: PredictOptions | null = {}): Promise<Int32Array> {
    const state = this.trained();
    const { indices } = await this.kneighbors(X, options);
    return voteLabels(indices, this.k, state.labels, state.numClasses, this.k);
  }

  /** Fraction of rows of X whose predicted label equals y. */
  async score(X: MatrixLike, y: Labels): Promise<number> {
    const x = toMatrix(X, 'X');
    const truth = toLabels(y, x.rows, 'y');
    return accuracy(await this.predict(x), truth);
  }

  /**
   * The full m x n distance matrix (L1, or Euclidean L2) between X and the training rows.
   * For teaching and small sets: predict never builds it.
   */
  computeDistances(X: MatrixLike): Float32Array {
    const state = this.trained();
    const x = this.checkQueries(X, state);
    const { rows } = state;
    const m = x.rows, n = rows.rows;
    const c = state.core;
    const out = new Float32Array(m * n);
    if (m === 0) return out;
    c.withBlocks([m * rows.stride, m * n * 4, c.kernels.knnScratchBytes(rows.stride)], (q, d, scratch) => {
      writeRows(c, x, 0, m, q, rows.stride);
      if (rows.isU8) c.kernels.distancesU8(METRIC_CODES[this.metric], q, m, rows.ptr, state.norms, n, rows.stride, d, scratch);
      else c.kernels.distancesF32(METRIC_CODES[this.metric], q, m, rows.ptr, state.panels, state.norms, n, rows.stride, d, scratch);
      copyDistances(c, d, out, rows.isU8, this.metric);
    });
    return out;
  }

  /** Frees the wasm memory that holds the training set. The model cannot be used afterwards. */
  dispose(): void {
    this.release();
    this.disposed = true;
  }

  private release(): void {
    if (this.state === null) return;
    const { core: c, rows, panels, norms } = this.state;
    c.free(rows.ptr);
    c.free(panels);
    c.free(norms);
    this.state = null;
  }

  private checkAlive(): void {
    if (this.disposed) throw new StateError('This KNearestNeighbor was disposed; create a new one');
  }

  private trained(): TrainedState {
    this.checkAlive();
    if (this.state === null) throw new StateError('KNearestNeighbor is not trained: call train(X, y) first');
    return this.state;
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
  const bound = metric === 'l1' ? F32_MAX / (2 * x.cols) : Math.sqrt(F32_MAX / (4 * x.cols));
  const largest = maxAbs(x.data);
  if (largest > bound) {
    throw new ArgumentRangeError(`Expected |${name}| <= ${bound.toPrecision(3)} so that f32 ${metric.toUpperCase()} distances over ${x.cols} columns stay finite, got ${largest}`);
  }
}

function buildState(c: Core, x: Matrix, metric: Metric, labels: Int32Array): TrainedState {
  const rows = copyRows(c, x);
  let panels = 0, norms = 0;
  try {
    if (rows.isU8 && metric === 'l2') {
      norms = c.alloc(rows.rows * 4);
      c.kernels.rowNormsU8(rows.ptr, rows.rows, rows.stride, norms);
    } else if (metric === 'l2') {
      const panelCount = Math.ceil(rows.rows / 8);
      panels = c.alloc(panelCount * rows.stride * 8);
      norms = c.alloc(panelCount * 8 * 4);
      c.f32.fill(0, norms >>> 2, (norms >>> 2) + panelCount * 8);
      c.kernels.packPanels8(rows.ptr, rows.rows, rows.stride, panels);
      c.kernels.rowNormsF32(rows.ptr, rows.rows, rows.stride, norms);
    }
  } catch (err) {
    c.free(rows.ptr); c.free(panels); c.free(norms);
    throw err;
  }
  return { core: c, rows, panels, norms, labels, numClasses: numClassesOf(labels) };
}

async function runKnn(state: TrainedState, metric: Metric, x: Matrix, k: number, onProgress?: (done: number, total: number) => void): Promise<Neighbors> {
  const m = x.rows;
  const indices = new Int32Array(m * k);
  const distances = new Float32Array(m * k);
  if (m === 0) return { indices, distances, k };
  const { core: c, rows } = state;
  const block = Math.min(QUERY_BLOCK, m);
  const code = METRIC_CODES[metric];
  // withBlocks frees every block it allocated, also when a later allocation fails.
  c.withBlocks([block * rows.stride, block * k * 4, block * k * 4, c.kernels.knnScratchBytes(rows.stride)], (q, outDist, outIdx, scratch) => {
    for (let first = 0; first < m; first += block) {
      const count = Math.min(block, m - first);
      writeRows(c, x, first, count, q, rows.stride);
      if (rows.isU8) c.kernels.knnU8(code, q, count, rows.ptr, state.norms, rows.rows, rows.stride, k, outDist, outIdx, scratch);
      else c.kernels.knnF32(code, q, count, rows.ptr, state.panels, state.norms, rows.rows, rows.stride, k, outDist, outIdx, scratch);
      indices.set(c.i32.subarray(outIdx >>> 2, (outIdx >>> 2) + count * k), first * k);
      copyDistances(c, outDist, distances.subarray(first * k, (first + count) * k), rows.isU8, metric);
      onProgress?.(first + count, m);
    }
  });
  return { indices, distances, k };
}

/** Reads kernel distances (i32 for u8 data, f32 otherwise; squared for L2) as true distances. */
function copyDistances(c: Core, ptr: number, out: Float32Array, isU8: boolean, metric: Metric): void {
  const src = isU8 ? c.i32.subarray(ptr >>> 2, (ptr >>> 2) + out.length) : c.f32.subarray(ptr >>> 2, (ptr >>> 2) + out.length);
  if (metric === 'l1') out.set(src);
  else for (let i = 0; i < out.length; i++) out[i] = Math.sqrt(src[i]!);
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

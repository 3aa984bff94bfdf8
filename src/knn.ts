import { ArgumentRangeError, ArgumentTypeError, DataFormatError, SimdclassError } from './errors.js';
import { distanceMatrix, searchNeighbors, type Neighbors, type SearchOptions } from './exec/knn.js';
import { appendRows, freeUnshared, keepRows, readStoredRows, storeTrainingRows, trainingRowsFromStored, type TrainingRows } from './exec/knn-rows.js';
import { METRIC_NAMES, type Metric } from './exec/metric.js';
import { buildPyramid, freePyramid, searchPyramid, type Pyramid, type PyramidMetric, type Shape } from './exec/pyramid.js';
import { coarseKeepShare } from './exec/pyramid-probe.js';
import type { SharedAxes } from './exec/pyramid-projection.js';
import { F32_MAX, MAX_CLASSES, checkInt, headRows, maxAbs, numClassesOf, toLabels, toMatrix, type Labels, type Matrix, type MatrixLike } from './matrix.js';
import { accuracy } from './metrics.js';
import { decodeModelFile, encodeModelFile } from './model-file.js';
import { ModelState } from './model-state.js';
import { addSearchStats } from './search-stats.js';
import { checkCallback, checkOptions, checkSignal } from './options.js';
import { core } from './runtime.js';
import { argmaxRows, voteShares, type Weights } from './votes.js';

export { mergeTopK } from './exec/knn.js';
export type { Neighbors, NeighborShard } from './exec/knn.js';
export type { Metric } from './exec/metric.js';
export type { Weights } from './votes.js';
export { voteLabels } from './votes.js';

// u8 squared L2 sums D squares of at most 255^2 in an i32: exact up to this many columns.
const MAX_U8_L2_COLS = Math.floor(0x7fffffff / (255 * 255));

export interface KNearestNeighborOptions {
  /** Neighbours that vote (default 1). */
  k?: number;
  /** Distance (default 'l2'); 'cosine' (1 - cosine similarity) is meant for f32 embeddings. */
  metric?: Metric;
  /** 'uniform' (default): one vote per neighbour; 'distance': 1 / distance, an exact match taking all the weight. */
  weights?: Weights;
  /**
   * 'brute' computes every distance; 'pyramid' (u8 rows, L1 or L2) skips most of them with exact
   * block-sum bounds and returns the same neighbours; 'auto' (default) builds the pyramid at train
   * time for u8 data of at least 4,096 rows, when it fits, and uses
   * whichever of the two a timed sample of the first queries shows faster. Both run on the pool.
   */
  algorithm?: Algorithm;
}

/** How kneighbors searches: every distance, or block-sum pyramids (identical results). */
export type Algorithm = 'auto' | 'brute' | 'pyramid';

export interface KnnTrainOptions {
  /** The image shape [height, width, channels] of a row (HWC); the pyramid's blocks follow it. Without it, blocks are runs of consecutive features. */
  shape?: [number, number, number];
}

/** What the last kneighbors / predict / score call did. */
export interface SearchStats {
  algorithm: 'brute' | 'pyramid';
  /** Why this algorithm: the option, or what 'auto' saw (too few rows, a sample the bounds would not prune, a timed sample). */
  reason: string;
  queries: number;
  rows: number;
  /**
   * Pyramid only: per level, coarse to fine, the (query, row) pairs that reached it, whose bound
   * was computed (besides a few hundred per query that only rank the seeds of the threshold); a
   * level bounds by block sums of `block` pixels, or (block null, squared L2) by `dims` coefficients
   * on the principal `axes` of the training rows: of their pixels ('pixels', from 32,768 rows), else
   * of their sums of `axes` = [height, width] pixel blocks (README, "Exact search that skips most
   * distances"); `axes` is null for a level of block sums.
   */
  levels: { block: [number, number] | null; axes: 'pixels' | [number, number] | null; dims: number; reached: number }[];
  /** Exact distances computed (queries x rows for brute force). */
  exact: number;
}

export interface PredictOptions {
  /** Called after each block of queries with the number done and the total. */
  onProgress?: (done: number, total: number) => void;
  /** Cancels the call: it rejects with ERR_ABORTED and the model is unchanged. */
  signal?: AbortSignal;
}

export interface KneighborsOptions extends PredictOptions {
  /** Neighbours to return (default: the model's k). */
  k?: number;
}

const PREDICT_OPTIONS = ['onProgress', 'signal'] as const;

interface TrainedState {
  rows: TrainingRows;
  labels: Int32Array;
  numClasses: number;
  shape: Shape | null;
  /**
   * Bound levels of u8 L1/L2 rows (algorithm 'auto' or 'pyramid'): built on the pool by the
   * first search that wants them (so train and load do not wait), once per version of the rows.
   */
  pyramid: Pyramid | null;
  building: Promise<Pyramid | null> | null;
  /** 'auto': the algorithm a timed sample chose, once chosen ('brute' from the start when no pyramid is wanted). */
  chosen: 'brute' | 'pyramid' | null;
  /** Why `chosen` (or the algorithm option) holds, for SearchStats. */
  reason: string;
}

// Queries timed with each algorithm when 'auto' chooses: a 32nd of the first call's queries, from
// 16 to 64 (enough to keep every worker busy). Their answers are kept from whichever search wins.
const AUTO_SAMPLE = { min: 16, max: 64, share: 1 / 32 };
// Queries both searches run once, untimed, before the timed sample: a kernel's first calls run
// before V8's optimizing tier (on every fresh worker too), which favoured brute force. Measured on
// 10,000-row L2 cross-validation in fresh processes: without it, 'auto' chose the (faster) pyramid
// in 2 of 3 runs on one thread and 0 of 3 on two workers.
const AUTO_WARM_QUERIES = 16;
// Queries of the probe before 'auto' builds a pyramid (coarseKeepShare), and the share of sample
// pairs its coarsest level may keep. Measured with 16 queries: Fashion-MNIST 0.08 (L1) and 0.20
// (L2) with the image shape, 0.12 and 0.29 without; uniform noise and the synthetic CIFAR-10
// (uniform bytes) 1.00 for both.
const PROBE_QUERIES = 16;
const AUTO_MAX_KEEP = 0.5;
// 'auto' builds no pyramid for fewer training rows, L1 or L2. Measured on Fashion-MNIST, L2, k = 5,
// 2,000 queries, medians of 3 fresh models (first call: probe, build, warm-up and timed sample
// included), with 16 coefficients on the axes of the 2x2 sums before them: 4,096 rows 225 ms brute
// force against 154 ms 'auto' on one thread, 122 against 86 on two workers; 8,000 rows 447 against
// 195, 230 against 131; 16,000 rows 874 against 288, 449 against 170. Cross-validation (10,000 rows,
// ks 1..20, 5 folds, the first fold deciding, the folds sharing its axes; bench pyramid/cv-fashion-l2):
// 3.04x faster than brute force on one thread (717 ms against 2.18 s). L2 used to wait for 16,384 rows, when every fold decided anew and the timed
// sample ran the pyramid's kernels cold.
const AUTO_MIN_ROWS = 4096;

// Models whose pyramids take and leave their axes of block sums in a shared place (shareBlockAxes).
const sharedAxesOf = new WeakMap<KNearestNeighbor, SharedAxes>();

/**
 * Makes the model's pyramids (squared L2 below PROJECTION_MIN_ROWS) reuse the axes of block sums
 * another model's build left in `shared`, or leave theirs there: crossValidateKnn's folds hold the
 * same kind of images, and any axes keep the search exact. Internal: not part of the package's API.
 */
export function shareBlockAxes(knn: KNearestNeighbor, shared: SharedAxes): void {
  sharedAxesOf.set(knn, shared);
}

/**
 * k-nearest-neighbour classifier: train memorizes the images (copied once into wasm memory,
 * u8 stays u8); predict is a majority vote of the k closest (or a distance-weighted one), ties
 * to the smallest label. add() appends examples, as a web app collects them one at a time.
 */
export class KNearestNeighbor {
  readonly k: number;
  readonly metric: Metric;
  readonly weights: Weights;
  readonly algorithm: Algorithm;
  /** What the last search did (null before one). */
  lastStats: SearchStats | null = null;
  // A replaced version's blocks are freed when no call reads it, except the rows the new one shares.
  private readonly model: ModelState<TrainedState> = new ModelState('KNearestNeighbor', (old) => {
    if (old.pyramid !== null) freePyramid(old.pyramid);
    freeUnshared(old.rows, this.model.current?.rows ?? null);
  });

  constructor(knnOptions?: KNearestNeighborOptions | null) {
    const options = checkOptions(knnOptions, 'KNearestNeighbor options', ['k', 'metric', 'weights', 'algorithm']);
    this.k = checkInt(options.k ?? 1, 'k', 1);
    const metric = options.metric ?? 'l2';
    if (!METRIC_NAMES.includes(metric)) throw new ArgumentRangeError(`Expected metric to be 'l1', 'l2' or 'cosine', got ${JSON.stringify(metric)}`);
    this.metric = metric;
    const weights = options.weights ?? 'uniform';
    if (weights !== 'uniform' && weights !== 'distance') throw new ArgumentRangeError(`Expected weights to be 'uniform' or 'distance', got ${JSON.stringify(weights)}`);
    this.weights = weights;
    const algorithm = options.algorithm ?? 'auto';
    if (algorithm !== 'auto' && algorithm !== 'brute' && algorithm !== 'pyramid') throw new ArgumentRangeError(`Expected algorithm to be 'auto', 'brute' or 'pyramid', got ${JSON.stringify(algorithm)}`);
    if (algorithm === 'pyramid' && metric === 'cosine') throw new ArgumentRangeError("Expected metric 'l1' or 'l2' with algorithm 'pyramid' (block sums bound u8 L1 and L2), got 'cosine'");
    this.algorithm = algorithm;
  }

  /** Number of training rows (0 before train). */
  get nTrain(): number { return this.model.current?.rows.rows ?? 0; }

  /** Training rows per class, indexed by label (empty before train). */
  get numExamples(): number[] {
    const state = this.model.current;
    const counts = new Array<number>(state?.numClasses ?? 0).fill(0);
    for (const label of state?.labels ?? []) counts[label]!++;
    return counts;
  }

  /**
   * Memorizes the training images and labels. A failed call leaves the model as it was; calls
   * still running on the old training set finish on it.
   */
  async train(X: MatrixLike, y: Labels, trainOptions?: KnnTrainOptions | null): Promise<void> {
    const options = checkOptions(trainOptions, 'train options', ['shape']);
    const x = toMatrix(X, 'X');
    if (x.rows > 0 && this.k > x.rows) throw new ArgumentRangeError(`Expected k <= nTrain (${x.rows}), got ${this.k}`);
    await this.store(x, y, checkShape(options.shape, x.cols));
  }

  /** Stores a fresh training set (no k check: add() may start with fewer rows than k). */
  private async store(x: Matrix, y: Labels, shape: Shape | null): Promise<void> {
    this.model.checkAlive();
    const c = core();
    if (x.rows === 0) throw new ArgumentRangeError('Expected X to have at least one training row, got 0');
    this.checkTrainingRows(x);
    if (this.algorithm === 'pyramid' && !(x.data instanceof Uint8Array)) throw new ArgumentTypeError(`Expected X.data to be a Uint8Array for algorithm 'pyramid' (block sums of u8 pixels), got ${x.data.constructor.name}`);
    const labels = toLabels(y, x.rows, 'y');
    await this.model.train(() => this.withPyramid({ rows: storeTrainingRows(c, x, this.metric), labels, numClasses: numClassesOf(labels), shape, pyramid: null, building: null, chosen: null, reason: '' }));
  }

  /**
   * The state with its pyramid built, when the algorithm and the rows call for one; on failure the
   * rows are freed. `incremental`: a version made by add() or clearClass(), whose pyramid 'auto'
   * does not rebuild (an app adding one example at a time would rebuild it on every call).
   */
  private withPyramid(state: TrainedState, incremental = false): TrainedState {
    const brute = (reason: string): TrainedState => ({ ...state, chosen: 'brute', reason });
    if (this.algorithm === 'brute') return brute("algorithm 'brute'");
    if (state.rows.rows === 0) return brute('no training rows');
    if (this.metric === 'cosine') return brute("'auto' with the cosine metric: pyramids bound L1 and L2");
    if (!state.rows.isU8) return brute("'auto' with f32 rows: pyramids bound u8 pixels");
    if (this.algorithm === 'pyramid') return { ...state, reason: "algorithm 'pyramid'" };
    if (incremental) return brute("'auto' after add() or clearClass(): train() again to build a pyramid");
    if (state.rows.rows < AUTO_MIN_ROWS) return brute(`'auto' builds a pyramid from ${AUTO_MIN_ROWS.toLocaleString('en-US')} training rows; there are ${state.rows.rows.toLocaleString('en-US')}`);
    return state;
  }

  /** The state's pyramid, built once; null when 'auto' finds it does not fit beside the rows. */
  private pyramidOf(state: TrainedState): Promise<Pyramid | null> {
    state.building ??= buildPyramid(state.rows, state.shape, this.metric as PyramidMetric, { sharedAxes: sharedAxesOf.get(this) }).then((pyramid) => (state.pyramid = pyramid), (err: unknown) => {
      if (this.algorithm === 'auto' && err instanceof SimdclassError && err.code === 'ERR_OUT_OF_MEMORY') {
        state.chosen = 'brute';
        state.reason = "'auto': the pyramid does not fit in memory beside the rows";
        return null;
      }
      state.building = null; // 'pyramid' reports the failure, and a later call may try again
      throw err;
    });
    return state.building;
  }

  /**
   * Appends examples (and new classes) to the training set, as train on the concatenation would
   * hold them, without copying the stored rows again unless their chunk must grow (capacity
   * doubles). On an untrained model it is train().
   */
  async add(X: MatrixLike, y: Labels): Promise<void> {
    const state = this.model.current;
    if (state === null || state.rows.rows === 0) return this.store(toMatrix(X, 'X'), y, null);
    const x = this.checkTrainingRows(X);
    this.checkLike(x, state, 'X');
    const labels = toLabels(y, x.rows, 'y');
    if (x.rows === 0) return;
    await this.model.train(() => {
      const all = new Int32Array(state.labels.length + labels.length);
      all.set(state.labels);
      all.set(labels, state.labels.length);
      return this.withPyramid({ rows: appendRows(state.rows, x), labels: all, numClasses: Math.max(state.numClasses, numClassesOf(labels)), shape: state.shape, pyramid: null, building: null, chosen: null, reason: '' }, true);
    });
  }

  /** Removes every training row of class `label` (the class keeps its number, with 0 examples). */
  async clearClass(label: number): Promise<void> {
    const state = this.model.trained();
    checkInt(label, 'label', 0, MAX_CLASSES - 1);
    const keep = Int32Array.from(state.labels.keys()).filter((i) => state.labels[i] !== label);
    if (keep.length === state.labels.length) return;
    await this.model.train(() => this.withPyramid({ rows: keepRows(state.rows, keep), labels: Int32Array.from(keep, (i) => state.labels[i]!), numClasses: state.numClasses, shape: state.shape, pyramid: null, building: null, chosen: null, reason: '' }, true));
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
      const { stats, ...neighbors } = await this.search(state, x, k, { onProgress, signal });
      this.lastStats = stats;
      return neighbors;
    });
  }

  /** Searches with the algorithm the option or 'auto' picks; 'auto' picks at the first search of a version. */
  private async search(state: TrainedState, x: Matrix, k: number, options: SearchOptions): Promise<Neighbors & { stats: SearchStats }> {
    const metric = this.metric as PyramidMetric;
    if (x.rows === 0 || state.chosen === 'brute') return this.bruteSearch(state, x, k, options);
    if (this.algorithm === 'auto' && state.chosen === null && state.building === null) {
      const share = coarseKeepShare(state.rows, state.shape, headRows(x, Math.min(x.rows, PROBE_QUERIES)), metric);
      if (share > AUTO_MAX_KEEP) {
        state.chosen = 'brute';
        state.reason = `'auto': on a sample, the coarsest bounds would keep ${(100 * share).toFixed(0)}% of the rows`;
      }
    }
    const pyramid = state.chosen === 'brute' ? null : await this.pyramidOf(state);
    if (pyramid === null) return this.bruteSearch(state, x, k, options);
    if (state.chosen === null && this.algorithm === 'auto') {
      // Time both on the first queries and keep the winner's answers for them.
      const rows = Math.min(x.rows, Math.max(AUTO_SAMPLE.min, Math.min(AUTO_SAMPLE.max, Math.floor(x.rows * AUTO_SAMPLE.share))));
      const sample = headRows(x, rows), signal = options.signal;
      const warm = headRows(x, Math.min(x.rows, AUTO_WARM_QUERIES));
      await searchNeighbors(state.rows, warm, k, { signal });
      await searchPyramid(pyramid, warm, k, metric, { signal });
      const t0 = performance.now();
      const viaBrute = await searchNeighbors(state.rows, sample, k, { signal });
      const t1 = performance.now();
      const viaPyramid = await searchPyramid(pyramid, sample, k, metric, { signal });
      const t2 = performance.now();
      state.chosen = t2 - t1 < t1 - t0 ? 'pyramid' : 'brute';
      state.reason = `'auto': on ${rows} queries, brute force took ${(t1 - t0).toFixed(1)} ms and the pyramid ${(t2 - t1).toFixed(1)} ms`;
      const first = state.chosen === 'pyramid' ? { ...viaPyramid, stats: { algorithm: 'pyramid' as const, reason: state.reason, ...viaPyramid.stats } } : { ...viaBrute, stats: bruteStats(rows, state) };
      const rest = rowsFrom(x, rows);
      const onProgress = options.onProgress;
      options.onProgress?.(rows, x.rows);
      const later = await this.search(state, rest, k, { signal, onProgress: onProgress && ((done) => onProgress(rows + done, x.rows)) });
      return joinSearches(first, later);
    }
    const { stats, ...neighbors } = await searchPyramid(pyramid, x, k, metric, options);
    return { ...neighbors, stats: { algorithm: 'pyramid', reason: state.reason, ...stats } };
  }

  private async bruteSearch(state: TrainedState, x: Matrix, k: number, options: SearchOptions): Promise<Neighbors & { stats: SearchStats }> {
    return { ...(await searchNeighbors(state.rows, x, k, options)), stats: bruteStats(x.rows, state) };
  }

  /**
   * Per-class vote shares of each row of X (an m x C matrix whose rows sum to 1), as
   * scikit-learn's predict_proba: the fraction of the k votes (or of the distance weights).
   */
  async predictProba(X: MatrixLike, predictOptions?: PredictOptions | null): Promise<Matrix<Float32Array>> {
    const { shares, numClasses } = await this.votes(X, predictOptions);
    return { data: Float32Array.from(shares), rows: shares.length / numClasses, cols: numClasses };
  }

  /** Predicted label of each row of X: the class with the largest vote share, ties to the smallest label. */
  async predict(X: MatrixLike, predictOptions?: PredictOptions | null): Promise<Int32Array> {
    const { shares, numClasses } = await this.votes(X, predictOptions);
    return argmaxRows(shares, numClasses);
  }

  /** Fraction of rows of X whose predicted label equals y. */
  async score(X: MatrixLike, y: Labels, options?: PredictOptions | null): Promise<number> {
    const x = toMatrix(X, 'X');
    const truth = toLabels(y, x.rows, 'y');
    return accuracy(await this.predict(x, options), truth);
  }

  /**
   * The full m x n distance matrix (L1, Euclidean L2 or cosine distance) between X and the
   * training rows. For teaching and small sets: predict never builds it.
   */
  computeDistances(X: MatrixLike): Float32Array {
    const state = this.model.trained();
    return distanceMatrix(state.rows, this.checkQueries(X, state));
  }

  /**
   * The model as bytes (a simdclass model file: options, labels and the stored rows, with a
   * checksum); KNearestNeighbor.load(bytes) rebuilds it.
   */
  save(): Uint8Array {
    const { rows, labels, numClasses, shape } = this.model.trained();
    const header = { k: this.k, metric: this.metric, weights: this.weights, algorithm: this.algorithm, shape, dtype: rows.isU8 ? 'u8' : 'f32', rows: rows.rows, cols: rows.cols, stride: rows.stride, numClasses };
    const sections = [
      { name: 'labels', bytes: new Uint8Array(labels.buffer, labels.byteOffset, labels.byteLength) },
      { name: 'rows', bytes: readStoredRows(rows) },
    ];
    if (rows.center !== null) sections.push({ name: 'center', bytes: new Uint8Array(rows.center.buffer, rows.center.byteOffset, rows.center.byteLength) });
    return encodeModelFile({ kind: 'knn', header, sections });
  }

  /** Small metadata, never the training set: save() writes the model. */
  toJSON(): { model: 'knn'; k: number; metric: Metric; weights: Weights; algorithm: Algorithm; nTrain: number; note: string } {
    return { model: 'knn', k: this.k, metric: this.metric, weights: this.weights, algorithm: this.algorithm, nTrain: this.nTrain, note: 'kNN models are saved as bytes: use save() and KNearestNeighbor.load()' };
  }

  /**
   * Rebuilds a model from save()'s bytes. The file is checked field by field (magic, version,
   * kind, sizes against the header, the checksum) before anything large is allocated; a bad file
   * is an ERR_DATA_FORMAT. The rows are copied once, into wasm memory.
   */
  static load(bytes: Uint8Array | ArrayBuffer): KNearestNeighbor {
    const file = decodeModelFile(bytes, 'knn');
    const h = file.header;
    const fail = (what: string): never => { throw new DataFormatError(`Not a valid simdclass kNN model file: ${what}`); };
    const int = (name: string, min: number, max = Number.MAX_SAFE_INTEGER): number => {
      const v = h[name];
      return typeof v === 'number' && Number.isInteger(v) && v >= min && v <= max ? v : fail(`header.${name} must be an integer in [${min}, ${max}], got ${JSON.stringify(v)}`);
    };
    const rows = int('rows', 1), cols = int('cols', 1), stride = int('stride', 16), numClasses = int('numClasses', 1, MAX_CLASSES), k = int('k', 1, rows);
    if (!METRIC_NAMES.includes(h.metric as Metric)) fail(`header.metric must be one of ${METRIC_NAMES.join(', ')}, got ${JSON.stringify(h.metric)}`);
    if (h.weights !== 'uniform' && h.weights !== 'distance') fail(`header.weights must be 'uniform' or 'distance', got ${JSON.stringify(h.weights)}`);
    if (h.dtype !== 'u8' && h.dtype !== 'f32') fail(`header.dtype must be 'u8' or 'f32', got ${JSON.stringify(h.dtype)}`);
    const isU8 = h.dtype === 'u8', unit = isU8 ? 1 : 4;
    const section = (name: string, length: number): Uint8Array => {
      const s = file.sections.get(name) ?? fail(`the ${name} section is missing`);
      return s.length === length ? s : fail(`the ${name} section holds ${s.length} bytes; the header implies ${length}`);
    };
    const labels = bytesAs(section('labels', rows * 4), Int32Array);
    labels.forEach((label, i) => { if (label < 0 || label >= numClasses) fail(`labels[${i}] is ${label}, not in [0, ${numClasses})`); });
    const rowBytes = section('rows', rows * stride);
    const data = isU8 ? rowBytes : bytesAs(rowBytes, Float32Array);
    const center = file.sections.has('center') ? bytesAs(section('center', cols * 4), Float32Array) : null;
    if (h.algorithm !== 'auto' && h.algorithm !== 'brute' && h.algorithm !== 'pyramid') fail(`header.algorithm must be 'auto', 'brute' or 'pyramid', got ${JSON.stringify(h.algorithm)}`);
    let shape: Shape | null = null;
    try { shape = checkShape(h.shape ?? undefined, cols); } catch { fail(`header.shape must be [H, W, C] with H x W x C = ${cols}, got ${JSON.stringify(h.shape)}`); }
    const model = new KNearestNeighbor({ k, metric: h.metric as Metric, weights: h.weights as Weights, algorithm: h.algorithm as Algorithm });
    const training = trainingRowsFromStored(core(), model.metric, cols, isU8, { data, rows, cols: stride / unit }, center);
    model.model.set(model.withPyramid({ rows: training, labels, numClasses, shape, pyramid: null, building: null, chosen: null, reason: '' }));
    return model;
  }

  /**
   * Frees the wasm memory that holds the training set (once calls still running on it end).
   * The model cannot be used afterwards.
   */
  dispose(): void {
    this.model.dispose();
  }

  private async votes(X: MatrixLike, predictOptions?: PredictOptions | null): Promise<{ shares: Float64Array; numClasses: number }> {
    const options = checkOptions(predictOptions, 'predict options', PREDICT_OPTIONS);
    return this.model.read(async (state) => {
      const { indices, distances } = await this.kneighbors(X, options);
      return { shares: voteShares(indices, distances, this.k, state.labels, state.numClasses, this.k, this.weights), numClasses: state.numClasses };
    });
  }

  private checkTrainingRows(X: MatrixLike): Matrix {
    const x = toMatrix(X, 'X');
    if (x.cols === 0) throw new ArgumentRangeError('Expected X to have at least one column, got 0');
    checkRange(x, this.metric, 'X');
    if (x.data instanceof Uint8Array && this.metric === 'l2' && x.cols > MAX_U8_L2_COLS) {
      throw new ArgumentRangeError(`Expected at most ${MAX_U8_L2_COLS} columns for u8 L2 (exact i32 sums), got ${x.cols}; pass Float32Array data instead`);
    }
    return x;
  }

  private checkQueries(X: MatrixLike, state: TrainedState): Matrix {
    const x = toMatrix(X, 'X');
    if (x.rows > 0) this.checkLike(x, state, 'X');
    checkRange(x, this.metric, 'X');
    return x;
  }

  /** Rows must have the training data's columns, and (but for cosine, which stores f32) its type. */
  private checkLike(x: Matrix, state: TrainedState, name: string): void {
    if (x.cols !== state.rows.cols) throw new ArgumentRangeError(`Expected ${name} to have ${state.rows.cols} columns like the training data, got ${x.cols}`);
    if (this.metric !== 'cosine' && (x.data instanceof Uint8Array) !== state.rows.isU8) {
      const want = state.rows.isU8 ? 'Uint8Array' : 'Float32Array';
      throw new ArgumentTypeError(`Expected ${name}.data to be a ${want} like the training data, got ${x.data.constructor.name}`);
    }
  }
}

/** A shape option: undefined or null (none), or [H, W, C] positive integers whose product is the columns. */
function checkShape(shape: unknown, cols: number): Shape | null {
  if (shape === undefined || shape === null) return null;
  if (!Array.isArray(shape) || shape.length !== 3) throw new ArgumentTypeError(`Expected shape to be [height, width, channels], got ${JSON.stringify(shape)}`);
  shape.forEach((v, i) => checkInt(v, `shape[${i}]`, 1));
  if (shape[0] * shape[1] * shape[2] !== cols) throw new ArgumentRangeError(`Expected shape ${shape.join(' x ')} to hold the ${cols} columns of a row, got ${shape[0] * shape[1] * shape[2]}`);
  return shape as Shape;
}

/** A typed view of file bytes, or a copy when they are not aligned for it. */
function bytesAs<T extends Int32Array | Float32Array>(bytes: Uint8Array, Type: { new (buffer: ArrayBufferLike, offset: number, length: number): T; new (length: number): T; BYTES_PER_ELEMENT: number }): T {
  const n = bytes.length / Type.BYTES_PER_ELEMENT;
  if (bytes.byteOffset % Type.BYTES_PER_ELEMENT === 0) return new Type(bytes.buffer, bytes.byteOffset, n);
  const copy = new Type(n);
  new Uint8Array(copy.buffer).set(bytes);
  return copy;
}

/**
 * f32 distances are computed in f32: values so large that a distance (L1) or a squared norm (L2)
 * would overflow to Infinity are refused, since no neighbour order is left to find.
 */
function checkRange(x: Matrix, metric: Metric, name: string): void {
  if (!(x.data instanceof Float32Array) || x.cols === 0 || metric === 'cosine') return;
  // L2 rows are centred (exec/knn-rows.ts columnCentres), which can double a value.
  const bound = metric === 'l1' ? F32_MAX / (2 * x.cols) : Math.sqrt(F32_MAX / (16 * x.cols));
  const largest = maxAbs(x.data);
  if (largest > bound) {
    throw new ArgumentRangeError(`Expected |${name}| <= ${bound.toPrecision(3)} so that f32 ${metric.toUpperCase()} distances over ${x.cols} columns stay finite, got ${largest}`);
  }
}

/** The stats of a brute-force search of `queries` queries (every pair an exact distance). */
function bruteStats(queries: number, state: TrainedState): SearchStats {
  return { algorithm: 'brute', reason: state.reason, queries, rows: state.rows.rows, levels: [], exact: queries * state.rows.rows };
}

/** Rows first.. of m (a view). */
function rowsFrom<T extends Matrix['data']>(m: Matrix<T>, first: number): Matrix<T> {
  return { data: m.data.subarray(first * m.cols) as T, rows: m.rows - first, cols: m.cols };
}

/** The answers of two searches of consecutive query blocks as one search (addSearchStats). */
function joinSearches(a: Neighbors & { stats: SearchStats }, b: Neighbors & { stats: SearchStats }): Neighbors & { stats: SearchStats } {
  const join = <T extends Int32Array | Float32Array>(x: T, y: T): T => {
    const out = new (x.constructor as { new (n: number): T })(x.length + y.length);
    out.set(x);
    out.set(y, x.length);
    return out;
  };
  return { indices: join(a.indices, b.indices), distances: join(a.distances, b.distances), k: a.k, stats: addSearchStats(a.stats, b.stats) };
}

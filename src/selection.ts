import { ArgumentRangeError, ArgumentTypeError, TrainingDivergedError } from './errors.js';
import { KNearestNeighbor, shareBlockAxes, type Algorithm, type Metric } from './knn.js';
import type { SharedAxes } from './exec/pyramid-projection.js';
import { voteLabelsPerK } from './votes.js';
import { newLinearModel, type LinearTrainOptions } from './linear.js';
import type { LossName } from './losses.js';
import {
  F32_MAX, checkInt, checkNumber, checkNumberList, describe, takeRows, numClassesOf, toLabels, toMatrix,
  type Labels, type Matrix, type MatrixLike,
} from './matrix.js';
import { accuracy } from './metrics.js';
import { forEachInLanes } from './exec/executor.js';
import { checkCallback, checkOptions, checkSignal } from './options.js';
import { parallelism } from './runtime.js';
import { Random } from './random.js';

export interface Split {
  X: Matrix;
  y: Int32Array;
}

/** Mean and population standard deviation (numpy's np.std) of a list of accuracies. */
export function meanStd(values: number[]): { mean: number; std: number } {
  checkNumberList(values, 'values');
  if (values.length === 0) return { mean: 0, std: 0 };
  const mean = values.reduce((a, b) => a + b, 0) / values.length;
  const std = Math.sqrt(values.reduce((a, b) => a + (b - mean) ** 2, 0) / values.length);
  return { mean, std };
}

export interface TrainValSplitOptions {
  /** Validation rows: a count, or a fraction of the rows when 0 < valSize < 1 (default 0.2). */
  valSize?: number;
  seed?: number;
}

/**
 * Splits rows at random (seeded) into a training part and a validation part of `valSize` rows
 * (or that fraction of rows when 0 < valSize < 1). Default: 20% validation, seed 0.
 */
export function trainValSplit(X: MatrixLike, y: Labels, options?: TrainValSplitOptions | null): { train: Split; val: Split } {
  const opts = checkOptions(options, 'options', ['valSize', 'seed']);
  const x = toMatrix(X, 'X');
  const labels = toLabels(y, x.rows, 'y');
  const valSize = checkNumber(opts.valSize ?? 0.2, 'valSize', 0);
  const count = valSize < 1 ? Math.round(valSize * x.rows) : valSize;
  if (!Number.isInteger(count) || count < 1 || count >= x.rows) {
    throw new ArgumentRangeError(`Expected valSize to leave between 1 and ${x.rows - 1} validation rows (a fraction in (0, 1) or a count), got ${valSize}`);
  }
  const random = new Random(checkInt(opts.seed ?? 0, 'seed', 0, 0xffffffff));
  const order = Int32Array.from({ length: x.rows }, (_, i) => i);
  for (let i = order.length - 1; i > 0; i--) {
    const j = random.int(i + 1);
    [order[i], order[j]] = [order[j]!, order[i]!];
  }
  const valIdx = order.slice(0, count).sort(), trainIdx = order.slice(count).sort();
  return {
    train: { X: takeRows(x, trainIdx), y: Int32Array.from(trainIdx, (i) => labels[i]!) },
    val: { X: takeRows(x, valIdx), y: Int32Array.from(valIdx, (i) => labels[i]!) },
  };
}

export interface Fold {
  /** Row indices used for training, in record order. */
  train: Int32Array;
  /** Row indices held out for validation: one contiguous run. */
  val: Int32Array;
}

/** kFold materializes folds x n row indices (4 bytes each): at most this many, 1 GiB. */
export const MAX_FOLD_INDICES = 2 ** 28;

/**
 * k-fold split of n records into contiguous folds in record order, sized like numpy.array_split:
 * the first n % folds folds get one extra record. folds x n must not exceed MAX_FOLD_INDICES.
 */
export function kFold(n: number, folds: number): Fold[] {
  checkInt(n, 'n', 0);
  checkInt(folds, 'folds', 2);
  if (folds > n) throw new ArgumentRangeError(`Expected folds <= number of records (${n}), got ${folds}`);
  if (folds * n > MAX_FOLD_INDICES) {
    throw new ArgumentRangeError(`Expected folds x n <= ${MAX_FOLD_INDICES} (the row indices of all folds, 4 bytes each), got ${folds} x ${n}`);
  }
  const out: Fold[] = [];
  const base = Math.floor(n / folds), extra = n % folds;
  let start = 0;
  for (let f = 0; f < folds; f++) {
    const size = base + (f < extra ? 1 : 0);
    const val = Int32Array.from({ length: size }, (_, i) => start + i);
    const train = new Int32Array(n - size);
    for (let i = 0, t = 0; i < n; i++) if (i < start || i >= start + size) train[t++] = i;
    out.push({ train, val });
    start += size;
  }
  return out;
}

/** Anything with train and score, like the simdclass models. */
export interface Estimator {
  train(X: Matrix, y: Int32Array): Promise<unknown>;
  score(X: Matrix, y: Int32Array): Promise<number>;
  dispose?(): void;
}

export interface CrossValidationResult {
  accuracies: number[];
  mean: number;
  std: number;
}

export interface CrossValidateOptions {
  /** Number of contiguous folds (default 5). */
  folds?: number;
  /** Called after each fold with the number done and the total. */
  onProgress?: (fold: number, folds: number) => void;
  /** Cancels the search: it rejects with ERR_ABORTED once the folds in flight end. */
  signal?: AbortSignal;
}

/** Trains a fresh model per fold (factory()) and scores it on the held-out fold. */
export async function crossValidate(factory: () => Estimator, X: MatrixLike, y: Labels, options?: CrossValidateOptions | null): Promise<CrossValidationResult> {
  if (typeof factory !== 'function') {
    throw new ArgumentTypeError(`Expected factory to be a function returning a new model (e.g. () => new KNearestNeighbor({ k: 5 })), got ${describe(factory)}`);
  }
  const opts = checkOptions(options, 'options', ['folds', 'onProgress', 'signal']);
  const onProgress = checkCallback(opts.onProgress, 'onProgress');
  const signal = checkSignal(opts.signal);
  const x = toMatrix(X, 'X');
  const labels = toLabels(y, x.rows, 'y');
  const folds = kFold(x.rows, opts.folds ?? 5);
  const accuracies = new Array<number>(folds.length);
  let done = 0;
  // Folds train in parallel, as many at once as there are worker threads.
  await forEachInLanes([...folds.keys()], parallelism(), async (f) => {
    const fold = folds[f]!;
    const model = checkEstimator(factory());
    try {
      await model.train(takeRows(x, fold.train), Int32Array.from(fold.train, (i) => labels[i]!));
      const score = await model.score(takeRows(x, fold.val), Int32Array.from(fold.val, (i) => labels[i]!));
      accuracies[f] = checkNumber(score, `the score of fold ${f + 1}`);
    } finally {
      model.dispose?.();
    }
    onProgress?.(++done, folds.length);
  }, signal, 'crossValidate');
  return { accuracies, ...meanStd(accuracies) };
}

/** What factory() returned, if it can train and score. */
function checkEstimator(model: unknown): Estimator {
  const expected = 'Expected factory() to return a model with train(X, y) and score(X, y) methods';
  if (typeof model !== 'object' || model === null) throw new ArgumentTypeError(`${expected}, got ${describe(model)}`);
  for (const method of ['train', 'score'] as const) {
    if (typeof (model as Partial<Estimator>)[method] !== 'function') throw new ArgumentTypeError(`${expected}, got ${describe(model)} without a ${method} method`);
  }
  return model as Estimator;
}

export interface KnnCrossValidation {
  folds: number;
  results: ({ k: number } & CrossValidationResult)[];
  bestK: number;
  /** How the folds searched: each fold's algorithm, and the share of (validation row, training row) pairs, over all folds, whose exact distance was computed. */
  search: { algorithms: ('brute' | 'pyramid')[]; exactShare: number };
}

export interface KnnCrossValidationOptions {
  /** The values of k to compare (default DEFAULT_KS, those not above the smallest training fold). */
  ks?: number[];
  /** Number of contiguous folds (default 5). */
  folds?: number;
  /** Distance (default 'l2'). */
  metric?: Metric;
  /** The neighbour search (see KNearestNeighbor): 'auto' (default), 'brute' or 'pyramid'; bounds are taken at the largest k. */
  algorithm?: Algorithm;
  /** The image shape [H, W, C] of a row, for the pyramid's blocks. */
  shape?: [number, number, number];
  /** Called as validation rows are classified, with the number done and the total. */
  onProgress?: (done: number, total: number) => void;
  /** Cancels the search: it rejects with ERR_ABORTED once the work in flight ends. */
  signal?: AbortSignal;
}

/** The ks compared when none are given (the lecture's, and the CLI's default). */
export const DEFAULT_KS: readonly number[] = [1, 3, 5, 8, 10, 12, 15, 20, 50, 100];

/** The most values of k one crossValidateKnn call compares: each costs a vote over every validation row. */
export const MAX_KS = 1000;

/**
 * Cross-validates kNN for every k in `ks` with one neighbour search per fold at the largest k:
 * votes for smaller k come from the same sorted neighbours. bestK: highest mean, smallest k on ties.
 * With algorithm 'auto' the first fold decides how to search and the other folds follow it.
 */
export async function crossValidateKnn(X: MatrixLike, y: Labels, options?: KnnCrossValidationOptions | null): Promise<KnnCrossValidation> {
  const opts = checkOptions(options, 'options', ['ks', 'folds', 'metric', 'algorithm', 'shape', 'onProgress', 'signal']);
  const onProgress = checkCallback(opts.onProgress, 'onProgress');
  const signal = checkSignal(opts.signal);
  const x = toMatrix(X, 'X');
  const labels = toLabels(y, x.rows, 'y');
  const folds = kFold(x.rows, opts.folds ?? 5);
  let minTrain = x.rows;
  for (const fold of folds) minTrain = Math.min(minTrain, fold.train.length);
  const ks = opts.ks === undefined || opts.ks === null ? DEFAULT_KS.filter((k) => k <= minTrain) : checkKs(opts.ks, minTrain);
  let kMax = 1;
  for (const k of ks) kMax = Math.max(kMax, k);
  const numClasses = numClassesOf(labels);
  const perK = ks.map(() => [] as number[]);
  const total = x.rows;
  let done = 0;
  // One neighbour search per fold at the largest k serves every k. Each search already spreads
  // its queries over the workers, so the folds run one after another.
  let algorithm = opts.algorithm ?? 'auto';
  const algorithms: ('brute' | 'pyramid')[] = [];
  let exact = 0, pairs = 0;
  // The first fold's axes of block sums serve the others (any axes keep the search exact): on
  // Fashion-MNIST (10,000 rows, one thread) the eigen-solve and its sample took about 6 ms a fold.
  const sharedAxes: SharedAxes = {};
  for (const fold of folds) {
    const knn = new KNearestNeighbor({ k: kMax, metric: opts.metric ?? 'l2', algorithm });
    shareBlockAxes(knn, sharedAxes);
    try {
      const trainLabels = Int32Array.from(fold.train, (i) => labels[i]!);
      await knn.train(takeRows(x, fold.train), trainLabels, { shape: opts.shape });
      const before = done;
      const { indices } = await knn.kneighbors(takeRows(x, fold.val), { onProgress: (d) => onProgress?.(before + d, total), signal });
      const truth = Int32Array.from(fold.val, (i) => labels[i]!);
      voteLabelsPerK(indices, kMax, trainLabels, numClasses, ks).forEach((votes, i) => perK[i]!.push(accuracy(votes, truth)));
      const stats = knn.lastStats!;
      algorithms.push(stats.algorithm);
      exact += stats.exact;
      pairs += stats.queries * stats.rows;
      // 'auto' decides on the first fold (its probe, build and timed sample); the other folds hold
      // as many rows of the same data, so they search the same way without deciding again.
      if (algorithm === 'auto') algorithm = stats.algorithm;
    } finally {
      knn.dispose();
    }
    done += fold.val.length;
  }
  const results = ks.map((k, i) => ({ k, accuracies: perK[i]!, ...meanStd(perK[i]!) }));
  let best = results[0]!;
  for (const r of results) if (r.mean > best.mean || (r.mean === best.mean && r.k < best.k)) best = r;
  return { folds: folds.length, results, bestK: best.k, search: { algorithms, exactShare: pairs > 0 ? exact / pairs : 0 } };
}

/** Checks a list of ks: 1 to MAX_KS positive integers, none above the smallest training fold. */
function checkKs(ks: unknown, minTrain: number): number[] {
  if (!Array.isArray(ks)) throw new ArgumentTypeError(`Expected ks to be a non-empty list of positive integers, got ${describe(ks)}`);
  if (ks.length === 0) throw new ArgumentRangeError('Expected ks to be a non-empty list of positive integers, got []');
  if (ks.length > MAX_KS) throw new ArgumentRangeError(`Expected at most ${MAX_KS} values in ks, got ${ks.length}`);
  ks.forEach((k, i) => {
    if (checkInt(k, `ks[${i}]`, 1) > minTrain) throw new ArgumentRangeError(`Expected every k <= the smallest training fold (${minTrain}), got ${k}`);
  });
  return ks as number[];
}

export interface GridPoint {
  learningRate: number;
  reg: number;
  trainAccuracy: number;
  valAccuracy: number;
  finalLoss: number;
  history: number[];
}

export interface GridSearchOptions extends Omit<LinearTrainOptions, 'learningRate' | 'reg' | 'onProgress'> {
  loss: LossName;
  learningRates: number[];
  regs: number[];
  /** Called after each (learningRate, reg) point with the number done and the total. */
  onProgress?: (done: number, total: number, point: GridPoint) => void;
}

/**
 * Trains a linear model for every (learningRate, reg) pair on the training split, scores it on
 * the validation split, and returns every point and the best by validation accuracy. A point whose
 * training diverges is recorded with accuracy 0 and loss NaN; if every point diverges, a
 * TrainingDivergedError carrying the points is thrown.
 */
export async function gridSearch(train: Split, val: Split, options: GridSearchOptions): Promise<{ points: GridPoint[]; best: GridPoint }> {
  const opts = checkOptions(options, 'options', ['loss', 'learningRates', 'regs', 'numIters', 'batchSize', 'seed', 'replace', 'onProgress', 'signal']);
  const { loss, learningRates: rates, regs: strengths, onProgress: progress, ...trainOptions } = opts;
  if (loss !== 'svm' && loss !== 'softmax') throw new ArgumentRangeError(`Expected loss to be 'svm' or 'softmax', got ${JSON.stringify(loss)}`);
  const learningRates = checkGridValues(rates, 'learningRates');
  const regs = checkGridValues(strengths, 'regs');
  const onProgress = checkCallback(progress, 'onProgress');
  const trainSplit = checkSplit(train, 'train'), valSplit = checkSplit(val, 'val');
  if (valSplit.X.cols !== trainSplit.X.cols) {
    throw new ArgumentRangeError(`Expected val.X to have ${trainSplit.X.cols} columns like train.X, got ${valSplit.X.cols}`);
  }
  const signal = checkSignal(trainOptions.signal);
  const grid = learningRates.flatMap((learningRate) => regs.map((reg) => ({ learningRate, reg })));
  const points = new Array<GridPoint>(grid.length);
  let done = 0;
  // Independent points train in parallel, as many at once as there are worker threads.
  await forEachInLanes([...grid.keys()], parallelism(), async (g) => {
    const { learningRate, reg } = grid[g]!;
    const model = newLinearModel(loss);
    let point: GridPoint;
    try {
      const history = await model.train(trainSplit.X, trainSplit.y, { ...trainOptions, learningRate, reg });
      point = {
        learningRate, reg, history, finalLoss: history.at(-1)!,
        trainAccuracy: await model.score(trainSplit.X, trainSplit.y, { signal }), valAccuracy: await model.score(valSplit.X, valSplit.y, { signal }),
      };
    } catch (err) {
      if ((err as { code?: string }).code !== 'ERR_DIVERGED') throw err;
      point = { learningRate, reg, history: (err as { history: number[] }).history, finalLoss: NaN, trainAccuracy: 0, valAccuracy: 0 };
    } finally {
      model.dispose();
    }
    points[g] = point;
    onProgress?.(++done, grid.length, point);
  }, signal, 'gridSearch');
  let best: GridPoint | undefined;
  for (const p of points) if (Number.isFinite(p.finalLoss) && (best === undefined || p.valAccuracy > best.valAccuracy)) best = p;
  if (best === undefined) {
    let furthest = 0;
    for (const p of points) furthest = Math.max(furthest, p.history.length);
    const err = new TrainingDivergedError(furthest, `No grid point trained: the ${loss} training diverged for every learning rate ` +
      `(${learningRates.join(', ')}) and reg (${regs.join(', ')}). Lower learningRates or regs. The error carries the points.`);
    throw Object.assign(err, { points });
  }
  return { points, best };
}

/** A non-empty list of finite values >= 0 (learning rates or regularization strengths). */
function checkGridValues(values: unknown, name: string): number[] {
  const list = checkNumberList(values, name, 0, F32_MAX);
  if (list.length === 0) throw new ArgumentRangeError(`Expected ${name} to be a non-empty list of numbers, got []`);
  return list;
}

/** A training or validation split { X, y }, validated once before any model trains on it. */
function checkSplit(split: unknown, name: string): Split {
  if (typeof split !== 'object' || split === null) {
    throw new ArgumentTypeError(`Expected ${name} to be a split { X, y } (like trainValSplit's train and val), got ${describe(split)}`);
  }
  const { X, y } = split as Partial<Split>;
  const x = toMatrix(X!, `${name}.X`);
  return { X: x, y: toLabels(y!, x.rows, `${name}.y`) };
}

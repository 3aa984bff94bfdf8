import { ArgumentRangeError } from './errors.js';
import { KNearestNeighbor, voteLabels, type Metric } from './knn.js';
import { newLinearModel, type LinearTrainOptions } from './linear.js';
import type { LossName } from './losses.js';
import { checkInt, checkNumber, takeRows, numClassesOf, toLabels, toMatrix, type Labels, type Matrix, type MatrixLike } from './matrix.js';
import { accuracy } from './metrics.js';
import { Random } from './random.js';

export interface Split {
  X: Matrix;
  y: Int32Array;
}

/** Mean and population standard deviation (numpy's np.std) of a list of accuracies. */
export function meanStd(values: number[]): { mean: number; std: number } {
  if (values.length === 0) return { mean: 0, std: 0 };
  const mean = values.reduce((a, b) => a + b, 0) / values.length;
  const std = Math.sqrt(values.reduce((a, b) => a + (b - mean) ** 2, 0) / values.length);
  return { mean, std };
}

/**
 * Splits rows at random (seeded) into a training part and a validation part of `valSize` rows
 * (or that fraction of rows when 0 < valSize < 1). Default: 20% validation, seed 0.
 */
export function trainValSplit(X: MatrixLike, y: Labels, options: { valSize?: number; seed?: number } = {}): { train: Split; val: Split } {
  const x = toMatrix(X, 'X');
  const labels = toLabels(y, x.rows, 'y');
  const valSize = checkNumber(options.valSize ?? 0.2, 'valSize', 0);
  const count = valSize < 1 ? Math.round(valSize * x.rows) : valSize;
  if (!Number.isInteger(count) || count < 1 || count >= x.rows) {
    throw new ArgumentRangeError(`Expected valSize to leave between 1 and ${x.rows - 1} validation rows (a fraction in (0, 1) or a count), got ${valSize}`);
  }
  const random = new Random(checkInt(options.seed ?? 0, 'seed', 0, 0xffffffff));
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

/**
 * k-fold split of n records into contiguous folds in record order, sized like numpy.array_split:
 * the first n % folds folds get one extra record.
 */
export function kFold(n: number, folds: number): Fold[] {
  checkInt(n, 'n', 0);
  checkInt(folds, 'folds', 2);
  if (folds > n) throw new ArgumentRangeError(`Expected folds <= number of records (${n}), got ${folds}`);
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

/** Trains a fresh model per fold (factory()) and scores it on the held-out fold. */
export async function crossValidate(factory: () => Estimator, X: MatrixLike, y: Labels, options: { folds?: number; onProgress?: (fold: number, folds: number) => void } = {}): Promise<CrossValidationResult> {
  const x = toMatrix(X, 'X');
  const labels = toLabels(y, x.rows, 'y');
  const accuracies: number[] = [];
  const folds = kFold(x.rows, options.folds ?? 5);
  for (const [f, fold] of folds.entries()) {
    const model = factory();
    try {
      await model.train(takeRows(x, fold.train), Int32Array.from(fold.train, (i) => labels[i]!));
      accuracies.push(await model.score(takeRows(x, fold.val), Int32Array.from(fold.val, (i) => labels[i]!)));
    } finally {
      model.dispose?.();
    }
    options.onProgress?.(f + 1, folds.length);
  }
  return { accuracies, ...meanStd(accuracies) };
}

export interface KnnCrossValidation {
  folds: number;
  results: ({ k: number } & CrossValidationResult)[];
  bestK: number;
}

/**
 * Cross-validates kNN for every k in `ks` with one neighbour search per fold at the largest k:
 * votes for smaller k come from the same sorted neighbours. bestK: highest mean, smallest k on ties.
 */
export async function crossValidateKnn(X: MatrixLike, y: Labels, options: { ks: number[]; folds?: number; metric?: Metric; onProgress?: (done: number, total: number) => void }): Promise<KnnCrossValidation> {
  const x = toMatrix(X, 'X');
  const labels = toLabels(y, x.rows, 'y');
  const ks = options.ks;
  if (!Array.isArray(ks) || ks.length === 0) throw new ArgumentRangeError('Expected ks to be a non-empty list of positive integers');
  ks.forEach((k, i) => checkInt(k, `ks[${i}]`, 1));
  const folds = kFold(x.rows, options.folds ?? 5);
  const kMax = Math.max(...ks);
  const minTrain = Math.min(...folds.map((f) => f.train.length));
  if (kMax > minTrain) throw new ArgumentRangeError(`Expected every k <= the smallest training fold (${minTrain}), got ${kMax}`);
  const numClasses = numClassesOf(labels);
  const perK = ks.map(() => [] as number[]);
  const total = x.rows;
  let done = 0;
  for (const fold of folds) {
    const knn = new KNearestNeighbor({ k: kMax, metric: options.metric ?? 'l2' });
    try {
      const trainLabels = Int32Array.from(fold.train, (i) => labels[i]!);
      await knn.train(takeRows(x, fold.train), trainLabels);
      const { indices } = await knn.kneighbors(takeRows(x, fold.val), {
        onProgress: (d) => options.onProgress?.(done + d, total),
      });
      const truth = Int32Array.from(fold.val, (i) => labels[i]!);
      ks.forEach((k, i) => perK[i]!.push(accuracy(voteLabels(indices, kMax, trainLabels, numClasses, k), truth)));
    } finally {
      knn.dispose();
    }
    done += fold.val.length;
  }
  const results = ks.map((k, i) => ({ k, accuracies: perK[i]!, ...meanStd(perK[i]!) }));
  let best = results[0]!;
  for (const r of results) if (r.mean > best.mean || (r.mean === best.mean && r.k < best.k)) best = r;
  return { folds: folds.length, results, bestK: best.k };
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
 * training diverges is recorded with accuracy 0 and loss NaN.
 */
export async function gridSearch(train: Split, val: Split, options: GridSearchOptions): Promise<{ points: GridPoint[]; best: GridPoint }> {
  const { loss, learningRates, regs, onProgress, ...trainOptions } = options;
  if (loss !== 'svm' && loss !== 'softmax') throw new ArgumentRangeError(`Expected loss to be 'svm' or 'softmax', got ${JSON.stringify(loss)}`);
  if (!learningRates?.length || !regs?.length) throw new ArgumentRangeError('Expected non-empty learningRates and regs lists');
  const points: GridPoint[] = [];
  const total = learningRates.length * regs.length;
  for (const learningRate of learningRates) {
    for (const reg of regs) {
      const model = newLinearModel(loss);
      let point: GridPoint;
      try {
        const history = await model.train(train.X, train.y, { ...trainOptions, learningRate, reg });
        point = { learningRate, reg, history, finalLoss: history.at(-1)!, trainAccuracy: await model.score(train.X, train.y), valAccuracy: await model.score(val.X, val.y) };
      } catch (err) {
        if ((err as { code?: string }).code !== 'ERR_DIVERGED') throw err;
        point = { learningRate, reg, history: (err as { history: number[] }).history, finalLoss: NaN, trainAccuracy: 0, valAccuracy: 0 };
      } finally {
        model.dispose();
      }
      points.push(point);
      onProgress?.(points.length, total, point);
    }
  }
  let best = points[0]!;
  for (const p of points) if (p.valAccuracy > best.valAccuracy) best = p;
  return { points, best };
}

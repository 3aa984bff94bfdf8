import { ArgumentRangeError, ArgumentTypeError, DataFormatError, StateError, TrainingDivergedError } from './errors.js';
import { F32_MAX, MAX_CLASSES, checkInt, checkNumber, numClassesOf, toLabels, toMatrix, type Labels, type Matrix, type MatrixLike } from './matrix.js';
import { LOSS_CODES, readWeights, weightLayout, writeWeights, type LossName, type WeightLayout } from './losses.js';
import { accuracy } from './metrics.js';
import { Random } from './random.js';
import { checkCallback, checkOptions } from './options.js';
import { byteSize, core, formatBytes, paddedStride, type Core } from './runtime.js';
import { chunkRanges, rowsPerChunk, storeRowChunk, strideOf, writeRows } from './wasm-rows.js';

export interface LinearTrainOptions {
  /** SGD step size (default 1e-3). */
  learningRate?: number;
  /** L2 regularization strength: the loss adds reg * sum(W^2) (default 1e-5). */
  reg?: number;
  /** SGD iterations (default 100). */
  numIters?: number;
  /** Rows per minibatch (default 200). */
  batchSize?: number;
  /** Seed for the initial weights and the minibatches (default 0). */
  seed?: number;
  /** Sample each minibatch with replacement, as the lecture does (default true). */
  replace?: boolean;
  /** Called after every iteration with its index (0-based), the total and the minibatch loss. */
  onProgress?: (iteration: number, numIters: number, loss: number) => void;
}

/** The serialized form; `format` and `version` are checked by fromJSON. */
export interface LinearModelJSON {
  format: 'simdclass-linear';
  version: 1;
  model: LossName;
  numFeatures: number;
  numClasses: number;
  mean: number[];
  weights: number[];
  bias: number[];
}

const TRAIN_OPTIONS = ['learningRate', 'reg', 'numIters', 'batchSize', 'seed', 'replace', 'onProgress'] as const;
const FORMAT = 'simdclass-linear';
const VERSION = 1;
// Rows scored per kernel call at predict: bounds memory at O(block x D).
const SCORE_BLOCK = 256;

interface LinearState {
  core: Core;
  d: number;
  c: number;
  layout: WeightLayout;
  /** d f32 values, padded: the training mean image. */
  mean: number;
  /** (d + 1) x c weights with the bias at dim d, class-major (see weightLayout). */
  w: number;
}

/**
 * f(x) = W x + b trained by minibatch SGD on the SVM or softmax loss, in the wasm core.
 * Inputs are centred by the training mean image (kept in the model) and use the bias trick inside.
 */
export class LinearClassifier {
  readonly loss: LossName;
  private state: LinearState | null = null;
  private disposed = false;

  protected constructor(loss: LossName) {
    this.loss = loss;
  }

  /** Number of input features D (0 before train). */
  get numFeatures(): number { return this.state?.d ?? 0; }
  /** Number of classes C (0 before train). */
  get numClasses(): number { return this.state?.c ?? 0; }

  /**
   * Trains from fresh weights (0.001 * N(0, 1), seeded) and returns the loss of every iteration.
   * A failed call (bad input, or weights that stop being finite) leaves the model as it was.
   */
  async train(X: MatrixLike, y: Labels, trainOptions?: LinearTrainOptions | null): Promise<number[]> {
    const options = checkOptions(trainOptions, 'train options', TRAIN_OPTIONS);
    this.checkAlive();
    const c = core();
    const x = toMatrix(X, 'X');
    const learningRate = checkNumber(options.learningRate ?? 1e-3, 'learningRate', 0, F32_MAX);
    const reg = checkNumber(options.reg ?? 1e-5, 'reg', 0, F32_MAX);
    const numIters = checkInt(options.numIters ?? 100, 'numIters', 1);
    const batchSize = checkInt(options.batchSize ?? 200, 'batchSize', 1);
    const seed = checkInt(options.seed ?? 0, 'seed', 0, 0xffffffff);
    const replace = options.replace ?? true;
    if (typeof replace !== 'boolean') throw new ArgumentTypeError(`Expected replace to be a boolean, got ${typeof replace} ${JSON.stringify(replace)}`);
    const onProgress = checkCallback(options.onProgress, 'onProgress');
    if (x.rows === 0) throw new ArgumentRangeError('Expected X to have at least one training row, got 0');
    if (x.cols === 0) throw new ArgumentRangeError('Expected X to have at least one column, got 0');
    if (!replace && batchSize > x.rows) {
      throw new ArgumentRangeError(`Expected batchSize <= nTrain (${x.rows}) when sampling without replacement, got ${batchSize}`);
    }
    const labels = toLabels(y, x.rows, 'y');
    const numClasses = numClassesOf(labels);
    const distinct = new Set(labels).size;
    if (distinct < 2) throw new ArgumentRangeError(`Expected y to hold labels of at least 2 classes, got only class ${labels[0]}`);

    const d = x.cols;
    const layout = weightLayout(d + 1, numClasses);
    // The widest minibatch block (centred rows, or scores) must fit in one wasm block.
    const maxBatch = Math.floor(c.maxBlockBytes / Math.max(layout.ld, layout.lds));
    if (batchSize > maxBatch) {
      throw new ArgumentRangeError(`Expected batchSize <= ${maxBatch} for ${d} features and ${numClasses} classes (a minibatch must fit one ${formatBytes(c.maxBlockBytes)} WebAssembly block), got ${batchSize}`);
    }
    const stride = strideOf(x), perChunk = rowsPerChunk(stride);
    const batchBytes = [byteSize('minibatch rows', batchSize, 4), byteSize('minibatch labels', batchSize, 4), byteSize('minibatch', batchSize, layout.ld), byteSize('minibatch scores', batchSize, layout.lds)];
    const needed = paddedStride(d, 4) + 2 * layout.bytes + layout.lossPanelBytes + byteSize('training rows', x.rows, stride) + batchBytes.reduce((a, b) => a + b, 0);
    c.checkFits(needed, `training a ${this.loss} model on ${x.rows} x ${d} ${x.data instanceof Uint8Array ? 'u8' : 'f32'} rows with batchSize ${batchSize}`);
    const random = new Random(seed);
    return c.scoped((scope) => {
      const next: LinearState = { core: c, d, c: numClasses, layout, mean: scope.alloc(paddedStride(d, 4), 'the mean image'), w: scope.alloc(layout.bytes, 'the weights') };
      const chunks = chunkRanges(x.rows, perChunk).map((r) => storeRowChunk(c, scope, x, r.first, r.rows, stride));
      const [ptrs, yb, xb, s] = batchBytes.map((bytes, i) => scope.alloc(bytes, ['minibatch rows', 'minibatch labels', 'minibatch', 'minibatch scores'][i]!));
      const panels = scope.alloc(layout.lossPanelBytes, 'class panels'), dw = scope.alloc(layout.bytes, 'the gradient');
      writeMean(c, next.mean, x);
      initWeights(c, next.w, d + 1, numClasses, layout, random);

      const history: number[] = [];
      const order = replace ? null : Int32Array.from({ length: x.rows }, (_, i) => i);
      const code = LOSS_CODES[this.loss];
      for (let it = 0; it < numIters; it++) {
        const heap = c.i32, pb = ptrs! >>> 2, lb = yb! >>> 2;
        for (let b = 0; b < batchSize; b++) {
          const row = order === null ? random.int(x.rows) : drawWithoutReplacement(order, b, random);
          const chunk = chunks[Math.floor(row / perChunk)]!;
          heap[pb + b] = chunk.ptr + (row - chunk.first) * stride; // an address past 2 GiB wraps to the same i32 bits
          heap[lb + b] = labels[row]!;
        }
        const loss = c.kernels.sgdStep(code, x.data instanceof Uint8Array ? 1 : 0, ptrs!, yb!, batchSize, d, next.mean, next.w, numClasses, reg, learningRate, xb!, layout.ld, s!, layout.lds, panels, dw);
        if (!Number.isFinite(loss)) {
          const err = new TrainingDivergedError(it, `Training diverged at iteration ${it}: the ${this.loss} loss or the weights stopped being finite ` +
            `(learningRate ${learningRate}, reg ${reg}). Lower learningRate or reg. The model was left as it was; the error carries the last finite weights.`);
          throw Object.assign(err, { history, weights: readWeights(c, next.w, d, numClasses, layout), bias: readWeights(c, next.w, 1, numClasses, layout, d) });
        }
        history.push(loss);
        onProgress?.(it, numIters, loss);
      }
      this.release();
      scope.keep(next.mean);
      scope.keep(next.w);
      this.state = next;
      return history;
    });
  }

  /** Class scores W x + b of each row of X: an N x C matrix. */
  scores(X: MatrixLike): Matrix<Float32Array> {
    const state = this.trained();
    const x = toMatrix(X, 'X');
    if (x.cols !== state.d && x.rows > 0) throw new ArgumentRangeError(`Expected X to have ${state.d} columns like the training data, got ${x.cols}`);
    const { core: c, layout } = state;
    const n = x.rows, width = layout.lds >> 2;
    const out = new Float32Array(n * state.c);
    if (n === 0) return { data: out, rows: 0, cols: state.c };
    const block = Math.min(SCORE_BLOCK, n), stride = strideOf(x);
    c.scoped((scope) => {
      const src = scope.alloc(byteSize('rows', block, stride), 'rows');
      const xb = scope.alloc(byteSize('centred rows', block, layout.ld), 'centred rows');
      const s = scope.alloc(byteSize('scores', block, layout.lds), 'scores');
      const panels = scope.alloc(layout.scorePanelBytes, 'class panels');
      c.kernels.packClassPanels(state.w, layout.ld, state.c, 0, panels);
      for (let first = 0; first < n; first += block) {
        const count = Math.min(block, n - first);
        writeRows(c, x, first, count, src, stride);
        c.kernels.linearScores(src, x.data instanceof Uint8Array ? 1 : 0, stride, 0, count, state.d, state.mean, panels, state.c, xb, layout.ld, s, layout.lds);
        const heap = c.f32, base = s >>> 2;
        for (let r = 0; r < count; r++) {
          for (let j = 0; j < state.c; j++) out[(first + r) * state.c + j] = heap[base + r * width + j]!;
        }
      }
    });
    return { data: out, rows: n, cols: state.c };
  }

  /** Predicted label of each row of X: the class with the highest score (ties to the smaller label). */
  async predict(X: MatrixLike): Promise<Int32Array> {
    const s = this.scores(X);
    const out = new Int32Array(s.rows);
    for (let i = 0; i < s.rows; i++) {
      let best = 0;
      for (let j = 1; j < s.cols; j++) if (s.data[i * s.cols + j]! > s.data[i * s.cols + best]!) best = j;
      out[i] = best;
    }
    return out;
  }

  /** Fraction of rows of X whose predicted label equals y. */
  async score(X: MatrixLike, y: Labels): Promise<number> {
    const x = toMatrix(X, 'X');
    return accuracy(await this.predict(x), toLabels(y, x.rows, 'y'));
  }

  /** W as a D x C matrix (a copy). */
  get weights(): Matrix<Float32Array> {
    const s = this.trained();
    return { data: readWeights(s.core, s.w, s.d, s.c, s.layout), rows: s.d, cols: s.c };
  }

  /** b, one value per class (a copy). */
  get bias(): Float32Array {
    const s = this.trained();
    return readWeights(s.core, s.w, 1, s.c, s.layout, s.d);
  }

  /** The training mean image that predict subtracts (a copy, D values). */
  get mean(): Float32Array {
    const s = this.trained();
    return s.core.f32.slice(s.mean >>> 2, (s.mean >>> 2) + s.d);
  }

  toJSON(): LinearModelJSON {
    const s = this.trained();
    return {
      format: FORMAT, version: VERSION, model: this.loss, numFeatures: s.d, numClasses: s.c,
      mean: Array.from(this.mean), weights: Array.from(this.weights.data), bias: Array.from(this.bias),
    };
  }

  /** Frees the model's wasm memory. The model cannot be used afterwards. */
  dispose(): void {
    this.release();
    this.disposed = true;
  }

  protected load(json: unknown): this {
    const j = checkJSON(json, this.loss);
    const c = core();
    const layout = weightLayout(j.numFeatures + 1, j.numClasses);
    c.checkFits(paddedStride(j.numFeatures, 4) + layout.bytes, `a ${this.loss} model of ${j.numFeatures} features and ${j.numClasses} classes`);
    // The bias trick: b is dim D of the (D + 1) x C weights.
    const weights = new Float32Array((j.numFeatures + 1) * j.numClasses);
    weights.set(j.weights);
    weights.set(j.bias, j.weights.length);
    this.state = c.scoped((scope) => {
      const next: LinearState = { core: c, d: j.numFeatures, c: j.numClasses, layout, mean: scope.alloc(paddedStride(j.numFeatures, 4), 'the mean image'), w: scope.alloc(layout.bytes, 'the weights') };
      writePaddedMean(c, next.mean, j.mean);
      writeWeights(c, next.w, { data: weights, rows: j.numFeatures + 1, cols: j.numClasses }, layout);
      scope.keep(next.mean);
      scope.keep(next.w);
      return next;
    });
    return this;
  }

  private release(): void {
    if (this.state === null) return;
    this.state.core.free(this.state.mean);
    this.state.core.free(this.state.w);
    this.state = null;
  }

  private checkAlive(): void {
    if (this.disposed) throw new StateError(`This ${this.constructor.name} was disposed; create a new one`);
  }

  protected trained(): LinearState {
    this.checkAlive();
    if (this.state === null) throw new StateError(`${this.constructor.name} is not trained: call train(X, y) first`);
    return this.state;
  }
}

/** Linear classifier trained on the multiclass SVM (hinge) loss. */
export class LinearSVM extends LinearClassifier {
  constructor() { super('svm'); }

  /** Rebuilds a model from toJSON() output; a wrong format, model or corrupted array is a DataFormatError. */
  static fromJSON(json: unknown): LinearSVM {
    return new LinearSVM().load(json);
  }
}

/** Linear classifier trained on the softmax (cross-entropy) loss; adds class probabilities. */
export class Softmax extends LinearClassifier {
  constructor() { super('softmax'); }

  /** Class probabilities of each row of X: softmax of the scores, an N x C matrix whose rows sum to 1. */
  predictProba(X: MatrixLike): Matrix<Float32Array> {
    const s = this.scores(X);
    for (let i = 0; i < s.rows; i++) {
      const row = s.data.subarray(i * s.cols, (i + 1) * s.cols);
      let top = -Infinity;
      for (let j = 0; j < row.length; j++) top = Math.max(top, row[j]!);
      let sum = 0;
      for (let j = 0; j < row.length; j++) sum += (row[j] = Math.exp(row[j]! - top));
      for (let j = 0; j < row.length; j++) row[j]! /= sum;
    }
    return s;
  }

  /** Rebuilds a model from toJSON() output; a wrong format, model or corrupted array is a DataFormatError. */
  static fromJSON(json: unknown): Softmax {
    return new Softmax().load(json);
  }
}

/** A fresh, untrained linear model for this loss. */
export function newLinearModel(loss: LossName): LinearClassifier {
  return loss === 'svm' ? new LinearSVM() : new Softmax();
}

function writeMean(c: Core, ptr: number, x: Matrix): void {
  const sums = new Float64Array(x.cols);
  for (let r = 0; r < x.rows; r++) {
    const o = r * x.cols;
    for (let j = 0; j < x.cols; j++) sums[j]! += x.data[o + j]!;
  }
  writePaddedMean(c, ptr, sums.map((v) => v / x.rows));
}

/** The mean image into its wasm block, zero-padded to a whole number of v128 lanes. */
function writePaddedMean(c: Core, ptr: number, mean: ArrayLike<number>): void {
  const heap = c.f32, base = ptr >>> 2;
  heap.fill(0, base, base + (paddedStride(mean.length, 4) >> 2));
  heap.set(mean, base);
}

function initWeights(c: Core, ptr: number, rows: number, classes: number, layout: WeightLayout, random: Random): void {
  const data = Float32Array.from({ length: rows * classes }, () => 0.001 * random.normal());
  writeWeights(c, ptr, { data, rows, cols: classes }, layout);
}

/** Partial Fisher-Yates: the b-th draw of a minibatch without replacement. */
function drawWithoutReplacement(order: Int32Array, b: number, random: Random): number {
  const j = b + random.int(order.length - b);
  const pick = order[j]!;
  order[j] = order[b]!;
  order[b] = pick;
  return pick;
}

function checkJSON(json: unknown, loss: LossName): LinearModelJSON {
  const fail = (what: string): never => { throw new DataFormatError(`Not a simdclass ${loss} model: ${what}`); };
  if (typeof json === 'string') {
    try { json = JSON.parse(json); } catch { fail('the text is not valid JSON'); }
  }
  if (typeof json !== 'object' || json === null) return fail('expected an object');
  const j = json as Record<string, unknown>;
  if (j.format !== FORMAT) fail(`expected format "${FORMAT}", got ${JSON.stringify(j.format)}`);
  if (j.version !== VERSION) fail(`expected version ${VERSION}, got ${JSON.stringify(j.version)}`);
  if (j.model !== loss) fail(`expected model "${loss}", got ${JSON.stringify(j.model)}`);
  const d = j.numFeatures, c = j.numClasses;
  if (typeof d !== 'number' || !Number.isInteger(d) || d < 1) fail(`numFeatures must be a positive integer, got ${JSON.stringify(d)}`);
  if (typeof c !== 'number' || !Number.isInteger(c) || c < 2 || c > MAX_CLASSES) fail(`numClasses must be an integer in [2, ${MAX_CLASSES}], got ${JSON.stringify(c)}`);
  byteSize(`a ${loss} model's weights`, (d as number) + 1, c as number, 4);
  const arrays: [string, number][] = [['mean', d as number], ['weights', (d as number) * (c as number)], ['bias', c as number]];
  for (const [name, length] of arrays) {
    const a = j[name];
    if (!Array.isArray(a) || a.length !== length) fail(`${name} must be an array of ${length} numbers, got ${Array.isArray(a) ? a.length : typeof a}`);
    // Values past the largest f32 would become Infinity in the model.
    const bad = (a as unknown[]).findIndex((v) => typeof v !== 'number' || !(Math.abs(v) <= F32_MAX));
    if (bad >= 0) fail(`${name}[${bad}] is not a finite f32 number (|v| <= ${F32_MAX}), got ${String((a as unknown[])[bad])}`);
  }
  return j as unknown as LinearModelJSON;
}

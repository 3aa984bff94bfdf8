import { ArgumentRangeError, ArgumentTypeError, DataFormatError, TrainingDivergedError } from './errors.js';
import { checkAborted } from './exec/executor.js';
import { linearScores, runSgd, type LinearWeights } from './exec/linear.js';
import { F32_MAX, MAX_CLASSES, checkInt, checkNumber, numClassesOf, toLabels, toMatrix, type Labels, type Matrix, type MatrixLike } from './matrix.js';
import type { LossName } from './losses.js';
import { accuracy } from './metrics.js';
import { decodeModelFile, encodeModelFile } from './model-file.js';
import { ModelState } from './model-state.js';
import { checkCallback, checkOptions, checkSignal } from './options.js';
import { Random } from './random.js';
import { byteSize, core, formatBytes, type Core } from './runtime.js';
import { chunkRanges, paddedStride, readWeights, rowsPerChunk, storeRowChunk, strideOf, weightLayout, writeWeights, type WeightLayout } from './layout.js';

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
  /** Cancels training: it rejects with ERR_ABORTED and the model is as it was. */
  signal?: AbortSignal;
}

export interface ScoresOptions {
  /** Cancels the call: it rejects with ERR_ABORTED. */
  signal?: AbortSignal;
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

const TRAIN_OPTIONS = ['learningRate', 'reg', 'numIters', 'batchSize', 'seed', 'replace', 'onProgress', 'signal'] as const;
const FORMAT = 'simdclass-linear';
const VERSION = 1;

interface LinearState extends LinearWeights {
  core: Core;
}

/**
 * f(x) = W x + b trained by minibatch SGD on the SVM or softmax loss, in the wasm core.
 * Inputs are centred by the training mean image (kept in the model) and use the bias trick inside.
 */
export class LinearClassifier {
  readonly loss: LossName;
  private readonly model: ModelState<LinearState>;

  protected constructor(loss: LossName) {
    this.loss = loss;
    this.model = new ModelState(this.constructor.name, (state) => {
      state.core.free(state.mean);
      state.core.free(state.w);
    });
  }

  /** Number of input features D (0 before train). */
  get numFeatures(): number { return this.model.current?.d ?? 0; }
  /** Number of classes C (0 before train). */
  get numClasses(): number { return this.model.current?.classes ?? 0; }

  /**
   * Trains from fresh weights (0.001 * N(0, 1), seeded) and returns the loss of every iteration.
   * A failed call (bad input, or weights that stop being finite) leaves the model as it was.
   */
  async train(X: MatrixLike, y: Labels, trainOptions?: LinearTrainOptions | null): Promise<number[]> {
    const options = checkOptions(trainOptions, 'train options', TRAIN_OPTIONS);
    this.model.checkAlive();
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
    const signal = checkSignal(options.signal);
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
    const needed = paddedStride(d, 4) + 2 * layout.bytes + layout.lossPanelBytes + byteSize('training rows', x.rows, stride) +
      byteSize('minibatch', batchSize, layout.ld + layout.lds + 8);
    c.checkFits(needed, `training a ${this.loss} model on ${x.rows} x ${d} ${x.data instanceof Uint8Array ? 'u8' : 'f32'} rows with batchSize ${batchSize}`);
    let history: number[] = [];
    await this.model.train(() => c.scopedAsync(async (scope) => {
      const random = new Random(seed);
      const next: LinearState = { core: c, d, classes: numClasses, layout, mean: scope.alloc(paddedStride(d, 4), 'the mean image'), w: scope.alloc(layout.bytes, 'the weights') };
      const chunks = chunkRanges(x.rows, perChunk).map((r) => storeRowChunk(c, scope, x, r.first, r.rows, stride));
      writeMean(c, next.mean, x);
      initWeights(c, next.w, d + 1, numClasses, layout, random);
      const run = await runSgd(c, scope, {
        loss: this.loss, isU8: x.data instanceof Uint8Array, chunks, rowsPerChunk: perChunk, stride, rows: x.rows, d, classes: numClasses, layout,
        mean: next.mean, w: next.w, labels, batchSize, numIters, learningRate, reg, random,
        order: replace ? null : Int32Array.from({ length: x.rows }, (_, i) => i),
      }, {
        onIteration: (it, loss) => onProgress?.(it, numIters, loss),
        checkContinue: () => { checkAborted(signal, 'train'); this.model.checkAlive(); },
      });
      history = run.history;
      if (run.divergedAt !== null) {
        const it = run.divergedAt;
        const err = new TrainingDivergedError(it, `Training diverged at iteration ${it}: the ${this.loss} loss or the weights stopped being finite ` +
          `(learningRate ${learningRate}, reg ${reg}). Lower learningRate or reg. The model was left as it was; the error carries the last finite weights.`);
        throw Object.assign(err, { history, weights: readWeights(c, next.w, d, numClasses, layout), bias: readWeights(c, next.w, 1, numClasses, layout, d) });
      }
      scope.keep(next.mean);
      scope.keep(next.w);
      return next;
    }));
    return history;
  }

  /** Class scores W x + b of each row of X: an N x C matrix. */
  async scores(X: MatrixLike, scoresOptions?: ScoresOptions | null): Promise<Matrix<Float32Array>> {
    const options = checkOptions(scoresOptions, 'scores options', ['signal']);
    const signal = checkSignal(options.signal);
    return this.model.read(async (state) => {
      const x = toMatrix(X, 'X');
      if (x.cols !== state.d && x.rows > 0) throw new ArgumentRangeError(`Expected X to have ${state.d} columns like the training data, got ${x.cols}`);
      return linearScores(state.core, state, x, signal);
    });
  }

  /** Predicted label of each row of X: the class with the highest score (ties to the smaller label). */
  async predict(X: MatrixLike, options?: ScoresOptions | null): Promise<Int32Array> {
    const s = await this.scores(X, options);
    const out = new Int32Array(s.rows);
    for (let i = 0; i < s.rows; i++) {
      let best = 0;
      for (let j = 1; j < s.cols; j++) if (s.data[i * s.cols + j]! > s.data[i * s.cols + best]!) best = j;
      out[i] = best;
    }
    return out;
  }

  /** Fraction of rows of X whose predicted label equals y. */
  async score(X: MatrixLike, y: Labels, options?: ScoresOptions | null): Promise<number> {
    const x = toMatrix(X, 'X');
    return accuracy(await this.predict(x, options), toLabels(y, x.rows, 'y'));
  }

  /** W as a D x C matrix (a copy). */
  get weights(): Matrix<Float32Array> {
    const s = this.model.trained();
    return { data: readWeights(s.core, s.w, s.d, s.classes, s.layout), rows: s.d, cols: s.classes };
  }

  /** b, one value per class (a copy). */
  get bias(): Float32Array {
    const s = this.model.trained();
    return readWeights(s.core, s.w, 1, s.classes, s.layout, s.d);
  }

  /** The training mean image that predict subtracts (a copy, D values). */
  get mean(): Float32Array {
    const s = this.model.trained();
    return s.core.f32.slice(s.mean >>> 2, (s.mean >>> 2) + s.d);
  }

  toJSON(): LinearModelJSON {
    const s = this.model.trained();
    return {
      format: FORMAT, version: VERSION, model: this.loss, numFeatures: s.d, numClasses: s.classes,
      mean: Array.from(this.mean), weights: Array.from(this.weights.data), bias: Array.from(this.bias),
    };
  }

  /** Frees the model's wasm memory (once calls still running on it end). The model cannot be used afterwards. */
  dispose(): void {
    this.model.dispose();
  }

  /** The model as bytes (a simdclass model file, the family KNearestNeighbor.save writes); the class's load(bytes) rebuilds it. */
  save(): Uint8Array {
    const s = this.model.trained();
    const f32 = (a: Float32Array): Uint8Array => new Uint8Array(a.buffer, a.byteOffset, a.byteLength);
    return encodeModelFile({
      kind: this.loss, header: { numFeatures: s.d, numClasses: s.classes },
      sections: [{ name: 'mean', bytes: f32(this.mean) }, { name: 'weights', bytes: f32(this.weights.data) }, { name: 'bias', bytes: f32(this.bias) }],
    });
  }

  protected restore(j: LinearParts): this {
    const c = core();
    const layout = weightLayout(j.numFeatures + 1, j.numClasses);
    c.checkFits(paddedStride(j.numFeatures, 4) + layout.bytes, `a ${this.loss} model of ${j.numFeatures} features and ${j.numClasses} classes`);
    // The bias trick: b is dim D of the (D + 1) x C weights.
    const weights = new Float32Array((j.numFeatures + 1) * j.numClasses);
    weights.set(j.weights);
    weights.set(j.bias, j.weights.length);
    this.model.set(c.scoped((scope) => {
      const next: LinearState = { core: c, d: j.numFeatures, classes: j.numClasses, layout, mean: scope.alloc(paddedStride(j.numFeatures, 4), 'the mean image'), w: scope.alloc(layout.bytes, 'the weights') };
      writePaddedMean(c, next.mean, j.mean);
      writeWeights(c, next.w, { data: weights, rows: j.numFeatures + 1, cols: j.numClasses }, layout);
      scope.keep(next.mean);
      scope.keep(next.w);
      return next;
    }));
    return this;
  }
}

/** Linear classifier trained on the multiclass SVM (hinge) loss. */
export class LinearSVM extends LinearClassifier {
  constructor() { super('svm'); }

  /** Rebuilds a model from toJSON() output; a wrong format, model or corrupted array is a DataFormatError. */
  static fromJSON(json: unknown): LinearSVM {
    return new LinearSVM().restore(checkJSON(json, 'svm'));
  }

  /** Rebuilds a model from save()'s bytes; a wrong or corrupted file is a DataFormatError. */
  static load(bytes: Uint8Array | ArrayBuffer): LinearSVM {
    return new LinearSVM().restore(checkModelFile(bytes, 'svm'));
  }
}

/** Linear classifier trained on the softmax (cross-entropy) loss; adds class probabilities. */
export class Softmax extends LinearClassifier {
  constructor() { super('softmax'); }

  /** Class probabilities of each row of X: softmax of the scores, an N x C matrix whose rows sum to 1. */
  async predictProba(X: MatrixLike, options?: ScoresOptions | null): Promise<Matrix<Float32Array>> {
    const s = await this.scores(X, options);
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
    return new Softmax().restore(checkJSON(json, 'softmax'));
  }

  /** Rebuilds a model from save()'s bytes; a wrong or corrupted file is a DataFormatError. */
  static load(bytes: Uint8Array | ArrayBuffer): Softmax {
    return new Softmax().restore(checkModelFile(bytes, 'softmax'));
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

/** The parameters of a saved linear model, from toJSON's object or a model file. */
interface LinearParts {
  numFeatures: number;
  numClasses: number;
  mean: ArrayLike<number>;
  weights: ArrayLike<number>;
  bias: ArrayLike<number>;
}

function checkJSON(json: unknown, loss: LossName): LinearParts {
  const fail = (what: string): never => { throw new DataFormatError(`Not a simdclass ${loss} model: ${what}`); };
  if (typeof json === 'string') {
    try { json = JSON.parse(json); } catch { fail('the text is not valid JSON'); }
  }
  if (typeof json !== 'object' || json === null) return fail('expected an object');
  const j = json as Record<string, unknown>;
  if (j.format !== FORMAT) fail(`expected format "${FORMAT}", got ${JSON.stringify(j.format)}`);
  if (j.version !== VERSION) fail(`expected version ${VERSION}, got ${JSON.stringify(j.version)}`);
  if (j.model !== loss) fail(`expected model "${loss}", got ${JSON.stringify(j.model)}`);
  return checkParts(j, loss, fail);
}

/** A model file's parameters: the header's sizes, the mean, weights and bias sections as f32. */
function checkModelFile(bytes: Uint8Array | ArrayBuffer, loss: LossName): LinearParts {
  const file = decodeModelFile(bytes, loss);
  const fail = (what: string): never => { throw new DataFormatError(`Not a valid simdclass ${loss} model file: ${what}`); };
  const arrays: Record<string, unknown> = { ...file.header };
  for (const name of ['mean', 'weights', 'bias']) {
    const section = file.sections.get(name) ?? fail(`the ${name} section is missing`);
    if (section.length % 4 !== 0) fail(`the ${name} section holds ${section.length} bytes, not whole f32 values`);
    arrays[name] = new Float32Array(section.slice().buffer);
  }
  return checkParts(arrays, loss, fail);
}

function checkParts(j: Record<string, unknown>, loss: LossName, fail: (what: string) => never): LinearParts {
  const d = j.numFeatures, c = j.numClasses;
  if (typeof d !== 'number' || !Number.isInteger(d) || d < 1) fail(`numFeatures must be a positive integer, got ${JSON.stringify(d)}`);
  if (typeof c !== 'number' || !Number.isInteger(c) || c < 2 || c > MAX_CLASSES) fail(`numClasses must be an integer in [2, ${MAX_CLASSES}], got ${JSON.stringify(c)}`);
  byteSize(`a ${loss} model's weights`, (d as number) + 1, c as number, 4);
  const arrays: [string, number][] = [['mean', d as number], ['weights', (d as number) * (c as number)], ['bias', c as number]];
  for (const [name, length] of arrays) {
    const a = j[name];
    const isList = Array.isArray(a) || a instanceof Float32Array;
    if (!isList || (a as ArrayLike<unknown>).length !== length) fail(`${name} must be an array of ${length} numbers, got ${isList ? (a as ArrayLike<unknown>).length : typeof a}`);
    // Values past the largest f32 would become Infinity in the model.
    const bad = Array.prototype.findIndex.call(a, (v: unknown) => typeof v !== 'number' || !(Math.abs(v) <= F32_MAX));
    if (bad >= 0) fail(`${name}[${bad}] is not a finite f32 number (|v| <= ${F32_MAX}), got ${String((a as ArrayLike<unknown>)[bad])}`);
  }
  return j as unknown as LinearParts;
}

import { ArgumentRangeError } from './errors.js';
import { F32_MAX, checkNumber, toLabels, toMatrix, type Labels, type Matrix, type MatrixLike } from './matrix.js';
import { byteSize, core, paddedStride, type Core } from './runtime.js';
import { writeRows } from './wasm-rows.js';

/** The two losses of the lecture: multiclass SVM (hinge) and softmax (cross-entropy). */
export type LossName = 'svm' | 'softmax';

// Loss codes; twin: LOSS_SVM / LOSS_SOFTMAX in assembly/loss.ts.
export const LOSS_CODES: Record<LossName, number> = { svm: 0, softmax: 1 };

export interface LossResult {
  /** Mean data loss over the rows plus reg * sum(W^2). */
  loss: number;
  /** dLoss/dW, D x C like W. */
  grad: Matrix<Float32Array>;
}

// Floats per step of the class-major gradient tile; twin: CLASS_DIMS in assembly/gemm.ts.
const CLASS_DIMS = 12;

/**
 * Wasm layout of a D x C weight matrix: class-major (the rows of W^T), each class a row of `ld`
 * bytes, which is also the row stride of the X rows it multiplies; score rows take `lds` bytes.
 */
export interface WeightLayout {
  ld: number;
  lds: number;
  /** Bytes of the C class rows. */
  bytes: number;
  /** Bytes of the panels lossGrad packs its C - 1 shifted classes into. */
  lossPanelBytes: number;
  /** Bytes of the panels linearScores packs the C classes into. */
  scorePanelBytes: number;
}

export function weightLayout(dims: number, classes: number): WeightLayout {
  const ld = byteSize('a weight row', Math.ceil(Math.max(1, dims) / CLASS_DIMS) * CLASS_DIMS, 4);
  const panelBytes = (n: number): number => Math.max(16, byteSize('class panels', Math.ceil(n / 3) * 3, ld));
  return { ld, lds: paddedStride(classes, 4), bytes: byteSize('the weights', classes, ld), lossPanelBytes: panelBytes(classes - 1), scorePanelBytes: panelBytes(classes) };
}

/** Writes a D x C f32 matrix into a class-major wasm block, zero padded. */
export function writeWeights(c: Core, ptr: number, W: Matrix, layout: WeightLayout): void {
  const heap = c.f32, width = layout.ld >> 2, base = ptr >>> 2;
  heap.fill(0, base, base + (layout.bytes >> 2));
  for (let d = 0; d < W.rows; d++) {
    for (let j = 0; j < W.cols; j++) heap[base + j * width + d] = W.data[d * W.cols + j]!;
  }
}

/** Reads dims firstRow .. firstRow + rows of a class-major wasm block as a dense rows x cols Float32Array. */
export function readWeights(c: Core, ptr: number, rows: number, cols: number, layout: WeightLayout, firstRow = 0): Float32Array {
  const heap = c.f32, width = layout.ld >> 2, base = (ptr >>> 2) + firstRow;
  const out = new Float32Array(rows * cols);
  for (let d = 0; d < rows; d++) for (let j = 0; j < cols; j++) out[d * cols + j] = heap[base + j * width + d]!;
  return out;
}

function allFinite(values: Float32Array): boolean {
  for (let i = 0; i < values.length; i++) if (values[i]! - values[i]! !== 0) return false;
  return true;
}

/**
 * The vectorized multiclass SVM loss and its gradient (the lecture's svm_loss_vectorized):
 * W is D x C, X is N x D (append a column of ones yourself for a bias), y holds N labels in [0, C).
 */
export function svmLoss(W: MatrixLike, X: MatrixLike, y: Labels, reg: number): LossResult {
  return lossAndGradient('svm', W, X, y, reg);
}

/** The vectorized softmax (cross-entropy) loss and its gradient; shapes as in svmLoss. */
export function softmaxLoss(W: MatrixLike, X: MatrixLike, y: Labels, reg: number): LossResult {
  return lossAndGradient('softmax', W, X, y, reg);
}

function lossAndGradient(kind: LossName, Wlike: MatrixLike, Xlike: MatrixLike, y: Labels, reg: number): LossResult {
  const c = core();
  const W = toMatrix(Wlike, 'W');
  const X = toMatrix(Xlike, 'X');
  checkNumber(reg, 'reg', 0, F32_MAX);
  if (W.cols < 1) throw new ArgumentRangeError(`Expected W to have at least one class column, got ${W.cols}`);
  if (X.rows === 0) throw new ArgumentRangeError('Expected X to have at least one row, got 0');
  if (W.rows !== X.cols) throw new ArgumentRangeError(`Expected W to be D x C with D = X.cols (${X.cols}), got ${W.rows} x ${W.cols}`);
  const labels = toLabels(y, X.rows, 'y', W.cols);
  const layout = weightLayout(W.rows, W.cols);
  const n = X.rows;
  const f32X: Matrix = X.data instanceof Float32Array ? X : { data: Float32Array.from(X.data), rows: X.rows, cols: X.cols };
  const blocks: [string, number][] = [
    ['X', byteSize('X', n, layout.ld)], ['W', layout.bytes], ['the labels', byteSize('the labels', n, 4)],
    ['the scores', byteSize('the scores', n, layout.lds)], ['class panels', layout.lossPanelBytes], ['the gradient', layout.bytes],
  ];
  c.checkFits(blocks.reduce((sum, [, bytes]) => sum + bytes, 0), `the ${kind} loss of ${n} x ${X.cols} X and ${W.rows} x ${W.cols} W`);
  const result = c.scoped((scope) => {
    const [x, w, yp, s, panels, dw] = blocks.map(([what, bytes]) => scope.alloc(bytes, what)) as [number, number, number, number, number, number];
    writeRows(c, f32X, 0, n, x, layout.ld);
    writeWeights(c, w, W, layout);
    c.i32.set(labels, yp >>> 2);
    const loss = c.kernels.lossGrad(LOSS_CODES[kind], x, layout.ld, n, w, W.cols, yp, reg, s, layout.lds, panels, dw);
    return { loss, grad: { data: readWeights(c, dw, W.rows, W.cols, layout), rows: W.rows, cols: W.cols } };
  });
  if (!Number.isFinite(result.loss) || !allFinite(result.grad.data)) {
    throw new ArgumentRangeError(`The ${kind} loss of these W and X is not finite in f32 (loss ${result.loss}): scores W x overflow; scale X or W down`);
  }
  return result;
}

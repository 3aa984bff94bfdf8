import { ArgumentRangeError } from './errors.js';
import { F32_MAX, checkNumber, toLabels, toMatrix, type Labels, type Matrix, type MatrixLike } from './matrix.js';
import { lossAndGradient } from './exec/loss.js';
import { core } from './runtime.js';

/** The two losses of the lecture: multiclass SVM (hinge) and softmax (cross-entropy). */
export type LossName = 'svm' | 'softmax';

export interface LossResult {
  /** Mean data loss over the rows plus reg * sum(W^2). */
  loss: number;
  /** dLoss/dW, D x C like W. */
  grad: Matrix<Float32Array>;
}

/**
 * The vectorized multiclass SVM loss and its gradient (the lecture's svm_loss_vectorized):
 * W is D x C, X is N x D (append a column of ones yourself for a bias), y holds N labels in [0, C).
 */
export function svmLoss(W: MatrixLike, X: MatrixLike, y: Labels, reg: number): LossResult {
  return checkedLoss('svm', W, X, y, reg);
}

/** The vectorized softmax (cross-entropy) loss and its gradient; shapes as in svmLoss. */
export function softmaxLoss(W: MatrixLike, X: MatrixLike, y: Labels, reg: number): LossResult {
  return checkedLoss('softmax', W, X, y, reg);
}

function checkedLoss(kind: LossName, Wlike: MatrixLike, Xlike: MatrixLike, y: Labels, reg: number): LossResult {
  const c = core();
  const W = toMatrix(Wlike, 'W');
  const X = toMatrix(Xlike, 'X');
  checkNumber(reg, 'reg', 0, F32_MAX);
  if (W.cols < 1) throw new ArgumentRangeError(`Expected W to have at least one class column, got ${W.cols}`);
  if (X.rows === 0) throw new ArgumentRangeError('Expected X to have at least one row, got 0');
  if (W.rows !== X.cols) throw new ArgumentRangeError(`Expected W to be D x C with D = X.cols (${X.cols}), got ${W.rows} x ${W.cols}`);
  return lossAndGradient(c, kind, W, X, toLabels(y, X.rows, 'y', W.cols), reg);
}

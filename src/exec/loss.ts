// Drives the fused loss + gradient kernel (assembly/loss.ts) for svmLoss and softmaxLoss: a sync
// math function, so it runs in the caller's thread on the main instance.
import { ArgumentRangeError } from '../errors.js';
import { readWeights, weightLayout, writeRows, writeWeights } from '../layout.js';
import type { LossName, LossResult } from '../losses.js';
import type { Matrix } from '../matrix.js';
import { byteSize, type Core } from '../runtime.js';

// Loss codes; twin: LOSS_SVM / LOSS_SOFTMAX in assembly/loss.ts.
export const LOSS_CODES: Record<LossName, number> = { svm: 0, softmax: 1 };

/** The mean loss over X's rows plus reg * sum(W^2), and dLoss/dW; labels already checked against W's classes. */
export function lossAndGradient(c: Core, kind: LossName, W: Matrix, X: Matrix, labels: Int32Array, reg: number): LossResult {
  const layout = weightLayout(W.rows, W.cols, c);
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

function allFinite(values: Float32Array): boolean {
  for (let i = 0; i < values.length; i++) if (values[i]! - values[i]! !== 0) return false;
  return true;
}

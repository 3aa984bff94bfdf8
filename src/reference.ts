// Plain, obviously-correct implementations: the ground truth the kernels are tested against.
// Double precision, explicit loops, no tricks. Not fast, on purpose.
import type { Matrix } from './matrix.js';
import type { Metric } from './knn.js';

/**
 * m x n distances (L1, Euclidean L2, or cosine distance 1 - cos) between rows of a and rows of b,
 * computed directly. A zero vector has cosine similarity 0 with every row (distance 1).
 */
export function referenceDistances(a: Matrix, b: Matrix, metric: Metric): Float64Array {
  const out = new Float64Array(a.rows * b.rows);
  for (let i = 0; i < a.rows; i++) {
    for (let j = 0; j < b.rows; j++) {
      let s = 0, dot = 0, na = 0, nb = 0;
      for (let d = 0; d < a.cols; d++) {
        const x = a.data[i * a.cols + d]!, y = b.data[j * b.cols + d]!;
        s += metric === 'l1' ? Math.abs(x - y) : (x - y) * (x - y);
        dot += x * y; na += x * x; nb += y * y;
      }
      out[i * b.rows + j] = metric === 'l1' ? s : metric === 'l2' ? Math.sqrt(s) : na === 0 || nb === 0 ? 1 : 1 - dot / Math.sqrt(na * nb);
    }
  }
  return out;
}

/** Indices of the k nearest rows of b for each row of a: by distance, equal distances by lower index. */
export function referenceKneighbors(a: Matrix, b: Matrix, k: number, metric: Metric): Int32Array {
  const dist = referenceDistances(a, b, metric);
  const out = new Int32Array(a.rows * k);
  for (let i = 0; i < a.rows; i++) {
    const order = Array.from({ length: b.rows }, (_, j) => j);
    order.sort((x, y) => dist[i * b.rows + x]! - dist[i * b.rows + y]! || x - y);
    for (let j = 0; j < k; j++) out[i * k + j] = order[j]!;
  }
  return out;
}

/** kNN prediction: majority label among the k nearest, a tied vote going to the smallest label. */
export function referencePredict(a: Matrix, b: Matrix, labels: ArrayLike<number>, k: number, metric: Metric): Int32Array {
  const nearest = referenceKneighbors(a, b, k, metric);
  const out = new Int32Array(a.rows);
  for (let i = 0; i < a.rows; i++) {
    const votes = new Map<number, number>();
    for (let j = 0; j < k; j++) {
      const label = labels[nearest[i * k + j]!]!;
      votes.set(label, (votes.get(label) ?? 0) + 1);
    }
    let best = Infinity, bestVotes = -1;
    for (const [label, count] of votes) {
      if (count > bestVotes || (count === bestVotes && label < best)) { best = label; bestVotes = count; }
    }
    out[i] = best;
  }
  return out;
}

export interface LossAndGradient {
  loss: number;
  /** D x C, row-major, like W. */
  grad: Float64Array;
}

/** Class scores of one row: x (length D) times W (D x C). */
function rowScores(W: ArrayLike<number>, x: ArrayLike<number>, xOffset: number, D: number, C: number): number[] {
  const s = new Array<number>(C).fill(0);
  for (let d = 0; d < D; d++) for (let j = 0; j < C; j++) s[j]! += x[xOffset + d]! * W[d * C + j]!;
  return s;
}

/** The lecture's naive multiclass SVM loss: sum_{j != y} max(0, s_j - s_y + 1), averaged, plus reg * sum(W^2). */
export function referenceSvmLoss(W: ArrayLike<number>, X: Matrix, y: ArrayLike<number>, C: number, reg: number): LossAndGradient {
  const D = X.cols, N = X.rows;
  const grad = new Float64Array(D * C);
  let loss = 0;
  for (let i = 0; i < N; i++) {
    const s = rowScores(W, X.data, i * D, D, C);
    const yi = y[i]!;
    for (let j = 0; j < C; j++) {
      if (j === yi) continue;
      const margin = s[j]! - s[yi]! + 1;
      if (margin > 0) {
        loss += margin;
        for (let d = 0; d < D; d++) {
          grad[d * C + j]! += X.data[i * D + d]!;
          grad[d * C + yi]! -= X.data[i * D + d]!;
        }
      }
    }
  }
  return finish(W, grad, N === 0 ? 0 : loss / N, N, reg);
}

/** The lecture's naive softmax loss: -log(e^{s_y} / sum_j e^{s_j}), averaged, plus reg * sum(W^2). */
export function referenceSoftmaxLoss(W: ArrayLike<number>, X: Matrix, y: ArrayLike<number>, C: number, reg: number): LossAndGradient {
  const D = X.cols, N = X.rows;
  const grad = new Float64Array(D * C);
  let loss = 0;
  for (let i = 0; i < N; i++) {
    const s = rowScores(W, X.data, i * D, D, C);
    const top = Math.max(...s);
    const e = s.map((v) => Math.exp(v - top));
    const sum = e.reduce((a, b) => a + b, 0);
    const yi = y[i]!;
    loss -= Math.log(e[yi]! / sum);
    for (let j = 0; j < C; j++) {
      const p = e[j]! / sum - (j === yi ? 1 : 0);
      for (let d = 0; d < D; d++) grad[d * C + j]! += p * X.data[i * D + d]!;
    }
  }
  return finish(W, grad, N === 0 ? 0 : loss / N, N, reg);
}

function finish(W: ArrayLike<number>, grad: Float64Array, dataLoss: number, N: number, reg: number): LossAndGradient {
  let sumSq = 0;
  for (let i = 0; i < grad.length; i++) {
    const w = W[i]!;
    sumSq += w * w;
    grad[i] = (N === 0 ? 0 : grad[i]! / N) + 2 * reg * w;
  }
  return { loss: dataLoss + reg * sumSq, grad };
}

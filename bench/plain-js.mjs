// The plain-JS reference of every benchmarked operation: typed arrays and straight loops, the
// code a careful JS developer writes without WebAssembly. It is the baseline of the "vs JS"
// column, so it is kept reasonable (no boxed numbers, no sorting of all n distances); it is
// not src/reference.ts, which favours obvious correctness over speed.
// Each distance function is written out per metric and element type so every call site stays
// monomorphic for the JIT.

/** L1 distances, u8 rows: out[i * n + j] = sum |q_i - t_j|. */
export function distancesL1U8(q, m, t, n, d, out) {
  for (let i = 0; i < m; i++) {
    const qo = i * d;
    for (let j = 0; j < n; j++) {
      const to = j * d;
      let s = 0;
      for (let c = 0; c < d; c++) s += Math.abs(q[qo + c] - t[to + c]);
      out[i * n + j] = s;
    }
  }
}

/** Squared L2 distances, u8 rows. */
export function distancesL2U8(q, m, t, n, d, out) {
  for (let i = 0; i < m; i++) {
    const qo = i * d;
    for (let j = 0; j < n; j++) {
      const to = j * d;
      let s = 0;
      for (let c = 0; c < d; c++) {
        const diff = q[qo + c] - t[to + c];
        s += diff * diff;
      }
      out[i * n + j] = s;
    }
  }
}

/** L1 distances, f32 rows. */
export function distancesL1F32(q, m, t, n, d, out) {
  for (let i = 0; i < m; i++) {
    const qo = i * d;
    for (let j = 0; j < n; j++) {
      const to = j * d;
      let s = 0;
      for (let c = 0; c < d; c++) s += Math.abs(q[qo + c] - t[to + c]);
      out[i * n + j] = s;
    }
  }
}

/** Squared L2 distances, f32 rows. */
export function distancesL2F32(q, m, t, n, d, out) {
  for (let i = 0; i < m; i++) {
    const qo = i * d;
    for (let j = 0; j < n; j++) {
      const to = j * d;
      let s = 0;
      for (let c = 0; c < d; c++) {
        const diff = q[qo + c] - t[to + c];
        s += diff * diff;
      }
      out[i * n + j] = s;
    }
  }
}

/**
 * Indices of the k nearest training rows of each of m u8 queries (m x k, nearest first, ties to
 * the lower index): one distance per training row, kept in a sorted array of k by insertion.
 */
export function kNearestU8(q, m, t, n, d, k, metric, outIdx) {
  const bestDist = new Float64Array(k);
  const bestIdx = new Int32Array(k);
  const l1 = metric === 'l1';
  for (let i = 0; i < m; i++) {
    bestDist.fill(Infinity);
    bestIdx.fill(-1);
    const qo = i * d;
    for (let j = 0; j < n; j++) {
      const to = j * d;
      let s = 0;
      if (l1) {
        for (let c = 0; c < d; c++) s += Math.abs(q[qo + c] - t[to + c]);
      } else {
        for (let c = 0; c < d; c++) {
          const diff = q[qo + c] - t[to + c];
          s += diff * diff;
        }
      }
      if (s < bestDist[k - 1]) {
        let p = k - 1;
        while (p > 0 && bestDist[p - 1] > s) {
          bestDist[p] = bestDist[p - 1];
          bestIdx[p] = bestIdx[p - 1];
          p--;
        }
        bestDist[p] = s;
        bestIdx[p] = j;
      }
    }
    outIdx.set(bestIdx, i * k);
  }
}

/** kNN prediction: the k nearest (kNearestU8), then a majority vote with ties to the smallest label. */
export function knnPredictU8(q, m, t, n, d, labels, numClasses, k, metric) {
  const idx = new Int32Array(m * k);
  kNearestU8(q, m, t, n, d, k, metric, idx);
  return vote(idx, k, labels, numClasses);
}

/** Majority vote of the k labels of each query (ties to the smallest label). */
export function vote(indices, k, labels, numClasses) {
  const m = indices.length / k;
  const out = new Int32Array(m);
  const counts = new Int32Array(numClasses);
  for (let i = 0; i < m; i++) {
    counts.fill(0);
    for (let j = 0; j < k; j++) counts[labels[indices[i * k + j]]]++;
    let best = 0;
    for (let c = 1; c < numClasses; c++) if (counts[c] > counts[best]) best = c;
    out[i] = best;
  }
  return out;
}

/** Fraction of equal labels, or null for no predictions. */
export function accuracyOf(pred, labels) {
  let hit = 0;
  for (let i = 0; i < pred.length; i++) if (pred[i] === labels[i]) hit++;
  return pred.length === 0 ? null : hit / pred.length;
}

/** C (m x n) = A (m x k) . B (k x n), dense row-major Float32Arrays, i-k-j loop order. */
export function gemm(A, B, C, m, k, n) {
  C.fill(0, 0, m * n);
  for (let i = 0; i < m; i++) {
    const ci = i * n;
    for (let p = 0; p < k; p++) {
      const a = A[i * k + p];
      const bp = p * n;
      for (let j = 0; j < n; j++) C[ci + j] += a * B[bp + j];
    }
  }
}

/** C (k x n) = A^T . B with A (m x k) and B (m x n): the gradient product X^T dS. */
export function gemmTn(A, B, C, m, k, n) {
  C.fill(0, 0, k * n);
  for (let i = 0; i < m; i++) {
    const bi = i * n;
    for (let p = 0; p < k; p++) {
      const a = A[i * k + p];
      const cp = p * n;
      for (let j = 0; j < n; j++) C[cp + j] += a * B[bi + j];
    }
  }
}

/**
 * The vectorized SVM or softmax loss of the lecture, in loops: S = X W, dS from the loss, then
 * dW = X^T dS + 2 reg W. X is m x d, W is d x c, S is m x c scratch; returns the loss.
 */
export function lossGrad(kind, X, m, d, W, c, y, reg, S, dW) {
  gemm(X, W, S, m, d, c);
  let loss = 0;
  const scale = 1 / m;
  for (let i = 0; i < m; i++) {
    const row = i * c;
    const label = y[i];
    if (kind === 'svm') {
      const sy = S[row + label];
      let positive = 0;
      for (let j = 0; j < c; j++) {
        if (j === label) continue;
        const margin = S[row + j] - sy + 1;
        if (margin > 0) {
          loss += margin;
          positive++;
          S[row + j] = scale;
        } else {
          S[row + j] = 0;
        }
      }
      S[row + label] = -positive * scale;
    } else {
      let top = -Infinity;
      for (let j = 0; j < c; j++) top = Math.max(top, S[row + j]);
      let sum = 0;
      for (let j = 0; j < c; j++) sum += (S[row + j] = Math.exp(S[row + j] - top));
      loss -= Math.log(S[row + label] / sum);
      for (let j = 0; j < c; j++) S[row + j] = (S[row + j] / sum - (j === label ? 1 : 0)) * scale;
    }
  }
  gemmTn(X, S, dW, m, d, c);
  let sumSq = 0;
  for (let i = 0; i < d * c; i++) {
    sumSq += W[i] * W[i];
    dW[i] += 2 * reg * W[i];
  }
  return loss / m + reg * sumSq;
}

/** Column means of a u8 matrix (the training mean image). */
export function meanImage(X, rows, d) {
  const sums = new Float64Array(d);
  for (let r = 0; r < rows; r++) for (let c = 0; c < d; c++) sums[c] += X[r * d + c];
  const mean = new Float32Array(d);
  for (let c = 0; c < d; c++) mean[c] = sums[c] / rows;
  return mean;
}

/**
 * Minibatch SGD as LinearClassifier.train does it: per iteration draw `batch` rows with
 * replacement, gather them centred with a bias 1, loss and gradient, W -= lr dW.
 * Calls onIteration(it) after each step. Returns the last loss.
 */
export function sgdTrain(kind, X, y, rows, d, numClasses, mean, { iters, batch, learningRate, reg, random, normal, onIteration }) {
  const k = d + 1, c = numClasses;
  const W = new Float32Array(k * c);
  for (let i = 0; i < W.length; i++) W[i] = 0.001 * normal();
  const Xb = new Float32Array(batch * k), yb = new Int32Array(batch);
  const S = new Float32Array(batch * c), dW = new Float32Array(k * c);
  let loss = NaN;
  for (let it = 0; it < iters; it++) {
    for (let b = 0; b < batch; b++) {
      const row = Math.floor(random() * rows);
      yb[b] = y[row];
      const src = row * d, dst = b * k;
      for (let j = 0; j < d; j++) Xb[dst + j] = X[src + j] - mean[j];
      Xb[dst + d] = 1;
    }
    loss = lossGrad(kind, Xb, batch, k, W, c, yb, reg, S, dW);
    for (let i = 0; i < W.length; i++) W[i] -= learningRate * dW[i];
    onIteration?.(it);
  }
  return loss;
}

// Turning neighbours into class votes: the majority vote, scikit-learn's distance weighting, and
// the per-class vote shares behind predictProba. A tied vote goes to the smallest label.
import { ArgumentRangeError } from './errors.js';
import { MAX_CLASSES, checkInt } from './matrix.js';

/** How neighbours vote: one vote each, or 1 / distance with exact matches (distance 0) taking all the weight. */
export type Weights = 'uniform' | 'distance';

/**
 * Per-class vote shares of the first k of each row of `indices` (rows of length `stride`): an
 * m x numClasses matrix whose rows sum to 1. 'distance' weights each neighbour by 1 / distance;
 * when some of the k are at distance 0, only those vote (scikit-learn's rule).
 */
export function voteShares(indices: Int32Array, distances: Float32Array, stride: number, labels: Int32Array, numClasses: number, k: number, weights: Weights): Float64Array {
  const m = indices.length / stride;
  const out = new Float64Array(m * numClasses);
  for (let i = 0; i < m; i++) {
    const row = out.subarray(i * numClasses, (i + 1) * numClasses);
    let exact = false;
    if (weights === 'distance') for (let j = 0; j < k; j++) exact ||= distances[i * stride + j] === 0;
    let total = 0;
    for (let j = 0; j < k; j++) {
      const d = distances[i * stride + j]!;
      const w = weights === 'uniform' ? 1 : exact ? (d === 0 ? 1 : 0) : 1 / d;
      row[labels[indices[i * stride + j]!]!]! += w;
      total += w;
    }
    for (let c = 0; c < numClasses; c++) row[c]! /= total;
  }
  return out;
}

/** The class with the largest share in each row (ties to the smallest label). */
export function argmaxRows(shares: Float64Array, numClasses: number): Int32Array {
  const m = shares.length / numClasses;
  const out = new Int32Array(m);
  for (let i = 0; i < m; i++) {
    let best = 0;
    for (let c = 1; c < numClasses; c++) if (shares[i * numClasses + c]! > shares[i * numClasses + best]!) best = c;
    out[i] = best;
  }
  return out;
}

/**
 * Majority vote over the first k of each row of `indices` (rows of length `stride`), ties to the
 * smallest label. One neighbour search at the largest k serves every smaller k.
 */
export function voteLabels(indices: Int32Array, stride: number, labels: Int32Array, numClasses: number, k: number): Int32Array {
  return voteLabelsPerK(indices, stride, labels, numClasses, [k])[0]!;
}

/**
 * voteLabels for each k of `ks`, in one pass over the neighbours: each row's votes are counted
 * once up to the largest k, and the leader is read off at every k on the way (cross-validation
 * compares up to 1,000 ks on one search).
 */
export function voteLabelsPerK(indices: Int32Array, stride: number, labels: Int32Array, numClasses: number, ks: readonly number[]): Int32Array[] {
  checkInt(stride, 'stride', 1);
  ks.forEach((k, i) => checkInt(k, ks.length === 1 ? 'k' : `ks[${i}]`, 1, stride));
  checkInt(numClasses, 'numClasses', 1, MAX_CLASSES);
  if (indices.length % stride !== 0) throw new ArgumentRangeError(`Expected indices.length to be a multiple of stride (${stride}), got ${indices.length}`);
  for (let i = 0; i < labels.length; i++) {
    if (labels[i]! < 0 || labels[i]! >= numClasses) throw new ArgumentRangeError(`Expected labels[${i}] in [0, ${numClasses}), got ${labels[i]}`);
  }
  for (let i = 0; i < indices.length; i++) {
    if (indices[i]! < 0 || indices[i]! >= labels.length) throw new ArgumentRangeError(`Expected indices[${i}] in [0, ${labels.length}), got ${indices[i]}`);
  }
  const m = indices.length / stride, out = ks.map(() => new Int32Array(m));
  const byK = ks.map((k, at) => ({ k, at })).sort((a, b) => a.k - b.k), kMax = byK[byK.length - 1]?.k ?? 0;
  const counts = new Int32Array(numClasses);
  for (let i = 0; i < m; i++) {
    counts.fill(0);
    let leader = 0, next = 0;
    for (let j = 0; j < kMax; j++) {
      const label = labels[indices[i * stride + j]!]!, count = ++counts[label]!;
      // Only this label's count grew: it leads if it passed the leader, or tied it with a smaller label.
      if (count > counts[leader]! || (count === counts[leader]! && label < leader)) leader = label;
      for (; next < byK.length && byK[next]!.k === j + 1; next++) out[byK[next]!.at]![i] = leader;
    }
  }
  return out;
}

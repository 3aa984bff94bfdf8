// What 'auto' asks before it builds a pyramid (src/knn.ts): on a sample, would the coarsest level
// prune? On data whose bounds are far below the distances (uniform noise, where every distance
// is close to every other) the pyramid computes every exact distance and its bounds besides;
// building it and timing it on a sample would cost more than the whole search saves.
import type { Matrix } from '../matrix.js';
import { distanceMatrix } from './knn.js';
import { keepRows, readStoredRows, freeTrainingRows, type TrainingRows } from './knn-rows.js';
import { levelBlocks, type PyramidMetric, type Shape } from './pyramid.js';

/** Training rows in the sample: evenly spaced over the set. */
const PROBE_ROWS = 512;

/**
 * The share of (query, sample row) pairs whose coarsest-level bound is at most the query's
 * nearest distance in the sample: what the coarsest level would keep if the sample were the
 * training set. With the full set the threshold (its k-th nearest distance) is smaller still, so
 * the share only overstates what survives. 1 when there is no level to bound with.
 */
export function coarseKeepShare(t: TrainingRows, shape: Shape | null, x: Matrix, metric: PyramidMetric): number {
  const geometry: Shape = shape ?? [1, t.cols, 1];
  const block = levelBlocks(geometry)[0];
  if (block === undefined || x.rows === 0) return 1;
  const n = Math.min(t.rows, PROBE_ROWS);
  const keep = Int32Array.from({ length: n }, (_, i) => Math.floor((i * t.rows) / n));
  const sample = keepRows(t, keep);
  try {
    const distances = distanceMatrix(sample, x);
    const rows = readStoredRows(sample);
    const rowSums = Array.from({ length: n }, (_, i) => blockSums(rows.subarray(i * t.stride, i * t.stride + t.cols), geometry, block));
    let kept = 0;
    for (let q = 0; q < x.rows; q++) {
      const sums = blockSums(x.data.subarray(q * x.cols, (q + 1) * x.cols) as Uint8Array, geometry, block);
      let nearest = Infinity;
      for (let i = 0; i < n; i++) nearest = Math.min(nearest, distances[q * n + i]!);
      // Squared L2 from the Euclidean f32 distance, rounded up: an estimate may err to keeping more.
      const tau = metric === 'l1' ? nearest : Math.ceil(nearest * nearest * (1 + 1e-6));
      for (let i = 0; i < n; i++) if (coarseBound(sums, rowSums[i]!, metric) <= tau) kept++;
    }
    return kept / (x.rows * n);
  } finally {
    freeTrainingRows(sample);
  }
}

interface BlockSums {
  sums: Float64Array;
  pixels: Float64Array;
}

/** Per-channel sums of the blocks of one HWC image (edge blocks smaller), as the level's rows hold them. */
function blockSums(x: ArrayLike<number>, [h, w, c]: Shape, [bh, bw]: [number, number]): BlockSums {
  const count = Math.ceil(h / bh) * Math.ceil(w / bw) * c;
  const sums = new Float64Array(count), pixels = new Float64Array(count);
  let b = 0;
  for (let top = 0; top < h; top += bh) {
    for (let left = 0; left < w; left += bw) {
      const height = Math.min(bh, h - top), width = Math.min(bw, w - left);
      for (let ch = 0; ch < c; ch++, b++) {
        let s = 0;
        for (let y = top; y < top + height; y++) for (let p = left; p < left + width; p++) s += x[(y * w + p) * c + ch]!;
        sums[b] = s;
        pixels[b] = height * width;
      }
    }
  }
  return { sums, pixels };
}

/** The block-sum lower bound of L1, or of squared L2 (assembly/pyramid.ts states both). */
function coarseBound(a: BlockSums, b: BlockSums, metric: PyramidMetric): number {
  let s = 0;
  for (let i = 0; i < a.sums.length; i++) {
    const d = a.sums[i]! - b.sums[i]!;
    s += metric === 'l1' ? Math.abs(d) : (d * d) / a.pixels[i]!;
  }
  return s;
}

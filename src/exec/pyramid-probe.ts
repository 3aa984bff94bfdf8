// What 'auto' asks before it builds a pyramid (src/knn.ts): on a sample, would the coarsest level
// prune? On data whose bounds are far below the distances (uniform noise, where every distance
// is close to every other) the pyramid computes every exact distance and its bounds besides;
// building it and timing it on a sample would cost more than the whole search saves.
import { writeRows } from '../layout.js';
import type { Matrix } from '../matrix.js';
import { byteSize } from '../runtime.js';
import { distanceMatrix } from './knn.js';
import { keepRows, freeTrainingRows, type TrainingRows } from './knn-rows.js';
import { METRICS } from './metric.js';
import { levelBlocks, pyramidKernels, type PyramidMetric, type Shape } from './pyramid.js';

/** Training rows in the sample: evenly spaced over the set. */
const PROBE_ROWS = 512;

/**
 * The share of (query, sample row) pairs whose coarsest-level bound is at most the query's
 * nearest distance in the sample: what the coarsest level would keep if the sample were the
 * training set. With the full set the threshold (its k-th nearest distance) is smaller still, so
 * the share only overstates what survives. 1 when there is no level to bound with. The bounds are
 * the search's own kernels' (assembly/pyramid.ts), in the caller's thread: the sample is small.
 */
export function coarseKeepShare(t: TrainingRows, shape: Shape | null, x: Matrix, metric: PyramidMetric): number {
  const geometry: Shape = shape ?? [1, t.cols, 1];
  const block = levelBlocks(geometry)[0];
  if (block === undefined || x.rows === 0) return 1;
  const c = t.core, kernels = pyramidKernels(c), n = Math.min(t.rows, PROBE_ROWS), m = x.rows;
  const sample = keepRows(t, Int32Array.from({ length: n }, (_, i) => Math.floor((i * t.rows) / n)));
  try {
    const distances = distanceMatrix(sample, x);
    return c.scoped((scope) => {
      const desc = scope.alloc(kernels.pyramidDescBytes(), 'a pyramid level descriptor');
      const rowBytes = kernels.pyramidDescribeLevel(geometry[0], geometry[1], geometry[2], block[0], block[1], desc);
      const rows = scope.alloc(byteSize('a pyramid level', n, rowBytes), 'a pyramid level');
      const scratch = scope.alloc(kernels.pyramidSumsScratchBytes(t.cols), 'pyramid scratch');
      for (const chunk of sample.chunks) kernels.pyramidSumsU8(chunk.ptr, chunk.rows, t.stride, desc, rows + chunk.first * rowBytes, 0, scratch);
      const cols = scope.alloc(kernels.pyramidColumnsBytes(n, desc), 'a pyramid level');
      kernels.pyramidColumnsU8(rows, n, desc, cols, 0);
      const q = scope.alloc(byteSize('query rows', m, t.stride), 'query rows');
      writeRows(c, x, 0, m, q, t.stride);
      const qRows = scope.alloc(byteSize('query levels', m, rowBytes), 'query levels');
      kernels.pyramidSumsU8(q, m, t.stride, desc, qRows, 0, scratch);
      const bounds = scope.alloc(byteSize('pyramid bounds', Math.ceil(n / 8) * 8, 4), 'pyramid bounds');
      let kept = 0;
      for (let j = 0; j < m; j++) {
        kernels.pyramidColumnBoundsU8(METRICS[metric].code, qRows + j * rowBytes, cols, n, desc, bounds);
        let nearest = Infinity;
        for (let i = 0; i < n; i++) nearest = Math.min(nearest, distances[j * n + i]!);
        // Squared L2 from the Euclidean f32 distance, rounded up: an estimate may err to keeping more.
        const tau = metric === 'l1' ? nearest : Math.ceil(nearest * nearest * (1 + 1e-6));
        const view = c.i32.subarray(bounds >>> 2, (bounds >>> 2) + n);
        for (let i = 0; i < n; i++) if (view[i]! <= tau) kept++;
      }
      return kept / (m * n);
    });
  } finally {
    freeTrainingRows(sample);
  }
}

// k-nearest neighbours: blocked distances fused with top-k, so predicting m queries never holds
// the m x n distance matrix. A call covers one range of queries against all training rows;
// splitting queries across calls (or workers) gives the same result.
import { QUERY_TILE } from './common';
import { l1F32Tile, l1U8Tile, l2U8DotTile, normF32, widenU8Tile } from './distance';
import { PANEL_ROWS, l2PanelTile } from './l2-panels';
import { topkFinish, topkPush, topkReset } from './topk';

// Metric codes; twin: METRIC_CODES in src/knn.ts.
export const METRIC_L1: i32 = 1;
export const METRIC_L2: i32 = 2;

/** Training rows per block: a tile of queries meets one block while it is hot in cache. A multiple of PANEL_ROWS. */
export const TRAIN_BLOCK: i32 = 256;

const DIST_BYTES: i32 = QUERY_TILE * TRAIN_BLOCK * 4;

/** Bytes of scratch a knn or distances call needs: a tile of distances, 4 query norms, 4 queries widened to i16. */
export function knnScratchBytes(stride: i32): i32 {
  return DIST_BYTES + 16 + QUERY_TILE * stride * 2;
}

/**
 * The k nearest training rows of each of m u8 queries (rows of `stride` bytes).
 * Writes squared L2 or L1 distances (exact integers) to outDist (m x k, i32) and training
 * indices to outIdx (m x k, i32), ascending, ties to the lower index.
 * L2 also reads tNorms, the training rows' squared norms (rowNormsU8).
 */
export function knnU8(metric: i32, q: usize, m: i32, t: usize, tNorms: usize, n: i32, stride: i32, k: i32, outDist: usize, outIdx: usize, scratch: usize): void {
  topkReset<i32>(outDist, outIdx, m * k);
  for (let j0 = 0; j0 < n; j0 += TRAIN_BLOCK) {
    const rows = min(TRAIN_BLOCK, n - j0);
    for (let i = 0; i < m; i += QUERY_TILE) {
      const count = min(QUERY_TILE, m - i);
      u8Tile(metric, q + <usize>i * <usize>stride, count, t, tNorms, j0, rows, stride, scratch, TRAIN_BLOCK, scratch);
      pushTile<i32>(scratch, count, rows, j0, outDist, outIdx, i, k);
    }
  }
  finish<i32>(outDist, outIdx, m, k);
}

/** u8 distances of a query tile to training rows [j0, j0 + rows); `scratch` as sized by knnScratchBytes. */
function u8Tile(metric: i32, q: usize, count: i32, t: usize, tNorms: usize, j0: i32, rows: i32, stride: i32, out: usize, ldOut: i32, scratch: usize): void {
  const tb = t + <usize>j0 * <usize>stride;
  if (metric == METRIC_L1) {
    l1U8Tile(q, count, tb, rows, stride, out, ldOut);
  } else {
    const qNorms = scratch + DIST_BYTES, wide = qNorms + 16;
    widenU8Tile(q, count, stride, wide, qNorms);
    l2U8DotTile(wide, qNorms, count, tb, tNorms + (<usize>j0 << 2), rows, stride, out, ldOut);
  }
}

/**
 * The k nearest training rows of each of m f32 queries. L1 reads the training rows `t`;
 * L2 reads `panels` (training rows packed by packPanels8) and `tNorms` (their squared norms,
 * padded to a multiple of 8) and writes squared distances. Outputs as in knnU8, distances f32.
 */
export function knnF32(metric: i32, q: usize, m: i32, t: usize, panels: usize, tNorms: usize, n: i32, stride: i32, k: i32, outDist: usize, outIdx: usize, scratch: usize): void {
  topkReset<f32>(outDist, outIdx, m * k);
  for (let j0 = 0; j0 < n; j0 += TRAIN_BLOCK) {
    const rows = min(TRAIN_BLOCK, n - j0);
    for (let i = 0; i < m; i += QUERY_TILE) {
      const count = min(QUERY_TILE, m - i);
      const qi = q + <usize>i * <usize>stride;
      if (metric == METRIC_L1) l1F32Tile(qi, count, t + <usize>j0 * <usize>stride, rows, stride, scratch, TRAIN_BLOCK);
      else l2PanelRange(qi, count, panels, tNorms, j0, rows, stride, scratch, TRAIN_BLOCK);
      pushTile<f32>(scratch, count, rows, j0, outDist, outIdx, i, k);
    }
  }
  finish<f32>(outDist, outIdx, m, k);
}

/** All m x n u8 distances (L1, or squared L2) as i32: the explicit matrix, for teaching and small sets. */
export function distancesU8(metric: i32, q: usize, m: i32, t: usize, tNorms: usize, n: i32, stride: i32, out: usize, scratch: usize): void {
  for (let i = 0; i < m; i += QUERY_TILE) {
    const count = min(QUERY_TILE, m - i);
    u8Tile(metric, q + <usize>i * <usize>stride, count, t, tNorms, 0, n, stride, out + (<usize>i * <usize>n << 2), n, scratch);
  }
}

/** All m x n f32 distances (L1, or squared L2 through panels and norms) as f32. */
export function distancesF32(metric: i32, q: usize, m: i32, t: usize, panels: usize, tNorms: usize, n: i32, stride: i32, out: usize, scratch: usize): void {
  for (let i = 0; i < m; i += QUERY_TILE) {
    const count = min(QUERY_TILE, m - i);
    const qi = q + <usize>i * <usize>stride, oi = out + (<usize>i * <usize>n << 2);
    if (metric == METRIC_L1) l1F32Tile(qi, count, t, n, stride, oi, n);
    else l2PanelRange(qi, count, panels, tNorms, 0, n, stride, oi, n, scratch);
  }
}

/** Squared L2 of a query tile against training rows [j0, j0 + rows), j0 a multiple of PANEL_ROWS. */
function l2PanelRange(q: usize, count: i32, panels: usize, tNorms: usize, j0: i32, rows: i32, stride: i32, out: usize, ldOut: i32, normScratch: usize = 0): void {
  const qNorms = normScratch != 0 ? normScratch : out + <usize>DIST_BYTES;
  for (let r = 0; r < count; r++) store<f32>(qNorms + (<usize>r << 2), normF32(q + <usize>r * <usize>stride, stride));
  const panelBytes = <usize>stride * PANEL_ROWS;
  for (let p = 0; p < rows; p += PANEL_ROWS) {
    const j = j0 + p;
    l2PanelTile(q, count, stride, qNorms, panels + <usize>(j / PANEL_ROWS) * panelBytes, tNorms + (<usize>j << 2), min(PANEL_ROWS, rows - p), out + (<usize>p << 2), ldOut);
  }
}

// @ts-ignore: decorator
@inline function pushTile<T>(scratch: usize, count: i32, rows: i32, j0: i32, outDist: usize, outIdx: usize, i: i32, k: i32): void {
  for (let r = 0; r < count; r++) {
    const off = <usize>(i + r) * <usize>k << 2;
    topkPush<T>(scratch + (<usize>r * TRAIN_BLOCK << 2), rows, j0, outDist + off, outIdx + off, k);
  }
}

function finish<T>(outDist: usize, outIdx: usize, m: i32, k: i32): void {
  for (let i = 0; i < m; i++) {
    const off = <usize>i * <usize>k << 2;
    topkFinish<T>(outDist + off, outIdx + off, k);
  }
}

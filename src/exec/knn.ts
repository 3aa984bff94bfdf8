// Drives the kNN kernels (assembly/knn.ts) over the training rows held in wasm memory: the rows
// live in chunks (wasm-rows.ts, so training sets up to the wasm32 limit fit), each query block is
// searched chunk by chunk, and the per-chunk top-k lists are merged.
import { OutOfMemoryError } from '../errors.js';
import type { Matrix } from '../matrix.js';
import { byteSize, formatBytes, type Core, type Scope } from '../runtime.js';
import { chunkRanges, rowsPerChunk, storeRowChunk, strideOf, writeRows, type RowChunk } from '../wasm-rows.js';

/** Distance between images: 'l1' (Manhattan, sum of absolute differences) or 'l2' (Euclidean). */
export type Metric = 'l1' | 'l2';

// Metric codes; twin: METRIC_L1 / METRIC_L2 in assembly/knn.ts.
const METRIC_CODES: Record<Metric, number> = { l1: 1, l2: 2 };

// Queries copied into wasm per kernel call: bounds memory at O(block x D + queries x k).
const QUERY_BLOCK = 256;

// f32 L2 packs rows in panels of this many rows; twin: PANEL_ROWS in assembly/gemm.ts.
const PANEL_ROWS = 8;

export interface Neighbors {
  /** Training-row indices, m x k row-major, nearest first; equal distances list the lower index first. */
  indices: Int32Array;
  /** Distances (L1, or Euclidean L2), m x k row-major. */
  distances: Float32Array;
  /** Neighbours per query (the row length of both arrays). */
  k: number;
}

/** A chunk of training rows with what the metric needs beside them. */
interface KnnChunk extends RowChunk {
  /** L2 only: squared norms (i32 for u8; f32 padded to whole panels for f32). */
  norms: number;
  /** f32 L2 only: the rows packed into 8-row panels. */
  panels: number;
}

/** A training set in wasm memory. */
export interface TrainingRows {
  core: Core;
  metric: Metric;
  rows: number;
  cols: number;
  stride: number;
  isU8: boolean;
  chunks: KnnChunk[];
  /**
   * f32 L2 only: per-column centres (columnCentres), subtracted from the training rows and from
   * every query. Distances do not change, but |q|^2 + |t|^2 - 2 q.t no longer cancels when the
   * data share a large offset.
   */
  center: Float32Array | null;
}

/** Copies x into wasm memory in chunks (checking first that it all fits) and prepares the metric's norms and panels. */
export function storeTrainingRows(c: Core, x: Matrix, metric: Metric): TrainingRows {
  const isU8 = x.data instanceof Uint8Array;
  const stride = strideOf(x);
  const plan = chunkRanges(x.rows, rowsPerChunk(stride, PANEL_ROWS)).map((r) => ({ ...r, bytes: chunkBlockBytes(r.rows, stride, isU8, metric) }));
  const total = plan.reduce((sum, p) => sum + p.bytes.reduce((a, b) => a + b, 0), 0);
  if (total > c.freeBytes) {
    throw new OutOfMemoryError(`Out of WebAssembly memory: the training set (${x.rows} x ${x.cols} ${isU8 ? 'u8' : 'f32'}, ${metric}) needs ${formatBytes(total)}; ` +
      `about ${formatBytes(Math.max(0, c.freeBytes))} of wasm32's 4 GiB are free (${formatBytes(c.usedBytes)} held by live models and buffers)`);
  }
  const center = !isU8 && metric === 'l2' ? columnCentres(x) : null;
  return c.scoped((scope) => {
    const chunks = plan.map(({ first, rows, bytes }) => storeKnnChunk(c, scope, x, first, rows, bytes, stride, metric, center));
    for (const chunk of chunks) for (const ptr of [chunk.ptr, chunk.norms, chunk.panels]) scope.keep(ptr);
    return { core: c, metric, rows: x.rows, cols: x.cols, stride, isU8, chunks, center };
  });
}

/** Byte sizes of one chunk's blocks: rows, then norms and panels where the metric needs them. */
function chunkBlockBytes(rows: number, stride: number, isU8: boolean, metric: Metric): number[] {
  const bytes = [byteSize('training rows', rows, stride)];
  if (metric === 'l2' && isU8) bytes.push(byteSize('training norms', rows, 4));
  if (metric === 'l2' && !isU8) {
    const padded = Math.ceil(rows / PANEL_ROWS) * PANEL_ROWS;
    bytes.push(byteSize('training norms', padded, 4), byteSize('training panels', padded, stride));
  }
  return bytes;
}

function storeKnnChunk(c: Core, scope: Scope, x: Matrix, first: number, rows: number, bytes: number[], stride: number, metric: Metric, center: Float32Array | null): KnnChunk {
  const chunk: KnnChunk = { ...storeRowChunk(c, scope, x, first, rows, stride, center), norms: 0, panels: 0 };
  if (metric !== 'l2') return chunk;
  chunk.norms = scope.alloc(bytes[1]!, 'training norms');
  if (x.data instanceof Uint8Array) {
    c.kernels.rowNormsU8(chunk.ptr, rows, stride, chunk.norms);
  } else {
    chunk.panels = scope.alloc(bytes[2]!, 'training panels');
    c.f32.fill(0, chunk.norms >>> 2, (chunk.norms + bytes[1]!) >>> 2);
    c.kernels.packPanels8(chunk.ptr, rows, stride, chunk.panels);
    c.kernels.rowNormsF32(chunk.ptr, rows, stride, chunk.norms);
  }
  return chunk;
}

/** Frees every block of a training set. */
export function freeTrainingRows(t: TrainingRows): void {
  for (const chunk of t.chunks) {
    t.core.free(chunk.ptr);
    t.core.free(chunk.norms);
    t.core.free(chunk.panels);
  }
  t.chunks = [];
}

/**
 * Per-column centres: the mean rounded to a multiple of the largest power of two not above the
 * column's range (the range itself for a constant column). A column without an offset larger
 * than its spread keeps centre 0, so its distances are computed exactly as before; a column
 * whose values share a large offset (100 + U(0, 1)) loses it, and with it the cancellation.
 * Subtracting a multiple of such a power of two is exact for the values near the centre.
 */
function columnCentres(x: Matrix): Float32Array {
  const sums = new Float64Array(x.cols), lo = new Float64Array(x.cols).fill(Infinity), hi = new Float64Array(x.cols).fill(-Infinity);
  for (let r = 0; r < x.rows; r++) {
    const o = r * x.cols;
    for (let j = 0; j < x.cols; j++) {
      const v = x.data[o + j]!;
      sums[j]! += v;
      if (v < lo[j]!) lo[j] = v;
      if (v > hi[j]!) hi[j] = v;
    }
  }
  return Float32Array.from(sums, (sum, j) => {
    const range = hi[j]! - lo[j]!;
    if (range === 0) return lo[j]!;
    const grid = 2 ** Math.floor(Math.log2(range));
    return Math.round(sum / x.rows / grid) * grid;
  });
}

/** The k nearest training rows of each row of x, query block by query block. */
export function searchNeighbors(t: TrainingRows, x: Matrix, k: number, onProgress?: (done: number, total: number) => void): Neighbors {
  const m = x.rows;
  const indices = new Int32Array(m * k);
  const distances = new Float32Array(m * k);
  if (m === 0) return { indices, distances, k };
  const c = t.core;
  const block = Math.min(QUERY_BLOCK, m);
  const raw = new Float64Array(block * k);
  const code = METRIC_CODES[t.metric];
  c.scoped((scope) => {
    const q = scope.alloc(byteSize('query rows', block, t.stride), 'query rows');
    const outDist = scope.alloc(byteSize('neighbour distances', block, k, 4), 'neighbour distances');
    const outIdx = scope.alloc(byteSize('neighbour indices', block, k, 4), 'neighbour indices');
    const scratch = scope.alloc(c.kernels.knnScratchBytes(t.stride), 'kNN scratch');
    for (let first = 0; first < m; first += block) {
      const count = Math.min(block, m - first);
      writeRows(c, x, first, count, q, t.stride, t.center);
      const blockIndices = indices.subarray(first * k, (first + count) * k);
      for (const [n, chunk] of t.chunks.entries()) {
        const kc = Math.min(k, chunk.rows);
        if (t.isU8) c.kernels.knnU8(code, q, count, chunk.ptr, chunk.norms, chunk.rows, t.stride, kc, outDist, outIdx, scratch);
        else c.kernels.knnF32(code, q, count, chunk.ptr, chunk.panels, chunk.norms, chunk.rows, t.stride, kc, outDist, outIdx, scratch);
        const chunkDist = t.isU8 ? c.i32.subarray(outDist >>> 2, (outDist >>> 2) + count * kc) : c.f32.subarray(outDist >>> 2, (outDist >>> 2) + count * kc);
        const chunkIdx = c.i32.subarray(outIdx >>> 2, (outIdx >>> 2) + count * kc);
        if (n === 0) {
          raw.set(chunkDist);
          blockIndices.set(chunkIdx);
        } else {
          mergeChunk(raw, blockIndices, k, chunkDist, chunkIdx, kc, chunk.first, count);
        }
      }
      toDistances(raw.subarray(0, count * k), distances.subarray(first * k, (first + count) * k), t.metric);
      onProgress?.(first + count, m);
    }
  });
  return { indices, distances, k };
}

/**
 * Merges a later chunk's sorted top-kc lists (indices relative to the chunk, which starts at
 * `offset`) into the running top-k lists of `count` queries. Every running index is below
 * `offset`, so on equal distances the running entry goes first: the lower index, as in brute force.
 */
function mergeChunk(dist: Float64Array, idx: Int32Array, k: number, chunkDist: ArrayLike<number>, chunkIdx: ArrayLike<number>, kc: number, offset: number, count: number): void {
  const d = new Float64Array(k), ix = new Int32Array(k);
  for (let q = 0; q < count; q++) {
    const base = q * k, cbase = q * kc;
    let a = 0, b = 0;
    for (let out = 0; out < k; out++) {
      if (b >= kc || dist[base + a]! <= chunkDist[cbase + b]!) {
        d[out] = dist[base + a]!; ix[out] = idx[base + a]!; a++;
      } else {
        d[out] = chunkDist[cbase + b]!; ix[out] = chunkIdx[cbase + b]! + offset; b++;
      }
    }
    dist.set(d, base);
    idx.set(ix, base);
  }
}

/** Kernel distances (L1, or squared L2) as true distances. */
function toDistances(raw: ArrayLike<number>, out: Float32Array, metric: Metric): void {
  for (let i = 0; i < out.length; i++) out[i] = metric === 'l1' ? raw[i]! : Math.sqrt(raw[i]!);
}

/** The full m x n distance matrix (L1, or Euclidean L2) between x and the training rows. */
export function distanceMatrix(t: TrainingRows, x: Matrix): Float32Array {
  const m = x.rows, n = t.rows;
  const out = new Float32Array(byteSize('the distance matrix', m, n, 4) / 4);
  if (m === 0) return out;
  const c = t.core;
  const code = METRIC_CODES[t.metric];
  const widest = t.chunks[0]!.rows; // every chunk but the last is full
  c.scoped((scope) => {
    const q = scope.alloc(byteSize('query rows', m, t.stride), 'query rows');
    const d = scope.alloc(byteSize('the distance matrix', m, widest, 4), 'the distance matrix');
    const scratch = scope.alloc(c.kernels.knnScratchBytes(t.stride), 'kNN scratch');
    writeRows(c, x, 0, m, q, t.stride, t.center);
    for (const chunk of t.chunks) {
      if (t.isU8) c.kernels.distancesU8(code, q, m, chunk.ptr, chunk.norms, chunk.rows, t.stride, d, scratch);
      else c.kernels.distancesF32(code, q, m, chunk.ptr, chunk.panels, chunk.norms, chunk.rows, t.stride, d, scratch);
      const heap = t.isU8 ? c.i32 : c.f32, base = d >>> 2;
      for (let i = 0; i < m; i++) {
        toDistances(heap.subarray(base + i * chunk.rows, base + (i + 1) * chunk.rows), out.subarray(i * n + chunk.first, i * n + chunk.first + chunk.rows), t.metric);
      }
    }
  });
  return out;
}

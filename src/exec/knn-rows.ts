// A kNN training set in wasm memory: rows in chunks (src/layout.ts) with the squared norms and
// panels the metric needs, stored once at train time and grown by add(). A version is immutable:
// add() and keepRows() return a new TrainingRows that shares the chunks it did not change, so a
// search still running on the old version reads blocks that stay allocated (the model frees a
// version's unshared blocks only when no call reads it: src/model-state.ts).
import { OutOfMemoryError } from '../errors.js';
import { panelPaddedRows, rowsPerChunk, strideOf, writeRows, type RowChunk } from '../layout.js';
import type { Matrix } from '../matrix.js';
import { byteSize, formatBytes, type Core, type Scope } from '../runtime.js';
import { METRICS, type Metric } from './metric.js';

/** A chunk of training rows with room for `capacity` rows, and what the metric needs beside them. */
export interface KnnChunk extends RowChunk {
  capacity: number;
  /** L2 and cosine: squared norms (i32 for u8; f32 padded to whole panels for f32). */
  norms: number;
  /** f32 L2 and cosine: the rows packed into 8-row panels. */
  panels: number;
}

export interface TrainingRows {
  core: Core;
  metric: Metric;
  rows: number;
  /** Columns of the input rows (cosine stores two more: see unitRows). */
  cols: number;
  stride: number;
  /** The rows are stored as u8 (else f32). */
  isU8: boolean;
  chunks: KnnChunk[];
  /** Rows per full chunk. */
  perChunk: number;
  /**
   * f32 L2 only: per-column centres (columnCentres), subtracted from the training rows and from
   * every query. Distances do not change, but |q|^2 + |t|^2 - 2 q.t no longer cancels when the
   * data share a large offset. Fixed at train(); add() uses the same.
   */
  center: Float32Array | null;
}

/** An empty training set for rows like x's (its dtype and columns); add rows with appendRows. */
export function emptyTrainingRows(c: Core, x: Matrix, metric: Metric): TrainingRows {
  const stored = storedRows(x, metric, 'train');
  const isU8 = stored.data instanceof Uint8Array;
  const stride = strideOf(stored);
  const center = !isU8 && metric === 'l2' ? columnCentres(x) : null;
  return { core: c, metric, rows: 0, cols: x.cols, stride, isU8, chunks: [], perChunk: rowsPerChunk(stride, c.layout.panelRows), center };
}

/** A training set of the rows of x. */
export function storeTrainingRows(c: Core, x: Matrix, metric: Metric): TrainingRows {
  return appendRows(emptyTrainingRows(c, x, metric), x);
}

/** Frees every block of a training set that no other version holds. */
export function freeTrainingRows(t: TrainingRows): void {
  freeUnshared(t, null);
}

/** The blocks a version references. */
export function blocksOf(t: TrainingRows): number[] {
  return t.chunks.flatMap((chunk) => [chunk.ptr, chunk.norms, chunk.panels]).filter((ptr) => ptr !== 0);
}

/** Frees the blocks of `old` that `current` (the version in use, or null) does not share. */
export function freeUnshared(old: TrainingRows, current: TrainingRows | null): void {
  const kept = new Set(current === null ? [] : blocksOf(current));
  for (const ptr of blocksOf(old)) if (!kept.has(ptr)) old.core.free(ptr);
}

/**
 * A new version of `t` with the rows of x appended: the last chunk is filled, grown
 * geometrically (doubling, up to a full chunk) when it is too small, then new chunks follow.
 * Rows already stored are copied again only when their chunk grows. Everything is checked to
 * fit before any block is allocated; on failure `t` is unchanged.
 */
export function appendRows(t: TrainingRows, x: Matrix): TrainingRows {
  return appendStored(t, storedRows(x, t.metric, 'train'), t.center);
}

/** appendRows for rows already encoded as stored (`center`: what still has to be subtracted). */
function appendStored(t: TrainingRows, stored: Matrix, center: Float32Array | null): TrainingRows {
  const c = t.core, x = stored;
  const chunks = t.chunks.slice();
  const plan = planGrowth(chunks, t.rows, x.rows, t.perChunk, c);
  const bytes = plan.reduce((sum, p) => sum + chunkBytes(t, p.capacity).reduce((a, b) => a + b, 0), 0);
  if (bytes > c.freeBytes) {
    throw new OutOfMemoryError(`Out of WebAssembly memory: the training set (${t.rows + x.rows} x ${t.cols} ${t.isU8 ? 'u8' : 'f32'}, ${t.metric}) needs ${formatBytes(bytes)}${t.rows > 0 ? ' more' : ''}; ` +
      `about ${formatBytes(Math.max(0, c.freeBytes))} of wasm32's 4 GiB are free (${formatBytes(c.usedBytes)} held by live models and buffers)`);
  }
  return c.scoped((scope) => {
    for (const step of plan) {
      const fresh = allocChunk(t, scope, step.first, step.capacity);
      if (step.replaces !== null) copyChunk(t, chunks[step.replaces]!, fresh);
      chunks[step.replaces ?? chunks.length] = fresh;
    }
    let placed = 0;
    for (let i = 0; i < chunks.length && placed < x.rows; i++) {
      const chunk = chunks[i]!;
      const room = chunk.capacity - chunk.rows;
      if (room <= 0) continue;
      const count = Math.min(room, x.rows - placed);
      const filled = { ...chunk, rows: chunk.rows + count };
      writeChunkRows(t, stored, placed, count, filled, chunk.rows, center);
      chunks[i] = filled;
      placed += count;
    }
    for (const chunk of chunks) for (const ptr of [chunk.ptr, chunk.norms, chunk.panels]) if (ptr !== 0) scope.keep(ptr);
    return { ...t, rows: t.rows + x.rows, chunks };
  });
}

/** A new block for a chunk: grow chunk `replaces` to `capacity`, or add one at the end (replaces null). */
interface GrowthStep { replaces: number | null; first: number; capacity: number }

function planGrowth(chunks: readonly KnnChunk[], rows: number, adding: number, perChunk: number, c: Core): GrowthStep[] {
  const steps: GrowthStep[] = [];
  let remaining = adding;
  const last = chunks.at(-1);
  if (last !== undefined) {
    const room = last.capacity - last.rows;
    if (remaining > room && last.capacity < perChunk) {
      const capacity = Math.min(perChunk, panelPaddedRows(c, Math.max(2 * last.capacity, last.rows + remaining)));
      steps.push({ replaces: chunks.length - 1, first: last.first, capacity });
      remaining -= capacity - last.rows;
    } else {
      remaining -= room;
    }
  }
  let first = rows + Math.max(0, adding - remaining), previous = last?.capacity ?? 0;
  while (remaining > 0) {
    const capacity = Math.min(perChunk, panelPaddedRows(c, Math.max(remaining, previous)));
    steps.push({ replaces: null, first, capacity });
    first += Math.min(capacity, remaining);
    remaining -= capacity;
    previous = capacity;
  }
  return steps;
}

/** Byte sizes of a chunk's blocks for `capacity` rows: rows, then norms and panels where the metric needs them. */
function chunkBytes(t: TrainingRows, capacity: number): number[] {
  const bytes = [byteSize('training rows', capacity, t.stride)];
  if (!METRICS[t.metric].norms) return bytes;
  if (t.isU8) return [...bytes, byteSize('training norms', capacity, 4)];
  const padded = panelPaddedRows(t.core, capacity);
  return [...bytes, byteSize('training norms', padded, 4), byteSize('training panels', padded, t.stride)];
}

function allocChunk(t: TrainingRows, scope: Scope, first: number, capacity: number): KnnChunk {
  const [rowBytes, normBytes, panelBytes] = chunkBytes(t, capacity);
  const chunk: KnnChunk = { first, rows: 0, capacity, ptr: scope.alloc(rowBytes!, 'training rows'), norms: 0, panels: 0 };
  if (normBytes !== undefined) {
    chunk.norms = scope.alloc(normBytes, 'training norms');
    t.core.u8.fill(0, chunk.norms, chunk.norms + normBytes);
  }
  if (panelBytes !== undefined) chunk.panels = scope.alloc(panelBytes, 'training panels');
  return chunk;
}

/** Copies a chunk's rows, norms and panels into a larger one. */
function copyChunk(t: TrainingRows, from: KnnChunk, to: KnnChunk): void {
  const heap = t.core.u8;
  heap.copyWithin(to.ptr, from.ptr, from.ptr + from.rows * t.stride);
  if (from.norms !== 0) heap.copyWithin(to.norms, from.norms, from.norms + from.rows * 4);
  if (from.panels !== 0) heap.copyWithin(to.panels, from.panels, from.panels + panelPaddedRows(t.core, from.rows) * t.stride);
  to.rows = from.rows;
}

/** Writes `count` rows of `stored` from `first` at row `at` of the chunk, and their norms and panels. */
function writeChunkRows(t: TrainingRows, stored: Matrix, first: number, count: number, chunk: KnnChunk, at: number, center: Float32Array | null): void {
  const c = t.core;
  writeRows(c, stored, first, count, chunk.ptr + at * t.stride, t.stride, center);
  if (chunk.norms === 0) return;
  if (t.isU8) {
    c.kernels.rowNormsU8(chunk.ptr + at * t.stride, count, t.stride, chunk.norms + at * 4);
    return;
  }
  c.kernels.rowNormsF32(chunk.ptr + at * t.stride, count, t.stride, chunk.norms + at * 4);
  // Panels hold 8 rows each: repack from the start of the panel the new rows begin in.
  const panelRows = c.layout.panelRows, from = Math.floor(at / panelRows) * panelRows;
  c.kernels.packPanels8(chunk.ptr + from * t.stride, at + count - from, t.stride, chunk.panels + from * t.stride);
}

/** A training set of rows already encoded as stored (a saved model's): one copy into wasm memory. */
export function trainingRowsFromStored(c: Core, metric: Metric, cols: number, isU8: boolean, stored: Matrix, center: Float32Array | null): TrainingRows {
  const stride = strideOf(stored);
  const empty: TrainingRows = { core: c, metric, rows: 0, cols, stride, isU8, chunks: [], perChunk: rowsPerChunk(stride, c.layout.panelRows), center };
  return appendStored(empty, stored, null);
}

/** The stored rows (stride bytes each), copied out of wasm memory in row order. */
export function readStoredRows(t: TrainingRows): Uint8Array {
  const out = new Uint8Array(byteSize('the stored rows', t.rows, t.stride));
  for (const chunk of t.chunks) out.set(t.core.u8.subarray(chunk.ptr, chunk.ptr + chunk.rows * t.stride), chunk.first * t.stride);
  return out;
}

/** A new version holding only the rows listed in `keep` (ascending), copied within wasm memory. */
export function keepRows(t: TrainingRows, keep: Int32Array): TrainingRows {
  const c = t.core;
  const empty: TrainingRows = { ...t, rows: 0, chunks: [] };
  if (keep.length === 0) return empty;
  // The kept rows, already encoded, as a matrix view over one scratch copy.
  const width = t.stride / (t.isU8 ? 1 : 4);
  const data = t.isU8 ? new Uint8Array(keep.length * width) : new Float32Array(keep.length * width);
  const heap = t.isU8 ? c.u8 : c.f32, unit = t.isU8 ? 1 : 4;
  keep.forEach((row, i) => {
    const chunk = t.chunks[Math.floor(row / t.perChunk)]!;
    const at = (chunk.ptr + (row - chunk.first) * t.stride) / unit;
    data.set(heap.subarray(at, at + width), i * width);
  });
  return appendStored(empty, { data, rows: keep.length, cols: width }, null);
}

/**
 * The rows as they are stored: cosine rows become f32 unit vectors with two marker columns, so
 * that the squared L2 kernel gives 2 - 2 cos for every pair and a zero vector (cosine similarity
 * 0 with everything, as scikit-learn defines it) sits at distance 1 from every row: a zero
 * training row is [0, ..., 1, 0], a zero query [0, ..., 0, 1], any other row [x / |x|, 0, 0].
 */
export function storedRows(x: Matrix, metric: Metric, role: 'train' | 'query'): Matrix {
  if (!METRICS[metric].unitRows) return x;
  const cols = x.cols + 2;
  const data = new Float32Array(x.rows * cols);
  for (let r = 0; r < x.rows; r++) {
    let sq = 0;
    for (let j = 0; j < x.cols; j++) sq += x.data[r * x.cols + j]! ** 2;
    const o = r * cols;
    if (sq === 0) {
      data[o + x.cols + (role === 'train' ? 0 : 1)] = 1;
      continue;
    }
    const scale = 1 / Math.sqrt(sq);
    for (let j = 0; j < x.cols; j++) data[o + j] = x.data[r * x.cols + j]! * scale;
  }
  return { data, rows: x.rows, cols };
}

/**
 * Per-column centres. A column whose values share an offset larger than twice their range
 * (100 + U(0, 1)) is centred on its mean rounded to a multiple of the largest power of two not
 * above the range (a constant column on its value): the cancellation goes, and subtracting such a
 * centre is exact for values near it. Every other column keeps centre 0, so its distances are
 * computed exactly as before; centring a column without an offset would only trade the rounding
 * of |x|^2 for that of |x - c|^2, which can be larger (x in [1e-6, 1e-3], query 0).
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
    const range = hi[j]! - lo[j]!, mean = sum / x.rows;
    if (Math.abs(mean) <= 2 * range) return 0;
    if (range === 0) return lo[j]!;
    const grid = 2 ** Math.floor(Math.log2(range));
    return Math.round(mean / grid) * grid;
  });
}

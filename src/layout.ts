// The memory layout TS keeps for the kernels: padded row strides, row copies, training rows in
// chunks, class-major weights and the panel sizes the kernels pack into. The sizes the kernels
// depend on come from the wasm module itself (Core.layout), so nothing here is kept in step by hand.
import type { Matrix } from './matrix.js';
import { byteSize, core as currentCore, type Core, type Scope } from './runtime.js';

/** Bytes of row storage: rows padded to 16 bytes so kernels read whole v128 lanes. */
export function paddedStride(cols: number, bytesPerValue: 1 | 4): number {
  return Math.max(16, Math.ceil((cols * bytesPerValue) / 16) * 16);
}

/** Bytes per row in wasm for a matrix of this element type. */
export function strideOf(m: Matrix): number {
  return paddedStride(m.cols, m.data instanceof Uint8Array ? 1 : 4);
}

/**
 * Copies rows [first, first + count) of m into wasm memory at ptr, zero-padding each row to
 * `stride` bytes. f32 rows can be written minus `center` (one value per column).
 */
export function writeRows(core: Core, m: Matrix, first: number, count: number, ptr: number, stride: number, center: Float32Array | null = null): void {
  const { cols } = m;
  const unit = m.data instanceof Uint8Array ? 1 : 4;
  // The heap view of the data's element type: offsets and widths count elements, not bytes.
  const heap: Uint8Array | Float32Array = unit === 1 ? core.u8 : core.f32;
  const width = stride / unit, base = ptr / unit;
  const rows = m.data.subarray(first * cols, (first + count) * cols);
  if (center !== null && unit === 4) {
    for (let r = 0; r < count; r++) {
      const at = base + r * width, o = r * cols;
      for (let j = 0; j < cols; j++) heap[at + j] = rows[o + j]! - center[j]!;
      heap.fill(0, at + cols, at + width);
    }
    return;
  }
  if (width === cols) {
    heap.set(rows, base);
    return;
  }
  for (let r = 0; r < count; r++) {
    const at = base + r * width;
    heap.set(rows.subarray(r * cols, (r + 1) * cols), at);
    heap.fill(0, at + cols, at + width);
  }
}

/** Copies rows order[first], ..., order[first + count - 1] of u8 matrix m into wasm memory at ptr, zero-padding each row to `stride` bytes. */
export function writeRowsInOrder(core: Core, m: Matrix, order: Int32Array, first: number, count: number, ptr: number, stride: number): void {
  const { cols } = m, data = m.data as Uint8Array;
  for (let r = 0; r < count; r++) {
    const row = order[first + r]!, at = ptr + r * stride;
    core.u8.set(data.subarray(row * cols, (row + 1) * cols), at);
    core.u8.fill(0, at + cols, at + stride);
  }
}

/**
 * Training rows are stored in blocks of at most 64 MiB: the wasm allocator serves at most 1 GiB
 * per block, and smaller chunks keep a large set from needing one huge free range. Fashion-MNIST
 * (47 MB) is one chunk; CIFAR-10 (154 MB) three.
 */
export const ROW_CHUNK_BYTES = 64 * 1024 * 1024;

/** Rows [first, first + rows) of a training set, in one wasm block at ptr. */
export interface RowChunk {
  first: number;
  rows: number;
  ptr: number;
}

/** Rows per chunk: a multiple of `multiple` rows within ROW_CHUNK_BYTES (at least `multiple`). */
export function rowsPerChunk(stride: number, multiple = 1): number {
  return Math.max(1, Math.floor(ROW_CHUNK_BYTES / (stride * multiple))) * multiple;
}

/** The chunks that cover `rows` rows, `perChunk` at a time. */
export function chunkRanges(rows: number, perChunk: number): { first: number; rows: number }[] {
  const ranges = [];
  for (let first = 0; first < rows; first += perChunk) ranges.push({ first, rows: Math.min(perChunk, rows - first) });
  return ranges;
}

/** Copies rows [first, first + rows) of m into a new block of the scope. */
export function storeRowChunk(core: Core, scope: Scope, m: Matrix, first: number, rows: number, stride: number, center: Float32Array | null = null): RowChunk {
  const ptr = scope.alloc(byteSize('training rows', rows, stride), 'training rows');
  writeRows(core, m, first, rows, ptr, stride, center);
  return { first, rows, ptr };
}

/** `rows` rounded up to whole panels of packPanels8 (f32 L2 kNN). */
export function panelPaddedRows(c: Core, rows: number): number {
  const n = c.layout.panelRows;
  return Math.ceil(rows / n) * n;
}

/**
 * Wasm layout of a D x C weight matrix: class-major (the rows of W^T), each class a row of `ld`
 * bytes, which is also the row stride of the X rows it multiplies; score rows take `lds` bytes.
 */
export interface WeightLayout {
  ld: number;
  lds: number;
  /** Bytes of the C class rows. */
  bytes: number;
  /** Bytes of the panels lossGrad packs its C - 1 shifted classes into. */
  lossPanelBytes: number;
  /** Bytes of the panels linearScores packs the C classes into. */
  scorePanelBytes: number;
}

export function weightLayout(dims: number, classes: number, c: Core = currentCore()): WeightLayout {
  const { classDims, classesPerPanel } = c.layout;
  const ld = byteSize('a weight row', Math.ceil(Math.max(1, dims) / classDims) * classDims, 4);
  const panelBytes = (n: number): number => Math.max(16, byteSize('class panels', Math.ceil(n / classesPerPanel) * classesPerPanel, ld));
  return { ld, lds: paddedStride(classes, 4), bytes: byteSize('the weights', classes, ld), lossPanelBytes: panelBytes(classes - 1), scorePanelBytes: panelBytes(classes) };
}

/** Writes a D x C f32 matrix into a class-major wasm block, zero padded. */
export function writeWeights(c: Core, ptr: number, W: Matrix, layout: WeightLayout): void {
  const heap = c.f32, width = layout.ld >> 2, base = ptr >>> 2;
  heap.fill(0, base, base + (layout.bytes >> 2));
  for (let d = 0; d < W.rows; d++) {
    for (let j = 0; j < W.cols; j++) heap[base + j * width + d] = W.data[d * W.cols + j]!;
  }
}

/** Reads dims firstRow .. firstRow + rows of a class-major wasm block as a dense rows x cols Float32Array. */
export function readWeights(c: Core, ptr: number, rows: number, cols: number, layout: WeightLayout, firstRow = 0): Float32Array {
  const heap = c.f32, width = layout.ld >> 2, base = (ptr >>> 2) + firstRow;
  const out = new Float32Array(rows * cols);
  for (let d = 0; d < rows; d++) for (let j = 0; j < cols; j++) out[d * cols + j] = heap[base + j * width + d]!;
  return out;
}

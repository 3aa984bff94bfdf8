import type { Core, Scope } from './runtime.js';
import { byteSize, paddedStride } from './runtime.js';
import type { Matrix } from './matrix.js';

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

import type { Core } from './runtime.js';
import { paddedStride } from './runtime.js';
import type { Matrix } from './matrix.js';

/** A matrix copied into wasm memory: rows zero-padded to `stride` bytes (a multiple of 16). */
export interface WasmRows {
  ptr: number;
  rows: number;
  cols: number;
  stride: number;
  isU8: boolean;
}

/** Bytes per row in wasm for a matrix of this element type. */
export function strideOf(m: Matrix): number {
  return paddedStride(m.cols, m.data instanceof Uint8Array ? 1 : 4);
}

/** Copies rows [first, first + count) of m into wasm memory at ptr, zero-padding each row to `stride` bytes. */
export function writeRows(core: Core, m: Matrix, first: number, count: number, ptr: number, stride: number): void {
  const { cols } = m;
  const unit = m.data instanceof Uint8Array ? 1 : 4;
  // The heap view of the data's element type: offsets and widths count elements, not bytes.
  const heap: Uint8Array | Float32Array = unit === 1 ? core.u8 : core.f32;
  const width = stride / unit, base = ptr / unit;
  const rows = m.data.subarray(first * cols, (first + count) * cols);
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

/** Allocates wasm memory for all rows of m and copies them in. Free with core.free(rows.ptr). */
export function copyRows(core: Core, m: Matrix): WasmRows {
  const stride = strideOf(m);
  const ptr = core.alloc(m.rows * stride);
  try {
    writeRows(core, m, 0, m.rows, ptr, stride);
  } catch (err) {
    core.free(ptr);
    throw err;
  }
  return { ptr, rows: m.rows, cols: m.cols, stride, isU8: m.data instanceof Uint8Array };
}

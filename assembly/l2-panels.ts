// kNN's f32 squared L2 distances as matrix products: training rows packed into panels of 8 rows
// (packPanels8, at train time) and a 4 x 8 register tile of query-panel dot products turned into
// distances ||q||^2 + ||t||^2 - 2 q.t (l2PanelTile). Byte strides are multiples of 16 with zero
// padding, so every inner loop runs over whole v128 lanes.
import { maddF32x4, tileRow } from './common';

/** Rows per packed panel: the width of the 4x8 register tile. */
export const PANEL_ROWS: i32 = 8;

/**
 * Packs f32 rows into panels of 8 rows, interleaved by dimension: panel p holds, for each
 * d in [0, stride/4), the values x[8p .. 8p+7][d]; rows past `rows` are zero.
 * `out` must hold ceil(rows / 8) * stride * 8 bytes.
 */
export function packPanels8(x: usize, rows: i32, stride: i32, out: usize): void {
  const dims = stride >> 2;
  const panels = (rows + PANEL_ROWS - 1) / PANEL_ROWS;
  for (let p = 0; p < panels; p++) {
    const panel = out + <usize>p * <usize>stride * PANEL_ROWS;
    for (let r = 0; r < PANEL_ROWS; r++) {
      const row = p * PANEL_ROWS + r;
      const src = x + <usize>row * <usize>stride;
      for (let d = 0; d < dims; d++) {
        store<f32>(panel + ((<usize>d * PANEL_ROWS + r) << 2), row < rows ? load<f32>(src + (<usize>d << 2)) : 0);
      }
    }
  }
}

/**
 * Dot products of up to 4 f32 queries with one packed panel of 8 rows, turned into squared
 * distances ||q||^2 + ||t||^2 - 2 q.t clamped at 0, written to out[r * ldOut + 0..valid).
 * qNorms holds the 4 query norms, tNorms the panel's 8 row norms.
 */
export function l2PanelTile(q: usize, count: i32, stride: i32, qNorms: usize, panel: usize, tNorms: usize, valid: i32, out: usize, ldOut: i32): void {
  const q0 = tileRow(q, 0, count, stride), q1 = tileRow(q, 1, count, stride);
  const q2 = tileRow(q, 2, count, stride), q3 = tileRow(q, 3, count, stride);
  if (ASC_FEATURE_SIMD) {
    let a0 = f32x4.splat(0), b0 = f32x4.splat(0), a1 = f32x4.splat(0), b1 = f32x4.splat(0);
    let a2 = f32x4.splat(0), b2 = f32x4.splat(0), a3 = f32x4.splat(0), b3 = f32x4.splat(0);
    for (let c = 0; c < stride; c += 4) {
      const p = panel + (<usize>c << 3);
      const lo = v128.load(p), hi = v128.load(p, 16);
      let x = v128.load32_splat(q0 + c);
      a0 = maddF32x4(x, lo, a0); b0 = maddF32x4(x, hi, b0);
      x = v128.load32_splat(q1 + c);
      a1 = maddF32x4(x, lo, a1); b1 = maddF32x4(x, hi, b1);
      x = v128.load32_splat(q2 + c);
      a2 = maddF32x4(x, lo, a2); b2 = maddF32x4(x, hi, b2);
      x = v128.load32_splat(q3 + c);
      a3 = maddF32x4(x, lo, a3); b3 = maddF32x4(x, hi, b3);
    }
    const tLo = v128.load(tNorms), tHi = v128.load(tNorms, 16);
    const ld = <usize>ldOut << 2;
    storeDistances8(out, valid, load<f32>(qNorms), tLo, tHi, a0, b0);
    if (count > 1) storeDistances8(out + ld, valid, load<f32>(qNorms, 4), tLo, tHi, a1, b1);
    if (count > 2) storeDistances8(out + 2 * ld, valid, load<f32>(qNorms, 8), tLo, tHi, a2, b2);
    if (count > 3) storeDistances8(out + 3 * ld, valid, load<f32>(qNorms, 12), tLo, tHi, a3, b3);
  } else {
    for (let r = 0; r < count; r++) {
      const qr = q + <usize>r * <usize>stride;
      const qn = load<f32>(qNorms + (<usize>r << 2));
      for (let j = 0; j < valid; j++) {
        let dot: f32 = 0;
        for (let c = 0; c < stride; c += 4) dot += load<f32>(qr + c) * load<f32>(panel + (<usize>c << 3) + (<usize>j << 2));
        store<f32>(out + <usize>r * (<usize>ldOut << 2) + (<usize>j << 2), max<f32>(0, qn + load<f32>(tNorms + (<usize>j << 2)) - 2 * dot));
      }
    }
  }
}

// @ts-ignore: decorator
@inline function storeDistances8(out: usize, valid: i32, qNorm: f32, tLo: v128, tHi: v128, dotLo: v128, dotHi: v128): void {
  const qn = f32x4.splat(qNorm), two = f32x4.splat(2), zero = f32x4.splat(0);
  const lo = f32x4.max(zero, f32x4.sub(f32x4.add(qn, tLo), f32x4.mul(two, dotLo)));
  const hi = f32x4.max(zero, f32x4.sub(f32x4.add(qn, tHi), f32x4.mul(two, dotHi)));
  if (valid >= 8) {
    v128.store(out, lo);
    v128.store(out, hi, 16);
  } else {
    storeLanes(out, valid, lo, hi);
  }
}

function storeLanes(out: usize, valid: i32, lo: v128, hi: v128): void {
  if (valid > 0) store<f32>(out, f32x4.extract_lane(lo, 0));
  if (valid > 1) store<f32>(out, f32x4.extract_lane(lo, 1), 4);
  if (valid > 2) store<f32>(out, f32x4.extract_lane(lo, 2), 8);
  if (valid > 3) store<f32>(out, f32x4.extract_lane(lo, 3), 12);
  if (valid > 4) store<f32>(out, f32x4.extract_lane(hi, 0), 16);
  if (valid > 5) store<f32>(out, f32x4.extract_lane(hi, 1), 20);
  if (valid > 6) store<f32>(out, f32x4.extract_lane(hi, 2), 24);
}

// f32 matrix products. All matrices are row-major with byte strides that are multiples of 16 and
// zero padding, so every inner loop runs over whole v128 lanes.
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

/**
 * C (m x n) = A (m x k) . B (k x n). Strides in bytes; k and n multiples of 4 (zero padding).
 * 4 rows of A against 8 (then 4) columns of B per register tile.
 */
export function gemmF32(a: usize, lda: i32, b: usize, ldb: i32, c: usize, ldc: i32, m: i32, k: i32, n: i32): void {
  for (let i = 0; i < m; i += 4) {
    const count = min(4, m - i);
    const ai = a + <usize>i * <usize>lda, ci = c + <usize>i * <usize>ldc;
    let j = 0;
    if (prefersTiles12(n)) for (; j < n; j += 12) gemmTile4x12(ai, lda, count, b + (<usize>j << 2), ldb, ci + (<usize>j << 2), ldc, k);
    for (; j + 8 <= n; j += 8) gemmTile4x8(ai, lda, count, b + (<usize>j << 2), ldb, ci + (<usize>j << 2), ldc, k);
    for (; j < n; j += 4) gemmTile4x4(ai, lda, count, b + (<usize>j << 2), ldb, ci + (<usize>j << 2), ldc, k);
  }
}

/**
 * Column counts like 12 (10 classes padded) split into 8 + 4 leave a 4-wide tile with only 4
 * accumulators, too few to hide FMA latency; 12-wide tiles keep 12 in flight.
 */
// @ts-ignore: decorator
@inline function prefersTiles12(n: i32): bool {
  return n % 12 == 0 && n % 8 != 0;
}

function gemmTile4x12(a: usize, lda: i32, count: i32, b: usize, ldb: i32, c: usize, ldc: i32, k: i32): void {
  const r0 = tileRow(a, 0, count, lda), r1 = tileRow(a, 1, count, lda);
  const r2 = tileRow(a, 2, count, lda), r3 = tileRow(a, 3, count, lda);
  if (ASC_FEATURE_SIMD) {
    let a0 = f32x4.splat(0), b0 = f32x4.splat(0), c0 = f32x4.splat(0), a1 = f32x4.splat(0), b1 = f32x4.splat(0), c1 = f32x4.splat(0);
    let a2 = f32x4.splat(0), b2 = f32x4.splat(0), c2 = f32x4.splat(0), a3 = f32x4.splat(0), b3 = f32x4.splat(0), c3 = f32x4.splat(0);
    for (let d = 0; d < k; d++) {
      const p = b + <usize>d * <usize>ldb, off = <usize>d << 2;
      const v0 = v128.load(p), v1 = v128.load(p, 16), v2 = v128.load(p, 32);
      let x = v128.load32_splat(r0 + off);
      a0 = maddF32x4(x, v0, a0); b0 = maddF32x4(x, v1, b0); c0 = maddF32x4(x, v2, c0);
      x = v128.load32_splat(r1 + off);
      a1 = maddF32x4(x, v0, a1); b1 = maddF32x4(x, v1, b1); c1 = maddF32x4(x, v2, c1);
      x = v128.load32_splat(r2 + off);
      a2 = maddF32x4(x, v0, a2); b2 = maddF32x4(x, v1, b2); c2 = maddF32x4(x, v2, c2);
      x = v128.load32_splat(r3 + off);
      a3 = maddF32x4(x, v0, a3); b3 = maddF32x4(x, v1, b3); c3 = maddF32x4(x, v2, c3);
    }
    const ld = <usize>ldc;
    v128.store(c, a0); v128.store(c, b0, 16); v128.store(c, c0, 32);
    if (count > 1) { v128.store(c + ld, a1); v128.store(c + ld, b1, 16); v128.store(c + ld, c1, 32); }
    if (count > 2) { v128.store(c + 2 * ld, a2); v128.store(c + 2 * ld, b2, 16); v128.store(c + 2 * ld, c2, 32); }
    if (count > 3) { v128.store(c + 3 * ld, a3); v128.store(c + 3 * ld, b3, 16); v128.store(c + 3 * ld, c3, 32); }
  } else {
    gemmTileScalar(a, lda, count, b, ldb, c, ldc, k, 12);
  }
}

function gemmTile4x8(a: usize, lda: i32, count: i32, b: usize, ldb: i32, c: usize, ldc: i32, k: i32): void {
  const r0 = tileRow(a, 0, count, lda), r1 = tileRow(a, 1, count, lda);
  const r2 = tileRow(a, 2, count, lda), r3 = tileRow(a, 3, count, lda);
  if (ASC_FEATURE_SIMD) {
    let a0 = f32x4.splat(0), b0 = f32x4.splat(0), a1 = f32x4.splat(0), b1 = f32x4.splat(0);
    let a2 = f32x4.splat(0), b2 = f32x4.splat(0), a3 = f32x4.splat(0), b3 = f32x4.splat(0);
    for (let d = 0; d < k; d++) {
      const p = b + <usize>d * <usize>ldb, off = <usize>d << 2;
      const lo = v128.load(p), hi = v128.load(p, 16);
      let x = v128.load32_splat(r0 + off);
      a0 = maddF32x4(x, lo, a0); b0 = maddF32x4(x, hi, b0);
      x = v128.load32_splat(r1 + off);
      a1 = maddF32x4(x, lo, a1); b1 = maddF32x4(x, hi, b1);
      x = v128.load32_splat(r2 + off);
      a2 = maddF32x4(x, lo, a2); b2 = maddF32x4(x, hi, b2);
      x = v128.load32_splat(r3 + off);
      a3 = maddF32x4(x, lo, a3); b3 = maddF32x4(x, hi, b3);
    }
    const ld = <usize>ldc;
    v128.store(c, a0); v128.store(c, b0, 16);
    if (count > 1) { v128.store(c + ld, a1); v128.store(c + ld, b1, 16); }
    if (count > 2) { v128.store(c + 2 * ld, a2); v128.store(c + 2 * ld, b2, 16); }
    if (count > 3) { v128.store(c + 3 * ld, a3); v128.store(c + 3 * ld, b3, 16); }
  } else {
    gemmTileScalar(a, lda, count, b, ldb, c, ldc, k, 8);
  }
}

function gemmTile4x4(a: usize, lda: i32, count: i32, b: usize, ldb: i32, c: usize, ldc: i32, k: i32): void {
  const r0 = tileRow(a, 0, count, lda), r1 = tileRow(a, 1, count, lda);
  const r2 = tileRow(a, 2, count, lda), r3 = tileRow(a, 3, count, lda);
  if (ASC_FEATURE_SIMD) {
    let a0 = f32x4.splat(0), a1 = f32x4.splat(0), a2 = f32x4.splat(0), a3 = f32x4.splat(0);
    for (let d = 0; d < k; d++) {
      const v = v128.load(b + <usize>d * <usize>ldb), off = <usize>d << 2;
      a0 = maddF32x4(v128.load32_splat(r0 + off), v, a0);
      a1 = maddF32x4(v128.load32_splat(r1 + off), v, a1);
      a2 = maddF32x4(v128.load32_splat(r2 + off), v, a2);
      a3 = maddF32x4(v128.load32_splat(r3 + off), v, a3);
    }
    const ld = <usize>ldc;
    v128.store(c, a0);
    if (count > 1) v128.store(c + ld, a1);
    if (count > 2) v128.store(c + 2 * ld, a2);
    if (count > 3) v128.store(c + 3 * ld, a3);
  } else {
    gemmTileScalar(a, lda, count, b, ldb, c, ldc, k, 4);
  }
}

function gemmTileScalar(a: usize, lda: i32, count: i32, b: usize, ldb: i32, c: usize, ldc: i32, k: i32, cols: i32): void {
  for (let r = 0; r < count; r++) {
    for (let j = 0; j < cols; j++) {
      let s: f32 = 0;
      for (let d = 0; d < k; d++) s += load<f32>(a + <usize>r * <usize>lda + (<usize>d << 2)) * load<f32>(b + <usize>d * <usize>ldb + (<usize>j << 2));
      store<f32>(c + <usize>r * <usize>ldc + (<usize>j << 2), s);
    }
  }
}

/**
 * C (k x n) = A^T . B with A (m x k) and B (m x n): the gradient product X^T dScores.
 * k and n multiples of 4. 4 rows of C (4 columns of A) against 12, 8 or 4 columns of B per tile.
 * Rows of A and B are taken in equal chunks of at most TN_ROWS, so the cache lines a tile reads stay in L1 for the
 * three tiles after it that read the rest of each line.
 */
export function gemmTnF32(a: usize, lda: i32, b: usize, ldb: i32, c: usize, ldc: i32, m: i32, k: i32, n: i32): void {
  const chunks = max(1, (m + TN_ROWS - 1) / TN_ROWS);
  const chunk = (m + chunks - 1) / chunks;
  for (let i0 = 0; i0 < m; i0 += chunk) {
    const rows = min(chunk, m - i0), accumulate = i0 > 0;
    const ai = a + <usize>i0 * <usize>lda, bi = b + <usize>i0 * <usize>ldb;
    for (let d = 0; d < k; d += 4) {
      const ad = ai + (<usize>d << 2), cd = c + <usize>d * <usize>ldc;
      let j = 0;
      if (prefersTiles12(n)) for (; j < n; j += 12) gemmTnTile4x12(ad, lda, bi + (<usize>j << 2), ldb, cd + (<usize>j << 2), ldc, rows, accumulate);
      for (; j + 8 <= n; j += 8) gemmTnTile4x8(ad, lda, bi + (<usize>j << 2), ldb, cd + (<usize>j << 2), ldc, rows, accumulate);
      for (; j < n; j += 4) gemmTnTile4x4(ad, lda, bi + (<usize>j << 2), ldb, cd + (<usize>j << 2), ldc, rows, accumulate);
    }
  }
}

const TN_ROWS: i32 = 64;

// @ts-ignore: decorator
@inline function initial(c: usize, offset: usize, accumulate: bool): v128 {
  return accumulate ? v128.load(c + offset) : f32x4.splat(0);
}

function gemmTnTile4x12(a: usize, lda: i32, b: usize, ldb: i32, c: usize, ldc: i32, m: i32, accumulate: bool): void {
  if (ASC_FEATURE_SIMD) {
    const ld = <usize>ldc;
    let a0 = initial(c, 0, accumulate), b0 = initial(c, 16, accumulate), c0 = initial(c, 32, accumulate);
    let a1 = initial(c + ld, 0, accumulate), b1 = initial(c + ld, 16, accumulate), c1 = initial(c + ld, 32, accumulate);
    let a2 = initial(c + 2 * ld, 0, accumulate), b2 = initial(c + 2 * ld, 16, accumulate), c2 = initial(c + 2 * ld, 32, accumulate);
    let a3 = initial(c + 3 * ld, 0, accumulate), b3 = initial(c + 3 * ld, 16, accumulate), c3 = initial(c + 3 * ld, 32, accumulate);
    for (let i = 0; i < m; i++) {
      const p = b + <usize>i * <usize>ldb, x = a + <usize>i * <usize>lda;
      const v0 = v128.load(p), v1 = v128.load(p, 16), v2 = v128.load(p, 32);
      let s = v128.load32_splat(x);
      a0 = maddF32x4(s, v0, a0); b0 = maddF32x4(s, v1, b0); c0 = maddF32x4(s, v2, c0);
      s = v128.load32_splat(x, 4);
      a1 = maddF32x4(s, v0, a1); b1 = maddF32x4(s, v1, b1); c1 = maddF32x4(s, v2, c1);
      s = v128.load32_splat(x, 8);
      a2 = maddF32x4(s, v0, a2); b2 = maddF32x4(s, v1, b2); c2 = maddF32x4(s, v2, c2);
      s = v128.load32_splat(x, 12);
      a3 = maddF32x4(s, v0, a3); b3 = maddF32x4(s, v1, b3); c3 = maddF32x4(s, v2, c3);
    }
    v128.store(c, a0); v128.store(c, b0, 16); v128.store(c, c0, 32);
    v128.store(c + ld, a1); v128.store(c + ld, b1, 16); v128.store(c + ld, c1, 32);
    v128.store(c + 2 * ld, a2); v128.store(c + 2 * ld, b2, 16); v128.store(c + 2 * ld, c2, 32);
    v128.store(c + 3 * ld, a3); v128.store(c + 3 * ld, b3, 16); v128.store(c + 3 * ld, c3, 32);
  } else {
    gemmTnTileScalar(a, lda, b, ldb, c, ldc, m, 12, accumulate);
  }
}

function gemmTnTile4x8(a: usize, lda: i32, b: usize, ldb: i32, c: usize, ldc: i32, m: i32, accumulate: bool): void {
  if (ASC_FEATURE_SIMD) {
    const ld = <usize>ldc;
    let a0 = initial(c, 0, accumulate), b0 = initial(c, 16, accumulate), a1 = initial(c + ld, 0, accumulate), b1 = initial(c + ld, 16, accumulate);
    let a2 = initial(c + 2 * ld, 0, accumulate), b2 = initial(c + 2 * ld, 16, accumulate), a3 = initial(c + 3 * ld, 0, accumulate), b3 = initial(c + 3 * ld, 16, accumulate);
    for (let i = 0; i < m; i++) {
      const p = b + <usize>i * <usize>ldb, x = a + <usize>i * <usize>lda;
      const lo = v128.load(p), hi = v128.load(p, 16);
      let s = v128.load32_splat(x);
      a0 = maddF32x4(s, lo, a0); b0 = maddF32x4(s, hi, b0);
      s = v128.load32_splat(x, 4);
      a1 = maddF32x4(s, lo, a1); b1 = maddF32x4(s, hi, b1);
      s = v128.load32_splat(x, 8);
      a2 = maddF32x4(s, lo, a2); b2 = maddF32x4(s, hi, b2);
      s = v128.load32_splat(x, 12);
      a3 = maddF32x4(s, lo, a3); b3 = maddF32x4(s, hi, b3);
    }
    v128.store(c, a0); v128.store(c, b0, 16);
    v128.store(c + ld, a1); v128.store(c + ld, b1, 16);
    v128.store(c + 2 * ld, a2); v128.store(c + 2 * ld, b2, 16);
    v128.store(c + 3 * ld, a3); v128.store(c + 3 * ld, b3, 16);
  } else {
    gemmTnTileScalar(a, lda, b, ldb, c, ldc, m, 8, accumulate);
  }
}

function gemmTnTile4x4(a: usize, lda: i32, b: usize, ldb: i32, c: usize, ldc: i32, m: i32, accumulate: bool): void {
  if (ASC_FEATURE_SIMD) {
    const ld = <usize>ldc;
    let a0 = initial(c, 0, accumulate), a1 = initial(c + ld, 0, accumulate), a2 = initial(c + 2 * ld, 0, accumulate), a3 = initial(c + 3 * ld, 0, accumulate);
    for (let i = 0; i < m; i++) {
      const v = v128.load(b + <usize>i * <usize>ldb), x = a + <usize>i * <usize>lda;
      a0 = maddF32x4(v128.load32_splat(x), v, a0);
      a1 = maddF32x4(v128.load32_splat(x, 4), v, a1);
      a2 = maddF32x4(v128.load32_splat(x, 8), v, a2);
      a3 = maddF32x4(v128.load32_splat(x, 12), v, a3);
    }
    v128.store(c, a0); v128.store(c + ld, a1); v128.store(c + 2 * ld, a2); v128.store(c + 3 * ld, a3);
  } else {
    gemmTnTileScalar(a, lda, b, ldb, c, ldc, m, 4, accumulate);
  }
}

function gemmTnTileScalar(a: usize, lda: i32, b: usize, ldb: i32, c: usize, ldc: i32, m: i32, cols: i32, accumulate: bool): void {
  for (let r = 0; r < 4; r++) {
    for (let j = 0; j < cols; j++) {
      let s: f32 = accumulate ? load<f32>(c + <usize>r * <usize>ldc + (<usize>j << 2)) : 0;
      for (let i = 0; i < m; i++) s += load<f32>(a + <usize>i * <usize>lda + (<usize>r << 2)) * load<f32>(b + <usize>i * <usize>ldb + (<usize>j << 2));
      store<f32>(c + <usize>r * <usize>ldc + (<usize>j << 2), s);
    }
  }
}

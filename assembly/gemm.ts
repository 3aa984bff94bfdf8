// f32 matrix products of the linear classifiers. Byte strides are multiples of 16 with zero
// padding, so every inner loop runs over whole v128 lanes.
import { maddF32x4, sumF32x4, tileRow } from './common';

// Class-major products for the linear classifiers: W^T holds one row per class with the same
// byte stride as the rows of X, a multiple of CLASS_DIMS floats (zero padded). Both tiles run
// 9 accumulators with 6 loads per 9 FMAs and compute no padded class columns; on this machine
// they replaced row-major 4x12 gemm tiles (10 classes padded to 12), measuring 1.3-1.5x their
// speed on the SGD and loss-call shapes.

/** Floats per step of classGradF32's tile (3 v128): X and W^T row strides are multiples of this. */
export const CLASS_DIMS: i32 = 12;

/** Classes per panel of packClassPanels (the class width of classScoresF32's register tile). */
export const CLASSES_PER_PANEL: i32 = 3;

/**
 * Packs `classes` rows of W^T (stride ld bytes), each minus the row at `minus` unless it is 0,
 * into panels of 3 classes for classScoresF32: panel p holds, for each 4 dims, the v128 of
 * classes 3p, 3p+1 and 3p+2 (zeros past the last class). `out` takes ceil(classes / 3) * 3 * ld bytes.
 */
export function packClassPanels(w: usize, ld: i32, classes: i32, minus: usize, out: usize): void {
  const panels = (classes + CLASSES_PER_PANEL - 1) / CLASSES_PER_PANEL;
  for (let p = 0; p < panels; p++) {
    for (let r = 0; r < CLASSES_PER_PANEL; r++) {
      const j = p * CLASSES_PER_PANEL + r, row = w + <usize>j * <usize>ld, to = out + <usize>p * CLASSES_PER_PANEL * <usize>ld + <usize>r * 16;
      // Each 4 dims of a class row move as one v128 to 48-byte steps of its panel.
      for (let d: usize = 0; d < <usize>ld; d += 16) {
        if (ASC_FEATURE_SIMD) {
          const v = j >= classes ? f32x4.splat(0) : minus != 0 ? f32x4.sub(v128.load(row + d), v128.load(minus + d)) : v128.load(row + d);
          v128.store(to + d * CLASSES_PER_PANEL, v);
        } else {
          for (let e: usize = 0; e < 16; e += 4) {
            const v: f32 = j >= classes ? 0 : minus != 0 ? load<f32>(row + d + e) - load<f32>(minus + d + e) : load<f32>(row + d + e);
            store<f32>(to + d * CLASSES_PER_PANEL + e, v);
          }
        }
      }
    }
  }
}

/**
 * S[i][j] = x_i . w_j for rows i < m and classes j < classes. X: m rows of stride ld bytes, W^T
 * packed by packClassPanels; S rows of lds bytes. 3 rows x 3 classes per register tile, each of
 * the 9 sums kept as four lanes over the dims and added up at the end.
 */
export function classScoresF32(x: usize, ld: i32, m: i32, panels: usize, classes: i32, s: usize, lds: i32): void {
  for (let i = 0; i < m; i += 3) {
    const xi = x + <usize>i * <usize>ld, si = s + <usize>i * <usize>lds;
    for (let j = 0; j < classes; j += 3) {
      scoresTile3x3(xi, min(3, m - i), panels + <usize>j * <usize>ld, min(3, classes - j), ld, si + (<usize>j << 2), lds);
    }
  }
}

// @ts-ignore: decorator
@inline function scoresTile3x3(x: usize, rows: i32, panel: usize, cols: i32, ld: i32, s: usize, lds: i32): void {
  const x0 = tileRow(x, 0, rows, ld), x1 = tileRow(x, 1, rows, ld), x2 = tileRow(x, 2, rows, ld);
  if (ASC_FEATURE_SIMD) {
    let a0 = f32x4.splat(0), a1 = f32x4.splat(0), a2 = f32x4.splat(0);
    let b0 = f32x4.splat(0), b1 = f32x4.splat(0), b2 = f32x4.splat(0);
    let c0 = f32x4.splat(0), c1 = f32x4.splat(0), c2 = f32x4.splat(0);
    // One panel pointer with constant offsets instead of three class rows: two fewer adds per step.
    let pw = panel;
    for (let d: usize = 0; d < <usize>ld; d += 16, pw += 48) {
      const u = v128.load(x0 + d), v = v128.load(x1 + d), q = v128.load(x2 + d);
      let t = v128.load(pw);
      a0 = maddF32x4(u, t, a0); b0 = maddF32x4(v, t, b0); c0 = maddF32x4(q, t, c0);
      t = v128.load(pw, 16);
      a1 = maddF32x4(u, t, a1); b1 = maddF32x4(v, t, b1); c1 = maddF32x4(q, t, c1);
      t = v128.load(pw, 32);
      a2 = maddF32x4(u, t, a2); b2 = maddF32x4(v, t, b2); c2 = maddF32x4(q, t, c2);
    }
    storeScores3(s, cols, a0, a1, a2);
    if (rows > 1) storeScores3(s + <usize>lds, cols, b0, b1, b2);
    if (rows > 2) storeScores3(s + 2 * <usize>lds, cols, c0, c1, c2);
  } else {
    for (let r = 0; r < rows; r++) {
      const xr = x + <usize>r * <usize>ld;
      for (let j = 0; j < cols; j++) {
        let sum: f32 = 0;
        for (let d: usize = 0; d < <usize>ld; d += 4) sum += load<f32>(xr + d) * load<f32>(panel + (d >> 4) * 48 + <usize>j * 16 + (d & 15));
        store<f32>(s + <usize>r * <usize>lds + (<usize>j << 2), sum);
      }
    }
  }
}

// @ts-ignore: decorator
@inline function storeScores3(s: usize, cols: i32, a: v128, b: v128, c: v128): void {
  store<f32>(s, sumF32x4(a));
  if (cols > 1) store<f32>(s, sumF32x4(b), 4);
  if (cols > 2) store<f32>(s, sumF32x4(c), 8);
}

/**
 * dW^T row j (+)= sum_i dS[i][j] x_i for classes j < classes: X m rows and dW^T class rows of
 * stride ld bytes (a multiple of CLASS_DIMS floats), dS rows of lds bytes. Accumulates into dW^T
 * when `accumulate`, else overwrites it. 3 classes x 3 v128 of dims per register tile.
 */
export function classGradF32(x: usize, ld: i32, m: i32, ds: usize, lds: i32, classes: i32, dw: usize, accumulate: bool): void {
  for (let d: usize = 0; d < <usize>ld; d += <usize>CLASS_DIMS << 2) {
    for (let j = 0; j < classes; j += 3) {
      const cols = min(3, classes - j), g = ds + (<usize>j << 2), out = dw + <usize>j * <usize>ld + d;
      // Constant dS offsets become load immediates; with the bumped row pointers of the tile this
      // measured 1.3x the rate of indexed rows with the offsets in registers.
      if (cols == 3) gradTile3x3(x + d, ld, m, g, lds, 3, 4, 8, out, accumulate);
      else gradTile3x3(x + d, ld, m, g, lds, cols, cols > 1 ? 4 : 0, 0, out, accumulate);
    }
  }
}

// @ts-ignore: decorator
@inline function initial(c: usize, offset: usize, accumulate: bool): v128 {
  return accumulate ? v128.load(c + offset) : f32x4.splat(0);
}

/** g1 and g2: byte offsets of the tile's second and third dS columns; a missing class reads column 0 and is never stored. */
// @ts-ignore: decorator
@inline function gradTile3x3(x: usize, ld: i32, m: i32, ds: usize, lds: i32, cols: i32, g1: usize, g2: usize, dw: usize, accumulate: bool): void {
  const o0 = tileRow(dw, 0, cols, ld), o1 = tileRow(dw, 1, cols, ld), o2 = tileRow(dw, 2, cols, ld);
  if (ASC_FEATURE_SIMD) {
    let a0 = initial(o0, 0, accumulate), b0 = initial(o0, 16, accumulate), c0 = initial(o0, 32, accumulate);
    let a1 = initial(o1, 0, accumulate), b1 = initial(o1, 16, accumulate), c1 = initial(o1, 32, accumulate);
    let a2 = initial(o2, 0, accumulate), b2 = initial(o2, 16, accumulate), c2 = initial(o2, 32, accumulate);
    const end = x + <usize>m * <usize>ld;
    for (let xr = x, g = ds; xr < end; xr += <usize>ld, g += <usize>lds) {
      const u = v128.load(xr), v = v128.load(xr, 16), q = v128.load(xr, 32);
      let t = v128.load32_splat(g);
      a0 = maddF32x4(t, u, a0); b0 = maddF32x4(t, v, b0); c0 = maddF32x4(t, q, c0);
      t = v128.load32_splat(g + g1);
      a1 = maddF32x4(t, u, a1); b1 = maddF32x4(t, v, b1); c1 = maddF32x4(t, q, c1);
      t = v128.load32_splat(g + g2);
      a2 = maddF32x4(t, u, a2); b2 = maddF32x4(t, v, b2); c2 = maddF32x4(t, q, c2);
    }
    v128.store(o0, a0); v128.store(o0, b0, 16); v128.store(o0, c0, 32);
    if (cols > 1) { v128.store(o1, a1); v128.store(o1, b1, 16); v128.store(o1, c1, 32); }
    if (cols > 2) { v128.store(o2, a2); v128.store(o2, b2, 16); v128.store(o2, c2, 32); }
  } else {
    for (let j = 0; j < cols; j++) {
      const out = dw + <usize>j * <usize>ld;
      for (let e: usize = 0; e < <usize>CLASS_DIMS << 2; e += 4) {
        let sum: f32 = accumulate ? load<f32>(out + e) : 0;
        for (let i = 0; i < m; i++) sum += load<f32>(ds + <usize>i * <usize>lds + (<usize>j << 2)) * load<f32>(x + <usize>i * <usize>ld + e);
        store<f32>(out + e, sum);
      }
    }
  }
}

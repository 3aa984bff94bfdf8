// Integer projections of u8 rows, or of their block sums, for the pyramid's projection levels
// (pyramidDescribeProjection in pyramid.ts): coefficients w_i . x with i16 weight rows, exact in
// i32, and the Gram matrix of a sample of rows, from which TS finds the principal axes the weights
// approximate.
// Weight rows have `stride` i16s (zero past the row's columns); |w| <= 2048 and at most 1024
// columns keep every coefficient, and every difference of two, below 2^31.
import { addDotsI16x16, sumI32x4 } from './common';
import { imageOf, lanesSums4, PROJECTION_MAX } from './pyramid';

/**
 * Coefficients of `rows` u8 rows (x: rows of `stride` bytes) against `dims` weight rows: the i32
 * w_i . x at out + 4 * (r * dims + i).
 */
export function projectionCoefficientsU8(x: usize, rows: i32, stride: i32, weights: usize, dims: i32, out: usize): void {
  for (let r = 0; r < rows; r += 2) {
    // Two rows at a time, the last alone repeating itself (coefficients4x2).
    const r1 = min(r + 1, rows - 1);
    const dst0 = out + <usize>r * <usize>dims * 4, dst1 = out + <usize>r1 * <usize>dims * 4;
    for (let i = 0; i < dims; i += 4) {
      const at = <usize>i << 2;
      coefficients4x2(false, x + <usize>r * <usize>stride, x + <usize>r1 * <usize>stride, stride, weights, i, min(4, dims - i), dst0 + at, dst1 + at);
    }
  }
}

/**
 * A projection level's rows of `rows` u8 rows: level row r holds, for i < dims, the u16
 * clamp(floor((w_i . x - offsets[i]) / delta), 0, PROJECTION_MAX) of image r (order[r] when
 * `order`, i32s, is not 0), zero past dims up to rowBytes. scratch: 32 bytes of the caller's.
 */
export function pyramidProjectU8(x: usize, rows: i32, stride: i32, weights: usize, dims: i32, offsets: usize, delta: i32, out: usize, rowBytes: i32, order: usize, scratch: usize): void {
  projectRows(false, x, rows, stride, weights, dims, offsets, delta, out, rowBytes, order, scratch);
}

/**
 * pyramidProjectU8 from level rows of block sums instead of u8 rows, for weights that give every
 * value of a block the same weight (axes of block sums, lifted): w . x = sum_b w_b S_b, the same
 * integer from a quarter of the products for 2x2 blocks. sums: `rows` level rows of `sumBytes`
 * bytes (u16, at most 32640: i16 lanes); weights: dims rows of sumBytes / 2 i16s, a block's weight
 * at each of its sums' slots, zero at the padding. scratch: 32 bytes of the caller's.
 */
export function pyramidProjectSums(sums: usize, rows: i32, sumBytes: i32, weights: usize, dims: i32, offsets: usize, delta: i32, out: usize, rowBytes: i32, scratch: usize): void {
  projectRows(true, sums, rows, sumBytes, weights, dims, offsets, delta, out, rowBytes, 0, scratch);
}

/** The level rows of pyramidProjectU8 (u8 rows of `bytes`) or pyramidProjectSums (u16 sums, rows of `bytes`). */
// @ts-ignore: decorator
@inline function projectRows(sums: bool, x: usize, rows: i32, bytes: i32, weights: usize, dims: i32, offsets: usize, delta: i32, out: usize, rowBytes: i32, order: usize, scratch: usize): void {
  for (let r = 0; r < rows; r += 2) {
    // Two rows at a time (the last alone repeats itself), so that each weight loaded serves both.
    const r1 = min(r + 1, rows - 1);
    const row0 = x + <usize>imageOf(order, r) * <usize>bytes, row1 = x + <usize>imageOf(order, r1) * <usize>bytes;
    const dst0 = out + <usize>r * <usize>rowBytes, dst1 = out + <usize>r1 * <usize>rowBytes;
    memory.fill(dst0, 0, rowBytes);
    memory.fill(dst1, 0, rowBytes);
    for (let i = 0; i < dims; i += 4) {
      const n = min(4, dims - i);
      coefficients4x2(sums, row0, row1, bytes, weights, i, n, scratch, scratch + 16);
      quantize(scratch, n, offsets, i, delta, dst0);
      quantize(scratch + 16, n, offsets, i, delta, dst1);
    }
  }
}

/** Level values of coefficients i .. i + n - 1 (at c, i32s): clamp(floor((c - offset) / delta), 0, PROJECTION_MAX) as u16s at dst. */
// @ts-ignore: decorator
@inline function quantize(c: usize, n: i32, offsets: usize, i: i32, delta: i32, dst: usize): void {
  for (let j = 0; j < n; j++) {
    const v = load<i32>(c + (<usize>j << 2)) - load<i32>(offsets + (<usize>(i + j) << 2));
    store<u16>(dst + (<usize>(i + j) << 1), v <= 0 ? 0 : min(PROJECTION_MAX, <i32>(<u32>v / <u32>delta)));
  }
}

/**
 * w_i . x for weight rows first .. first + n - 1 (n <= 4) and two rows x0 and x1 of `bytes` bytes
 * (i32s): x0's to out0, x1's to out1. The rows hold u8 values, or with `sums` u16 block sums (then a
 * weight row has as many i16s as a row has sums, else as it has bytes). Each weight v128 is loaded
 * once for both rows.
 */
function coefficients4x2(sums: bool, x0: usize, x1: usize, bytes: i32, weights: usize, first: i32, n: i32, out0: usize, out1: usize): void {
  const pitch = <usize>(sums ? bytes : bytes * 2), w0 = weights + <usize>first * pitch, values = sums ? bytes >> 1 : bytes;
  if (!ASC_FEATURE_SIMD) {
    for (let j = 0; j < n; j++) {
      const w = w0 + <usize>j * pitch;
      let s0 = 0, s1 = 0;
      for (let c = 0; c < values; c++) {
        const wc = <i32>load<i16>(w + (<usize>c << 1));
        s0 += (sums ? <i32>load<u16>(x0 + (<usize>c << 1)) : <i32>load<u8>(x0 + c)) * wc;
        s1 += (sums ? <i32>load<u16>(x1 + (<usize>c << 1)) : <i32>load<u8>(x1 + c)) * wc;
      }
      store<i32>(out0 + (<usize>j << 2), s0);
      store<i32>(out1 + (<usize>j << 2), s1);
    }
    return;
  }
  // Rows past n repeat the last: their sums are not stored.
  const w1 = w0 + pitch * <usize>min(1, n - 1), w2 = w0 + pitch * <usize>min(2, n - 1), w3 = w0 + pitch * <usize>min(3, n - 1);
  let a0 = i32x4.splat(0), a1 = i32x4.splat(0), a2 = i32x4.splat(0), a3 = i32x4.splat(0);
  let b0 = i32x4.splat(0), b1 = i32x4.splat(0), b2 = i32x4.splat(0), b3 = i32x4.splat(0);
  if (sums) {
    // 8 sums (i16 lanes) per v128, against 8 weights.
    for (let c: usize = 0; c < pitch; c += 16) {
      const u = v128.load(x0 + c), v = v128.load(x1 + c);
      let w = v128.load(w0 + c);
      a0 = i32x4.add(a0, i32x4.dot_i16x8_s(u, w));
      b0 = i32x4.add(b0, i32x4.dot_i16x8_s(v, w));
      w = v128.load(w1 + c);
      a1 = i32x4.add(a1, i32x4.dot_i16x8_s(u, w));
      b1 = i32x4.add(b1, i32x4.dot_i16x8_s(v, w));
      w = v128.load(w2 + c);
      a2 = i32x4.add(a2, i32x4.dot_i16x8_s(u, w));
      b2 = i32x4.add(b2, i32x4.dot_i16x8_s(v, w));
      w = v128.load(w3 + c);
      a3 = i32x4.add(a3, i32x4.dot_i16x8_s(u, w));
      b3 = i32x4.add(b3, i32x4.dot_i16x8_s(v, w));
    }
  } else {
    // 16 u8 values per v128, widened to two i16 halves, against 16 weights.
    for (let c = 0; c < bytes; c += 16) {
      const u = v128.load(x0 + c), ulo = i16x8.extend_low_i8x16_u(u), uhi = i16x8.extend_high_i8x16_u(u);
      const v = v128.load(x1 + c), vlo = i16x8.extend_low_i8x16_u(v), vhi = i16x8.extend_high_i8x16_u(v);
      const at = <usize>c << 1;
      let lo = v128.load(w0 + at), hi = v128.load(w0 + at, 16);
      a0 = addDotsI16x16(a0, ulo, uhi, lo, hi);
      b0 = addDotsI16x16(b0, vlo, vhi, lo, hi);
      lo = v128.load(w1 + at); hi = v128.load(w1 + at, 16);
      a1 = addDotsI16x16(a1, ulo, uhi, lo, hi);
      b1 = addDotsI16x16(b1, vlo, vhi, lo, hi);
      lo = v128.load(w2 + at); hi = v128.load(w2 + at, 16);
      a2 = addDotsI16x16(a2, ulo, uhi, lo, hi);
      b2 = addDotsI16x16(b2, vlo, vhi, lo, hi);
      lo = v128.load(w3 + at); hi = v128.load(w3 + at, 16);
      a3 = addDotsI16x16(a3, ulo, uhi, lo, hi);
      b3 = addDotsI16x16(b3, vlo, vhi, lo, hi);
    }
  }
  storeLanes(out0, lanesSums4(a0, a1, a2, a3), n);
  storeLanes(out1, lanesSums4(b0, b1, b2, b3), n);
}

/** The first n (1 to 4) i32 lanes of v to out. */
// @ts-ignore: decorator
@inline function storeLanes(out: usize, v: v128, n: i32): void {
  store<i32>(out, i32x4.extract_lane(v, 0));
  if (n > 1) store<i32>(out, i32x4.extract_lane(v, 1), 4);
  if (n > 2) store<i32>(out, i32x4.extract_lane(v, 2), 8);
  if (n > 3) store<i32>(out, i32x4.extract_lane(v, 3), 12);
}

/** Bytes of n rows of `cols` columns as i16 columns (projectionColumnsU8). */
export function projectionColumnsBytes(n: i32, cols: i32): i32 {
  return cols * ((n + 7) & ~7) * 2;
}

/**
 * Writes n u8 rows (x: rows of `stride` bytes, the first `cols` bytes used) to `columns` column by
 * column as i16s, each column padded with zeros to a multiple of 8 values (projectionGramRows).
 */
export function projectionColumnsU8(x: usize, n: i32, stride: i32, cols: i32, columns: usize): void {
  const pitch = <usize>((n + 7) & ~7) << 1;
  memory.fill(columns, 0, projectionColumnsBytes(n, cols));
  for (let r = 0; r < n; r++) {
    const row = x + <usize>r * <usize>stride;
    for (let j = 0; j < cols; j++) store<i16>(columns + <usize>j * pitch + (<usize>r << 1), <i16>load<u8>(row + j));
  }
}

/**
 * Rows from..to of the Gram matrix of n rows given as columns (projectionColumnsU8; n <= 33,025,
 * so that a sum fits an i32): out + 4 * (i * cols + j) = sum_r x_ri x_rj for j >= i, and its
 * mirror. In several calls rather than one, so that V8's optimizing tier takes over.
 */
export function projectionGramRows(columns: usize, n: i32, cols: i32, from: i32, to: i32, out: usize): void {
  const n8 = (n + 7) & ~7, pitch = <usize>n8 << 1;
  for (let i = from; i < to; i++) {
    const ci = columns + <usize>i * pitch;
    for (let j = i; j < cols; j++) {
      const s = columnDot(ci, columns + <usize>j * pitch, n8);
      store<i32>(out + ((<usize>i * <usize>cols + <usize>j) << 2), s);
      store<i32>(out + ((<usize>j * <usize>cols + <usize>i) << 2), s);
    }
  }
}

/** sum a_r b_r over n8 (a multiple of 8) i16s. */
function columnDot(a: usize, b: usize, n8: i32): i32 {
  if (ASC_FEATURE_SIMD) {
    let s = i32x4.splat(0);
    for (let r = 0; r < n8 << 1; r += 16) s = i32x4.add(s, i32x4.dot_i16x8_s(v128.load(a + r), v128.load(b + r)));
    return sumI32x4(s);
  }
  let s = 0;
  for (let r = 0; r < n8; r++) s += <i32>load<i16>(a + (<usize>r << 1)) * <i32>load<i16>(b + (<usize>r << 1));
  return s;
}

/**
 * Level rows of a coarser projection level from a finer one (the same coefficients, fewer): dst
 * row r (dstBytes) is the first dstBytes of src row order[r] (srcBytes), or of row r when order is 0.
 */
export function pyramidPrefixRows(src: usize, srcBytes: i32, n: i32, dst: usize, dstBytes: i32, order: usize): void {
  for (let r = 0; r < n; r++) {
    memory.copy(dst + <usize>r * <usize>dstBytes, src + <usize>imageOf(order, r) * <usize>srcBytes, dstBytes);
  }
}

// Distance kernels: a tile of up to 4 queries against a run of training rows.
// Rows are zero-padded to `stride` bytes (a multiple of 16), so padding adds nothing to any distance.
// Results go to out[r * ldOut + j] (i32 for u8 data: exact; f32 for f32 data).
import { addDotsI16x16, maddF32x4, sumF32x4, sumI32x4, tileRow } from './common';

// 128 chunks of 16 bytes: each u16 lane gathers 2 absolute differences (<= 510) per chunk, 128 * 510 < 65536.
const U16_SAFE_CHUNKS: i32 = 128;

/**
 * L1 distances between up to 4 u8 queries and `rows` u8 training rows. Two training rows per
 * pass: each query chunk loaded serves both, and eight independent accumulators keep the
 * pipeline full.
 */
export function l1U8Tile(q: usize, count: i32, t: usize, rows: i32, stride: i32, out: usize, ldOut: i32): void {
  const q0 = tileRow(q, 0, count, stride), q1 = tileRow(q, 1, count, stride);
  const q2 = tileRow(q, 2, count, stride), q3 = tileRow(q, 3, count, stride);
  let j = 0;
  if (ASC_FEATURE_SIMD) {
    for (; j + 2 <= rows; j += 2) {
      const ta = t + <usize>j * <usize>stride, tb = ta + <usize>stride;
      let sa0 = i32x4.splat(0), sa1 = i32x4.splat(0), sa2 = i32x4.splat(0), sa3 = i32x4.splat(0);
      let sb0 = i32x4.splat(0), sb1 = i32x4.splat(0), sb2 = i32x4.splat(0), sb3 = i32x4.splat(0);
      for (let c0 = 0; c0 < stride; c0 += U16_SAFE_CHUNKS * 16) {
        const c1 = min(stride, c0 + U16_SAFE_CHUNKS * 16);
        let a0 = i16x8.splat(0), a1 = i16x8.splat(0), a2 = i16x8.splat(0), a3 = i16x8.splat(0);
        let b0 = i16x8.splat(0), b1 = i16x8.splat(0), b2 = i16x8.splat(0), b3 = i16x8.splat(0);
        for (let c = c0; c < c1; c += 16) {
          const va = v128.load(ta + c), vb = v128.load(tb + c);
          let x = v128.load(q0 + c);
          a0 = i16x8.add(a0, absDiffSumU8(x, va)); b0 = i16x8.add(b0, absDiffSumU8(x, vb));
          x = v128.load(q1 + c);
          a1 = i16x8.add(a1, absDiffSumU8(x, va)); b1 = i16x8.add(b1, absDiffSumU8(x, vb));
          x = v128.load(q2 + c);
          a2 = i16x8.add(a2, absDiffSumU8(x, va)); b2 = i16x8.add(b2, absDiffSumU8(x, vb));
          x = v128.load(q3 + c);
          a3 = i16x8.add(a3, absDiffSumU8(x, va)); b3 = i16x8.add(b3, absDiffSumU8(x, vb));
        }
        sa0 = i32x4.add(sa0, i32x4.extadd_pairwise_i16x8_u(a0)); sb0 = i32x4.add(sb0, i32x4.extadd_pairwise_i16x8_u(b0));
        sa1 = i32x4.add(sa1, i32x4.extadd_pairwise_i16x8_u(a1)); sb1 = i32x4.add(sb1, i32x4.extadd_pairwise_i16x8_u(b1));
        sa2 = i32x4.add(sa2, i32x4.extadd_pairwise_i16x8_u(a2)); sb2 = i32x4.add(sb2, i32x4.extadd_pairwise_i16x8_u(b2));
        sa3 = i32x4.add(sa3, i32x4.extadd_pairwise_i16x8_u(a3)); sb3 = i32x4.add(sb3, i32x4.extadd_pairwise_i16x8_u(b3));
      }
      storeTile<i32>(out, ldOut, j, count, sumI32x4(sa0), sumI32x4(sa1), sumI32x4(sa2), sumI32x4(sa3));
      storeTile<i32>(out, ldOut, j + 1, count, sumI32x4(sb0), sumI32x4(sb1), sumI32x4(sb2), sumI32x4(sb3));
    }
  }
  for (; j < rows; j++) {
    const tr = t + <usize>j * <usize>stride;
    storeTile<i32>(out, ldOut, j, count, l1U8Row(q0, tr, stride), l1U8Row(q1, tr, stride), l1U8Row(q2, tr, stride), l1U8Row(q3, tr, stride));
  }
}

/** |x - t| of 16 u8 lanes, summed in pairs into 8 u16 lanes (each at most 510). */
// @ts-ignore: decorator
@inline function absDiffSumU8(x: v128, t: v128): v128 {
  return i16x8.extadd_pairwise_i8x16_u(v128.or(i8x16.sub_sat_u(x, t), i8x16.sub_sat_u(t, x)));
}

/** L1 between two u8 rows: the SIMD chunks with the u16 flush, or the scalar loop in the scalar build. */
function l1U8Row(a: usize, b: usize, stride: i32): i32 {
  if (!ASC_FEATURE_SIMD) return l1U8Scalar(a, b, stride);
  let s = i32x4.splat(0);
  for (let c0 = 0; c0 < stride; c0 += U16_SAFE_CHUNKS * 16) {
    const c1 = min(stride, c0 + U16_SAFE_CHUNKS * 16);
    let acc = i16x8.splat(0);
    for (let c = c0; c < c1; c += 16) acc = i16x8.add(acc, absDiffSumU8(v128.load(a + c), v128.load(b + c)));
    s = i32x4.add(s, i32x4.extadd_pairwise_i16x8_u(acc));
  }
  return sumI32x4(s);
}

/**
 * Squared L2 between up to 4 u8 queries and `rows` u8 training rows through the exact integer
 * form ||q||^2 + ||t||^2 - 2 q.t: two i32x4.dot_i16x8_s per 16 bytes and pair, against the
 * subtract-then-square form's six operations. `wide` holds the 4 queries widened to i16
 * (widenU8Tile), qNorms their 4 norms, tNorms the training rows' norms (rowNormsU8).
 * Exact while D <= 33025 (every term fits an i32).
 */
export function l2U8DotTile(wide: usize, qNorms: usize, count: i32, t: usize, tNorms: usize, rows: i32, stride: i32, out: usize, ldOut: i32): void {
  if (!ASC_FEATURE_SIMD) {
    l2U8Tile(wide, count, t, rows, stride, out, ldOut);
    return;
  }
  const w = <usize>stride << 1;
  const q0 = wide, q1 = wide + w, q2 = wide + 2 * w, q3 = wide + 3 * w;
  const n0 = load<i32>(qNorms), n1 = load<i32>(qNorms, 4), n2 = load<i32>(qNorms, 8), n3 = load<i32>(qNorms, 12);
  let j = 0;
  for (; j + 2 <= rows; j += 2) {
    const ta = t + <usize>j * <usize>stride, tb = ta + <usize>stride;
    let a0 = i32x4.splat(0), b0 = i32x4.splat(0), a1 = i32x4.splat(0), b1 = i32x4.splat(0);
    let a2 = i32x4.splat(0), b2 = i32x4.splat(0), a3 = i32x4.splat(0), b3 = i32x4.splat(0);
    for (let c = 0; c < stride; c += 16) {
      const va = v128.load(ta + c), vb = v128.load(tb + c);
      const aLo = i16x8.extend_low_i8x16_u(va), aHi = i16x8.extend_high_i8x16_u(va);
      const bLo = i16x8.extend_low_i8x16_u(vb), bHi = i16x8.extend_high_i8x16_u(vb);
      const qc = <usize>c << 1;
      let lo = v128.load(q0 + qc), hi = v128.load(q0 + qc, 16);
      a0 = addDotsI16x16(a0, lo, hi, aLo, aHi);
      b0 = addDotsI16x16(b0, lo, hi, bLo, bHi);
      lo = v128.load(q1 + qc); hi = v128.load(q1 + qc, 16);
      a1 = addDotsI16x16(a1, lo, hi, aLo, aHi);
      b1 = addDotsI16x16(b1, lo, hi, bLo, bHi);
      lo = v128.load(q2 + qc); hi = v128.load(q2 + qc, 16);
      a2 = addDotsI16x16(a2, lo, hi, aLo, aHi);
      b2 = addDotsI16x16(b2, lo, hi, bLo, bHi);
      lo = v128.load(q3 + qc); hi = v128.load(q3 + qc, 16);
      a3 = addDotsI16x16(a3, lo, hi, aLo, aHi);
      b3 = addDotsI16x16(b3, lo, hi, bLo, bHi);
    }
    const na = load<i32>(tNorms + (<usize>j << 2)), nb = load<i32>(tNorms + (<usize>j << 2), 4);
    storeTile<i32>(out, ldOut, j, count, n0 + na - 2 * sumI32x4(a0), n1 + na - 2 * sumI32x4(a1), n2 + na - 2 * sumI32x4(a2), n3 + na - 2 * sumI32x4(a3));
    storeTile<i32>(out, ldOut, j + 1, count, n0 + nb - 2 * sumI32x4(b0), n1 + nb - 2 * sumI32x4(b1), n2 + nb - 2 * sumI32x4(b2), n3 + nb - 2 * sumI32x4(b3));
  }
  if (j < rows) {
    const ta = t + <usize>j * <usize>stride;
    let a0 = i32x4.splat(0), a1 = i32x4.splat(0), a2 = i32x4.splat(0), a3 = i32x4.splat(0);
    for (let c = 0; c < stride; c += 16) {
      const va = v128.load(ta + c);
      const aLo = i16x8.extend_low_i8x16_u(va), aHi = i16x8.extend_high_i8x16_u(va);
      const qc = <usize>c << 1;
      a0 = addDotsI16x16(a0, v128.load(q0 + qc), v128.load(q0 + qc, 16), aLo, aHi);
      a1 = addDotsI16x16(a1, v128.load(q1 + qc), v128.load(q1 + qc, 16), aLo, aHi);
      a2 = addDotsI16x16(a2, v128.load(q2 + qc), v128.load(q2 + qc, 16), aLo, aHi);
      a3 = addDotsI16x16(a3, v128.load(q3 + qc), v128.load(q3 + qc, 16), aLo, aHi);
    }
    const na = load<i32>(tNorms + (<usize>j << 2));
    storeTile<i32>(out, ldOut, j, count, n0 + na - 2 * sumI32x4(a0), n1 + na - 2 * sumI32x4(a1), n2 + na - 2 * sumI32x4(a2), n3 + na - 2 * sumI32x4(a3));
  }
}

/**
 * Widens up to 4 u8 query rows to i16 into `wide` (4 rows of 2 * stride bytes; missing rows repeat
 * row 0) and writes their squared norms to qNorms (4 i32). The SIMD build's input to l2U8DotTile;
 * the scalar build copies the rows unchanged, since its l2U8DotTile reads u8.
 */
export function widenU8Tile(q: usize, count: i32, stride: i32, wide: usize, qNorms: usize): void {
  for (let r = 0; r < 4; r++) {
    const src = tileRow(q, r, count, stride);
    store<i32>(qNorms + (<usize>r << 2), normU8(src, stride));
    if (ASC_FEATURE_SIMD) {
      const dst = wide + <usize>r * (<usize>stride << 1);
      for (let c = 0; c < stride; c += 16) {
        const v = v128.load(src + c);
        v128.store(dst + (<usize>c << 1), i16x8.extend_low_i8x16_u(v));
        v128.store(dst + (<usize>c << 1), i16x8.extend_high_i8x16_u(v), 16);
      }
    } else {
      memory.copy(wide + <usize>r * <usize>stride, src, stride);
    }
  }
}

/** Squared L2 norm of each u8 row as an exact i32. */
export function rowNormsU8(x: usize, rows: i32, stride: i32, out: usize): void {
  for (let i = 0; i < rows; i++) store<i32>(out + (<usize>i << 2), normU8(x + <usize>i * <usize>stride, stride));
}

function normU8(x: usize, stride: i32): i32 {
  if (ASC_FEATURE_SIMD) {
    // The whole sum fits an i32 (TS caps u8 L2 columns: MAX_U8_L2_COLS), so every lane's part does.
    let acc = i32x4.splat(0);
    for (let c = 0; c < stride; c += 16) {
      const v = v128.load(x + c), lo = i16x8.extend_low_i8x16_u(v), hi = i16x8.extend_high_i8x16_u(v);
      acc = i32x4.add(acc, i32x4.add(i32x4.dot_i16x8_s(lo, lo), i32x4.dot_i16x8_s(hi, hi)));
    }
    return sumI32x4(acc);
  }
  let s = 0;
  for (let c = 0; c < stride; c++) {
    const v = <i32>load<u8>(x + c);
    s += v * v;
  }
  return s;
}

/** Squared L2 between up to 4 u8 queries and `rows` u8 training rows, one pixel at a time: the scalar build's form of l2U8DotTile. */
export function l2U8Tile(q: usize, count: i32, t: usize, rows: i32, stride: i32, out: usize, ldOut: i32): void {
  const q0 = tileRow(q, 0, count, stride), q1 = tileRow(q, 1, count, stride);
  const q2 = tileRow(q, 2, count, stride), q3 = tileRow(q, 3, count, stride);
  for (let j = 0; j < rows; j++) {
    const tr = t + <usize>j * <usize>stride;
    storeTile<i32>(out, ldOut, j, count, l2U8Scalar(q0, tr, stride), l2U8Scalar(q1, tr, stride), l2U8Scalar(q2, tr, stride), l2U8Scalar(q3, tr, stride));
  }
}

/** L1 distances between up to 4 f32 queries and `rows` f32 training rows. */
export function l1F32Tile(q: usize, count: i32, t: usize, rows: i32, stride: i32, out: usize, ldOut: i32): void {
  const q0 = tileRow(q, 0, count, stride), q1 = tileRow(q, 1, count, stride);
  const q2 = tileRow(q, 2, count, stride), q3 = tileRow(q, 3, count, stride);
  for (let j = 0; j < rows; j++) {
    const tr = t + <usize>j * <usize>stride;
    let d0: f32 = 0, d1: f32 = 0, d2: f32 = 0, d3: f32 = 0;
    if (ASC_FEATURE_SIMD) {
      let s0 = f32x4.splat(0), s1 = f32x4.splat(0), s2 = f32x4.splat(0), s3 = f32x4.splat(0);
      for (let c = 0; c < stride; c += 16) {
        const tv = v128.load(tr + c);
        s0 = f32x4.add(s0, f32x4.abs(f32x4.sub(v128.load(q0 + c), tv)));
        s1 = f32x4.add(s1, f32x4.abs(f32x4.sub(v128.load(q1 + c), tv)));
        s2 = f32x4.add(s2, f32x4.abs(f32x4.sub(v128.load(q2 + c), tv)));
        s3 = f32x4.add(s3, f32x4.abs(f32x4.sub(v128.load(q3 + c), tv)));
      }
      d0 = sumF32x4(s0); d1 = sumF32x4(s1); d2 = sumF32x4(s2); d3 = sumF32x4(s3);
    } else {
      d0 = l1F32Scalar(q0, tr, stride); d1 = l1F32Scalar(q1, tr, stride);
      d2 = l1F32Scalar(q2, tr, stride); d3 = l1F32Scalar(q3, tr, stride);
    }
    storeTile<f32>(out, ldOut, j, count, d0, d1, d2, d3);
  }
}

/** Squared L2 norm of each f32 row: out[i] = sum_d x[i][d]^2. */
export function rowNormsF32(x: usize, rows: i32, stride: i32, out: usize): void {
  for (let i = 0; i < rows; i++) store<f32>(out + (<usize>i << 2), normF32(x + <usize>i * <usize>stride, stride));
}

/** Squared L2 norm of one zero-padded f32 row of `stride` bytes. */
export function normF32(x: usize, stride: i32): f32 {
  if (ASC_FEATURE_SIMD) {
    let s = f32x4.splat(0);
    for (let c = 0; c < stride; c += 16) {
      const v = v128.load(x + c);
      s = maddF32x4(v, v, s);
    }
    return sumF32x4(s);
  }
  let s: f32 = 0;
  for (let c = 0; c < stride; c += 4) {
    const v = load<f32>(x + c);
    s += v * v;
  }
  return s;
}

function l1U8Scalar(a: usize, b: usize, len: i32): i32 {
  let s = 0;
  for (let i = 0; i < len; i++) s += abs<i32>(<i32>load<u8>(a + i) - <i32>load<u8>(b + i));
  return s;
}

function l2U8Scalar(a: usize, b: usize, len: i32): i32 {
  let s = 0;
  for (let i = 0; i < len; i++) {
    const d = <i32>load<u8>(a + i) - <i32>load<u8>(b + i);
    s += d * d;
  }
  return s;
}

function l1F32Scalar(a: usize, b: usize, len: i32): f32 {
  let s: f32 = 0;
  for (let i = 0; i < len; i += 4) s += Mathf.abs(load<f32>(a + i) - load<f32>(b + i));
  return s;
}

/** Column j of a tile's output rows (one per query, ldOut values apart): the distances of up to 4 queries (i32 or f32). */
// @ts-ignore: decorator
@inline function storeTile<T>(out: usize, ldOut: i32, j: i32, count: i32, d0: T, d1: T, d2: T, d3: T): void {
  const ld = <usize>ldOut << 2, p = out + (<usize>j << 2);
  store<T>(p, d0);
  if (count > 1) store<T>(p + ld, d1);
  if (count > 2) store<T>(p + 2 * ld, d2);
  if (count > 3) store<T>(p + 3 * ld, d3);
}

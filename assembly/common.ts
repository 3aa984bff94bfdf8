// Helpers shared by the kernel families. One source builds three binaries: ASC_FEATURE_SIMD and
// ASC_FEATURE_RELAXED_SIMD are compile-time constants, so the branch not taken is never compiled.

/** Queries handled together in one pass over the training rows (register tile height). */
export const QUERY_TILE: i32 = 4;

/** a * b + c on four f32 lanes: a real FMA in the relaxed build, multiply then add otherwise. */
// @ts-ignore: decorator
@inline export function maddF32x4(a: v128, b: v128, c: v128): v128 {
  if (ASC_FEATURE_RELAXED_SIMD) return f32x4.relaxed_madd(a, b, c);
  return f32x4.add(f32x4.mul(a, b), c);
}

/** acc plus the products of two 16-value i16 vectors, each given as its halves (lo, hi), added in pairs into 4 i32 lanes. */
// @ts-ignore: decorator
@inline export function addDotsI16x16(acc: v128, aLo: v128, aHi: v128, bLo: v128, bHi: v128): v128 {
  return i32x4.add(acc, i32x4.add(i32x4.dot_i16x8_s(aLo, bLo), i32x4.dot_i16x8_s(aHi, bHi)));
}

// @ts-ignore: decorator
@inline export function sumI32x4(v: v128): i32 {
  return i32x4.extract_lane(v, 0) + i32x4.extract_lane(v, 1) + i32x4.extract_lane(v, 2) + i32x4.extract_lane(v, 3);
}

// @ts-ignore: decorator
@inline export function sumF32x4(v: v128): f32 {
  return (f32x4.extract_lane(v, 0) + f32x4.extract_lane(v, 1)) + (f32x4.extract_lane(v, 2) + f32x4.extract_lane(v, 3));
}

/** Row pointer of query r in a tile of `count` rows; missing rows repeat row 0 so the tile loop stays branch-free. */
// @ts-ignore: decorator
@inline export function tileRow(base: usize, r: i32, count: i32, stride: i32): usize {
  return r < count ? base + <usize>r * <usize>stride : base;
}

/**
 * e^x on four f32 lanes (Cephes expf: x = n ln2 + r, a degree-6 polynomial in r, times 2^n);
 * within 2 ulp of Mathf.exp for x in [-87, 88]. Below -87 it returns about 1e-38, not 0.
 */
export function expF32x4(x: v128): v128 {
  const v = f32x4.max(f32x4.min(x, f32x4.splat(88.3762626647949)), f32x4.splat(-87.3365447505531));
  const n = f32x4.nearest(f32x4.mul(v, f32x4.splat(1.44269504088896341)));
  const r = f32x4.sub(f32x4.sub(v, f32x4.mul(n, f32x4.splat(0.693359375))), f32x4.mul(n, f32x4.splat(-2.12194440e-4)));
  let p = f32x4.splat(1.9875691500e-4);
  p = f32x4.add(f32x4.mul(p, r), f32x4.splat(1.3981999507e-3));
  p = f32x4.add(f32x4.mul(p, r), f32x4.splat(8.3334519073e-3));
  p = f32x4.add(f32x4.mul(p, r), f32x4.splat(4.1665795894e-2));
  p = f32x4.add(f32x4.mul(p, r), f32x4.splat(1.6666665459e-1));
  p = f32x4.add(f32x4.mul(p, r), f32x4.splat(5.0000001201e-1));
  const y = f32x4.add(f32x4.add(f32x4.mul(f32x4.mul(p, r), r), r), f32x4.splat(1));
  const pow2n = i32x4.shl(i32x4.add(i32x4.trunc_sat_f32x4_s(n), i32x4.splat(127)), 23);
  return f32x4.mul(y, pow2n);
}

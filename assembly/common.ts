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

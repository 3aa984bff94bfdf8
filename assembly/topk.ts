// Per-query k smallest (distance, index) pairs, merged one block of candidate distances at a time.
// topkPush's candidates arrive in increasing index order and only a strictly smaller distance
// enters, so among equal distances the lower training index wins; topkPushOne compares (distance,
// index) pairs, so its candidates may arrive in any order.
// Small k: a sorted array with insertion. Large k: a max-heap, sorted once at the end.

/** Above this k the max-heap replaces insertion into a sorted array. */
export const HEAP_MIN_K: i32 = 48;

/** Fills `count` (distance, index) slots with the empty sentinel (largest distance, index -1). */
export function topkReset<T>(dist: usize, idx: usize, count: i32): void {
  const empty: T = isInteger<T>() ? <T>i32.MAX_VALUE : <T>Infinity;
  for (let i = 0; i < count; i++) {
    store<T>(dist + (<usize>i << 2), empty);
    store<i32>(idx + (<usize>i << 2), -1);
  }
}

/** Merges `len` candidate distances d[0..len) with indices first.. into one query's top-k state. */
export function topkPush<T>(d: usize, len: i32, first: i32, dist: usize, idx: usize, k: i32): void {
  const heap = k >= HEAP_MIN_K;
  // The entry a candidate must beat: the last of the sorted array, or the heap's root.
  const worst = heap ? dist : dist + (<usize>(k - 1) << 2);
  let thr = load<T>(worst);
  let j = 0;
  if (ASC_FEATURE_SIMD) {
    for (; j + 8 <= len; j += 8) {
      const p = d + (<usize>j << 2);
      let hit: bool;
      if (isInteger<T>()) {
        const t = i32x4.splat(<i32>thr);
        hit = v128.any_true(v128.or(i32x4.lt_s(v128.load(p), t), i32x4.lt_s(v128.load(p, 16), t)));
      } else {
        const t = f32x4.splat(<f32>thr);
        hit = v128.any_true(v128.or(f32x4.lt(v128.load(p), t), f32x4.lt(v128.load(p, 16), t)));
      }
      if (!hit) continue;
      for (let l = 0; l < 8; l++) {
        const v = load<T>(p + (<usize>l << 2));
        if (v < thr) {
          if (heap) heapReplaceRoot<T>(dist, idx, k, v, first + j + l);
          else sortedInsert<T>(dist, idx, k, v, first + j + l);
          thr = load<T>(worst);
        }
      }
    }
  }
  for (; j < len; j++) {
    const v = load<T>(d + (<usize>j << 2));
    if (v < thr) {
      if (heap) heapReplaceRoot<T>(dist, idx, k, v, first + j);
      else sortedInsert<T>(dist, idx, k, v, first + j);
      thr = load<T>(worst);
    }
  }
}

/** Puts one query's top-k state in ascending (distance, index) order; a no-op for the sorted array. */
export function topkFinish<T>(dist: usize, idx: usize, k: i32): void {
  if (k < HEAP_MIN_K) return;
  for (let end = k - 1; end > 0; end--) {
    swap<T>(dist, idx, 0, end);
    siftDown<T>(dist, idx, 0, end);
  }
}

function sortedInsert<T>(dist: usize, idx: usize, k: i32, v: T, i: i32): void {
  let p = k - 1;
  while (p > 0) {
    const prev = load<T>(dist + (<usize>(p - 1) << 2));
    if (prev < v || (prev == v && load<i32>(idx + (<usize>(p - 1) << 2)) < i)) break;
    store<T>(dist + (<usize>p << 2), prev);
    store<i32>(idx + (<usize>p << 2), load<i32>(idx + (<usize>(p - 1) << 2)));
    p--;
  }
  store<T>(dist + (<usize>p << 2), v);
  store<i32>(idx + (<usize>p << 2), i);
}

function heapReplaceRoot<T>(dist: usize, idx: usize, k: i32, v: T, i: i32): void {
  store<T>(dist, v);
  store<i32>(idx, i);
  siftDown<T>(dist, idx, 0, k);
}

// @ts-ignore: decorator
@inline function greater<T>(dist: usize, idx: usize, a: i32, b: i32): bool {
  const da = load<T>(dist + (<usize>a << 2)), db = load<T>(dist + (<usize>b << 2));
  return da > db || (da == db && load<i32>(idx + (<usize>a << 2)) > load<i32>(idx + (<usize>b << 2)));
}

function siftDown<T>(dist: usize, idx: usize, start: i32, n: i32): void {
  let i = start;
  while (true) {
    const l = 2 * i + 1;
    if (l >= n) break;
    let c = l;
    if (l + 1 < n && greater<T>(dist, idx, l + 1, l)) c = l + 1;
    if (!greater<T>(dist, idx, c, i)) break;
    swap<T>(dist, idx, i, c);
    i = c;
  }
}

// @ts-ignore: decorator
@inline function swap<T>(dist: usize, idx: usize, a: i32, b: i32): void {
  const pa = <usize>a << 2, pb = <usize>b << 2;
  const d = load<T>(dist + pa);
  store<T>(dist + pa, load<T>(dist + pb));
  store<T>(dist + pb, d);
  const i = load<i32>(idx + pa);
  store<i32>(idx + pa, load<i32>(idx + pb));
  store<i32>(idx + pb, i);
}

/** The distance a candidate must beat to enter a top-k state: its k-th smallest so far (the empty sentinel until it holds k). */
export function topkWorst<T>(dist: usize, k: i32): T {
  return load<T>(k >= HEAP_MIN_K ? dist : dist + (<usize>(k - 1) << 2));
}

/** Merges one candidate (distance v, index i) into a top-k state, in (distance, index) order: candidates may arrive in any order. */
export function topkPushOne<T>(dist: usize, idx: usize, k: i32, v: T, i: i32): void {
  const at = k >= HEAP_MIN_K ? 0 : <usize>(k - 1) << 2, worst = load<T>(dist + at);
  if (!(v < worst || (v == worst && i < load<i32>(idx + at)))) return;
  if (k >= HEAP_MIN_K) heapReplaceRoot<T>(dist, idx, k, v, i);
  else sortedInsert<T>(dist, idx, k, v, i);
}

// Exact fast kNN for u8 images (DESIGN.md "Exact fast kNN (block-sum pyramids)"). A level splits
// each H x W x C image (HWC) into blocks of bh x bw pixels per channel; when bh or bw does not
// divide H or W, the last block row or column is smaller. With S_b the sum of block b (n_b pixels):
//   L1 >= sum_b |S_b(q) - S_b(t)|            squared L2 >= sum_b (S_b(q) - S_b(t))^2 / n_b.
// A level row holds u16 block sums grouped by class (whole blocks, right edge column, bottom edge
// row, corner), each class zero-padded to 8 sums, so one v128 of sums shares one pixel count.
// The coarsest level, bounded for every row of every query, is stored in columns of sum pairs
// instead (4 rows per v128), and the finer levels are refined for a batch of queries at a time.
// A block has at most MAX_BLOCK_PIXELS pixels: a sum is at most 32640, the difference of two fits
// an i16, and i32x4.dot_i16x8_s adds two squared differences without overflow (2 * 32640^2 < 2^31).
// Bounds are integers: L1 exactly, squared L2 rounded up (the squared distance is an integer, so
// rounding up keeps it a lower bound, and ceil(bound) > tau exactly when bound > tau for integer tau).
import { sumI32x4 } from './common';
import { METRIC_L1 } from './knn';
import { topkFinish, topkPush, topkPushOne, topkReset, topkWorst } from './topk';

/** The most pixels a block may have (TS checks it before building a level). */
export const MAX_BLOCK_PIXELS: i32 = 128;

// A level descriptor: i32 words written by pyramidDescribeLevel and read by every kernel here.
// D_INV_LCM: an f64 (words 8 and 9, 8-byte aligned), the multiplier of ceilQuotient.
const D_H = 0, D_W = 1, D_C = 2, D_BH = 3, D_BW = 4, D_ROW_BYTES = 5, D_LCM = 6, D_L1_RUN = 7, D_INV_LCM = 8;
const D_CLASSES = 10;
// Per class (4 classes): its first u16 slot in a level row, sums, pixels per block, weight =
// lcm / pixels, v128 chunks, and how many squared differences of its sums an i32 lane can add.
const C_FIRST = 0, C_SUMS = 1, C_PIXELS = 2, C_WEIGHT = 3, C_CHUNKS = 4, C_LANE_SQUARES = 5;
const CLASS_WORDS = 6;
const CLASSES = 4;
const DESC_WORDS = D_CLASSES + CLASSES * CLASS_WORDS;

/** Bytes of a level descriptor (pyramidDescribeLevel). */
export function pyramidDescBytes(): i32 {
  return DESC_WORDS << 2;
}

// @ts-ignore: decorator
@inline function word(desc: usize, w: i32): i32 {
  return load<i32>(desc + (<usize>w << 2));
}

// @ts-ignore: decorator
@inline function classWord(desc: usize, c: i32, w: i32): i32 {
  return word(desc, D_CLASSES + c * CLASS_WORDS + w);
}

function gcd(a: i32, b: i32): i32 {
  while (b != 0) {
    const r = a % b;
    a = b;
    b = r;
  }
  return a;
}

/**
 * Writes the descriptor of the level with bh x bw blocks over H x W x C images (bh * bw <=
 * MAX_BLOCK_PIXELS) and returns the bytes of one level row (a multiple of 16).
 * Class c: bit 1 set for the bottom edge row of blocks, bit 0 for the right edge column.
 */
export function pyramidDescribeLevel(h: i32, w: i32, c: i32, bh: i32, bw: i32, desc: usize): i32 {
  const fullRows = h / bh, edgeHeight = h % bh, fullCols = w / bw, edgeWidth = w % bw;
  let slots = 0, lcm = 1, widest = 1;
  for (let k = 0; k < CLASSES; k++) {
    const rows = (k & 2) != 0 ? (edgeHeight > 0 ? 1 : 0) : fullRows;
    const cols = (k & 1) != 0 ? (edgeWidth > 0 ? 1 : 0) : fullCols;
    const pixels = ((k & 2) != 0 ? edgeHeight : bh) * ((k & 1) != 0 ? edgeWidth : bw);
    const sums = rows * cols * c;
    const chunks = (sums + 7) >> 3;
    const at = desc + (<usize>(D_CLASSES + k * CLASS_WORDS) << 2);
    store<i32>(at + (C_FIRST << 2), slots);
    store<i32>(at + (C_SUMS << 2), sums);
    store<i32>(at + (C_PIXELS << 2), pixels);
    store<i32>(at + (C_CHUNKS << 2), chunks);
    const square = pixels > 0 ? <i64>(255 * pixels) * <i64>(255 * pixels) : 1;
    store<i32>(at + (C_LANE_SQUARES << 2), <i32>(<i64>i32.MAX_VALUE / square));
    if (sums > 0) {
      lcm = lcm / gcd(lcm, pixels) * pixels;
      widest = max(widest, pixels);
    }
    slots += chunks << 3;
  }
  for (let k = 0; k < CLASSES; k++) {
    const at = desc + (<usize>(D_CLASSES + k * CLASS_WORDS) << 2);
    const sums = load<i32>(at + (C_SUMS << 2)), pixels = load<i32>(at + (C_PIXELS << 2));
    store<i32>(at + (C_WEIGHT << 2), sums > 0 ? lcm / pixels : 0);
  }
  store<i32>(desc + (D_H << 2), h);
  store<i32>(desc + (D_W << 2), w);
  store<i32>(desc + (D_C << 2), c);
  store<i32>(desc + (D_BH << 2), bh);
  store<i32>(desc + (D_BW << 2), bw);
  store<i32>(desc + (D_ROW_BYTES << 2), slots << 1);
  store<i32>(desc + (D_LCM << 2), lcm);
  store<f64>(desc + (D_INV_LCM << 2), reinterpret<f64>(reinterpret<u64>(1.0 / <f64>lcm) - 1));
  // |dS| <= 255 * widest: a u16 lane adds one per v128 of sums, this many v128s without overflow.
  store<i32>(desc + (D_L1_RUN << 2), min(ABANDON_CHUNKS, 65535 / (255 * widest)));
  return slots << 1;
}

/** Writes the level's block sums of `rows` u8 images (rows of `stride` bytes) to out, one level row each. */
export function pyramidSumsU8(x: usize, rows: i32, stride: i32, desc: usize, out: usize): void {
  const rowBytes = word(desc, D_ROW_BYTES);
  for (let r = 0; r < rows; r++) {
    const dst = out + <usize>r * <usize>rowBytes;
    memory.fill(dst, 0, rowBytes);
    blockSumsRow(x + <usize>r * <usize>stride, desc, dst);
  }
}

function blockSumsRow(x: usize, desc: usize, dst: usize): void {
  const h = word(desc, D_H), w = word(desc, D_W), c = word(desc, D_C), bh = word(desc, D_BH), bw = word(desc, D_BW);
  const fullRows = h / bh, fullCols = w / bw;
  for (let top = 0, i = 0; top < h; top += bh, i++) {
    const height = min(bh, h - top);
    for (let left = 0, j = 0; left < w; left += bw, j++) {
      const k = (i == fullRows ? 2 : 0) | (j == fullCols ? 1 : 0);
      const within = k == 0 ? i * fullCols + j : k == 1 ? i : k == 2 ? j : 0;
      const slot = classWord(desc, k, C_FIRST) + within * c;
      const width = min(bw, w - left);
      for (let ch = 0; ch < c; ch++) {
        store<u16>(dst + (<usize>(slot + ch) << 1), blockSum(x + <usize>((top * w + left) * c + ch), height, width, w * c, c));
      }
    }
  }
}

/** Sum of a height x width block of one channel: pixels `step` bytes apart, rows `pitch` bytes apart. */
function blockSum(x: usize, height: i32, width: i32, pitch: i32, step: i32): i32 {
  let s = 0;
  for (let y = 0; y < height; y++) {
    const row = x + <usize>(y * pitch);
    for (let p = 0; p < width; p++) s += <i32>load<u8>(row + <usize>(p * step));
  }
  return s;
}

// Row-major bounds stop adding once a partial sum exceeds the threshold, checked every this many v128s.
const ABANDON_CHUNKS: i32 = 8;

/** Rows of a level in columns: n rounded up to a multiple of 8 (two v128s of 4 rows each). */
function columnRows(n: i32): i32 {
  return (n + 7) & ~7;
}

/** Sums of a level row in columns: each class's sums padded to an even count (pairs of sums). */
function columnSums(desc: usize): i32 {
  let sums = 0;
  for (let k = 0; k < CLASSES; k++) sums += (classWord(desc, k, C_SUMS) + 1) & ~1;
  return sums;
}

/** Bytes of n rows of a level in columns (pyramidColumnsU8). */
export function pyramidColumnsBytes(n: i32, desc: usize): i32 {
  return columnSums(desc) * columnRows(n) << 1;
}

/**
 * Rewrites n level rows (pyramidSumsU8) in columns of pairs, for bounding every row at once:
 * pair p (sums 2p and 2p + 1 of a row, classes in order) of row j is the u32 at
 * out + 4 * (p * columnRows(n) + j), so a v128 holds one pair of 4 rows. Padding rows are zero.
 */
export function pyramidColumnsU8(rows: usize, n: i32, desc: usize, out: usize): void {
  const rowBytes = <usize>word(desc, D_ROW_BYTES), pitch = <usize>columnRows(n) << 2;
  memory.fill(out, 0, pyramidColumnsBytes(n, desc));
  let col = out;
  for (let k = 0; k < CLASSES; k++) {
    const first = <usize>classWord(desc, k, C_FIRST) << 1, pairs = (classWord(desc, k, C_SUMS) + 1) >> 1;
    for (let i = 0; i < pairs; i++, col += pitch) {
      const src = rows + first + (<usize>i << 2);
      for (let j = 0; j < n; j++) store<u32>(col + (<usize>j << 2), load<u32>(src + <usize>j * rowBytes));
    }
  }
}

/**
 * Lower bounds of the distances from one query (q: its level row) to n training rows of the level
 * in columns (pyramidColumnsU8): L1, or squared L2 rounded up, as pyramidRefineU8 writes them.
 * `out` holds n rounded up to a multiple of 8 i32s.
 */
export function pyramidColumnBoundsU8(metric: i32, q: usize, cols: usize, n: i32, desc: usize, out: usize): void {
  const pitch = <usize>columnRows(n) << 2;
  for (let j = 0; j < n; j += 8) {
    const col = cols + (<usize>j << 2), dst = out + (<usize>j << 2);
    if (ASC_FEATURE_SIMD) {
      if (metric == METRIC_L1) l1Columns8(q, col, pitch, desc, dst);
      else l2Columns8(q, col, pitch, desc, dst);
    } else {
      for (let r = 0; r < 8; r++) {
        const c = col + (<usize>r << 2);
        store<i32>(dst + (<usize>r << 2), metric == METRIC_L1 ? l1Column(q, c, pitch, desc) : l2Column(q, c, pitch, desc));
      }
    }
  }
}

/** L1 bounds of 8 rows in columns: per pair, |dS| of both sums added into each row's lane. */
function l1Columns8(q: usize, col: usize, pitch: usize, desc: usize, out: usize): void {
  let a = i32x4.splat(0), b = i32x4.splat(0), at = col;
  for (let k = 0; k < CLASSES; k++) {
    const qs = q + (<usize>classWord(desc, k, C_FIRST) << 1), pairs = (classWord(desc, k, C_SUMS) + 1) >> 1;
    for (let i = 0; i < pairs; i++, at += pitch) {
      const qv = i32x4.splat(load<i32>(qs + (<usize>i << 2)));
      a = i32x4.add(a, i32x4.extadd_pairwise_i16x8_u(i16x8.abs(i16x8.sub(v128.load(at), qv))));
      b = i32x4.add(b, i32x4.extadd_pairwise_i16x8_u(i16x8.abs(i16x8.sub(v128.load(at, 16), qv))));
    }
  }
  v128.store(out, a);
  v128.store(out, b, 16);
}

/**
 * Squared L2 bounds of 8 rows in columns. Per pair, dot_i16x8_s adds both squared differences
 * into each row's i32 lane, for as many pairs as a lane holds (C_LANE_SQUARES / 2); then the
 * lanes go to f64 times the class weight. Every value is an integer below 2^53, so each f64 sum
 * is exact (see ceilQuotient for the rest).
 */
function l2Columns8(q: usize, col: usize, pitch: usize, desc: usize, out: usize): void {
  let p0 = f64x2.splat(0), p1 = f64x2.splat(0), p2 = f64x2.splat(0), p3 = f64x2.splat(0), at = col;
  for (let k = 0; k < CLASSES; k++) {
    const qs = q + (<usize>classWord(desc, k, C_FIRST) << 1), pairs = (classWord(desc, k, C_SUMS) + 1) >> 1;
    const w = f64x2.splat(<f64>classWord(desc, k, C_WEIGHT)), run = classWord(desc, k, C_LANE_SQUARES) >> 1;
    for (let i0 = 0; i0 < pairs; i0 += run) {
      let a = i32x4.splat(0), b = i32x4.splat(0);
      for (let i = i0, end = min(pairs, i0 + run); i < end; i++, at += pitch) {
        const qv = i32x4.splat(load<i32>(qs + (<usize>i << 2)));
        const da = i16x8.sub(v128.load(at), qv), db = i16x8.sub(v128.load(at, 16), qv);
        a = i32x4.add(a, i32x4.dot_i16x8_s(da, da));
        b = i32x4.add(b, i32x4.dot_i16x8_s(db, db));
      }
      p0 = f64x2.add(p0, f64x2.mul(f64x2.convert_low_i32x4_u(a), w));
      p1 = f64x2.add(p1, f64x2.mul(f64x2.convert_low_i32x4_u(highHalf(a)), w));
      p2 = f64x2.add(p2, f64x2.mul(f64x2.convert_low_i32x4_u(b), w));
      p3 = f64x2.add(p3, f64x2.mul(f64x2.convert_low_i32x4_u(highHalf(b)), w));
    }
  }
  const l = f64x2.splat(load<f64>(desc + (D_INV_LCM << 2)));
  v128.store(out, i8x16.shuffle(ceilQuotientF64x2(p0, l), ceilQuotientF64x2(p1, l), 0, 1, 2, 3, 4, 5, 6, 7, 16, 17, 18, 19, 20, 21, 22, 23));
  v128.store(out, i8x16.shuffle(ceilQuotientF64x2(p2, l), ceilQuotientF64x2(p3, l), 0, 1, 2, 3, 4, 5, 6, 7, 16, 17, 18, 19, 20, 21, 22, 23), 16);
}

// @ts-ignore: decorator
@inline function highHalf(v: v128): v128 {
  return i8x16.shuffle(v, v, 8, 9, 10, 11, 12, 13, 14, 15, 8, 9, 10, 11, 12, 13, 14, 15);
}

/** ceil(p / l) of two f64 lanes into the two low i32 lanes (see ceilQuotient; inv: D_INV_LCM). */
// @ts-ignore: decorator
@inline function ceilQuotientF64x2(p: v128, inv: v128): v128 {
  return i32x4.trunc_sat_f64x2_s_zero(f64x2.ceil(f64x2.mul(p, inv)));
}

/** Scalar twin of l1Columns8 for one row (col: its first pair). */
function l1Column(q: usize, col: usize, pitch: usize, desc: usize): i32 {
  let b = 0, at = col;
  for (let k = 0; k < CLASSES; k++) {
    const qs = q + (<usize>classWord(desc, k, C_FIRST) << 1), pairs = (classWord(desc, k, C_SUMS) + 1) >> 1;
    for (let i = 0; i < pairs; i++, at += pitch) {
      const qi = qs + (<usize>i << 2);
      b += abs<i32>(<i32>load<u16>(at) - <i32>load<u16>(qi)) + abs<i32>(<i32>load<u16>(at, 2) - <i32>load<u16>(qi, 2));
    }
  }
  return b;
}

/** Scalar twin of l2Columns8 for one row (col: its first pair). */
function l2Column(q: usize, col: usize, pitch: usize, desc: usize): i32 {
  let p: i64 = 0, at = col;
  for (let k = 0; k < CLASSES; k++) {
    const qs = q + (<usize>classWord(desc, k, C_FIRST) << 1), pairs = (classWord(desc, k, C_SUMS) + 1) >> 1;
    let a: i64 = 0;
    for (let i = 0; i < pairs; i++, at += pitch) {
      const qi = qs + (<usize>i << 2);
      const d0 = <i64>load<u16>(at) - <i64>load<u16>(qi), d1 = <i64>load<u16>(at, 2) - <i64>load<u16>(qi, 2);
      a += d0 * d0 + d1 * d1;
    }
    p += <i64>classWord(desc, k, C_WEIGHT) * a;
  }
  return ceilQuotient(p, desc);
}

/**
 * ceil(p / l) for p = l * sum_b dS_b^2 / n_b, exactly, by a product instead of a division. l, the
 * lcm of a level's pixel counts, is below 2^14 (every pixel count divides bh * bw * edgeHeight *
 * edgeWidth < 128^2), and p / l is at most the squared distance, below 2^31: p < 2^45 converts to
 * f64 exactly. inv (D_INV_LCM) is one ulp below 1/l rounded, so below 1/l by a relative 2^-51 at
 * most: p * inv lies below p / l by less than 2^-20, and rounding the product moves it by at most
 * 2^-22 and never above an integer p / l. Any p / l that is not an integer lies at least 1/l >
 * 2^-14 above the integer below it, so the ceiling is that of p / l in every case.
 */
function ceilQuotient(p: i64, desc: usize): i32 {
  return <i32>Math.ceil(<f64>p * load<f64>(desc + (D_INV_LCM << 2)));
}

const WINDOW_BYTES: i32 = 256 * 1024;

/**
 * Training rows per window of a batched kernel: the batch's queries all visit one window before
 * the next, so they share its pages and cache lines, and rows are visited in address order
 * (a query's survivors alone are scattered over the whole level: a TLB miss per row).
 */
function windowRows(rowBytes: i32): i32 {
  return max(16, WINDOW_BYTES / rowBytes);
}

/** Bytes of scratch the batched kernels need for `batch` queries (pyramidRefineU8, pyramidExactU8). */
export function pyramidBatchScratchBytes(batch: i32): i32 {
  return batch << 3;
}

/**
 * Refines the survivor lists of `batch` queries at one level (q: their level rows; t: the
 * training rows of the level). Query b keeps, in order, the rows of its list (lists + b *
 * listPitch bytes, counts[b] increasing indices) whose bound is at most taus[b], writes their
 * bounds at the same positions of bounds + b * listPitch, and counts[b] becomes how many it kept.
 */
export function pyramidRefineU8(metric: i32, q: usize, t: usize, desc: usize, batch: i32, lists: usize, bounds: usize, listPitch: i32, counts: usize, taus: usize, scratch: usize): void {
  const rowBytes = word(desc, D_ROW_BYTES), window = windowRows(rowBytes), uniform = uniformSquares(desc);
  const read = scratch, kept = scratch + (<usize>batch << 2);
  memory.fill(scratch, 0, batch << 3);
  for (let end = window, open = batch; open > 0; end += window) {
    open = 0;
    for (let b = 0; b < batch; b++) {
      const at = <usize>b << 2, count = load<i32>(counts + at);
      let r = load<i32>(read + at);
      if (r >= count) continue;
      const list = lists + <usize>b * <usize>listPitch, bound = bounds + <usize>b * <usize>listPitch;
      const qb = q + <usize>b * <usize>rowBytes, tau = load<i32>(taus + at);
      let k = load<i32>(kept + at);
      for (; r < count; r++) {
        const row = load<i32>(list + (<usize>r << 2));
        if (row >= end) break;
        k = refineRow(metric, uniform, qb, t + <usize>row * <usize>rowBytes, desc, tau, row, list, bound, k);
      }
      store<i32>(read + at, r);
      store<i32>(kept + at, k);
      if (r < count) open++;
    }
  }
  memory.copy(counts, kept, batch << 2);
}

/**
 * Whether a level's squared L2 bound is one i32 sum: one class of blocks (every block the same
 * size: the weight is 1 and lcm its pixel count) whose squared differences all fit an i32
 * together, 8 per v128 of sums. Then refineRow needs neither i64 nor f64.
 */
function uniformSquares(desc: usize): bool {
  let classes = 0, fits = true;
  for (let k = 0; k < CLASSES; k++) {
    if (classWord(desc, k, C_SUMS) == 0) continue;
    classes++;
    fits = classWord(desc, k, C_CHUNKS) * 8 <= classWord(desc, k, C_LANE_SQUARES);
  }
  return classes == 1 && fits;
}

/**
 * Appends a row to a survivor list at position `kept` when its bound is at most tau, and returns
 * the new length. The row and bound are written either way: a branch on it would mispredict.
 */
// @ts-ignore: decorator
@inline function refineRow(metric: i32, uniform: bool, q: usize, t: usize, desc: usize, tau: i32, row: i32, list: usize, bounds: usize, kept: i32): i32 {
  let b: i32, stays: bool;
  const lcm = word(desc, D_LCM);
  if (metric == METRIC_L1) {
    b = l1Within(q, t, word(desc, D_ROW_BYTES), word(desc, D_L1_RUN), tau);
    stays = b <= tau;
  } else if (uniform) {
    // p <= tau * lcm exactly: p is below 2^31, so a limit clamped there decides the same.
    const limit = <i32>min<i64>(<i64>tau * <i64>lcm, <i64>i32.MAX_VALUE);
    const p = l2SquaresWithin(q, t, word(desc, D_ROW_BYTES) >> 4, limit);
    stays = p <= limit;
    b = ceilQuotient(p, desc);
  } else {
    // p is compared with tau * lcm: exact in i64.
    const p = l2ScaledWithin(q, t, desc, <i64>tau * <i64>lcm);
    stays = p <= <i64>tau * <i64>lcm;
    b = ceilQuotient(p, desc);
  }
  store<i32>(list + (<usize>kept << 2), row);
  store<i32>(bounds + (<usize>kept << 2), b);
  return kept + <i32>stays;
}

/**
 * sum |dS| over a level row of `bytes` bytes (padding adds nothing), or a partial sum above tau.
 * |dS| adds up in u16 lanes for `run` v128s at a time (D_L1_RUN: as many as cannot overflow).
 */
function l1Within(q: usize, t: usize, bytes: i32, run: i32, tau: i32): i32 {
  let b = 0;
  for (let c = 0; c < bytes; c += run << 4) {
    b += absDiffSumU16(q + c, t + c, min(run << 4, bytes - c));
    if (b > tau) break;
  }
  return b;
}

function absDiffSumU16(q: usize, t: usize, bytes: i32): i32 {
  if (ASC_FEATURE_SIMD) {
    let acc = i16x8.splat(0);
    for (let c = 0; c < bytes; c += 16) acc = i16x8.add(acc, i16x8.abs(i16x8.sub(v128.load(q + c), v128.load(t + c))));
    return sumI32x4(i32x4.extadd_pairwise_i16x8_u(acc));
  }
  let s = 0;
  for (let c = 0; c < bytes; c += 2) s += abs<i32>(<i32>load<u16>(q + c) - <i32>load<u16>(t + c));
  return s;
}

/** sum dS^2 over `chunks` v128s of sums (uniformSquares: it fits an i32), or a partial sum above limit. */
function l2SquaresWithin(q: usize, t: usize, chunks: i32, limit: i32): i32 {
  let p = 0;
  for (let c = 0; c < chunks; c += ABANDON_CHUNKS) {
    const off = <usize>c << 4;
    p += <i32>squaredDiffSumU16(q + off, t + off, min(ABANDON_CHUNKS, chunks - c));
    if (p > limit) break;
  }
  return p;
}

/** p = sum_c weight_c * sum_{b in c} dS_b^2 over a level row (as in ceilQuotient), or a partial p above limit. */
function l2ScaledWithin(q: usize, t: usize, desc: usize, limit: i64): i64 {
  let p: i64 = 0;
  for (let k = 0; k < CLASSES; k++) {
    const chunks = classWord(desc, k, C_CHUNKS);
    if (chunks == 0) continue;
    const w = <i64>classWord(desc, k, C_WEIGHT), at = <usize>classWord(desc, k, C_FIRST) << 1;
    // dot_i16x8_s puts two squares in a lane per chunk.
    const run = min(ABANDON_CHUNKS, classWord(desc, k, C_LANE_SQUARES) >> 1);
    for (let c = 0; c < chunks; c += run) {
      const off = at + (<usize>c << 4);
      p += w * squaredDiffSumU16(q + off, t + off, min(run, chunks - c));
      if (p > limit) return p;
    }
  }
  return p;
}

/** sum (q_i - t_i)^2 over `chunks` v128s of sums, few enough that an i32 lane holds 2 * chunks squares. */
function squaredDiffSumU16(q: usize, t: usize, chunks: i32): i64 {
  if (ASC_FEATURE_SIMD) {
    let acc = i32x4.splat(0);
    for (let c = 0; c < chunks << 4; c += 16) {
      const d = i16x8.sub(v128.load(q + c), v128.load(t + c));
      acc = i32x4.add(acc, i32x4.dot_i16x8_s(d, d));
    }
    return <i64>i32x4.extract_lane(acc, 0) + <i64>i32x4.extract_lane(acc, 1) + <i64>i32x4.extract_lane(acc, 2) + <i64>i32x4.extract_lane(acc, 3);
  }
  let s: i64 = 0;
  for (let c = 0; c < chunks << 4; c += 2) {
    const d = <i64>load<u16>(q + c) - <i64>load<u16>(t + c);
    s += d * d;
  }
  return s;
}

/** Keeps, in order, the rows [0, n) whose bound is at most tau: their indices to list, their bounds compacted in place. Returns how many. */
export function pyramidSurvivors(bounds: usize, n: i32, tau: i32, list: usize): i32 {
  let kept = 0, j = 0;
  if (ASC_FEATURE_SIMD) {
    const limit = i32x4.splat(tau);
    for (; j + 4 <= n; j += 4) {
      if (!v128.any_true(i32x4.le_s(v128.load(bounds + (<usize>j << 2)), limit))) continue;
      for (let l = j; l < j + 4; l++) kept = keep(bounds, l, tau, list, kept);
    }
  }
  for (; j < n; j++) kept = keep(bounds, j, tau, list, kept);
  return kept;
}

/** Appends row j to the survivors when its bound is at most tau, without a branch (see pyramidRefineU8). */
// @ts-ignore: decorator
@inline function keep(bounds: usize, j: i32, tau: i32, list: usize, kept: i32): i32 {
  const b = load<i32>(bounds + (<usize>j << 2));
  store<i32>(list + (<usize>kept << 2), j);
  store<i32>(bounds + (<usize>kept << 2), b);
  return kept + <i32>(b <= tau);
}

/** Bytes of scratch pyramidSeedU8 needs for `seeds` seed rows. */
export function pyramidSeedScratchBytes(seeds: i32): i32 {
  return seeds << 3;
}

/**
 * Exact distances from q (a u8 row of `stride` bytes) to the `seeds` rows of smallest bound among
 * `count` candidates (the rows `list` holds, or rows 0.. when list is 0; their bounds in
 * `bounds`), merged into the query's seed state (seedDist, seedIdx: k slots) as row first +
 * index unless the state already holds that row. The state thus holds the k smallest distances of
 * distinct rows, so its k-th is never below the true k-th distance (see pyramidThreshold); rows
 * arrive in any order, since only that k-th distance is used, not which of tied rows it keeps.
 * Returns how many distances it computed.
 */
export function pyramidSeedU8(metric: i32, q: usize, t: usize, stride: i32, first: i32, list: usize, bounds: usize, count: i32, seeds: i32, seedDist: usize, seedIdx: usize, k: i32, scratch: usize): i32 {
  const s = min(seeds, count);
  const best = scratch, at = scratch + (<usize>s << 2);
  topkReset<i32>(best, at, s);
  topkPush<i32>(bounds, count, 0, best, at, s);
  let computed = 0;
  for (let r = 0; r < s; r++) {
    const pos = load<i32>(at + (<usize>r << 2));
    const row = list == 0 ? pos : load<i32>(list + (<usize>pos << 2));
    if (holds(seedIdx, k, first + row)) continue;
    topkPushOne<i32>(seedDist, seedIdx, k, exactU8(metric, q, t + <usize>row * <usize>stride, stride), first + row);
    computed++;
  }
  return computed;
}

function holds(idx: usize, k: i32, row: i32): bool {
  for (let i = 0; i < k; i++) if (load<i32>(idx + (<usize>i << 2)) == row) return true;
  return false;
}

/** The search threshold of a query: the smaller k-th distance of its seed state and its top-k state (i32 max while neither holds k). */
export function pyramidThreshold(seedDist: usize, dist: usize, k: i32): i32 {
  return min(topkWorst<i32>(seedDist, k), topkWorst<i32>(dist, k));
}

/**
 * Exact distances (L1, or squared L2) from `batch` queries (q: rows of `stride` bytes) to the
 * survivors of their lists (as pyramidRefineU8 leaves them), merged into each query's top-k state
 * (dist, idx + b * k slots) as row first + index, window by window of training rows. A row whose
 * bound exceeds min(taus[b], the query's current k-th distance) is skipped. Returns how many
 * distances it computed.
 */
export function pyramidExactU8(metric: i32, q: usize, t: usize, stride: i32, batch: i32, lists: usize, bounds: usize, listPitch: i32, counts: usize, taus: usize, first: i32, dist: usize, idx: usize, k: i32, scratch: usize): i32 {
  const window = windowRows(stride);
  memory.fill(scratch, 0, batch << 2);
  let computed = 0;
  for (let end = window, open = batch; open > 0; end += window) {
    open = 0;
    for (let b = 0; b < batch; b++) {
      const at = <usize>b << 2, count = load<i32>(counts + at);
      let r = load<i32>(scratch + at);
      if (r >= count) continue;
      const list = lists + <usize>b * <usize>listPitch, bound = bounds + <usize>b * <usize>listPitch;
      const qb = q + <usize>b * <usize>stride, tau = load<i32>(taus + at);
      const state = <usize>b * <usize>k << 2, bd = dist + state, bi = idx + state;
      for (; r < count; r++) {
        const row = load<i32>(list + (<usize>r << 2));
        if (row >= end) break;
        if (load<i32>(bound + (<usize>r << 2)) > min(tau, topkWorst<i32>(bd, k))) continue;
        topkPushOne<i32>(bd, bi, k, exactU8(metric, qb, t + <usize>row * <usize>stride, stride), first + row);
        computed++;
      }
      store<i32>(scratch + at, r);
      if (r < count) open++;
    }
  }
  return computed;
}

/** Empties a query's top-k state (k slots of distance and index). */
export function pyramidResetTopk(dist: usize, idx: usize, k: i32): void {
  topkReset<i32>(dist, idx, k);
}

/** Puts a query's top-k state in ascending (distance, index) order. */
export function pyramidFinishTopk(dist: usize, idx: usize, k: i32): void {
  topkFinish<i32>(dist, idx, k);
}

function exactU8(metric: i32, q: usize, t: usize, stride: i32): i32 {
  return metric == METRIC_L1 ? l1RowU8(q, t, stride) : l2RowU8(q, t, stride);
}

// 128 chunks of 16 bytes: a u16 lane gathers 2 absolute differences (<= 510) per chunk, 128 * 510 < 65536.
const U16_SAFE_CHUNKS: i32 = 128;

function l1RowU8(a: usize, b: usize, stride: i32): i32 {
  if (ASC_FEATURE_SIMD) {
    let s = i32x4.splat(0);
    for (let c0 = 0; c0 < stride; c0 += U16_SAFE_CHUNKS * 16) {
      const c1 = min(stride, c0 + U16_SAFE_CHUNKS * 16);
      let acc = i16x8.splat(0);
      for (let c = c0; c < c1; c += 16) {
        const x = v128.load(a + c), y = v128.load(b + c);
        acc = i16x8.add(acc, i16x8.extadd_pairwise_i8x16_u(v128.or(i8x16.sub_sat_u(x, y), i8x16.sub_sat_u(y, x))));
      }
      s = i32x4.add(s, i32x4.extadd_pairwise_i16x8_u(acc));
    }
    return sumI32x4(s);
  }
  let s = 0;
  for (let i = 0; i < stride; i++) s += abs<i32>(<i32>load<u8>(a + i) - <i32>load<u8>(b + i));
  return s;
}

function l2RowU8(a: usize, b: usize, stride: i32): i32 {
  if (ASC_FEATURE_SIMD) {
    let s = i32x4.splat(0);
    for (let c = 0; c < stride; c += 16) {
      const x = v128.load(a + c), y = v128.load(b + c);
      const lo = i16x8.sub(i16x8.extend_low_i8x16_u(x), i16x8.extend_low_i8x16_u(y));
      const hi = i16x8.sub(i16x8.extend_high_i8x16_u(x), i16x8.extend_high_i8x16_u(y));
      s = i32x4.add(s, i32x4.add(i32x4.dot_i16x8_s(lo, lo), i32x4.dot_i16x8_s(hi, hi)));
    }
    return sumI32x4(s);
  }
  let s = 0;
  for (let i = 0; i < stride; i++) {
    const d = <i32>load<u8>(a + i) - <i32>load<u8>(b + i);
    s += d * d;
  }
  return s;
}

// The search frame of pyramidSearchChunk: i32 words the caller writes once per lane.
const F_METRIC = 0, F_Q = 1, F_STRIDE = 2, F_SIZE = 3, F_K = 4, F_SEEDS = 5, F_REFINE_SEEDS = 6;
const F_BOUNDS = 7, F_LISTS = 8, F_LIST_PITCH = 9, F_COUNTS = 10, F_TAUS = 11, F_DIST = 12, F_IDX = 13;
const F_SEED_DIST = 14, F_SEED_IDX = 15, F_SEED_SCRATCH = 16, F_BATCH_SCRATCH = 17, F_STATS = 18, F_LEVELS = 19;
// Then per level: the batch's query level rows, their row bytes, the level descriptor.
const F_LEVEL0 = 20, LEVEL_WORDS = 3;

/** Bytes of a search frame for `levels` levels. */
export function pyramidFrameBytes(levels: i32): i32 {
  return (F_LEVEL0 + levels * LEVEL_WORDS) << 2;
}

// @ts-ignore: decorator
@inline function frameWord(frame: usize, word: i32): i32 {
  return load<i32>(frame + (<usize>word << 2));
}

/**
 * The whole search of a batch of queries (frame: F_SIZE of them, rows at F_Q, their level rows)
 * in one chunk of n training rows at t (rows chunkFirst..; levelRows: its level rows, one pointer
 * per level): coarsest bounds for every row, a first threshold from the best-bounded seeds,
 * survivors refined level by level (re-seeding after each), then exact distances into each
 * query's top-k state. One call per (batch, chunk), so a worker runs a whole search; the stats
 * (f64: exact distances, then each level's (query, row) pairs) are added up at F_STATS.
 */
export function pyramidSearchChunk(frame: usize, t: usize, chunkFirst: i32, n: i32, levelRows: usize): void {
  const metric = frameWord(frame, F_METRIC), q = <usize>frameWord(frame, F_Q), stride = frameWord(frame, F_STRIDE);
  const size = frameWord(frame, F_SIZE), k = frameWord(frame, F_K), levels = frameWord(frame, F_LEVELS);
  const bounds = <usize>frameWord(frame, F_BOUNDS), lists = <usize>frameWord(frame, F_LISTS), pitch = frameWord(frame, F_LIST_PITCH);
  const counts = <usize>frameWord(frame, F_COUNTS), stats = <usize>frameWord(frame, F_STATS);
  for (let j = 0; j < size; j++) {
    const bound = bounds + <usize>j * <usize>pitch;
    if (levels > 0) {
      const rowBytes = frameWord(frame, F_LEVEL0 + 1);
      pyramidColumnBoundsU8(metric, <usize>frameWord(frame, F_LEVEL0) + <usize>j * <usize>rowBytes, load<u32>(levelRows), n, <usize>frameWord(frame, F_LEVEL0 + 2), bound);
    } else {
      memory.fill(bound, 0, <usize>n << 2);
    }
    const tau = seedQuery(frame, t, chunkFirst, j, 0, n, frameWord(frame, F_SEEDS));
    store<i32>(counts + (<usize>j << 2), pyramidSurvivors(bound, n, tau, lists + <usize>j * <usize>pitch));
  }
  if (levels > 0) addStat(stats, 1, <f64>n * <f64>size);
  for (let l = 1; l < levels; l++) {
    for (let j = 0; j < size; j++) addStat(stats, 1 + l, <f64>load<i32>(counts + (<usize>j << 2)));
    const word = F_LEVEL0 + l * LEVEL_WORDS;
    pyramidRefineU8(metric, <usize>frameWord(frame, word), load<u32>(levelRows + (<usize>l << 2)), <usize>frameWord(frame, word + 2), size, lists, bounds, pitch, counts,
      <usize>frameWord(frame, F_TAUS), <usize>frameWord(frame, F_BATCH_SCRATCH));
    for (let j = 0; j < size; j++) {
      seedQuery(frame, t, chunkFirst, j, lists + <usize>j * <usize>pitch, load<i32>(counts + (<usize>j << 2)), frameWord(frame, F_REFINE_SEEDS));
    }
  }
  addStat(stats, 0, <f64>pyramidExactU8(metric, q, t, stride, size, lists, bounds, pitch, counts, <usize>frameWord(frame, F_TAUS), chunkFirst,
    <usize>frameWord(frame, F_DIST), <usize>frameWord(frame, F_IDX), k, <usize>frameWord(frame, F_BATCH_SCRATCH)));
}

/** Seeds query j of the frame's batch from `count` candidates (list, or all rows when 0); stores and returns its threshold. */
function seedQuery(frame: usize, t: usize, chunkFirst: i32, j: i32, list: usize, count: i32, seeds: i32): i32 {
  const stride = frameWord(frame, F_STRIDE), k = frameWord(frame, F_K), state = <usize>j * <usize>k << 2;
  const seedDist = <usize>frameWord(frame, F_SEED_DIST) + state, dist = <usize>frameWord(frame, F_DIST) + state;
  addStat(<usize>frameWord(frame, F_STATS), 0, <f64>pyramidSeedU8(frameWord(frame, F_METRIC), <usize>frameWord(frame, F_Q) + <usize>j * <usize>stride, t, stride, chunkFirst, list,
    <usize>frameWord(frame, F_BOUNDS) + <usize>j * <usize>frameWord(frame, F_LIST_PITCH), count, seeds, seedDist, <usize>frameWord(frame, F_SEED_IDX) + state, k,
    <usize>frameWord(frame, F_SEED_SCRATCH)));
  const tau = pyramidThreshold(seedDist, dist, k);
  store<i32>(<usize>frameWord(frame, F_TAUS) + (<usize>j << 2), tau);
  return tau;
}

// @ts-ignore: decorator
@inline function addStat(stats: usize, i: i32, value: f64): void {
  const at = stats + (<usize>i << 3);
  store<f64>(at, load<f64>(at) + value);
}

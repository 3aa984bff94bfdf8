// Exact fast kNN for u8 images (DESIGN.md "Exact fast kNN (block-sum pyramids)"). A level splits
// each H x W x C image (HWC) into blocks of bh x bw pixels per channel; when bh or bw does not
// divide H or W, the last block row or column is smaller. With S_b the sum of block b (n_b pixels):
//   L1 >= sum_b |S_b(q) - S_b(t)|            squared L2 >= sum_b (S_b(q) - S_b(t))^2 / n_b.
// A level row holds u16 block sums grouped by class (whole blocks, right edge column, bottom edge
// row, corner), each class zero-padded to 8 sums, so one v128 of sums shares one pixel count.
// For squared L2 a level may instead hold quantized coefficients on principal axes, one class of
// weighted sums whose differences shrink by 1 (pyramidDescribeProjection): the same kernels bound it.
// A chunk's level rows follow a k-d order of their coarsest sums (pyramidGroupOrder), so every 8
// consecutive rows, a group, hold similar images; a box of each group's coarsest sums bounds its 8
// rows at once (each gap to the box is at most the difference to any member), and a box of every
// 64 rows, a super-group, its 8 groups. The coarsest level and the boxes are stored in columns of
// sum pairs (4 rows or groups per v128); the finer levels are refined for a batch of queries at a
// time, and exact distances computed 4 rows at a time.
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
// D_INV_LCM: an f64 (words 8 and 9, 8-byte aligned), the multiplier of ceilQuotient; D_MAGIC: a
// u64 (words 10 and 11) and D_SHIFT, the multiplier and shift of ceilQuotientI32. D_SHRINK: 0 for
// block sums; 1 for a projection level, whose sums are floors of coefficients (see
// pyramidDescribeProjection): every squared-L2 difference shrinks by 1 towards 0 first.
const D_H = 0, D_W = 1, D_C = 2, D_BH = 3, D_BW = 4, D_ROW_BYTES = 5, D_LCM = 6, D_L1_RUN = 7, D_INV_LCM = 8;
const D_MAGIC = 10, D_SHIFT = 12, D_SHRINK = 13;
const D_CLASSES = 14;
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
  describeQuotient(lcm, desc);
  // |dS| <= 255 * widest: a u16 lane adds one per v128 of sums, this many v128s without overflow.
  store<i32>(desc + (D_L1_RUN << 2), min(ABANDON_CHUNKS, 65535 / (255 * widest)));
  store<i32>(desc + (D_SHRINK << 2), 0);
  return slots << 1;
}

/** The divisor of a level's squared L2 bounds (lcm < 2^14) and its multipliers (ceilQuotient, ceilQuotientI32). */
function describeQuotient(lcm: i32, desc: usize): void {
  store<i32>(desc + (D_LCM << 2), lcm);
  store<f64>(desc + (D_INV_LCM << 2), reinterpret<f64>(reinterpret<u64>(1.0 / <f64>lcm) - 1));
  // ceil(log2 lcm): m = ceil(2^(31 + l) / lcm) divides every p < 2^31 exactly (see ceilQuotientI32).
  const l = 32 - clz<i32>(lcm - 1);
  store<u64>(desc + (D_MAGIC << 2), ((<u64>1 << <u64>(31 + l)) + <u64>lcm - 1) / <u64>lcm);
  store<i32>(desc + (D_SHIFT << 2), 31 + l);
}

/** The largest quantized coefficient of a projection level: a shrunk difference squared, 8 of them fit an i32 lane. */
export const PROJECTION_MAX: i32 = 16383;

/**
 * Writes the descriptor of a projection level (squared L2 only) and returns the bytes of its rows.
 * A level row holds `dims` quantized coefficients c' = clamp(floor((w_i . x - o_i) / delta), 0,
 * PROJECTION_MAX) as u16 sums of one class, padded to 8 (pyramidProjectU8; w_i: integer rows of
 * a matrix W, o_i integer offsets). For any rows q and t, |w_i . (q - t)| >= delta * e_i with e_i =
 * max(0, |c'_i(q) - c'_i(t)| - 1) (floors of values delta * e_i apart; clamping only brings them
 * closer), and ||W d||^2 <= Lambda ||d||^2 for Lambda >= the largest eigenvalue of W W^T, so
 * ||q - t||^2 >= delta^2 sum e_i^2 / Lambda >= weight * sum e_i^2 / lcm when weight / lcm <=
 * delta^2 / Lambda: the bound is ceil(weight * sum e_i^2 / lcm), as for a one-class block level
 * with that weight, its differences shrunk by 1 (D_SHRINK). The caller picks W, delta, weight, lcm.
 */
export function pyramidDescribeProjection(dims: i32, weight: i32, lcm: i32, desc: usize): i32 {
  memory.fill(desc, 0, DESC_WORDS << 2);
  const chunks = (dims + 7) >> 3;
  const at = desc + (<usize>D_CLASSES << 2);
  store<i32>(at + (C_SUMS << 2), dims);
  store<i32>(at + (C_WEIGHT << 2), weight);
  store<i32>(at + (C_CHUNKS << 2), chunks);
  // A shrunk difference is at most PROJECTION_MAX - 1, and l2Columns8 reads its lanes as u32: 16
  // squares, so 16 coefficients take one run (with 8, half the level's time went to the f64 sums).
  store<i32>(at + (C_LANE_SQUARES << 2), <i32>(u32.MAX_VALUE / <u32>((PROJECTION_MAX - 1) * (PROJECTION_MAX - 1))));
  store<i32>(desc + (D_ROW_BYTES << 2), chunks << 4);
  describeQuotient(lcm, desc);
  store<i32>(desc + (D_L1_RUN << 2), 1);
  store<i32>(desc + (D_SHRINK << 2), 1);
  return chunks << 4;
}

/** Bytes of scratch pyramidSumsU8 needs for images of `cols` values: a u16 sum per value of an image row. */
export function pyramidSumsScratchBytes(cols: i32): i32 {
  return cols << 1;
}

/**
 * Writes the level's block sums of `rows` u8 images (rows of `stride` bytes) to out, one level row
 * each: level row r sums image r, or image order[r] when `order` (i32s) is not 0. scratch:
 * pyramidSumsScratchBytes of the image's values.
 */
export function pyramidSumsU8(x: usize, rows: i32, stride: i32, desc: usize, out: usize, order: usize, scratch: usize): void {
  const rowBytes = word(desc, D_ROW_BYTES);
  for (let r = 0; r < rows; r++) {
    const dst = out + <usize>r * <usize>rowBytes, image = imageOf(order, r);
    memory.fill(dst, 0, rowBytes);
    blockSumsRow(x + <usize>image * <usize>stride, desc, dst, scratch);
  }
}

/** The block sums of one image: per row of blocks, the sums of its image rows per value (imageRowSums), then of each block's columns. */
function blockSumsRow(x: usize, desc: usize, dst: usize, columns: usize): void {
  const h = word(desc, D_H), w = word(desc, D_W), c = word(desc, D_C), bh = word(desc, D_BH), bw = word(desc, D_BW);
  const fullRows = h / bh, fullCols = w / bw, pitch = w * c;
  for (let top = 0, i = 0; top < h; top += bh, i++) {
    imageRowSums(x + <usize>(top * pitch), min(bh, h - top), pitch, columns);
    // The row's whole blocks are consecutive slots of their class (0, or 2 on the bottom edge), from block (i, 0)'s.
    const done = c == 1 && bw == 2 ? pairSums(columns, fullCols, dst + (<usize>blockSlot(desc, i, 0, fullRows, fullCols, c) << 1)) : 0;
    for (let left = done * bw, j = done; left < w; left += bw, j++) {
      const slot = blockSlot(desc, i, j, fullRows, fullCols, c);
      const from = columns + (<usize>(left * c) << 1), width = min(bw, w - left);
      for (let ch = 0; ch < c; ch++) {
        let sum = 0;
        for (let p = 0; p < width; p++) sum += <i32>load<u16>(from + (<usize>(p * c + ch) << 1));
        store<u16>(dst + (<usize>(slot + ch) << 1), <u16>sum);
      }
    }
  }
}

/**
 * The first u16 slot (of c, one per channel) of block (i, j) in a level row: its class is whole (0),
 * the right edge column (1), the bottom edge row (2) or the corner (3), by whether i and j reach
 * fullRows and fullCols; within the class, blocks follow in row order.
 */
// @ts-ignore: decorator
@inline function blockSlot(desc: usize, i: i32, j: i32, fullRows: i32, fullCols: i32, c: i32): i32 {
  const k = (i == fullRows ? 2 : 0) | (j == fullCols ? 1 : 0);
  const within = k == 0 ? i * fullCols + j : k == 1 ? i : k == 2 ? j : 0;
  return classWord(desc, k, C_FIRST) + within * c;
}

/**
 * For each u16 slot of a level row, the index (in HWC order) of the first value its sum adds up,
 * or -1 for a padding slot: to out, D_ROW_BYTES / 2 i32s. A weight that is the same for every value
 * of a block then moves to its slot (pyramidProjectSums).
 */
export function pyramidSlotValues(desc: usize, out: usize): void {
  const h = word(desc, D_H), w = word(desc, D_W), c = word(desc, D_C), bh = word(desc, D_BH), bw = word(desc, D_BW);
  const fullRows = h / bh, fullCols = w / bw, slots = word(desc, D_ROW_BYTES) >> 1;
  for (let s = 0; s < slots; s++) store<i32>(out + (<usize>s << 2), -1);
  for (let top = 0, i = 0; top < h; top += bh, i++) {
    for (let left = 0, j = 0; left < w; left += bw, j++) {
      const slot = blockSlot(desc, i, j, fullRows, fullCols, c);
      for (let ch = 0; ch < c; ch++) store<i32>(out + (<usize>(slot + ch) << 2), (top * w + left) * c + ch);
    }
  }
}

/**
 * Writes the sums of columns 2j and 2j + 1 (u16s) to slot j at dst for every block j < `blocks`,
 * 8 per v128, the last 8 overlapping the ones before; returns how many it wrote: all, or none
 * for fewer than 8 (the caller's). 2x2 blocks of one channel, the usual finest level, spent most of
 * their build adding pairs one by one.
 */
function pairSums(columns: usize, blocks: i32, dst: usize): i32 {
  if (!ASC_FEATURE_SIMD || blocks < 8) return 0;
  for (let j = 0; j < blocks; j += 8) {
    const at = min(j, blocks - 8), from = columns + (<usize>at << 2);
    const sums = i16x8.narrow_i32x4_u(i32x4.extadd_pairwise_i16x8_u(v128.load(from)), i32x4.extadd_pairwise_i16x8_u(v128.load(from, 16)));
    v128.store(dst + (<usize>at << 1), sums);
  }
  return blocks;
}

/**
 * columns[v] (u16s) = the sum of value v over `height` image rows of `pitch` values at x, for every
 * v < pitch. A block has at most MAX_BLOCK_PIXELS pixels, so height * 255 fits a u16 lane. The last
 * 16 values are summed from a v128 that ends with the row, overlapping the one before: never read
 * past the image.
 */
function imageRowSums(x: usize, height: i32, pitch: i32, columns: usize): void {
  if (ASC_FEATURE_SIMD && pitch >= 16) {
    for (let v = 0; v < pitch; v += 16) {
      const at = min(v, pitch - 16);
      let lo = i16x8.splat(0), hi = i16x8.splat(0);
      for (let y = 0; y < height; y++) {
        const b = v128.load(x + <usize>(y * pitch + at));
        lo = i16x8.add(lo, i16x8.extend_low_i8x16_u(b));
        hi = i16x8.add(hi, i16x8.extend_high_i8x16_u(b));
      }
      v128.store(columns + (<usize>at << 1), lo);
      v128.store(columns + (<usize>at << 1), hi, 16);
    }
    return;
  }
  for (let v = 0; v < pitch; v++) {
    let sum = 0;
    for (let y = 0; y < height; y++) sum += <i32>load<u8>(x + <usize>(y * pitch + v));
    store<u16>(columns + (<usize>v << 1), <u16>sum);
  }
}

// Row-major bounds stop adding once a partial sum exceeds the threshold, checked every this many
// v128s. On Fashion-MNIST (4x4 rows: 7 v128s, 2x2: 25), one thread, 1,000 queries: 2 and 4 were
// slower than 8; 32 (no check inside a row) made L2 2.65x brute force against 2.50x with 8, L1 the same.
const ABANDON_CHUNKS: i32 = 32;

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
 * Row j is level row order[j] when `order` (i32s) is not 0.
 */
export function pyramidColumnsU8(rows: usize, n: i32, desc: usize, out: usize, order: usize): void {
  const rowBytes = <usize>word(desc, D_ROW_BYTES), pitch = <usize>columnRows(n) << 2;
  memory.fill(out, 0, pyramidColumnsBytes(n, desc));
  let col = out;
  for (let k = 0; k < CLASSES; k++) {
    const first = <usize>classWord(desc, k, C_FIRST) << 1, pairs = (classWord(desc, k, C_SUMS) + 1) >> 1;
    for (let i = 0; i < pairs; i++, col += pitch) {
      const src = rows + first + (<usize>i << 2);
      for (let j = 0; j < n; j++) store<u32>(col + (<usize>j << 2), load<u32>(src + <usize>imageOf(order, j) * rowBytes));
    }
  }
}

/**
 * Writes to order (n i32s) an order of n level rows in which every 8 consecutive rows from the
 * first are a leaf of a k-d tree, and every SUPER_ROWS consecutive rows a subtree: each range of
 * rows splits at a multiple of SUPER_ROWS rows from its start (of 8 once it holds at most twice
 * SUPER_ROWS), at the median of the sum that spreads widest over it. A query far from a group's
 * box of sums is then far from all its rows (pyramidGroupBoxesU8). The recursion is as deep as log2(n / 8).
 */
export function pyramidGroupOrder(rows: usize, n: i32, desc: usize, order: usize): void {
  for (let r = 0; r < n; r++) store<i32>(order + (<usize>r << 2), r);
  splitGroups(rows, <usize>word(desc, D_ROW_BYTES), order, 0, n);
}

function splitGroups(rows: usize, rowBytes: usize, order: usize, lo: i32, hi: i32): void {
  if (hi - lo <= 8) return;
  let widest: usize = 0, spread = -1;
  if (ASC_FEATURE_SIMD) {
    // 8 sums at a time: the range of each over the rows (a level row is whole v128s).
    for (let c: usize = 0; c < rowBytes; c += 16) {
      let low = i16x8.splat(-1), high = i16x8.splat(0);
      for (let i = lo; i < hi; i++) {
        const v = v128.load(rows + <usize>load<i32>(order + (<usize>i << 2)) * rowBytes + c);
        low = i16x8.min_u(low, v);
        high = i16x8.max_u(high, v);
      }
      let ranges = i16x8.sub(high, low);
      for (let lane: usize = 0; lane < 8; lane++) {
        const r = <i32>i16x8.extract_lane_u(ranges, 0);
        if (r > spread) {
          spread = r;
          widest = c + (lane << 1);
        }
        // The next sum's range into lane 0.
        ranges = i8x16.shuffle(ranges, ranges, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 0, 1);
      }
    }
  } else {
    for (let c: usize = 0; c < rowBytes; c += 2) {
      let low: i32 = 0xffff, high: i32 = 0;
      for (let i = lo; i < hi; i++) {
        const v = <i32>load<u16>(rows + <usize>load<i32>(order + (<usize>i << 2)) * rowBytes + c);
        low = min(low, v);
        high = max(high, v);
      }
      if (high - low > spread) {
        spread = high - low;
        widest = c;
      }
    }
  }
  if (spread == 0) return; // identical sums: any order will do
  const unit = hi - lo > 2 * SUPER_ROWS ? SUPER_ROWS : 8;
  const mid = lo + (hi - lo + 2 * unit - 1) / (2 * unit) * unit;
  selectNth(rows + widest, rowBytes, order, lo, hi, mid);
  splitGroups(rows, rowBytes, order, lo, mid);
  splitGroups(rows, rowBytes, order, mid, hi);
}

/**
 * Reorders order[lo, hi) so that order[nth] has its rank by key (the u16 at key + row * rowBytes),
 * smaller keys before it, larger after: quickselect with 3-way partitions (ties) around the median
 * of the first, middle and last keys (sorted or mirrored runs stay linear).
 */
function selectNth(key: usize, rowBytes: usize, order: usize, lo: i32, hi: i32, nth: i32): void {
  while (hi - lo > 1) {
    const a = keyAt(key, rowBytes, order, lo), b = keyAt(key, rowBytes, order, lo + ((hi - lo) >> 1)), c = keyAt(key, rowBytes, order, hi - 1);
    const pivot = max(min(a, b), min(max(a, b), c));
    let lt = lo, i = lo, gt = hi;
    while (i < gt) {
      const v = load<i32>(order + (<usize>i << 2)), k = keyAt(key, rowBytes, order, i);
      if (k < pivot) {
        store<i32>(order + (<usize>i << 2), load<i32>(order + (<usize>lt << 2)));
        store<i32>(order + (<usize>lt << 2), v);
        i++;
        lt++;
      } else if (k > pivot) {
        gt--;
        store<i32>(order + (<usize>i << 2), load<i32>(order + (<usize>gt << 2)));
        store<i32>(order + (<usize>gt << 2), v);
      } else {
        i++;
      }
    }
    if (nth < lt) hi = lt;
    else if (nth >= gt) lo = gt;
    else return;
  }
}

// @ts-ignore: decorator
@inline function keyAt(key: usize, rowBytes: usize, order: usize, i: i32): i32 {
  return <i32>load<u16>(key + <usize>load<i32>(order + (<usize>i << 2)) * rowBytes);
}

/** Rows of a super-group: 8 groups, whose boxes' bounds are one columnBounds8 call. */
const SUPER_ROWS = 64;

/** Groups of `span` level rows among n (the last may hold fewer). */
function groupCount(n: i32, span: i32 = 8): i32 {
  return (n + span - 1) / span;
}

/** Bytes of the boxes of n level rows in groups of `span` (pyramidGroupBoxesU8): two levels of a row per group, in columns. */
export function pyramidGroupBoxesBytes(n: i32, desc: usize, span: i32): i32 {
  return pyramidColumnsBytes(groupCount(n, span), desc) << 1;
}

/**
 * The box of each group of `span` consecutive level rows (8, or SUPER_ROWS for the boxes of 8
 * groups; the last group: the rows up to n), in columns like pyramidColumnsU8 with a group for a
 * row: the smallest sums of the group's rows, then (pyramidColumnsBytes(groups) bytes further) the
 * largest. The pyramid orders its rows so that a group holds similar images (src/exec/pyramid.ts),
 * and a query far from a group's box is far from all its rows: one bound for `span` rows
 * (columnDiff). Row r is level row order[r] when `order` (i32s) is not 0.
 */
export function pyramidGroupBoxesU8(rows: usize, n: i32, desc: usize, out: usize, order: usize, span: i32): void {
  const rowBytes = <usize>word(desc, D_ROW_BYTES), groups = groupCount(n, span), pitch = <usize>columnRows(groups) << 2;
  const half = <usize>pyramidColumnsBytes(groups, desc);
  memory.fill(out, 0, half << 1);
  let col = out;
  for (let k = 0; k < CLASSES; k++) {
    const first = <usize>classWord(desc, k, C_FIRST) << 1, sums = (classWord(desc, k, C_SUMS) + 1) & ~1;
    for (let i = 0; i < sums; i++) {
      // Sum i of the class: one half of pair i / 2, whose column starts at col + (i / 2) * pitch.
      const src = rows + first + (<usize>i << 1), dst = col + <usize>(i >> 1) * pitch + (<usize>(i & 1) << 1);
      for (let g = 0; g < groups; g++) {
        let lo: i32 = 0xffff, hi: i32 = 0;
        for (let r = g * span, end = min(n, r + span); r < end; r++) {
          const v = <i32>load<u16>(src + <usize>imageOf(order, r) * rowBytes);
          lo = min(lo, v);
          hi = max(hi, v);
        }
        store<u16>(dst + (<usize>g << 2), lo);
        store<u16>(dst + half + (<usize>g << 2), hi);
      }
    }
    col += <usize>(sums >> 1) * pitch;
  }
}

/**
 * Lower bounds of the distances from one query (q: its level row) to n training rows of the level
 * in columns (pyramidColumnsU8): L1, or squared L2 rounded up, as pyramidRefineU8 writes them.
 * `out` holds n rounded up to a multiple of 8 i32s.
 */
export function pyramidColumnBoundsU8(metric: i32, q: usize, cols: usize, n: i32, desc: usize, out: usize): void {
  const pitch = <usize>columnRows(n) << 2;
  for (let j = 0; j < n; j += 8) columnBounds8(metric, q, cols + (<usize>j << 2), pitch, 0, desc, out + (<usize>j << 2));
}

/**
 * The bounds of the 8 rows whose first pair is at col (columns `pitch` bytes apart) to out; of 8
 * group boxes when hi != 0 (the largest sums' columns: hi bytes after the smallest's).
 */
// @ts-ignore: decorator
@inline function columnBounds8(metric: i32, q: usize, col: usize, pitch: usize, hi: usize, desc: usize, out: usize): void {
  if (ASC_FEATURE_SIMD) {
    if (metric == METRIC_L1) l1Columns8(q, col, pitch, hi, desc, out);
    else l2Columns8(q, col, pitch, hi, desc, out);
  } else {
    for (let r = 0; r < 8; r++) {
      const c = col + (<usize>r << 2);
      store<i32>(out + (<usize>r << 2), metric == METRIC_L1 ? l1Column(q, c, pitch, hi, desc) : l2Column(q, c, pitch, hi, desc));
    }
  }
}

/** L1 bounds of 8 rows in columns: per pair, |dS| of both sums added into each row's lane. */
function l1Columns8(q: usize, col: usize, pitch: usize, hi: usize, desc: usize, out: usize): void {
  let a = i32x4.splat(0), b = i32x4.splat(0), at = col;
  for (let k = 0; k < CLASSES; k++) {
    const qs = q + (<usize>classWord(desc, k, C_FIRST) << 1), pairs = (classWord(desc, k, C_SUMS) + 1) >> 1;
    for (let i = 0; i < pairs; i++, at += pitch) {
      const qv = i32x4.splat(load<i32>(qs + (<usize>i << 2)));
      a = i32x4.add(a, i32x4.extadd_pairwise_i16x8_u(i16x8.abs(columnDiff(at, qv, hi))));
      b = i32x4.add(b, i32x4.extadd_pairwise_i16x8_u(i16x8.abs(columnDiff(at + 16, qv, hi))));
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
function l2Columns8(q: usize, col: usize, pitch: usize, hi: usize, desc: usize, out: usize): void {
  let p0 = f64x2.splat(0), p1 = f64x2.splat(0), p2 = f64x2.splat(0), p3 = f64x2.splat(0), at = col;
  const shrink = i16x8.splat(<i16>word(desc, D_SHRINK));
  for (let k = 0; k < CLASSES; k++) {
    const qs = q + (<usize>classWord(desc, k, C_FIRST) << 1), pairs = (classWord(desc, k, C_SUMS) + 1) >> 1;
    const w = f64x2.splat(<f64>classWord(desc, k, C_WEIGHT)), run = classWord(desc, k, C_LANE_SQUARES) >> 1;
    for (let i0 = 0; i0 < pairs; i0 += run) {
      let a = i32x4.splat(0), b = i32x4.splat(0);
      for (let i = i0, end = min(pairs, i0 + run); i < end; i++, at += pitch) {
        const qv = i32x4.splat(load<i32>(qs + (<usize>i << 2)));
        const da = shrunk(columnDiff(at, qv, hi), shrink), db = shrunk(columnDiff(at + 16, qv, hi), shrink);
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

/**
 * Per u16 lane, the sums at `at` less the query's (rows), or with hi != 0 (group boxes: the
 * smallest sums at `at`, the largest hi bytes further) the query's gap to the box, 0 inside it:
 * a difference the bounds treat alike, at most 32640 in size.
 */
// @ts-ignore: decorator
@inline function columnDiff(at: usize, qv: v128, hi: usize): v128 {
  const lo = v128.load(at);
  if (hi == 0) return i16x8.sub(lo, qv);
  return v128.or(i16x8.sub_sat_u(lo, qv), i16x8.sub_sat_u(qv, v128.load(at + hi)));
}

/** Per u16 lane, max(0, |d| - shrink): a difference of a projection level's floors (D_SHRINK), or |d| when shrink is 0. */
// @ts-ignore: decorator
@inline function shrunk(d: v128, shrink: v128): v128 {
  return i16x8.sub_sat_u(i16x8.abs(d), shrink);
}

/** The scalar twin of columnDiff for one sum (at, q: its u16). */
// @ts-ignore: decorator
@inline function sumDiff(at: usize, q: usize, hi: usize): i32 {
  const v = <i32>load<u16>(q), lo = <i32>load<u16>(at);
  if (hi == 0) return lo - v;
  return max(0, max(lo - v, v - <i32>load<u16>(at + hi)));
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
function l1Column(q: usize, col: usize, pitch: usize, hi: usize, desc: usize): i32 {
  let b = 0, at = col;
  for (let k = 0; k < CLASSES; k++) {
    const qs = q + (<usize>classWord(desc, k, C_FIRST) << 1), pairs = (classWord(desc, k, C_SUMS) + 1) >> 1;
    for (let i = 0; i < pairs; i++, at += pitch) {
      const qi = qs + (<usize>i << 2);
      b += abs<i32>(sumDiff(at, qi, hi)) + abs<i32>(sumDiff(at + 2, qi + 2, hi));
    }
  }
  return b;
}

/** Scalar twin of l2Columns8 for one row (col: its first pair). */
function l2Column(q: usize, col: usize, pitch: usize, hi: usize, desc: usize): i32 {
  let p: i64 = 0, at = col;
  const shrink = word(desc, D_SHRINK);
  for (let k = 0; k < CLASSES; k++) {
    const qs = q + (<usize>classWord(desc, k, C_FIRST) << 1), pairs = (classWord(desc, k, C_SUMS) + 1) >> 1;
    let a: i64 = 0;
    for (let i = 0; i < pairs; i++, at += pitch) {
      const qi = qs + (<usize>i << 2);
      const d0 = <i64>max(0, abs<i32>(sumDiff(at, qi, hi)) - shrink), d1 = <i64>max(0, abs<i32>(sumDiff(at + 2, qi + 2, hi)) - shrink);
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

/**
 * ceil(p / lcm) for 0 <= p < 2^31 in integers: floor(p / lcm) = (p * m) >> s with m = ceil(2^s /
 * lcm), s = 31 + ceil(log2 lcm) (Granlund and Montgomery: m * lcm - 2^s < lcm <= 2^(s - 31), so the
 * product errs by less than one unit for every 31-bit p; m <= 2^32 + 1, so p * m fits a u64), then
 * one more when lcm does not divide p. Cheaper than the f64 ceiling V8 checks for exactness.
 */
// @ts-ignore: decorator
@inline function ceilQuotientI32(p: i32, lcm: i32, magic: u64, shift: u64): i32 {
  const q = <i32>((<u64>p * magic) >> shift);
  return q + <i32>(q * lcm < p);
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
  return (batch << 3) + batch * (EXACT_RUN << 3);
}

/**
 * Refines the survivor lists of `batch` queries at one level (q: their level rows; t: the
 * training rows of the level). Query b keeps, in order, the rows of its list (lists + b *
 * listPitch bytes, counts[b] increasing indices) whose bound is at most taus[b], writes their
 * bounds at the same positions of bounds + b * listPitch, and counts[b] becomes how many it kept.
 * qNorms and tNorms: the level rows' norms (pyramidRowNorms) of the queries and of the training
 * rows, which a squared-L2 level of normedLevel reads; 0 for other levels.
 */
export function pyramidRefineU8(metric: i32, q: usize, t: usize, desc: usize, batch: i32, lists: usize, bounds: usize, listPitch: i32, counts: usize, taus: usize, qNorms: usize, tNorms: usize, scratch: usize): void {
  const rowBytes = word(desc, D_ROW_BYTES), window = windowRows(rowBytes);
  const kind = metric == METRIC_L1 ? REFINE_L1 : word(desc, D_SHRINK) != 0 ? REFINE_PROJECTED : normedLevel(desc) ? REFINE_L2_NORMS : uniformSquares(desc) ? REFINE_L2_UNIFORM : REFINE_L2;
  const read = scratch, kept = scratch + (<usize>batch << 2);
  memory.fill(scratch, 0, batch << 3);
  for (let end = window, open = batch; open > 0; end += window) {
    open = 0;
    for (let b = 0; b < batch; b++) {
      const at = <usize>b << 2, count = load<i32>(counts + at);
      if (load<i32>(read + at) >= count) continue;
      const list = lists + <usize>b * <usize>listPitch, bound = bounds + <usize>b * <usize>listPitch;
      const qb = q + <usize>b * <usize>rowBytes, tau = load<i32>(taus + at);
      const qn = kind == REFINE_L2_NORMS ? load<i32>(qNorms + at) : 0;
      // One loop per kind, so that each inlines its own bound.
      if (kind == REFINE_L1) refineRows(REFINE_L1, qb, t, desc, tau, list, bound, count, end, read + at, kept + at, 0, 0);
      else if (kind == REFINE_L2_NORMS) refineRows(REFINE_L2_NORMS, qb, t, desc, tau, list, bound, count, end, read + at, kept + at, qn, tNorms);
      else if (kind == REFINE_L2_UNIFORM) refineRows(REFINE_L2_UNIFORM, qb, t, desc, tau, list, bound, count, end, read + at, kept + at, 0, 0);
      else if (kind == REFINE_PROJECTED) refineRows(REFINE_PROJECTED, qb, t, desc, tau, list, bound, count, end, read + at, kept + at, 0, 0);
      else refineRows(REFINE_L2, qb, t, desc, tau, list, bound, count, end, read + at, kept + at, 0, 0);
      if (load<i32>(read + at) < count) open++;
    }
  }
  memory.copy(counts, kept, batch << 2);
}

// How pyramidRefineU8 bounds a level's rows: L1; squared L2 from the rows' norms and their dot product
// (normedLevel); squared L2 as one i32 sum (uniformSquares) with early exits; squared L2 weighted per
// class; squared L2 of a projection level (pyramidDescribeProjection).
const REFINE_L1 = 0, REFINE_L2_NORMS = 1, REFINE_L2_UNIFORM = 2, REFINE_L2 = 3, REFINE_PROJECTED = 4;

/**
 * Whether a level's squared L2 bound is refined as ||q||^2 + ||t||^2 - 2 q . t (the norms from
 * pyramidRowNorms): a uniformSquares level of at most ABANDON_CHUNKS v128s, whose rows have no early
 * exit anyway, and one i16 dot product per v128 costs less than a difference and its square. On
 * Fashion-MNIST (2x2 sums, 8,000 training rows, 2,000 queries, k = 20, one thread) the search took
 * 121-125 ms against 130-133 ms with the differences.
 */
function normedLevel(desc: usize): bool {
  return uniformSquares(desc) && word(desc, D_ROW_BYTES) >> 4 <= ABANDON_CHUNKS;
}

/** Whether a squared-L2 level's refinement reads its rows' norms (normedLevel), so that TS keeps them: 1 or 0. */
export function pyramidNormedLevel(desc: usize): i32 {
  return <i32>normedLevel(desc);
}

/** The norm of each of n level rows (sum of its squared u16 values, an i32) to out, for a level of normedLevel; zeros for any other. */
export function pyramidRowNorms(rows: usize, n: i32, desc: usize, out: usize): void {
  const normed = normedLevel(desc), rowBytes = word(desc, D_ROW_BYTES), chunks = rowBytes >> 4;
  for (let r = 0; r < n; r++) {
    const row = rows + <usize>r * <usize>rowBytes;
    store<i32>(out + (<usize>r << 2), normed ? dotU16(row, row, chunks) : 0);
  }
}

/**
 * q . t over `chunks` v128s of u16 sums (i16 lanes: a sum is at most 32640), for a uniformSquares
 * level: each lane adds 2 * chunks products, none larger than the largest square.
 */
// @ts-ignore: decorator
@inline function dotU16(q: usize, t: usize, chunks: i32): i32 {
  if (ASC_FEATURE_SIMD) return sumI32x4(dotLanesU16(q, t, chunks, false));
  let s = 0;
  for (let c = 0; c < chunks << 4; c += 2) s += <i32>load<u16>(q + c) * <i32>load<u16>(t + c);
  return s;
}

/**
 * Whether a level's squared L2 bound is one i32 sum: one class of blocks (every block the same
 * size: the weight is 1 and lcm its pixel count) whose squared differences all fit an i32
 * together, 8 per v128 of sums. Then refineRows needs neither i64 nor f64.
 */
function uniformSquares(desc: usize): bool {
  if (word(desc, D_SHRINK) != 0) return false;
  let classes = 0, fits = true;
  for (let k = 0; k < CLASSES; k++) {
    if (classWord(desc, k, C_SUMS) == 0) continue;
    classes++;
    fits = classWord(desc, k, C_CHUNKS) * 8 <= classWord(desc, k, C_LANE_SQUARES);
  }
  return classes == 1 && fits;
}

/**
 * Refines one query's list from its read position (at readAt) while its rows are below `end` (a
 * window), appending in order, at its kept position (at keptAt), the rows whose bound is at most
 * tau with their bounds (keepRow); both positions are stored back. The level's constants are read
 * once, out of the row loop.
 */
// @ts-ignore: decorator
@inline function refineRows(kind: i32, q: usize, t: usize, desc: usize, tau: i32, list: usize, bounds: usize, count: i32, end: i32, readAt: usize, keptAt: usize, qNorm: i32, tNorms: usize): void {
  const rowBytes = word(desc, D_ROW_BYTES), lcm = word(desc, D_LCM), run = word(desc, D_L1_RUN), chunks = rowBytes >> 4;
  const magic = load<u64>(desc + (D_MAGIC << 2)), shift = <u64>load<i32>(desc + (D_SHIFT << 2));
  // Squared L2: p <= tau * lcm decides, exact in i64; one class: p is below 2^31, so a limit clamped there decides the same.
  const scaledLimit = <i64>tau * <i64>lcm, limit = <i32>min<i64>(scaledLimit, <i64>i32.MAX_VALUE);
  // A projection level: weight * s <= tau * lcm exactly when s <= floor(tau * lcm / weight), s the sum of shrunk squares.
  const weight = <i64>classWord(desc, 0, C_WEIGHT), squaresLimit = weight == 0 ? i64.MAX_VALUE : scaledLimit / weight;
  let r = load<i32>(readAt), k = load<i32>(keptAt);
  for (; r < count; r++) {
    const row = load<i32>(list + (<usize>r << 2));
    if (row >= end) break;
    const tr = t + <usize>row * <usize>rowBytes;
    let b: i32, stays: bool;
    if (kind == REFINE_L1) {
      b = l1Within(q, tr, rowBytes, run, tau);
      stays = b <= tau;
    } else if (kind == REFINE_L2_NORMS) {
      // The sum of squared differences fits an i32 (uniformSquares); the two norms together may not.
      const p = <i32>(<i64>qNorm + <i64>load<i32>(tNorms + (<usize>row << 2)) - 2 * <i64>dotU16(q, tr, chunks));
      stays = p <= limit;
      b = ceilQuotientI32(p, lcm, magic, shift);
    } else if (kind == REFINE_L2_UNIFORM) {
      const p = l2SquaresWithin(q, tr, chunks, limit);
      stays = p <= limit;
      b = ceilQuotientI32(p, lcm, magic, shift);
    } else if (kind == REFINE_PROJECTED) {
      const s = shrunkSquaresWithin(q, tr, chunks, squaresLimit);
      stays = s <= squaresLimit;
      b = ceilQuotient(weight * s, desc);
    } else {
      const p = l2ScaledWithin(q, tr, desc, scaledLimit);
      stays = p <= scaledLimit;
      b = ceilQuotient(p, desc);
    }
    k = keepRow(list, bounds, k, row, b, stays);
  }
  store<i32>(readAt, r);
  store<i32>(keptAt, k);
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

// Unrolled by 4 v128s into two accumulators: a refined L1 row is compute-bound (computing each bound
// twice cost as much again), and the loop's own counting was a third of its instructions.
function absDiffSumU16(q: usize, t: usize, bytes: i32): i32 {
  if (ASC_FEATURE_SIMD) {
    let acc = i16x8.splat(0), acc2 = i16x8.splat(0), c = 0;
    for (; c + 64 <= bytes; c += 64) {
      acc = i16x8.add(acc, i16x8.abs(i16x8.sub(v128.load(q + c), v128.load(t + c))));
      acc2 = i16x8.add(acc2, i16x8.abs(i16x8.sub(v128.load(q + c, 16), v128.load(t + c, 16))));
      acc = i16x8.add(acc, i16x8.abs(i16x8.sub(v128.load(q + c, 32), v128.load(t + c, 32))));
      acc2 = i16x8.add(acc2, i16x8.abs(i16x8.sub(v128.load(q + c, 48), v128.load(t + c, 48))));
    }
    for (; c < bytes; c += 16) acc = i16x8.add(acc, i16x8.abs(i16x8.sub(v128.load(q + c), v128.load(t + c))));
    return sumI32x4(i32x4.add(i32x4.extadd_pairwise_i16x8_u(acc), i32x4.extadd_pairwise_i16x8_u(acc2)));
  }
  let s = 0;
  for (let c = 0; c < bytes; c += 2) s += abs<i32>(<i32>load<u16>(q + c) - <i32>load<u16>(t + c));
  return s;
}

/** sum dS^2 over `chunks` v128s of sums (uniformSquares: it fits an i32), or a partial sum above limit. */
// @ts-ignore: decorator
@inline function l2SquaresWithin(q: usize, t: usize, chunks: i32, limit: i32): i32 {
  let p = 0;
  for (let c = 0; c < chunks; c += ABANDON_CHUNKS) {
    const off = <usize>c << 4;
    p += <i32>squaredDiffSumU16(q + off, t + off, min(ABANDON_CHUNKS, chunks - c));
    if (p > limit) break;
  }
  return p;
}

/** The sum of a projection level's shrunk squares over `chunks` v128s, or a partial sum above limit. */
function shrunkSquaresWithin(q: usize, t: usize, chunks: i32, limit: i64): i64 {
  let s: i64 = 0;
  for (let c = 0; c < chunks; c += PROJECTION_RUN) {
    const off = <usize>c << 4;
    s += squaredShrunkSumU16(q + off, t + off, min(PROJECTION_RUN, chunks - c));
    if (s > limit) break;
  }
  return s;
}

// v128s of a projection level's sums whose shrunk squares a lane adds before the threshold check:
// 2 per v128, 16 per lane, below 2^32 (each at most 16382^2), so the lanes are read as u32. On
// Fashion-MNIST L2 (128 axes: 16 v128s), one thread, 1,000 queries, medians of 4 interleaved
// processes: 260 ms against 279 with runs of 4 (an i32 lane's 8 squares); runs of 2 were slower still.
const PROJECTION_RUN = 8;

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
// @ts-ignore: decorator
@inline function squaredDiffSumU16(q: usize, t: usize, chunks: i32): i64 {
  if (ASC_FEATURE_SIMD) return lanesSumI64(dotLanesU16(q, t, chunks, true));
  let s: i64 = 0;
  for (let c = 0; c < chunks << 4; c += 2) {
    const d = <i64>load<u16>(q + c) - <i64>load<u16>(t + c);
    s += d * d;
  }
  return s;
}

/**
 * The i32 lanes, not yet added together, of q . t over `chunks` v128s of u16 sums, or with `squares`
 * of (q - t) . (q - t): two products per lane and v128 (the callers bound how many a lane holds).
 * Unrolled by 4 v128s into 4 accumulators and inlined: the loop's own counting and its one chain of
 * adds were most of the 2x2 level's time. On Fashion-MNIST (8,000 training rows, 2,000 queries,
 * k = 20, one thread) the search took 143-147 ms against 159-163 with the differences unrolled.
 */
// @ts-ignore: decorator
@inline function dotLanesU16(q: usize, t: usize, chunks: i32, squares: bool): v128 {
  let acc = i32x4.splat(0), acc2 = i32x4.splat(0), acc3 = i32x4.splat(0), acc4 = i32x4.splat(0), c: usize = 0;
  const bytes = <usize>chunks << 4;
  for (; c + 64 <= bytes; c += 64) {
    acc = i32x4.add(acc, laneDots(q + c, t + c, squares));
    acc2 = i32x4.add(acc2, laneDots(q + c + 16, t + c + 16, squares));
    acc3 = i32x4.add(acc3, laneDots(q + c + 32, t + c + 32, squares));
    acc4 = i32x4.add(acc4, laneDots(q + c + 48, t + c + 48, squares));
  }
  for (; c < bytes; c += 16) acc = i32x4.add(acc, laneDots(q + c, t + c, squares));
  return i32x4.add(i32x4.add(acc, acc2), i32x4.add(acc3, acc4));
}

/** dot_i16x8_s of the v128s at q and t, or with `squares` of their difference with itself. */
// @ts-ignore: decorator
@inline function laneDots(q: usize, t: usize, squares: bool): v128 {
  const a = v128.load(q), b = v128.load(t);
  if (!squares) return i32x4.dot_i16x8_s(a, b);
  const d = i16x8.sub(a, b);
  return i32x4.dot_i16x8_s(d, d);
}

/** The sum of the 4 i32 lanes of v, in an i64. */
// @ts-ignore: decorator
@inline function lanesSumI64(v: v128): i64 {
  return <i64>i32x4.extract_lane(v, 0) + <i64>i32x4.extract_lane(v, 1) + <i64>i32x4.extract_lane(v, 2) + <i64>i32x4.extract_lane(v, 3);
}

/** sum max(0, |q_i - t_i| - 1)^2 over `chunks` <= PROJECTION_RUN v128s of a projection level's sums (D_SHRINK); lanes read as u32. */
function squaredShrunkSumU16(q: usize, t: usize, chunks: i32): i64 {
  if (ASC_FEATURE_SIMD) {
    let acc = i32x4.splat(0);
    const one = i16x8.splat(1);
    for (let c = 0; c < chunks << 4; c += 16) {
      const e = shrunk(i16x8.sub(v128.load(q + c), v128.load(t + c)), one);
      acc = i32x4.add(acc, i32x4.dot_i16x8_s(e, e));
    }
    return <i64><u32>i32x4.extract_lane(acc, 0) + <i64><u32>i32x4.extract_lane(acc, 1) + <i64><u32>i32x4.extract_lane(acc, 2) + <i64><u32>i32x4.extract_lane(acc, 3);
  }
  let s: i64 = 0;
  for (let c = 0; c < chunks << 4; c += 2) {
    const e = <i64>max(0, abs<i32>(<i32>load<u16>(q + c) - <i32>load<u16>(t + c)) - 1);
    s += e * e;
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

/**
 * Writes row and its bound b at position `kept` of a survivor list and its bounds, and returns the
 * next position: kept + 1 when the row stays, else kept (the next row overwrites it). No branch on
 * whether it stays: the branch would mispredict.
 */
// @ts-ignore: decorator
@inline function keepRow(list: usize, bounds: usize, kept: i32, row: i32, b: i32, stays: bool): i32 {
  store<i32>(list + (<usize>kept << 2), row);
  store<i32>(bounds + (<usize>kept << 2), b);
  return kept + <i32>stays;
}

/** keepRow for row j of `bounds` (rows 0..): it stays when its bound is at most tau. */
// @ts-ignore: decorator
@inline function keep(bounds: usize, j: i32, tau: i32, list: usize, kept: i32): i32 {
  const b = load<i32>(bounds + (<usize>j << 2));
  return keepRow(list, bounds, kept, j, b, b <= tau);
}

/** Bytes of seed scratch for `seeds` seed rows: pyramidSeedU8's, and coarseSurvivors' choice of SEED_SUPERS super-groups. */
export function pyramidSeedScratchBytes(seeds: i32): i32 {
  return (EXACT_RUN << 3) + (max(seeds, SEED_SUPERS) << 3);
}

/**
 * Exact distances from q (a u8 row of `stride` bytes) to the `seeds` rows of smallest bound among
 * `count` candidates (the level rows `list` holds, or level rows 0.. when list is 0; their bounds
 * in `bounds`; level row r is image order[r]), merged into the query's seed state (see seedImage);
 * `seen`: the query's bitmap of the chunk's images whose distances it has. Returns how many
 * distances it computed.
 */
export function pyramidSeedU8(metric: i32, q: usize, t: usize, stride: i32, first: i32, order: usize, list: usize, bounds: usize, count: i32, seeds: i32, seedDist: usize, seedIdx: usize, k: i32, seen: usize, scratch: usize): i32 {
  const s = min(seeds, count);
  const held = scratch, best = scratch + (EXACT_RUN << 3), at = best + (<usize>s << 2);
  topkReset<i32>(best, at, s);
  topkPush<i32>(bounds, count, 0, best, at, s);
  let computed = 0, n = 0;
  for (let r = 0; r < s; r++) {
    // Fewer than s bounds below i32 max (rows of groups over the threshold) leave empty slots.
    const pos = load<i32>(at + (<usize>r << 2));
    if (pos < 0) continue;
    const next = seedImage(metric, q, t, stride, first, imageOf(order, list == 0 ? pos : load<i32>(list + (<usize>pos << 2))), seedDist, seedIdx, k, seen, held, n);
    computed += <i32>(next != n);
    n = next;
  }
  exactRun(metric, q, t, stride, held, n, seedDist, seedIdx, k, first, i32.MAX_VALUE);
  return computed;
}

/**
 * Seeds query j of the frame's batch from the rows of the groups of its `chosen` super-groups of
 * smallest bound (their indices at `supers`; the chunk's n level rows in `groups` groups), ranked by
 * their bounds at level 1 (at the coarsest level when it is the only one): exact distances for the
 * F_SEEDS best of them, into the query's seed state. A level-1 row is a fraction of an image's
 * bytes and its bound ranks rows almost as exact distances do, so a few exact distances give the
 * threshold that many gave when every row of the best groups was computed. The candidates pass
 * through the query's list and bounds (list, bound).
 */
function rankedGroupSeeds(frame: usize, t: usize, chunkFirst: i32, n: i32, levelRows: usize, order: usize, j: i32, supers: usize, chosen: i32, groups: i32, list: usize, bound: usize): void {
  const metric = frameWord(frame, F_METRIC), stride = frameWord(frame, F_STRIDE), k = frameWord(frame, F_K), state = <usize>j * <usize>k << 2;
  const seedScratch = <usize>frameWord(frame, F_SEED_SCRATCH), coarseOnly = frameWord(frame, F_LEVELS) == 1;
  const rowBytes = frameWord(frame, F_LEVEL0 + 1), desc = <usize>frameWord(frame, F_LEVEL0 + 2);
  const q0 = <usize>frameWord(frame, F_LEVEL0) + <usize>j * <usize>rowBytes, cols = <usize>load<u32>(levelRows), pitch = <usize>columnRows(n) << 2;
  let count = 0;
  for (let i = 0; i < chosen; i++) {
    const s = load<i32>(supers + (<usize>i << 2));
    if (s < 0) continue; // an empty slot: a super-group bound of i32 max
    for (let g = s << 3; g < min(groups, (s + 1) << 3); g++) {
      if (coarseOnly) columnBounds8(metric, q0, cols + (<usize>g << 5), pitch, 0, desc, bound + (<usize>count << 2));
      for (let r = g << 3; r < min(n, (g << 3) + 8); r++) {
        store<i32>(list + (<usize>count << 2), r);
        count++;
      }
    }
  }
  // The ranking's bounds stay out of the levels' stats, which count the pairs a level keeps in reach.
  if (!coarseOnly) {
    // pyramidRefineU8 for this one query with no threshold (it keeps every row): its count, threshold, then its 2 words of scratch.
    const word = F_LEVEL0 + LEVEL_WORDS, fineBytes = frameWord(frame, word + 1);
    store<i32>(seedScratch, count);
    store<i32>(seedScratch, i32.MAX_VALUE, 4);
    pyramidRefineU8(metric, <usize>frameWord(frame, word) + <usize>j * <usize>fineBytes, load<u32>(levelRows, 4), <usize>frameWord(frame, word + 2), 1, list, bound, 0, seedScratch, seedScratch + 4,
      <usize>frameWord(frame, word + 3) + (<usize>j << 2), levelNorms(levelRows, frameWord(frame, F_LEVELS), 1), seedScratch + 8);
    count = load<i32>(seedScratch);
  }
  addStat(<usize>frameWord(frame, F_STATS), 0, <f64>pyramidSeedU8(metric, <usize>frameWord(frame, F_Q) + <usize>j * <usize>stride, t, stride, chunkFirst, order, list, bound, count, frameWord(frame, F_SEEDS),
    <usize>frameWord(frame, F_SEED_DIST) + state, <usize>frameWord(frame, F_SEED_IDX) + state, k, seenOf(frame, j), seedScratch));
}

// Groups whose rows rankedGroupSeeds ranks: those of SEED_GROUPS / 8 super-groups. On Fashion-MNIST,
// one thread, against every row of the best 9 groups computed exactly (72 rows): exact distances
// per query L1 223 against 283, L2 273 against 332; search of 1,000 queries (3 sets of 5-6
// interleaved processes) L1 0-6% faster, L2 even; cross-validation (10,000 rows, ks 1..20, block
// levels, medians of 3) L1 0.80 s against 0.86, L2 1.53 against 1.60. 64 groups (8 super-groups)
// was slower; since the seeds skip their groups' boxes (38fcd90), 16 and 48 were slower than 32 too.
const SEED_GROUPS = 32;

/** The image of level row `row`: order[row], or row itself when `order` is 0. */
// @ts-ignore: decorator
@inline export function imageOf(order: usize, row: i32): i32 {
  return order == 0 ? row : load<i32>(order + (<usize>row << 2));
}

/**
 * Adds image `image` to the n images of a seed run at `held` (exactRun) unless its bit in `seen`
 * is set (its distance was computed), and sets it; a full run merges its exact distances into the
 * seed state (seedDist, seedIdx: k slots) as index first + image. Returns how many images the run
 * holds now: n when the image was seen, else n + 1, or 0 after a merge. The state thus holds the k
 * smallest distances of distinct rows, so its k-th is never below the true k-th distance (see
 * pyramidThreshold).
 */
// @ts-ignore: decorator
@inline function seedImage(metric: i32, q: usize, t: usize, stride: i32, first: i32, image: i32, seedDist: usize, seedIdx: usize, k: i32, seen: usize, held: usize, n: i32): i32 {
  if (testAndSet(seen, image)) return n;
  store<i32>(held + (<usize>n << 2), image);
  if (++n < EXACT_RUN) return n;
  exactRun(metric, q, t, stride, held, n, seedDist, seedIdx, k, first, i32.MAX_VALUE);
  return 0;
}

/** Whether bit i of the bitmap at `bits` (u32 words) is set; sets it. */
// @ts-ignore: decorator
@inline function testAndSet(bits: usize, i: i32): bool {
  const at = bits + (<usize>(i >>> 5) << 2), word = load<u32>(at), bit = <u32>1 << <u32>(i & 31);
  store<u32>(at, word | bit);
  return (word & bit) != 0;
}

/** Whether bit i of the bitmap at `bits` is set. */
// @ts-ignore: decorator
@inline function isSet(bits: usize, i: i32): bool {
  return (load<u32>(bits + (<usize>(i >>> 5) << 2)) & (<u32>1 << <u32>(i & 31))) != 0;
}

/** The search threshold of a query: the smaller k-th distance of its seed state and its top-k state (i32 max while neither holds k). */
export function pyramidThreshold(seedDist: usize, dist: usize, k: i32): i32 {
  return min(topkWorst<i32>(seedDist, k), topkWorst<i32>(dist, k));
}

/**
 * Exact distances (L1, or squared L2) from the frame's batch of queries to the survivors of their
 * lists in a chunk of n training rows at t, images first.. (as pyramidRefineU8 leaves the lists;
 * level row r is image order[r]), merged into each query's top-k state as index first + image,
 * window by window of level rows: the images a window holds are similar, not near in memory. A
 * row whose bound exceeds min(the query's threshold, its current k-th distance) is skipped, and so
 * is a row whose distance a seed run computed (its bit in the query's seen bitmap): the state starts
 * with the seed state's rows of this chunk instead, the k nearest of those. Returns how many
 * distances it computed.
 */
function pyramidExactU8(frame: usize, t: usize, order: usize, first: i32, n: i32): i32 {
  const metric = frameWord(frame, F_METRIC), q = <usize>frameWord(frame, F_Q), stride = frameWord(frame, F_STRIDE);
  const batch = frameWord(frame, F_SIZE), k = frameWord(frame, F_K), counts = <usize>frameWord(frame, F_COUNTS), taus = <usize>frameWord(frame, F_TAUS);
  const lists = <usize>frameWord(frame, F_LISTS), bounds = <usize>frameWord(frame, F_BOUNDS), listPitch = frameWord(frame, F_LIST_PITCH);
  const dist = <usize>frameWord(frame, F_DIST), idx = <usize>frameWord(frame, F_IDX), scratch = <usize>frameWord(frame, F_BATCH_SCRATCH);
  const seedDist = <usize>frameWord(frame, F_SEED_DIST), seedIdx = <usize>frameWord(frame, F_SEED_IDX);
  const window = windowRows(stride);
  // A seed of an earlier chunk merged at that chunk's exact stage; one that left the seed state had k nearer rows in it.
  for (let b = 0; b < batch; b++) {
    const state = <usize>b * <usize>k << 2;
    for (let i = 0; i < k; i++) {
      const row = load<i32>(seedIdx + state + (<usize>i << 2));
      if (row >= first && row < first + n) topkPushOne<i32>(dist + state, idx + state, k, load<i32>(seedDist + state + (<usize>i << 2)), row);
    }
  }
  // Per query: its read position, how many images its run holds, and the run (exactRun).
  memory.fill(scratch, 0, batch << 3);
  const runs = scratch + (<usize>batch << 3);
  let computed = 0;
  for (let end = window, open = batch; open > 0; end += window) {
    open = 0;
    for (let b = 0; b < batch; b++) {
      const at = <usize>b << 2, count = load<i32>(counts + at);
      let r = load<i32>(scratch + at);
      if (r >= count) continue;
      const list = lists + <usize>b * <usize>listPitch, bound = bounds + <usize>b * <usize>listPitch;
      const qb = q + <usize>b * <usize>stride, tau = load<i32>(taus + at), seen = seenOf(frame, b);
      const state = <usize>b * <usize>k << 2, bd = dist + state, bi = idx + state;
      const held = runs + <usize>b * (EXACT_RUN << 3);
      let m = load<i32>(scratch + (<usize>batch << 2) + at);
      for (; r < count; r++) {
        const row = load<i32>(list + (<usize>r << 2));
        if (row >= end) break;
        if (load<i32>(bound + (<usize>r << 2)) > min(tau, topkWorst<i32>(bd, k))) continue;
        const image = imageOf(order, row);
        if (isSet(seen, image)) continue;
        store<i32>(held + (<usize>m << 2), image);
        if (++m == EXACT_RUN) {
          exactRun(metric, qb, t, stride, held, m, bd, bi, k, first, tau);
          computed += m;
          m = 0;
        }
      }
      // A run fills across windows; the query's last one is merged when its list ends.
      if (r >= count) {
        exactRun(metric, qb, t, stride, held, m, bd, bi, k, first, tau);
        computed += m;
        m = 0;
      }
      store<i32>(scratch + (<usize>batch << 2) + at, m);
      store<i32>(scratch + at, r);
      if (r < count) open++;
    }
  }
  return computed;
}

/** Query j's bitmap of the chunk's images whose exact distances its seeds computed. */
// @ts-ignore: decorator
@inline function seenOf(frame: usize, j: i32): usize {
  return <usize>frameWord(frame, F_SEEN) + <usize>j * <usize>frameWord(frame, F_SEEN_PITCH);
}

// Rows whose exact distances pyramidExactU8 and the seeds compute together: their rows lie anywhere
// in memory, and reading EXACT_RUN at once keeps as many cache misses in flight (the loads of one row
// wait). On Fashion-MNIST (probe, 1,000 queries, one thread) 8 was no faster than 4.
const EXACT_RUN = 4;

// A run of exact distances stops once every one of its rows exceeds the limit, checked every this
// many v128s of the rows: most rows that reach the exact stage are farther than the k-th neighbour.
const EXACT_CHECK_CHUNKS = 8;

/**
 * Exact distances from q to the n <= EXACT_RUN images at `held` (i32s), merged into the top-k state
 * (dist, idx) as index first + image when at most min(tau, the state's k-th distance): a farther row
 * cannot be among the k nearest (tau is the k-th distance of k distinct rows). The distances go to
 * held + 4 * EXACT_RUN first; a run may stop early, leaving sums over the limit.
 */
function exactRun(metric: i32, q: usize, t: usize, stride: i32, held: usize, n: i32, dist: usize, idx: usize, k: i32, first: i32, tau: i32): void {
  const out = held + (<usize>EXACT_RUN << 2), limit = min(tau, topkWorst<i32>(dist, k));
  if (ASC_FEATURE_SIMD && n == EXACT_RUN) {
    const r0 = t + <usize>load<i32>(held) * <usize>stride, r1 = t + <usize>load<i32>(held, 4) * <usize>stride;
    const r2 = t + <usize>load<i32>(held, 8) * <usize>stride, r3 = t + <usize>load<i32>(held, 12) * <usize>stride;
    if (metric == METRIC_L1) l1Rows4U8(q, r0, r1, r2, r3, stride, limit, out);
    else l2Rows4U8(q, r0, r1, r2, r3, stride, limit, out);
  } else {
    for (let i = 0; i < n; i++) store<i32>(out + (<usize>i << 2), exactU8(metric, q, t + <usize>load<i32>(held + (<usize>i << 2)) * <usize>stride, stride));
  }
  for (let i = 0; i < n; i++) {
    const d = load<i32>(out + (<usize>i << 2));
    if (d <= limit) topkPushOne<i32>(dist, idx, k, d, first + load<i32>(held + (<usize>i << 2)));
  }
}

/** The sums of the lanes of s0, s1, s2, s3, in 4 lanes. */
// @ts-ignore: decorator
@inline export function lanesSums4(s0: v128, s1: v128, s2: v128, s3: v128): v128 {
  const a = i32x4.add(v128.shuffle<i32>(s0, s1, 0, 1, 4, 5), v128.shuffle<i32>(s0, s1, 2, 3, 6, 7));
  const b = i32x4.add(v128.shuffle<i32>(s2, s3, 0, 1, 4, 5), v128.shuffle<i32>(s2, s3, 2, 3, 6, 7));
  return i32x4.add(v128.shuffle<i32>(a, b, 0, 2, 4, 6), v128.shuffle<i32>(a, b, 1, 3, 5, 7));
}

/** l1RowU8 from q to 4 rows at once, the 4 sums to out (i32s); stops once all 4 exceed limit. */
function l1Rows4U8(q: usize, r0: usize, r1: usize, r2: usize, r3: usize, stride: i32, limit: i32, out: usize): void {
  let s0 = i32x4.splat(0), s1 = i32x4.splat(0), s2 = i32x4.splat(0), s3 = i32x4.splat(0);
  const over = i32x4.splat(limit);
  let sums = i32x4.splat(0);
  for (let c0 = 0; c0 < stride; c0 += EXACT_CHECK_CHUNKS * 16) {
    const c1 = min(stride, c0 + EXACT_CHECK_CHUNKS * 16);
    let a0 = i16x8.splat(0), a1 = i16x8.splat(0), a2 = i16x8.splat(0), a3 = i16x8.splat(0);
    for (let c = c0; c < c1; c += 16) {
      const x = v128.load(q + c);
      a0 = i16x8.add(a0, absDiffPairs(x, v128.load(r0 + c)));
      a1 = i16x8.add(a1, absDiffPairs(x, v128.load(r1 + c)));
      a2 = i16x8.add(a2, absDiffPairs(x, v128.load(r2 + c)));
      a3 = i16x8.add(a3, absDiffPairs(x, v128.load(r3 + c)));
    }
    s0 = i32x4.add(s0, i32x4.extadd_pairwise_i16x8_u(a0));
    s1 = i32x4.add(s1, i32x4.extadd_pairwise_i16x8_u(a1));
    s2 = i32x4.add(s2, i32x4.extadd_pairwise_i16x8_u(a2));
    s3 = i32x4.add(s3, i32x4.extadd_pairwise_i16x8_u(a3));
    sums = lanesSums4(s0, s1, s2, s3);
    if (i32x4.all_true(i32x4.gt_s(sums, over))) break;
  }
  v128.store(out, sums);
}

/** |x - y| of 16 u8 lanes added in pairs into 8 u16 lanes. */
// @ts-ignore: decorator
@inline function absDiffPairs(x: v128, y: v128): v128 {
  return i16x8.extadd_pairwise_i8x16_u(v128.or(i8x16.sub_sat_u(x, y), i8x16.sub_sat_u(y, x)));
}

/** l2RowU8 from q to 4 rows at once, the 4 sums to out (i32s); stops once all 4 exceed limit. */
function l2Rows4U8(q: usize, r0: usize, r1: usize, r2: usize, r3: usize, stride: i32, limit: i32, out: usize): void {
  let s0 = i32x4.splat(0), s1 = i32x4.splat(0), s2 = i32x4.splat(0), s3 = i32x4.splat(0);
  const over = i32x4.splat(limit);
  let sums = i32x4.splat(0);
  for (let c0 = 0; c0 < stride; c0 += EXACT_CHECK_CHUNKS * 16) {
    const c1 = min(stride, c0 + EXACT_CHECK_CHUNKS * 16);
    for (let c = c0; c < c1; c += 16) {
      const x = v128.load(q + c), lo = i16x8.extend_low_i8x16_u(x), hi = i16x8.extend_high_i8x16_u(x);
      s0 = i32x4.add(s0, squaredDiffs(lo, hi, v128.load(r0 + c)));
      s1 = i32x4.add(s1, squaredDiffs(lo, hi, v128.load(r1 + c)));
      s2 = i32x4.add(s2, squaredDiffs(lo, hi, v128.load(r2 + c)));
      s3 = i32x4.add(s3, squaredDiffs(lo, hi, v128.load(r3 + c)));
    }
    sums = lanesSums4(s0, s1, s2, s3);
    if (i32x4.all_true(i32x4.gt_s(sums, over))) break;
  }
  v128.store(out, sums);
}

/** Squared differences of 16 u8 lanes (x as lo, hi: its u16 halves) added in 4 i32 lanes. */
// @ts-ignore: decorator
@inline function squaredDiffs(lo: v128, hi: v128, y: v128): v128 {
  const dl = i16x8.sub(lo, i16x8.extend_low_i8x16_u(y)), dh = i16x8.sub(hi, i16x8.extend_high_i8x16_u(y));
  return i32x4.add(i32x4.dot_i16x8_s(dl, dl), i32x4.dot_i16x8_s(dh, dh));
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
        acc = i16x8.add(acc, absDiffPairs(v128.load(a + c), v128.load(b + c)));
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
      const x = v128.load(a + c);
      s = i32x4.add(s, squaredDiffs(i16x8.extend_low_i8x16_u(x), i16x8.extend_high_i8x16_u(x), v128.load(b + c)));
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
// F_GROUP_SCRATCH: pyramidGroupScratchBytes for the widest chunk. F_SEEN: per query, a bitmap of the
// images of the chunk whose exact distances its seeds computed (pyramidSeenPitch bytes apart:
// F_SEEN_PITCH). Then per level: the batch's query level rows, their row bytes, the level descriptor
// and the query rows' norms (pyramidRowNorms).
const F_GROUP_SCRATCH = 20, F_SEEN = 21, F_SEEN_PITCH = 22, F_LEVEL0 = 23, LEVEL_WORDS = 4;

/** Bytes of the group scratch of a search (n: rows of the widest chunk): the bounds of its groups, then of its super-groups, whole v128s of 8. */
export function pyramidGroupScratchBytes(n: i32): i32 {
  return (columnRows(groupCount(n)) + columnRows(groupCount(n, SUPER_ROWS))) << 2;
}

/** The norms of a chunk's level rows of level l (pyramidRowNorms), from its table: after the levels, the order and the 2 group boxes. */
// @ts-ignore: decorator
@inline function levelNorms(levelRows: usize, levels: i32, l: i32): usize {
  return <usize>load<u32>(levelRows + (<usize>(levels + 3 + l) << 2));
}

/** Bytes of a query's seen bitmap (F_SEEN) for chunks of at most n images: whole u32 words. */
export function pyramidSeenPitch(n: i32): i32 {
  return ((n + 31) >>> 5) << 2;
}

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
 * per level, then the order of its level rows, the group boxes, and per level its rows' norms or 0):
 * per query, bounds of every group of 8 level rows, a first threshold from the rows of the
 * best-bounded groups, the coarsest bounds of the rows of every group within it, survivors refined
 * level by level (re-seeding after each), then exact distances into each query's top-k state. One
 * call per (batch, chunk), so a worker runs a whole search; the stats (f64: exact distances, then
 * each level's (query, row) pairs) are added up at F_STATS.
 */
export function pyramidSearchChunk(frame: usize, t: usize, chunkFirst: i32, n: i32, levelRows: usize): void {
  const metric = frameWord(frame, F_METRIC), q = <usize>frameWord(frame, F_Q), stride = frameWord(frame, F_STRIDE);
  const size = frameWord(frame, F_SIZE), k = frameWord(frame, F_K), levels = frameWord(frame, F_LEVELS);
  const bounds = <usize>frameWord(frame, F_BOUNDS), lists = <usize>frameWord(frame, F_LISTS), pitch = frameWord(frame, F_LIST_PITCH);
  const counts = <usize>frameWord(frame, F_COUNTS), stats = <usize>frameWord(frame, F_STATS);
  const order = <usize>load<u32>(levelRows + (<usize>levels << 2));
  memory.fill(<usize>frameWord(frame, F_SEEN), 0, <usize>size * <usize>frameWord(frame, F_SEEN_PITCH));
  for (let j = 0; j < size; j++) {
    const bound = bounds + <usize>j * <usize>pitch, list = lists + <usize>j * <usize>pitch;
    let kept: i32;
    if (levels > 0) {
      kept = coarseSurvivors(frame, t, chunkFirst, n, levelRows, order, j);
    } else {
      memory.fill(bound, 0, <usize>n << 2);
      kept = pyramidSurvivors(bound, n, seedQuery(frame, t, chunkFirst, order, j, 0, n, frameWord(frame, F_SEEDS)), list);
    }
    store<i32>(counts + (<usize>j << 2), kept);
  }
  for (let l = 1; l < levels; l++) {
    for (let j = 0; j < size; j++) addStat(stats, 1 + l, <f64>load<i32>(counts + (<usize>j << 2)));
    const word = F_LEVEL0 + l * LEVEL_WORDS;
    pyramidRefineU8(metric, <usize>frameWord(frame, word), load<u32>(levelRows + (<usize>l << 2)), <usize>frameWord(frame, word + 2), size, lists, bounds, pitch, counts,
      <usize>frameWord(frame, F_TAUS), <usize>frameWord(frame, word + 3), levelNorms(levelRows, levels, l), <usize>frameWord(frame, F_BATCH_SCRATCH));
    for (let j = 0; j < size; j++) {
      seedQuery(frame, t, chunkFirst, order, j, lists + <usize>j * <usize>pitch, load<i32>(counts + (<usize>j << 2)), frameWord(frame, F_REFINE_SEEDS));
    }
  }
  addStat(stats, 0, <f64>pyramidExactU8(frame, t, order, chunkFirst, n));
}

/**
 * The coarsest level for query j of the frame's batch: bounds of the super-groups, seeds from the
 * best groups of the best SEED_SUPERS of them (rankedGroupSeeds), then, within that threshold, the bounds of
 * the groups of each super-group and of the rows of each group, the rows within it listed in order
 * (their bounds compacted alike); re-seeded from the best of those rows, the list keeps the rows
 * within the new threshold. Stores the threshold; returns how many rows the list keeps.
 */
function coarseSurvivors(frame: usize, t: usize, chunkFirst: i32, n: i32, levelRows: usize, order: usize, j: i32): i32 {
  const metric = frameWord(frame, F_METRIC), rowBytes = frameWord(frame, F_LEVEL0 + 1), desc = <usize>frameWord(frame, F_LEVEL0 + 2);
  const q0 = <usize>frameWord(frame, F_LEVEL0) + <usize>j * <usize>rowBytes, cols = <usize>load<u32>(levelRows);
  const levels = frameWord(frame, F_LEVELS);
  const boxes = <usize>load<u32>(levelRows + (<usize>(levels + 1) << 2)), superBoxes = <usize>load<u32>(levelRows + (<usize>(levels + 2) << 2));
  const groups = groupCount(n), supers = groupCount(n, SUPER_ROWS);
  const groupBounds = <usize>frameWord(frame, F_GROUP_SCRATCH), superBounds = groupBounds + (<usize>columnRows(groups) << 2);
  const boxPitch = <usize>columnRows(groups) << 2, hi = <usize>pyramidColumnsBytes(groups, desc);
  const superPitch = <usize>columnRows(supers) << 2, superHi = <usize>pyramidColumnsBytes(supers, desc);
  for (let s = 0; s < supers; s += 8) columnBounds8(metric, q0, superBoxes + (<usize>s << 2), superPitch, superHi, desc, superBounds + (<usize>s << 2));
  // Seeds: from the rows of the groups of the best super-groups.
  const k = frameWord(frame, F_K), state = <usize>j * <usize>k << 2;
  const seedScratch = <usize>frameWord(frame, F_SEED_SCRATCH), best = seedScratch, at = seedScratch + (SEED_SUPERS << 2);
  const chosen = min(supers, SEED_SUPERS);
  topkReset<i32>(best, at, chosen);
  topkPush<i32>(superBounds, supers, 0, best, at, chosen);
  const listPitch = <usize>frameWord(frame, F_LIST_PITCH), bound = <usize>frameWord(frame, F_BOUNDS) + <usize>j * listPitch, list = <usize>frameWord(frame, F_LISTS) + <usize>j * listPitch;
  rankedGroupSeeds(frame, t, chunkFirst, n, levelRows, order, j, at, chosen, groups, list, bound);
  const tau = pyramidThreshold(<usize>frameWord(frame, F_SEED_DIST) + state, <usize>frameWord(frame, F_DIST) + state, k);
  const stats = <usize>frameWord(frame, F_STATS);
  const pitch = <usize>columnRows(n) << 2;
  let reached = 0, kept = 0;
  for (let s = 0; s < supers; s++) {
    if (load<i32>(superBounds + (<usize>s << 2)) > tau) continue;
    const first = s << 3, last = min(groups, first + 8);
    columnBounds8(metric, q0, boxes + (<usize>first << 2), boxPitch, hi, desc, groupBounds + (<usize>first << 2));
    for (let g = first; g < last; g++) {
      if (load<i32>(groupBounds + (<usize>g << 2)) > tau) continue;
      // The group's 8 bounds land after the rows kept so far (kept <= 8 g: the list's room holds them), then are compacted.
      const at = bound + (<usize>kept << 2), rows = min(8, n - (g << 3));
      columnBounds8(metric, q0, cols + (<usize>g << 5), pitch, 0, desc, at);
      for (let r = 0; r < rows; r++) {
        const b = load<i32>(at + (<usize>r << 2));
        kept = keepRow(list, bound, kept, (g << 3) + r, b, b <= tau);
      }
      reached += rows;
    }
  }
  addStat(stats, 1, <f64>reached);
  // The rows' own bounds find nearer seeds than their groups' did.
  return keepWithin(list, bound, kept, seedQuery(frame, t, chunkFirst, order, j, list, kept, frameWord(frame, F_REFINE_SEEDS)));
}

/** Keeps, in order, the first `count` rows of a survivor list (and their bounds) whose bound is at most tau; returns how many. */
function keepWithin(list: usize, bounds: usize, count: i32, tau: i32): i32 {
  let kept = 0;
  for (let r = 0; r < count; r++) {
    const b = load<i32>(bounds + (<usize>r << 2));
    kept = keepRow(list, bounds, kept, load<i32>(list + (<usize>r << 2)), b, b <= tau);
  }
  return kept;
}

// Super-groups whose groups' rows rankedGroupSeeds ranks (8 groups each: SEED_GROUPS / 8).
const SEED_SUPERS = SEED_GROUPS >> 3;

/** Seeds query j of the frame's batch from `count` candidates (list, or all rows when 0); stores and returns its threshold. */
function seedQuery(frame: usize, t: usize, chunkFirst: i32, order: usize, j: i32, list: usize, count: i32, seeds: i32): i32 {
  const stride = frameWord(frame, F_STRIDE), k = frameWord(frame, F_K), state = <usize>j * <usize>k << 2;
  const seedDist = <usize>frameWord(frame, F_SEED_DIST) + state, dist = <usize>frameWord(frame, F_DIST) + state;
  addStat(<usize>frameWord(frame, F_STATS), 0, <f64>pyramidSeedU8(frameWord(frame, F_METRIC), <usize>frameWord(frame, F_Q) + <usize>j * <usize>stride, t, stride, chunkFirst, order, list,
    <usize>frameWord(frame, F_BOUNDS) + <usize>j * <usize>frameWord(frame, F_LIST_PITCH), count, seeds, seedDist, <usize>frameWord(frame, F_SEED_IDX) + state, k,
    seenOf(frame, j), <usize>frameWord(frame, F_SEED_SCRATCH)));
  const tau = pyramidThreshold(seedDist, dist, k);
  store<i32>(<usize>frameWord(frame, F_TAUS) + (<usize>j << 2), tau);
  return tau;
}

// @ts-ignore: decorator
@inline function addStat(stats: usize, i: i32, value: f64): void {
  const at = stats + (<usize>i << 3);
  store<f64>(at, load<f64>(at) + value);
}

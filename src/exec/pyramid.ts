// Exact kNN over pyramids of block sums, or for squared L2 of projections on principal axes (alone,
// or before the finest block sums; pyramid-projection.ts), in assembly/pyramid.ts, on the
// executor's lanes: the same neighbours and distances as searchNeighbors (exec/knn.ts), ties
// included, from a few percent of the distances.
// Queries are searched in batches of similar ones (similarQueriesFirst), which share the training
// rows they touch in cache. Per query and chunk of training rows: bound every super-group of 64
// similar rows from its box, take a threshold tau from the exact distances of those rows of the
// best-bounded groups of the best super-groups that bound best at the next level, bound the groups
// of the super-groups within tau, then the rows of the groups within tau at the coarsest level,
// keep those whose bound is at most tau, refine them level by level (tightening tau the same way
// after each), then compute exact distances for the rest while the top-k (and with it tau)
// improves. A row is dropped only when a lower bound of its distance exceeds tau strictly, and tau
// is always the k-th smallest distance of some k distinct rows: never below the true k-th.
import { ArgumentRangeError, ArgumentTypeError } from '../errors.js';
import type { Matrix } from '../matrix.js';
import { byteSize, type Core, type Scope } from '../runtime.js';
import { writeRows, writeRowsInOrder, type RowChunk } from '../layout.js';
import { checkAborted, executorOf, forEachInLanes, type KernelCall } from './executor.js';
import type { Neighbors } from './knn.js';
import { METRICS } from './metric.js';
import { buildProjection, MAX_PROJECTION_COLS, PROJECTION_DIMS, type Projection, type SharedAxes } from './pyramid-projection.js';

/** The metrics block sums bound: L1 and L2 over u8 pixels. */
export type PyramidMetric = 'l1' | 'l2';

/** Image shape [height, width, channels], pixels in HWC order (channels last). */
export type Shape = [number, number, number];

/** The pyramid exports of the wasm core (assembly/pyramid.ts); pointers and sizes only. */
export interface PyramidKernels {
  pyramidDescBytes(): number;
  pyramidDescribeLevel(h: number, w: number, c: number, bh: number, bw: number, desc: number): number;
  pyramidSumsScratchBytes(cols: number): number;
  pyramidSumsU8(x: number, rows: number, stride: number, desc: number, out: number, order: number, scratch: number): void;
  pyramidColumnsBytes(n: number, desc: number): number;
  pyramidColumnsU8(rows: number, n: number, desc: number, out: number, order: number): void;
  pyramidColumnBoundsU8(metric: number, q: number, cols: number, n: number, desc: number, out: number): void;
  pyramidGroupOrder(rows: number, n: number, desc: number, order: number): void;
  pyramidGroupBoxesBytes(n: number, desc: number, span: number): number;
  pyramidGroupBoxesU8(rows: number, n: number, desc: number, out: number, order: number, span: number): void;
  pyramidGroupScratchBytes(n: number): number;
  pyramidBatchScratchBytes(batch: number): number;
  pyramidRefineU8(metric: number, q: number, t: number, desc: number, batch: number, lists: number, bounds: number, listPitch: number, counts: number, taus: number, qNorms: number, tNorms: number, scratch: number): void;
  pyramidRowNorms(rows: number, n: number, desc: number, out: number): void;
  pyramidNormedLevel(desc: number): number;
  pyramidSeedScratchBytes(seeds: number): number;
  pyramidResetTopk(dist: number, idx: number, k: number): void;
  pyramidFinishTopk(dist: number, idx: number, k: number): void;
  pyramidFrameBytes(levels: number): number;
  pyramidSeenPitch(n: number): number;
  pyramidSearchChunk(frame: number, t: number, chunkFirst: number, n: number, levelRows: number): void;
}

/** The pyramid kernels of a core. */
export function pyramidKernels(c: Core): PyramidKernels {
  return c.kernels as unknown as PyramidKernels;
}


// Twin of MAX_BLOCK_PIXELS in assembly/pyramid.ts: block sums fit an i16, two squared differences an i32.
const MAX_BLOCK_PIXELS = 128;
const MAX_BLOCK_SIDE = Math.floor(Math.sqrt(MAX_BLOCK_PIXELS));

/** The pyramid holds at most this share of the stored training bytes (rows x stride). */
export const PYRAMID_MEMORY_SHARE = 0.75;

// Seed rows beyond k whose exact distances give the first threshold: the best of the rows of the
// best groups by their bounds at the second level (rankedGroupSeeds in assembly/pyramid.ts). Each
// seed is a cache miss (rows anywhere in the set). On Fashion-MNIST, one thread, 1,000 queries,
// every row of the best groups computed exactly took (SEED_EXTRA, REFINE_SEEDS) = (64, 8): L1
// 360-369 ms, L2 598-616, where (32, 16), (16, 8), (96, 8), (128, 4) were slower; the ranked seeds
// need far fewer (L1: 25 exact distances per query against 84; 8 and 16 extra reached alike).
const SEED_EXTRA = 8;

// Seed rows after the coarsest level and each refinement: the smallest bounds of a finer level find closer rows.
const REFINE_SEEDS = 8;

// Queries searched together: a batch shares each window of training rows it refines (see windowRows
// in assembly/pyramid.ts). Measured on Fashion-MNIST L2 with 2 workers, 3,000 queries: 16 per batch
// 1.66 s, 32 1.45 s, 64 1.33 s, 128 1.23 s, 256 1.17 s. A batch's bounds and survivor lists take
// batch x (rows of the widest chunk) x 4 bytes each, kept within MAX_BATCH_LIST_BYTES.
const MAX_BATCH = 128;
const MIN_BATCH = 16;
const MAX_BATCH_LIST_BYTES = 32 * 1024 * 1024;

/** u8 training rows in wasm memory, in chunks (the TrainingRows of exec/knn.ts is one). */
export interface StoredRows {
  core: Core;
  rows: number;
  cols: number;
  stride: number;
  chunks: RowChunk[];
}

/** One level of a pyramid. */
export interface PyramidLevel {
  /** Block height and width in pixels (edge blocks may be smaller); null for a projection level. */
  block: [number, number] | null;
  /** A projection level's axes: the pixels', or the sums' of blocks of these pixels; null for block sums. */
  axes: 'pixels' | [number, number] | null;
  /** Values of a level row: block sums, or a projection level's coefficients. */
  dims: number;
  /** Bytes of one level row: u16 values, each class of equal-sized blocks padded to 8. */
  rowBytes: number;
  /** The level descriptor in wasm memory (pyramidDescribeLevel). */
  desc: number;
}

/**
 * Block-sum levels, coarse to fine, for every chunk of a stored u8 training set. A chunk's level
 * rows are in its own order (pyramidGroupOrder): every 8 consecutive level rows, a group, hold similar
 * images, and a box of each group's coarsest sums bounds all 8 rows at once. The coarsest level,
 * only ever bounded group by group, is stored in columns (pyramidColumnsU8); the others in rows,
 * for the survivor lists.
 */
export interface Pyramid {
  rows: StoredRows;
  /** The image shape the blocks follow; [1, cols, 1] (runs of consecutive features) when none was given. */
  shape: Shape;
  levels: PyramidLevel[];
  /** The weights and quantization of the projection levels (squared L2 only); null when every level is of block sums. */
  projection: Projection | null;
  /** chunkLevels[chunk]: the level rows of that chunk of training rows, per level, then their order (i32: the chunk's row of each level row), the boxes of its groups and of its super-groups (pyramidGroupBoxesU8 with GROUP_SPANS); no order nor boxes without levels. */
  chunkLevels: number[][];
  /** chunkNorms[chunk][level]: the norms of that chunk's level rows where the refinement reads them (hasNorms), or 0. */
  chunkNorms: number[][];
  /** Bytes of the levels, the order and the boxes: at most PYRAMID_MEMORY_SHARE of rows x stride (but for 8-row padding of the columns). */
  bytes: number;
}

/** What a search did: the work that the bounds saved is the gap to queries x rows exact distances. */
export interface PyramidStats {
  queries: number;
  rows: number;
  /** Per level, coarse to fine: (query, row) pairs that reached it, whose bound at that level was computed (not those that only rank the seeds: rankedGroupSeeds). */
  levels: { block: [number, number] | null; axes: 'pixels' | [number, number] | null; dims: number; reached: number }[];
  /** Exact distances computed, those of the seeds that set the thresholds included. */
  exact: number;
}

export interface PyramidNeighbors extends Neighbors {
  stats: PyramidStats;
}

/**
 * Builds the levels of u8 training rows already in wasm memory: for squared L2 over
 * PROJECTION_MIN_COLS to MAX_PROJECTION_COLS columns and PROJECTION_MIN_ROWS training rows
 * (options.minProjectionRows: tests change it), projection levels on the pixels' principal axes
 * (pyramid-projection.ts); otherwise block sums that follow `shape` when given (H x W x C = cols),
 * else runs of consecutive features, the coarsest replaced for squared L2 by a projection on the
 * axes of the finest sums (blockLevels; options.sharedAxes: those a build before found, reused, or
 * left there). The finest levels are left out while the pyramid would exceed PYRAMID_MEMORY_SHARE
 * of the stored rows' bytes.
 */
export async function buildPyramid(t: StoredRows, shape: Shape | null, metric: PyramidMetric, options: { minProjectionRows?: number; sharedAxes?: SharedAxes } = {}): Promise<Pyramid> {
  const c = t.core, exec = executorOf(c), kernels = pyramidKernels(c);
  const geometry = shape === null ? [1, t.cols, 1] as Shape : checkShape(shape, t.cols);
  return c.scopedAsync(async (scope) => {
    const dims = metric === 'l2' && t.rows >= (options.minProjectionRows ?? PROJECTION_MIN_ROWS) ? projectionDims(t) : [];
    const { levels, projection } = dims.length > 0 ? projectionLevels(await buildProjection(t, scope, dims), []) : await blockLevels(t, scope, geometry, metric, options.sharedAxes);
    const blocks = (n: number): number[] => (levels.length === 0 ? [] : [...levels.map((level, l) => levelBytes(c, level, l, n)), byteSize('a pyramid order', n, 4), ...GROUP_SPANS.map((span) => kernels.pyramidGroupBoxesBytes(n, levels[0]!.desc, span))]);
    const norms = (n: number): number[] => levels.map((level, l) => (hasNorms(c, level, l, metric) ? byteSize('pyramid row norms', n, 4) : 0));
    const bytes = t.chunks.reduce((sum, chunk) => sum + [...blocks(chunk.rows), ...norms(chunk.rows)].reduce((a, b) => a + b, 0), projection === null ? 0 : projectionBytes(t, projection.levels.map((level) => level.dims), projection.sumBytes));
    c.checkFits(bytes, 'the pyramid');
    const chunkLevels = t.chunks.map((chunk) => blocks(chunk.rows).map((size) => scope.alloc(size, 'a pyramid level')));
    const chunkNorms = t.chunks.map((chunk) => norms(chunk.rows).map((size) => (size === 0 ? 0 : scope.alloc(size, 'pyramid row norms'))));
    const p: Pyramid = { rows: t, shape: geometry, levels, projection, chunkLevels, chunkNorms, bytes };
    if (levels.length > 0) {
      const first = levels[0]!;
      // Each chunk's rows in as many parts as there are lanes, so one big chunk keeps every worker busy.
      const parts = t.chunks.flatMap((chunk, i) => {
        const size = Math.ceil(chunk.rows / exec.lanes);
        return Array.from({ length: Math.ceil(chunk.rows / size) }, (_, part) => ({ i, from: part * size, to: Math.min(chunk.rows, (part + 1) * size) }));
      });
      // The coarsest level in row order gives the chunk's order; then every level follows it.
      await c.scopedAsync(async (temp) => {
        const rowSums = t.chunks.map((chunk) => temp.alloc(byteSize('a pyramid level', chunk.rows, first.rowBytes), 'a pyramid level'));
        const scratch = parts.map(() => temp.alloc(levelRowsScratchBytes(t), 'pyramid scratch'));
        // The finest level first, in row order, when the others come from it: projection levels alone share
        // their coefficients (every level copies a prefix of the finest); axes of block sums project the sums.
        const finest = levels[levels.length - 1]!;
        const source = !prefixLevels(p) && !sumsFirst(p) ? null : t.chunks.map((chunk) => temp.alloc(byteSize('a pyramid level', chunk.rows, finest.rowBytes), 'a pyramid level'));
        // Rows from..to of chunk i's level: of images from..to (row order), or of images order[from..to].
        const copyRows = (i: number, from: number, to: number, level: PyramidLevel, out: number, order: number): KernelCall => {
          const src = source![i]! + (order === 0 ? from * finest.rowBytes : 0);
          return ['pyramidPrefixRows', src, finest.rowBytes, to - from, out + from * level.rowBytes, level.rowBytes, order === 0 ? 0 : order + from * 4];
        };
        await forEachInLanes([...parts.keys()], exec.lanes, async (part) => {
          const { i, from, to } = parts[part]!, x = t.chunks[i]!.ptr + from * t.stride, firstRows = rowSums[i]! + from * first.rowBytes;
          if (source === null) await exec.run([levelRowsCall(p, first, x, to - from, firstRows, 0, scratch[part]!)]);
          else {
            const fine = source[i]! + from * finest.rowBytes;
            await exec.run([levelRowsCall(p, finest, x, to - from, fine, 0, scratch[part]!), sumsFirst(p) ? projectSumsCall(p, first, fine, to - from, firstRows, scratch[part]!) : copyRows(i, from, to, first, rowSums[i]!, 0)]);
          }
        }, undefined, 'the pyramid build');
        await forEachInLanes([...t.chunks.keys()], exec.lanes, async (i) => {
          await exec.run([['pyramidGroupOrder', rowSums[i]!, t.chunks[i]!.rows, first.desc, chunkLevels[i]![levels.length]!]]);
        }, undefined, 'the pyramid build');
        await forEachInLanes([...parts.keys()], exec.lanes, async (part) => {
          const { i, from, to } = parts[part]!, chunk = t.chunks[i]!, out = chunkLevels[i]!, order = out[levels.length]!;
          await exec.run([
            // Whole-chunk layouts, once per chunk.
            ...(from === 0 ? [['pyramidColumnsU8', rowSums[i]!, chunk.rows, first.desc, out[0]!, order], ...GROUP_SPANS.map((span, b): KernelCall => ['pyramidGroupBoxesU8', rowSums[i]!, chunk.rows, first.desc, out[levels.length + 1 + b]!, order, span])] as KernelCall[] : []),
            ...levels.slice(1).map((level, l) => (source === null ? levelRowsCall(p, level, chunk.ptr, to - from, out[l + 1]! + from * level.rowBytes, order + from * 4, scratch[part]!) : copyRows(i, from, to, level, out[l + 1]!, order))),
            ...levels.flatMap((level, l): KernelCall[] => (chunkNorms[i]![l] === 0 ? [] : [['pyramidRowNorms', out[l]! + from * level.rowBytes, to - from, level.desc, chunkNorms[i]![l]! + from * 4]])),
          ]);
        }, undefined, 'the pyramid build');
      });
    }
    for (const ptr of [...chunkLevels.flat(), ...chunkNorms.flat()]) if (ptr !== 0) scope.keep(ptr);
    for (const level of levels) scope.keep(level.desc);
    for (const ptr of projectionBlocks(projection)) scope.keep(ptr);
    return p;
  });
}

// Rows per group box: groups of 8 rows, and super-groups of 8 groups (twin of SUPER_ROWS in assembly/pyramid.ts).
const GROUP_SPANS = [8, 64];

/**
 * The levels of a projection, then the given block levels; with levels of block sums after it, the
 * projection's only level replaces the coarsest of them (blockLevels).
 */
function projectionLevels(projection: Projection, finer: PyramidLevel[]): { levels: PyramidLevel[]; projection: Projection } {
  return { levels: [...projection.levels.map(({ dims: d, rowBytes, desc }) => ({ block: null, axes: projection.axes, dims: d, rowBytes, desc })), ...finer], projection };
}

/**
 * Block-sum levels (fitLevels); for squared L2 over PROJECTION_MIN_COLS to MAX_PROJECTION_COLS
 * columns, the coarsest of them replaced by BLOCK_AXES_DIMS coefficients on the principal axes of
 * the finest level's sums (AxesSource), which bound tighter for the same bytes. On Fashion-MNIST,
 * 8,000 training rows, 2,000 queries, k = 20, one thread: the coarsest level bounded 27.8% of the
 * pairs against 46.1% for 7x7 sums, the 2x2 level 11.8% against 26.2%; search 133-151 ms against
 * 205-218, build 19-20 ms against 13-14. Without room for the projection's rows and weights within
 * PYRAMID_MEMORY_SHARE, the block levels alone (the scope frees the projection).
 */
async function blockLevels(t: StoredRows, scope: Scope, shape: Shape, metric: PyramidMetric, shared: SharedAxes | undefined): Promise<{ levels: PyramidLevel[]; projection: Projection | null }> {
  const levels = fitLevels(t.core, scope, shape, t.stride, metric);
  const finest = levels[levels.length - 1];
  if (metric !== 'l2' || levels.length < 2 || finest!.dims <= BLOCK_AXES_DIMS || t.cols < PROJECTION_MIN_COLS || t.cols > MAX_PROJECTION_COLS) return { levels, projection: null };
  const projection = await buildProjection(t, scope, [BLOCK_AXES_DIMS], { of: 'blocks', shape, block: finest!.block!, desc: finest!.desc, rowBytes: finest!.rowBytes, shared });
  const mixed = projectionLevels(projection, levels.slice(1));
  const perRow = bytesPerRow(mixed.levels.map((level) => level.rowBytes), normedLevels(t.core, mixed.levels, metric)) + projectionBytes(t, [BLOCK_AXES_DIMS], finest!.rowBytes) / t.rows;
  return perRow <= PYRAMID_MEMORY_SHARE * t.stride ? mixed : { levels, projection: null };
}

// Coefficients of the projection level that replaces the coarsest block sums: on Fashion-MNIST
// (8,000 training rows, 2,000 queries, k = 20, one thread) 16 searched in 133-143 ms, 12 in 149,
// 24 in 148, 32 in 151; [16, 32] and [16, 64] coefficients before the 2x2 sums in 150 and 162.
const BLOCK_AXES_DIMS = 16;

/** Whether every level is a projection level, so a prefix of the finest one. */
function prefixLevels(p: Pyramid): boolean {
  return p.levels.length > 0 && p.levels[p.levels.length - 1]!.block === null;
}

// Projection levels need this many columns; fewer are bounded by block sums.
const PROJECTION_MIN_COLS = 32;
// ... and this many training rows for the pixels' axes, below which the axes of the 2x2 sums bound
// first (blockLevels). The pixels' axes cost about 0.4 s to find whatever the rows (a 784-column
// sample), and search faster. On Fashion-MNIST, one thread, k = 20, 2,000 queries, build + search:
// 16,384 rows 331 + 182 ms against 46 + 218 for the axes of the 2x2 sums, 32,768 rows 411 + 301
// against 80 + 378, 45,000 rows 460 + 376 against 106 + 485; 60,000 rows, k = 5, 1,000 queries
// (the search scales with the queries): 635 + 165 against 162 + 218.
const PROJECTION_MIN_ROWS = 32768;

/** Bytes of scratch a levelRowsCall may use: pyramidSumsU8's, or pyramidProjectU8's 4 coefficients of 2 rows. */
function levelRowsScratchBytes(t: StoredRows): number {
  return Math.max(32, pyramidKernels(t.core).pyramidSumsScratchBytes(t.cols));
}

/**
 * The coefficients of a squared-L2 pyramid's projection levels (PROJECTION_DIMS clipped to the
 * columns, finest dropped to fit PYRAMID_MEMORY_SHARE), or none: too few or too many columns, or
 * not even the coarsest fits.
 */
function projectionDims(t: StoredRows): number[] {
  if (t.cols < PROJECTION_MIN_COLS || t.cols > MAX_PROJECTION_COLS) return [];
  const dims = [...new Set(PROJECTION_DIMS.map((d) => Math.min(d, t.cols)))];
  // Level rows of d u16 coefficients, padded to 8 (pyramidDescribeProjection).
  const rowBytes = (d: number) => Math.ceil(d / 8) * 16;
  const total = (kept: number[]) => t.rows * bytesPerRow(kept.map(rowBytes)) + projectionBytes(t, kept);
  while (dims.length > 0 && total(dims) > PYRAMID_MEMORY_SHARE * t.rows * t.stride) dims.pop();
  return dims;
}

/**
 * Pyramid bytes per training row for levels whose rows take `rowBytes` (coarse to fine): a row of
 * each level and, with any level, the row's place in the order (an i32), its share of the group
 * boxes (two coarsest level rows per group of each span) and an i32 norm per level that has them
 * (`normed` of them: squared L2 levels of block sums but the first).
 */
function bytesPerRow(rowBytes: number[], normed = 0): number {
  if (rowBytes.length === 0) return 0;
  return rowBytes.reduce((sum, b) => sum + b, 0) + 4 + 4 * normed + GROUP_SPANS.reduce((sum, span) => sum + (2 * rowBytes[0]!) / span, 0);
}

/** The blocks of a projection's own: its weights (and at the slots of block sums) and offsets (its level descriptors count as levels). */
function projectionBlocks(projection: Projection | null): number[] {
  return projection === null ? [] : [projection.weights, projection.offsets, ...(projection.sumWeights === 0 ? [] : [projection.sumWeights])];
}

/** Bytes of a projection's weights and offsets for levels of `dims` coefficients, with its weights at the slots of level rows of `sumBytes` (axes of block sums). */
function projectionBytes(t: StoredRows, dims: number[], sumBytes = 0): number {
  const m = dims[dims.length - 1]!;
  return m * t.stride * 2 + m * sumBytes + m * 4;
}

/** Whether the first level projects the finest level's block sums (axes of block sums, pyramidProjectSums): the build and the queries sum the blocks first. */
function sumsFirst(p: Pyramid): boolean {
  return p.projection !== null && p.projection.sumWeights !== 0;
}

/** The kernel call that writes the first level's rows of `rows` level rows of the finest level's sums at `sums` (sumsFirst). */
function projectSumsCall(p: Pyramid, level: PyramidLevel, sums: number, rows: number, out: number, scratch: number): KernelCall {
  const projection = p.projection!;
  return ['pyramidProjectSums', sums, rows, projection.sumBytes, projection.sumWeights, level.dims, projection.offsets, projection.delta, out, level.rowBytes, scratch];
}

/** The kernel call that writes the level rows of `rows` u8 rows at x (rows of the set's stride) to out, image order[r] for row r when order is not 0. */
function levelRowsCall(p: Pyramid, level: PyramidLevel, x: number, rows: number, out: number, order: number, scratch: number): KernelCall {
  const stride = p.rows.stride, projection = p.projection;
  if (level.block !== null || projection === null) return ['pyramidSumsU8', x, rows, stride, level.desc, out, order, scratch];
  return ['pyramidProjectU8', x, rows, stride, projection.weights, level.dims, projection.offsets, projection.delta, out, level.rowBytes, order, scratch];
}

/** Bytes of level l (the first in columns, the others in rows) for a chunk of n rows. */
function levelBytes(c: Core, level: PyramidLevel, l: number, n: number): number {
  return l === 0 ? pyramidKernels(c).pyramidColumnsBytes(n, level.desc) : byteSize('a pyramid level', n, level.rowBytes);
}

/** Frees the pyramid's levels (not the training rows: their owner frees them). */
export function freePyramid(p: Pyramid): void {
  const c = p.rows.core;
  for (const ptr of [...p.chunkLevels.flat(), ...p.chunkNorms.flat()]) if (ptr !== 0) c.free(ptr);
  for (const level of p.levels) c.free(level.desc);
  for (const ptr of projectionBlocks(p.projection)) c.free(ptr);
  p.chunkLevels = [];
  p.chunkNorms = [];
  p.levels = [];
  p.projection = null;
}

function checkShape(shape: Shape, cols: number): Shape {
  const ok = Array.isArray(shape) && shape.length === 3 && shape.every((v) => Number.isSafeInteger(v) && v >= 1);
  if (!ok) throw new ArgumentRangeError(`Expected shape to be [height, width, channels] of positive integers, got ${JSON.stringify(shape)}`);
  if (shape[0] * shape[1] * shape[2] !== cols) throw new ArgumentRangeError(`Expected shape ${JSON.stringify(shape)} to have ${cols} values like the rows, got ${shape[0] * shape[1] * shape[2]}`);
  return shape;
}

/** The levels' blocks, coarse to fine, then described in wasm; finest levels dropped to fit the memory share. */
function fitLevels(c: Core, scope: Scope, shape: Shape, stride: number, metric: PyramidMetric): PyramidLevel[] {
  const kernels = pyramidKernels(c);
  const levels = levelBlocks(shape).map((block) => {
    const desc = scope.alloc(kernels.pyramidDescBytes(), 'a pyramid level descriptor');
    const rowBytes = kernels.pyramidDescribeLevel(shape[0], shape[1], shape[2], block[0], block[1], desc);
    return { block, axes: null, dims: Math.ceil(shape[0] / block[0]) * Math.ceil(shape[1] / block[1]) * shape[2], rowBytes, desc };
  });
  while (bytesPerRow(levels.map((level) => level.rowBytes), normedLevels(c, levels, metric)) > PYRAMID_MEMORY_SHARE * stride) levels.pop();
  return levels;
}

/** Whether level l keeps its rows' norms (pyramidRowNorms): squared L2 levels of block sums refined after the first, whose refinement reads them. */
function hasNorms(c: Core, level: PyramidLevel, l: number, metric: PyramidMetric): boolean {
  return metric === 'l2' && l > 0 && level.block !== null && pyramidKernels(c).pyramidNormedLevel(level.desc) !== 0;
}

/** How many of the levels keep their rows' norms. */
function normedLevels(c: Core, levels: PyramidLevel[], metric: PyramidMetric): number {
  return levels.filter((level, l) => hasNorms(c, level, l, metric)).length;
}

/**
 * Blocks coarse to fine: about 4 x 4 blocks over the image, then 2 x 2 pixels (for an image
 * without a shape, H = 1: runs of about cols / 16, then of 4 features). Blocks are clipped to the
 * image; a block no smaller than a coarser one is left out, and so is a single pixel. A middle level
 * of 4 x 4 pixels (runs of 16) cost more than it saved: on Fashion-MNIST, one thread, medians of 7
 * interleaved searches of 1,000 queries, L1 293 ms with two levels against 310 with three, L2 525
 * against 542, without a shape 385 against 425; cross-validation (10,000 rows, ks 1..20) L1 0.97 s
 * against 1.09, L2 1.61 s against 1.76.
 */
export function levelBlocks(shape: Shape): [number, number][] {
  const [h, w] = shape;
  const sides = h === 1 ? [Math.min(MAX_BLOCK_PIXELS, Math.ceil(w / 16)), 4].map((s) => [1, s]) : [Math.min(MAX_BLOCK_SIDE, Math.ceil(Math.max(h, w) / 4)), 2].map((s) => [s, s]);
  const blocks: [number, number][] = [];
  for (const [bh, bw] of sides) {
    const block: [number, number] = [Math.min(bh!, h), Math.min(bw!, w)];
    const pixels = block[0] * block[1];
    if (pixels < 2 || pixels > MAX_BLOCK_PIXELS) continue;
    if (blocks.some((b) => b[0] * b[1] <= pixels)) continue;
    blocks.push(block);
  }
  return blocks;
}

/**
 * The k nearest training rows of each row of x (u8, cols like the training rows), exactly as
 * searchNeighbors finds them: ascending distance, equal distances by lower index; distances are
 * L1, or Euclidean L2, as f32. Batches of queries are spread over the executor's lanes: a lane
 * runs a batch's whole search (level sums, then pyramidSearchChunk per chunk) in one call.
 */
export async function searchPyramid(p: Pyramid, x: Matrix, k: number, metric: PyramidMetric, options: { onProgress?: ((done: number, total: number) => void) | undefined; signal?: AbortSignal | undefined } = {}): Promise<PyramidNeighbors> {
  const t = p.rows, c = t.core, exec = executorOf(c);
  if (!(x.data instanceof Uint8Array)) throw new ArgumentTypeError(`Expected X.data to be a Uint8Array for a pyramid search, got ${x.data.constructor.name}`);
  if (x.rows > 0 && x.cols !== t.cols) throw new ArgumentRangeError(`Expected X to have ${t.cols} columns like the training data, got ${x.cols}`);
  if (!Number.isSafeInteger(k) || k < 1 || k > t.rows) throw new ArgumentRangeError(`Expected k to be an integer in [1, ${t.rows}], got ${k}`);
  if (p.projection !== null && metric !== 'l2') throw new ArgumentRangeError(`Expected metric 'l2' for a pyramid of projection levels (they bound squared L2 only), got ${JSON.stringify(metric)}`);
  const m = x.rows, levels = p.levels.length;
  const indices = new Int32Array(byteSize('neighbour indices', m, k, 4) / 4);
  const distances = new Float32Array(m * k);
  const stats: PyramidStats = { queries: m, rows: t.rows, levels: p.levels.map((level) => ({ block: level.block, axes: level.axes, dims: level.dims, reached: 0 })), exact: 0 };
  if (m === 0) return { indices, distances, k, stats };
  const seeds = k + SEED_EXTRA;
  let widest = 8;
  for (const chunk of t.chunks) widest = Math.max(widest, chunk.rows);
  // Column bounds write whole groups of 8 rows.
  const listPitch = byteSize('pyramid survivors', Math.ceil(widest / 8) * 8, 4);
  // Every lane gets a batch, even for few queries.
  const batch = Math.min(Math.ceil(m / exec.lanes), Math.max(MIN_BATCH, Math.min(MAX_BATCH, Math.floor(MAX_BATCH_LIST_BYTES / listPitch))));
  const firsts = Array.from({ length: Math.ceil(m / batch) }, (_, i) => i * batch);
  let done = 0;
  await c.scopedAsync(async (scope) => {
    const order = firsts.length > 1 && levels > 0 ? await similarQueriesFirst(p, x, batch, options.signal) : null;
    // Each chunk's level rows, one pointer per level, then its order and group boxes (zeros without levels), then per level its rows' norms or 0, for pyramidSearchChunk.
    const levelTables = p.chunkLevels.map((blocks, i) => {
      const table = scope.alloc(byteSize('pyramid level table', 2 * levels + 1 + GROUP_SPANS.length, 4), 'pyramid level table');
      c.i32.set([...(levels > 0 ? blocks : [0, ...GROUP_SPANS.map(() => 0)]), ...p.chunkNorms[i]!].map((ptr) => ptr | 0), table >>> 2);
      return table;
    });
    const lanes = Array.from({ length: Math.min(exec.lanes, firsts.length) }, () => allocLane(c, scope, p, batch, k, seeds, listPitch, widest, metric));
    await forEachInLanes(firsts, lanes.length, async (first, laneIndex) => {
      const lane = lanes[laneIndex]!, size = Math.min(batch, m - first);
      if (order === null) writeRows(c, x, first, size, lane.q, t.stride);
      else writeRowsInOrder(c, x, order, first, size, lane.q, t.stride);
      c.i32[(lane.frame >>> 2) + F_SIZE] = size;
      c.f64.fill(0, lane.stats >>> 3, (lane.stats >>> 3) + 1 + levels);
      const calls = queryLevelCalls(p, lane, size);
      calls.push(['pyramidResetTopk', lane.dist, lane.idx, size * k], ['pyramidResetTopk', lane.seedDist, lane.seedIdx, size * k]);
      t.chunks.forEach((chunk, i) => calls.push(['pyramidSearchChunk', lane.frame, chunk.ptr, chunk.first, chunk.rows, levelTables[i]!]));
      for (let j = 0; j < size; j++) calls.push(['pyramidFinishTopk', lane.dist + j * k * 4, lane.idx + j * k * 4, k]);
      await exec.run(calls);
      const d = lane.dist >>> 2, ix = lane.idx >>> 2, finish = METRICS[metric].finish;
      for (let j = 0; j < size; j++) {
        const at = (order === null ? first + j : order[first + j]!) * k, from = j * k;
        indices.set(c.i32.subarray(ix + from, ix + from + k), at);
        for (let i = 0; i < k; i++) distances[at + i] = finish(c.i32[d + from + i]!);
      }
      const counters = c.f64.subarray(lane.stats >>> 3, (lane.stats >>> 3) + 1 + levels);
      stats.exact += counters[0]!;
      stats.levels.forEach((level, l) => { level.reached += counters[1 + l]!; });
      done += size;
      options.onProgress?.(done, m);
    }, options.signal, 'kneighbors');
  });
  return { indices, distances, k, stats };
}

/**
 * The queries in an order where similar ones follow each other (pyramidGroupOrder of their
 * coarsest level rows), so that the queries of a batch bound and compute mostly the same training
 * rows, which then stay in cache: each query's neighbours are unchanged, only the order of the
 * searches. On Fashion-MNIST, one thread, 10,000 queries, L1 search 1.86-1.99 s -> 1.52-1.73 s;
 * 1,000 queries, medians of 3 interleaved processes: L1 197-213 ms -> 170-176, L2 200-206 -> 182-188.
 */
async function similarQueriesFirst(p: Pyramid, x: Matrix, batch: number, signal: AbortSignal | undefined): Promise<Int32Array> {
  const t = p.rows, c = t.core, exec = executorOf(c), m = x.rows, first = p.levels[0]!, span = Math.min(m, SIMILAR_QUERIES_SPAN);
  const queryOrder = new Int32Array(m);
  await c.scopedAsync(async (temp) => {
    const q = temp.alloc(byteSize('query rows', batch, t.stride), 'query rows'), scratch = temp.alloc(levelRowsScratchBytes(t), 'pyramid scratch');
    const rows = temp.alloc(byteSize('query levels', span, first.rowBytes), 'query levels'), order = temp.alloc(byteSize('a query order', span, 4), 'a query order');
    // sumsFirst: the finest level's sums of a batch, which the first level projects.
    const finest = p.levels[p.levels.length - 1]!, sums = sumsFirst(p) ? temp.alloc(byteSize('query levels', batch, finest.rowBytes), 'query levels') : 0;
    for (let start = 0; start < m; start += span) {
      const n = Math.min(span, m - start);
      for (let from = 0; from < n; from += batch) {
        const size = Math.min(batch, n - from);
        checkAborted(signal, 'kneighbors');
        writeRows(c, x, start + from, size, q, t.stride);
        const out = rows + from * first.rowBytes;
        await exec.run(sums === 0 ? [levelRowsCall(p, first, q, size, out, 0, scratch)] : [levelRowsCall(p, finest, q, size, sums, 0, scratch), projectSumsCall(p, first, sums, size, out, scratch)]);
      }
      await exec.run([['pyramidGroupOrder', rows, n, first.desc, order]]);
      for (let i = 0; i < n; i++) queryOrder[start + i] = start + c.i32[(order >>> 2) + i]!;
    }
  });
  return queryOrder;
}

// similarQueriesFirst orders the queries this many at a time, so that its level rows stay small (2 MiB at 32 bytes a row).
const SIMILAR_QUERIES_SPAN = 65536;

/**
 * The kernel calls that write the level rows of a lane's `size` queries, each level's (and the
 * norms of those whose training rows have them), or the finest projection level and its prefixes.
 */
function queryLevelCalls(p: Pyramid, lane: Lane, size: number): KernelCall[] {
  if (!prefixLevels(p)) {
    const last = p.levels.length - 1;
    // With sumsFirst the first level projects the finest's sums: the finer levels come first.
    const levels = sumsFirst(p) ? [...p.levels.keys()].slice(1).concat(0) : [...p.levels.keys()];
    return levels.flatMap((l): KernelCall[] => {
      const level = p.levels[l]!;
      return [
        l === 0 && sumsFirst(p) ? projectSumsCall(p, level, lane.qLevels[last]!, size, lane.qLevels[0]!, lane.scratch) : levelRowsCall(p, level, lane.q, size, lane.qLevels[l]!, 0, lane.scratch),
        ...(p.chunkNorms[0]?.[l] ? [['pyramidRowNorms', lane.qLevels[l]!, size, level.desc, lane.qNorms[l]!] as KernelCall] : []),
      ];
    });
  }
  const last = p.levels.length - 1, finest = p.levels[last]!;
  return [
    levelRowsCall(p, finest, lane.q, size, lane.qLevels[last]!, 0, lane.scratch),
    ...p.levels.slice(0, last).map((level, l): KernelCall => ['pyramidPrefixRows', lane.qLevels[last]!, finest.rowBytes, size, lane.qLevels[l]!, level.rowBytes, 0]),
  ];
}

// Words of the search frame that change per call; twin of F_SIZE in assembly/pyramid.ts.
const F_SIZE = 3;

/** A lane's blocks: its batch of queries and their level rows, the search state, and the frame that names them for pyramidSearchChunk. */
interface Lane {
  q: number;
  qLevels: number[];
  /** Per level, the norms of the query level rows (pyramidRowNorms), where the training rows have them. */
  qNorms: number[];
  dist: number;
  idx: number;
  seedDist: number;
  seedIdx: number;
  frame: number;
  /** f64 counters: exact distances, then each level's (query, row) pairs. */
  stats: number;
  /** levelRowsScratchBytes for the query level rows. */
  scratch: number;
}

function allocLane(c: Core, scope: Scope, p: Pyramid, batch: number, k: number, seeds: number, listPitch: number, widest: number, metric: PyramidMetric): Lane {
  const t = p.rows, kernels = pyramidKernels(c), levels = p.levels.length;
  const block = (what: string, ...sizes: number[]): number => scope.alloc(byteSize(what, ...sizes), what);
  const lane: Lane = {
    q: block('query rows', batch, t.stride),
    qLevels: p.levels.map((level) => block('query levels', batch, level.rowBytes)),
    qNorms: p.levels.map(() => block('query norms', batch, 4)),
    dist: block('neighbour distances', batch, k, 4), idx: block('neighbour indices', batch, k, 4),
    seedDist: block('seed distances', batch, k, 4), seedIdx: block('seed indices', batch, k, 4),
    frame: scope.alloc(kernels.pyramidFrameBytes(levels), 'pyramid search frame'),
    stats: block('pyramid stats', 1 + levels, 8),
    scratch: scope.alloc(levelRowsScratchBytes(t), 'pyramid scratch'),
  };
  // The frame, in the word order of assembly/pyramid.ts (F_METRIC ... F_LEVELS, F_GROUP_SCRATCH, F_SEEN, F_SEEN_PITCH, then per level).
  const words = [
    METRICS[metric].code, lane.q, t.stride, batch, k, seeds, REFINE_SEEDS,
    block('pyramid bounds', batch, listPitch), block('pyramid survivors', batch, listPitch), listPitch,
    block('pyramid survivor counts', batch, 4), block('pyramid thresholds', batch, 4), lane.dist, lane.idx, lane.seedDist, lane.seedIdx,
    scope.alloc(kernels.pyramidSeedScratchBytes(Math.max(seeds, REFINE_SEEDS)), 'pyramid scratch'),
    scope.alloc(kernels.pyramidBatchScratchBytes(batch), 'pyramid scratch'), lane.stats, levels,
    levels > 0 ? scope.alloc(kernels.pyramidGroupScratchBytes(widest), 'pyramid scratch') : 0,
    block('pyramid seen bitmaps', batch, kernels.pyramidSeenPitch(widest)), kernels.pyramidSeenPitch(widest),
    ...p.levels.flatMap((level, l) => [lane.qLevels[l]!, level.rowBytes, level.desc, lane.qNorms[l]!]),
  ];
  c.i32.set(words.map((w) => w | 0), lane.frame >>> 2);
  return lane;
}

// Exact kNN over block-sum pyramids (assembly/pyramid.ts), in the calling thread: the same
// neighbours and distances as searchNeighbors (exec/knn.ts), ties included, from a few percent of
// the distances. Per query and chunk of training rows: bound every row at the coarsest level, take a
// threshold tau from the exact distances of a few rows with the smallest bounds, keep the rows
// whose bound is at most tau, refine them level by level (tightening tau the same way after each),
// then compute exact distances for the rest in index order while the top-k (and with it tau)
// improves. A row is dropped only when a lower bound of its distance exceeds tau strictly, and
// tau is always the k-th smallest distance of some k distinct rows: never below the true k-th.
import { ArgumentRangeError, ArgumentTypeError } from '../errors.js';
import type { Matrix } from '../matrix.js';
import { byteSize, type Core, type Scope } from '../runtime.js';
import { writeRows, type RowChunk } from '../layout.js';
import type { Neighbors } from './knn.js';
import { METRICS } from './metric.js';

/** The metrics block sums bound: L1 and L2 over u8 pixels. */
export type PyramidMetric = 'l1' | 'l2';

/** Image shape [height, width, channels], pixels in HWC order (channels last). */
export type Shape = [number, number, number];

/** The pyramid exports of the wasm core (assembly/pyramid.ts); pointers and sizes only. */
export interface PyramidKernels {
  pyramidDescBytes(): number;
  pyramidDescribeLevel(h: number, w: number, c: number, bh: number, bw: number, desc: number): number;
  pyramidSumsU8(x: number, rows: number, stride: number, desc: number, out: number): void;
  pyramidColumnsBytes(n: number, desc: number): number;
  pyramidColumnsU8(rows: number, n: number, desc: number, out: number): void;
  pyramidColumnBoundsU8(metric: number, q: number, cols: number, n: number, desc: number, out: number): void;
  pyramidBatchScratchBytes(batch: number): number;
  pyramidRefineU8(metric: number, q: number, t: number, desc: number, batch: number, lists: number, bounds: number, listPitch: number, counts: number, taus: number, scratch: number): void;
  pyramidSurvivors(bounds: number, n: number, tau: number, list: number): number;
  pyramidSeedScratchBytes(seeds: number): number;
  pyramidSeedU8(metric: number, q: number, t: number, stride: number, first: number, list: number, bounds: number, count: number, seeds: number, seedDist: number, seedIdx: number, k: number, scratch: number): number;
  pyramidThreshold(seedDist: number, dist: number, k: number): number;
  pyramidExactU8(metric: number, q: number, t: number, stride: number, batch: number, lists: number, bounds: number, listPitch: number, counts: number, taus: number, first: number, dist: number, idx: number, k: number, scratch: number): number;
  pyramidResetTopk(dist: number, idx: number, k: number): void;
  pyramidFinishTopk(dist: number, idx: number, k: number): void;
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

// Seed rows beyond k whose exact distances give the first threshold: a tighter tau for a few distances more.
const SEED_EXTRA = 64;

// Seed rows after each refinement: the smallest bounds of a finer level find closer rows.
const REFINE_SEEDS = 32;

// Queries whose levels are built per kernel call.
const QUERY_BLOCK = 256;

// Queries refined together, window by window of training rows (see windowRows in assembly/pyramid.ts).
const BATCH = 16;

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
  /** Block height and width in pixels (edge blocks may be smaller). */
  block: [number, number];
  /** Bytes of one level row: u16 block sums, each class of equal-sized blocks padded to 8. */
  rowBytes: number;
  /** The level descriptor in wasm memory (pyramidDescribeLevel). */
  desc: number;
}

/**
 * Block-sum levels, coarse to fine, for every chunk of a stored u8 training set. The coarsest
 * level, only ever bounded for all rows at once, is stored in columns (pyramidColumnsU8); the
 * others in rows, for the survivor lists.
 */
export interface Pyramid {
  rows: StoredRows;
  /** The image shape the blocks follow; [1, cols, 1] (runs of consecutive features) when none was given. */
  shape: Shape;
  levels: PyramidLevel[];
  /** chunkLevels[chunk][level]: the level rows of that chunk of training rows. */
  chunkLevels: number[][];
  /** Bytes of the levels: at most PYRAMID_MEMORY_SHARE of rows x stride (but for 8-row padding of the columns). */
  bytes: number;
}

/** What a search did: the work that the bounds saved is the gap to queries x rows exact distances. */
export interface PyramidStats {
  queries: number;
  rows: number;
  /** Per level, coarse to fine: (query, row) pairs whose bound at that level was computed. */
  levels: { block: [number, number]; reached: number }[];
  /** Exact distances computed, those of the seeds that set the thresholds included. */
  exact: number;
}

export interface PyramidNeighbors extends Neighbors {
  stats: PyramidStats;
}

/**
 * Builds the block-sum levels of u8 training rows already in wasm memory. Blocks follow `shape`
 * when given (H x W x C = cols), else runs of consecutive features. The finest levels are left
 * out while the pyramid would exceed PYRAMID_MEMORY_SHARE of the stored rows' bytes.
 */
export function buildPyramid(t: StoredRows, shape: Shape | null = null): Pyramid {
  const c = t.core;
  const geometry = shape === null ? [1, t.cols, 1] as Shape : checkShape(shape, t.cols);
  return c.scoped((scope) => {
    const levels = fitLevels(c, scope, geometry, t.stride);
    const bytes = t.chunks.reduce((sum, chunk) => sum + levels.reduce((s, level, l) => s + levelBytes(c, level, l, chunk.rows), 0), 0);
    c.checkFits(bytes, 'the pyramid');
    const chunkLevels = t.chunks.map((chunk) => levels.map((level, l) => scope.keep(buildLevel(c, scope, chunk, t.stride, level, l))));
    for (const level of levels) scope.keep(level.desc);
    return { rows: t, shape: geometry, levels, chunkLevels, bytes };
  });
}

/** Bytes of level l (the first in columns, the others in rows) for a chunk of n rows. */
function levelBytes(c: Core, level: PyramidLevel, l: number, n: number): number {
  return l === 0 ? pyramidKernels(c).pyramidColumnsBytes(n, level.desc) : byteSize('a pyramid level', n, level.rowBytes);
}

/** Level l of a chunk of training rows, in a new block of the scope. */
function buildLevel(c: Core, scope: Scope, chunk: RowChunk, stride: number, level: PyramidLevel, l: number): number {
  const kernels = pyramidKernels(c);
  const out = scope.alloc(levelBytes(c, level, l, chunk.rows), 'a pyramid level');
  if (l > 0) {
    kernels.pyramidSumsU8(chunk.ptr, chunk.rows, stride, level.desc, out);
    return out;
  }
  c.scoped((rows) => {
    const sums = rows.alloc(byteSize('a pyramid level', chunk.rows, level.rowBytes), 'a pyramid level');
    kernels.pyramidSumsU8(chunk.ptr, chunk.rows, stride, level.desc, sums);
    kernels.pyramidColumnsU8(sums, chunk.rows, level.desc, out);
  });
  return out;
}

/** Frees the pyramid's levels (not the training rows: their owner frees them). */
export function freePyramid(p: Pyramid): void {
  const c = p.rows.core;
  for (const ptr of p.chunkLevels.flat()) c.free(ptr);
  for (const level of p.levels) c.free(level.desc);
  p.chunkLevels = [];
  p.levels = [];
}

function checkShape(shape: Shape, cols: number): Shape {
  const ok = Array.isArray(shape) && shape.length === 3 && shape.every((v) => Number.isSafeInteger(v) && v >= 1);
  if (!ok) throw new ArgumentRangeError(`Expected shape to be [height, width, channels] of positive integers, got ${JSON.stringify(shape)}`);
  if (shape[0] * shape[1] * shape[2] !== cols) throw new ArgumentRangeError(`Expected shape ${JSON.stringify(shape)} to have ${cols} values like the rows, got ${shape[0] * shape[1] * shape[2]}`);
  return shape;
}

/** The levels' blocks, coarse to fine, then described in wasm; finest levels dropped to fit the memory share. */
function fitLevels(c: Core, scope: Scope, shape: Shape, stride: number): PyramidLevel[] {
  const kernels = pyramidKernels(c);
  const levels = levelBlocks(shape).map((block) => {
    const desc = scope.alloc(kernels.pyramidDescBytes(), 'a pyramid level descriptor');
    const rowBytes = kernels.pyramidDescribeLevel(shape[0], shape[1], shape[2], block[0], block[1], desc);
    return { block, rowBytes, desc };
  });
  const budget = PYRAMID_MEMORY_SHARE * stride;
  while (levels.reduce((sum, level) => sum + level.rowBytes, 0) > budget) levels.pop();
  return levels;
}

/**
 * Blocks coarse to fine: about 4 x 4 blocks over the image, then 4 x 4 and 2 x 2 pixels (for an
 * image without a shape, H = 1: runs of about cols / 16, 16 and 4 features). Blocks are clipped
 * to the image; a block no smaller than a coarser one is left out, and so is a single pixel.
 */
export function levelBlocks(shape: Shape): [number, number][] {
  const [h, w] = shape;
  const sides = h === 1 ? [Math.min(MAX_BLOCK_PIXELS, Math.ceil(w / 16)), 16, 4].map((s) => [1, s]) : [Math.min(MAX_BLOCK_SIDE, Math.ceil(Math.max(h, w) / 4)), 4, 2].map((s) => [s, s]);
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

/** Pointers of the per-search buffers in wasm memory. */
interface SearchBuffers {
  /** Query rows of a block, and their level rows per level. */
  q: number;
  qLevels: number[];
  /** Per query of a batch, listPitch bytes apart: bounds, and the survivor list. */
  bounds: number;
  lists: number;
  listPitch: number;
  /** Per query of a batch: survivors, threshold, top-k state and seed state (k slots of distance and index each). */
  counts: number;
  taus: number;
  dist: number;
  idx: number;
  seedDist: number;
  seedIdx: number;
  seedScratch: number;
  batchScratch: number;
}

/**
 * The k nearest training rows of each row of x (u8, cols like the training rows), exactly as
 * searchNeighbors finds them: ascending distance, equal distances by lower index; distances are
 * L1, or Euclidean L2, as f32.
 */
export function searchPyramid(p: Pyramid, x: Matrix, k: number, metric: PyramidMetric, onProgress?: (done: number, total: number) => void): PyramidNeighbors {
  const t = p.rows, c = t.core, kernels = pyramidKernels(c);
  if (!(x.data instanceof Uint8Array)) throw new ArgumentTypeError(`Expected X.data to be a Uint8Array for a pyramid search, got ${x.data.constructor.name}`);
  if (x.rows > 0 && x.cols !== t.cols) throw new ArgumentRangeError(`Expected X to have ${t.cols} columns like the training data, got ${x.cols}`);
  if (!Number.isSafeInteger(k) || k < 1 || k > t.rows) throw new ArgumentRangeError(`Expected k to be an integer in [1, ${t.rows}], got ${k}`);
  const m = x.rows;
  const indices = new Int32Array(byteSize('neighbour indices', m, k, 4) / 4);
  const distances = new Float32Array(m * k);
  const stats: PyramidStats = { queries: m, rows: t.rows, levels: p.levels.map((level) => ({ block: level.block, reached: 0 })), exact: 0 };
  if (m === 0) return { indices, distances, k, stats };
  const block = Math.min(QUERY_BLOCK, m), batch = Math.min(BATCH, m);
  const code = METRICS[metric].code;
  const seeds = k + SEED_EXTRA;
  c.scoped((scope) => {
    // Column bounds write whole groups of 8 rows.
    const listPitch = byteSize('pyramid survivors', Math.ceil(Math.max(...t.chunks.map((chunk) => chunk.rows)) / 8) * 8, 4);
    const b: SearchBuffers = {
      q: scope.alloc(byteSize('query rows', block, t.stride), 'query rows'),
      qLevels: p.levels.map((level) => scope.alloc(byteSize('query levels', block, level.rowBytes), 'query levels')),
      bounds: scope.alloc(byteSize('pyramid bounds', batch, listPitch), 'pyramid bounds'),
      lists: scope.alloc(byteSize('pyramid survivors', batch, listPitch), 'pyramid survivors'),
      listPitch,
      counts: scope.alloc(byteSize('pyramid survivors', batch, 4), 'pyramid survivors'),
      taus: scope.alloc(byteSize('pyramid thresholds', batch, 4), 'pyramid thresholds'),
      dist: scope.alloc(byteSize('neighbour distances', batch, k, 4), 'neighbour distances'),
      idx: scope.alloc(byteSize('neighbour indices', batch, k, 4), 'neighbour indices'),
      seedDist: scope.alloc(byteSize('seed distances', batch, k, 4), 'seed distances'),
      seedIdx: scope.alloc(byteSize('seed indices', batch, k, 4), 'seed indices'),
      seedScratch: scope.alloc(kernels.pyramidSeedScratchBytes(Math.max(seeds, REFINE_SEEDS)), 'pyramid scratch'),
      batchScratch: scope.alloc(kernels.pyramidBatchScratchBytes(batch), 'pyramid scratch'),
    };
    for (let first = 0; first < m; first += block) {
      const count = Math.min(block, m - first);
      writeRows(c, x, first, count, b.q, t.stride);
      p.levels.forEach((level, l) => kernels.pyramidSumsU8(b.q, count, t.stride, level.desc, b.qLevels[l]!));
      for (let i = 0; i < count; i += batch) {
        const size = Math.min(batch, count - i);
        kernels.pyramidResetTopk(b.dist, b.idx, size * k);
        kernels.pyramidResetTopk(b.seedDist, b.seedIdx, size * k);
        for (let chunk = 0; chunk < t.chunks.length; chunk++) searchChunk(p, chunk, b, i, size, code, k, seeds, stats);
        for (let j = 0; j < size; j++) kernels.pyramidFinishTopk(b.dist + j * k * 4, b.idx + j * k * 4, k);
        const at = (first + i) * k, d = b.dist >>> 2, ix = b.idx >>> 2;
        indices.set(c.i32.subarray(ix, ix + size * k), at);
        for (let j = 0; j < size * k; j++) distances[at + j] = metric === 'l1' ? c.i32[d + j]! : Math.sqrt(c.i32[d + j]!);
      }
      onProgress?.(first + count, m);
    }
  });
  return { indices, distances, k, stats };
}

/** Merges one chunk's candidates for the `size` queries from query `first` of the block into their top-k states. */
function searchChunk(p: Pyramid, chunkIndex: number, b: SearchBuffers, first: number, size: number, code: number, k: number, seeds: number, stats: PyramidStats): void {
  const t = p.rows, c = t.core, kernels = pyramidKernels(c);
  const chunk = t.chunks[chunkIndex]!, levelRows = p.chunkLevels[chunkIndex]!, n = chunk.rows;
  for (let j = 0; j < size; j++) {
    const bounds = b.bounds + j * b.listPitch;
    if (p.levels.length > 0) kernels.pyramidColumnBoundsU8(code, b.qLevels[0]! + (first + j) * p.levels[0]!.rowBytes, levelRows[0]!, n, p.levels[0]!.desc, bounds);
    else c.i32.fill(0, bounds >>> 2, (bounds >>> 2) + n);
    const tau = seed(p, chunkIndex, b, first, j, 0, n, seeds, code, k, stats);
    c.i32[(b.counts >>> 2) + j] = kernels.pyramidSurvivors(bounds, n, tau, b.lists + j * b.listPitch);
  }
  if (p.levels.length > 0) stats.levels[0]!.reached += n * size;
  for (let l = 1; l < p.levels.length; l++) {
    for (let j = 0; j < size; j++) stats.levels[l]!.reached += c.i32[(b.counts >>> 2) + j]!;
    kernels.pyramidRefineU8(code, b.qLevels[l]! + first * p.levels[l]!.rowBytes, levelRows[l]!, p.levels[l]!.desc, size, b.lists, b.bounds, b.listPitch, b.counts, b.taus, b.batchScratch);
    for (let j = 0; j < size; j++) seed(p, chunkIndex, b, first, j, b.lists + j * b.listPitch, c.i32[(b.counts >>> 2) + j]!, REFINE_SEEDS, code, k, stats);
  }
  stats.exact += kernels.pyramidExactU8(code, b.q + first * t.stride, chunk.ptr, t.stride, size, b.lists, b.bounds, b.listPitch, b.counts, b.taus, chunk.first, b.dist, b.idx, k, b.batchScratch);
}

/**
 * Exact distances of query j's `seeds` candidates of smallest bound (the rows `list` holds, or
 * all rows when list is 0) into its seed state; sets and returns its threshold.
 */
function seed(p: Pyramid, chunkIndex: number, b: SearchBuffers, first: number, j: number, list: number, count: number, seeds: number, code: number, k: number, stats: PyramidStats): number {
  const t = p.rows, c = t.core, kernels = pyramidKernels(c), chunk = t.chunks[chunkIndex]!;
  const state = j * k * 4;
  stats.exact += kernels.pyramidSeedU8(code, b.q + (first + j) * t.stride, chunk.ptr, t.stride, chunk.first, list, b.bounds + j * b.listPitch, count, seeds, b.seedDist + state, b.seedIdx + state, k, b.seedScratch);
  const tau = kernels.pyramidThreshold(b.seedDist + state, b.dist + state, k);
  c.i32[(b.taus >>> 2) + j] = tau;
  return tau;
}

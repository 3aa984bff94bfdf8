// Drives the kNN kernels (assembly/knn.ts) over the training rows held in wasm memory: the rows
// live in chunks (wasm-rows.ts, so training sets up to the wasm32 limit fit), each query block is
// searched chunk by chunk, and the per-chunk top-k lists are merged.
import { ArgumentRangeError, ArgumentTypeError, OutOfMemoryError } from '../errors.js';
import { checkInt, describe, type Matrix } from '../matrix.js';
import { byteSize, formatBytes, type Core, type Scope } from '../runtime.js';
import { executorOf, forEachInLanes, type KernelCall } from './executor.js';
import { chunkRanges, panelPaddedRows, rowsPerChunk, storeRowChunk, strideOf, writeRows, type RowChunk } from '../layout.js';

/** Distance between images: 'l1' (Manhattan, sum of absolute differences) or 'l2' (Euclidean). */
export type Metric = 'l1' | 'l2';

// Metric codes; twin: METRIC_L1 / METRIC_L2 in assembly/knn.ts.
const METRIC_CODES: Record<Metric, number> = { l1: 1, l2: 2 };

// Queries copied into wasm per kernel call: bounds memory at O(block x D + queries x k).
const QUERY_BLOCK = 256;


export interface Neighbors {
  /** Training-row indices, m x k row-major, nearest first; equal distances list the lower index first. */
  indices: Int32Array;
  /** Distances (L1, or Euclidean L2), m x k row-major. */
  distances: Float32Array;
  /** Neighbours per query (the row length of both arrays). */
  k: number;
}

/** A chunk of training rows with what the metric needs beside them. */
interface KnnChunk extends RowChunk {
  /** L2 only: squared norms (i32 for u8; f32 padded to whole panels for f32). */
  norms: number;
  /** f32 L2 only: the rows packed into 8-row panels. */
  panels: number;
}

/** A training set in wasm memory. */
export interface TrainingRows {
  core: Core;
  metric: Metric;
  rows: number;
  cols: number;
  stride: number;
  isU8: boolean;
  chunks: KnnChunk[];
  /**
   * f32 L2 only: per-column centres (columnCentres), subtracted from the training rows and from
   * every query. Distances do not change, but |q|^2 + |t|^2 - 2 q.t no longer cancels when the
   * data share a large offset.
   */
  center: Float32Array | null;
}

/** Copies x into wasm memory in chunks (checking first that it all fits) and prepares the metric's norms and panels. */
export function storeTrainingRows(c: Core, x: Matrix, metric: Metric): TrainingRows {
  const isU8 = x.data instanceof Uint8Array;
  const stride = strideOf(x);
  // Chunks (and the row ranges the pool splits them into) hold whole panels of f32 L2 rows.
  const plan = chunkRanges(x.rows, rowsPerChunk(stride, c.layout.panelRows)).map((r) => ({ ...r, bytes: chunkBlockBytes(c, r.rows, stride, isU8, metric) }));
  const total = plan.reduce((sum, p) => sum + p.bytes.reduce((a, b) => a + b, 0), 0);
  if (total > c.freeBytes) {
    throw new OutOfMemoryError(`Out of WebAssembly memory: the training set (${x.rows} x ${x.cols} ${isU8 ? 'u8' : 'f32'}, ${metric}) needs ${formatBytes(total)}; ` +
      `about ${formatBytes(Math.max(0, c.freeBytes))} of wasm32's 4 GiB are free (${formatBytes(c.usedBytes)} held by live models and buffers)`);
  }
  const center = !isU8 && metric === 'l2' ? columnCentres(x) : null;
  return c.scoped((scope) => {
    const chunks = plan.map(({ first, rows, bytes }) => storeKnnChunk(c, scope, x, first, rows, bytes, stride, metric, center));
    for (const chunk of chunks) for (const ptr of [chunk.ptr, chunk.norms, chunk.panels]) scope.keep(ptr);
    return { core: c, metric, rows: x.rows, cols: x.cols, stride, isU8, chunks, center };
  });
}

/** Byte sizes of one chunk's blocks: rows, then norms and panels where the metric needs them. */
function chunkBlockBytes(c: Core, rows: number, stride: number, isU8: boolean, metric: Metric): number[] {
  const bytes = [byteSize('training rows', rows, stride)];
  if (metric === 'l2' && isU8) bytes.push(byteSize('training norms', rows, 4));
  if (metric === 'l2' && !isU8) {
    const padded = panelPaddedRows(c, rows);
    bytes.push(byteSize('training norms', padded, 4), byteSize('training panels', padded, stride));
  }
  return bytes;
}

function storeKnnChunk(c: Core, scope: Scope, x: Matrix, first: number, rows: number, bytes: number[], stride: number, metric: Metric, center: Float32Array | null): KnnChunk {
  const chunk: KnnChunk = { ...storeRowChunk(c, scope, x, first, rows, stride, center), norms: 0, panels: 0 };
  if (metric !== 'l2') return chunk;
  chunk.norms = scope.alloc(bytes[1]!, 'training norms');
  if (x.data instanceof Uint8Array) {
    c.kernels.rowNormsU8(chunk.ptr, rows, stride, chunk.norms);
  } else {
    chunk.panels = scope.alloc(bytes[2]!, 'training panels');
    c.f32.fill(0, chunk.norms >>> 2, (chunk.norms + bytes[1]!) >>> 2);
    c.kernels.packPanels8(chunk.ptr, rows, stride, chunk.panels);
    c.kernels.rowNormsF32(chunk.ptr, rows, stride, chunk.norms);
  }
  return chunk;
}

/** Frees every block of a training set. */
export function freeTrainingRows(t: TrainingRows): void {
  for (const chunk of t.chunks) {
    t.core.free(chunk.ptr);
    t.core.free(chunk.norms);
    t.core.free(chunk.panels);
  }
  t.chunks = [];
}

/**
 * Per-column centres. A column whose values share an offset larger than twice their range
 * (100 + U(0, 1)) is centred on its mean rounded to a multiple of the largest power of two not
 * above the range (a constant column on its value): the cancellation goes, and subtracting such a
 * centre is exact for values near it. Every other column keeps centre 0, so its distances are
 * computed exactly as before; centring a column without an offset would only trade the rounding
 * of |x|^2 for that of |x - c|^2, which can be larger (x in [1e-6, 1e-3], query 0).
 */
function columnCentres(x: Matrix): Float32Array {
  const sums = new Float64Array(x.cols), lo = new Float64Array(x.cols).fill(Infinity), hi = new Float64Array(x.cols).fill(-Infinity);
  for (let r = 0; r < x.rows; r++) {
    const o = r * x.cols;
    for (let j = 0; j < x.cols; j++) {
      const v = x.data[o + j]!;
      sums[j]! += v;
      if (v < lo[j]!) lo[j] = v;
      if (v > hi[j]!) hi[j] = v;
    }
  }
  return Float32Array.from(sums, (sum, j) => {
    const range = hi[j]! - lo[j]!, mean = sum / x.rows;
    if (Math.abs(mean) <= 2 * range) return 0;
    if (range === 0) return lo[j]!;
    const grid = 2 ** Math.floor(Math.log2(range));
    return Math.round(mean / grid) * grid;
  });
}

export interface SearchOptions {
  onProgress?: ((done: number, total: number) => void) | undefined;
  signal?: AbortSignal | undefined;
}

/** A kernel call's share of the work: queries [first, first + count) against row ranges of chunks. */
interface Task {
  block: number;
  first: number;
  count: number;
  parts: { chunk: KnnChunk; j0: number; rows: number }[];
}

/**
 * The k nearest training rows of each row of x. Query blocks are spread over the executor's
 * lanes; when there are fewer blocks than lanes (one query from a web app), each chunk's rows are
 * split across lanes instead. Every part's top-k is merged into its query block's running top-k
 * in (distance, index) order, so the result does not depend on the split or on the order in
 * which parts finish: it equals brute force, ties to the lower index.
 */
export async function searchNeighbors(t: TrainingRows, x: Matrix, k: number, options: SearchOptions = {}): Promise<Neighbors> {
  const m = x.rows;
  const indices = new Int32Array(m * k);
  const distances = new Float32Array(m * k);
  if (m === 0) return { indices, distances, k };
  const c = t.core, exec = executorOf(c);
  const block = Math.min(QUERY_BLOCK, Math.ceil(m / exec.lanes));
  const tasks = planTasks(t, m, block, exec.lanes);
  const maxParts = tasks[0]!.parts.length; // every task has the same number of parts
  const partsPerBlock = tasks.length / Math.ceil(m / block);
  const running = new Map<number, { dist: Float64Array; idx: Int32Array; partsLeft: number }>();
  let done = 0;
  await c.scopedAsync(async (scope) => {
    const lanes = Array.from({ length: Math.min(exec.lanes, tasks.length) }, () => ({
      q: scope.alloc(byteSize('query rows', block, t.stride), 'query rows'),
      dist: scope.alloc(byteSize('neighbour distances', maxParts, block, k, 4), 'neighbour distances'),
      idx: scope.alloc(byteSize('neighbour indices', maxParts, block, k, 4), 'neighbour indices'),
      scratch: scope.alloc(c.kernels.knnScratchBytes(t.stride), 'kNN scratch'),
    }));
    await forEachInLanes(tasks, lanes.length, async (task, laneIndex) => {
      const lane = lanes[laneIndex]!;
      writeRows(c, x, task.first, task.count, lane.q, t.stride, t.center);
      await exec.run(task.parts.map((part, p) => knnCall(t, part, lane, task.count, Math.min(k, part.rows), p * block * k * 4)));
      let state = running.get(task.block);
      if (state === undefined) {
        state = { dist: new Float64Array(task.count * k).fill(Infinity), idx: new Int32Array(task.count * k).fill(EMPTY), partsLeft: partsPerBlock };
        running.set(task.block, state);
      }
      for (const [p, { chunk, j0, rows }] of task.parts.entries()) {
        const kc = Math.min(k, rows), at = p * block * k, n = task.count * kc;
        const heap = t.isU8 ? c.i32 : c.f32, d = (lane.dist >>> 2) + at, i = (lane.idx >>> 2) + at;
        mergeTopKInto(state.dist, state.idx, k, heap.subarray(d, d + n), c.i32.subarray(i, i + n), kc, chunk.first + j0, task.count);
      }
      if (--state.partsLeft > 0) return;
      running.delete(task.block);
      indices.set(state.idx, task.first * k);
      toDistances(state.dist, distances.subarray(task.first * k, (task.first + task.count) * k), t.metric);
      done += task.count;
      options.onProgress?.(done, m);
    }, options.signal, 'kneighbors');
  });
  return { indices, distances, k };
}

interface Lane { q: number; dist: number; idx: number; scratch: number }

/** The fused distance + top-kc kernel call for the lane's queries against one part's rows. */
function knnCall(t: TrainingRows, { chunk, j0, rows }: Task['parts'][number], lane: Lane, count: number, kc: number, out: number): KernelCall {
  const norms = chunk.norms === 0 ? 0 : chunk.norms + j0 * 4;
  const code = METRIC_CODES[t.metric], ptr = chunk.ptr + j0 * t.stride;
  if (t.isU8) return ['knnU8', code, lane.q, count, ptr, norms, rows, t.stride, kc, lane.dist + out, lane.idx + out, lane.scratch];
  const panels = chunk.panels === 0 ? 0 : chunk.panels + j0 * t.stride;
  return ['knnF32', code, lane.q, count, ptr, panels, norms, rows, t.stride, kc, lane.dist + out, lane.idx + out, lane.scratch];
}

// An empty slot of a running top-k list: after every real index at equal (infinite) distance.
const EMPTY = 0x7fffffff;

/**
 * Query blocks against all chunks when there are enough blocks to keep every lane busy;
 * otherwise each chunk is cut into row ranges (whole 8-row panels) so that the lanes share the rows.
 */
function planTasks(t: TrainingRows, m: number, block: number, lanes: number): Task[] {
  const blocks = Math.ceil(m / block);
  const cuts = blocks >= lanes ? 1 : Math.ceil(lanes / blocks);
  const tasks: Task[] = [];
  for (let b = 0; b < blocks; b++) {
    const first = b * block, count = Math.min(block, m - first);
    if (cuts === 1) {
      tasks.push({ block: b, first, count, parts: t.chunks.map((chunk) => ({ chunk, j0: 0, rows: chunk.rows })) });
      continue;
    }
    for (const chunk of t.chunks) {
      const step = panelPaddedRows(t.core, Math.ceil(chunk.rows / cuts));
      for (let j0 = 0; j0 < chunk.rows; j0 += step) tasks.push({ block: b, first, count, parts: [{ chunk, j0, rows: Math.min(step, chunk.rows - j0) }] });
    }
  }
  return tasks;
}

/**
 * Merges a part's sorted top-kc lists (indices relative to the part, which starts at training row
 * `offset`) into the running top-k lists of `count` queries, in (distance, index) order.
 */
function mergeTopKInto(dist: Float64Array, idx: Int32Array, k: number, partDist: ArrayLike<number>, partIdx: ArrayLike<number>, kc: number, offset: number, count: number): void {
  const d = new Float64Array(k), ix = new Int32Array(k);
  for (let q = 0; q < count; q++) {
    const base = q * k, pbase = q * kc;
    let a = 0, b = 0;
    for (let out = 0; out < k; out++) {
      const pd = b < kc ? partDist[pbase + b]! : Infinity, pi = b < kc ? partIdx[pbase + b]! + offset : EMPTY;
      const rd = dist[base + a]!, ri = idx[base + a]!;
      if (rd < pd || (rd === pd && ri <= pi)) {
        d[out] = rd; ix[out] = ri; a++;
      } else {
        d[out] = pd; ix[out] = pi; b++;
      }
    }
    dist.set(d, base);
    idx.set(ix, base);
  }
}

/** Kernel distances (L1, or squared L2) as true distances. */
function toDistances(raw: ArrayLike<number>, out: Float32Array, metric: Metric): void {
  for (let i = 0; i < out.length; i++) out[i] = metric === 'l1' ? raw[i]! : Math.sqrt(raw[i]!);
}

/** The full m x n distance matrix (L1, or Euclidean L2) between x and the training rows. */
export function distanceMatrix(t: TrainingRows, x: Matrix): Float32Array {
  const m = x.rows, n = t.rows;
  const out = new Float32Array(byteSize('the distance matrix', m, n, 4) / 4);
  if (m === 0) return out;
  const c = t.core;
  const code = METRIC_CODES[t.metric];
  const widest = t.chunks[0]!.rows; // every chunk but the last is full
  c.scoped((scope) => {
    const q = scope.alloc(byteSize('query rows', m, t.stride), 'query rows');
    const d = scope.alloc(byteSize('the distance matrix', m, widest, 4), 'the distance matrix');
    const scratch = scope.alloc(c.kernels.knnScratchBytes(t.stride), 'kNN scratch');
    writeRows(c, x, 0, m, q, t.stride, t.center);
    for (const chunk of t.chunks) {
      if (t.isU8) c.kernels.distancesU8(code, q, m, chunk.ptr, chunk.norms, chunk.rows, t.stride, d, scratch);
      else c.kernels.distancesF32(code, q, m, chunk.ptr, chunk.panels, chunk.norms, chunk.rows, t.stride, d, scratch);
      const heap = t.isU8 ? c.i32 : c.f32, base = d >>> 2;
      for (let i = 0; i < m; i++) {
        toDistances(heap.subarray(base + i * chunk.rows, base + (i + 1) * chunk.rows), out.subarray(i * n + chunk.first, i * n + chunk.first + chunk.rows), t.metric);
      }
    }
  });
  return out;
}

/** Top-k lists of the same queries from one shard of the training rows (see mergeTopK). */
export interface NeighborShard extends Neighbors {
  /** Added to the shard's indices: the global index of its first training row (default 0). */
  offset?: number;
}

/**
 * Merges the top-k lists that shards of a training set (workers, processes, machines) found for
 * the same m queries into the top-k over all of them: nearest first, equal distances to the
 * lower global index, as one search over all the rows would give. Shards may hold fewer than k
 * neighbours per query. Distances are compared as given: Euclidean distances that are equal
 * only after rounding to f32 are ordered by index here, where one search orders them by their
 * exact squared values.
 */
export function mergeTopK(shards: readonly NeighborShard[], k?: number): Neighbors {
  if (!Array.isArray(shards) || shards.length === 0) throw new ArgumentTypeError(`Expected shards to be a non-empty array of { indices, distances, k }, got ${describe(shards)}`);
  let m = -1, available = 0;
  for (const [s, shard] of shards.entries()) {
    const name = `shards[${s}]`;
    if (typeof shard !== 'object' || shard === null || !(shard.indices instanceof Int32Array) || !(shard.distances instanceof Float32Array)) {
      throw new ArgumentTypeError(`Expected ${name} to be { indices: Int32Array, distances: Float32Array, k }, got ${describe(shard)}`);
    }
    const ks = checkInt(shard.k, `${name}.k`, 1);
    checkInt(shard.offset ?? 0, `${name}.offset`, 0, 0x7fffffff);
    if (shard.indices.length !== shard.distances.length || shard.indices.length % ks !== 0) {
      throw new ArgumentRangeError(`Expected ${name}.indices and .distances to hold m x k = m x ${ks} values each, got ${shard.indices.length} and ${shard.distances.length}`);
    }
    const rows = shard.indices.length / ks;
    if (m >= 0 && rows !== m) throw new ArgumentRangeError(`Expected every shard to hold the same ${m} queries, got ${rows} in ${name}`);
    m = rows;
    available += ks;
  }
  const out = checkInt(k ?? shards[0]!.k, 'k', 1, available);
  const dist = new Float64Array(m * out).fill(Infinity), idx = new Int32Array(m * out).fill(EMPTY);
  for (const shard of shards) mergeTopKInto(dist, idx, out, shard.distances, shard.indices, shard.k, shard.offset ?? 0, m);
  return { indices: idx, distances: Float32Array.from(dist), k: out };
}

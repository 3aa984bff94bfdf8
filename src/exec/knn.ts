// Drives the kNN kernels (assembly/knn.ts) over a training set in wasm memory (knn-rows.ts): query
// blocks spread over the executor's lanes, each searched chunk by chunk (or a chunk's rows split
// across lanes), and the per-part top-k lists merged in (distance, index) order.
import { ArgumentRangeError, ArgumentTypeError } from '../errors.js';
import { panelPaddedRows, writeRows } from '../layout.js';
import { checkInt, describe, type Matrix } from '../matrix.js';
import { byteSize } from '../runtime.js';
import { executorOf, forEachInLanes, type KernelCall } from './executor.js';
import { storedRows, type KnnChunk, type TrainingRows } from './knn-rows.js';
import { METRICS, type Metric } from './metric.js';

export type { Metric } from './metric.js';

// Queries copied into wasm per kernel call: bounds memory at O(block x D + queries x k).
const QUERY_BLOCK = 256;

export interface Neighbors {
  /** Training-row indices, m x k row-major, nearest first; equal distances list the lower index first. */
  indices: Int32Array;
  /** Distances (L1, Euclidean L2, or cosine distance 1 - cos), m x k row-major. */
  distances: Float32Array;
  /** Neighbours per query (the row length of both arrays). */
  k: number;
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
  const q = storedRows(x, t.metric, 'query');
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
      writeRows(c, q, task.first, task.count, lane.q, t.stride, t.center);
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
  const code = METRICS[t.metric].code, ptr = chunk.ptr + j0 * t.stride;
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

/** Kernel distances (L1, or squared L2) as the metric's distances. */
function toDistances(raw: ArrayLike<number>, out: Float32Array, metric: Metric): void {
  const { finish } = METRICS[metric];
  for (let i = 0; i < out.length; i++) out[i] = finish(raw[i]!);
}

/** The full m x n distance matrix (L1, or Euclidean L2) between x and the training rows. */
export function distanceMatrix(t: TrainingRows, x: Matrix): Float32Array {
  const m = x.rows, n = t.rows;
  const out = new Float32Array(byteSize('the distance matrix', m, n, 4) / 4);
  if (m === 0) return out;
  const c = t.core;
  const code = METRICS[t.metric].code;
  let widest = 1;
  for (const chunk of t.chunks) widest = Math.max(widest, chunk.rows);
  c.scoped((scope) => {
    const q = scope.alloc(byteSize('query rows', m, t.stride), 'query rows');
    const d = scope.alloc(byteSize('the distance matrix', m, widest, 4), 'the distance matrix');
    const scratch = scope.alloc(c.kernels.knnScratchBytes(t.stride), 'kNN scratch');
    writeRows(c, storedRows(x, t.metric, 'query'), 0, m, q, t.stride, t.center);
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

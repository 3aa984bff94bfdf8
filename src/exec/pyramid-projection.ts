// Projection levels of the pyramid for squared L2 (pyramidDescribeProjection in
// assembly/pyramid.ts): each level row holds the first `dims` coefficients of an image on integer
// approximations of the principal axes of a sample of the training rows (of their pixels, or of
// their block sums lifted to pixels: AxesSource), quantized to u16. The axes hold most of the
// spread of images, so 16 coefficients bound far tighter than 16 block sums
// (Fashion-MNIST, rows a perfect threshold keeps: 3.6% against 11.3%), and the bound stays exact:
// integer weights, an integer bound on their largest eigenvalue, floors of exact coefficients.
import { byteSize, type Core, type Scope } from '../runtime.js';
import { executorOf, type KernelCall } from './executor.js';
import type { Shape, StoredRows } from './pyramid.js';

/** The projection exports of the wasm core (assembly/projection.ts, pyramidDescribeProjection). */
interface ProjectionKernels {
  pyramidDescBytes(): number;
  pyramidSlotValues(desc: number, out: number): void;
  pyramidDescribeProjection(dims: number, weight: number, lcm: number, desc: number): number;
  projectionColumnsBytes(n: number, cols: number): number;
}

/**
 * Coefficients per level, coarse to fine (each level a prefix of the next). On Fashion-MNIST (1,000
 * queries, one thread, medians of 7 interleaved searches): [16, 128] 308 ms, [16, 64, 128] 328 ms,
 * [16, 48, 128] 324 ms, [24, 128] 308 ms, [16, 160] 302 ms (but a quarter more to build).
 */
export const PROJECTION_DIMS = [16, 128];

/** Columns the weights allow (assembly/projection.ts: every coefficient and difference below 2^31). */
export const MAX_PROJECTION_COLS = 1024;

// Rows sampled for the axes and the coefficients' ranges: on Fashion-MNIST (numpy), axes from 2,048
// rows leave 0.745% of rows under a perfect threshold at 64 coefficients, axes from all 60,000 0.69%.
const SAMPLE_ROWS = 2048;
// Rounds of subspace iteration for the axes: on Fashion-MNIST (1,000 queries, one thread) a round
// costs about 80 ms of build; exact distances per query: 390 after 1 round, 332 after 2, 323 after 3.
const EIGEN_ITERATIONS = 2;
// Sample rows for the axes of block sums: on Fashion-MNIST (8,000 training rows, 2,000 queries, k = 20,
// one thread) 256 rows left 28.4% of the pairs to bound at the coarsest level, 512 27.8%, 2,048 28.0%.
const BLOCK_SAMPLE_ROWS = 512;
// Rounds of subspace iteration for the axes of block sums (a 196 x 196 covariance for Fashion-MNIST: a round is cheap).
const BLOCK_EIGEN_ITERATIONS = 3;
const I32_MAX = 2 ** 31 - 1;
// Gram matrix rows per kernel call: a long first call would run unoptimized throughout (190 ms
// for Fashion-MNIST against 70 ms).
const GRAM_ROWS_PER_CALL = 16;
// Weights are round(WEIGHT_SCALE * axis): |w| <= 2048 (assembly/projection.ts); larger keeps the
// bound on their eigenvalue closer to WEIGHT_SCALE^2 (1.3% above it for 64 axes of Fashion-MNIST).
const WEIGHT_SCALE = 2048;
// Twin of PROJECTION_MAX in assembly/pyramid.ts; LCM: the bound's divisor, below 2^14 (ceilQuotient).
const PROJECTION_MAX = 16383;
const LCM = 16383;
// The quantization step is at least this: weight = LCM * delta^2 / Lambda is then at least about
// 100, so rounding the weight down loses at most about 1% of the bound.
const MIN_DELTA = Math.ceil(WEIGHT_SCALE * 10 / Math.sqrt(LCM));
// Each coefficient's range over the sample, widened by this share on both sides for rows outside
// it (they are clamped: still exact, only less tight).
const RANGE_MARGIN = 0.125;

/** A projection level: its coefficients, the descriptor the bound kernels read, and its bound: ceil(weight * sum e_i^2 / lcm). */
export interface ProjectionLevel {
  dims: number;
  rowBytes: number;
  desc: number;
  weight: number;
  lcm: number;
}

/**
 * Where a projection's axes come from: the principal axes of the pixels, or those of the sums of
 * `block` pixels (per channel, over an image of `shape`), each sum over the root of its pixel
 * count, lifted back to pixels: an axis a of the sums gives weight a_b / sqrt(n_b) to every pixel of
 * block b, so the lifted axes are orthonormal too. The sums' covariance is about 16x smaller than the
 * pixels' for 2x2 blocks, so their axes cost milliseconds where the pixels' cost 0.3 s. `desc` and
 * `rowBytes` describe the level of those block sums: the projection also keeps its weights at the
 * slots of that level's rows, and projects the sums (pyramidProjectSums), the same integers from a
 * quarter of the products for 2x2 blocks: on 8,000 Fashion-MNIST rows the build took 14.7 ms against
 * 16.8-17.0 from the pixels.
 */
export type AxesSource = { of: 'pixels' } | { of: 'blocks'; shape: Shape; block: [number, number]; desc: number; rowBytes: number; shared?: SharedAxes };

/**
 * Axes of block sums found by one build for the next builds of the same kind of rows (the folds of
 * a cross-validation): any axes keep the bounds exact, so a later build takes them as they are and
 * quantizes its own sample on them. Empty until a build finds them.
 */
export interface SharedAxes {
  /** The lifted axes: m rows of cols f64, and the block whose sums they are of. */
  axes?: Float64Array;
  block?: [number, number];
}

/** The weights (i16 rows of `stride`), offsets (i32) and step that pyramidProjectU8 quantizes with, and the levels. */
export interface Projection {
  /** Whose principal axes: the pixels', or the sums' of blocks of these pixels (AxesSource). */
  axes: 'pixels' | [number, number];
  weights: number;
  /** Axes of block sums: the weights at the slots of the sums' level rows (pyramidProjectSums), rows of `sumBytes`; 0 for pixel axes. */
  sumWeights: number;
  sumBytes: number;
  offsets: number;
  delta: number;
  levels: ProjectionLevel[];
}

/**
 * The projection of stored u8 training rows for levels of `dims` coefficients each (ascending,
 * at most cols): axes from a sample of rows, integer weights, quantization from the sample's
 * coefficient ranges. Its blocks are the scope's (kept by the caller).
 */
export async function buildProjection(t: StoredRows, scope: Scope, dims: number[], axesSource: AxesSource = { of: 'pixels' }): Promise<Projection> {
  const c = t.core, exec = executorOf(c), kernels = c.kernels as unknown as ProjectionKernels;
  const m = dims[dims.length - 1]!, n = Math.min(t.rows, SAMPLE_ROWS);
  const weights = scope.alloc(byteSize('projection weights', m, t.stride, 2), 'projection weights');
  const offsets = scope.alloc(byteSize('projection offsets', m, 4), 'projection offsets');
  const sumBytes = axesSource.of === 'blocks' ? axesSource.rowBytes : 0;
  const sumWeights = sumBytes === 0 ? 0 : scope.alloc(byteSize('projection weights', m, sumBytes), 'projection weights');
  const { delta, weightRows } = await c.scopedAsync(async (temp) => {
    const sample = temp.alloc(byteSize('a projection sample', n, t.stride), 'a projection sample');
    copySample(t, n, sample);
    const axes = axesSource.of === 'pixels' ? await pixelAxes(t, sample, n, m, temp) : await sharedBlockAxes(t, sample, n, m, axesSource, temp);
    const rows = integerWeights(axes, m, t.cols, t.stride);
    new Int16Array(c.u8.buffer, weights, m * t.stride).set(rows);
    if (axesSource.of === 'blocks') slotWeights(c, rows, m, t.stride, axesSource, sumWeights, temp);
    const coefficients = temp.alloc(byteSize('projection coefficients', n, m, 4), 'projection coefficients');
    await exec.run([['projectionCoefficientsU8', sample, n, t.stride, weights, m, coefficients]]);
    const step = quantize(c.i32.subarray(coefficients >>> 2, (coefficients >>> 2) + n * m), n, m, c, offsets);
    return { delta: step, weightRows: rows };
  });
  const boundWeight = boundWeights(weightRows, m, t.stride, delta, dims);
  const levels = dims.map((d, l) => {
    const desc = scope.alloc(kernels.pyramidDescBytes(), 'a pyramid level descriptor');
    const rowBytes = kernels.pyramidDescribeProjection(d, boundWeight[l]!, LCM, desc);
    return { dims: d, rowBytes, desc, weight: boundWeight[l]!, lcm: LCM };
  });
  return { axes: axesSource.of === 'pixels' ? 'pixels' : axesSource.block, weights, sumWeights, sumBytes, offsets, delta, levels };
}

/** The m leading principal axes of n sample rows (at `sample`, rows of the set's stride), m rows of cols f64. */
async function pixelAxes(t: StoredRows, sample: number, n: number, m: number, temp: Scope): Promise<Float64Array> {
  const c = t.core, kernels = c.kernels as unknown as ProjectionKernels;
  const columns = temp.alloc(kernels.projectionColumnsBytes(n, t.cols), 'projection sample columns');
  await executorOf(c).run([['projectionColumnsU8', sample, n, t.stride, t.cols, columns]]);
  const heap = c.u8, mean = new Float64Array(t.cols);
  for (let r = 0; r < n; r++) for (let j = 0; j < t.cols; j++) mean[j]! += heap[sample + r * t.stride + j]!;
  for (let j = 0; j < t.cols; j++) mean[j]! /= n;
  return principalAxes(c, columns, n, t.cols, mean, null, m, EIGEN_ITERATIONS, temp);
}

/**
 * The m leading eigenvectors (m rows of cols f64) of the covariance of n samples of cols values,
 * given as columns in wasm (projectionColumnsU8's layout) with their means, each value j times
 * scale[j] when scale is given: the Gram matrix and the solve are kernel calls, the solve on a pool
 * worker when there is a pool (exec/ts-kernels.ts), not in the caller's thread.
 */
async function principalAxes(c: Core, columns: number, n: number, cols: number, mean: Float64Array, scale: Float64Array | null, m: number, iterations: number, temp: Scope): Promise<Float64Array> {
  const exec = executorOf(c);
  // Every block first: an allocation may grow the memory, which detaches the views taken before it.
  const gram = temp.alloc(byteSize('a Gram matrix', cols, cols, 4), 'a Gram matrix');
  const cov = temp.alloc(byteSize('a covariance', cols, cols, 8), 'a covariance');
  const axes = temp.alloc(byteSize('principal axes', m, cols, 8), 'principal axes');
  await exec.run(Array.from({ length: Math.ceil(cols / GRAM_ROWS_PER_CALL) }, (_, b): KernelCall => ['projectionGramRows', columns, n, cols, b * GRAM_ROWS_PER_CALL, Math.min(cols, (b + 1) * GRAM_ROWS_PER_CALL), gram]));
  const g = c.i32.subarray(gram >>> 2, (gram >>> 2) + cols * cols);
  const covariance = c.f64.subarray(cov >>> 3, (cov >>> 3) + cols * cols);
  for (let i = 0; i < cols; i++) for (let j = 0; j < cols; j++) covariance[i * cols + j] = g[i * cols + j]! / n - mean[i]! * mean[j]!;
  if (scale !== null) for (let i = 0; i < cols; i++) for (let j = 0; j < cols; j++) covariance[i * cols + j] = covariance[i * cols + j]! * scale[i]! * scale[j]!;
  await exec.run([['leadingEigenvectorsF64', cov, cols, m, iterations, axes]]);
  return c.f64.slice(axes >>> 3, (axes >>> 3) + m * cols);
}

/**
 * The m leading principal axes of the block sums of rows spread over a sample (AxesSource), lifted
 * to pixels: m rows of cols f64. The sums go to wasm as i16 columns for the Gram matrix kernel;
 * BLOCK_SAMPLE_ROWS of them, fewer when their products could overflow its i32 sums.
 */
async function blockAxes(t: StoredRows, sample: number, sampleRows: number, m: number, source: { shape: Shape; block: [number, number] }, temp: Scope): Promise<Float64Array> {
  const c = t.core, kernels = c.kernels as unknown as ProjectionKernels;
  const [h, w, channels] = source.shape, [bh, bw] = source.block, across = Math.ceil(w / bw);
  const sums = Math.ceil(h / bh) * across * channels, largest = Math.min(h, bh) * Math.min(w, bw) * 255;
  const n = Math.max(1, Math.min(sampleRows, BLOCK_SAMPLE_ROWS, Math.floor(I32_MAX / (largest * largest))));
  const blockOf = new Int32Array(t.cols), pixels = new Float64Array(sums);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      for (let ch = 0; ch < channels; ch++) {
        const b = (Math.floor(y / bh) * across + Math.floor(x / bw)) * channels + ch;
        blockOf[(y * w + x) * channels + ch] = b;
        pixels[b]! += 1;
      }
    }
  }
  // Columns of n sums padded to 8 (projectionColumnsU8's layout), and their means.
  const n8 = Math.ceil(n / 8) * 8;
  const columns = temp.alloc(kernels.projectionColumnsBytes(n, sums), 'block sum columns');
  // The view after the allocation, which may have grown (and detached) the memory.
  const heap = c.u8, column = new Int16Array(heap.buffer, columns, sums * n8).fill(0);
  for (let r = 0; r < n; r++) {
    const row = sample + Math.floor((r * sampleRows) / n) * t.stride;
    for (let j = 0; j < t.cols; j++) column[blockOf[j]! * n8 + r]! += heap[row + j]!;
  }
  const mean = new Float64Array(sums);
  for (let b = 0; b < sums; b++) for (let r = 0; r < n; r++) mean[b]! += column[b * n8 + r]! / n;
  const scale = Float64Array.from(pixels, (p) => 1 / Math.sqrt(p));
  const v = await principalAxes(c, columns, n, sums, mean, scale, m, BLOCK_EIGEN_ITERATIONS, temp), axes = new Float64Array(m * t.cols);
  for (let i = 0; i < m; i++) {
    for (let j = 0; j < t.cols; j++) axes[i * t.cols + j] = v[i * sums + blockOf[j]!]! * scale[blockOf[j]!]!;
  }
  return axes;
}

/**
 * The lifted weights (m rows of `stride` i16s, every value of a block weighted alike) at the slots of
 * the blocks' level rows (pyramidSlotValues): to `out`, m rows of source.rowBytes, zero at the padding.
 */
function slotWeights(c: Core, rows: Int16Array, m: number, stride: number, source: { desc: number; rowBytes: number }, out: number, temp: Scope): void {
  const slots = source.rowBytes / 2, map = temp.alloc(byteSize('a slot map', slots, 4), 'a slot map');
  (c.kernels as unknown as ProjectionKernels).pyramidSlotValues(source.desc, map);
  const values = c.i32.slice(map >>> 2, (map >>> 2) + slots), w = new Int16Array(m * slots);
  for (let i = 0; i < m; i++) for (let s = 0; s < slots; s++) w[i * slots + s] = values[s]! < 0 ? 0 : rows[i * stride + values[s]!]!;
  new Int16Array(c.u8.buffer, out, m * slots).set(w);
}

/** blockAxes, or the axes of a build before whose shared axes match these rows' columns and blocks; a build that finds them shares them. */
async function sharedBlockAxes(t: StoredRows, sample: number, n: number, m: number, source: AxesSource & { of: 'blocks' }, temp: Scope): Promise<Float64Array> {
  const shared = source.shared;
  const fits = shared?.axes?.length === m * t.cols && shared.block?.[0] === source.block[0] && shared.block[1] === source.block[1];
  if (fits) return shared!.axes!;
  const axes = await blockAxes(t, sample, n, m, source, temp);
  if (shared !== undefined) Object.assign(shared, { axes, block: source.block });
  return axes;
}

/** Copies n training rows spread evenly over the set to `to`, one after another. */
function copySample(t: StoredRows, n: number, to: number): void {
  const heap = t.core.u8;
  for (let r = 0; r < n; r++) {
    const row = Math.floor((r * t.rows) / n);
    const chunk = t.chunks.find((ch) => row >= ch.first && row < ch.first + ch.rows)!;
    const from = chunk.ptr + (row - chunk.first) * t.stride;
    heap.copyWithin(to + r * t.stride, from, from + t.stride);
  }
}

/** round(WEIGHT_SCALE * axis), m rows of `stride` i16s (zero past cols). */
function integerWeights(axes: Float64Array, m: number, cols: number, stride: number): Int16Array {
  const w = new Int16Array(m * stride);
  for (let i = 0; i < m; i++) for (let j = 0; j < cols; j++) w[i * stride + j] = Math.round(WEIGHT_SCALE * axes[i * cols + j]!);
  return w;
}

/**
 * Offsets (to `offsets` in wasm) and the step of the quantization, from the sample's coefficients
 * (n x m i32): every coefficient's widened range fits PROJECTION_MAX + 1 steps.
 */
function quantize(coefficients: Int32Array, n: number, m: number, c: Core, offsets: number): number {
  const lo = new Float64Array(m).fill(Infinity), hi = new Float64Array(m).fill(-Infinity);
  for (let r = 0; r < n; r++) {
    for (let i = 0; i < m; i++) {
      const v = coefficients[r * m + i]!;
      if (v < lo[i]!) lo[i] = v;
      if (v > hi[i]!) hi[i] = v;
    }
  }
  let widest = 0;
  const o = new Int32Array(m);
  for (let i = 0; i < m; i++) {
    const margin = Math.ceil(RANGE_MARGIN * (hi[i]! - lo[i]!));
    o[i] = lo[i]! - margin;
    widest = Math.max(widest, hi[i]! + margin - o[i]! + 1);
  }
  c.i32.set(o, offsets >>> 2);
  return Math.max(MIN_DELTA, Math.ceil(widest / (PROJECTION_MAX + 1)));
}

/**
 * floor(LCM * delta^2 / Lambda) for each level, Lambda the largest absolute row sum of the Gram
 * matrix W W^T of its first `dims` weight rows (Gershgorin: at least its largest eigenvalue), in
 * exact integers: the bound weight of pyramidDescribeProjection.
 */
function boundWeights(w: Int16Array, m: number, stride: number, delta: number, dims: number[]): number[] {
  const gram = new Float64Array(m * m);
  for (let i = 0; i < m; i++) {
    for (let j = i; j < m; j++) {
      let dot = 0; // |w| <= 2048 over at most 1024 columns: exact below 2^53
      for (let k = 0; k < stride; k++) dot += w[i * stride + k]! * w[j * stride + k]!;
      gram[i * m + j] = gram[j * m + i] = Math.abs(dot);
    }
  }
  return dims.map((d) => {
    let lambda = 0;
    for (let i = 0; i < d; i++) {
      let row = 0;
      for (let j = 0; j < d; j++) row += gram[i * m + j]!;
      lambda = Math.max(lambda, row);
    }
    return lambda === 0 ? 0 : Number((BigInt(LCM) * BigInt(delta) ** 2n) / BigInt(lambda));
  });
}

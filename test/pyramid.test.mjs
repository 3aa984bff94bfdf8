// Block-sum pyramids (assembly/pyramid.ts, driven by src/exec/pyramid.ts): every bound kernel
// against a plain exact reference and against the true distance, on every build; the search
// against brute force (KNearestNeighbor) on the embedded Fashion-MNIST sample.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { init, loadDataset, KNearestNeighbor } from '../dist/node.js';
import { core } from '../dist/runtime.js';
import { writeRows, paddedStride } from '../dist/layout.js';
import { storeTrainingRows, freeTrainingRows } from '../dist/exec/knn-rows.js';
import { buildPyramid, freePyramid, pyramidKernels, searchPyramid, levelBlocks, PYRAMID_MEMORY_SHARE } from '../dist/exec/pyramid.js';
import { eachBuild, mulberry32, randomU8, throws, rejects } from './helpers.mjs';

const METRIC_CODES = { l1: 1, l2: 2 };
const I32_MAX = 2 ** 31 - 1;

/** Per-channel sums of the bh x bw blocks (edge blocks smaller) of one HWC image, with their pixel counts. */
function blockSums(x, [h, w, c], [bh, bw]) {
  const sums = [];
  for (let top = 0; top < h; top += bh) {
    for (let left = 0; left < w; left += bw) {
      const height = Math.min(bh, h - top), width = Math.min(bw, w - left);
      for (let ch = 0; ch < c; ch++) {
        let s = 0;
        for (let y = top; y < top + height; y++) for (let p = left; p < left + width; p++) s += x[(y * w + p) * c + ch];
        sums.push({ sum: s, pixels: height * width });
      }
    }
  }
  return sums;
}

const gcd = (a, b) => (b === 0n ? a : gcd(b, a % b));

/** The bound in exact arithmetic: sum |dS| (L1), or ceil(sum dS^2 / n) (squared L2) as a BigInt rational. */
function referenceBound(q, t, shape, block, metric) {
  const a = blockSums(q, shape, block), b = blockSums(t, shape, block);
  if (metric === 'l1') return a.reduce((s, x, i) => s + Math.abs(x.sum - b[i].sum), 0);
  let num = 0n, den = 1n;
  a.forEach((x, i) => {
    const d = BigInt(x.sum - b[i].sum), n = BigInt(x.pixels);
    num = num * n + d * d * den;
    den *= n;
    const g = gcd(num, den);
    num /= g;
    den /= g;
  });
  return Number((num + den - 1n) / den);
}

function trueDistance(q, t, metric) {
  let s = 0;
  for (let i = 0; i < q.length; i++) s += metric === 'l1' ? Math.abs(q[i] - t[i]) : (q[i] - t[i]) ** 2;
  return s;
}

/** Writes rows of a u8 Matrix into a new wasm block (rows padded to the stride). */
function storeRows(c, m, stride) {
  const ptr = c.alloc(Math.max(16, m.rows * stride));
  writeRows(c, m, 0, m.rows, ptr, stride);
  return ptr;
}

/**
 * Bounds of every training row from one query at one level, through both kernels that compute
 * bounds: the column pass over all rows, and the refinement of a list of all rows (tau = i32 max).
 */
function kernelBounds(query, train, shape, block, metric) {
  const c = core(), K = pyramidKernels(c), n = train.rows, stride = paddedStride(train.cols, 1);
  const blocks = [];
  const alloc = (bytes) => { const p = c.alloc(Math.max(16, bytes)); blocks.push(p); return p; };
  try {
    const desc = alloc(K.pyramidDescBytes());
    const rowBytes = K.pyramidDescribeLevel(shape[0], shape[1], shape[2], block[0], block[1], desc);
    const t = storeRows(c, train, stride), q = storeRows(c, query, stride);
    blocks.push(t, q);
    const tl = alloc(n * rowBytes), ql = alloc(rowBytes), sumsScratch = alloc(K.pyramidSumsScratchBytes(train.cols));
    K.pyramidSumsU8(t, n, stride, desc, tl, 0, sumsScratch);
    K.pyramidSumsU8(q, 1, stride, desc, ql, 0, sumsScratch);
    const cols = alloc(K.pyramidColumnsBytes(n, desc)), out = alloc(Math.ceil(n / 8) * 32);
    K.pyramidColumnsU8(tl, n, desc, cols, 0);
    K.pyramidColumnBoundsU8(METRIC_CODES[metric], ql, cols, n, desc, out);
    const columns = Array.from(c.i32.subarray(out >>> 2, (out >>> 2) + n));
    const list = alloc(4 * n), bounds = alloc(4 * n), counts = alloc(4), taus = alloc(4), scratch = alloc(K.pyramidBatchScratchBytes(1));
    // The rows' norms, which squared L2 reads on levels of one class within ABANDON_CHUNKS v128s (zeros elsewhere).
    const qNorms = alloc(4), tNorms = alloc(4 * n);
    K.pyramidRowNorms(ql, 1, desc, qNorms);
    K.pyramidRowNorms(tl, n, desc, tNorms);
    c.i32.set(Array.from({ length: n }, (_, j) => j), list >>> 2);
    c.i32[counts >>> 2] = n;
    c.i32[taus >>> 2] = I32_MAX;
    K.pyramidRefineU8(METRIC_CODES[metric], ql, tl, desc, 1, list, bounds, 4 * n, counts, taus, qNorms, tNorms, scratch);
    assert.is(c.i32[counts >>> 2], n, 'refinement with tau = i32 max keeps every row');
    const refined = Array.from(c.i32.subarray(bounds >>> 2, (bounds >>> 2) + n));
    return { columns, refined, rowBytes };
  } finally {
    for (const p of blocks) c.free(p);
  }
}

/** Random shapes and blocks: H, W not divisible by the block, C = 1 and 3, blocks up to 128 pixels. */
function boundCases(rng) {
  const cases = [
    { shape: [28, 28, 1], block: [7, 7] }, { shape: [28, 28, 1], block: [8, 8] },
    { shape: [32, 32, 3], block: [8, 8] }, { shape: [23, 23, 1], block: [11, 11] },
    { shape: [17, 40, 3], block: [8, 16] }, { shape: [1, 1, 1], block: [2, 2] },
    { shape: [1, 300, 1], block: [1, 128] }, { shape: [5, 3, 3], block: [4, 4] },
    // Pairs of one channel, 8 whole blocks at a time (pairSums): with and without edges, a bottom edge row, runs without a shape.
    { shape: [28, 28, 1], block: [2, 2] }, { shape: [27, 33, 1], block: [2, 2] }, { shape: [9, 17, 1], block: [2, 2] },
    { shape: [5, 40, 1], block: [3, 2] }, { shape: [1, 37, 1], block: [1, 2] },
  ];
  for (let i = 0; i < 24; i++) {
    const h = 1 + Math.floor(rng() * 20), w = 1 + Math.floor(rng() * 20), c = rng() < 0.5 ? 1 : 3;
    let bh = 1 + Math.floor(rng() * 11), bw = 1 + Math.floor(rng() * 11);
    while (bh * bw > 128) bw--;
    cases.push({ shape: [h, w, c], block: [bh, bw] });
  }
  return cases;
}

/** Training rows for a bound case: random, few grey levels, and the extremes (all 0, all 255) that fill the i32 lanes. */
function boundData(rng, cols) {
  const n = 13;
  const train = randomU8(rng, n, cols, rng() < 0.5 ? 256 : 3);
  train.data.fill(0, 0, cols);
  train.data.fill(255, cols, 2 * cols);
  const query = randomU8(rng, 1, cols);
  if (rng() < 0.3) query.data.fill(255);
  return { train, query };
}

const bounds = suite('pyramid bounds');

/**
 * A level row as pyramidDescribeLevel lays it out: the sums of whole blocks, of the right edge
 * column, of the bottom edge row, then of the corner, each class padded with zeros to 8 sums.
 */
function levelRowReference(x, [h, w, c], [bh, bw]) {
  const fullRows = Math.floor(h / bh), fullCols = Math.floor(w / bw), edgeRows = h % bh > 0 ? 1 : 0, edgeCols = w % bw > 0 ? 1 : 0;
  const first = [];
  let slots = 0;
  for (let k = 0; k < 4; k++) {
    first.push(slots);
    slots += Math.ceil((((k & 2) ? edgeRows : fullRows) * ((k & 1) ? edgeCols : fullCols) * c) / 8) * 8;
  }
  const row = new Uint16Array(slots), sums = blockSums(x, [h, w, c], [bh, bw]);
  let at = 0;
  for (let i = 0; i * bh < h; i++) {
    for (let j = 0; j * bw < w; j++) {
      const k = (i === fullRows ? 2 : 0) | (j === fullCols ? 1 : 0);
      const within = k === 0 ? i * fullCols + j : k === 1 ? i : k === 2 ? j : 0;
      for (let ch = 0; ch < c; ch++) row[first[k] + within * c + ch] = sums[at++].sum;
    }
  }
  return row;
}

bounds('block sums of every level row equal the plain sums, on every build', async () => {
  const rng = mulberry32(5);
  // Rows narrower than a v128, rows not a multiple of 16 values, 3 channels, blocks of 128 pixels, all-255 images.
  const cases = [
    { shape: [5, 3, 1], block: [2, 2] }, { shape: [4, 7, 3], block: [3, 2] }, { shape: [9, 10, 3], block: [4, 4] },
    { shape: [28, 28, 1], block: [7, 7] }, { shape: [28, 28, 1], block: [2, 2] }, { shape: [1, 784, 1], block: [1, 49] },
    { shape: [16, 8, 1], block: [16, 8] }, { shape: [32, 32, 3], block: [8, 8] }, { shape: [17, 33, 1], block: [11, 11] },
  ];
  await eachBuild(async (build) => {
    const c = core(), K = pyramidKernels(c);
    for (const { shape, block } of cases) {
      const cols = shape[0] * shape[1] * shape[2], stride = paddedStride(cols, 1), n = 5;
      const x = randomU8(rng, n, cols);
      x.data.fill(255, 0, cols);
      const desc = c.alloc(K.pyramidDescBytes());
      const rowBytes = K.pyramidDescribeLevel(...shape, ...block, desc);
      const t = storeRows(c, x, stride), out = c.alloc(n * rowBytes), scratch = c.alloc(K.pyramidSumsScratchBytes(cols));
      try {
        K.pyramidSumsU8(t, n, stride, desc, out, 0, scratch);
        for (let r = 0; r < n; r++) {
          const want = levelRowReference(x.data.subarray(r * cols, (r + 1) * cols), shape, block);
          assert.is(rowBytes, want.length * 2, `${build} ${shape} ${block}: row bytes`);
          assert.equal(Array.from(new Uint16Array(c.u8.slice(out + r * rowBytes, out + (r + 1) * rowBytes).buffer)), Array.from(want), `${build} ${shape} ${block} row ${r}`);
        }
      } finally {
        for (const p of [desc, t, out, scratch]) c.free(p);
      }
    }
  });
});

bounds('equal the exact reference and never exceed the distance, on every build', async () => {
  await eachBuild(async (build) => {
    const rng = mulberry32(4242);
    for (const { shape, block } of boundCases(rng)) {
      const cols = shape[0] * shape[1] * shape[2];
      const { train, query } = boundData(rng, cols);
      for (const metric of ['l1', 'l2']) {
        const { columns, refined } = kernelBounds(query, train, shape, block, metric);
        for (let j = 0; j < train.rows; j++) {
          const t = train.data.subarray(j * cols, (j + 1) * cols);
          const label = `${build} ${metric} shape ${shape} block ${block} row ${j}`;
          const want = referenceBound(query.data, t, shape, block, metric);
          assert.is(columns[j], want, `${label}: column bound`);
          assert.is(refined[j], want, `${label}: refined bound`);
          assert.ok(want <= trueDistance(query.data, t, metric), `${label}: bound ${want} <= distance`);
        }
      }
    }
  });
});

bounds('refinement keeps exactly the rows whose bound is at most tau, in order', async () => {
  await eachBuild(async (build) => {
    const c = core(), K = pyramidKernels(c), rng = mulberry32(77);
    const shape = [9, 10, 3], block = [4, 4], cols = 270, stride = paddedStride(cols, 1);
    const train = randomU8(rng, 40, cols, 4), query = randomU8(rng, 2, cols, 4);
    for (const metric of ['l1', 'l2']) {
      const all = [0, 1].map((i) => kernelBounds({ data: query.data.subarray(i * cols, (i + 1) * cols), rows: 1, cols }, train, shape, block, metric).refined);
      const taus = all.map((b) => [...b].sort((x, y) => x - y)[17]);
      const desc = c.alloc(K.pyramidDescBytes());
      const rowBytes = K.pyramidDescribeLevel(...shape, ...block, desc);
      const t = storeRows(c, train, stride), q = storeRows(c, query, stride);
      const tl = c.alloc(40 * rowBytes), ql = c.alloc(2 * rowBytes), sumsScratch = c.alloc(K.pyramidSumsScratchBytes(cols));
      K.pyramidSumsU8(t, 40, stride, desc, tl, 0, sumsScratch);
      K.pyramidSumsU8(q, 2, stride, desc, ql, 0, sumsScratch);
      const pitch = 4 * 40, lists = c.alloc(2 * pitch), out = c.alloc(2 * pitch), counts = c.alloc(8), tauPtr = c.alloc(8), scratch = c.alloc(K.pyramidBatchScratchBytes(2));
      const qNorms = c.alloc(8), tNorms = c.alloc(4 * 40);
      K.pyramidRowNorms(ql, 2, desc, qNorms);
      K.pyramidRowNorms(tl, 40, desc, tNorms);
      // Query 0 refines the odd rows, query 1 every row.
      const odd = Array.from({ length: 20 }, (_, i) => 2 * i + 1), every = Array.from({ length: 40 }, (_, i) => i);
      c.i32.set(odd, lists >>> 2);
      c.i32.set(every, (lists + pitch) >>> 2);
      c.i32.set([odd.length, every.length], counts >>> 2);
      c.i32.set(taus, tauPtr >>> 2);
      K.pyramidRefineU8(METRIC_CODES[metric], ql, tl, desc, 2, lists, out, pitch, counts, tauPtr, qNorms, tNorms, scratch);
      [odd, every].forEach((rows, i) => {
        const want = rows.filter((j) => all[i][j] <= taus[i]);
        const got = c.i32[(counts >>> 2) + i];
        const base = (lists + i * pitch) >>> 2, boundBase = (out + i * pitch) >>> 2;
        assert.equal(Array.from(c.i32.subarray(base, base + got)), want, `${build} ${metric} query ${i}: kept rows`);
        assert.equal(Array.from(c.i32.subarray(boundBase, boundBase + got)), want.map((j) => all[i][j]), `${build} ${metric} query ${i}: their bounds`);
      });
      for (const p of [desc, t, q, tl, ql, sumsScratch, lists, out, counts, tauPtr, scratch, qNorms, tNorms]) c.free(p);
    }
  });
});

bounds.run();

const levels = suite('buildPyramid');

levels('pyramidGroupOrder: a permutation with tight groups; group boxes hold exactly their rows', async () => {
  const rng = mulberry32(12);
  // The search is exact under any order (the property tests); the order only makes groups tight.
  const boxWidth = (sums, order, width) => {
    let total = 0;
    for (let g = 0; g < order.length; g += 8) {
      for (let d = 0; d < width; d++) {
        const values = Array.from(order.slice(g, g + 8), (r) => sums[r * width + d]);
        total += Math.max(...values) - Math.min(...values);
      }
    }
    return total;
  };
  const cases = [[1, 8], [8, 8], [9, 8], [100, 16], [1000, 16], [333, 5], [500, 24]].map(([n, width]) => {
    // Rows near one of 4 centres, shuffled; few values, so the split keys tie often.
    const centres = Array.from({ length: 4 }, () => Array.from({ length: width }, () => Math.floor(rng() * 5) * 1000));
    const sums = new Uint16Array(n * width);
    for (let r = 0; r < n; r++) {
      const centre = centres[Math.floor(rng() * 4)];
      for (let d = 0; d < width; d++) sums[r * width + d] = centre[d] + Math.floor(rng() * 3) * 10;
    }
    return { n, width, sums };
  });
  // Every build splits at the same sum (the widest, the first of equals) as the first: SIMD ranges 8 sums at a time.
  const firstOrders = new Map();
  await eachBuild(async (build) => {
    const c = core(), K = pyramidKernels(c);
    for (const { n, width, sums } of cases) {
      // Level rows of 1 x 1 blocks over a 1 x width image hold `width` sums each, padded to 8.
      const desc = c.alloc(K.pyramidDescBytes());
      const rowBytes = K.pyramidDescribeLevel(1, width, 1, 1, 1, desc);
      const rows = c.alloc(n * rowBytes), order = c.alloc(4 * n);
      c.u8.fill(0, rows, rows + n * rowBytes);
      for (let r = 0; r < n; r++) c.u8.set(new Uint8Array(sums.buffer, r * width * 2, width * 2), rows + r * rowBytes);
      K.pyramidGroupOrder(rows, n, desc, order);
      const got = Int32Array.from(c.i32.subarray(order >>> 2, (order >>> 2) + n));
      for (const p of [desc, rows, order]) c.free(p);
      assert.equal([...got].sort((a, b) => a - b), Array.from({ length: n }, (_, i) => i), `${build} n=${n}: a permutation`);
      const key = `${n} x ${width}`;
      if (!firstOrders.has(key)) firstOrders.set(key, { build, got });
      assert.equal(got, firstOrders.get(key).got, `${build} n=${n} width=${width}: the order of the ${firstOrders.get(key).build} build`);
      const identity = Int32Array.from({ length: n }, (_, i) => i);
      if (n >= 100) assert.ok(boxWidth(sums, got, width) < boxWidth(sums, identity, width) / 4, `${build} n=${n}: groups tighter than in row order`);
    }
  });
  await init();
  const c = core(), K = pyramidKernels(c), shape = [9, 10, 3], block = [4, 4];
  const desc = c.alloc(K.pyramidDescBytes());
  const rowBytes = K.pyramidDescribeLevel(...shape, ...block, desc);
  for (const n of [1, 7, 8, 21, 64]) {
    const x = randomU8(rng, n, 270), stride = paddedStride(270, 1);
    const t = storeRows(c, x, stride), rows = c.alloc(n * rowBytes), boxes = c.alloc(K.pyramidGroupBoxesBytes(n, desc, 8)), sumsScratch = c.alloc(K.pyramidSumsScratchBytes(270));
    K.pyramidSumsU8(t, n, stride, desc, rows, 0, sumsScratch);
    K.pyramidGroupBoxesU8(rows, n, desc, boxes, 0, 8);
    // The boxes are the columns (pyramidColumnsU8) of one row of elementwise minima per group, then of maxima.
    const groups = Math.ceil(n / 8), width = rowBytes / 2, half = K.pyramidGroupBoxesBytes(n, desc, 8) / 2;
    const level = new Uint16Array(c.u8.slice(rows, rows + n * rowBytes).buffer);
    const extremes = [Math.min, Math.max].map((pick) => Uint16Array.from({ length: groups * width }, (_, at) => {
      const g = Math.floor(at / width), d = at % width;
      return pick(...Array.from({ length: Math.min(8, n - 8 * g) }, (_, r) => level[(8 * g + r) * width + d]));
    }));
    const cols = c.alloc(half), ext = c.alloc(groups * rowBytes);
    for (const [i, rowsOfGroups] of extremes.entries()) {
      c.u8.set(new Uint8Array(rowsOfGroups.buffer), ext);
      K.pyramidColumnsU8(ext, groups, desc, cols, 0);
      assert.equal(Array.from(c.u8.slice(boxes + i * half, boxes + (i + 1) * half)), Array.from(c.u8.slice(cols, cols + half)), `n=${n}: ${i === 0 ? 'smallest' : 'largest'} sums per group`);
    }
    c.free(cols);
    c.free(ext);
    for (const p of [t, rows, boxes, sumsScratch]) c.free(p);
  }
  c.free(desc);
});

levels('levels: coarse to fine, clipped to the image, within the memory share', async () => {
  await init();
  assert.equal(levelBlocks([28, 28, 1]), [[7, 7], [2, 2]]);
  assert.equal(levelBlocks([32, 32, 3]), [[8, 8], [2, 2]]);
  assert.equal(levelBlocks([1, 784, 1]), [[1, 49], [1, 4]]);
  assert.equal(levelBlocks([3, 2, 1]), [[2, 2]]);
  assert.equal(levelBlocks([9, 10, 3]), [[3, 3], [2, 2]]);
  assert.equal(levelBlocks([1, 1, 3]), []);
  const rng = mulberry32(5);
  for (const shape of [[28, 28, 1], [32, 32, 3], [13, 10, 3], [1, 1, 1], [100, 100, 1]]) {
    const cols = shape[0] * shape[1] * shape[2];
    const x = randomU8(rng, 50, cols);
    const t = storeTrainingRows(core(), x, 'l1');
    const p = await buildPyramid(t, shape, 'l1');
    assert.ok(p.bytes <= PYRAMID_MEMORY_SHARE * t.rows * t.stride + 8 * t.stride, `${shape}: ${p.bytes} bytes for ${t.rows} x ${t.stride}`);
    freePyramid(p);
    freeTrainingRows(t);
  }
});

levels('refuses a shape that does not match the rows', async () => {
  await init();
  const t = storeTrainingRows(core(), randomU8(mulberry32(1), 3, 12), 'l1');
  try {
    await rejects(buildPyramid(t, [2, 2, 2], 'l1'), { code: 'ERR_ARG_RANGE', message: /have 12 values/ });
    await rejects(buildPyramid(t, [2, 6.5, 1], 'l1'), { code: 'ERR_ARG_RANGE', message: /positive integers/ });
  } finally {
    freeTrainingRows(t);
  }
});

levels('freePyramid releases every block it allocated', async () => {
  await init();
  const c = core();
  const t = storeTrainingRows(c, randomU8(mulberry32(2), 100, 784), 'l2');
  const before = c.usedBytes;
  const p = await buildPyramid(t, [28, 28, 1], 'l2', { minProjectionRows: 0 });
  assert.is(p.levels[0].block, null, 'squared L2 over 784 columns: projection levels');
  await searchPyramid(p, randomU8(mulberry32(3), 20, 784), 3, 'l2');
  freePyramid(p);
  assert.is(c.usedBytes, before);
  freeTrainingRows(t);
});

levels.run();

const search = suite('searchPyramid');

/** Brute-force neighbours of the same rows through KNearestNeighbor (the model's own path). */
async function bruteForce(X, Q, k, metric) {
  const knn = new KNearestNeighbor({ k, metric });
  await knn.train(X, new Int32Array(X.rows));
  try {
    return await knn.kneighbors(Q, { k });
  } finally {
    knn.dispose();
  }
}

search('identical to brute force on the Fashion-MNIST sample (10,000 x 500, k = 5)', async () => {
  await init();
  const { train, test, shape } = await loadDataset(new URL('../data/fashion-mnist-sample', import.meta.url).pathname, { testLimit: 500 });
  for (const metric of ['l1', 'l2']) {
    const t = storeTrainingRows(core(), train.X, metric);
    const p = await buildPyramid(t, shape, metric, { minProjectionRows: 0 });
    try {
      const got = await searchPyramid(p, test.X, 5, metric), want = await bruteForce(train.X, test.X, 5, metric);
      assert.equal(got.indices, want.indices, `${metric}: indices`);
      assert.equal(got.distances, want.distances, `${metric}: distances`);
      const pairs = got.stats.queries * got.stats.rows;
      const reached = got.stats.levels.map((l) => `${l.block === null ? `${l.dims} axes` : l.block.join('x')} ${(100 * l.reached / pairs).toFixed(2)}%`).join(', ');
      console.log(`\n  ${metric}: rows reaching each level ${reached}; exact distances ${(100 * got.stats.exact / pairs).toFixed(2)}% of brute force`);
      assert.ok(got.stats.exact < 0.05 * pairs, `${metric}: the bounds prune`);
    } finally {
      freePyramid(p);
      freeTrainingRows(t);
    }
  }
});

search('several batches: similar queries are searched together, answers come back in the caller\'s order', async () => {
  await init();
  const rng = mulberry32(21), cols = 64, n = 400, m = 300;
  // Rows near one of 3 centres; the queries alternate between the centres, so reordering them by similarity moves every one.
  const centres = Array.from({ length: 3 }, () => Array.from({ length: cols }, () => Math.floor(rng() * 256)));
  const near = (centre) => centre.map((v) => Math.max(0, Math.min(255, v + Math.floor(rng() * 41) - 20)));
  const rowsNear = (count) => ({ data: Uint8Array.from(Array.from({ length: count }, (_, i) => near(centres[i % 3])).flat()), rows: count, cols });
  const X = rowsNear(n), Q = rowsNear(m);
  for (const metric of ['l1', 'l2']) {
    const t = storeTrainingRows(core(), X, metric);
    const p = await buildPyramid(t, [8, 8, 1], metric);
    try {
      const got = await searchPyramid(p, Q, 4, metric), want = await bruteForce(X, Q, 4, metric);
      assert.equal(got.indices, want.indices, `${metric}: indices`);
      assert.equal(got.distances, want.distances, `${metric}: distances`);
      for (const q of [0, 1, 2, 150, 299]) {
        const one = await searchPyramid(p, { data: Q.data.subarray(q * cols, (q + 1) * cols), rows: 1, cols }, 4, metric);
        assert.equal(Array.from(one.indices), Array.from(got.indices.subarray(q * 4, q * 4 + 4)), `${metric}: query ${q} alone`);
      }
    } finally {
      freePyramid(p);
      freeTrainingRows(t);
    }
  }
});

search('an aborted search rejects with ERR_ABORTED, frees its blocks, and the pyramid searches on', async () => {
  await init();
  const rng = mulberry32(22), X = randomU8(rng, 300, 64), Q = randomU8(rng, 400, 64);
  const t = storeTrainingRows(core(), X, 'l1');
  const p = await buildPyramid(t, [8, 8, 1], 'l1');
  try {
    const used = core().usedBytes, before = new AbortController();
    before.abort();
    await rejects(searchPyramid(p, Q, 3, 'l1', { signal: before.signal }), { code: 'ERR_ABORTED', message: /kneighbors was aborted/ });
    const during = new AbortController();
    await rejects(searchPyramid(p, Q, 3, 'l1', { signal: during.signal, onProgress: () => during.abort() }), { code: 'ERR_ABORTED' });
    assert.is(core().usedBytes, used, 'the aborted searches freed their blocks');
    const got = await searchPyramid(p, Q, 3, 'l1'), want = await bruteForce(X, Q, 3, 'l1');
    assert.equal(got.indices, want.indices);
  } finally {
    freePyramid(p);
    freeTrainingRows(t);
  }
});

search('training rows in several chunks: thresholds carry over, indices offset by the chunk', async () => {
  await eachBuild(async (build) => {
    const c = core(), rng = mulberry32(11);
    const shape = [6, 7, 3], cols = 126, stride = paddedStride(cols, 1);
    const X = randomU8(rng, 90, cols, 3), Q = randomU8(rng, 21, cols, 3);
    X.data.copyWithin(80 * cols, 5 * cols, 10 * cols); // duplicates across chunks: ties by index
    const sizes = [30, 1, 59], chunks = [];
    for (let first = 0, i = 0; i < sizes.length; first += sizes[i], i++) {
      const ptr = c.alloc(sizes[i] * stride);
      writeRows(c, X, first, sizes[i], ptr, stride);
      chunks.push({ first, rows: sizes[i], ptr });
    }
    try {
      for (const metric of ['l1', 'l2']) {
        const p = await buildPyramid({ core: c, rows: 90, cols, stride, chunks }, shape, metric, { minProjectionRows: 0 });
        try {
          for (const k of [1, 4, 31, 90]) {
            const got = await searchPyramid(p, Q, k, metric), want = await bruteForce(X, Q, k, metric);
            assert.equal(got.indices, want.indices, `${build} ${metric} k=${k}: indices`);
            assert.equal(got.distances, want.distances, `${build} ${metric} k=${k}: distances`);
          }
        } finally {
          freePyramid(p);
        }
      }
    } finally {
      for (const chunk of chunks) c.free(chunk.ptr);
    }
  });
});

search('no queries, and arguments it refuses', async () => {
  await init();
  const t = storeTrainingRows(core(), randomU8(mulberry32(4), 10, 16), 'l1');
  const p = await buildPyramid(t, [4, 4, 1], 'l1');
  try {
    const none = await searchPyramid(p, { data: new Uint8Array(0), rows: 0, cols: 16 }, 3, 'l1');
    assert.is(none.indices.length, 0);
    assert.is(none.stats.exact, 0);
    await rejects(searchPyramid(p, randomU8(mulberry32(5), 2, 16), 11, 'l1'), { code: 'ERR_ARG_RANGE', message: /k to be an integer in \[1, 10\]/ });
    await rejects(searchPyramid(p, randomU8(mulberry32(5), 2, 15), 1, 'l1'), { code: 'ERR_ARG_RANGE', message: /16 columns/ });
    await rejects(searchPyramid(p, { data: new Float32Array(16), rows: 1, cols: 16 }, 1, 'l1'), { code: 'ERR_ARG_TYPE', message: /Uint8Array/ });
  } finally {
    freePyramid(p);
    freeTrainingRows(t);
  }
});

search.run();

// Byte counts that wasm32 cannot hold never reach the allocator: every route that once wrapped a
// size past 2^32 (and wrote past a block into other models) now fails with a typed error before
// anything is allocated, and two other live models predict exactly as before.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { init, KNearestNeighbor, LinearSVM, Softmax, svmLoss, softmaxLoss } from '../dist/node.js';
import { core } from '../dist/runtime.js';
import { ROW_CHUNK_BYTES } from '../dist/layout.js';
import { spawnSync } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipBomb, idx, idxFiles, makeFolder } from './data-files.mjs';
import { mulberry32, randomLabels, randomU8, rejects, throws } from './helpers.mjs';

const rng = mulberry32(4242);
const X = randomU8(rng, 300, 64);
const y = randomLabels(rng, 300, 4);
const Q = randomU8(rng, 40, 64);
const live = {};

async function bystanders() {
  return { knn: await live.knn.predict(Q), svm: await live.svm.predict(Q), weights: live.svm.weights.data };
}

async function assertBystandersIntact(label) {
  const now = await bystanders();
  assert.equal(now.knn, live.before.knn, `${label}: the kNN bystander predicts as before`);
  assert.equal(now.svm, live.before.svm, `${label}: the SVM bystander predicts as before`);
  assert.equal(now.weights, live.before.weights, `${label}: the SVM bystander's weights are unchanged`);
}

test.before(async () => {
  await init();
  live.knn = new KNearestNeighbor({ k: 3, metric: 'l2' });
  await live.knn.train(X, y);
  live.svm = new LinearSVM();
  await live.svm.train(X, y, { learningRate: 1e-7, reg: 1, numIters: 20, seed: 1 });
  live.before = await bystanders();
});

test.after(() => {
  live.knn.dispose();
  live.svm.dispose();
});

test('the allocator wrapper refuses sizes that are not positive integers below the largest block', () => {
  const c = core();
  const usedBefore = c.usedBytes;
  for (const bytes of [2 ** 32, 2 ** 32 + 16, 2 ** 40, -1, 0, 1.5, NaN, Infinity]) {
    const code = bytes > 0 && Number.isFinite(bytes) && Number.isInteger(bytes) ? 'ERR_OUT_OF_MEMORY' : 'ERR_ARG_RANGE';
    throws(() => c.alloc(bytes, 'a test block'), { code, message: /a test block/ });
  }
  throws(() => c.alloc(c.maxBlockBytes + 1, 'one block too many'), { code: 'ERR_OUT_OF_MEMORY', message: /one block too many needs .* in one block/ });
  assert.is(c.usedBytes, usedBefore, 'nothing was allocated');
});

test('a freed or unknown pointer is never freed twice', () => {
  const c = core();
  const usedBefore = c.usedBytes;
  const a = c.alloc(64, 'a'), b = c.alloc(64, 'b');
  c.free(a);
  c.free(a);
  c.free(12345);
  const again = c.alloc(64, 'again');
  assert.is.not(again, b, 'the live block is not handed out again');
  c.free(b);
  c.free(again);
  assert.is(c.usedBytes, usedBefore);
});

test('class count x batch size past 2^32: LinearSVM batchSize 16384 and Softmax 16385 with 65536 classes', async () => {
  const tiny = { data: new Float32Array([0, 1]), rows: 2, cols: 1 };
  for (const [Model, batchSize] of [[LinearSVM, 16384], [Softmax, 16385]]) {
    const model = new Model();
    await rejects(model.train(tiny, [0, 65535], { batchSize, numIters: 1 }), { code: 'ERR_ARG_RANGE', message: /batchSize <= \d+ for 1 features and 65536 classes/ });
    assert.is(model.numClasses, 0, 'the model stays untrained');
  }
  await assertBystandersIntact('65536 classes');
});

test('batchSize 1,400,000 on 1000 x 784 u8 and 2**30 on 50 x 11 are too large, before any copy', async () => {
  const usedBefore = core().usedBytes;
  const big = randomU8(rng, 1000, 784), small = randomU8(rng, 50, 11);
  await rejects(new LinearSVM().train(big, randomLabels(rng, 1000, 10), { batchSize: 1_400_000, numIters: 1 }), { code: 'ERR_ARG_RANGE', message: /batchSize <= \d+ .*got 1400000/ });
  await rejects(new Softmax().train(small, randomLabels(rng, 50, 3), { batchSize: 2 ** 30, numIters: 1 }), { code: 'ERR_ARG_RANGE', message: /batchSize/ });
  assert.is(core().usedBytes, usedBefore, 'nothing was left allocated');
  await assertBystandersIntact('large batchSize');
});

test('svmLoss and softmaxLoss whose score matrix passes 2^32 bytes: 16384 rows x 65536 classes', async () => {
  const W = { data: new Float32Array(65536), rows: 1, cols: 65536 };
  const Xl = { data: new Float32Array(16384).fill(1), rows: 16384, cols: 1 };
  const labels = new Int32Array(16384);
  for (const loss of [svmLoss, softmaxLoss]) {
    throws(() => loss(W, Xl, labels, 0), { code: 'ERR_OUT_OF_MEMORY', message: /the scores would need 16384 x 262144 bytes, more than wasm32's 4 GiB/ });
  }
  await assertBystandersIntact('loss score matrix');
});

test('kNN train on 2^28 rows x 1 u8 column needs 4 GiB of padded rows: refused before any copy, naming needed and free bytes', async () => {
  const usedBefore = core().usedBytes;
  const huge = { data: new Uint8Array(2 ** 28), rows: 2 ** 28, cols: 1 };
  const knn = new KNearestNeighbor({ k: 1, metric: 'l1' });
  await rejects(knn.train(huge, new Uint8Array(2 ** 28)), { code: 'ERR_OUT_OF_MEMORY', message: /training set \(268435456 x 1 u8, l1\) needs 4\.00 GiB \(4294967296 bytes\); about .* are free/ });
  assert.is(knn.nTrain, 0);
  assert.is(core().usedBytes, usedBefore, 'nothing was left allocated');
  await assertBystandersIntact('2^28 x 1 kNN');
});

// Training rows live in chunks of ROW_CHUNK_BYTES. Rows whose pixels are one value make every
// distance known in closed form: the rows equal to the query straddle a chunk boundary, so the
// merged top-k must list them in index order across chunks, then the nearest others by index.
for (const [dtype, metric] of [['u8', 'l1'], ['u8', 'l2'], ['f32', 'l2'], ['f32', 'l1']]) {
  test(`kNN over several row chunks (${dtype} ${metric}): merged top-k and ties equal brute force`, async () => {
    const cols = 784, bytesPerRow = dtype === 'u8' ? cols : cols * 4;
    const perChunk = Math.floor(ROW_CHUNK_BYTES / (bytesPerRow * 8)) * 8;
    const rows = perChunk * 2 + 100;
    const data = dtype === 'u8' ? new Uint8Array(rows * cols) : new Float32Array(rows * cols);
    const value = (i) => (i >= perChunk - 3 && i < perChunk + 4) || i === rows - 1 ? 200 : 100 - (i % 7);
    for (let i = 0; i < rows; i++) data.fill(value(i), i * cols, (i + 1) * cols);
    const labels = Int32Array.from({ length: rows }, (_, i) => (value(i) === 200 ? 1 : 0));
    const knn = new KNearestNeighbor({ k: 12, metric });
    await knn.train({ data, rows, cols }, labels);
    const query = dtype === 'u8' ? new Uint8Array(cols).fill(200) : new Float32Array(cols).fill(200);
    const { indices, distances } = await knn.kneighbors({ data: query, rows: 1, cols });
    const exact = [perChunk - 3, perChunk - 2, perChunk - 1, perChunk, perChunk + 1, perChunk + 2, perChunk + 3, rows - 1];
    // Then the rows of value 100 (i % 7 === 0), lowest index first.
    const next = [0, 7, 14, 21];
    assert.equal(Array.from(indices), [...exact, ...next]);
    const gap = metric === 'l1' ? 100 * cols : Math.sqrt(100 * 100 * cols);
    for (let j = 0; j < 12; j++) assert.ok(Math.abs(distances[j] - (j < 8 ? 0 : gap)) <= gap * 1e-6, `distance ${j}: ${distances[j]}`);
    assert.equal(Array.from(await knn.predict({ data: query, rows: 1, cols })), [1]);
    const all = knn.computeDistances({ data: query, rows: 1, cols });
    for (const i of [0, perChunk - 1, perChunk, rows - 1]) {
      const expected = metric === 'l1' ? Math.abs(200 - value(i)) * cols : Math.sqrt(cols) * Math.abs(200 - value(i));
      assert.ok(Math.abs(all[i] - expected) <= 1e-6 * Math.max(1, expected), `computeDistances[${i}]`);
    }
    knn.dispose();
  });
}


test('kNN add() grows chunks (doubling, then new chunks past 64 MiB): equal to train on the concatenation', async () => {
  const cols = 784, perChunk = Math.floor(ROW_CHUNK_BYTES / (cols * 8)) * 8;
  const rows = perChunk + 20000;
  const big = randomU8(rng, rows, cols, 16), labels = randomLabels(rng, rows, 5), Q = randomU8(rng, 12, cols, 16);
  const part = (first, n) => ({ data: big.data.subarray(first * cols, (first + n) * cols), rows: n, cols });
  for (const metric of ['l1', 'l2']) {
    const whole = new KNearestNeighbor({ k: 7, metric }), grown = new KNearestNeighbor({ k: 7, metric });
    await whole.train(big, labels);
    for (const [first, n] of [[0, 3], [3, 1000], [1003, 30000], [31003, rows - 31003]]) await grown.add(part(first, n), labels.subarray(first, first + n));
    const a = await whole.kneighbors(Q), b = await grown.kneighbors(Q);
    assert.equal(Array.from(b.indices), Array.from(a.indices), `${metric}: indices`);
    assert.equal(Array.from(b.distances), Array.from(a.distances), `${metric}: distances`);
    whole.dispose();
    grown.dispose();
  }
  await assertBystandersIntact('kNN add across chunks');
});

test('linear training reads rows from several chunks: a full-batch loss equals svmLoss on the same rows', async () => {
  const cols = 784, perChunk = Math.floor(ROW_CHUNK_BYTES / cols);
  const rows = perChunk + 300;
  const big = randomU8(rng, rows, cols);
  const labels = randomLabels(rng, rows, 3);
  const svm = new LinearSVM();
  // learningRate 0 keeps the seeded initial weights, so the model reports the W the loss was taken at.
  const [loss] = await svm.train(big, labels, { learningRate: 0, reg: 0, numIters: 1, batchSize: rows, replace: false, seed: 3 });
  const { weights, bias, mean } = svm;
  const W = { data: new Float32Array((cols + 1) * 3), rows: cols + 1, cols: 3 };
  W.data.set(weights.data);
  W.data.set(bias, cols * 3);
  const centred = { data: new Float32Array(rows * (cols + 1)), rows, cols: cols + 1 };
  for (let i = 0; i < rows; i++) {
    for (let j = 0; j < cols; j++) centred.data[i * (cols + 1) + j] = big.data[i * cols + j] - mean[j];
    centred.data[i * (cols + 1) + cols] = 1;
  }
  const expected = svmLoss(W, centred, labels, 0).loss;
  assert.ok(Math.abs(loss - expected) <= 1e-5 * expected, `loss ${loss}, svmLoss ${expected}`);
  svm.dispose();
});

test('through the CLI: an IDX header past 2^32 bytes and --batch-size 1400000 are clean one-line errors', async () => {
  const tmp = await mkdtemp(join(tmpdir(), 'simdclass-memory-'));
  try {
    const files = idxFiles(2, 2, { gz: true });
    files['train-images-idx3-ubyte.gz'] = await gzipBomb(idx([60000, 20000, 20000], []), 512 * 1024);
    const dir = await makeFolder(tmp, 'huge-header', files);
    const main = fileURLToPath(new URL('../dist/cli/main.js', import.meta.url));
    const run = (...args) => spawnSync(process.execPath, [main, ...args], { encoding: 'utf8', timeout: 60_000, env: { ...process.env, NO_COLOR: '1' } });
    for (const command of ['knn', 'linear']) {
      const r = run(command, '--data', dir);
      assert.is(r.status, 1, `${command}: ${r.stderr}`);
      assert.match(r.stderr, /^simdclass: .*train-images-idx3-ubyte\.gz declares dimensions 60000 x 20000 x 20000/m);
      assert.not.match(r.stderr, /\n\s+at /, 'no stack trace');
    }
    const r = run('linear', '--batch-size', '1400000', '--iters', '1');
    assert.is(r.status, 2, r.stderr);
    assert.match(r.stderr, /^simdclass: Expected batchSize <= \d+ for 784 features and 10 classes/m);
  } finally {
    await rm(tmp, { recursive: true, force: true });
  }
});

test.run();

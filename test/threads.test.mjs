// The worker pool: results equal in-thread execution for every split, the caller's thread stays
// free, a crashed worker fails only its own call, re-entry never reads freed blocks, and an
// AbortSignal leaves the model as it was. kNN runs with algorithm 'brute' here: the pyramid search
// does not use the pool yet.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { init, KNearestNeighbor, LinearSVM, Softmax, mergeTopK } from '../dist/node.js';
import { core } from '../dist/runtime.js';
import { referenceKneighbors } from '../dist/reference.js';
import { copyRow, mulberry32, randomF32, randomLabels, randomU8, rejects, throws } from './helpers.mjs';

const arr = (a) => Array.from(a);

async function neighborsWith(threads, X, y, Q, k, metric) {
  const info = await init({ threads });
  assert.is(info.threads, threads);
  const knn = new KNearestNeighbor({ k, metric, algorithm: 'brute' });
  await knn.train(X, y);
  const out = { ...(await knn.kneighbors(Q)), predicted: await knn.predict(Q) };
  knn.dispose();
  return out;
}

const Equal = suite('1, 2, 3 and 4 workers equal in-thread execution');

Equal('u8 and f32, L1 and L2: uneven splits, fewer queries or rows than workers, k above a worker share, ties across shares', async () => {
  const rng = mulberry32(77);
  const cases = [];
  for (const dtype of ['u8', 'f32']) {
    for (const metric of ['l1', 'l2']) {
      const make = (rows, cols) => (dtype === 'u8' ? randomU8(rng, rows, cols, 4) : randomF32(rng, rows, cols));
      // Duplicated rows at the places where shares of 1..4 workers meet: ties straddle workers.
      const X = make(101, 13);
      for (const [from, to] of [[7, 8], [7, 16], [50, 48], [50, 56], [24, 25], [24, 32]]) copyRow(X, from, X, to);
      cases.push({ label: `${dtype} ${metric} 101 rows, 700 queries`, X, Q: make(700, 13), k: 7, metric });
      cases.push({ label: `${dtype} ${metric} 101 rows, 1 query`, X, Q: make(1, 13), k: 30, metric });
      cases.push({ label: `${dtype} ${metric} 3 rows, 2 queries`, X: make(3, 13), Q: make(2, 13), k: 3, metric });
    }
  }
  for (const c of cases) {
    const y = randomLabels(rng, c.X.rows, 3);
    const inThread = await neighborsWith(0, c.X, y, c.Q, c.k, c.metric);
    assert.equal(arr(inThread.indices), arr(referenceKneighbors(c.Q, c.X, c.k, c.metric)), `${c.label}: in-thread equals the reference`);
    for (const threads of [1, 2, 3, 4]) {
      const pooled = await neighborsWith(threads, c.X, y, c.Q, c.k, c.metric);
      assert.equal(arr(pooled.indices), arr(inThread.indices), `${c.label}, ${threads} workers: indices`);
      assert.equal(arr(pooled.distances), arr(inThread.distances), `${c.label}, ${threads} workers: distances`);
      assert.equal(arr(pooled.predicted), arr(inThread.predicted), `${c.label}, ${threads} workers: predictions`);
    }
  }
  await init({ threads: 2 });
});

Equal('linear training and scores: the same model and scores on 0 and 2 workers', async () => {
  const rng = mulberry32(78);
  const X = randomU8(rng, 600, 40), y = randomLabels(rng, 600, 4);
  const results = [];
  for (const threads of [0, 2]) {
    await init({ threads });
    const model = new Softmax();
    const history = await model.train(X, y, { learningRate: 1e-6, reg: 10, numIters: 150, batchSize: 50, seed: 5 });
    results.push({ history, weights: arr(model.weights.data), scores: arr((await model.scores(X)).data) });
    model.dispose();
  }
  assert.equal(results[1], results[0]);
  await init({ threads: 2 });
});

Equal.run();

const Async = suite('async for real');

Async('a 10 ms timer fires while a 2,000-query predict runs on the workers', async () => {
  assert.is((await init({ threads: 2 })).threads, 2);
  const rng = mulberry32(79);
  const knn = new KNearestNeighbor({ k: 5, metric: 'l2', algorithm: 'brute' });
  await knn.train(randomU8(rng, 20000, 784), randomLabels(rng, 20000, 10));
  let ticks = 0;
  const timer = setInterval(() => ticks++, 10);
  const started = performance.now();
  await knn.predict(randomU8(rng, 2000, 784));
  const elapsed = performance.now() - started;
  clearInterval(timer);
  knn.dispose();
  assert.ok(ticks >= 1, `the timer fired ${ticks} times in ${elapsed.toFixed(0)} ms`);
});

Async('an SVM train leaves the caller free: a timer fires during it', async () => {
  await init({ threads: 2 });
  const rng = mulberry32(80);
  const X = randomU8(rng, 2000, 784), y = randomLabels(rng, 2000, 10);
  let ticks = 0;
  const timer = setInterval(() => ticks++, 5);
  const svm = new LinearSVM();
  await svm.train(X, y, { learningRate: 1e-7, reg: 1, numIters: 300, batchSize: 200 });
  clearInterval(timer);
  svm.dispose();
  assert.ok(ticks >= 1, `the timer fired ${ticks} times`);
});

Async('idle workers do not keep a Node process alive', () => {
  const entry = fileURLToPath(new URL('../dist/node.js', import.meta.url));
  const script = `const m = await import(${JSON.stringify(entry)}); const info = await m.init({ threads: 2 });
    const knn = new m.KNearestNeighbor({ k: 1 }); await knn.train([[0, 0], [1, 1]], [0, 1]);
    process.stdout.write(info.threads + ' ' + (await knn.predict([[0.9, 0.9]]))[0]);`;
  const r = spawnSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8', timeout: 20_000 });
  assert.is(r.signal, null, `the process ended by itself (${r.signal})`);
  assert.is(r.status, 0, r.stderr);
  assert.is(r.stdout.trim(), '2 1');
});

Async.run();

const Workers = suite('workers');

Workers('a second instantiation of the module over the shared memory leaves live blocks intact', async () => {
  await init({ threads: 2 });
  const c = core();
  const ptr = c.alloc(4096, 'a test block');
  const pattern = Uint8Array.from({ length: 4096 }, (_, i) => (i * 7) % 251);
  c.u8.set(pattern, ptr);
  const heapBefore = c.u8.slice(0, 65536);
  c.pool.crashWorker(0); // its replacement instantiates the module again
  for (let waited = 0; c.pool.readyWorkers < 2; waited += 10) {
    assert.ok(waited < 10_000, 'the replacement worker started');
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  const rng = mulberry32(81);
  const knn = new KNearestNeighbor({ k: 3, algorithm: 'brute' });
  await knn.train(randomU8(rng, 50, 16), randomLabels(rng, 50, 2));
  for (let i = 0; i < 4; i++) await knn.predict(randomU8(rng, 600, 16)); // runs on the new worker too
  assert.equal(c.u8.slice(ptr, ptr + 4096), pattern, 'the live block is unchanged');
  assert.equal(c.u8.slice(0, 1024), heapBefore.slice(0, 1024), 'the static data is unchanged');
  const next = c.alloc(64, 'after');
  assert.ok(next >= ptr + 4096 || next + 64 <= ptr, 'the allocator does not hand out the live block');
  c.free(next);
  c.free(ptr);
  knn.dispose();
});

Workers('a worker that crashes rejects the call it ran with ERR_WORKER; the pool replaces it and the model stays usable', async () => {
  await init({ threads: 2 });
  const rng = mulberry32(82);
  const X = randomU8(rng, 3000, 64), y = randomLabels(rng, 3000, 3), Q = randomU8(rng, 3000, 64);
  const knn = new KNearestNeighbor({ k: 3, metric: 'l1', algorithm: 'brute' });
  await knn.train(X, y);
  const expected = await knn.predict(Q);
  const running = knn.predict(Q);
  core().pool.crashWorker(0);
  await rejects(running, { code: 'ERR_WORKER', message: /worker stopped/ });
  assert.equal(arr(await knn.predict(Q)), arr(expected), 'the model predicts as before on the new worker');
  knn.dispose();
});

Workers('runtime info: threads 0, the scalar build and a wrong thread count', async () => {
  assert.equal(await init({ threads: 0 }), { build: (await init({ threads: 0 })).build, memoryBytes: core().memoryBytes, threads: 0 });
  const scalar = await init({ build: 'scalar', threads: 2 });
  assert.is(scalar.threads, 0);
  assert.match(scalar.threadsNote, /scalar build runs in the caller's thread/);
  await rejects(() => init({ build: 'auto', threads: -1 }), { code: 'ERR_ARG_RANGE', message: /threads/ });
  await rejects(() => init({ threads: 1.5 }), { code: 'ERR_ARG_TYPE', message: /threads/ });
  await init({ build: 'relaxed', threads: 2 });
});

Workers.run();

const Reentry = suite('re-entry');

Reentry('dispose() inside a running predict\'s onProgress: the predict finishes right, then the blocks are freed', async () => {
  await init({ threads: 2 });
  const rng = mulberry32(83);
  const X = randomU8(rng, 400, 32), y = randomLabels(rng, 400, 4), Q = randomU8(rng, 1000, 32);
  const used = core().usedBytes;
  const knn = new KNearestNeighbor({ k: 3, algorithm: 'brute' });
  await knn.train(X, y);
  const expected = await knn.predict(Q);
  let disposed = false;
  const got = await knn.predict(Q, { onProgress: () => { if (!disposed) { knn.dispose(); disposed = true; } } });
  assert.equal(arr(got), arr(expected));
  assert.is(core().usedBytes, used, 'every block was freed once the predict ended');
  await rejects(knn.predict(Q), { code: 'ERR_STATE', message: /disposed/ });
});

Reentry('train() inside a running predict\'s onProgress: the predict finishes on the old rows, later calls use the new', async () => {
  await init({ threads: 2 });
  const rng = mulberry32(84);
  const X1 = randomU8(rng, 300, 32), X2 = randomU8(rng, 300, 32), y = randomLabels(rng, 300, 4), Q = randomU8(rng, 800, 32);
  const used = core().usedBytes;
  const a = new KNearestNeighbor({ k: 3 }), b = new KNearestNeighbor({ k: 3 });
  await a.train(X1, y);
  await b.train(X2, y);
  const old = await a.predict(Q), fresh = await b.predict(Q);
  let retrained = null;
  const got = await a.predict(Q, { onProgress: () => { retrained ??= a.train(X2, y); } });
  await retrained;
  assert.equal(arr(got), arr(old), 'the running predict used the rows it started with');
  assert.equal(arr(await a.predict(Q)), arr(fresh), 'the next predict uses the new rows');
  a.dispose();
  b.dispose();
  assert.is(core().usedBytes, used);
});

Reentry('dispose() inside a Softmax\'s own onProgress: train rejects with ERR_STATE and every block is freed', async () => {
  await init({ threads: 2 });
  const rng = mulberry32(85);
  const used = core().usedBytes;
  const model = new Softmax();
  await rejects(model.train(randomU8(rng, 500, 20), randomLabels(rng, 500, 3), { numIters: 500, onProgress: (it) => { if (it === 3) model.dispose(); } }),
    { code: 'ERR_STATE', message: /disposed/ });
  assert.is(core().usedBytes, used);
});

Reentry('a second train() while one runs is ERR_STATE; the first completes', async () => {
  await init({ threads: 2 });
  const rng = mulberry32(86);
  const X = randomU8(rng, 500, 20), y = randomLabels(rng, 500, 3);
  const model = new LinearSVM();
  const first = model.train(X, y, { numIters: 200 });
  await rejects(model.train(X, y), { code: 'ERR_STATE', message: /already training/ });
  assert.is((await first).length, 200);
  model.dispose();
});

Reentry.run();

const Abort = suite('AbortSignal');

Abort('abort during predict and train: ERR_ABORTED, nothing leaks, the model is as it was', async () => {
  await init({ threads: 2 });
  const rng = mulberry32(87);
  const X = randomU8(rng, 2000, 64), y = randomLabels(rng, 2000, 3), Q = randomU8(rng, 3000, 64);
  const used = core().usedBytes;
  const knn = new KNearestNeighbor({ k: 3, algorithm: 'brute' });
  await knn.train(X, y);
  const expected = await knn.predict(Q);
  const controller = new AbortController();
  await rejects(knn.predict(Q, { signal: controller.signal, onProgress: () => controller.abort() }), { code: 'ERR_ABORTED', message: /kneighbors was aborted/ });
  assert.equal(arr(await knn.predict(Q)), arr(expected));
  knn.dispose();

  const svm = new LinearSVM();
  const history = await svm.train(X, y, { numIters: 20, seed: 1 });
  const weights = arr(svm.weights.data);
  const stop = new AbortController();
  await rejects(svm.train(X, y, { numIters: 5000, signal: stop.signal, onProgress: (it) => { if (it === 10) stop.abort(); } }), { code: 'ERR_ABORTED', message: /train was aborted/ });
  assert.equal(arr(svm.weights.data), weights, 'the model keeps its weights');
  assert.is(history.length, 20);
  svm.dispose();
  assert.is(core().usedBytes, used);
  await rejects(new KNearestNeighbor().kneighbors(Q, { signal: 'stop' }), { code: 'ERR_ARG_TYPE', message: /signal to be an AbortSignal/ });
});

Abort.run();

const Merge = suite('mergeTopK');

Merge('shards of the training rows merge to the search over all rows, ties to the lower global index', async () => {
  await init({ threads: 0 });
  const rng = mulberry32(88);
  for (const metric of ['l1', 'l2']) {
    const X = randomU8(rng, 90, 10, 3), Q = randomU8(rng, 25, 10, 3), y = randomLabels(rng, 90, 2);
    const whole = new KNearestNeighbor({ k: 8, metric });
    await whole.train(X, y);
    const expected = await whole.kneighbors(Q);
    whole.dispose();
    const shards = [];
    for (const [first, rows] of [[0, 40], [40, 5], [45, 45]]) {
      const part = new KNearestNeighbor({ k: Math.min(8, rows), metric });
      await part.train({ data: X.data.subarray(first * 10, (first + rows) * 10), rows, cols: 10 }, y.subarray(first, first + rows));
      shards.push({ ...(await part.kneighbors(Q)), offset: first });
      part.dispose();
    }
    for (const order of [[0, 1, 2], [2, 0, 1]]) {
      const merged = mergeTopK(order.map((i) => shards[i]), 8);
      assert.equal(arr(merged.indices), arr(expected.indices), `${metric}, shards in order ${order}`);
      assert.equal(arr(merged.distances), arr(expected.distances));
      assert.is(merged.k, 8);
    }
  }
  throws(() => mergeTopK([]), { code: 'ERR_ARG_TYPE', message: /shards/ });
  throws(() => mergeTopK([{ indices: new Int32Array(4), distances: new Float32Array(4), k: 2 }, { indices: new Int32Array(2), distances: new Float32Array(2), k: 2 }]), { code: 'ERR_ARG_RANGE', message: /same 2 queries/ });
  throws(() => mergeTopK([{ indices: new Int32Array(4), distances: new Float32Array(4), k: 2 }], 3), { code: 'ERR_ARG_RANGE', message: /k/ });
  await init({ threads: 2 });
});

Merge.run();

const Fallback = suite('workers that cannot start');

Fallback('init() falls back to the caller\'s thread and says why; models still work', async () => {
  const { initWith } = await import('../dist/runtime.js');
  const { readFile } = await import('node:fs/promises');
  const failing = {
    defaultSource: (build, threaded) => readFile(new URL(`../build/simdclass-${build}${threaded ? '-threads' : ''}.wasm`, import.meta.url)),
    defaultThreads: () => 2,
    threadsUnavailable: () => null,
    spawnWorker: () => { throw new Error('no worker script at ./exec/worker-browser.js'); },
  };
  const info = await initWith(failing, { build: 'simd', threads: 3 });
  assert.is(info.threads, 0);
  assert.match(info.threadsNote, /workers could not start \(.*no worker script/);
  const knn = new KNearestNeighbor({ k: 1, algorithm: 'brute' });
  await knn.train([[0, 0], [1, 1]], [0, 1]);
  assert.equal(Array.from(await knn.predict([[0.9, 0.8]])), [1]);
  knn.dispose();
  await init({ build: 'relaxed', threads: 2 });
});

Fallback.run();

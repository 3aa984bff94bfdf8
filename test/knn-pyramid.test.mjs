// KNearestNeighbor({ algorithm }) through the public API: the pyramid search returns what brute
// force returns (indices, distances, predictions), reports what it skipped, survives add, save and
// load, and refuses what it cannot bound.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { init, crossValidateKnn, headRows, KNearestNeighbor, loadSample } from '../dist/node.js';
import { core } from '../dist/runtime.js';
import { mulberry32, randomF32, randomLabels, randomU8, rejects, throws } from './helpers.mjs';

const arr = (a) => Array.from(a);
await init();
const { train, test: testSplit, shape } = await loadSample({ trainLimit: 2000, testLimit: 60 });

test('pyramid and auto equal brute force on Fashion-MNIST rows, L1 and L2, with and without the image shape', async () => {
  for (const metric of ['l1', 'l2']) {
    const brute = new KNearestNeighbor({ k: 5, metric, algorithm: 'brute' });
    await brute.train(train.X, train.y);
    const want = await brute.kneighbors(testSplit.X);
    assert.is(brute.lastStats.algorithm, 'brute');
    assert.is(brute.lastStats.exact, 60 * 2000);
    for (const [algorithm, withShape] of [['pyramid', true], ['pyramid', false], ['auto', true]]) {
      const knn = new KNearestNeighbor({ k: 5, metric, algorithm });
      await knn.train(train.X, train.y, withShape ? { shape } : {});
      const got = await knn.kneighbors(testSplit.X);
      const label = `${metric} ${algorithm} ${withShape ? 'shape' : 'no shape'}`;
      assert.equal(arr(got.indices), arr(want.indices), `${label}: indices`);
      assert.equal(arr(got.distances), arr(want.distances), `${label}: distances`);
      assert.equal(arr(await knn.predict(testSplit.X)), arr(await brute.predict(testSplit.X)), `${label}: predictions`);
      if (algorithm === 'pyramid') {
        const stats = knn.lastStats;
        assert.is(stats.algorithm, 'pyramid');
        assert.ok(stats.levels.length >= 1, `${label}: levels`);
        assert.ok(stats.exact < 60 * 2000 / 2, `${label}: most exact distances skipped (${stats.exact} of ${60 * 2000})`);
      }
      knn.dispose();
    }
    brute.dispose();
  }
});

test("'auto' decides at the first search: a sample of queries timed both ways, whose answers it keeps", async () => {
  const big = await loadSample({ trainLimit: 5000, testLimit: 200 });
  for (const metric of ['l1', 'l2']) {
    const brute = new KNearestNeighbor({ k: 4, metric, algorithm: 'brute' });
    await brute.train(big.train.X, big.train.y);
    const want = await brute.kneighbors(big.test.X);
    assert.match(brute.lastStats.reason, /algorithm 'brute'/);
    const auto = new KNearestNeighbor({ k: 4, metric, algorithm: 'auto' });
    await auto.train(big.train.X, big.train.y, { shape: big.shape });
    const progress = [];
    const got = await auto.kneighbors(big.test.X, { onProgress: (done, total) => progress.push([done, total]) });
    assert.equal(arr(got.indices), arr(want.indices), `${metric}: indices`);
    assert.equal(arr(got.distances), arr(want.distances), `${metric}: distances`);
    const stats = auto.lastStats;
    assert.is(stats.queries, 200);
    assert.match(stats.reason, /^'auto': on 16 queries, brute force took [\d.]+ ms and the pyramid [\d.]+ ms$/);
    if (stats.algorithm === 'brute') assert.is(stats.exact, 200 * 5000);
    else assert.ok(stats.exact < 200 * 5000 / 2 && stats.levels[0].reached < 200 * 5000, `${JSON.stringify(stats)}`);
    assert.equal(progress.at(-1), [200, 200], `${metric}: progress ends at the total`);
    assert.ok(progress.every(([done], i) => i === 0 || done >= progress[i - 1][0]), `${metric}: progress never goes back`);
    // The choice holds for the model's later searches.
    await auto.kneighbors(headRows(big.test.X, 20));
    assert.is(auto.lastStats.algorithm, stats.algorithm);
    assert.is(auto.lastStats.queries, 20);
    for (const m of [brute, auto]) m.dispose();
  }
  // Below AUTO_MIN_ROWS (4,096), L1 or L2: no pyramid, and the reason says so.
  for (const metric of ['l1', 'l2']) {
    const few = new KNearestNeighbor({ k: 4, metric });
    await few.train(headRows(big.train.X, 4095), big.train.y.subarray(0, 4095), { shape: big.shape });
    await few.kneighbors(headRows(big.test.X, 10));
    assert.is(few.lastStats.algorithm, 'brute');
    assert.is(few.lastStats.reason, "'auto' builds a pyramid from 4,096 training rows; there are 4,095");
    few.dispose();
  }
});

test('crossValidateKnn: the same accuracies by pyramid, brute force and auto; search says how each fold searched', async () => {
  const x = headRows(train.X, 1000), y = train.y.subarray(0, 1000);
  const runs = {};
  for (const algorithm of ['brute', 'pyramid', 'auto']) runs[algorithm] = await crossValidateKnn(x, y, { ks: [1, 4, 9], folds: 4, metric: 'l1', algorithm, shape });
  for (const algorithm of ['pyramid', 'auto']) {
    assert.equal(runs[algorithm].results, runs.brute.results, `${algorithm}: accuracies`);
    assert.is(runs[algorithm].bestK, runs.brute.bestK);
  }
  assert.equal(runs.brute.search, { algorithms: ['brute', 'brute', 'brute', 'brute'], exactShare: 1 });
  assert.equal(runs.pyramid.search.algorithms, ['pyramid', 'pyramid', 'pyramid', 'pyramid']);
  assert.ok(runs.pyramid.search.exactShare > 0 && runs.pyramid.search.exactShare < 0.5, `pyramid exact share ${runs.pyramid.search.exactShare}`);
  // 750-row folds are below 'auto''s minimum for a pyramid: the first fold decides brute force, and the others follow.
  assert.equal(runs.auto.search, runs.brute.search);
});

test("'auto' builds no pyramid for rows its bounds would not prune (uniform noise)", async () => {
  const rng = mulberry32(9);
  const x = randomU8(rng, 5000, 784), y = randomLabels(rng, 5000, 10);
  for (const metric of ['l1', 'l2']) {
    const knn = new KNearestNeighbor({ k: 5, metric, algorithm: metric === 'l1' ? 'auto' : 'pyramid' });
    await knn.train(x, y);
    const before = core().usedBytes;
    const got = await knn.kneighbors(randomU8(rng, 30, 784));
    if (metric === 'l1') {
      assert.is(knn.lastStats.algorithm, 'brute');
      assert.match(knn.lastStats.reason, /^'auto': on a sample, the coarsest bounds would keep (9\d|100)% of the rows$/);
      assert.is(core().usedBytes, before, 'no pyramid was built');
    } else {
      // 'pyramid' is obeyed even here, and the bounds indeed prune nothing.
      assert.is(knn.lastStats.algorithm, 'pyramid');
      assert.ok(knn.lastStats.exact >= 30 * 5000, `exact ${knn.lastStats.exact}`);
    }
    assert.is(got.indices.length, 30 * 5);
    knn.dispose();
  }
});

test('add and clearClass rebuild the pyramid; save and load keep algorithm and shape', async () => {
  const used = core().usedBytes;
  const knn = new KNearestNeighbor({ k: 3, metric: 'l2', algorithm: 'pyramid' });
  const half = (first, n) => ({ data: train.X.data.subarray(first * 784, (first + n) * 784), rows: n, cols: 784 });
  await knn.train(half(0, 1000), train.y.subarray(0, 1000), { shape });
  await knn.add(half(1000, 1000), train.y.subarray(1000, 2000));
  const brute = new KNearestNeighbor({ k: 3, metric: 'l2', algorithm: 'brute' });
  await brute.train(train.X, train.y);
  assert.equal(arr((await knn.kneighbors(testSplit.X)).indices), arr((await brute.kneighbors(testSplit.X)).indices));
  const copy = KNearestNeighbor.load(knn.save());
  assert.is(copy.algorithm, 'pyramid');
  assert.equal(arr((await copy.kneighbors(testSplit.X)).indices), arr((await brute.kneighbors(testSplit.X)).indices));
  assert.is(copy.lastStats.algorithm, 'pyramid');
  await knn.clearClass(3);
  await brute.clearClass(3);
  assert.equal(arr((await knn.kneighbors(testSplit.X)).distances), arr((await brute.kneighbors(testSplit.X)).distances));
  for (const m of [knn, brute, copy]) m.dispose();
  assert.is(core().usedBytes, used, 'the pyramid blocks are freed with the model');
});

test('what the pyramid cannot bound is refused; a wrong shape is named', async () => {
  const rng = mulberry32(401);
  throws(() => new KNearestNeighbor({ metric: 'cosine', algorithm: 'pyramid' }), { code: 'ERR_ARG_RANGE', message: /'l1' or 'l2' with algorithm 'pyramid'/ });
  throws(() => new KNearestNeighbor({ algorithm: 'kd-tree' }), { code: 'ERR_ARG_RANGE', message: /algorithm to be 'auto', 'brute' or 'pyramid'/ });
  await rejects(new KNearestNeighbor({ algorithm: 'pyramid' }).train(randomF32(rng, 10, 4), randomLabels(rng, 10, 2)), { code: 'ERR_ARG_TYPE', message: /Uint8Array for algorithm 'pyramid'/ });
  await rejects(new KNearestNeighbor({ algorithm: 'pyramid' }).train(randomU8(rng, 10, 12), randomLabels(rng, 10, 2), { shape: [3, 3, 1] }), { code: 'ERR_ARG_RANGE', message: /shape 3 x 3 x 1 to hold the 12 columns/ });
  await rejects(new KNearestNeighbor().train(randomU8(rng, 10, 12), randomLabels(rng, 10, 2), { shap: [3, 4, 1] }), { code: 'ERR_ARG_TYPE', message: /did you mean "shape"/ });
  // f32 data with 'auto': brute force, no pyramid.
  const auto = new KNearestNeighbor({ algorithm: 'auto', metric: 'l1' });
  await auto.train(randomF32(rng, 20, 4), randomLabels(rng, 20, 2));
  await auto.predict(randomF32(rng, 3, 4));
  assert.is(auto.lastStats.algorithm, 'brute');
  auto.dispose();
});

test.run();

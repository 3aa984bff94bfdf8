// KNearestNeighbor({ algorithm }) through the public API: the pyramid search returns what brute
// force returns (indices, distances, predictions), reports what it skipped, survives add, save and
// load, and refuses what it cannot bound.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { init, KNearestNeighbor, loadSample } from '../dist/node.js';
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

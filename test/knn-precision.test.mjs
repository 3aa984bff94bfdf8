// f32 L2 kNN computes |q|^2 + |t|^2 - 2 q.t, which cancels when the data share a large offset.
// Rows and queries are centred per column at train time, so offsets of 100 and 1000 give the
// neighbours of a float64 brute force, apart from true near-ties within f32 rounding.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { init, KNearestNeighbor } from '../dist/node.js';
import { referenceDistances, referenceKneighbors } from '../dist/reference.js';
import { eachBuild, mulberry32 } from './helpers.mjs';

function offsetData(rng, rows, cols, offset) {
  const data = new Float32Array(rows * cols);
  for (let i = 0; i < data.length; i++) data[i] = offset + rng();
  return { data, rows, cols };
}

for (const offset of [100, 1000]) {
  test(`offset ${offset} + U(0, 1): 100 queries, k = 5, every build`, async () => {
    await init();
    const rng = mulberry32(offset);
    const X = offsetData(rng, 400, 24, offset), Q = offsetData(rng, 100, 24, offset);
    const k = 5;
    const refIdx = referenceKneighbors(Q, X, k, 'l2'), refDist = referenceDistances(Q, X, 'l2');
    await eachBuild(async (build) => {
      const knn = new KNearestNeighbor({ k, metric: 'l2' });
      await knn.train(X, new Int32Array(400));
      const { indices, distances } = await knn.kneighbors(Q);
      let wrong = 0, nearTies = 0;
      for (let i = 0; i < 100; i++) {
        for (let j = 0; j < k; j++) {
          const ours = indices[i * k + j], theirs = refIdx[i * k + j];
          const truth = refDist[i * X.rows + theirs];
          assert.ok(Math.abs(distances[i * k + j] - truth) <= 1e-4 * Math.max(1, truth), `${build}: query ${i} distance ${j}: ${distances[i * k + j]} vs ${truth}`);
          if (ours === theirs) continue;
          // A different row is right only if its true distance ties within f32 rounding of the data.
          if (Math.abs(refDist[i * X.rows + ours] - truth) <= 1e-5 * truth) nearTies++;
          else wrong++;
        }
      }
      assert.is(wrong, 0, `${build}: ${wrong} wrong neighbours (${nearTies} near-ties)`);
      knn.dispose();
    });
  });
}

test('a constant column far from zero, and a column of tiny spread at a large offset, keep exact neighbour order', async () => {
  await init();
  const rows = 50, cols = 3;
  const X = { data: new Float32Array(rows * cols), rows, cols };
  for (let i = 0; i < rows; i++) X.data.set([12345.5, 5000 + i * 2 ** -10, i % 2], i * cols);
  const Q = { data: Float32Array.from([12345.5, 5000 + 17.2 * 2 ** -10, 1]), rows: 1, cols };
  const knn = new KNearestNeighbor({ k: 4, metric: 'l2' });
  await knn.train(X, new Int32Array(rows));
  const { indices } = await knn.kneighbors(Q);
  assert.equal(Array.from(indices), Array.from(referenceKneighbors(Q, X, 4, 'l2')));
  knn.dispose();
});

test.run();

// KNearestNeighbor and voteLabels (src/knn.ts -> assembly/knn.ts, assembly/topk.ts): every build
// and dtype against the plain reference (src/reference.ts), argument checks, state, and memory.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import {
  init, KNearestNeighbor, voteLabels,
  SimdclassError, ArgumentRangeError, ArgumentTypeError, StateError,
} from '../dist/node.js';
import { referenceDistances, referenceKneighbors, referencePredict } from '../dist/reference.js';
import {
  mulberry32, randomU8, randomF32, randomMatrix, randomLabels, copyRow, toArrays,
  rejects, throws, assertNeighbors, F32_TOL, rowScales,
  BUILDS,
} from './helpers.mjs';

const DTYPES = ['u8', 'f32'];
const METRICS = ['l1', 'l2'];
const DIMS = [1, 3, 15, 16, 17, 784, 3072];

const arr = (typed) => Array.from(typed);

/**
 * Shapes per dimension (n training rows, m queries, the ks asked of one trained model).
 * TRAIN_BLOCK is 256 rows, the TS query block 256 queries, the kernel's query tile 4 queries,
 * and k >= 48 takes the heap path of assembly/topk.ts. Big D keeps n and m small.
 */
function shapesFor(D) {
  if (D <= 17) {
    return [
      { n: 600, m: 5, ks: [1, 5, 47, 48, 60, 600], dup: true }, // 3 training blocks; insertion and heap; k = n on the heap
      { n: 13, m: 4, ks: [1, 13] }, // n = k on the insertion path, n not a multiple of 8
      { n: 48, m: 1, ks: [47, 48] }, // n = k = 48 (heap) and 47 (insertion), one query
      { n: 257, m: 300, ks: [2] }, // two query blocks, one training row past a block
    ];
  }
  if (D === 784) return [{ n: 261, m: 6, ks: [1, 5, 48, 261], dup: true }, { n: 9, m: 1, ks: [9] }];
  return [{ n: 37, m: 5, ks: [1, 7, 37], dup: true }];
}

/**
 * Random data for one (dtype, D, shape), built once and shared by every build and metric.
 * Shapes with `dup` hold duplicate training rows {2, n/2, n-2} and {0, n-1} (across training
 * blocks), query 0 equal to row 2 and query 1 equal to row n-1: the lower index must come first.
 */
const fixtures = new Map();
function fixture(dtype, D, shapeIndex) {
  const key = `${dtype}/${D}/${shapeIndex}`;
  let f = fixtures.get(key);
  if (f !== undefined) return f;
  const s = shapesFor(D)[shapeIndex];
  const rng = mulberry32(100003 * D + 101 * shapeIndex + (dtype === 'u8' ? 1 : 2));
  const train = randomMatrix(rng, dtype, s.n, D);
  const test = randomMatrix(rng, dtype, s.m, D);
  if (s.dup) {
    for (const group of [[2, Math.floor(s.n / 2), s.n - 2], [0, s.n - 1]]) {
      for (const j of group.slice(1)) copyRow(train, group[0], train, j);
    }
    copyRow(train, 2, test, 0);
    copyRow(train, s.n - 1, test, 1);
  }
  f = { s, train, test, labels: new Int32Array(s.n), refs: new Map() };
  fixtures.set(key, f);
  return f;
}

/** Reference distances (m x n) and neighbour order at the largest k, memoized per metric. */
function referenceOf(f, metric) {
  let r = f.refs.get(metric);
  if (r === undefined) {
    const kRef = Math.max(...f.s.ks);
    r = { dist: referenceDistances(f.test, f.train, metric), idx: referenceKneighbors(f.test, f.train, kRef, metric), kRef };
    f.refs.set(metric, r);
  }
  return r;
}

/** Training rows exactly equal to query i, ascending: the rows at distance 0. */
function equalRows(test, train, i) {
  const D = train.cols, out = [];
  for (let j = 0; j < train.rows; j++) {
    let same = true;
    for (let d = 0; d < D && same; d++) same = train.data[j * D + d] === test.data[i * D + d];
    if (same) out.push(j);
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
const ctor = suite('KNearestNeighbor');

ctor('defaults to k = 1 and metric l2', () => {
  const model = new KNearestNeighbor();
  assert.is(model.k, 1);
  assert.is(model.metric, 'l2');
  assert.is(model.nTrain, 0);
  const other = new KNearestNeighbor({ k: 7, metric: 'l1' });
  assert.is(other.k, 7);
  assert.is(other.metric, 'l1');
});

ctor('refuses a k that is not a positive integer', () => {
  for (const k of [0, -1]) {
    const err = throws(() => new KNearestNeighbor({ k }), { code: 'ERR_ARG_RANGE', message: new RegExp(`Expected k >= 1, got ${k}`), type: ArgumentRangeError });
    assert.instance(err, SimdclassError);
  }
  for (const k of [2.5, NaN, '3', Infinity]) {
    throws(() => new KNearestNeighbor({ k }), { code: 'ERR_ARG_TYPE', message: /Expected k to be an integer/, type: ArgumentTypeError });
  }
});

ctor('refuses an unknown metric', () => {
  for (const metric of ['l3', 'L2', 'Cosine', '', 2]) {
    throws(() => new KNearestNeighbor({ metric }), { code: 'ERR_ARG_RANGE', message: /Expected metric to be 'l1', 'l2' or 'cosine'/ });
  }
});

ctor.run();

// ---------------------------------------------------------------------------------------------
const train = suite('KNearestNeighbor.train');

train.before(async () => { await init(); });

train('refuses an empty training set', async () => {
  const model = new KNearestNeighbor();
  await rejects(model.train({ data: new Uint8Array(0), rows: 0, cols: 4 }, []), { code: 'ERR_ARG_RANGE', message: /Expected X to have at least one training row, got 0/ });
  await rejects(model.train([], []), { code: 'ERR_ARG_RANGE', message: /Expected X to have at least one training row, got 0/ });
  await rejects(model.train({ data: new Float32Array(0), rows: 3, cols: 0 }, [0, 0, 0]), { code: 'ERR_ARG_RANGE', message: /Expected X to have at least one column, got 0/ });
  assert.is(model.nTrain, 0);
});

train('refuses k > nTrain, naming both', async () => {
  const X = randomU8(mulberry32(1), 5, 4);
  const model = new KNearestNeighbor({ k: 6 });
  await rejects(model.train(X, [0, 1, 0, 1, 0]), { code: 'ERR_ARG_RANGE', message: /^Expected k <= nTrain \(5\), got 6$/ });
  await rejects(() => model.predict(X), { code: 'ERR_STATE' });
  const ok = new KNearestNeighbor({ k: 5 });
  await ok.train(X, [0, 1, 0, 1, 0]);
  assert.is(ok.nTrain, 5);
  ok.dispose();
});

train('refuses bad labels: not integers, negative, wrong length, wrong type', async () => {
  const X = randomF32(mulberry32(2), 3, 4);
  const model = new KNearestNeighbor();
  await rejects(model.train(X, [0, 1.5, 2]), { code: 'ERR_ARG_RANGE', message: /Expected y\[1\] to be an integer in \[0, 65536\), got 1\.5/ });
  await rejects(model.train(X, [0, -1, 2]), { code: 'ERR_ARG_RANGE', message: /Expected y\[1\] to be an integer in \[0, 65536\), got -1/ });
  await rejects(model.train(X, [0, NaN, 2]), { code: 'ERR_ARG_RANGE', message: /Expected y\[1\] to be an integer in \[0, 65536\), got NaN/ });
  await rejects(model.train(X, [0, '1', 2]), { code: 'ERR_ARG_RANGE', message: /Expected y\[1\]/ });
  await rejects(model.train(X, [0, 1]), { code: 'ERR_ARG_RANGE', message: /Expected y to have one label per row \(3\), got 2/ });
  await rejects(model.train(X, new Int32Array(4)), { code: 'ERR_ARG_RANGE', message: /Expected y to have one label per row \(3\), got 4/ });
  await rejects(model.train(X, new Float32Array(3)), { code: 'ERR_ARG_TYPE', message: /Expected y to be an Int32Array, Uint8Array or number\[\]/ });
  await rejects(model.train(X), { code: 'ERR_ARG_TYPE', message: /Expected y/ });
  assert.is(model.nTrain, 0);
  await model.train(X, new Uint8Array([0, 1, 2]));
  assert.is(model.nTrain, 3);
  model.dispose();
});

// Labels are class indices below MAX_CLASSES: a label >= 2^31 must not wrap in the Int32Array copy.
train("refuses labels beyond the class range", async () => {
  await init();
  const X = { data: new Uint8Array([0, 100]), rows: 2, cols: 1 };
  for (const big of [2 ** 31, 2 ** 32 + 7]) {
    const model = new KNearestNeighbor();
    await rejects(model.train(X, [0, big]), { code: 'ERR_ARG_RANGE', message: /y\[1\]/ });
    model.dispose();
  }
});

train('refuses a matrix whose rows x cols does not match its data', async () => {
  const model = new KNearestNeighbor();
  await rejects(model.train({ data: new Uint8Array(12), rows: 3, cols: 5 }, [0, 0, 0]), { code: 'ERR_ARG_RANGE', message: /Expected X\.data\.length to equal rows x cols \(3 x 5 = 15\), got 12/ });
  await rejects(model.train({ data: new Float32Array(12), rows: 4, cols: 2 }, [0, 0, 0, 0]), { code: 'ERR_ARG_RANGE', message: /X\.data\.length/ });
  await rejects(model.train({ data: new Uint8Array(6), rows: 1.5, cols: 4 }, [0]), { code: 'ERR_ARG_RANGE', message: /Expected X\.rows to be a non-negative integer, got 1\.5/ });
  await rejects(model.train({ data: new Uint8Array(6), rows: 3, cols: -2 }, [0, 0, 0]), { code: 'ERR_ARG_RANGE', message: /Expected X\.cols/ });
  await rejects(model.train({ data: new Float64Array(4), rows: 2, cols: 2 }, [0, 0]), { code: 'ERR_ARG_TYPE', message: /Expected X\.data to be a Uint8Array or Float32Array, got Float64Array/ });
  await rejects(model.train('pixels', [0]), { code: 'ERR_ARG_TYPE', message: /Expected X to be a Matrix/ });
  await rejects(model.train([[1, 2], [3]], [0, 0]), { code: 'ERR_ARG_RANGE', message: /Expected every row of X to have 2 columns, got 1 in row 1/ });
  await rejects(model.train([[1, 2], [3, '4']], [0, 0]), { code: 'ERR_ARG_TYPE', message: /Expected X\[1\]\[1\] to be a number/ });
});

train('refuses NaN and Infinity in f32 input', async () => {
  const model = new KNearestNeighbor();
  for (const bad of [NaN, Infinity, -Infinity]) {
    const X = randomF32(mulberry32(3), 3, 4);
    X.data[1 * 4 + 2] = bad;
    await rejects(model.train(X, [0, 1, 2]), { code: 'ERR_ARG_RANGE', message: new RegExp(`Expected X to hold finite numbers, got ${bad} at row 1, column 2`) });
    await rejects(model.train([[0, 0], [0, bad]], [0, 1]), { code: 'ERR_ARG_RANGE', message: new RegExp(`Expected X to hold finite numbers, got ${bad} at row 1, column 1`) });
  }
  assert.is(model.nTrain, 0);
});

train('refuses u8 L2 data too wide for exact i32 sums, and suggests f32', async () => {
  const model = new KNearestNeighbor({ metric: 'l2' });
  await rejects(model.train({ data: new Uint8Array(33026), rows: 1, cols: 33026 }, [0]), { code: 'ERR_ARG_RANGE', message: /Expected at most 33025 columns for u8 L2.*got 33026/ });
  await model.train({ data: new Uint8Array(33025), rows: 1, cols: 33025 }, [0]);
  model.dispose();
});

train('a failed train leaves the previous model working', async () => {
  const rng = mulberry32(4);
  for (const dtype of DTYPES) {
    for (const metric of METRICS) {
      const X = randomMatrix(rng, dtype, 40, 9), y = randomLabels(rng, 40, 3), Q = randomMatrix(rng, dtype, 10, 9);
      const model = new KNearestNeighbor({ k: 3, metric });
      await model.train(X, y);
      const before = await model.predict(Q);
      const near = await model.kneighbors(Q);
      const badX = randomF32(rng, 40, 9);
      badX.data[17] = NaN;
      await rejects(model.train(badX, y), { code: 'ERR_ARG_RANGE', message: /finite/ });
      await rejects(model.train(randomMatrix(rng, dtype, 2, 9), [0, 1]), { code: 'ERR_ARG_RANGE', message: /Expected k <= nTrain \(2\), got 3/ });
      await rejects(model.train(randomMatrix(rng, dtype, 40, 9), y.subarray(1)), { code: 'ERR_ARG_RANGE', message: /one label per row/ });
      await rejects(model.train({ data: new Uint8Array(5), rows: 2, cols: 2 }, [0, 1]), { code: 'ERR_ARG_RANGE', message: /rows x cols/ });
      assert.is(model.nTrain, 40);
      assert.equal(arr(await model.predict(Q)), arr(before), `${dtype} ${metric}: predictions after failed trains`);
      const again = await model.kneighbors(Q);
      assert.equal(arr(again.indices), arr(near.indices));
      assert.equal(arr(again.distances), arr(near.distances));
      assert.equal(arr(before), arr(referencePredict(Q, X, y, 3, metric)));
      model.dispose();
    }
  }
});

train('training again replaces the data, also with another dtype and shape', async () => {
  const rng = mulberry32(5);
  const model = new KNearestNeighbor({ k: 2, metric: 'l1' });
  const X1 = randomU8(rng, 30, 5), y1 = randomLabels(rng, 30, 4);
  await model.train(X1, y1);
  const X2 = randomF32(rng, 50, 7), y2 = randomLabels(rng, 50, 6), Q2 = randomF32(rng, 8, 7);
  await model.train(X2, y2);
  assert.is(model.nTrain, 50);
  assert.equal(arr(await model.predict(Q2)), arr(referencePredict(Q2, X2, y2, 2, 'l1')));
  await rejects(model.predict(randomU8(rng, 2, 5)), { code: 'ERR_ARG_RANGE', message: /Expected X to have 7 columns like the training data, got 5/ });
  model.dispose();
});

train.run();

// ---------------------------------------------------------------------------------------------
const kneighbors = suite('KNearestNeighbor.kneighbors');

for (const build of BUILDS) {
  kneighbors(`equals the reference for every dtype, metric, D and shape (${build} build)`, async () => {
    const info = await init({ build });
    assert.is(info.build, build);
    for (const dtype of DTYPES) {
      for (const metric of METRICS) {
        for (const D of DIMS) {
          const shapes = shapesFor(D);
          for (let si = 0; si < shapes.length; si++) {
            const f = fixture(dtype, D, si);
            const { s, train: X, test: Q } = f;
            const ref = referenceOf(f, metric);
            const model = new KNearestNeighbor({ k: 1, metric });
            await model.train(X, f.labels);
            for (const k of s.ks) {
              const label = `${build} ${dtype} ${metric} D=${D} n=${s.n} m=${s.m} k=${k}`;
              const res = await model.kneighbors(Q, { k });
              assertNeighbors(res, ref.idx, ref.kRef, ref.dist, Q, X, k, metric, label);
              if (s.dup && D >= 3) {
                // Exact copies: distance 0, and equal rows listed by ascending index.
                for (const i of [0, 1]) {
                  const want = equalRows(Q, X, i).slice(0, k);
                  assert.equal(arr(res.indices.subarray(i * k, i * k + want.length)), want, `${label}: query ${i} equal rows`);
                  for (let p = 0; p < want.length; p++) {
                    const d = res.distances[i * k + p];
                    if (dtype === 'u8' || metric === 'l1') assert.is(d, 0, `${label}: query ${i} distance to an equal row`);
                    else assert.ok(d * d <= F32_TOL * 2 * rowScales(Q, 'l2')[i], `${label}: query ${i} f32 L2 distance to an equal row ${d}`);
                  }
                }
              }
            }
            model.dispose();
          }
        }
      }
    }
  });
}

kneighbors('distance ties go to the lower training index (few grey levels; f32 holding small integers is exact)', async () => {
  for (const build of BUILDS) {
    await init({ build });
    for (const D of [1, 3, 16]) {
      const rng = mulberry32(77 + D);
      const Xu = randomU8(rng, 600, D, 4), Qu = randomU8(rng, 20, D, 4);
      for (const dtype of DTYPES) {
        const X = dtype === 'u8' ? Xu : { ...Xu, data: Float32Array.from(Xu.data) };
        const Q = dtype === 'u8' ? Qu : { ...Qu, data: Float32Array.from(Qu.data) };
        for (const metric of METRICS) {
          const ks = [1, 5, 47, 48, 100];
          const refIdx = referenceKneighbors(Q, X, 100, metric), refDist = referenceDistances(Q, X, metric);
          const model = new KNearestNeighbor({ k: 1, metric });
          await model.train(X, new Int32Array(600));
          for (const k of ks) {
            const res = await model.kneighbors(Q, { k });
            assertNeighbors(res, refIdx, 100, refDist, Q, X, k, metric, `${build} ${dtype} ${metric} D=${D} k=${k}`, { exact: true });
          }
          model.dispose();
        }
      }
    }
  }
});

// f32 values whose distances (L1) or squared norms (L2) would overflow f32 are refused
// (ERR_ARG_RANGE); otherwise the result holds the true neighbours, never an index -1.
kneighbors("never returns index -1 when f32 distances would overflow", async () => {
  const cases = [
    { metric: 'l1', X: [3e38, -3e38], Q: [3e38], k: 2 }, // |3e38 - -3e38| = Infinity in f32
    { metric: 'l2', X: [1e20, 0], Q: [1e20], k: 1 }, // (1e20)^2 overflows the norm expansion: NaN
  ];
  for (const build of BUILDS) {
    await init({ build });
    for (const c of cases) {
      const X = { data: Float32Array.from(c.X), rows: c.X.length, cols: 1 }, Q = { data: Float32Array.from(c.Q), rows: c.Q.length, cols: 1 };
      const model = new KNearestNeighbor({ k: c.k, metric: c.metric });
      const label = `${build} ${c.metric}`;
      try {
        await model.train(X, [1, 2]);
      } catch (err) {
        assert.is(err.code, 'ERR_ARG_RANGE', `${label}: ${err}`);
        continue;
      }
      let res;
      try {
        res = await model.kneighbors(Q);
      } catch (err) {
        assert.is(err.code, 'ERR_ARG_RANGE', `${label}: ${err}`);
        continue;
      }
      assert.equal(arr(res.indices), arr(referenceKneighbors(Q, X, c.k, c.metric)), `${label}: indices`);
      assert.equal(arr(await model.predict(Q)), arr(referencePredict(Q, X, [1, 2], c.k, c.metric)), `${label}: predict`);
      model.dispose();
    }
  }
});

kneighbors('k defaults to the model k; k option is checked against nTrain', async () => {
  await init();
  const rng = mulberry32(8);
  const X = randomU8(rng, 5, 3), Q = randomU8(rng, 2, 3);
  const model = new KNearestNeighbor({ k: 3, metric: 'l1' });
  await model.train(X, [0, 1, 2, 3, 4]);
  const res = await model.kneighbors(Q);
  assert.is(res.k, 3);
  assert.equal(arr(res.indices), arr(referenceKneighbors(Q, X, 3, 'l1')));
  const all = await model.kneighbors(Q, { k: 5 });
  assert.equal(arr(all.indices), arr(referenceKneighbors(Q, X, 5, 'l1')));
  await rejects(model.kneighbors(Q, { k: 6 }), { code: 'ERR_ARG_RANGE', message: /^Expected k <= nTrain \(5\), got 6$/ });
  await rejects(model.kneighbors(Q, { k: 0 }), { code: 'ERR_ARG_RANGE', message: /Expected k >= 1, got 0/ });
  for (const k of [2.5, NaN, '3']) await rejects(model.kneighbors(Q, { k }), { code: 'ERR_ARG_TYPE', message: /Expected k to be an integer/ });
  model.dispose();
});

kneighbors('refuses queries with other columns, another dtype, or NaN', async () => {
  await init();
  const rng = mulberry32(9);
  const u8 = new KNearestNeighbor({ k: 2 });
  await u8.train(randomU8(rng, 10, 6), randomLabels(rng, 10, 2));
  await rejects(u8.kneighbors(randomU8(rng, 3, 7)), { code: 'ERR_ARG_RANGE', message: /Expected X to have 6 columns like the training data, got 7/ });
  await rejects(u8.kneighbors(randomF32(rng, 3, 6)), { code: 'ERR_ARG_TYPE', message: /Expected X\.data to be a Uint8Array like the training data, got Float32Array/ });
  await rejects(u8.kneighbors(toArrays(randomU8(rng, 3, 6))), { code: 'ERR_ARG_TYPE', message: /Expected X\.data to be a Uint8Array/ });
  const f32 = new KNearestNeighbor({ k: 2 });
  await f32.train(randomF32(rng, 10, 6), randomLabels(rng, 10, 2));
  await rejects(f32.kneighbors(randomU8(rng, 3, 6)), { code: 'ERR_ARG_TYPE', message: /Expected X\.data to be a Float32Array like the training data, got Uint8Array/ });
  const Q = randomF32(rng, 3, 6);
  Q.data[2 * 6 + 5] = Infinity;
  await rejects(f32.kneighbors(Q), { code: 'ERR_ARG_RANGE', message: /Expected X to hold finite numbers, got Infinity at row 2, column 5/ });
  u8.dispose();
  f32.dispose();
});

kneighbors('an empty query set returns empty arrays', async () => {
  await init();
  const rng = mulberry32(10);
  for (const dtype of DTYPES) {
    const model = new KNearestNeighbor({ k: 3 });
    await model.train(randomMatrix(rng, dtype, 10, 4), randomLabels(rng, 10, 2));
    const Data = dtype === 'u8' ? Uint8Array : Float32Array;
    for (const cols of [4, 0]) {
      const res = await model.kneighbors({ data: new Data(0), rows: 0, cols });
      assert.is(res.indices.length, 0);
      assert.is(res.distances.length, 0);
      assert.is(res.k, 3);
    }
    model.dispose();
  }
});

kneighbors('reports progress after each block of at most 256 queries, ending at the total', async () => {
  await init();
  const rng = mulberry32(11);
  const X = randomU8(rng, 20, 5), Q = randomU8(rng, 600, 5);
  const model = new KNearestNeighbor({ k: 2, metric: 'l1' });
  await model.train(X, new Int32Array(20));
  const calls = [];
  const res = await model.kneighbors(Q, { onProgress: (done, total) => calls.push([done, total]) });
  // Blocks finish in any order on the pool: the counts grow by at most a block and end at the total.
  assert.ok(calls.length >= 3, `${calls.length} progress calls`);
  assert.equal(calls.at(-1), [600, 600]);
  for (let i = 0; i < calls.length; i++) {
    const step = calls[i][0] - (i === 0 ? 0 : calls[i - 1][0]);
    assert.ok(step > 0 && step <= 256 && calls[i][1] === 600, `progress ${JSON.stringify(calls)}`);
  }
  assert.equal(arr(res.indices), arr(referenceKneighbors(Q, X, 2, 'l1')));
  model.dispose();
});

kneighbors.run();

// ---------------------------------------------------------------------------------------------
const predict = suite('KNearestNeighbor.predict');

predict('equals referencePredict exactly on u8 data, every build', async () => {
  const cases = [
    { n: 600, D: 16, m: 300, C: 10, levels: 256, ks: [1, 2, 5, 48] },
    { n: 300, D: 3, m: 100, C: 3, levels: 4, ks: [1, 2, 4, 5, 10, 50] }, // many distance and vote ties
    { n: 70, D: 784, m: 9, C: 10, levels: 256, ks: [1, 3, 60] },
  ];
  const data = cases.map((c, ci) => {
    const rng = mulberry32(200 + ci);
    return { ...c, X: randomU8(rng, c.n, c.D, c.levels), y: randomLabels(rng, c.n, c.C), Q: randomU8(rng, c.m, c.D, c.levels), refs: new Map() };
  });
  for (const build of BUILDS) {
    await init({ build });
    for (const c of data) {
      for (const metric of METRICS) {
        for (const k of c.ks) {
          const key = `${metric}/${k}`;
          if (!c.refs.has(key)) c.refs.set(key, arr(referencePredict(c.Q, c.X, c.y, k, metric)));
          const model = new KNearestNeighbor({ k, metric });
          await model.train(c.X, c.y);
          const got = await model.predict(c.Q);
          assert.instance(got, Int32Array);
          assert.equal(arr(got), c.refs.get(key), `${build} ${metric} D=${c.D} k=${k}`);
          model.dispose();
        }
      }
    }
  }
});

predict('equals referencePredict on f32 data, every build', async () => {
  const rng = mulberry32(300);
  const X = randomF32(rng, 400, 17), y = randomLabels(rng, 400, 5), Q = randomF32(rng, 50, 17);
  const refs = new Map();
  for (const build of BUILDS) {
    await init({ build });
    for (const metric of METRICS) {
      for (const k of [1, 4, 7, 50]) {
        const key = `${metric}/${k}`;
        if (!refs.has(key)) refs.set(key, arr(referencePredict(Q, X, y, k, metric)));
        const model = new KNearestNeighbor({ k, metric });
        await model.train(X, y);
        assert.equal(arr(await model.predict(Q)), refs.get(key), `${build} ${metric} k=${k}`);
        model.dispose();
      }
    }
  }
});

predict('a tied vote goes to the smallest label; a majority beats a smaller label', async () => {
  await init();
  // One column: training values with their labels, and two queries.
  const values = [10, 12, 40, 41, 42, 43], labels = [3, 1, 5, 2, 5, 2], queries = [10, 41];
  // query 10: rows 0 (d 0, label 3), 1 (d 2, label 1), 2 (d 30, label 5), 3 (d 31, label 2)
  // query 41: rows 3 (d 0, label 2), 2 and 4 (d 1, labels 5 and 5; row 2 first), 5 (d 2, label 2)
  const expected = { 1: [3, 2], 2: [1, 2], 3: [1, 5], 4: [1, 2] };
  for (const dtype of DTYPES) {
    const Data = dtype === 'u8' ? Uint8Array : Float32Array;
    const X = { data: Data.from(values), rows: 6, cols: 1 }, Q = { data: Data.from(queries), rows: 2, cols: 1 };
    for (const metric of METRICS) {
      for (const k of [1, 2, 3, 4]) {
        const model = new KNearestNeighbor({ k, metric });
        await model.train(X, labels);
        const got = arr(await model.predict(Q));
        assert.equal(got, expected[k], `${dtype} ${metric} k=${k}`);
        assert.equal(got, arr(referencePredict(Q, X, labels, k, metric)), `${dtype} ${metric} k=${k} reference`);
        model.dispose();
      }
    }
  }
});

predict('scalar, simd and relaxed agree; models keep their own core across init()', async () => {
  const rng = mulberry32(400);
  const D = 33, n = 300, m = 40;
  const data = { u8: [randomU8(rng, n, D), randomU8(rng, m, D)], f32: [randomF32(rng, n, D), randomF32(rng, m, D)] };
  const y = randomLabels(rng, n, 10);
  const models = [];
  for (const build of BUILDS) {
    await init({ build }); // models created after this init run on this build
    for (const dtype of DTYPES) {
      for (const metric of METRICS) {
        const model = new KNearestNeighbor({ k: 5, metric });
        await model.train(data[dtype][0], y);
        models.push({ build, dtype, metric, model });
      }
    }
  }
  // The global core is now the relaxed one; the scalar and simd models still answer.
  const results = new Map();
  for (const { build, dtype, metric, model } of models) {
    const [X, Q] = data[dtype];
    const near = await model.kneighbors(Q);
    const labels = await model.predict(Q);
    const key = `${dtype}/${metric}`;
    if (!results.has(key)) {
      results.set(key, { near, labels, refDist: referenceDistances(Q, X, metric), refIdx: referenceKneighbors(Q, X, 5, metric) });
    }
    const first = results.get(key);
    assertNeighbors(near, first.refIdx, 5, first.refDist, Q, X, 5, metric, `${build} ${key}`);
    assert.equal(arr(labels), arr(first.labels), `${build} ${key}: labels equal to the scalar build's`);
    if (dtype === 'u8') {
      assert.equal(arr(near.indices), arr(first.near.indices), `${build} ${key}: indices`);
      assert.equal(arr(near.distances), arr(first.near.distances), `${build} ${key}: distances`);
    } else {
      const scale = rowScales(Q, metric), scaleX = rowScales(X, metric);
      for (let i = 0; i < near.distances.length; i++) {
        const a = near.distances[i], b = first.near.distances[i];
        const row = Math.floor(i / 5), j = first.near.indices[i];
        const diff = metric === 'l2' ? Math.abs(a * a - b * b) : Math.abs(a - b);
        assert.ok(diff <= 2 * F32_TOL * (scale[row] + scaleX[j]), `${build} ${key}: distance ${i} ${a} vs scalar ${b}`);
      }
    }
  }
  for (const { model } of models) model.dispose();
});

predict('number[][] input is accepted and converted to f32', async () => {
  await init();
  const rng = mulberry32(500);
  const X = randomF32(rng, 60, 6), y = randomLabels(rng, 60, 4), Q = randomF32(rng, 12, 6);
  for (const metric of METRICS) {
    const typed = new KNearestNeighbor({ k: 3, metric });
    await typed.train(X, y);
    const plain = new KNearestNeighbor({ k: 3, metric });
    await plain.train(toArrays(X), Array.from(y));
    assert.is(plain.nTrain, 60);
    const want = await typed.predict(Q);
    assert.equal(arr(await plain.predict(toArrays(Q))), arr(want));
    assert.equal(arr(await plain.predict(Q)), arr(want), 'an f32 Matrix on a number[][]-trained model');
    assert.equal(arr(await typed.predict(toArrays(Q))), arr(want), 'number[][] on an f32-trained model');
    const a = await plain.kneighbors(toArrays(Q)), b = await typed.kneighbors(Q);
    assert.equal(arr(a.indices), arr(b.indices));
    assert.equal(arr(a.distances), arr(b.distances));
    assert.equal(arr(await plain.predict([])), []);
    // Plain numbers are f32: values that are not f32-exact are rounded, like Float32Array.from.
    const odd = new KNearestNeighbor({ k: 1, metric });
    await odd.train([[0.1, 1e-8], [300, -2]], [0, 1]);
    assert.equal(arr(await odd.predict([[0.1, 0], [299, -2]])), [0, 1]);
    typed.dispose(); plain.dispose(); odd.dispose();
  }
});

predict('refuses predict before train and after dispose (ERR_STATE)', async () => {
  await init();
  const Q = randomU8(mulberry32(600), 2, 3);
  const fresh = new KNearestNeighbor();
  await rejects(fresh.predict(Q), { code: 'ERR_STATE', message: /KNearestNeighbor is not trained: call train\(X, y\) first/, type: StateError });
  await rejects(fresh.kneighbors(Q), { code: 'ERR_STATE', message: /not trained/ });
  await rejects(fresh.score(Q, [0, 0]), { code: 'ERR_STATE', message: /not trained/ });
  throws(() => fresh.computeDistances(Q), { code: 'ERR_STATE', message: /not trained/ });
});

predict('an empty query set returns an empty Int32Array', async () => {
  await init();
  const rng = mulberry32(601);
  for (const dtype of DTYPES) {
    const model = new KNearestNeighbor({ k: 2, metric: 'l1' });
    await model.train(randomMatrix(rng, dtype, 5, 3), [0, 1, 2, 1, 0]);
    const Data = dtype === 'u8' ? Uint8Array : Float32Array;
    const got = await model.predict({ data: new Data(0), rows: 0, cols: 3 });
    assert.instance(got, Int32Array);
    assert.is(got.length, 0);
    model.dispose();
  }
});

predict.run();

// ---------------------------------------------------------------------------------------------
const score = suite('KNearestNeighbor.score');

score('is the accuracy of predict against the labels', async () => {
  await init();
  const rng = mulberry32(650);
  const X = randomU8(rng, 100, 8, 8), y = randomLabels(rng, 100, 3), Q = randomU8(rng, 40, 8, 8), yQ = randomLabels(rng, 40, 3);
  const model = new KNearestNeighbor({ k: 3, metric: 'l1' });
  await model.train(X, y);
  const p = referencePredict(Q, X, y, 3, 'l1');
  let correct = 0;
  for (let i = 0; i < 40; i++) correct += p[i] === yQ[i] ? 1 : 0;
  assert.is(await model.score(Q, yQ), correct / 40);
  assert.is(await model.score(X, y), await model.score(X, Array.from(y)));
  await rejects(model.score(Q, yQ.subarray(1)), { code: 'ERR_ARG_RANGE', message: /Expected y to have one label per row \(40\), got 39/ });
  model.dispose();
});

score.run();

// ---------------------------------------------------------------------------------------------
const vote = suite('voteLabels');

vote('one neighbour pass at the largest k serves every smaller k', async () => {
  for (const dtype of DTYPES) {
    for (const metric of METRICS) {
      await init();
      const rng = mulberry32(700 + (dtype === 'u8' ? 0 : 1) + (metric === 'l1' ? 0 : 2));
      const X = dtype === 'u8' ? randomU8(rng, 300, 8, 8) : randomF32(rng, 300, 8);
      const Q = dtype === 'u8' ? randomU8(rng, 50, 8, 8) : randomF32(rng, 50, 8);
      const y = randomLabels(rng, 300, 4);
      const kMax = 15;
      const big = new KNearestNeighbor({ k: kMax, metric });
      await big.train(X, y);
      const { indices, k } = await big.kneighbors(Q);
      assert.is(k, kMax);
      for (let kk = 1; kk <= kMax; kk++) {
        const votes = voteLabels(indices, kMax, y, 4, kk);
        const single = new KNearestNeighbor({ k: kk, metric });
        await single.train(X, y);
        const label = `${dtype} ${metric} k=${kk}`;
        assert.equal(arr(votes), arr(await single.predict(Q)), label);
        assert.equal(arr(votes), arr(referencePredict(Q, X, y, kk, metric)), `${label} reference`);
        single.dispose();
      }
      big.dispose();
    }
  }
});

vote('voteLabelsPerK: every k of an unsorted list with repeats in one pass, equal to counting the first k labels', async () => {
  const { voteLabelsPerK } = await import('../dist/votes.js');
  const rng = mulberry32(711);
  for (const [m, stride, classes] of [[40, 20, 3], [25, 7, 2], [10, 1, 5], [0, 4, 3]]) {
    const labels = Int32Array.from({ length: 30 }, () => Math.floor(rng() * classes));
    const indices = Int32Array.from({ length: m * stride }, () => Math.floor(rng() * 30));
    const ks = Array.from({ length: 2 * stride }, () => 1 + Math.floor(rng() * stride));
    const got = voteLabelsPerK(indices, stride, labels, classes, ks);
    assert.is(got.length, ks.length);
    ks.forEach((k, at) => {
      const want = Array.from({ length: m }, (_, i) => {
        const counts = new Array(classes).fill(0);
        for (let j = 0; j < k; j++) counts[labels[indices[i * stride + j]]]++;
        return counts.indexOf(Math.max(...counts));
      });
      assert.equal(arr(got[at]), want, `m=${m} stride=${stride} k=${k}`);
    });
  }
  assert.throws(() => voteLabelsPerK(new Int32Array(8), 4, new Int32Array(3), 2, [1, 5]), (err) => err.code === 'ERR_ARG_RANGE' && /Expected ks\[1\] in \[1, 4\], got 5/.test(err.message));
});

vote('ties go to the smallest label; rows of the stride, first k only', () => {
  const labels = new Int32Array([3, 1, 5, 2, 1]);
  // Two queries, stride 4: [0, 1, 2, 3] and [2, 3, 0, 4]
  const indices = new Int32Array([0, 1, 2, 3, 2, 3, 0, 4]);
  assert.equal(arr(voteLabels(indices, 4, labels, 6, 1)), [3, 5]);
  assert.equal(arr(voteLabels(indices, 4, labels, 6, 2)), [1, 2]);
  assert.equal(arr(voteLabels(indices, 4, labels, 6, 3)), [1, 2]);
  assert.equal(arr(voteLabels(indices, 4, labels, 6, 4)), [1, 1]);
  assert.equal(arr(voteLabels(new Int32Array(0), 4, labels, 6, 4)), []);
  assert.throws(() => voteLabels(new Int32Array(0), 0, labels, 6, 0), (err) => err.code === 'ERR_ARG_RANGE' && /stride/.test(err.message));
  assert.throws(() => voteLabels(indices, 2, labels, 6, 3), (err) => err.code === 'ERR_ARG_RANGE' && /Expected k in \[1, 2\], got 3/.test(err.message));
  assert.throws(() => voteLabels(indices.subarray(0, 7), 4, labels, 6, 1), (err) => err.code === 'ERR_ARG_RANGE' && /multiple of stride/.test(err.message));
  assert.throws(() => voteLabels(indices, 4, labels, 5, 1), (err) => err.code === 'ERR_ARG_RANGE' && /labels\[2\]/.test(err.message));
});

vote.run();

// ---------------------------------------------------------------------------------------------
const dispose = suite('KNearestNeighbor.dispose');

dispose('every call after dispose fails with ERR_STATE; dispose twice is harmless', async () => {
  await init();
  const rng = mulberry32(800);
  const X = randomU8(rng, 10, 4), Q = randomU8(rng, 3, 4);
  const model = new KNearestNeighbor({ k: 2 });
  await model.train(X, randomLabels(rng, 10, 3));
  model.dispose();
  model.dispose();
  assert.is(model.nTrain, 0);
  const disposed = { code: 'ERR_STATE', message: /This KNearestNeighbor was disposed; create a new one/, type: StateError };
  await rejects(model.predict(Q), disposed);
  await rejects(model.kneighbors(Q), disposed);
  await rejects(model.train(X, randomLabels(rng, 10, 3)), disposed);
  await rejects(model.score(Q, [0, 0, 0]), disposed);
  throws(() => model.computeDistances(Q), disposed);
  const untrained = new KNearestNeighbor();
  untrained.dispose();
  await rejects(untrained.train(X, randomLabels(rng, 10, 3)), disposed);
});

/** Runs `cycle` `count` times; wasm memory after cycle `warmup` and after the last must be equal. */
async function assertNoGrowth(count, cycle, label, warmup = 1) {
  let c = 0;
  for (; c < warmup; c++) await cycle(c);
  const first = (await init()).memoryBytes;
  for (; c < count; c++) await cycle(c);
  const last = (await init()).memoryBytes;
  assert.is(last, first, `${label}: wasm memory grew from ${first} to ${last} bytes over ${count} cycles`);
}

dispose('1,000 train/predict/dispose cycles do not grow wasm memory (u8 L1, f32 L2, f32 L1, u8 L2 heap)', async () => {
  await init({ build: 'relaxed' });
  const rng = mulberry32(900);
  const cases = [
    { dtype: 'u8', metric: 'l1', k: 5, cycles: 1000 },
    { dtype: 'f32', metric: 'l2', k: 5, cycles: 1000 }, // panels and norms too
    { dtype: 'f32', metric: 'l1', k: 5, cycles: 300 },
    { dtype: 'u8', metric: 'l2', k: 60, cycles: 300 }, // heap path
  ];
  for (const c of cases) {
    const X = randomMatrix(rng, c.dtype, 200, 64), y = randomLabels(rng, 200, 10), Q = randomMatrix(rng, c.dtype, 50, 64);
    const want = arr(referencePredict(Q, X, y, c.k, c.metric));
    await assertNoGrowth(c.cycles, async (i) => {
      const model = new KNearestNeighbor({ k: c.k, metric: c.metric });
      await model.train(X, y);
      const got = await model.predict(Q);
      if (i === 0 || i === c.cycles - 1) assert.equal(arr(got), want, `${c.dtype} ${c.metric}: cycle ${i}`);
      model.dispose();
    }, `${c.dtype} ${c.metric}`);
  }
});

dispose('retraining one model and failed calls do not grow wasm memory', async () => {
  // While train builds the new copy the old one is still alive (a failed train must keep it),
  // so memory reaches its peak only on the first retrain: measure from the 5th cycle.
  await init();
  const rng = mulberry32(901);
  const X = randomF32(rng, 200, 64), y = randomLabels(rng, 200, 10), Q = randomF32(rng, 50, 64);
  const model = new KNearestNeighbor({ k: 3, metric: 'l2' });
  await assertNoGrowth(305, async () => {
    await model.train(X, y);
    await model.kneighbors(Q, { k: 50 });
    await rejects(model.kneighbors(Q, { k: 201 }), { code: 'ERR_ARG_RANGE' });
    await rejects(model.train(X, y.subarray(1)), { code: 'ERR_ARG_RANGE' });
  }, 'retrain', 5);
  model.dispose();
});

dispose.run();

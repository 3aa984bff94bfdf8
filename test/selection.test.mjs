// Model selection (src/selection.ts): kFold, trainValSplit, crossValidate, crossValidateKnn,
// gridSearch and meanStd, against hand-computed results and against separate per-k runs.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import {
  init, kFold, trainValSplit, crossValidate, crossValidateKnn, gridSearch, meanStd,
  KNearestNeighbor, voteLabels,
} from '../dist/node.js';
import { mulberry32, randomU8, randomLabels, rejects, throws } from './helpers.mjs';

await init();

const arr = (typed) => Array.from(typed);
const range = (start, end) => Array.from({ length: end - start }, (_, i) => start + i);

/** numpy.array_split sizes: the first n % folds parts get one extra element. */
const splitSizes = (n, folds) => Array.from({ length: folds }, (_, f) => Math.floor(n / folds) + (f < n % folds ? 1 : 0));

/** An n x cols u8 matrix whose row i is filled with the value i (so rows can be told apart after a shuffle). */
function rowIdMatrix(n, cols) {
  const data = new Uint8Array(n * cols);
  for (let i = 0; i < n; i++) data.fill(i, i * cols, (i + 1) * cols);
  return { data, rows: n, cols };
}

/** Row ids of a matrix built by rowIdMatrix (its first column). */
const rowIds = (m) => Array.from({ length: m.rows }, (_, i) => m.data[i * m.cols]);

// ---------------------------------------------------------------------------------------------

const KFold = suite('kFold');

KFold('kFold(10, 3): contiguous folds of 4, 3, 3 in record order, train = complement', () => {
  const folds = kFold(10, 3);
  assert.is(folds.length, 3);
  assert.ok(folds.every((f) => f.train instanceof Int32Array && f.val instanceof Int32Array));
  assert.equal(arr(folds[0].val), [0, 1, 2, 3]);
  assert.equal(arr(folds[1].val), [4, 5, 6]);
  assert.equal(arr(folds[2].val), [7, 8, 9]);
  assert.equal(arr(folds[0].train), [4, 5, 6, 7, 8, 9]);
  assert.equal(arr(folds[1].train), [0, 1, 2, 3, 7, 8, 9]);
  assert.equal(arr(folds[2].train), [0, 1, 2, 3, 4, 5, 6]);
});

KFold('partitions exactly for many (n, folds), sized like numpy.array_split', () => {
  const cases = [[2, 2], [5, 5], [7, 2], [10, 5], [11, 4], [17, 3], [100, 7], [101, 10], [64, 64]];
  for (const [n, k] of cases) {
    const folds = kFold(n, k);
    const where = `kFold(${n}, ${k})`;
    assert.is(folds.length, k, `${where}: number of folds`);
    assert.equal(folds.map((f) => f.val.length), splitSizes(n, k), `${where}: fold sizes`);
    const seen = new Int32Array(n);
    let start = 0;
    for (const [f, { train, val }] of folds.entries()) {
      // Validation: one contiguous run starting where the previous fold ended.
      assert.equal(arr(val), range(start, start + val.length), `${where}: fold ${f} is contiguous`);
      for (const i of val) seen[i]++;
      // Training: every other record, in order.
      assert.equal(arr(train), [...range(0, start), ...range(start + val.length, n)], `${where}: fold ${f} train is the complement in order`);
      start += val.length;
    }
    assert.is(start, n, `${where}: folds cover every record`);
    assert.ok(seen.every((c) => c === 1), `${where}: every record in exactly one validation fold`);
  }
});

KFold('leave-one-out when folds = n', () => {
  const folds = kFold(4, 4);
  assert.equal(folds.map((f) => arr(f.val)), [[0], [1], [2], [3]]);
  assert.equal(arr(folds[2].train), [0, 1, 3]);
});

KFold('rejects folds < 2, folds > n and non-integers', () => {
  throws(() => kFold(10, 1), { code: 'ERR_ARG_RANGE', message: /Expected folds >= 2, got 1/ });
  throws(() => kFold(10, 0), { code: 'ERR_ARG_RANGE', message: /folds >= 2, got 0/ });
  throws(() => kFold(10, -3), { code: 'ERR_ARG_RANGE', message: /folds >= 2, got -3/ });
  throws(() => kFold(5, 6), { code: 'ERR_ARG_RANGE', message: /Expected folds <= number of records \(5\), got 6/ });
  throws(() => kFold(0, 2), { code: 'ERR_ARG_RANGE', message: /folds <= number of records \(0\), got 2/ });
  throws(() => kFold(10, 2.5), { code: 'ERR_ARG_TYPE', message: /Expected folds to be an integer, got number 2\.5/ });
  throws(() => kFold(10, NaN), { code: 'ERR_ARG_TYPE', message: /Expected folds to be an integer/ });
  throws(() => kFold(10, '3'), { code: 'ERR_ARG_TYPE', message: /Expected folds to be an integer, got string 3/ });
  throws(() => kFold(10.5, 3), { code: 'ERR_ARG_TYPE', message: /Expected n to be an integer, got number 10\.5/ });
  throws(() => kFold(-1, 2), { code: 'ERR_ARG_RANGE', message: /Expected n >= 0, got -1/ });
});

KFold.run();

// ---------------------------------------------------------------------------------------------

const TrainValSplit = suite('trainValSplit');

const N_SPLIT = 50;
const splitX = rowIdMatrix(N_SPLIT, 3);
const splitY = Int32Array.from({ length: N_SPLIT }, (_, i) => i % 7);

/** Checks that train and val are disjoint, cover every row in order, and keep each row's label. */
function checkSplit({ train, val }, valRows) {
  assert.is(val.X.rows, valRows, 'validation rows');
  assert.is(train.X.rows, N_SPLIT - valRows, 'training rows');
  for (const part of [train, val]) {
    assert.ok(part.X.data instanceof Uint8Array, 'u8 data stays u8');
    assert.is(part.X.cols, 3);
    assert.is(part.X.data.length, part.X.rows * 3);
    assert.ok(part.y instanceof Int32Array);
    assert.is(part.y.length, part.X.rows);
    const ids = rowIds(part.X);
    ids.forEach((id, r) => {
      // Whole rows move together, with their own label.
      assert.equal(arr(part.X.data.subarray(r * 3, r * 3 + 3)), [id, id, id]);
      assert.is(part.y[r], id % 7, `row ${id} keeps its label`);
    });
    assert.equal(ids, [...ids].sort((a, b) => a - b), 'rows stay in record order');
  }
  const all = [...rowIds(train.X), ...rowIds(val.X)].sort((a, b) => a - b);
  assert.equal(all, range(0, N_SPLIT), 'disjoint and covering every row');
  return rowIds(val.X);
}

TrainValSplit('valSize as a fraction (default 0.2) and as a count', () => {
  checkSplit(trainValSplit(splitX, splitY), 10);
  checkSplit(trainValSplit(splitX, splitY, { valSize: 0.3 }), 15);
  checkSplit(trainValSplit(splitX, splitY, { valSize: 0.25 }), 13); // Math.round(12.5)
  checkSplit(trainValSplit(splitX, splitY, { valSize: 13 }), 13);
  checkSplit(trainValSplit(splitX, splitY, { valSize: 1 }), 1);
  checkSplit(trainValSplit(splitX, splitY, { valSize: 49 }), 49);
});

TrainValSplit('accepts number[][] and plain label arrays', () => {
  const { train, val } = trainValSplit([[0], [1], [2], [3]], [0, 1, 0, 1], { valSize: 2, seed: 3 });
  assert.ok(train.X.data instanceof Float32Array);
  const pairs = [...rowIds(train.X).map((v, i) => [v, train.y[i]]), ...rowIds(val.X).map((v, i) => [v, val.y[i]])];
  assert.equal(pairs.sort((a, b) => a[0] - b[0]), [[0, 0], [1, 1], [2, 0], [3, 1]]);
});

TrainValSplit('same seed, same split; different seed, different split', () => {
  const a = checkSplit(trainValSplit(splitX, splitY, { valSize: 10, seed: 5 }), 10);
  const b = checkSplit(trainValSplit(splitX, splitY, { valSize: 10, seed: 5 }), 10);
  const c = checkSplit(trainValSplit(splitX, splitY, { valSize: 10, seed: 6 }), 10);
  const d = checkSplit(trainValSplit(splitX, splitY, { valSize: 10 }), 10);
  const e = checkSplit(trainValSplit(splitX, splitY, { valSize: 10, seed: 0 }), 10);
  assert.equal(a, b);
  assert.not.equal(a, c);
  assert.equal(d, e, 'the default seed is 0');
  assert.not.equal(a, d);
  assert.not.equal(a, range(0, 10), 'the split is shuffled, not the first rows');
});

TrainValSplit('rejects a valSize that leaves no validation or no training rows, and NaN', () => {
  const bad = (valSize, message) => throws(() => trainValSplit(splitX, splitY, { valSize }), { code: 'ERR_ARG_RANGE', message });
  bad(0, /Expected valSize to leave between 1 and 49 validation rows .*got 0/);
  bad(0.001, /between 1 and 49 validation rows .*got 0\.001/); // rounds to 0 rows
  bad(50, /between 1 and 49 validation rows .*got 50/);
  bad(51, /got 51/);
  bad(2.5, /got 2\.5/);
  bad(-0.2, /valSize/);
  bad(NaN, /valSize/);
  throws(() => trainValSplit(splitX, splitY, { valSize: '0.2' }), { code: 'ERR_ARG_TYPE', message: /valSize/ });
  throws(() => trainValSplit(splitX, splitY.subarray(1)), { code: 'ERR_ARG_RANGE', message: /y/ });
});

TrainValSplit.run();

// ---------------------------------------------------------------------------------------------

const CrossValidate = suite('crossValidate');

// Six one-dimensional points and labels; 3 folds of 2 contiguous records; 1-NN (L1 = L2 in 1-D).
//   index:  0  1  2  3  4   5
//   x:      0  2  3  7  8  12
//   y:      0  0  0  1  0   0
// Fold 0: val {x0, x2}, train {x3 y0, x7 y1, x8 y0, x12 y0}
//   x0 -> nearest x3 (d 3) -> 0, truth 0 ok;  x2 -> x3 (d 1) -> 0, truth 0 ok     => 2/2 = 1
// Fold 1: val {x3, x7}, train {x0 y0, x2 y0, x8 y0, x12 y0}
//   x3 -> x2 (d 1) -> 0, truth 0 ok;          x7 -> x8 (d 1) -> 0, truth 1 wrong  => 1/2 = 0.5
// Fold 2: val {x8, x12}, train {x0 y0, x2 y0, x3 y0, x7 y1}
//   x8 -> x7 (d 1) -> 1, truth 0 wrong;       x12 -> x7 (d 5) -> 1, truth 0 wrong => 0/2 = 0
// mean = 0.5; np.std([1, 0.5, 0]) = sqrt((0.25 + 0 + 0.25) / 3) = sqrt(1/6) = 0.408248290463863
const TINY_X = { data: new Uint8Array([0, 2, 3, 7, 8, 12]), rows: 6, cols: 1 };
const TINY_Y = new Int32Array([0, 0, 0, 1, 0, 0]);

CrossValidate('1-NN on six 1-D points equals the hand computation', async () => {
  for (const metric of ['l1', 'l2']) {
    const result = await crossValidate(() => new KNearestNeighbor({ k: 1, metric }), TINY_X, TINY_Y, { folds: 3 });
    assert.equal(result.accuracies, [1, 0.5, 0], metric);
    assert.is(result.mean, 0.5);
    assert.ok(Math.abs(result.std - 0.408248290463863) < 1e-15, `std ${result.std}`);
  }
  // The same points as number[][] (f32 path) and plain labels.
  const rows = Array.from(TINY_X.data, (v) => [v]);
  const f32 = await crossValidate(() => new KNearestNeighbor({ k: 1 }), rows, Array.from(TINY_Y), { folds: 3 });
  assert.equal(f32.accuracies, [1, 0.5, 0]);
});

CrossValidate('2 folds and 6 folds (leave-one-out) on the same points', async () => {
  // 2 folds: val {0,2,3} vs train {7,8,12}: all -> 7 (y1): truths 0,0,0 -> 0;
  //          val {7,8,12} (y 1,0,0) vs train {0,2,3} (all y0): predict 0 -> 2/3.
  const two = await crossValidate(() => new KNearestNeighbor({ k: 1 }), TINY_X, TINY_Y, { folds: 2 });
  assert.equal(two.accuracies, [0, 2 / 3]);
  // Leave-one-out: 0->2 ok, 2->3 ok, 3->2 ok, 7->8 (y0, truth 1) wrong, 8->7 (y1, truth 0) wrong, 12->8 ok.
  const loo = await crossValidate(() => new KNearestNeighbor({ k: 1 }), TINY_X, TINY_Y, { folds: 6 });
  assert.equal(loo.accuracies, [1, 1, 1, 0, 0, 1]);
  assert.is(loo.mean, 4 / 6);
});

CrossValidate('calls the factory once per fold, trains on the complement, scores the fold, disposes each model', async () => {
  const X = rowIdMatrix(10, 2);
  const y = Int32Array.from({ length: 10 }, (_, i) => i % 3);
  const log = [];
  let made = 0;
  const factory = () => {
    const id = made++;
    const entry = { id, train: null, score: null, disposed: 0 };
    log.push(entry);
    return {
      async train(Xt, yt) { entry.train = { ids: rowIds(Xt), y: arr(yt) }; },
      async score(Xv, yv) { entry.score = { ids: rowIds(Xv), y: arr(yv) }; return [0.25, 0.5, 1][id]; },
      dispose() { entry.disposed++; },
    };
  };
  const progress = [];
  const result = await crossValidate(factory, X, y, { folds: 3, onProgress: (f, n) => progress.push([f, n]) });
  assert.is(made, 3);
  assert.equal(log.map((e) => e.train.ids), [[4, 5, 6, 7, 8, 9], [0, 1, 2, 3, 7, 8, 9], [0, 1, 2, 3, 4, 5, 6]]);
  assert.equal(log.map((e) => e.score.ids), [[0, 1, 2, 3], [4, 5, 6], [7, 8, 9]]);
  for (const e of log) {
    assert.equal(e.train.y, e.train.ids.map((i) => i % 3));
    assert.equal(e.score.y, e.score.ids.map((i) => i % 3));
    assert.is(e.disposed, 1, `model ${e.id} disposed once`);
  }
  assert.equal(result.accuracies, [0.25, 0.5, 1]);
  assert.ok(Math.abs(result.mean - 7 / 12) < 1e-15);
  assert.equal(progress, [[1, 3], [2, 3], [3, 3]]);
});

CrossValidate('default is 5 folds; a model without dispose is fine', async () => {
  let made = 0;
  const result = await crossValidate(() => { made++; return { async train() {}, async score() { return 1; } }; }, rowIdMatrix(12, 1), new Int32Array(12));
  assert.is(made, 5);
  assert.equal(result.accuracies, [1, 1, 1, 1, 1]);
  assert.is(result.std, 0);
});

CrossValidate('a failing fold rejects and still disposes its model; real kNN models are disposed', async () => {
  const disposed = [];
  let made = 0;
  await rejects(() => crossValidate(() => {
    const id = made++;
    return {
      async train() { if (id === 1) throw Object.assign(new Error('boom in fold 1'), { code: 'ERR_TEST' }); },
      async score() { return 1; },
      dispose() { disposed.push(id); },
    };
  }, TINY_X, TINY_Y, { folds: 3 }), { code: 'ERR_TEST', message: /boom in fold 1/ });
  // Folds run in parallel, one per worker: no fold starts once one failed, and each made is disposed.
  const lanes = Math.max(1, (await init()).threads);
  assert.ok(made >= 2 && made <= Math.max(2, lanes), `made ${made} models with ${lanes} lanes`);
  assert.equal(disposed.sort(), Array.from({ length: made }, (_, i) => i));

  const models = [];
  await crossValidate(() => { const m = new KNearestNeighbor({ k: 1 }); models.push(m); return m; }, TINY_X, TINY_Y, { folds: 3 });
  assert.is(models.length, 3);
  for (const m of models) await rejects(() => m.predict([[1]]), { code: 'ERR_STATE' });
});

CrossValidate('rejects bad folds and mismatched labels', async () => {
  const factory = () => new KNearestNeighbor({ k: 1 });
  await rejects(() => crossValidate(factory, TINY_X, TINY_Y, { folds: 1 }), { code: 'ERR_ARG_RANGE', message: /folds >= 2/ });
  await rejects(() => crossValidate(factory, TINY_X, TINY_Y, { folds: 7 }), { code: 'ERR_ARG_RANGE', message: /folds <= number of records \(6\), got 7/ });
  await rejects(() => crossValidate(factory, TINY_X, TINY_Y.subarray(1), { folds: 3 }), { code: 'ERR_ARG_RANGE', message: /y/ });
});

CrossValidate.run();

// ---------------------------------------------------------------------------------------------

const CrossValidateKnn = suite('crossValidateKnn');

CrossValidateKnn('per-k accuracies from one pass at the largest k equal separate crossValidate runs (u8, exact)', async () => {
  const rng = mulberry32(2024);
  // Few grey levels: many distance ties, which both paths must break the same way (lower index first).
  const cases = [
    { X: randomU8(rng, 150, 20, 4), y: randomLabels(rng, 150, 3), folds: 4, ks: [1, 2, 3, 5, 8, 13] },
    { X: randomU8(rng, 97, 33), y: randomLabels(rng, 97, 5), folds: 5, ks: [7, 1, 4, 10] },
  ];
  for (const { X, y, folds, ks } of cases) {
    for (const metric of ['l1', 'l2']) {
      const cv = await crossValidateKnn(X, y, { ks, folds, metric });
      assert.is(cv.folds, folds);
      assert.equal(cv.results.map((r) => r.k), ks, 'results in the order of ks');
      for (const r of cv.results) {
        const single = await crossValidate(() => new KNearestNeighbor({ k: r.k, metric }), X, y, { folds });
        assert.equal(r.accuracies, single.accuracies, `${metric} k=${r.k}`);
        assert.is(r.mean, single.mean);
        assert.is(r.std, single.std);
      }
      // bestK: highest mean, smallest k among equal means.
      const top = Math.max(...cv.results.map((r) => r.mean));
      assert.is(cv.bestK, Math.min(...cv.results.filter((r) => r.mean === top).map((r) => r.k)), `${metric} bestK`);
    }
  }
});

CrossValidateKnn('default metric is l2 and default folds is 5', async () => {
  const rng = mulberry32(99);
  const X = randomU8(rng, 40, 8), y = randomLabels(rng, 40, 2);
  const cv = await crossValidateKnn(X, y, { ks: [1, 3] });
  assert.is(cv.folds, 5);
  const l2 = await crossValidateKnn(X, y, { ks: [1, 3], folds: 5, metric: 'l2' });
  assert.equal(cv, l2);
});

CrossValidateKnn('matches the hand computation on the six 1-D points', async () => {
  const cv = await crossValidateKnn(TINY_X, TINY_Y, { ks: [1], folds: 3, metric: 'l1' });
  assert.equal(cv.results[0].accuracies, [1, 0.5, 0]);
  assert.is(cv.bestK, 1);
});

CrossValidateKnn('bestK takes the smallest k on a tie, not the first listed', async () => {
  // Two far-apart clusters, labels by cluster: every k up to 5 is perfect in every fold.
  const n = 24;
  const data = new Uint8Array(n), y = new Int32Array(n);
  for (let i = 0; i < n; i++) { y[i] = i % 2; data[i] = y[i] === 0 ? (i % 5) : 200 + (i % 5); }
  const X = { data, rows: n, cols: 1 };
  const cv = await crossValidateKnn(X, y, { ks: [5, 3, 1], folds: 3, metric: 'l1' });
  assert.equal(cv.results.map((r) => [r.k, r.mean, r.std]), [[5, 1, 0], [3, 1, 0], [1, 1, 0]]);
  assert.is(cv.bestK, 1);
  // Control without a tie: rows hold the values 0, 10, 20 repeating (exact duplicates in every fold),
  // label 1 for 20 and 0 otherwise. k = 1 always finds a duplicate: accuracy 1 in every fold. k = 20 votes
  // over the whole training fold (20 rows, mostly label 0), so predicts 0 everywhere: the accuracy is the
  // share of label 0 in the fold: rows 0-9 hold 3 ones (2, 5, 8) -> 0.7; rows 10-19: 11, 14, 17 -> 0.7;
  // rows 20-29: 20, 23, 26, 29 -> 0.6.
  const m = 30;
  const Xd = { data: Uint8Array.from({ length: m }, (_, i) => (i % 3) * 10), rows: m, cols: 1 };
  const yd = Int32Array.from({ length: m }, (_, i) => (i % 3 === 2 ? 1 : 0));
  const cv2 = await crossValidateKnn(Xd, yd, { ks: [20, 1], folds: 3, metric: 'l1' });
  assert.equal(cv2.results[0].accuracies, [0.7, 0.7, 0.6]);
  assert.equal(cv2.results[1].accuracies, [1, 1, 1]);
  assert.is(cv2.bestK, 1);
  const cv3 = await crossValidateKnn(Xd, yd, { ks: [1, 20], folds: 3, metric: 'l1' });
  assert.is(cv3.bestK, 1);
});

CrossValidateKnn('reports progress over the validation rows', async () => {
  const rng = mulberry32(5);
  const X = randomU8(rng, 30, 4), y = randomLabels(rng, 30, 2);
  const calls = [];
  await crossValidateKnn(X, y, { ks: [1, 2], folds: 3, onProgress: (done, total) => calls.push([done, total]) });
  assert.ok(calls.length >= 3, `at least one call per fold, got ${calls.length}`);
  assert.ok(calls.every(([, total]) => total === 30));
  for (let i = 1; i < calls.length; i++) assert.ok(calls[i][0] >= calls[i - 1][0], 'monotonic');
  assert.equal(calls.at(-1), [30, 30]);
});

CrossValidateKnn('rejects empty or bad ks, and k larger than the smallest training fold', async () => {
  const rng = mulberry32(11);
  const X = randomU8(rng, 10, 4), y = randomLabels(rng, 10, 2);
  await rejects(() => crossValidateKnn(X, y, { ks: [], folds: 3 }), { code: 'ERR_ARG_RANGE', message: /Expected ks to be a non-empty list/ });
  await rejects(() => crossValidateKnn(X, y, { ks: [1, 0], folds: 3 }), { code: 'ERR_ARG_RANGE', message: /Expected ks\[1\] >= 1, got 0/ });
  await rejects(() => crossValidateKnn(X, y, { ks: [1.5], folds: 3 }), { code: 'ERR_ARG_TYPE', message: /ks\[0\]/ });
  // kFold(10, 3): validation folds 4, 3, 3 -> training folds 6, 7, 7: the smallest is 6.
  await rejects(() => crossValidateKnn(X, y, { ks: [1, 7], folds: 3 }), { code: 'ERR_ARG_RANGE', message: /Expected every k <= the smallest training fold \(6\), got 7/ });
  const ok = await crossValidateKnn(X, y, { ks: [6], folds: 3 });
  assert.is(ok.results[0].accuracies.length, 3);
  await rejects(() => crossValidateKnn(X, y, { ks: [1], folds: 11 }), { code: 'ERR_ARG_RANGE', message: /folds <= number of records \(10\), got 11/ });
  await rejects(() => crossValidateKnn(X, y, { ks: [1], folds: 3, metric: 'l3' }), { code: 'ERR_ARG_RANGE', message: /metric/ });
});

CrossValidateKnn.run();

// ---------------------------------------------------------------------------------------------

const VoteLabels = suite('voteLabels');

VoteLabels('votes over the first k of each row; ties go to the smallest label', () => {
  const labels = new Int32Array([2, 1, 1, 0, 2]);
  // Two queries, neighbours sorted by distance, stride 4.
  const indices = new Int32Array([0, 1, 2, 4, /* */ 3, 4, 1, 0]);
  assert.equal(arr(voteLabels(indices, 4, labels, 3, 1)), [2, 0]);
  assert.equal(arr(voteLabels(indices, 4, labels, 3, 2)), [1, 0]); // {2, 1} tie -> 1; {0, 2} tie -> 0
  assert.equal(arr(voteLabels(indices, 4, labels, 3, 3)), [1, 0]); // {2, 1, 1} -> 1; {0, 2, 1} -> 0
  assert.equal(arr(voteLabels(indices, 4, labels, 3, 4)), [1, 2]); // {2,1,1,2} tie -> 1; {0,2,1,2} -> 2
});

VoteLabels.run();

// ---------------------------------------------------------------------------------------------

const GridSearch = suite('gridSearch');

/** Three classes over 12 u8 features: class c raises features 4c..4c+3, plus heavy noise (not trivially separable). */
function gridData() {
  const rng = mulberry32(7);
  const n = 120, D = 12;
  const data = new Uint8Array(n * D), y = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    const c = i % 3;
    y[i] = c;
    for (let j = 0; j < D; j++) data[i * D + j] = (Math.floor(j / 4) === c ? 60 : 20) + Math.floor(rng() * 120);
  }
  return trainValSplit({ data, rows: n, cols: D }, y, { valSize: 40, seed: 1 });
}

GridSearch('evaluates every (lr, reg) point; best has the highest validation accuracy; divergence is recorded', async () => {
  const { train, val } = gridData();
  const learningRates = [1e-9, 1e-4, 1e30], regs = [0, 1];
  for (const loss of ['svm', 'softmax']) {
    const progress = [];
    const { points, best } = await gridSearch(train, val, {
      loss, learningRates, regs, numIters: 50, batchSize: 20, seed: 0,
      onProgress: (done, total, point) => progress.push({ done, total, point }),
    });
    assert.is(points.length, 6, loss);
    assert.equal(points.map((p) => [p.learningRate, p.reg]), learningRates.flatMap((lr) => regs.map((reg) => [lr, reg])), `${loss}: lr outer, reg inner`);
    for (const p of points) {
      const where = `${loss} lr=${p.learningRate} reg=${p.reg}`;
      assert.ok(p.trainAccuracy >= 0 && p.trainAccuracy <= 1, `${where}: train accuracy ${p.trainAccuracy}`);
      assert.ok(p.valAccuracy >= 0 && p.valAccuracy <= 1, `${where}: val accuracy ${p.valAccuracy}`);
      const correct = p.valAccuracy * val.X.rows;
      assert.ok(Math.abs(correct - Math.round(correct)) < 1e-9, `${where}: accuracy is a fraction of ${val.X.rows} rows`);
      assert.ok(Array.isArray(p.history), `${where}: history`);
    }
    // The huge step with regularization diverges: recorded, not thrown.
    const diverged = points.find((p) => p.learningRate === 1e30 && p.reg === 1);
    assert.ok(Number.isNaN(diverged.finalLoss), `${loss}: diverged finalLoss is NaN`);
    assert.is(diverged.trainAccuracy, 0);
    assert.is(diverged.valAccuracy, 0);
    assert.ok(diverged.history.length < 50, `${loss}: diverged history stops early (${diverged.history.length})`);
    assert.ok(diverged.history.every(Number.isFinite));
    // Every sane point trains all iterations to a finite loss.
    for (const p of points.filter((q) => q.learningRate < 1)) {
      assert.is(p.history.length, 50);
      assert.ok(Number.isFinite(p.finalLoss) && p.finalLoss >= 0);
      assert.is(p.finalLoss, p.history.at(-1));
    }
    // A reasonable learning rate learns the problem; a tiny one barely moves.
    const good = points.find((p) => p.learningRate === 1e-4 && p.reg === 0);
    assert.ok(good.valAccuracy >= 0.8, `${loss}: val accuracy at lr 1e-4 is ${good.valAccuracy}`);
    const top = Math.max(...points.map((p) => p.valAccuracy));
    assert.ok(points.includes(best), 'best is one of the points');
    assert.is(best.valAccuracy, top);
    assert.ok(best.valAccuracy > points[0].valAccuracy, `${loss}: the grid distinguishes points`);
    assert.is(progress.length, 6);
    assert.equal(progress.map((c) => [c.done, c.total]), [[1, 6], [2, 6], [3, 6], [4, 6], [5, 6], [6, 6]]);
    // Points train in parallel: progress reports each point once, in the order they finish.
    assert.equal(new Set(progress.map((c) => c.point)).size, 6);
    assert.ok(progress.every((c) => points.includes(c.point)));
  }
});

GridSearch('is deterministic for a seed', async () => {
  const { train, val } = gridData();
  const opts = { loss: 'softmax', learningRates: [1e-5], regs: [1e-2], numIters: 20, batchSize: 10, seed: 4 };
  const a = await gridSearch(train, val, opts);
  const b = await gridSearch(train, val, opts);
  assert.equal(a.points[0].history, b.points[0].history);
  assert.is(a.best.valAccuracy, b.best.valAccuracy);
});

GridSearch('rejects empty grids and passes other training errors through', async () => {
  const { train, val } = gridData();
  await rejects(() => gridSearch(train, val, { loss: 'svm', learningRates: [], regs: [1] }), { code: 'ERR_ARG_RANGE', message: /Expected learningRates to be a non-empty list/ });
  await rejects(() => gridSearch(train, val, { loss: 'svm', learningRates: [1e-3], regs: [] }), { code: 'ERR_ARG_RANGE', message: /Expected regs to be a non-empty list/ });
  await rejects(() => gridSearch(train, val, { loss: 'svm', learningRates: [-1], regs: [0], numIters: 2 }), { code: 'ERR_ARG_RANGE', message: /learningRate/ });
});

GridSearch('refuses an unknown loss instead of training softmax', async () => {
  await init();
  const s = { X: { data: new Float32Array([0, 1, 10, 11]), rows: 4, cols: 1 }, y: new Int32Array([0, 0, 1, 1]) };
  for (const loss of ['hinge', undefined]) {
    try {
      await gridSearch(s, s, { loss, learningRates: [1e-2], regs: [0], numIters: 5, batchSize: 4 });
      assert.unreachable('should have thrown');
    } catch (err) {
      assert.is(err.code, 'ERR_ARG_RANGE');
      assert.match(err.message, /Expected loss to be 'svm' or 'softmax'/);
    }
  }
});

GridSearch.run();

// ---------------------------------------------------------------------------------------------

const MeanStd = suite('meanStd');

MeanStd('matches numpy (np.mean, np.std with ddof=0) on literal examples', () => {
  const close = (a, b) => Math.abs(a - b) <= 1e-12 * Math.max(1, Math.abs(b));
  // np.mean / np.std of each list, printed by numpy 2.4:
  const cases = [
    [[2, 4, 4, 4, 5, 5, 7, 9], 5, 2],
    [[1, 0.5, 0], 0.5, 0.408248290463863],
    [[0.9, 0.8, 0.85], 0.8500000000000001, 0.04082482904638629],
    [[0.81, 0.79, 0.835, 0.8, 0.77], 0.8010000000000002, 0.021540659228538],
  ];
  for (const [values, mean, std] of cases) {
    const got = meanStd(values);
    assert.ok(close(got.mean, mean), `mean of ${values}: ${got.mean}, numpy ${mean}`);
    assert.ok(close(got.std, std), `std of ${values}: ${got.std}, numpy ${std}`);
  }
});

MeanStd('one value has std 0; an empty list gives zeros', () => {
  assert.equal(meanStd([0.7]), { mean: 0.7, std: 0 });
  assert.equal(meanStd([]), { mean: 0, std: 0 });
});

MeanStd.run();

// kNN as apps use it: class probabilities, distance weights, cosine on embeddings, examples added
// one at a time, a class cleared, and models saved and loaded (every kind, corrupted files refused).
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { init, KNearestNeighbor, LinearSVM, Softmax, loadModel, loadModelBytes, saveModel } from '../dist/node.js';
import { core } from '../dist/runtime.js';
import { referenceDistances, referenceKneighbors } from '../dist/reference.js';
import { eachBuild, mulberry32, randomF32, randomLabels, randomU8, rejects, throws } from './helpers.mjs';

const arr = (a) => Array.from(a);
await init();

/** Vote shares computed directly: uniform counts, or 1 / distance with exact matches taking all the weight. */
function referenceShares(Q, X, y, k, metric, weights, numClasses) {
  const idx = referenceKneighbors(Q, X, k, metric), dist = referenceDistances(Q, X, metric);
  const out = [];
  for (let i = 0; i < Q.rows; i++) {
    const row = new Array(numClasses).fill(0);
    const ds = Array.from({ length: k }, (_, j) => dist[i * X.rows + idx[i * k + j]]);
    const exact = ds.some((d) => d === 0);
    ds.forEach((d, j) => { row[y[idx[i * k + j]]] += weights === 'uniform' ? 1 : exact ? (d === 0 ? 1 : 0) : 1 / d; });
    const total = row.reduce((a, b) => a + b);
    out.push(row.map((v) => v / total));
  }
  return out;
}

const argmax = (row) => row.reduce((best, v, c) => (v > row[best] ? c : best), 0);

const Proba = suite('predictProba and weights');

Proba('vote shares equal the reference for uniform and distance weights; predict is their argmax (ties to the smallest label)', async () => {
  await eachBuild(async (build) => {
    const rng = mulberry32(301);
    // f32 rows of small integers keep every distance exact, so an exact match is at distance 0.
    const integers = (m) => ({ data: Float32Array.from(m.data), rows: m.rows, cols: m.cols });
    for (const [dtype, metric] of [['u8', 'l1'], ['u8', 'l2'], ['f32', 'l2'], ['f32', 'cosine']]) {
      for (const weights of ['uniform', 'distance']) {
        const X = dtype === 'u8' ? randomU8(rng, 80, 12, 3) : metric === 'cosine' ? randomF32(rng, 80, 12) : integers(randomU8(rng, 80, 12, 3));
        const Q = dtype === 'u8' ? randomU8(rng, 30, 12, 3) : metric === 'cosine' ? randomF32(rng, 30, 12) : integers(randomU8(rng, 30, 12, 3));
        // Some queries equal training rows: distance 0 (cosine's unit rows are rounded: no exact matches there).
        if (metric !== 'cosine') Q.data.set(X.data.subarray(0, 12 * 3), 0);
        const y = randomLabels(rng, 80, 4);
        const knn = new KNearestNeighbor({ k: 6, metric, weights });
        await knn.train(X, y);
        const P = await knn.predictProba(Q);
        const ref = referenceShares(Q, X, y, 6, metric, weights, 4);
        const label = `${build} ${dtype} ${metric} ${weights}`;
        assert.is(P.rows, 30);
        assert.is(P.cols, 4);
        for (let i = 0; i < 30; i++) {
          const row = arr(P.data.subarray(i * 4, i * 4 + 4));
          assert.ok(Math.abs(row.reduce((a, b) => a + b) - 1) < 1e-6, `${label} row ${i} sums to 1`);
          row.forEach((v, c) => assert.ok(Math.abs(v - ref[i][c]) < 1e-5, `${label} (${i}, ${c}): ${v} vs ${ref[i][c]}`));
        }
        const predicted = arr(await knn.predict(Q));
        for (let i = 0; i < 30; i++) assert.is(predicted[i], argmax(arr(P.data.subarray(i * 4, i * 4 + 4))), `${label} predict = argmax, row ${i}`);
        if (weights === 'distance' && metric !== 'cosine') for (let i = 0; i < 3; i++) assert.is(predicted[i], y[i], `${label}: an exact match wins`);
        knn.dispose();
      }
    }
  });
});

Proba('weights is checked', () => {
  throws(() => new KNearestNeighbor({ weights: 'inverse' }), { code: 'ERR_ARG_RANGE', message: /weights to be 'uniform' or 'distance'/ });
});

Proba.run();

const Cosine = suite('cosine');

Cosine('neighbours and distances equal 1 - cos, zero vectors at distance 1 from everything, u8 or f32 input', async () => {
  await eachBuild(async (build) => {
    const rng = mulberry32(302);
    const X = randomF32(rng, 60, 9), Q = randomF32(rng, 20, 9);
    X.data.fill(0, 5 * 9, 6 * 9); // a zero training row
    X.data.fill(0, 17 * 9, 18 * 9);
    Q.data.fill(0, 3 * 9, 4 * 9); // a zero query
    for (let j = 0; j < 9; j++) X.data[40 * 9 + j] = 3 * X.data[7 * 9 + j]; // same direction: distance 0, tie by index
    const knn = new KNearestNeighbor({ k: 60, metric: 'cosine' });
    await knn.train(X, randomLabels(rng, 60, 3));
    const { indices, distances } = await knn.kneighbors(Q);
    const refDist = referenceDistances(Q, X, 'cosine');
    const all = (i, j) => knn.computeDistances({ data: Q.data.subarray(i * 9, i * 9 + 9), rows: 1, cols: 9 })[j];
    for (let i = 0; i < 20; i++) {
      for (let j = 0; j < 60; j++) {
        const d = distances[i * 60 + j], truth = refDist[i * 60 + indices[i * 60 + j]];
        assert.ok(Math.abs(d - truth) < 1e-5, `${build} query ${i}, rank ${j}: ${d} vs ${truth}`);
        if (j > 0) assert.ok(distances[i * 60 + j - 1] <= d + 1e-6, 'sorted');
      }
    }
    assert.ok(arr(distances.subarray(3 * 60, 4 * 60)).every((d) => Math.abs(d - 1) < 1e-6), `${build}: a zero query is at distance 1 from every row`);
    for (let i = 0; i < 20; i++) assert.ok(Math.abs(all(i, 5) - 1) < 1e-6, `${build}: a zero training row is at distance 1 from query ${i}`);
    const matrix = knn.computeDistances(Q);
    for (let i = 0; i < matrix.length; i++) assert.ok(Math.abs(matrix[i] - refDist[i]) < 1e-5, `${build} computeDistances ${i}`);
    const u8 = randomU8(rng, 4, 9);
    const asF32 = { data: Float32Array.from(u8.data), rows: 4, cols: 9 };
    assert.equal(arr((await knn.kneighbors(u8, { k: 5 })).indices), arr((await knn.kneighbors(asF32, { k: 5 })).indices), 'u8 queries are embeddings too');
    knn.dispose();
  });
});

Cosine.run();

const Add = suite('add, numExamples, clearClass');

// f32 L2 keeps the column centres of the first rows it stored (see exec/knn-rows.ts): on f32 rows
// of small integers every distance is exact whatever the centre, so add and train agree exactly;
// on other f32 data they agree within f32 rounding.
Add('examples added one at a time (and in batches) give exactly what train on the concatenation gives', async () => {
  await eachBuild(async (build) => {
    const rng = mulberry32(303);
    const integers = (m) => ({ data: Float32Array.from(m.data), rows: m.rows, cols: m.cols });
    for (const [dtype, metric] of [['u8', 'l1'], ['u8', 'l2'], ['f32', 'l1'], ['f32', 'l2'], ['f32', 'cosine']]) {
      const make = (rows) => (dtype === 'u8' ? randomU8(rng, rows, 11, 4) : metric === 'l2' ? integers(randomU8(rng, rows, 11, 7)) : randomF32(rng, rows, 11));
      const X = make(70), Q = make(25);
      const y = Int32Array.from({ length: 70 }, (_, i) => (i < 40 ? i % 3 : 3 + (i % 2))); // classes 3 and 4 arrive later
      const whole = new KNearestNeighbor({ k: 5, metric });
      await whole.train(X, y);
      const grown = new KNearestNeighbor({ k: 5, metric });
      const row = (i, n = 1) => ({ data: X.data.subarray(i * 11, (i + n) * 11), rows: n, cols: 11 });
      for (let i = 0; i < 30; i++) await grown.add(row(i), y.subarray(i, i + 1));
      await grown.add(row(30, 25), y.subarray(30, 55));
      for (let i = 55; i < 70; i++) await grown.add(row(i), y.subarray(i, i + 1));
      const label = `${build} ${dtype} ${metric}`;
      assert.is(grown.nTrain, 70);
      assert.equal(grown.numExamples, whole.numExamples, `${label}: numExamples`);
      const a = await whole.kneighbors(Q), b = await grown.kneighbors(Q);
      assert.equal(arr(b.indices), arr(a.indices), `${label}: indices`);
      assert.equal(arr(b.distances), arr(a.distances), `${label}: distances`);
      assert.equal(arr(await grown.predict(Q)), arr(await whole.predict(Q)), `${label}: predictions`);
      whole.dispose();
      grown.dispose();
    }
  });
});

Add('clearClass removes a class: equal to training on the other rows; numExamples shows 0', async () => {
  const rng = mulberry32(304);
  const X = randomU8(rng, 60, 10), y = randomLabels(rng, 60, 3), Q = randomU8(rng, 20, 10);
  const knn = new KNearestNeighbor({ k: 3, metric: 'l2' });
  await knn.train(X, y);
  await knn.clearClass(1);
  const keep = arr(y.keys()).filter((i) => y[i] !== 1);
  const rest = new KNearestNeighbor({ k: 3, metric: 'l2' });
  const Xr = { data: Uint8Array.from(keep.flatMap((i) => arr(X.data.subarray(i * 10, i * 10 + 10)))), rows: keep.length, cols: 10 };
  await rest.train(Xr, Int32Array.from(keep, (i) => y[i]));
  const got = await knn.kneighbors(Q), want = await rest.kneighbors(Q);
  assert.equal(arr(got.distances), arr(want.distances));
  assert.equal(arr(got.indices).map((i) => keep[i] === undefined ? -1 : i), arr(want.indices));
  assert.is(knn.numExamples[1], 0);
  assert.is(knn.nTrain, keep.length);
  knn.dispose();
  rest.dispose();
});

Add('a failed add leaves the model as it was; add checks columns and type', async () => {
  const rng = mulberry32(305);
  const knn = new KNearestNeighbor({ k: 2, metric: 'l1' });
  await knn.train(randomU8(rng, 10, 6), randomLabels(rng, 10, 2));
  const Q = randomU8(rng, 5, 6), before = arr((await knn.kneighbors(Q)).indices);
  await rejects(knn.add(randomU8(rng, 2, 7), [0, 1]), { code: 'ERR_ARG_RANGE', message: /6 columns/ });
  await rejects(knn.add(randomF32(rng, 2, 6), [0, 1]), { code: 'ERR_ARG_TYPE', message: /Uint8Array/ });
  await rejects(knn.add(randomU8(rng, 2, 6), [0, -1]), { code: 'ERR_ARG_RANGE', message: /y\[1\]/ });
  assert.equal(arr((await knn.kneighbors(Q)).indices), before);
  assert.is(knn.nTrain, 10);
  knn.dispose();
});

Add.run();

const Files = suite('save and load');

Files('every model kind round-trips to identical predictions (bytes and files); toJSON of kNN is small', async () => {
  const rng = mulberry32(306);
  const dir = await mkdtemp(join(tmpdir(), 'simdclass-models-'));
  try {
    const X8 = randomU8(rng, 120, 20), Xf = { data: Float32Array.from(randomF32(rng, 120, 20).data, (v) => v + 500), rows: 120, cols: 20 };
    const y = randomLabels(rng, 120, 3), Q8 = randomU8(rng, 30, 20), Qf = { data: Float32Array.from(randomF32(rng, 30, 20).data, (v) => v + 500), rows: 30, cols: 20 };
    const models = [
      [new KNearestNeighbor({ k: 3, metric: 'l1' }), X8, Q8],
      [new KNearestNeighbor({ k: 4, metric: 'l2', weights: 'distance' }), Xf, Qf],
      [new KNearestNeighbor({ k: 2, metric: 'cosine' }), Xf, Qf],
      [new LinearSVM(), X8, Q8],
      [new Softmax(), Xf, Qf],
    ];
    for (const [i, [model, X, Q]] of models.entries()) {
      if (model instanceof KNearestNeighbor) await model.train(X, y);
      else await model.train(X, y, { numIters: 50, learningRate: 1e-6 });
      const expected = arr(await model.predict(Q));
      const copy = loadModelBytes(model.save());
      assert.ok(copy.constructor === model.constructor, `model ${i}: same class`);
      assert.equal(arr(await copy.predict(Q)), expected, `model ${i}: bytes round trip`);
      const path = join(dir, `model-${i}.${model instanceof KNearestNeighbor ? 'knn' : 'bin'}`);
      await saveModel(path, model);
      const fromFile = await loadModel(path);
      assert.equal(arr(await fromFile.predict(Q)), expected, `model ${i}: file round trip`);
      if (model instanceof KNearestNeighbor) {
        assert.equal(arr((await fromFile.kneighbors(Q)).distances), arr((await model.kneighbors(Q)).distances));
        assert.ok(JSON.stringify(model).length < 300, 'toJSON is small metadata');
        await rejects(saveModel(join(dir, 'knn.json'), model), { code: 'ERR_ARG_RANGE', message: /binary model file/ });
      } else {
        await saveModel(join(dir, `linear-${i}.json`), model);
        assert.equal(arr(await (await loadModel(join(dir, `linear-${i}.json`))).predict(Q)), expected, `model ${i}: JSON round trip`);
      }
      copy.dispose();
      fromFile.dispose();
      model.dispose();
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

Files('corrupted kNN files are refused with ERR_DATA_FORMAT: header fields, sizes, labels, a flipped byte, truncation', async () => {
  const rng = mulberry32(307);
  const knn = new KNearestNeighbor({ k: 2, metric: 'l2' });
  await knn.train(randomU8(rng, 12, 5), randomLabels(rng, 12, 3));
  const bytes = knn.save();
  const used = core().usedBytes;
  const refused = (b, message) => throws(() => KNearestNeighbor.load(b), { code: 'ERR_DATA_FORMAT', message });
  refused(bytes.slice(0, bytes.length - 1), /./);
  refused(Uint8Array.from(bytes, (v, i) => (i === bytes.length - 20 ? v ^ 1 : v)), /checksum/i);
  refused(Uint8Array.from(bytes, (v, i) => (i === 0 ? 0 : v)), /not a simdclass model file/i);
  throws(() => LinearSVM.load(bytes), { code: 'ERR_DATA_FORMAT', message: /kind/ });
  // Header fields that disagree with the sections, re-encoded with a valid checksum.
  const { decodeModelFile, encodeModelFile } = await import('../dist/model-file.js');
  const file = decodeModelFile(bytes);
  const rewrite = (header, sections = file.sections) => encodeModelFile({ kind: 'knn', header: { ...file.header, ...header }, sections: [...sections].map(([name, b]) => ({ name, bytes: b })) });
  refused(rewrite({ rows: 13 }), /section holds .* the header implies/);
  refused(rewrite({ metric: 'l3' }), /header\.metric/);
  refused(rewrite({ k: 0 }), /header\.k/);
  refused(rewrite({ dtype: 'f64' }), /header\.dtype/);
  refused(rewrite({ numClasses: 2 }), /labels\[\d+\] is 2/);
  refused(rewrite({}, [...file.sections].filter(([name]) => name !== 'rows')), /rows section is missing/);
  assert.is(core().usedBytes, used, 'nothing was allocated for refused files');
  knn.dispose();
});

Files.run();

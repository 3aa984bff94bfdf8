// Properties of KNearestNeighbor (src/knn.ts -> assembly/knn.ts, assembly/topk.ts, assembly/distance.ts)
// over random shapes, dtypes, metrics, k, ties and degenerate sizes, against the plain references
// of src/reference.ts. Seeds and case counts: test/property-config.mjs.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { init, KNearestNeighbor } from '../dist/node.js';
import { referenceDistances, referenceKneighbors, referencePredict } from '../dist/reference.js';
import { BUILDS, rejects, assertNeighbors, assertDistances } from './helpers.mjs';
import { fc, propertyTest, realIn } from './property-config.mjs';

const FILE = 'test/properties-knn.test.mjs';
const arr = (typed) => Array.from(typed);

/**
 * Value flavours. Every flavour draws its values from a few levels, so that equal rows and equal
 * distances are frequent:
 *  - 'u8': 1 to 4 grey levels, or the full 0..255 range; distances are exact integers.
 *  - 'f32': 1 to 4 levels among the multiples of 1/4 in [-8, 8]: every sum, product and norm of
 *    40 columns is exact in f32, so distances are exact and ties are true ties (lower index first).
 *  - 'f32-real': 1 to 4 arbitrary f32 levels in [-100, 100] (0, or at least 2^-20 in magnitude):
 *    distances within F32_TOL of the reference (helpers' distanceChecker), and where the order
 *    differs from the reference the two distances are a near-tie.
 */
const FLAVOURS = ['u8', 'f32', 'f32-real'];

const FULL_U8 = Array.from({ length: 256 }, (_, i) => i);

function levelsArb(flavour) {
  const few = { minLength: 1, maxLength: 4 };
  switch (flavour) {
    case 'u8': return fc.oneof(fc.uniqueArray(fc.integer({ min: 0, max: 255 }), few), fc.constant(FULL_U8));
    case 'f32': return fc.uniqueArray(fc.integer({ min: -32, max: 32 }).map((q) => q / 4), few);
    // Values below 2^-20 in magnitude become 0: their squares would underflow f32 (subnormals),
    // where no f32 kernel can tell distances apart, and the near-tie tolerance has no absolute floor.
    default: return fc.uniqueArray(realIn(-100, 100).map((v) => Math.fround(v)).map((v) => (Math.abs(v) < 2 ** -20 ? 0 : v)), { ...few, comparator: 'SameValueZero' });
  }
}

/** A shape, then its data: indices into the levels, labels, k, and row copies that make exact ties. */
const knnCase = fc
  .record({
    flavour: fc.constantFrom(...FLAVOURS),
    metric: fc.constantFrom('l1', 'l2'),
    n: fc.integer({ min: 1, max: 60 }),
    // 0 queries now and then: an empty query set (with its own columns or 0 columns).
    m: fc.oneof({ weight: 1, arbitrary: fc.constant(0) }, { weight: 7, arbitrary: fc.integer({ min: 1, max: 12 }) }),
    cols: fc.integer({ min: 1, max: 40 }),
    classes: fc.integer({ min: 1, max: 5 }),
  })
  .chain((s) => fc.record({
    s: fc.constant(s),
    levels: levelsArb(s.flavour),
    train: fc.array(fc.nat({ max: 255 }), { minLength: s.n * s.cols, maxLength: s.n * s.cols }),
    queries: fc.array(fc.nat({ max: 255 }), { minLength: s.m * s.cols, maxLength: s.m * s.cols }),
    labels: fc.array(fc.nat({ max: s.classes - 1 }), { minLength: s.n, maxLength: s.n }),
    k: fc.integer({ min: 1, max: s.n }),
    // k beyond the training set: nTrain + kOver must be refused.
    kOver: fc.integer({ min: 1, max: 5 }),
    // [from, to]: training row `from` copied over training row `to`, and over query `to`.
    trainCopies: fc.array(fc.tuple(fc.nat({ max: s.n - 1 }), fc.nat({ max: s.n - 1 })), { maxLength: 4 }),
    queryCopies: fc.array(fc.tuple(fc.nat({ max: s.n - 1 }), fc.nat({ max: Math.max(0, s.m - 1) })), { maxLength: s.m === 0 ? 0 : 3 }),
    emptyCols: fc.boolean(),
  }));

/** The matrices, labels and options of one case. */
function materialize(c) {
  const { s, levels } = c;
  const Data = s.flavour === 'u8' ? Uint8Array : Float32Array;
  const value = (i) => levels[i % levels.length];
  const X = { data: Data.from(c.train, value), rows: s.n, cols: s.cols };
  const qCols = s.m === 0 && c.emptyCols ? 0 : s.cols;
  const Q = { data: Data.from(c.queries, value), rows: s.m, cols: qCols };
  const row = (m, i) => m.data.subarray(i * m.cols, (i + 1) * m.cols);
  for (const [from, to] of c.trainCopies) X.data.set(row(X, from), to * s.cols);
  for (const [from, to] of c.queryCopies) Q.data.set(row(X, from), to * s.cols);
  const y = Int32Array.from(c.labels);
  const exact = s.flavour !== 'f32-real';
  const label = `${s.flavour} ${s.metric} n=${s.n} m=${s.m} cols=${Q.cols === 0 ? '0 (queries)' : s.cols} k=${c.k} levels=${levels.length}`;
  return { X, Q, y, exact, label };
}

// ---------------------------------------------------------------------------------------------
const knn = suite('properties: KNearestNeighbor');

for (const build of BUILDS) {
  propertyTest(knn, FILE, `kneighbors and predict equal the reference (${build} build)`, () =>
    fc.asyncProperty(knnCase, async (c) => {
      assert.is((await init({ build })).build, build);
      const { s, k, kOver } = c;
      const { X, Q, y, exact, label } = materialize(c);
      const where = `${build} ${label}`;
      // k larger than the training set: refused by train and by kneighbors, naming nTrain.
      const tooMany = new KNearestNeighbor({ k: s.n + kOver, metric: s.metric });
      await rejects(tooMany.train(X, y), { code: 'ERR_ARG_RANGE', message: new RegExp(`^Expected k <= nTrain \\(${s.n}\\), got ${s.n + kOver}$`) });
      assert.is(tooMany.nTrain, 0, `${where}: a refused train leaves the model untrained`);
      tooMany.dispose();

      const model = new KNearestNeighbor({ k, metric: s.metric });
      try {
        await model.train(X, y);
        await rejects(model.kneighbors(Q, { k: s.n + kOver }), { code: 'ERR_ARG_RANGE', message: new RegExp(`^Expected k <= nTrain \\(${s.n}\\), got ${s.n + kOver}$`) });
        const res = await model.kneighbors(Q);
        const refDist = referenceDistances(Q, X, s.metric);
        const refIdx = referenceKneighbors(Q, X, k, s.metric);
        // Exact flavours: indices and distances equal the reference exactly (ties to the lower index).
        assertNeighbors(res, refIdx, k, refDist, Q, X, k, s.metric, where, { exact });
        if (exact) assert.equal(arr(res.indices), arr(refIdx), `${where}: indices`);
        const predicted = await model.predict(Q);
        assert.instance(predicted, Int32Array);
        assert.is(predicted.length, s.m, `${where}: one prediction per query`);
        // f32-real: a near-tie may order two rows either way; the vote is compared where the order is the reference's.
        if (exact || arr(res.indices).every((v, i) => v === refIdx[i])) {
          assert.equal(arr(predicted), arr(referencePredict(Q, X, y, k, s.metric)), `${where}: predict (vote ties to the smallest label)`);
        }
      } finally {
        model.dispose();
      }
    }), { weight: 1 });
}

for (const build of BUILDS) {
  propertyTest(knn, FILE, `computeDistances equals the reference distance matrix (${build} build)`, () =>
    fc.asyncProperty(knnCase, async (c) => {
      assert.is((await init({ build })).build, build);
      const { X, Q, y, exact, label } = materialize(c);
      const model = new KNearestNeighbor({ k: 1, metric: c.s.metric });
      try {
        await model.train(X, y);
        const got = model.computeDistances(Q);
        assertDistances(got, referenceDistances(Q, X, c.s.metric), Q, X, c.s.metric, `${build} ${label}`, { exact });
      } finally {
        model.dispose();
      }
    }), { weight: 0.5 });
}

// Put back the build that was current before these properties.
let before;
knn.before(async () => { before = (await init()).build; });
knn.after(async () => { await init({ build: before }); });

knn.run();

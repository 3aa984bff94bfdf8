// The distance kernels (assembly/distance.ts; f32 L2 through assembly/gemm.ts panels and norms),
// reached through KNearestNeighbor.computeDistances: every build, dtype and metric against
// referenceDistances (src/reference.ts).
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { init, KNearestNeighbor } from '../dist/node.js';
import { referenceDistances } from '../dist/reference.js';
import { BUILDS, mulberry32, randomU8, randomF32, randomMatrix, randomLabels, copyRow, toArrays, rejects, throws, assertDistances } from './helpers.mjs';

const DTYPES = ['u8', 'f32'];
const METRICS = ['l1', 'l2'];
const DIMS = [1, 3, 15, 16, 17, 784, 3072];

/**
 * (m queries, n training rows) per dimension. The f32 L2 kernel writes 8 training rows per
 * panel, with a partial store for the last n % 8, and 4 queries per tile: cover every n % 8
 * and m % 4. u8 L1 sums 128 chunks of 16 bytes in u16 lanes: D = 3072 needs two chunk runs.
 */
function shapesFor(D) {
  if (D <= 17) {
    return [
      { m: 1, n: 1 }, { m: 5, n: 2 }, { m: 2, n: 3 }, { m: 3, n: 4 }, { m: 4, n: 5 },
      { m: 6, n: 6 }, { m: 7, n: 7 }, { m: 8, n: 8 }, { m: 9, n: 9 }, { m: 13, n: 15 },
      { m: 5, n: 300 }, { m: 300, n: 17 },
    ];
  }
  if (D === 784) return [{ m: 5, n: 13 }, { m: 4, n: 16 }, { m: 1, n: 7 }];
  return [{ m: 5, n: 11 }, { m: 2, n: 8 }];
}

const fixtures = new Map();
/** Random data per (dtype, D, shape), built once for all builds; query 0 equals training row n - 1. */
function fixture(dtype, D, si) {
  const key = `${dtype}/${D}/${si}`;
  let f = fixtures.get(key);
  if (f === undefined) {
    const s = shapesFor(D)[si];
    const rng = mulberry32(7919 * D + 31 * si + (dtype === 'u8' ? 1 : 2));
    const train = randomMatrix(rng, dtype, s.n, D), test = randomMatrix(rng, dtype, s.m, D);
    copyRow(train, s.n - 1, test, 0);
    f = { s, train, test, refs: new Map() };
    fixtures.set(key, f);
  }
  return f;
}

function referenceOf(f, metric) {
  if (!f.refs.has(metric)) f.refs.set(metric, referenceDistances(f.test, f.train, metric));
  return f.refs.get(metric);
}

const computeDistances = suite('KNearestNeighbor.computeDistances');

for (const build of BUILDS) {
  computeDistances(`equals referenceDistances for every dtype, metric, D and shape (${build} build)`, async () => {
    const info = await init({ build });
    assert.is(info.build, build);
    for (const dtype of DTYPES) {
      for (const metric of METRICS) {
        for (const D of DIMS) {
          const shapes = shapesFor(D);
          for (let si = 0; si < shapes.length; si++) {
            const f = fixture(dtype, D, si);
            const { train: X, test: Q, s } = f;
            const model = new KNearestNeighbor({ k: 1, metric });
            await model.train(X, new Int32Array(s.n));
            const label = `${build} ${dtype} ${metric} D=${D} m=${s.m} n=${s.n}`;
            const got = model.computeDistances(Q);
            assertDistances(got, referenceOf(f, metric), Q, X, metric, label);
            // Query 0 is a copy of the last training row (the partial panel's last lane for f32 L2).
            const self = got[s.n - 1];
            if (dtype === 'u8' || metric === 'l1') assert.is(self, 0, `${label}: distance to an equal row`);
            model.dispose();
          }
        }
      }
    }
  });
}

computeDistances('exact on f32 data holding small integers, including the norm expansion of L2', async () => {
  for (const build of BUILDS) {
    await init({ build });
    const rng = mulberry32(31337);
    for (const D of [1, 16, 17, 784]) {
      const Xu = randomU8(rng, 21, D, 16), Qu = randomU8(rng, 7, D, 16);
      const X = { ...Xu, data: Float32Array.from(Xu.data) }, Q = { ...Qu, data: Float32Array.from(Qu.data) };
      for (const metric of METRICS) {
        const model = new KNearestNeighbor({ metric });
        await model.train(X, new Int32Array(21));
        assertDistances(model.computeDistances(Q), referenceDistances(Q, X, metric), Q, X, metric, `${build} ${metric} D=${D}`, { exact: true });
        model.dispose();
      }
    }
  }
});

computeDistances('u8 extremes: 0 against 255 in every column, up to D = 33025 (the exact-i32 limit of u8 L2)', async () => {
  for (const build of BUILDS) {
    await init({ build });
    for (const D of [16, 3072, 33025]) {
      const X = { data: new Uint8Array(2 * D).fill(255, D), rows: 2, cols: D }; // row 0 all 0, row 1 all 255
      const Q = { data: new Uint8Array(2 * D).fill(255, 0, D), rows: 2, cols: D }; // query 0 all 255, query 1 all 0
      for (const metric of METRICS) {
        const model = new KNearestNeighbor({ metric });
        await model.train(X, [0, 1]);
        const far = metric === 'l1' ? 255 * D : Math.fround(Math.sqrt(255 * 255 * D));
        assert.equal(Array.from(model.computeDistances(Q)), [far, 0, 0, far], `${build} ${metric} D=${D}`);
        const near = await model.kneighbors(Q, { k: 2 });
        assert.equal(Array.from(near.indices), [1, 0, 0, 1], `${build} ${metric} D=${D}: kneighbors`);
        assert.equal(Array.from(near.distances), [0, far, 0, far], `${build} ${metric} D=${D}: kneighbors distances`);
        model.dispose();
      }
      // Random pixels at the same width, against the reference.
      const rng = mulberry32(D);
      const Xr = randomU8(rng, 5, D), Qr = randomU8(rng, 3, D);
      for (const metric of METRICS) {
        const model = new KNearestNeighbor({ metric });
        await model.train(Xr, new Int32Array(5));
        assertDistances(model.computeDistances(Qr), referenceDistances(Qr, Xr, metric), Qr, Xr, metric, `${build} random ${metric} D=${D}`);
        model.dispose();
      }
    }
  }
});

computeDistances('agrees with kneighbors', async () => {
  await init();
  const rng = mulberry32(4242);
  for (const dtype of DTYPES) {
    for (const metric of METRICS) {
      const X = randomMatrix(rng, dtype, 45, 20), Q = randomMatrix(rng, dtype, 6, 20);
      const model = new KNearestNeighbor({ k: 45, metric });
      await model.train(X, new Int32Array(45));
      const all = model.computeDistances(Q);
      const { indices, distances } = await model.kneighbors(Q);
      for (let i = 0; i < 6; i++) {
        for (let p = 0; p < 45; p++) {
          const j = indices[i * 45 + p];
          assert.is(distances[i * 45 + p], all[i * 45 + j], `${dtype} ${metric}: query ${i}, row ${j}`);
        }
      }
      model.dispose();
    }
  }
});

computeDistances('an empty query set returns an empty Float32Array; number[][] queries are f32', async () => {
  await init();
  const rng = mulberry32(99);
  const u8 = new KNearestNeighbor({ metric: 'l1' });
  await u8.train(randomU8(rng, 4, 3), [0, 1, 2, 3]);
  const empty = u8.computeDistances({ data: new Uint8Array(0), rows: 0, cols: 3 });
  assert.instance(empty, Float32Array);
  assert.is(empty.length, 0);
  const X = randomF32(rng, 4, 3), Q = randomF32(rng, 2, 3);
  const f32 = new KNearestNeighbor({ metric: 'l2' });
  await f32.train(toArrays(X), [0, 1, 2, 3]);
  assert.is(f32.computeDistances([]).length, 0);
  assert.equal(Array.from(f32.computeDistances(toArrays(Q))), Array.from(f32.computeDistances(Q)));
  assertDistances(f32.computeDistances(toArrays(Q)), referenceDistances(Q, X, 'l2'), Q, X, 'l2', 'number[][]');
  u8.dispose();
  f32.dispose();
});

computeDistances('checks its argument and state like kneighbors (synchronously)', async () => {
  await init();
  const rng = mulberry32(98);
  const model = new KNearestNeighbor();
  throws(() => model.computeDistances(randomU8(rng, 2, 3)), { code: 'ERR_STATE', message: /not trained/ });
  await model.train(randomU8(rng, 4, 3), [0, 1, 2, 3]);
  throws(() => model.computeDistances(randomU8(rng, 2, 4)), { code: 'ERR_ARG_RANGE', message: /Expected X to have 3 columns like the training data, got 4/ });
  throws(() => model.computeDistances(randomF32(rng, 2, 3)), { code: 'ERR_ARG_TYPE', message: /Expected X\.data to be a Uint8Array like the training data, got Float32Array/ });
  throws(() => model.computeDistances({ data: new Uint8Array(5), rows: 2, cols: 3 }), { code: 'ERR_ARG_RANGE', message: /X\.data\.length/ });
  model.dispose();
  throws(() => model.computeDistances(randomU8(rng, 2, 3)), { code: 'ERR_STATE', message: /disposed/ });
  await rejects(() => model.predict(randomU8(rng, 2, 3)), { code: 'ERR_STATE', message: /disposed/ });
});

computeDistances('repeated calls do not grow wasm memory (u8 L1, f32 L2 with panels)', async () => {
  await init();
  const rng = mulberry32(97);
  for (const dtype of DTYPES) {
    const metric = dtype === 'u8' ? 'l1' : 'l2';
    const X = randomMatrix(rng, dtype, 203, 64), Q = randomMatrix(rng, dtype, 50, 64);
    const y = randomLabels(rng, 203, 3);
    const cycle = async () => {
      const model = new KNearestNeighbor({ metric });
      await model.train(X, y);
      model.computeDistances(Q);
      model.dispose();
    };
    await cycle();
    const first = (await init()).memoryBytes;
    for (let c = 1; c < 300; c++) await cycle();
    assert.is((await init()).memoryBytes, first, `${dtype} ${metric}`);
  }
});

computeDistances.run();

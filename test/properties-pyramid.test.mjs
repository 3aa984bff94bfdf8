// Properties of the pyramid search (src/exec/pyramid.ts -> assembly/pyramid.ts) over random
// shapes (H or W not divisible by the blocks, C = 1 and 3, D = 1, no shape at all), few grey
// levels, duplicated and clustered rows and every k: the neighbours and distances equal the plain reference
// (src/reference.ts) and KNearestNeighbor's brute force exactly; and over squared-L2 sets with rows
// enough for projection levels. Seeds and case counts:
// test/property-config.mjs.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { init, KNearestNeighbor } from '../dist/node.js';
import { core } from '../dist/runtime.js';
import { referenceDistances, referenceKneighbors } from '../dist/reference.js';
import { storeTrainingRows, freeTrainingRows } from '../dist/exec/knn-rows.js';
import { paddedStride, writeRows } from '../dist/layout.js';
import { buildPyramid, freePyramid, searchPyramid } from '../dist/exec/pyramid.js';
import { BUILDS, mulberry32 } from './helpers.mjs';
import { fc, propertyTest } from './property-config.mjs';

const FILE = 'test/properties-pyramid.test.mjs';

const shapeArb = fc.oneof(
  { weight: 4, arbitrary: fc.tuple(fc.integer({ min: 1, max: 24 }), fc.integer({ min: 1, max: 24 }), fc.constantFrom(1, 3)) },
  { weight: 1, arbitrary: fc.constant(null) },
);

/**
 * Cases of a metric, shape (or none: runs of features) and sizes: value levels, and row copies
 * that make exact ties; k from the given arbitrary of the case.
 */
function casesOf({ metric, shape, unshapedCols, n, m, k }) {
  return fc
    .record({
      build: fc.constantFrom(...BUILDS),
      metric, shape, unshapedCols, n, m,
      // 1 to 4 grey levels (ties everywhere), or the full range.
      levels: fc.oneof(fc.uniqueArray(fc.integer({ min: 0, max: 255 }), { minLength: 1, maxLength: 4 }), fc.constant(null)),
      // 0: every value random; else rows are copies of this many prototypes with some values redrawn,
      // so that the bounds drop the other prototypes' rows.
      prototypes: fc.integer({ min: 0, max: 4 }),
      redrawn: fc.constantFrom(0, 0.05, 0.3),
      // Training rows in this many chunks (as add() leaves them): each searched with its own groups and seeds.
      chunks: fc.oneof({ weight: 3, arbitrary: fc.constant(1) }, { weight: 1, arbitrary: fc.integer({ min: 2, max: 4 }) }),
      seed: fc.integer(),
    })
    .chain((s) => fc.record({
      s: fc.constant(s),
      k: k(s),
      // [from, to]: training row `from` copied over training row `to`, and over query `to`.
      trainCopies: fc.array(fc.tuple(fc.nat({ max: s.n - 1 }), fc.nat({ max: s.n - 1 })), { maxLength: 5 }),
      queryCopies: fc.array(fc.tuple(fc.nat({ max: s.n - 1 }), fc.nat({ max: Math.max(0, s.m - 1) })), { maxLength: s.m === 0 ? 0 : 3 }),
    }));
}

const pyramidCase = casesOf({
  metric: fc.constantFrom('l1', 'l2'),
  shape: shapeArb,
  unshapedCols: fc.integer({ min: 1, max: 60 }),
  n: fc.integer({ min: 1, max: 120 }),
  m: fc.oneof({ weight: 1, arbitrary: fc.constant(0) }, { weight: 7, arbitrary: fc.integer({ min: 1, max: 8 }) }),
  k: (s) => fc.integer({ min: 1, max: s.n }),
});

/** The training and query matrices of a case. */
function materialize({ s, trainCopies, queryCopies }) {
  const cols = s.shape === null ? s.unshapedCols : s.shape[0] * s.shape[1] * s.shape[2];
  const rng = mulberry32(s.seed);
  const value = () => (s.levels === null ? Math.floor(rng() * 256) : s.levels[Math.floor(rng() * s.levels.length)]);
  const protos = Array.from({ length: s.prototypes }, () => Uint8Array.from({ length: cols }, value));
  const image = () => {
    if (protos.length === 0) return Uint8Array.from({ length: cols }, value);
    const x = protos[Math.floor(rng() * protos.length)].slice();
    for (let d = 0; d < cols; d++) if (rng() < s.redrawn) x[d] = value();
    return x;
  };
  const rows = (count) => {
    const data = new Uint8Array(count * cols);
    for (let i = 0; i < count; i++) data.set(image(), i * cols);
    return data;
  };
  const X = { data: rows(s.n), rows: s.n, cols };
  const Q = { data: rows(s.m), rows: s.m, cols };
  const row = (i) => X.data.slice(i * cols, (i + 1) * cols);
  for (const [from, to] of trainCopies) X.data.set(row(from), to * cols);
  for (const [from, to] of queryCopies) Q.data.set(row(from), to * cols);
  return { X, Q, cols };
}

/**
 * Every query bounds at most all rows at the first level (whole groups of 8 skipped), fewer at
 * each finer one; each seeding round (the best groups, the coarsest rows, each finer level) adds
 * at most n distances to the exact stage's n.
 */
function checkStats(stats, m, n, label) {
  const reached = stats.levels.map((l) => l.reached);
  if (reached.length > 0) assert.ok(reached[0] <= m * n, `${label}: at most every row is bounded at the first level`);
  reached.forEach((r, l) => assert.ok(l === 0 || r <= reached[l - 1], `${label}: level ${l} reached by no more rows than level ${l - 1}`));
  assert.ok(stats.exact <= m * n * (2 + Math.max(1, reached.length)), `${label}: ${stats.exact} exact distances`);
}

/**
 * X in wasm memory as stored training rows in s.chunks chunks of random sizes (each at least one row,
 * fewer chunks for fewer rows), like those add() leaves; free() releases them.
 */
function storeInChunks(X, s) {
  const c = core(), stride = paddedStride(X.cols, 1), count = Math.min(s.chunks, X.rows), rng = mulberry32(s.seed ^ 0x5eed);
  const cuts = new Set();
  while (cuts.size < count - 1) cuts.add(1 + Math.floor(rng() * (X.rows - 1)));
  const bounds = [0, ...[...cuts].sort((a, b) => a - b), X.rows];
  const chunks = bounds.slice(1).map((end, i) => {
    const first = bounds[i], rows = end - first, ptr = c.alloc(Math.max(1, rows) * stride);
    writeRows(c, X, first, rows, ptr, stride);
    return { first, rows, ptr };
  });
  return { stored: { core: c, rows: X.rows, cols: X.cols, stride, chunks }, free: () => chunks.forEach((chunk) => c.free(chunk.ptr)) };
}

const properties = suite('searchPyramid properties');

propertyTest(properties, FILE, 'pyramid neighbours and distances equal brute force exactly', () => fc.asyncProperty(pyramidCase, async (c) => {
  const { s, k } = c;
  const { X, Q } = materialize(c);
  await init({ build: s.build });
  const { stored, free } = storeInChunks(X, s);
  let got;
  try {
    const p = await buildPyramid(stored, s.shape, s.metric, { minProjectionRows: 0 });
    try {
      got = await searchPyramid(p, Q, k, s.metric);
    } finally {
      freePyramid(p);
    }
  } finally {
    free();
  }
  const label = `${s.build} ${s.metric} shape ${s.shape ?? 'none'} n=${s.n} m=${s.m} k=${k} in ${stored.chunks.length} chunks`;
  equalsReference(got, X, Q, k, s.metric, label);
  const knn = new KNearestNeighbor({ k, metric: s.metric });
  try {
    await knn.train(X, new Int32Array(s.n));
    const brute = await knn.kneighbors(Q, { k });
    assert.equal(got.indices, brute.indices, `${label}: indices equal KNearestNeighbor`);
    assert.equal(got.distances, brute.distances, `${label}: distances equal KNearestNeighbor`);
  } finally {
    knn.dispose();
  }
  checkStats(got.stats, s.m, s.n, label);
}), { weight: 3 });

/** A search's neighbours and distances equal the plain reference's (src/reference.ts) exactly. */
function equalsReference(got, X, Q, k, metric, label) {
  const refIdx = referenceKneighbors(Q, X, k, metric), refDist = referenceDistances(Q, X, metric);
  assert.equal(Array.from(got.indices), Array.from(refIdx), `${label}: indices equal referenceKneighbors`);
  const wantDist = Array.from(refIdx, (j, at) => Math.fround(refDist[Math.floor(at / k) * X.rows + j]));
  assert.equal(Array.from(got.distances), wantDist, `${label}: distances equal referenceDistances`);
}

/** Squared-L2 cases with rows enough for projection levels (pyramid-projection.ts), no shape. */
const projectionCase = casesOf({
  metric: fc.constant('l2'),
  shape: fc.constant(null),
  unshapedCols: fc.integer({ min: 64, max: 320 }),
  n: fc.integer({ min: 800, max: 1600 }),
  m: fc.integer({ min: 1, max: 6 }),
  k: (s) => fc.oneof(fc.integer({ min: 1, max: 20 }), fc.integer({ min: 1, max: s.n })),
});

/**
 * Builds the squared-L2 pyramid of a case's training rows (shape and options as given), checks its
 * levels with checkLevels(p, label), searches its queries and checks them against the plain reference.
 */
async function l2CaseEqualsReference(c, shape, options, label, checkLevels) {
  const { s, k } = c;
  const { X, Q } = materialize(c);
  await init({ build: s.build });
  const t = storeTrainingRows(core(), X, 'l2');
  const p = await buildPyramid(t, shape, 'l2', options);
  let got;
  try {
    checkLevels(p, label);
    got = await searchPyramid(p, Q, k, 'l2');
  } finally {
    freePyramid(p);
    freeTrainingRows(t);
  }
  equalsReference(got, X, Q, k, 'l2', label);
  checkStats(got.stats, s.m, s.n, label);
}

propertyTest(properties, FILE, 'projection pyramid neighbours and distances equal brute force exactly', () => fc.asyncProperty(projectionCase, async (c) => {
  const { s, k } = c, cols = s.unshapedCols;
  await l2CaseEqualsReference(c, null, { minProjectionRows: 0 }, `${s.build} l2 projection n=${s.n} cols=${cols} m=${s.m} k=${k}`, (p, label) => {
    assert.equal([p.levels[0]?.block, p.levels[0]?.axes], [null, 'pixels'], `${label}: projection levels on the pixels' axes`);
  });
}), { weight: 0.05 });

// Odd sides pad each class of edge sums to 8, which can leave no room for the projection: most cases still have it
// (counted for the check after the property).
const blockAxesCases = { all: 0, mixed: 0 };

/** Squared-L2 images of 200 to 1,024 values (or rows without a shape) with rows enough for a projection on the axes of their 2x2 sums (runs of 4) before those sums (blockLevels in src/exec/pyramid.ts). */
const blockAxesCase = casesOf({
  metric: fc.constant('l2'),
  shape: fc.oneof(
    fc.tuple(fc.integer({ min: 20, max: 32 }), fc.integer({ min: 20, max: 32 }), fc.constant(1)),
    fc.tuple(fc.integer({ min: 12, max: 18 }), fc.integer({ min: 12, max: 18 }), fc.constant(3)),
    // No shape: runs of 4 features stand for the 2x2 sums.
    fc.constant(null),
  ),
  unshapedCols: fc.integer({ min: 200, max: 1024 }),
  n: fc.integer({ min: 600, max: 1200 }),
  m: fc.integer({ min: 1, max: 6 }),
  k: (s) => fc.oneof(fc.integer({ min: 1, max: 20 }), fc.integer({ min: 1, max: s.n })),
});

propertyTest(properties, FILE, 'block-axes pyramid neighbours and distances equal brute force exactly', () => fc.asyncProperty(blockAxesCase, async (c) => {
  const { s, k } = c;
  const finest = s.shape === null ? [[1, 4], Math.ceil(s.unshapedCols / 4)] : [[2, 2], Math.ceil(s.shape[0] / 2) * Math.ceil(s.shape[1] / 2) * s.shape[2]];
  await l2CaseEqualsReference(c, s.shape, {}, `${s.build} l2 shape ${s.shape ?? `none, ${s.unshapedCols} columns`} n=${s.n} m=${s.m} k=${k}`, (p, label) => {
    blockAxesCases.all++;
    // Without room for the projection's row and weights beside the 2x2 sums, block levels alone (blockLevels).
    if (p.projection === null) assert.ok(p.levels.every((l) => l.block !== null), `${label}: block levels`);
    else {
      blockAxesCases.mixed++;
      assert.equal(p.levels.map((l) => [l.block, l.axes, l.dims]), [[null, finest[0], 16], [finest[0], null, finest[1]]], `${label}: 16 coefficients on the axes of the 2x2 sums, then the sums (runs of 4)`);
    }
  });
}), { weight: 0.05 });

properties('most block-axes cases above had a projection before the 2x2 sums', () => {
  if (blockAxesCases.all > 0) assert.ok(blockAxesCases.mixed >= blockAxesCases.all / 2, `${blockAxesCases.mixed} of ${blockAxesCases.all}`);
});

properties.run();

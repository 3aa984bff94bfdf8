// Properties of kFold and trainValSplit (src/selection.ts) over random sizes, fold counts,
// validation sizes and seeds. Seeds and case counts: test/property-config.mjs.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { kFold, trainValSplit, SimdclassError } from '../dist/node.js';
import { throws } from './helpers.mjs';
import { fc, propertyTest, uniformIn } from './property-config.mjs';

const FILE = 'test/properties-selection.test.mjs';
const arr = (typed) => Array.from(typed);

// ---------------------------------------------------------------------------------------------
const folds = suite('properties: kFold');

/** n records and 2 <= folds <= n, with the degenerate ends (folds = 2, folds = n: leave-one-out) often. */
const foldCase = fc.integer({ min: 2, max: 400 }).chain((n) => fc.record({
  n: fc.constant(n),
  folds: fc.oneof(fc.constantFrom(2, n), fc.integer({ min: 2, max: n })),
}));

propertyTest(folds, FILE, 'kFold partitions 0..n-1 into folds of sizes differing by at most one', () =>
  fc.property(foldCase, ({ n, folds: k }) => {
    const where = `kFold(${n}, ${k})`;
    const out = kFold(n, k);
    assert.is(out.length, k, `${where}: number of folds`);
    const seenVal = new Int32Array(n);
    const sizes = [];
    for (const [f, { train, val }] of out.entries()) {
      assert.instance(train, Int32Array);
      assert.instance(val, Int32Array);
      assert.is(train.length + val.length, n, `${where}: fold ${f} train + val = n`);
      sizes.push(val.length);
      // train and val are disjoint and cover 0..n-1; each is strictly ascending (record order).
      const inFold = new Uint8Array(n);
      for (const part of [val, train]) {
        for (let i = 0; i < part.length; i++) {
          const v = part[i];
          if (!(Number.isInteger(v) && v >= 0 && v < n)) assert.unreachable(`${where}: fold ${f} holds ${v}, outside 0..${n - 1}`);
          if (inFold[v]) assert.unreachable(`${where}: fold ${f} holds ${v} twice (train and val overlap, or a repeat)`);
          inFold[v] = 1;
          if (i > 0 && !(part[i - 1] < v)) assert.unreachable(`${where}: fold ${f} is not in record order at position ${i}`);
        }
      }
      for (const v of val) seenVal[v]++;
    }
    // Every index is a validation index exactly once.
    for (let i = 0; i < n; i++) if (seenVal[i] !== 1) assert.unreachable(`${where}: record ${i} is in ${seenVal[i]} validation folds`);
    const min = Math.min(...sizes), max = Math.max(...sizes);
    assert.ok(min >= 1, `${where}: an empty validation fold (${sizes})`);
    assert.ok(max - min <= 1, `${where}: fold sizes ${sizes} differ by more than one`);
    // Same arguments, same folds.
    assert.equal(kFold(n, k).map((f) => [arr(f.train), arr(f.val)]), out.map((f) => [arr(f.train), arr(f.val)]), `${where}: deterministic`);
  }), { weight: 1.5 });

propertyTest(folds, FILE, 'kFold refuses folds < 2 and folds > n with ERR_ARG_RANGE', () =>
  fc.property(fc.integer({ min: 0, max: 400 }), fc.integer({ min: -5, max: 1 }), fc.integer({ min: 1, max: 10 }), (n, small, over) => {
    const a = throws(() => kFold(n, small), { code: 'ERR_ARG_RANGE', message: new RegExp(`^Expected folds >= 2, got ${small}$`) });
    assert.instance(a, SimdclassError);
    if (n + over >= 2) {
      throws(() => kFold(n, n + over), { code: 'ERR_ARG_RANGE', message: new RegExp(`^Expected folds <= number of records \\(${n}\\), got ${n + over}$`) });
    }
  }));

folds.run();

// ---------------------------------------------------------------------------------------------
const split = suite('properties: trainValSplit');

/**
 * n rows whose first two columns hold the row number (high and low byte, so that rows can be told
 * apart after the shuffle) and a third column of noise; u8 or f32. valSize is a count in 1..n-1 or a
 * fraction whose rounded share of n is in 1..n-1; or omitted (the default 0.2) when that leaves at
 * least one row on each side.
 */
const splitCase = fc.integer({ min: 2, max: 300 }).chain((n) => fc.record({
  n: fc.constant(n),
  f32: fc.boolean(),
  valSize: fc.oneof(
    fc.integer({ min: 1, max: n - 1 }),
    fc.integer({ min: 1, max: n - 1 }).chain((count) => uniformIn((count - 0.49) / n, (count + 0.49) / n).filter((f) => f > 0 && f < 1)),
    ...(Math.round(0.2 * n) >= 1 && Math.round(0.2 * n) <= n - 1 ? [fc.constant(undefined)] : []),
  ),
  seed: fc.oneof(fc.constant(undefined), fc.nat({ max: 0xffffffff })),
  labels: fc.array(fc.nat({ max: 9 }), { minLength: n, maxLength: n }),
  noise: fc.array(fc.nat({ max: 255 }), { minLength: n, maxLength: n }),
}));

function splitMatrix({ n, f32, noise }) {
  const data = new (f32 ? Float32Array : Uint8Array)(n * 3);
  for (let i = 0; i < n; i++) {
    data[i * 3] = i >> 8;
    data[i * 3 + 1] = i & 255;
    data[i * 3 + 2] = noise[i];
  }
  return { data, rows: n, cols: 3 };
}

const rowId = (m, r) => m.data[r * 3] * 256 + m.data[r * 3 + 1];

propertyTest(split, FILE, 'trainValSplit: disjoint, covering, rows keep their labels, sized as asked, reproducible by seed', () =>
  fc.property(splitCase, (c) => {
    const { n, valSize, seed } = c;
    const X = splitMatrix(c), y = Int32Array.from(c.labels);
    const options = {};
    if (valSize !== undefined) options.valSize = valSize;
    if (seed !== undefined) options.seed = seed;
    const where = `trainValSplit(n=${n}, ${JSON.stringify(options)})`;
    const expectedVal = valSize === undefined ? Math.round(0.2 * n) : valSize < 1 ? Math.round(valSize * n) : valSize;
    const { train, val } = trainValSplit(X, y, options);
    assert.is(val.X.rows, expectedVal, `${where}: validation rows`);
    assert.is(train.X.rows, n - expectedVal, `${where}: training rows`);
    const seen = new Uint8Array(n);
    for (const [name, part] of [['train', train], ['val', val]]) {
      assert.ok(part.X.data instanceof (c.f32 ? Float32Array : Uint8Array), `${where}: ${name} keeps the dtype`);
      assert.is(part.X.cols, 3);
      assert.is(part.X.data.length, part.X.rows * 3, `${where}: ${name} data length`);
      assert.instance(part.y, Int32Array);
      assert.is(part.y.length, part.X.rows, `${where}: ${name} one label per row`);
      let last = -1;
      for (let r = 0; r < part.X.rows; r++) {
        const id = rowId(part.X, r);
        if (!(id >= 0 && id < n)) assert.unreachable(`${where}: ${name} row ${r} has id ${id}`);
        if (seen[id]) assert.unreachable(`${where}: row ${id} appears twice (in train and val, or repeated)`);
        seen[id] = 1;
        if (!(id > last)) assert.unreachable(`${where}: ${name} is not in record order at row ${r}`);
        last = id;
        // Whole rows move together, with their own label.
        if (part.X.data[r * 3 + 2] !== c.noise[id]) assert.unreachable(`${where}: ${name} row ${r} (record ${id}) lost its pixels`);
        if (part.y[r] !== y[id]) assert.unreachable(`${where}: ${name} row ${r} (record ${id}) has label ${part.y[r]}, expected ${y[id]}`);
      }
    }
    for (let i = 0; i < n; i++) if (!seen[i]) assert.unreachable(`${where}: record ${i} is in neither part`);
    // The same seed (the default 0 when omitted) gives the same split.
    const again = trainValSplit(X, y, seed === undefined ? { ...options, seed: 0 } : options);
    assert.equal(arr(again.val.X.data), arr(val.X.data), `${where}: reproducible (validation rows)`);
    assert.equal(arr(again.train.X.data), arr(train.X.data), `${where}: reproducible (training rows)`);
    assert.equal(arr(again.val.y), arr(val.y), `${where}: reproducible (validation labels)`);
    // The inputs are not changed.
    assert.equal(arr(X.data), arr(splitMatrix(c).data), `${where}: X unchanged`);
    assert.equal(arr(y), c.labels, `${where}: y unchanged`);
  }), { weight: 1.5 });

propertyTest(split, FILE, 'trainValSplit refuses a valSize that leaves no validation or no training row (ERR_ARG_RANGE)', () =>
  fc.property(fc.integer({ min: 2, max: 300 }).chain((n) => fc.record({
    n: fc.constant(n),
    valSize: fc.oneof(
      fc.integer({ min: n, max: n + 10 }), // a count of n or more: no training row
      uniformIn(0, 0.49 / n), // a fraction rounding to 0 rows (0 included)
      uniformIn((n - 0.49) / n, 0.999999).filter((f) => Math.round(f * n) >= n), // rounding to n rows
      fc.integer({ min: 1, max: n - 1 }).map((k) => k + 0.5), // a count that is not an integer
    ),
  })), ({ n, valSize }) => {
    const X = { data: new Uint8Array(n), rows: n, cols: 1 }, y = new Int32Array(n);
    throws(() => trainValSplit(X, y, { valSize }), { code: 'ERR_ARG_RANGE', message: /Expected valSize to leave between 1 and \d+ validation rows/ });
  }));

split.run();

// lastStats for people (src/search-stats.ts): the funnel of a search with block-sum and projection
// levels, shares as text, and the stats of two searches added up level by level.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { addSearchStats, formatShare, searchSteps } from '../dist/node.js';

const pyramidStats = (levels, exact, queries = 10, rows = 1000) => ({ algorithm: 'pyramid', reason: "algorithm 'pyramid'", queries, rows, levels, exact });

test('searchSteps: a step per level, named by its blocks or its axes, then the exact distances', () => {
  const blocks = pyramidStats([{ block: [7, 7], axes: null, dims: 16, reached: 2000 }, { block: [2, 2], axes: null, dims: 196, reached: 500 }], 40);
  assert.equal(searchSteps(blocks), [
    { label: '7×7 block-sum bound', count: 2000, share: 0.2 },
    { label: '2×2 block-sum bound', count: 500, share: 0.05 },
    { label: 'exact distance', count: 40, share: 0.004 },
  ]);
  const projection = pyramidStats([{ block: null, axes: 'pixels', dims: 16, reached: 1500 }, { block: null, axes: 'pixels', dims: 128, reached: 300 }], 25);
  assert.equal(searchSteps(projection).map((s) => s.label), ['16-axis projection bound', '128-axis projection bound', 'exact distance']);
  const mixed = pyramidStats([{ block: null, axes: [2, 2], dims: 16, reached: 1200 }, { block: [2, 2], axes: null, dims: 196, reached: 400 }], 30);
  assert.equal(searchSteps(mixed).map((s) => s.label), ['16-axis projection bound (2×2 sums)', '2×2 block-sum bound', 'exact distance'], 'axes of block sums are named');
  const brute = { algorithm: 'brute', reason: "algorithm 'brute'", queries: 3, rows: 4, levels: [], exact: 12 };
  assert.equal(searchSteps(brute), [{ label: 'exact distance', count: 12, share: 1 }]);
  assert.ok(Number.isNaN(searchSteps({ ...brute, queries: 0, exact: 0 })[0].share), 'no pairs: no share');
});

test('formatShare: two significant digits, never a rounded 100% below the whole', () => {
  assert.equal([1, 0, 0.14, 0.055, 0.03, 0.0099, 0.9996, 0.000001, NaN].map(formatShare), ['100%', '0%', '14%', '5.5%', '3.0%', '0.99%', '99.9%', '<0.001%', '–']);
});

test('addSearchStats: counts added level by level, the levels kept with their blocks and axes', () => {
  const a = pyramidStats([{ block: null, axes: [2, 2], dims: 16, reached: 100 }, { block: [2, 2], axes: null, dims: 196, reached: 30 }], 9, 4);
  const b = pyramidStats([{ block: null, axes: [2, 2], dims: 16, reached: 50 }, { block: [2, 2], axes: null, dims: 196, reached: 10 }], 6, 2);
  assert.equal(addSearchStats(a, b), pyramidStats([{ block: null, axes: [2, 2], dims: 16, reached: 150 }, { block: [2, 2], axes: null, dims: 196, reached: 40 }], 15, 6));
  // A search of no queries takes the other's algorithm and reason.
  const none = { algorithm: 'brute', reason: 'none yet', queries: 0, rows: 1000, levels: [], exact: 0 };
  assert.equal(addSearchStats(none, b), b);
});

test.run();

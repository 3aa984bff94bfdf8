// ml-knn peer, run as its own process by bench/peers/mlknn.mjs: KNN from ml-knn (a k-d tree over
// number[][] rows, Euclidean distance). The tree build is timed once; predict is timed on the
// first Q queries and the total extrapolated to all test rows. Prints one JSON object on stdout.
//   --data DIR [--train-limit N] [--test-limit M] --k 5 --queries Q
import KNN from 'ml-knn';
import { loadDataset } from '../../dist/node.js';
import { accuracyOf } from '../plain-js.mjs';
import { limitsOf, parseWorkerArgs } from './worker-args.mjs';

const log = (msg) => process.stderr.write(`${msg}\n`);
const args = parseWorkerArgs(['knn', ...process.argv.slice(2)]);
const { train, test } = await loadDataset(args.data, limitsOf(args));
const n = train.X.rows, d = train.X.cols;
const rowsOf = (X, count) => Array.from({ length: count }, (_, i) => Array.from(X.data.subarray(i * d, (i + 1) * d)));
const points = rowsOf(train.X, n);
const labels = Array.from(train.y);
const queries = Math.min(args.queries, test.X.rows);
const q = rowsOf(test.X, queries);

log(`building the k-d tree over ${n} rows`);
const t0 = performance.now();
const knn = new KNN(points, labels, { k: args.k });
const buildMs = performance.now() - t0;
log(`  ${buildMs.toFixed(0)} ms; predicting ${queries} queries`);
const t1 = performance.now();
const pred = knn.predict(q);
const timedMs = performance.now() - t1;
process.stdout.write(`${JSON.stringify({
  trainN: n, testN: test.X.rows, k: args.k, queriesTimed: queries, buildMs, timedMs,
  msPerQuery: timedMs / queries, totalMs: (timedMs / queries) * test.X.rows, extrapolated: queries < test.X.rows,
  accuracyOnTimed: accuracyOf(pred, test.y),
})}\n`);

// Child process of large-dataset.test.mjs: trains kNN on about 3 GiB of u8 rows (more than one
// 1 GiB wasm block could hold) whose pixels repeat a known pattern, and prints what it found as JSON.
// Row i is the constant image (i % 251); the last 5 rows are the constant image 255.
import { init, KNearestNeighbor } from '../../dist/node.js';

const rows = Number(process.argv[2]), cols = 784, marked = 5;
const started = performance.now();
await init();
const data = new Uint8Array(rows * cols);
for (let i = 0; i < rows; i++) data.fill(i >= rows - marked ? 255 : i % 251, i * cols, (i + 1) * cols);
const labels = Uint8Array.from({ length: rows }, (_, i) => (i >= rows - marked ? 9 : (i % 251) % 9));
const queries = new Uint8Array(3 * cols);
queries.fill(255, 0, cols);        // equals the last 5 rows, then the rows of 250
queries.fill(7, cols, 2 * cols);   // equals rows 7, 258, 509, ...
queries.fill(253, 2 * cols);       // the last 5 rows (distance 2 per pixel), then the rows of 250 (3)
const out = { rows, bytes: data.length, results: {} };
for (const metric of ['l1', 'l2']) {
  const knn = new KNearestNeighbor({ k: 8, metric });
  const t0 = performance.now();
  await knn.train({ data, rows, cols }, labels);
  const trainMs = performance.now() - t0;
  const t1 = performance.now();
  const { indices, distances } = await knn.kneighbors({ data: queries, rows: 3, cols });
  const predicted = await knn.predict({ data: queries, rows: 3, cols });
  out.results[metric] = { indices: Array.from(indices), distances: Array.from(distances), predicted: Array.from(predicted), trainMs, queryMs: performance.now() - t1 };
  knn.dispose();
}
out.totalMs = performance.now() - started;
console.log(JSON.stringify(out));

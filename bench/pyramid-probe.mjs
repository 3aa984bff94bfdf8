// Probe of the exact pyramid kNN (src/exec/pyramid.ts) against brute force (KNearestNeighbor),
// one thread each, on an IDX dataset: median search time of several runs, the speed-up, the share
// of (query, row) pairs reaching each level and needing an exact distance, and a check that both
// return the same neighbours. Not a test: a measurement to quote, with the load average.
//   node bench/pyramid-probe.mjs [--data /usr/share/datasets/fashion-mnist] [--queries 1000] [--k 5] [--runs 3]
import { loadavg } from 'node:os';
import { parseArgs } from 'node:util';
import { init, loadDataset, KNearestNeighbor } from '../dist/node.js';
import { core } from '../dist/runtime.js';
import { storeTrainingRows, freeTrainingRows } from '../dist/exec/knn-rows.js';
import { buildPyramid, freePyramid, searchPyramid } from '../dist/exec/pyramid.js';
import { levelName } from './stats.mjs';

const { values } = parseArgs({
  options: {
    data: { type: 'string', default: '/usr/share/datasets/fashion-mnist' },
    queries: { type: 'string', default: '1000' },
    k: { type: 'string', default: '5' },
    runs: { type: 'string', default: '3' },
  },
});
const k = Number(values.k), runs = Number(values.runs);
const load = () => loadavg().map((v) => v.toFixed(2)).join(' ');

function median(xs) {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

async function timed(fn) {
  const t0 = performance.now();
  const result = await fn();
  return { ms: performance.now() - t0, result };
}

const sameArrays = (a, b) => a.length === b.length && a.every((v, i) => v === b[i]);

const info = await init({ threads: 0 });
const { train, test, shape } = await loadDataset(values.data, { testLimit: Number(values.queries) });
console.log(`${train.X.rows} train x ${test.X.rows} queries, shape ${shape.join('x')}, k = ${k}, ${info.build} build, one thread, median of ${runs}`);
console.log(`load average before: ${load()}`);
for (const metric of ['l1', 'l2']) {
  const knn = new KNearestNeighbor({ k, metric, algorithm: 'brute' });
  await knn.train(train.X, train.y);
  const rows = storeTrainingRows(core(), train.X, metric);
  const built = await timed(() => buildPyramid(rows, shape, metric));
  const p = built.result;
  const brute = [], pyramid = [];
  let bruteResult, pyramidResult;
  for (let r = 0; r < runs; r++) {
    const b = await timed(() => knn.kneighbors(test.X, { k }));
    const q = await timed(() => searchPyramid(p, test.X, k, metric));
    brute.push(b.ms);
    pyramid.push(q.ms);
    bruteResult = b.result;
    pyramidResult = q.result;
  }
  const { stats } = pyramidResult, pairs = stats.queries * stats.rows;
  const share = (v) => `${(100 * v / pairs).toFixed(2)}%`;
  console.log(`${metric}: brute ${median(brute).toFixed(0)} ms, pyramid ${median(pyramid).toFixed(0)} ms (build ${built.ms.toFixed(0)} ms), ` +
    `speed-up ${(median(brute) / median(pyramid)).toFixed(2)}x; identical indices ${sameArrays(bruteResult.indices, pyramidResult.indices)}, ` +
    `distances ${sameArrays(bruteResult.distances, pyramidResult.distances)}`);
  console.log(`    runs: brute ${brute.map((v) => v.toFixed(0)).join(', ')} ms; pyramid ${pyramid.map((v) => v.toFixed(0)).join(', ')} ms`);
  console.log(`    reached: ${stats.levels.map((l) => `${levelName(l)} ${share(l.reached)}`).join(', ')}; exact distances ${share(stats.exact)}; ` +
    `pyramid ${(p.bytes / 2 ** 20).toFixed(1)} MiB = ${(p.bytes / (rows.rows * rows.stride)).toFixed(3)}x the stored training bytes`);
  freePyramid(p);
  freeTrainingRows(rows);
  knn.dispose();
}
console.log(`load average after: ${load()}`);

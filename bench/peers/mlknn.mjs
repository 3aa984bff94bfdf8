// ml-knn peer: bench/peers/mlknn-worker.mjs as a separate process. Its k-d tree over number[][]
// is far slower than a scan per query, so only a few queries are timed and the total is
// extrapolated to the whole test set.
import { createRequire } from 'node:module';
import { attempt, REPO_ROOT, runJsonProcess } from './child.mjs';

const WORKER = 'bench/peers/mlknn-worker.mjs';

/** Runs ml-knn when e2e/knn-fashion-l2 is wanted. Returns { available, note, results, variants }. */
export async function runMlKnnPeer({ data, sizes, wanted }) {
  try {
    createRequire(`${REPO_ROOT}package.json`).resolve('ml-knn');
  } catch {
    return { available: false, note: 'ml-knn skipped: the ml-knn package is not installed (npm install)', variants: {} };
  }
  if (!wanted.has('e2e/knn-fashion-l2')) return { available: true, note: 'ml-knn: no selected suite', results: {}, variants: {} };
  const args = ['--data', data.dir, '--train-limit', String(data.trainLimit ?? 0), '--test-limit', String(data.testLimit ?? 0),
    '--k', String(sizes.knn.k), '--queries', String(sizes.peers.mlknnQueries)];
  const r = await attempt('ml-knn', () => runJsonProcess('ml-knn', process.execPath, [WORKER, ...args]));
  const variants = {};
  if (!r.error) {
    variants['e2e/knn-fashion-l2'] = [{
      name: 'ml-knn (k-d tree)', kind: 'peer', peer: 'ml-knn', medianMs: r.totalMs, minMs: r.totalMs, maxMs: r.totalMs, spreadPct: 0, roundsMs: [r.totalMs],
      extrapolated: r.extrapolated, queriesTimed: r.queriesTimed, accuracy: r.accuracyOnTimed,
      note: `${r.queriesTimed} queries timed; tree build ${(r.buildMs / 1e3).toFixed(1)} s not included`,
    }];
  }
  return { available: true, note: 'ml-knn 3.0.0 (k-d tree, Euclidean)', results: { knn: r }, variants };
}

import { writeFile } from 'node:fs/promises';
import type { Algorithm, Metric } from '../knn.js';
import { crossValidateKnn } from '../selection.js';
import { cvPlotSvg } from '../visualize.js';
import { UsageError, type ParsedFlags } from './args.js';
import { initCore, loadData } from './data.js';
import { checkWritableFile } from './outputs.js';
import { Progress, status } from './progress.js';

export async function runCv(flags: ParsedFlags): Promise<void> {
  if (typeof flags.plot === 'string') await checkWritableFile(flags.plot, 'plot');
  const folds = flags.folds as number;
  // Cross-validation uses the training split only: the test files are not read.
  const ds = await loadData({ ...flags, testLimit: 0 });
  const X = ds.train.X;
  if (folds > X.rows) throw new UsageError(`--folds expects at most the number of training images (${X.rows}), got ${folds}`);
  const { threads } = await initCore(flags);
  const ks = flags.ks as number[] | undefined;
  const metric = flags.metric as Metric;
  const progress = new Progress(`${folds}-fold CV (${metric})`, X.rows);
  // Without --ks the library's list applies, less the ks above the smallest training fold.
  const algorithm = flags.algorithm as Algorithm;
  const cv = await crossValidateKnn(X, ds.train.y, { ...(ks ? { ks } : {}), folds, metric, algorithm, shape: ds.shape, onProgress: (d) => progress.update(d) });
  const best = cv.results.find((r) => r.k === cv.bestK)!;
  progress.finish(`best k = ${cv.bestK} (${(best.mean * 100).toFixed(2)}%)`);
  if (typeof flags.plot === 'string') {
    await writeFile(flags.plot, cvPlotSvg(cv, { title: `${folds}-fold cross-validation on ${X.rows} ${ds.name} images (${metric})`, metric }));
    status(`plot written to ${flags.plot}`);
  }
  if (flags.json) {
    console.log(JSON.stringify({ metric, algorithm, threads, nTrain: X.rows, ...cv }));
  } else {
    for (const r of cv.results) console.log(`k=${String(r.k).padStart(3)}  accuracy ${(r.mean * 100).toFixed(2)}% ± ${(r.std * 100).toFixed(2)}`);
    console.log(`best k: ${cv.bestK}`);
    console.log(`searched by ${searchedBy(cv.search.algorithms)}, ${(cv.search.exactShare * 100).toPrecision(3)}% of the exact distances computed`);
  }
}

/** "pyramid in 5/5 folds", or "brute in 1/5 folds, pyramid in 4/5 folds". */
function searchedBy(algorithms: string[]): string {
  const counts = new Map<string, number>();
  for (const a of algorithms) counts.set(a, (counts.get(a) ?? 0) + 1);
  return [...counts].map(([a, n]) => `${a} in ${n}/${algorithms.length} folds`).join(', ');
}

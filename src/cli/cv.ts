import { writeFile } from 'node:fs/promises';
import { init } from '../node.js';
import type { Metric } from '../knn.js';
import { headRows } from '../matrix.js';
import { crossValidateKnn } from '../selection.js';
import { cvPlotSvg } from '../visualize.js';
import { UsageError, type FlagSpec, type ParsedFlags } from './args.js';
import { loadData } from './data.js';
import { Progress, status } from './progress.js';

export const cvFlags: Record<string, FlagSpec> = {
  data: { type: 'string', help: 'IDX or CIFAR-10 binary folder (default: the embedded Fashion-MNIST sample)' },
  ks: { type: 'intList', min: 1, default: [1, 3, 5, 8, 10, 12, 15, 20, 50, 100], help: 'Values of k to compare' },
  folds: { type: 'int', default: 5, help: 'Number of contiguous folds (>= 2)' },
  metric: { type: 'string', choices: ['l1', 'l2'], default: 'l2', help: 'Distance' },
  'train-limit': { type: 'int', min: 1, help: 'Cross-validate on the first N training images' },
  plot: { type: 'string', help: 'Write the accuracy-vs-k plot (SVG) to this file' },
  json: { type: 'bool', help: 'Print one JSON object on stdout' },
};

export async function runCv(flags: ParsedFlags): Promise<void> {
  const folds = flags.folds as number;
  if (folds < 2) throw new UsageError(`--folds expects an integer >= 2, got ${folds}`);
  const ds = await loadData(flags);
  const X = headRows(ds.train.X, ds.train.X.rows);
  if (folds > X.rows) throw new UsageError(`--folds expects at most the number of training images (${X.rows}), got ${folds}`);
  await init();
  const ks = flags.ks as number[];
  const metric = flags.metric as Metric;
  const progress = new Progress(`${folds}-fold CV (${metric})`, X.rows);
  const cv = await crossValidateKnn(X, ds.train.y, { ks, folds, metric, onProgress: (d) => progress.update(d) });
  progress.finish();
  if (typeof flags.plot === 'string') {
    await writeFile(flags.plot, cvPlotSvg(cv, { title: `${folds}-fold cross-validation on ${X.rows} ${ds.name} images (${metric})`, metric }));
    status(`plot written to ${flags.plot}`);
  }
  if (flags.json) {
    console.log(JSON.stringify(cv));
  } else {
    for (const r of cv.results) console.log(`k=${String(r.k).padStart(3)}  accuracy ${(r.mean * 100).toFixed(2)}% ± ${(r.std * 100).toFixed(2)}`);
    console.log(`best k: ${cv.bestK}`);
  }
}

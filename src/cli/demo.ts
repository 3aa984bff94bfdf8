import { cpus } from 'node:os';
import { resolve } from 'node:path';
import { init } from '../node.js';
import { KNearestNeighbor, type Metric } from '../knn.js';
import { newLinearModel } from '../linear.js';
import { accuracy, confusionMatrix } from '../metrics.js';
import { crossValidateKnn, gridSearch, trainValSplit, type GridPoint, type KnnCrossValidation } from '../selection.js';
import { formatNumber, imagesFromRows, weightImages } from '../visualize.js';
import { writeReport, type DemoReport } from '../report.js';
import type { FlagSpec, ParsedFlags } from './args.js';
import { loadData, timed } from './data.js';
import { Progress, status } from './progress.js';

export const demoFlags: Record<string, FlagSpec> = {
  data: { type: 'string', help: 'IDX or CIFAR-10 binary folder (default: the embedded Fashion-MNIST sample)' },
  'train-limit': { type: 'int', min: 1, help: 'Use the first N training images' },
  'test-limit': { type: 'int', min: 1, help: 'Use the first M test images' },
  out: { type: 'string', default: 'simdclass-report', help: 'Folder for the HTML report' },
  quick: { type: 'bool', help: 'A smaller search (for smoke tests)' },
};

type ModelRow = DemoReport['models'][number];

export async function runDemo(flags: ParsedFlags): Promise<void> {
  const started = performance.now();
  const ds = await loadData(flags);
  const { build } = await init();
  const quick = Boolean(flags.quick);
  const { train, test, classNames, shape } = ds;
  const C = classNames.length;
  const rows: ModelRow[] = [];

  // 1. kNN: choose the metric and k by 5-fold cross-validation on the training set.
  const folds = quick ? 3 : 5;
  // Every k must fit the smallest training fold, which matters only for tiny --train-limit values.
  const smallestFold = train.X.rows - Math.ceil(train.X.rows / folds);
  const ks = (quick ? [1, 3, 5] : [1, 3, 5, 8, 10, 12, 15, 20]).filter((k) => k <= smallestFold);
  const cv: Partial<Record<Metric, KnnCrossValidation>> = {};
  for (const metric of ['l1', 'l2'] as const) {
    const progress = new Progress(`kNN ${folds}-fold CV (${metric})`, train.X.rows);
    cv[metric] = await crossValidateKnn(train.X, train.y, { ks, folds, metric, onProgress: (d) => progress.update(d) });
    progress.finish(`best k = ${cv[metric]!.bestK}`);
  }
  const bestOf = (m: Metric) => cv[m]!.results.find((r) => r.k === cv[m]!.bestK)!;
  const metric: Metric = bestOf('l1').mean >= bestOf('l2').mean ? 'l1' : 'l2';
  const k = cv[metric]!.bestK;
  rows.push(await evaluateKnn(ds, 1, 'l2'));
  const best = await evaluateKnn(ds, k, metric);
  best.valAccuracy = bestOf(metric).mean;
  rows.push(best);

  // 2. Linear models: choose learning rate and reg on a validation split, then retrain on all training images.
  const split = trainValSplit(train.X, train.y, { valSize: 0.2, seed: 0 });
  const learningRates = quick ? [3e-6] : [1e-6, 3e-6, 1e-5];
  const regs = quick ? [1e2] : [1e1, 1e2, 1e3];
  const numIters = quick ? 200 : 1500;
  const grids: { loss: string; points: GridPoint[] }[] = [];
  const lossCurves: { label: string; values: number[] }[] = [];
  let samples: DemoReport['samples'];
  for (const loss of ['svm', 'softmax'] as const) {
    const progress = new Progress(`${loss} grid search`, learningRates.length * regs.length);
    const grid = await gridSearch(split.train, split.val, { loss, learningRates, regs, numIters, batchSize: 200, seed: 0, onProgress: (d) => progress.update(d) });
    progress.finish(`best lr ${grid.best.learningRate}, reg ${grid.best.reg}`);
    grids.push({ loss, points: grid.points });
    const model = newLinearModel(loss);
    try {
      const trainProgress = new Progress(`${loss} training`, numIters);
      const [history, trainMs] = await timed(() => model.train(train.X, train.y, {
        learningRate: grid.best.learningRate, reg: grid.best.reg, numIters, batchSize: 200, seed: 0,
        onProgress: (it) => trainProgress.update(it + 1),
      }));
      trainProgress.finish();
      lossCurves.push({ label: `${loss} (lr ${formatNumber(grid.best.learningRate)}, reg ${formatNumber(grid.best.reg)})`, values: history });
      const [predicted, predictMs] = await timed(() => model.predict(test.X));
      rows.push({
        name: loss === 'svm' ? 'Linear SVM' : 'Softmax',
        hyperparameters: { learningRate: grid.best.learningRate, reg: grid.best.reg, iterations: numIters, batchSize: 200 },
        valAccuracy: grid.best.valAccuracy, testAccuracy: accuracy(predicted, test.y), trainMs, predictMs,
        confusion: confusionMatrix(predicted, test.y, C), weights: weightImages(model, shape),
      });
      if (loss === 'softmax') samples = sampleStrip(ds, predicted);
    } finally {
      model.dispose();
    }
  }

  printTable(rows);
  const report: DemoReport = {
    title: 'simdclass demo', datasetName: ds.name, shape, classNames, nTrain: train.X.rows, nTest: test.X.rows,
    machine: { cpu: cpus()[0]?.model ?? 'unknown', cores: cpus().length, node: process.version, build },
    createdAt: new Date().toISOString(), models: rows, cv, grids, lossCurves, samples,
  };
  const { indexPath } = await writeReport(resolve(String(flags.out)), report);
  status(`report: ${indexPath}`);
  status(`done in ${((performance.now() - started) / 1000).toFixed(1)} s`);
}

async function evaluateKnn(ds: Awaited<ReturnType<typeof loadData>>, k: number, metric: Metric): Promise<ModelRow> {
  const knn = new KNearestNeighbor({ k, metric });
  try {
    const [, trainMs] = await timed(() => knn.train(ds.train.X, ds.train.y));
    const progress = new Progress(`kNN k=${k} ${metric} on the test set`, ds.test.X.rows);
    const [predicted, predictMs] = await timed(() => knn.predict(ds.test.X, { onProgress: (d) => progress.update(d) }));
    progress.finish();
    return {
      name: `kNN (k=${k}, ${metric.toUpperCase()})`, hyperparameters: { k, metric },
      testAccuracy: accuracy(predicted, ds.test.y), trainMs, predictMs,
      confusion: confusionMatrix(predicted, ds.test.y, ds.classNames.length),
    };
  } finally {
    knn.dispose();
  }
}

/** The first 40 test images with the softmax prediction. */
function sampleStrip(ds: Awaited<ReturnType<typeof loadData>>, predicted: Int32Array): DemoReport['samples'] {
  const rows = Array.from({ length: Math.min(40, ds.test.X.rows) }, (_, i) => i);
  return { images: imagesFromRows(ds.test.X, rows, ds.shape), predicted: rows.map((i) => predicted[i]!), truth: rows.map((i) => ds.test.y[i]!), model: 'Softmax' };
}

function printTable(rows: ModelRow[]): void {
  const pct = (v?: number) => (v === undefined ? '' : `${(v * 100).toFixed(2)}%`);
  const header = ['model', 'hyperparameters', 'validation', 'test', 'train', 'predict'];
  const body = rows.map((r) => [r.name, Object.entries(r.hyperparameters).map(([k, v]) => `${k}=${typeof v === 'number' ? formatNumber(v) : v}`).join(' '), pct(r.valAccuracy), pct(r.testAccuracy), `${r.trainMs.toFixed(0)} ms`, `${r.predictMs.toFixed(0)} ms`]);
  const widths = header.map((h, i) => Math.max(h.length, ...body.map((b) => b[i]!.length)));
  const line = (cells: string[]) => cells.map((c, i) => (i >= 2 ? c.padStart(widths[i]!) : c.padEnd(widths[i]!))).join('  ');
  console.log(line(header));
  console.log(widths.map((w) => '-'.repeat(w)).join('  '));
  for (const b of body) console.log(line(b));
}

// `simdclass demo`: the lecture's method end to end. Hyperparameters are chosen on validation data
// only (k and the distance by k-fold cross-validation on the training set; learning rate and reg
// on a held-out split, the grid widened when its best cell is on an edge), each chosen model is
// evaluated once on the test set, and the model to keep is the one with the best validation accuracy.
import { cpus } from 'node:os';
import { resolve } from 'node:path';
import type { Dataset } from '../data/dataset.js';
import { KNearestNeighbor, type Metric } from '../knn.js';
import { newLinearModel } from '../linear.js';
import { accuracy, confusionMatrix } from '../metrics.js';
import { crossValidateKnn, gridSearch, trainValSplit, type GridPoint, type KnnCrossValidation, type Split } from '../selection.js';
import { formatNumber, imagesFromRows, weightImages } from '../visualize.js';
import { chooseModel, searchNote, writeReport, type DemoReport, type ReportGrid } from './report.js';
import type { ParsedFlags } from './args.js';
import { initCore, loadData, timed } from './data.js';
import { widenedGridSearch } from './grid.js';
import { checkWritableFolder } from './outputs.js';
import { Progress, status } from './progress.js';

type ModelRow = DemoReport['models'][number];
const BATCH_SIZE = 200;

export async function runDemo(flags: ParsedFlags): Promise<void> {
  const started = performance.now();
  await checkWritableFolder(String(flags.out), 'out');
  const ds = await loadData(flags);
  const { build } = await initCore(flags);
  const quick = Boolean(flags.quick);
  const { train, test, classNames, shape } = ds;
  const rows: ModelRow[] = [];
  const predictions: Int32Array[] = [];

  // 1. kNN: for each distance, k by k-fold cross-validation on the training set; each CV-chosen k is then evaluated on the test set.
  const folds = quick ? 3 : 5;
  // Every k must fit the smallest training fold, which matters only for tiny --train-limit values.
  const smallestFold = train.X.rows - Math.ceil(train.X.rows / folds);
  const ks = (quick ? [1, 3, 5] : [1, 3, 5, 8, 10, 12, 15, 20]).filter((k) => k <= smallestFold);
  const cv: Partial<Record<Metric, KnnCrossValidation>> = {};
  for (const metric of ['l1', 'l2'] as const) {
    const progress = new Progress(`kNN ${folds}-fold CV (${metric})`, train.X.rows);
    const result = cv[metric] = await crossValidateKnn(train.X, train.y, { ks, folds, metric, shape, onProgress: (d) => progress.update(d) });
    const best = result.results.find((r) => r.k === result.bestK)!;
    progress.finish(`best k = ${result.bestK} (${(best.mean * 100).toFixed(2)}% cross-validation mean)`);
    const { row, predicted } = await evaluateKnn(ds, result.bestK, metric);
    row.valAccuracy = best.mean;
    row.selection = `${folds}-fold cross-validation mean`;
    rows.push(row);
    predictions.push(predicted);
  }

  // 2. Linear models: learning rate and reg on a validation split (the grid widened at its edges), then retrained on all training images.
  const split = trainValSplit(train.X, train.y, { valSize: 0.2, seed: 0 });
  const learningRates = quick ? [3e-6] : [1e-6, 3e-6, 1e-5];
  const regs = quick ? [1e2] : [1e1, 1e2, 1e3];
  const numIters = quick ? 200 : 1500;
  const grids: ReportGrid[] = [];
  const lossCurves: { label: string; values: number[] }[] = [];
  for (const loss of ['svm', 'softmax'] as const) {
    const grid = await widenedGridSearch((lrs, rs) => searchGrid(loss, split, lrs, rs, numIters), learningRates, regs, { maxRounds: quick ? 1 : 3 });
    const { best } = grid;
    const widened = grid.widenings.map((w) => `${w.axis === 'learningRate' ? 'lr' : 'reg'} ${formatNumber(w.value)}`);
    status(`${loss}: best lr ${formatNumber(best.learningRate)}, reg ${formatNumber(best.reg)} (${(best.valAccuracy * 100).toFixed(2)}% validation)` +
      `${widened.length ? `; grid widened at its edge: ${widened.join(', ')}` : ''}${grid.stillOnEdge ? '; still on an edge (widening is bounded)' : ''}`);
    grids.push({ loss, points: grid.points, widenings: grid.widenings, stillOnEdge: grid.stillOnEdge });
    const model = newLinearModel(loss);
    try {
      const trainProgress = new Progress(`${loss} training`, numIters);
      const [history, trainMs] = await timed(() => model.train(train.X, train.y, {
        learningRate: best.learningRate, reg: best.reg, numIters, batchSize: BATCH_SIZE, seed: 0,
        onProgress: (it) => trainProgress.update(it + 1),
      }));
      trainProgress.finish();
      lossCurves.push({ label: `${loss} (lr ${formatNumber(best.learningRate)}, reg ${formatNumber(best.reg)})`, values: history });
      const [predicted, predictMs] = await timed(() => model.predict(test.X));
      rows.push({
        name: loss === 'svm' ? 'Linear SVM' : 'Softmax',
        hyperparameters: { learningRate: best.learningRate, reg: best.reg, iterations: numIters, batchSize: BATCH_SIZE },
        valAccuracy: best.valAccuracy, selection: 'validation split (20% of the training set)',
        testAccuracy: accuracy(predicted, test.y), trainMs, predictMs,
        confusion: confusionMatrix(predicted, test.y, classNames.length), weights: weightImages(model, shape),
      });
      predictions.push(predicted);
    } finally {
      model.dispose();
    }
  }

  // 3. The model to keep: the best validation accuracy (the test set chose nothing). Its predictions are the samples.
  const chosen = chooseModel(rows);
  printTable(rows, chosen);
  const report: DemoReport = {
    title: 'simdclass demo', datasetName: ds.name, shape, classNames, nTrain: train.X.rows, nTest: test.X.rows,
    machine: { cpu: cpus()[0]?.model ?? 'unknown', cores: cpus().length, node: process.version, build },
    createdAt: new Date().toISOString(), models: rows, cv, grids, lossCurves,
    samples: chosen >= 0 ? sampleStrip(ds, predictions[chosen]!, rows[chosen]!.name) : undefined,
  };
  const { indexPath } = await writeReport(resolve(String(flags.out)), report);
  status(`report: ${indexPath}`);
  status(`done in ${((performance.now() - started) / 1000).toFixed(1)} s`);
}

/** gridSearch over lrs x regs; a block where every point diverged comes back as its points (accuracy 0), not an error. */
async function searchGrid(loss: 'svm' | 'softmax', split: { train: Split; val: Split }, learningRates: number[], regs: number[], numIters: number): Promise<GridPoint[]> {
  const label = `${loss} grid search (lr ${learningRates.map(formatNumber).join(', ')} x reg ${regs.map(formatNumber).join(', ')})`;
  const progress = new Progress(label, learningRates.length * regs.length);
  try {
    const { points, best } = await gridSearch(split.train, split.val, { loss, learningRates, regs, numIters, batchSize: BATCH_SIZE, seed: 0, onProgress: (d) => progress.update(d) });
    progress.finish(`best here: lr ${formatNumber(best.learningRate)}, reg ${formatNumber(best.reg)}, ${(best.valAccuracy * 100).toFixed(2)}%`);
    return points;
  } catch (err) {
    const points = (err as { code?: string; points?: GridPoint[] }).points;
    if ((err as { code?: string }).code !== 'ERR_DIVERGED' || !points) throw err;
    progress.finish('every point diverged');
    return points;
  }
}

/** The kNN model of a CV-chosen k, trained on all training images (algorithm 'auto', pyramid blocks following the image shape) and run once on the test set. */
async function evaluateKnn(ds: Dataset, k: number, metric: Metric): Promise<{ row: ModelRow; predicted: Int32Array }> {
  const knn = new KNearestNeighbor({ k, metric });
  try {
    const [, trainMs] = await timed(() => knn.train(ds.train.X, ds.train.y, { shape: ds.shape }));
    const progress = new Progress(`kNN k=${k} ${metric} on the test set`, ds.test.X.rows);
    const [predicted, predictMs] = await timed(() => knn.predict(ds.test.X, { onProgress: (d) => progress.update(d) }));
    // One predict call over the whole test set: lastStats is the work of all of it.
    const stats = knn.lastStats!;
    progress.finish(searchNote(stats));
    return {
      predicted,
      row: {
        name: `kNN (k=${k}, ${metric.toUpperCase()})`, hyperparameters: { k, metric },
        testAccuracy: accuracy(predicted, ds.test.y), trainMs, predictMs,
        confusion: confusionMatrix(predicted, ds.test.y, ds.classNames.length),
        search: stats,
      },
    };
  } finally {
    knn.dispose();
  }
}

/** The first 40 test images with the chosen model's predictions. */
function sampleStrip(ds: Dataset, predicted: Int32Array, model: string): DemoReport['samples'] {
  const rows = Array.from({ length: Math.min(40, ds.test.X.rows) }, (_, i) => i);
  return { images: imagesFromRows(ds.test.X, rows, ds.shape), predicted: rows.map((i) => predicted[i]!), truth: rows.map((i) => ds.test.y[i]!), model };
}

function printTable(rows: ModelRow[], chosen: number): void {
  const pct = (v?: number) => (v === undefined ? '' : `${(v * 100).toFixed(2)}%`);
  const header = ['model', 'hyperparameters', 'validation', 'test', 'train', 'predict'];
  const body = rows.map((r) => [r.name, Object.entries(r.hyperparameters).map(([k, v]) => `${k}=${typeof v === 'number' ? formatNumber(v) : v}`).join(' '), pct(r.valAccuracy), pct(r.testAccuracy), `${r.trainMs.toFixed(0)} ms`, `${r.predictMs.toFixed(0)} ms`]);
  const widths = header.map((h, i) => Math.max(h.length, ...body.map((b) => b[i]!.length)));
  const line = (cells: string[]) => cells.map((c, i) => (i >= 2 ? c.padStart(widths[i]!) : c.padEnd(widths[i]!))).join('  ');
  console.log(line(header));
  console.log(widths.map((w) => '-'.repeat(w)).join('  '));
  for (const b of body) console.log(line(b));
  const best = rows[chosen];
  if (best) console.log(`\nchosen by validation accuracy: ${best.name} (${pct(best.valAccuracy)} validation, ${pct(best.testAccuracy)} test)`);
}

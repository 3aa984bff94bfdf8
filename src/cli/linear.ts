import { saveModel } from '../models-node.js';
import { checkWritableFile } from './outputs.js';
import type { Dataset } from '../data/dataset.js';
import { newLinearModel } from '../linear.js';
import { formatNumber } from '../visualize.js';
import type { ParsedFlags } from './args.js';
import { initCore, loadData, timed } from './data.js';
import { Progress, status } from './progress.js';

/**
 * Learning rate and regularization when --learning-rate / --reg are not given, by the data's kind:
 * CIFAR-10 (32x32x3 color): the lecture's values; IDX (28x28 gray, MNIST / Fashion-MNIST): the values the
 * demo's validation search finds on the embedded Fashion-MNIST sample (the lecture's reach 69% there, these 82-83%).
 */
export function linearDefaults(ds: Pick<Dataset, 'format'>): { learningRate: number; reg: number } {
  return ds.format === 'cifar10' ? { learningRate: 1e-7, reg: 2.5e4 } : { learningRate: 3e-6, reg: 1e2 };
}

export async function runLinear(flags: ParsedFlags): Promise<void> {
  if (typeof flags.save === 'string') await checkWritableFile(flags.save, 'save');
  const ds = await loadData(flags);
  const { threads } = await initCore(flags);
  const loss = flags.loss as 'svm' | 'softmax';
  const defaults = linearDefaults(ds);
  const learningRate = (flags.learningRate as number | undefined) ?? defaults.learningRate;
  const reg = (flags.reg as number | undefined) ?? defaults.reg;
  if (flags.learningRate === undefined || flags.reg === undefined) {
    status(`defaults for ${ds.format === 'cifar10' ? 'CIFAR-10' : 'IDX'} data: learning rate ${formatNumber(learningRate)}, reg ${formatNumber(reg)} (--learning-rate, --reg)`);
  }
  const model = newLinearModel(loss);
  try {
    const iters = flags.iters as number;
    const progress = new Progress(`${loss} SGD`, iters);
    let lastLoss = NaN;
    const [history, trainMs] = await timed(() => model.train(ds.train.X, ds.train.y, {
      learningRate, reg, numIters: iters, batchSize: flags.batchSize as number, seed: flags.seed as number,
      onProgress: (it, _total, value) => { lastLoss = value; progress.update(it + 1, `loss ${value.toFixed(3)}`); },
    }));
    progress.finish(`loss ${lastLoss.toFixed(3)}`);
    const [accuracy, predictMs] = await timed(() => model.score(ds.test.X, ds.test.y));
    if (typeof flags.save === 'string') {
      await saveModel(flags.save, model);
      status(`model saved to ${flags.save}`);
    }
    const result = { model: loss, learningRate, reg, threads, nTrain: ds.train.X.rows, nTest: ds.test.X.rows, accuracy, trainMs, predictMs, finalLoss: history.at(-1)! };
    if (flags.json) console.log(JSON.stringify(result));
    else console.log(`${loss}: accuracy ${(accuracy * 100).toFixed(2)}% on ${result.nTest} test images; final loss ${result.finalLoss.toFixed(4)}; train ${trainMs.toFixed(0)} ms, predict ${predictMs.toFixed(0)} ms`);
  } finally {
    model.dispose();
  }
}

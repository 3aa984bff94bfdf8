import { writeFile } from 'node:fs/promises';
import { init } from '../node.js';
import { newLinearModel } from '../linear.js';
import type { FlagSpec, ParsedFlags } from './args.js';
import { loadData, timed } from './data.js';
import { Progress, status } from './progress.js';

export const linearFlags: Record<string, FlagSpec> = {
  data: { type: 'string', help: 'IDX or CIFAR-10 binary folder (default: the embedded Fashion-MNIST sample)' },
  loss: { type: 'string', choices: ['svm', 'softmax'], default: 'svm', help: 'Loss to minimize' },
  'learning-rate': { type: 'number', min: 0, default: 1e-7, help: 'SGD step size' },
  reg: { type: 'number', min: 0, default: 2.5e4, help: 'L2 regularization strength' },
  iters: { type: 'int', min: 1, default: 1500, help: 'SGD iterations' },
  'batch-size': { type: 'int', min: 1, default: 200, help: 'Rows per minibatch' },
  seed: { type: 'int', min: 0, default: 0, help: 'Seed for weights and minibatches' },
  'train-limit': { type: 'int', min: 1, help: 'Use the first N training images' },
  'test-limit': { type: 'int', min: 1, help: 'Use the first M test images' },
  save: { type: 'string', help: 'Write the trained model as JSON to this file' },
  json: { type: 'bool', help: 'Print one JSON object on stdout' },
};

export async function runLinear(flags: ParsedFlags): Promise<void> {
  const ds = await loadData(flags);
  await init();
  const loss = flags.loss as 'svm' | 'softmax';
  const model = newLinearModel(loss);
  try {
    const iters = flags.iters as number;
    const progress = new Progress(`${loss} SGD`, iters);
    const [history, trainMs] = await timed(() => model.train(ds.train.X, ds.train.y, {
      learningRate: flags.learningRate as number, reg: flags.reg as number, numIters: iters,
      batchSize: flags.batchSize as number, seed: flags.seed as number,
      onProgress: (it, _total, value) => progress.update(it + 1, `loss ${value.toFixed(3)}`),
    }));
    progress.finish();
    const [accuracy, predictMs] = await timed(() => model.score(ds.test.X, ds.test.y));
    if (typeof flags.save === 'string') {
      await writeFile(flags.save, JSON.stringify(model.toJSON()));
      status(`model saved to ${flags.save}`);
    }
    const result = { model: loss, nTrain: ds.train.X.rows, nTest: ds.test.X.rows, accuracy, trainMs, predictMs, finalLoss: history.at(-1)! };
    if (flags.json) console.log(JSON.stringify(result));
    else console.log(`${loss}: accuracy ${(accuracy * 100).toFixed(2)}% on ${result.nTest} test images; final loss ${result.finalLoss.toFixed(4)}; train ${trainMs.toFixed(0)} ms, predict ${predictMs.toFixed(0)} ms`);
  } finally {
    model.dispose();
  }
}

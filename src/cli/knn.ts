import { init } from '../node.js';
import { KNearestNeighbor, type Metric } from '../knn.js';
import { accuracy } from '../metrics.js';
import type { FlagSpec, ParsedFlags } from './args.js';
import { loadData, timed } from './data.js';
import { Progress } from './progress.js';

export const knnFlags: Record<string, FlagSpec> = {
  data: { type: 'string', help: 'IDX or CIFAR-10 binary folder (default: the embedded Fashion-MNIST sample)' },
  k: { type: 'int', min: 1, default: 5, help: 'Neighbours that vote' },
  metric: { type: 'string', choices: ['l1', 'l2'], default: 'l1', help: 'Distance' },
  'train-limit': { type: 'int', min: 1, help: 'Use the first N training images' },
  'test-limit': { type: 'int', min: 1, help: 'Use the first M test images' },
  json: { type: 'bool', help: 'Print one JSON object on stdout' },
};

export async function runKnn(flags: ParsedFlags): Promise<void> {
  const ds = await loadData(flags);
  await init();
  const k = flags.k as number, metric = flags.metric as Metric;
  const knn = new KNearestNeighbor({ k, metric });
  try {
    const [, trainMs] = await timed(() => knn.train(ds.train.X, ds.train.y));
    const progress = new Progress(`kNN k=${k} ${metric}`, ds.test.X.rows);
    const [predicted, predictMs] = await timed(() => knn.predict(ds.test.X, { onProgress: (d) => progress.update(d) }));
    progress.finish();
    const result = { model: 'knn', k, metric, nTrain: ds.train.X.rows, nTest: ds.test.X.rows, accuracy: accuracy(predicted, ds.test.y), trainMs, predictMs };
    if (flags.json) console.log(JSON.stringify(result));
    else console.log(`kNN (k=${k}, ${metric}): accuracy ${(result.accuracy * 100).toFixed(2)}% on ${result.nTest} test images; train ${trainMs.toFixed(0)} ms, predict ${predictMs.toFixed(0)} ms`);
  } finally {
    knn.dispose();
  }
}

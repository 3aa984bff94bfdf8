import { KNearestNeighbor, type Algorithm, type Metric } from '../knn.js';
import { accuracy } from '../metrics.js';
import type { ParsedFlags } from './args.js';
import { initCore, loadData, timed } from './data.js';
import { saveModel } from '../models-node.js';
import { checkWritableFile } from './outputs.js';
import { Progress, status } from './progress.js';

export async function runKnn(flags: ParsedFlags): Promise<void> {
  if (typeof flags.save === 'string') await checkWritableFile(flags.save, 'save');
  const ds = await loadData(flags);
  const { threads } = await initCore(flags);
  const k = flags.k as number, metric = flags.metric as Metric;
  const knn = new KNearestNeighbor({ k, metric, algorithm: flags.algorithm as Algorithm });
  try {
    const [, trainMs] = await timed(() => knn.train(ds.train.X, ds.train.y, { shape: ds.shape }));
    const progress = new Progress(`kNN k=${k} ${metric}`, ds.test.X.rows);
    const [predicted, predictMs] = await timed(() => knn.predict(ds.test.X, { onProgress: (d) => progress.update(d) }));
    progress.finish();
    const stats = knn.lastStats!;
    const result = {
      model: 'knn', k, metric, algorithm: stats.algorithm, exactShare: stats.exact / (stats.queries * stats.rows), threads,
      nTrain: ds.train.X.rows, nTest: ds.test.X.rows, accuracy: accuracy(predicted, ds.test.y), trainMs, predictMs,
    };
    if (typeof flags.save === 'string') {
      await saveModel(flags.save, knn);
      status(`model saved to ${flags.save}`);
    }
    if (flags.json) console.log(JSON.stringify(result));
    else console.log(`kNN (k=${k}, ${metric}): accuracy ${(result.accuracy * 100).toFixed(2)}% on ${result.nTest} test images; train ${trainMs.toFixed(0)} ms, predict ${predictMs.toFixed(0)} ms`);
  } finally {
    knn.dispose();
  }
}

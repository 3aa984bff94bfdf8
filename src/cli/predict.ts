import { writeFile } from 'node:fs/promises';
import { KNearestNeighbor } from '../knn.js';
import { accuracy } from '../metrics.js';
import { loadModel } from '../models-node.js';
import { UsageError, type ParsedFlags } from './args.js';
import { initCore, loadData, timed } from './data.js';
import { checkWritableFile } from './outputs.js';
import { Progress, status } from './progress.js';

export async function runPredict(flags: ParsedFlags): Promise<void> {
  if (typeof flags.model !== 'string') throw new UsageError('--model FILE is required: a model saved by `simdclass knn --save` or `simdclass linear --save`');
  if (typeof flags.out === 'string') await checkWritableFile(flags.out, 'out');
  const { threads } = await initCore(flags);
  const model = await loadModel(flags.model);
  try {
    const kind = model instanceof KNearestNeighbor ? 'knn' : model.loss;
    const ds = await loadData(flags);
    const progress = new Progress(`predict (${kind})`, ds.test.X.rows);
    const [predicted, predictMs] = await timed(() => (model instanceof KNearestNeighbor
      ? model.predict(ds.test.X, { onProgress: (d) => progress.update(d) })
      : model.predict(ds.test.X)));
    progress.finish();
    const result = { model: kind, threads, nTest: ds.test.X.rows, accuracy: accuracy(predicted, ds.test.y), predictMs };
    if (typeof flags.out === 'string') {
      const lines = Array.from(predicted, (p, i) => `${i},${ds.test.y[i]},${p}`);
      await writeFile(flags.out, `index,label,predicted\n${lines.join('\n')}\n`);
      status(`predictions written to ${flags.out}`);
    }
    if (flags.json) console.log(JSON.stringify(result));
    else console.log(`${kind} from ${flags.model}: accuracy ${(result.accuracy * 100).toFixed(2)}% on ${result.nTest} test images; predict ${predictMs.toFixed(0)} ms`);
  } finally {
    model.dispose();
  }
}

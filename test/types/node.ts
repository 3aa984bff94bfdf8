// A Node consumer: the README's example, with loadDataset from the Node entry and the embedded
// sample reached through the package's "./data/*" export.
import { fileURLToPath } from 'node:url';
import { init, loadDataset, loadSample, KNearestNeighbor } from 'simdclass';
import type { LoadDatasetOptions } from 'simdclass';
import { everything } from './shared.js';

await init();
const sample = fileURLToPath(new URL('.', import.meta.resolve('simdclass/data/fashion-mnist-sample/README.md')));
const options: LoadDatasetOptions = { trainLimit: 1000, testLimit: 100 };
const { train, test, classNames, shape } = await loadDataset(sample, options);
const knn = new KNearestNeighbor({ k: 5, metric: 'l1' });
await knn.train(train.X, train.y);
console.log(classNames[0], await knn.score(test.X, test.y), (await everything(train, test, shape)).length);
knn.dispose();
const embedded = await loadSample({ testLimit: 0 });
console.log(embedded.train.X.rows, embedded.test.X.rows);

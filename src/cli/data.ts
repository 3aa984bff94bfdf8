import { fileURLToPath } from 'node:url';
import { loadDataset } from '../data/node.js';
import type { Dataset } from '../data/dataset.js';
import { status } from './progress.js';

/** The Fashion-MNIST sample shipped in the package (10,000 train, 2,000 test). */
export const EMBEDDED_DATA = fileURLToPath(new URL('../../data/fashion-mnist-sample/', import.meta.url));

/** Loads --data (default: the embedded sample) with --train-limit / --test-limit. */
export async function loadData(flags: { data?: unknown; trainLimit?: unknown; testLimit?: unknown }): Promise<Dataset> {
  const dir = typeof flags.data === 'string' ? flags.data : EMBEDDED_DATA;
  const ds = await loadDataset(dir, {
    trainLimit: flags.trainLimit as number | undefined,
    testLimit: flags.testLimit as number | undefined,
  });
  status(`data: ${ds.name} (${ds.format}), ${ds.train.X.rows} train x ${ds.test.X.rows} test images of ${ds.shape.join('x')}`);
  return ds;
}

/** Wall time of an async step in milliseconds, with its result. */
export async function timed<T>(fn: () => Promise<T>): Promise<[T, number]> {
  const t0 = performance.now();
  const value = await fn();
  return [value, performance.now() - t0];
}

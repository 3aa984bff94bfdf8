import { loadDataset } from '../data/node.js';
import type { Dataset } from '../data/dataset.js';
import { init, loadSample } from '../node.js';
import type { RuntimeInfo } from '../runtime.js';
import { status } from './progress.js';

/** Loads --data (default: the embedded sample) with --train-limit / --test-limit. */
export async function loadData(flags: { data?: unknown; trainLimit?: unknown; testLimit?: unknown }): Promise<Dataset> {
  const limits = { trainLimit: flags.trainLimit as number | undefined, testLimit: flags.testLimit as number | undefined };
  const ds = typeof flags.data === 'string' ? await loadDataset(flags.data, limits) : await loadSample(limits);
  status(`data: ${ds.name} (${ds.format}), ${ds.train.X.rows} train x ${ds.test.X.rows} test images of ${ds.shape.join('x')}`);
  return ds;
}

/** Wall time of an async step in milliseconds, with its result. */
export async function timed<T>(fn: () => Promise<T>): Promise<[T, number]> {
  const t0 = performance.now();
  const value = await fn();
  return [value, performance.now() - t0];
}

/** Loads the core with --threads (default: the machine's cores). */
export function initCore(flags: { threads?: unknown }): Promise<RuntimeInfo> {
  return init(flags.threads === undefined ? {} : { threads: flags.threads as number });
}

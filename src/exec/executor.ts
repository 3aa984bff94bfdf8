// Where kernel calls run: on the pool's workers, or in the caller's thread (threads: 0, or no
// SharedArrayBuffer). The exec/ modules drive kernels through an Executor and never know which.
import { AbortedError } from '../errors.js';
import type { Core } from '../runtime.js';
import { tsKernels } from './ts-kernels.js';
import type { Kernel, KernelCall } from './worker-core.js';

export type { KernelCall } from './worker-core.js';

export interface Executor {
  /** How many batches can run at once: each needs its own scratch blocks. */
  readonly lanes: number;
  /** Runs the calls in order; resolves with each call's result (stopping after a non-finite one if asked). */
  run(calls: KernelCall[], stopOnNonFinite?: boolean): Promise<number[]>;
}

export function executorOf(core: Core): Executor {
  if (core.pool !== null) return core.pool;
  let executor = inThreadExecutors.get(core);
  if (executor === undefined) inThreadExecutors.set(core, (executor = inThread(core)));
  return executor;
}

const inThreadExecutors = new WeakMap<Core, Executor>();

function inThread(core: Core): Executor {
  const kernels = { ...(core.kernels as unknown as Record<string, Kernel>), ...tsKernels(core.memory) };
  return {
    lanes: 1,
    async run(calls, stopOnNonFinite = false) {
      const results: number[] = [];
      for (const [name, ...args] of calls) {
        const result = Number(kernels[name]!(...args) ?? 0);
        results.push(result);
        if (stopOnNonFinite && !Number.isFinite(result)) break;
      }
      return results;
    },
  };
}

/** Throws ERR_ABORTED when the signal has fired. */
export function checkAborted(signal: AbortSignal | undefined, what: string): void {
  if (signal?.aborted) throw new AbortedError(`${what} was aborted${signal.reason instanceof Error ? ` (${signal.reason.message})` : ''}`);
}

/**
 * Runs `fn` on every item with at most `lanes` in flight, lane numbers telling which scratch
 * blocks an item may use. At the first error or abort no new item starts, and the call rejects
 * only once every item in flight has settled: no kernel is still writing when the caller frees
 * the blocks.
 */
export async function forEachInLanes<T>(items: readonly T[], lanes: number, fn: (item: T, lane: number) => Promise<void>, signal: AbortSignal | undefined, what: string): Promise<void> {
  let next = 0;
  let failure: { err: unknown } | null = null;
  const lane = async (index: number): Promise<void> => {
    while (failure === null && next < items.length) {
      try {
        checkAborted(signal, what);
        await fn(items[next++]!, index);
      } catch (err) {
        failure ??= { err };
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(lanes, items.length) }, (_, i) => lane(i)));
  if (failure !== null) throw (failure as { err: unknown }).err;
}

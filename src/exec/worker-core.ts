// The worker side of the pool, shared by the Node and browser worker entries: instantiate the
// core's compiled module over the shared memory, then run batches of kernel calls. A worker
// never allocates: alloc/free belong to the main instance, whose allocator state lives in its
// own globals and in memory that a second instantiation does not touch (its only writes are the
// data segments, read-only constants copied again with the same bytes).
import { tsKernels } from './ts-kernels.js';

/** One kernel call: the export's name and its numeric arguments (pointers and sizes). */
export type KernelCall = [name: string, ...args: number[]];

export type ToWorker =
  | { type: 'init'; module: WebAssembly.Module; memory: WebAssembly.Memory }
  | { type: 'run'; id: number; calls: KernelCall[]; stopOnNonFinite: boolean };

export type FromWorker =
  | { type: 'ready' }
  | { type: 'done'; id: number; results: number[] }
  | { type: 'failed'; id: number; message: string };

/** A kernel as the executors call it: a wasm export, or a TS kernel (ts-kernels.ts). */
export type Kernel = (...args: number[]) => number | undefined;

/** The message handler of a worker; `post` sends a reply to the main thread. */
export function workerHandler(post: (message: FromWorker) => void): (message: ToWorker) => Promise<void> {
  let kernels: Record<string, Kernel> | null = null;
  return async (message) => {
    if (message.type === 'init') {
      const env = { memory: message.memory, abort: () => { throw new Error('the wasm core aborted'); } };
      const instance = await WebAssembly.instantiate(message.module, { env });
      kernels = { ...(instance.exports as unknown as Record<string, Kernel>), ...tsKernels(message.memory) };
      post({ type: 'ready' });
      return;
    }
    try {
      if (kernels === null) throw new Error('the worker ran a call before init');
      const results: number[] = [];
      for (const [name, ...args] of message.calls) {
        const result = Number(kernels[name]!(...args) ?? 0);
        results.push(result);
        // A diverged SGD step leaves the weights as they were; the steps after it must not run.
        if (message.stopOnNonFinite && !Number.isFinite(result)) break;
      }
      post({ type: 'done', id: message.id, results });
    } catch (err) {
      post({ type: 'failed', id: message.id, message: err instanceof Error ? err.message : String(err) });
    }
  };
}

// Workers over the core's shared memory. Each runs batches of kernel calls (worker-core.ts); the
// pool queues batches, hands each to an idle worker, and replaces a worker that crashes or is
// terminated, rejecting the batch it was running with ERR_WORKER.
import { WorkerError } from '../errors.js';
import type { FromWorker, KernelCall, ToWorker } from './worker-core.js';

/** A worker as the platform starts it (worker_threads in Node, a Web Worker in browsers). */
export interface WorkerPort {
  post(message: ToWorker): void;
  listen(onMessage: (message: FromWorker) => void, onFailure: (reason: string) => void): void;
  /** Node: keep the process alive only while the worker is busy. */
  hold(busy: boolean): void;
  terminate(): void;
}

export type SpawnWorker = () => WorkerPort;

interface Batch {
  id: number;
  calls: KernelCall[];
  stopOnNonFinite: boolean;
  resolve(results: number[]): void;
  reject(err: Error): void;
}

interface Slot {
  port: WorkerPort;
  ready: boolean;
  /** Ready once: a later failure is a crash, not a failure to start. */
  started: boolean;
  batch: Batch | null;
  /** While the pool starts: settles Pool.start's wait for this slot. */
  starting: { resolve(): void; reject(err: Error): void } | null;
}

// A worker that fails this many times in a row before it is ready means the pool cannot start.
const MAX_START_FAILURES = 3;

export class Pool {
  private readonly slots: Slot[] = [];
  private readonly queue: Batch[] = [];
  private nextId = 1;
  private startFailures = 0;
  private broken: string | null = null;

  private constructor(readonly size: number, private readonly spawn: SpawnWorker, private readonly module: WebAssembly.Module, private readonly memory: WebAssembly.Memory) {}

  /** Starts `size` workers and resolves once every one has instantiated the module. */
  static async start(size: number, spawn: SpawnWorker, module: WebAssembly.Module, memory: WebAssembly.Memory): Promise<Pool> {
    const pool = new Pool(size, spawn, module, memory);
    const ready = Array.from({ length: size }, () => new Promise<void>((resolve, reject) => pool.slots.push(pool.startSlot({ resolve, reject }))));
    try {
      await Promise.all(ready);
    } catch (err) {
      pool.terminate();
      throw err;
    }
    return pool;
  }

  /** Batches that can run at once: one per worker. */
  get lanes(): number { return this.size; }

  /** Runs the calls in order on one worker; resolves with each call's result. */
  run(calls: KernelCall[], stopOnNonFinite = false): Promise<number[]> {
    if (this.broken !== null) return Promise.reject(new WorkerError(this.broken));
    return new Promise((resolve, reject) => {
      this.queue.push({ id: this.nextId++, calls, stopOnNonFinite, resolve, reject });
      this.pump();
    });
  }

  /** Stops every worker; queued and running batches are rejected. */
  terminate(): void {
    this.broken = 'the thread pool was shut down';
    for (const slot of this.slots) {
      slot.port.terminate();
      slot.batch?.reject(new WorkerError(this.broken));
      slot.batch = null;
    }
    for (const batch of this.queue.splice(0)) batch.reject(new WorkerError(this.broken));
  }

  /** Workers that have instantiated the module and are not known to have stopped. */
  get readyWorkers(): number { return this.slots.filter((slot) => slot.ready).length; }

  /** @internal For tests: terminates one worker as a crash would; the pool notices and replaces it. */
  crashWorker(index: number): void {
    const slot = this.slots[index]!;
    slot.ready = false;
    slot.port.terminate();
  }

  private startSlot(starting: Slot['starting'] = null): Slot {
    const slot: Slot = { port: this.spawn(), ready: false, started: false, batch: null, starting };
    slot.port.listen((message) => this.receive(slot, message), (reason) => this.fail(slot, reason));
    slot.port.hold(true);
    slot.port.post({ type: 'init', module: this.module, memory: this.memory });
    return slot;
  }

  private receive(slot: Slot, message: FromWorker): void {
    if (message.type === 'ready') {
      slot.ready = slot.started = true;
      this.startFailures = 0;
      slot.starting?.resolve();
      slot.starting = null;
    } else {
      const batch = slot.batch;
      slot.batch = null;
      if (batch !== null && batch.id === message.id) {
        if (message.type === 'done') batch.resolve(message.results);
        else batch.reject(new WorkerError(`A kernel failed in a worker: ${message.message}`));
      }
    }
    this.pump();
  }

  private fail(slot: Slot, reason: string): void {
    const index = this.slots.indexOf(slot);
    if (index < 0) return; // already replaced
    slot.port.terminate();
    slot.batch?.reject(new WorkerError(`A worker stopped while running kernels (${reason}); the call was not completed. The pool started a new worker.`));
    slot.batch = null;
    if (this.broken !== null) return;
    if (!slot.started && ++this.startFailures >= MAX_START_FAILURES) {
      this.broken = `The thread pool could not start its workers (${reason})`;
      slot.starting?.reject(new WorkerError(this.broken));
      for (const batch of this.queue.splice(0)) batch.reject(new WorkerError(this.broken));
      return;
    }
    this.slots[index] = this.startSlot(slot.starting);
  }

  private pump(): void {
    for (const slot of this.slots) {
      if (!slot.ready || slot.batch !== null) continue;
      const batch = this.queue.shift();
      if (batch === undefined) break;
      slot.batch = batch;
      slot.port.post({ type: 'run', id: batch.id, calls: batch.calls, stopOnNonFinite: batch.stopOnNonFinite });
    }
    for (const slot of this.slots) slot.port.hold(!slot.ready || slot.batch !== null);
  }
}

import { StateError } from './errors.js';

/**
 * A model's trained state in wasm memory, and the calls using it. Reads (predict, scores, ...)
 * may overlap each other and a running train(); one train() runs at a time, and a second is an
 * ERR_STATE. Blocks are freed only when no call can read them: a state that train() replaced or
 * dispose() dropped while reads were running is freed when the last of them ends, and a state
 * that train() built after dispose() was called is freed at once.
 */
export class ModelState<S> {
  private state: S | null = null;
  private readers = 0;
  private training = false;
  private disposed = false;
  private readonly retired: S[] = [];

  constructor(private readonly modelName: string, private readonly free: (state: S) => void) {}

  /** The trained state, or null (for getters that report "not trained" as 0). */
  get current(): S | null { return this.disposed ? null : this.state; }

  /** The trained state for a synchronous read; throws ERR_STATE before train() or after dispose(). */
  trained(): S {
    this.checkAlive();
    if (this.state === null) throw new StateError(`${this.modelName} is not trained: call train(X, y) first`);
    return this.state;
  }

  /** Runs an asynchronous read of the trained state; the state stays allocated until it ends. */
  async read<T>(fn: (state: S) => Promise<T>): Promise<T> {
    const state = this.trained();
    this.readers++;
    try {
      return await fn(state);
    } finally {
      if (--this.readers === 0) this.freeRetired();
    }
  }

  /** Builds the next state with `build` and puts it in place of the current one. */
  async train(build: () => Promise<S> | S, free: (state: S) => void = this.free): Promise<void> {
    this.checkAlive();
    if (this.training) throw new StateError(`This ${this.modelName} is already training; await that train() call first`);
    this.training = true;
    let next: S;
    try {
      next = await build();
    } finally {
      this.training = false;
    }
    if (this.disposed) {
      free(next);
      throw new StateError(`This ${this.modelName} was disposed while it trained; the new state was freed`);
    }
    this.replace(next);
  }

  /** Puts a state built synchronously (a loaded model) in place of the current one. */
  set(next: S): void {
    this.checkAlive();
    if (this.training) throw new StateError(`This ${this.modelName} is training; await that train() call first`);
    this.replace(next);
  }

  /** Drops the state; it is freed now, or when the reads still using it end. */
  dispose(): void {
    this.disposed = true;
    this.replace(null);
  }

  checkAlive(): void {
    if (this.disposed) throw new StateError(`This ${this.modelName} was disposed; create a new one`);
  }

  /** The new state is in place before the old one is retired: freeing compares against it. */
  private replace(next: S | null): void {
    const old = this.state;
    this.state = next;
    if (old !== null) this.retire(old);
  }

  private retire(state: S): void {
    this.retired.push(state);
    if (this.readers === 0) this.freeRetired();
  }

  private freeRetired(): void {
    for (const state of this.retired.splice(0)) this.free(state);
  }
}

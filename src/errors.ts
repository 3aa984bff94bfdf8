/** Every error simdclass throws is a SimdclassError with a stable `code`. */
export class SimdclassError extends Error {
  readonly code: string;
  constructor(code: string, message: string) {
    super(message);
    this.code = code;
    this.name = new.target.name;
  }
}

/** An argument has the wrong type (a string where a number was expected, a plain array where a typed array was). */
export class ArgumentTypeError extends SimdclassError {
  constructor(message: string) { super('ERR_ARG_TYPE', message); }
}

/** An argument has the right type but a wrong shape or value (k > nTrain, NaN pixels, a label out of range). */
export class ArgumentRangeError extends SimdclassError {
  constructor(message: string) { super('ERR_ARG_RANGE', message); }
}

/** The object is not in a state that allows the call (predict before train, use after dispose, init not awaited). */
export class StateError extends SimdclassError {
  constructor(message: string) { super('ERR_STATE', message); }
}

/** A data file or serialized model is missing, truncated, or not in the expected format. */
export class DataFormatError extends SimdclassError {
  constructor(message: string) { super('ERR_DATA_FORMAT', message); }
}

/** Training produced non-finite weights; the model keeps the last finite ones. */
export class TrainingDivergedError extends SimdclassError {
  readonly iteration: number;
  constructor(iteration: number, message: string) {
    super('ERR_DIVERGED', message);
    this.iteration = iteration;
  }
}

/** A request needs more WebAssembly memory than wasm32's 4 GiB (or what is left of it) can give. */
export class OutOfMemoryError extends SimdclassError {
  constructor(message: string) { super('ERR_OUT_OF_MEMORY', message); }
}

/** A worker of the thread pool crashed or was terminated while it ran the call's kernels. */
export class WorkerError extends SimdclassError {
  constructor(message: string) { super('ERR_WORKER', message); }
}

/** The call was cancelled through its AbortSignal; the model is as it was before the call. */
export class AbortedError extends SimdclassError {
  constructor(message: string) { super('ERR_ABORTED', message); }
}

/** The WebAssembly core could not be fetched, compiled or instantiated. */
export class WasmLoadError extends SimdclassError {
  constructor(message: string) { super('ERR_WASM_LOAD', message); }
}

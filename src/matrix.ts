import { ArgumentRangeError, ArgumentTypeError } from './errors.js';

/** Pixel storage: raw u8 pixels stay u8 (exact, 4x less memory traffic); anything else is f32. */
export type PixelArray = Uint8Array | Float32Array;

/** A dense row-major matrix: one image (or feature vector) per row. */
export interface Matrix<T extends PixelArray = PixelArray> {
  data: T;
  rows: number;
  cols: number;
}

/** What the API accepts as a matrix: a Matrix, or rows as plain number arrays (converted to f32). */
export type MatrixLike = Matrix | number[][];

/** Class labels: integers in [0, numClasses). */
export type Labels = Int32Array | Uint8Array | number[];

/** A short description of a value for error messages: "null", "a Promise", "string abc". */
export function describe(value: unknown): string {
  if (value === null || value === undefined) return String(value);
  if (Array.isArray(value)) return `an array of length ${value.length}`;
  if (ArrayBuffer.isView(value)) return value.constructor.name;
  if (typeof value !== 'object') return `${typeof value} ${String(value)}`;
  const kind = (Object.getPrototypeOf(value) as { constructor?: { name?: string } } | null)?.constructor?.name;
  return kind && kind !== 'Object' ? `a ${kind}` : 'an object';
}

function isNonNegativeInt(n: unknown): n is number {
  return typeof n === 'number' && Number.isInteger(n) && n >= 0;
}

/**
 * Validates a MatrixLike and returns it as a Matrix (no copy for a Matrix; number[][] becomes f32).
 * f32 data must be finite: NaN or Infinity would silently poison every distance and gradient.
 */
export function toMatrix(x: MatrixLike, name: string): Matrix {
  if (Array.isArray(x)) return fromRows(x, name);
  const m = checkMatrix(x, name, 'a Matrix { data, rows, cols } or number[][]');
  if (m.data instanceof Float32Array) checkFinite(m.data, m.cols, name);
  return m;
}

/** Validates the fields of a Matrix (data type, rows x cols = data.length) without scanning its values. */
export function checkMatrix<T extends PixelArray>(x: Matrix<T>, name: string, expected = 'a Matrix { data, rows, cols }'): Matrix<T> {
  if (typeof x !== 'object' || x === null || Array.isArray(x) || !('data' in x)) {
    throw new ArgumentTypeError(`Expected ${name} to be ${expected}, got ${describe(x)}`);
  }
  const { data, rows, cols } = x;
  if (!(data instanceof Uint8Array) && !(data instanceof Float32Array)) {
    throw new ArgumentTypeError(`Expected ${name}.data to be a Uint8Array or Float32Array, got ${describe(data)}`);
  }
  if (!isNonNegativeInt(rows)) throw new ArgumentRangeError(`Expected ${name}.rows to be a non-negative integer, got ${String(rows)}`);
  if (!isNonNegativeInt(cols)) throw new ArgumentRangeError(`Expected ${name}.cols to be a non-negative integer, got ${String(cols)}`);
  if (rows * cols !== data.length) {
    throw new ArgumentRangeError(`Expected ${name}.data.length to equal rows x cols (${rows} x ${cols} = ${rows * cols}), got ${data.length}`);
  }
  return { data, rows, cols };
}

function fromRows(rows: number[][], name: string): Matrix<Float32Array> {
  const n = rows.length;
  const cols = n === 0 ? 0 : (rows[0]?.length ?? 0);
  const data = new Float32Array(n * cols);
  for (let i = 0; i < n; i++) {
    const row = rows[i];
    if (!Array.isArray(row)) throw new ArgumentTypeError(`Expected ${name}[${i}] to be an array of numbers, got ${describe(row)}`);
    if (row.length !== cols) throw new ArgumentRangeError(`Expected every row of ${name} to have ${cols} columns, got ${row.length} in row ${i}`);
    for (let j = 0; j < cols; j++) {
      const v = row[j];
      if (typeof v !== 'number') throw new ArgumentTypeError(`Expected ${name}[${i}][${j}] to be a number, got ${describe(v)}`);
      data[i * cols + j] = v;
    }
  }
  checkFinite(data, cols, name);
  return { data, rows: n, cols };
}

/** Largest |value| in the data (0 for u8-free callers' empty arrays). */
export function maxAbs(data: Float32Array): number {
  let m = 0;
  for (let i = 0; i < data.length; i++) m = Math.max(m, Math.abs(data[i]!));
  return m;
}

function checkFinite(data: Float32Array, cols: number, name: string): void {
  for (let i = 0; i < data.length; i++) {
    const v = data[i]!;
    if (v - v !== 0) {
      const r = cols === 0 ? 0 : Math.floor(i / cols);
      throw new ArgumentRangeError(`Expected ${name} to hold finite numbers, got ${v} at row ${r}, column ${i - r * cols}`);
    }
  }
}

/** Labels are class indices; models keep one vote counter or score column per class up to the largest. */
export const MAX_CLASSES = 65536;

/** Validates labels against the number of rows and returns them as an Int32Array (copied). */
export function toLabels(y: Labels, rows: number, name: string, numClasses = MAX_CLASSES): Int32Array {
  const count = labelCount(y, name);
  if (count !== rows) throw new ArgumentRangeError(`Expected ${name} to have one label per row (${rows}), got ${count}`);
  const out = new Int32Array(rows);
  for (let i = 0; i < rows; i++) {
    const v = y[i]!;
    if (typeof v !== 'number' || !Number.isInteger(v) || v < 0 || v >= numClasses) {
      throw new ArgumentRangeError(`Expected ${name}[${i}] to be an integer in [0, ${numClasses}), got ${String(v)}`);
    }
    out[i] = v;
  }
  return out;
}

/** Checks that y is a label container (Int32Array, Uint8Array or number[]; its values are not checked) and returns its length. */
export function labelCount(y: unknown, name: string): number {
  if (!(y instanceof Int32Array) && !(y instanceof Uint8Array) && !Array.isArray(y)) {
    throw new ArgumentTypeError(`Expected ${name} to be an Int32Array, Uint8Array or number[], got ${describe(y)}`);
  }
  return y.length;
}

/** The number of classes validated labels imply: the largest label + 1 (0 for no labels). */
export function numClassesOf(labels: Int32Array): number {
  let n = 0;
  for (const label of labels) n = Math.max(n, label + 1);
  return n;
}

/** Checks that a named option is an integer in [min, max]; NaN, 2.5 and strings are refused. */
export function checkInt(value: unknown, name: string, min: number, max = Number.MAX_SAFE_INTEGER): number {
  if (typeof value !== 'number' || !Number.isInteger(value)) {
    throw new ArgumentTypeError(`Expected ${name} to be an integer, got ${describe(value)}`);
  }
  if (value < min || value > max) {
    const range = max === Number.MAX_SAFE_INTEGER ? (value < min ? `>= ${min}` : `<= ${max}`) : `in [${min}, ${max}]`;
    throw new ArgumentRangeError(`Expected ${name} ${range}, got ${value}`);
  }
  return value;
}

/** Largest finite f32: numbers handed to the kernels as f32 must not exceed it. */
export const F32_MAX = 3.4028234663852886e38;

/** Checks that a named option is a finite number in [min, max]; a non-number is a type error, NaN or out of range a range error. */
export function checkNumber(value: unknown, name: string, min = -Infinity, max = Infinity): number {
  if (typeof value !== 'number') throw new ArgumentTypeError(`Expected ${name} to be a finite number, got ${describe(value)}`);
  if (!Number.isFinite(value)) throw new ArgumentRangeError(`Expected ${name} to be a finite number, got ${value}`);
  if (value < min) throw new ArgumentRangeError(`Expected ${name} >= ${min}, got ${value}`);
  if (value > max) throw new ArgumentRangeError(`Expected ${name} <= ${max}, got ${value}`);
  return value;
}

/** Checks that value is an array of finite numbers in [min, max]; the message names the first bad index. */
export function checkNumberList(value: unknown, name: string, min = -Infinity, max = Infinity): number[] {
  if (!Array.isArray(value)) throw new ArgumentTypeError(`Expected ${name} to be an array of numbers, got ${describe(value)}`);
  for (let i = 0; i < value.length; i++) {
    const v: unknown = value[i];
    // Lists can be long (loss histories): the name is built only for a bad value.
    if (!(typeof v === 'number' && Number.isFinite(v) && v >= min && v <= max)) checkNumber(v, `${name}[${i}]`, min, max);
  }
  return value as number[];
}

/** Checks that rows is an array (or typed array) of row indices in [0, rowCount); the message names the bad index. */
export function checkRowIndices(rows: unknown, rowCount: number, name: string): ArrayLike<number> {
  if (!Array.isArray(rows) && !isNumericTypedArray(rows)) {
    throw new ArgumentTypeError(`Expected ${name} to be an array of row indices, got ${describe(rows)}`);
  }
  const indices = rows as ArrayLike<unknown>;
  for (let i = 0; i < indices.length; i++) {
    const r = indices[i];
    if (!(typeof r === 'number' && Number.isInteger(r) && r >= 0 && r < rowCount)) {
      throw new ArgumentRangeError(`Expected ${name}[${i}] to be a row index in [0, ${rowCount}), got ${describe(r)}`);
    }
  }
  return indices as ArrayLike<number>;
}

/** A typed array of numbers (not a DataView, not a BigInt64Array). */
export function isNumericTypedArray(value: unknown): value is ArrayLike<number> {
  return ArrayBuffer.isView(value) && !(value instanceof DataView) && !(value instanceof BigInt64Array) && !(value instanceof BigUint64Array);
}

/** A new matrix holding the given rows of m, in the given order. */
export function takeRows<T extends PixelArray>(m: Matrix<T>, rows: ArrayLike<number>): Matrix<T> {
  const { data: source, rows: rowCount, cols } = checkMatrix(m, 'm');
  const indices = checkRowIndices(rows, rowCount, 'rows');
  const data = new (source.constructor as { new (n: number): T })(indices.length * cols);
  for (let i = 0; i < indices.length; i++) {
    const r = indices[i]!;
    data.set(source.subarray(r * cols, (r + 1) * cols), i * cols);
  }
  return { data, rows: indices.length, cols };
}

/** The first `count` rows of m (a view, no copy); all of m when it has fewer. */
export function headRows<T extends PixelArray>(m: Matrix<T>, count: number): Matrix<T> {
  const { data, rows, cols } = checkMatrix(m, 'm');
  const n = Math.min(checkInt(count, 'count', 0), rows);
  return { data: data.subarray(0, n * cols) as T, rows: n, cols };
}

import { ArgumentTypeError, DataFormatError, OutOfMemoryError } from '../errors.js';
import type { Matrix } from '../matrix.js';

/** An IDX array of unsigned bytes: `data` holds the product of `dims` values, row-major. */
export interface IdxArray {
  dims: number[];
  data: Uint8Array;
}

/** Images from an IDX file, one per row, with their [height, width, channels] shape. */
export interface IdxImages extends Matrix<Uint8Array> {
  shape: [number, number, number];
}

/** @internal The most data bytes an IDX file may declare: 4 GiB - 1, as much as wasm32 memory can address. */
export const MAX_IDX_DATA_BYTES = 2 ** 32 - 1;
/** The longest IDX header: the 4-byte magic number, then up to 255 dimensions of 4 bytes each. */
const MAX_IDX_HEADER_BYTES = 4 + 4 * 255;

const UNSIGNED_BYTE = 0x08;
const IDX_TYPE_NAMES: Record<number, string> = {
  0x08: 'unsigned byte', 0x09: 'signed byte', 0x0b: 'int16', 0x0c: 'int32', 0x0d: 'float32', 0x0e: 'float64',
};

/** What an IDX header declares: the dimensions, the header's own length and the number of data bytes that follow. */
interface IdxHeader {
  dims: number[];
  headerBytes: number;
  dataBytes: number;
}

/** @internal Accepts a Uint8Array (a Node Buffer included) or an ArrayBuffer; shared with the CIFAR-10 parser. */
export function toBytes(bytes: Uint8Array | ArrayBuffer, name: string): Uint8Array {
  if (bytes instanceof Uint8Array) return bytes;
  if (bytes instanceof ArrayBuffer) return new Uint8Array(bytes);
  const got = bytes === null ? 'null' : typeof bytes === 'object' ? (bytes as object).constructor?.name ?? 'an object' : typeof bytes;
  throw new ArgumentTypeError(`Expected ${name} to be a Uint8Array or ArrayBuffer, got ${got}`);
}

/** @internal */
/** A new zeroed byte array of `length` bytes for `what`; an engine that cannot allocate it gives ERR_OUT_OF_MEMORY, not a RangeError. */
export function allocateBytes(length: number, what: string): Uint8Array {
  try {
    return new Uint8Array(length);
  } catch (err) {
    throw new OutOfMemoryError(`Out of memory: ${what} needs ${length} bytes, which this JavaScript engine could not allocate (${(err as Error).message})`);
  }
}

function hex(n: number, digits: number): string {
  return '0x' + n.toString(16).padStart(digits, '0');
}

/**
 * The product of `dims`, refused as soon as it would pass MAX_IDX_DATA_BYTES, so that every step stays an exact
 * integer and nothing is allocated for a size no one can hold. A zero anywhere makes an empty array.
 */
function declaredDataBytes(dims: number[], name: string): number {
  if (dims.includes(0)) return 0;
  let product = 1;
  for (const dim of dims) {
    if (product > Math.floor(MAX_IDX_DATA_BYTES / dim)) {
      const declared = dims.reduce((a, d) => a * BigInt(d), 1n);
      throw new DataFormatError(
        `${name} declares dimensions ${dims.join(' x ')} (${declared} data bytes); expected at most ${MAX_IDX_DATA_BYTES} bytes (4 GiB - 1)`,
      );
    }
    product *= dim;
  }
  return product;
}

/** Reads and checks the header at the start of `buf`: magic number, element type, and the dimensions. */
function parseIdxHeader(buf: Uint8Array, name: string): IdxHeader {
  if (buf.length < 4) {
    throw new DataFormatError(`${name} is truncated: an IDX header needs at least 4 bytes, got ${buf.length}`);
  }
  const view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  const type = buf[2]!;
  const ndim = buf[3]!;
  const typeName = IDX_TYPE_NAMES[type];
  if (buf[0] !== 0 || buf[1] !== 0 || typeName === undefined) {
    throw new DataFormatError(
      `${name} is not an IDX file: expected magic number 0x00000803 (images) or 0x00000801 (labels), got ${hex(view.getUint32(0), 8)}`,
    );
  }
  if (type !== UNSIGNED_BYTE) {
    throw new DataFormatError(`${name} holds IDX type ${hex(type, 2)} (${typeName}); only unsigned byte (0x08) is supported`);
  }
  if (ndim === 0) throw new DataFormatError(`${name} declares 0 dimensions; expected at least 1`);
  const headerBytes = 4 + 4 * ndim;
  if (buf.length < headerBytes) {
    throw new DataFormatError(`${name} is truncated: its header declares ${ndim} dimensions and needs ${headerBytes} bytes, got ${buf.length}`);
  }
  const dims = Array.from({ length: ndim }, (_, i) => view.getUint32(4 + 4 * i));
  return { dims, headerBytes, dataBytes: declaredDataBytes(dims, name) };
}

function checkDataBytes(header: IdxHeader, actual: number, name: string): void {
  if (actual !== header.dataBytes) {
    const what = actual < header.dataBytes ? 'is truncated' : 'has extra bytes';
    throw new DataFormatError(`${name} ${what}: dimensions ${header.dims.join(' x ')} need ${header.dataBytes} data bytes, got ${actual}`);
  }
}

/** Copies bytes [start, start + length) of the concatenated chunks into one new array. */
function copyBytes(chunks: Uint8Array[], start: number, length: number): Uint8Array {
  const out = allocateBytes(length, 'the decompressed data');
  let offset = 0;
  for (const chunk of chunks) {
    if (offset >= start + length) break;
    const from = Math.max(start - offset, 0);
    const to = Math.min(start + length - offset, chunk.length);
    if (from < to) out.set(chunk.subarray(from, to), offset + from - start);
    offset += chunk.length;
  }
  return out;
}

async function nextChunk(reader: ReadableStreamDefaultReader<Uint8Array>, name: string): Promise<Uint8Array | undefined> {
  try {
    const { done, value } = await reader.read();
    return done ? undefined : value;
  } catch (err) {
    const reason = err instanceof Error ? err.message : String(err);
    throw new DataFormatError(`${name} starts like gzip data but could not be decompressed (${reason}); the file is corrupt or truncated`);
  }
}

/**
 * Reads inflated IDX bytes chunk by chunk: the header is checked once the first MAX_IDX_HEADER_BYTES are out, and
 * reading stops (with an error) once the output passes the size the header declares, so a gzip bomb is never
 * inflated in full.
 */
async function readInflatedIdx(reader: ReadableStreamDefaultReader<Uint8Array>, name: string): Promise<IdxArray> {
  const chunks: Uint8Array[] = [];
  let received = 0;
  let header: IdxHeader | undefined;
  for (let chunk = await nextChunk(reader, name); chunk !== undefined; chunk = await nextChunk(reader, name)) {
    chunks.push(chunk);
    received += chunk.length;
    if (header === undefined && received >= MAX_IDX_HEADER_BYTES) header = parseIdxHeader(copyBytes(chunks, 0, MAX_IDX_HEADER_BYTES), name);
    if (header !== undefined && received > header.headerBytes + header.dataBytes) {
      throw new DataFormatError(
        `${name} decompresses to more than the ${header.headerBytes + header.dataBytes} bytes its header declares ` +
          `(dimensions ${header.dims.join(' x ')}); the file is corrupt or a decompression bomb`,
      );
    }
  }
  header ??= parseIdxHeader(copyBytes(chunks, 0, received), name);
  checkDataBytes(header, received - header.headerBytes, name);
  return { dims: header.dims, data: copyBytes(chunks, header.headerBytes, header.dataBytes) };
}

async function inflateIdx(gz: Uint8Array, name: string): Promise<IdxArray> {
  const stream = new Blob([gz as Uint8Array<ArrayBuffer>]).stream().pipeThrough(new DecompressionStream('gzip'));
  const reader = stream.getReader();
  try {
    return await readInflatedIdx(reader, name);
  } finally {
    // Stops the inflater when reading ended early; a finished stream ignores it, a failed one was reported above.
    await reader.cancel().catch(() => undefined);
  }
}

/**
 * Parses an IDX file of unsigned bytes (MNIST / Fashion-MNIST images 0x00000803, labels 0x00000801),
 * gzipped or not. For plain input `data` is a view into it, not a copy; gzipped input is inflated into a buffer of
 * exactly the size its header declares.
 */
export async function parseIdx(bytes: Uint8Array | ArrayBuffer, name = 'IDX data'): Promise<IdxArray> {
  const buf = toBytes(bytes, name);
  if (buf.length === 0) throw new DataFormatError(`${name} is empty (0 bytes); expected an IDX file`);
  if (buf[0] === 0x1f && buf[1] === 0x8b) return inflateIdx(buf, name);
  const header = parseIdxHeader(buf, name);
  checkDataBytes(header, buf.length - header.headerBytes, name);
  return { dims: header.dims, data: buf.subarray(header.headerBytes) };
}

/** Views an IDX array of N images of H x W pixels as an N x (H*W) matrix of shape [H, W, 1]. */
export function idxImages(arr: IdxArray, name = 'IDX images'): IdxImages {
  if (arr.dims.length !== 3) {
    throw new DataFormatError(`${name} should hold images (3 dimensions: count x height x width), got ${arr.dims.length} (${arr.dims.join(' x ')})`);
  }
  const [rows, height, width] = arr.dims as [number, number, number];
  if (height === 0 || width === 0) {
    throw new DataFormatError(`${name} declares images of ${height} x ${width} pixels (dimensions ${arr.dims.join(' x ')}); expected a height and width of at least 1`);
  }
  return { data: arr.data, rows, cols: height * width, shape: [height, width, 1] };
}

/** The labels of an IDX label file (1 dimension). */
export function idxLabels(arr: IdxArray, name = 'IDX labels'): Uint8Array {
  if (arr.dims.length !== 1) {
    throw new DataFormatError(`${name} should hold labels (1 dimension), got ${arr.dims.length} (${arr.dims.join(' x ')})`);
  }
  return arr.data;
}

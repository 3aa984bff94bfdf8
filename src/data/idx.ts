import { ArgumentTypeError, DataFormatError } from '../errors.js';
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

const UNSIGNED_BYTE = 0x08;
const IDX_TYPE_NAMES: Record<number, string> = {
  0x08: 'unsigned byte', 0x09: 'signed byte', 0x0b: 'int16', 0x0c: 'int32', 0x0d: 'float32', 0x0e: 'float64',
};

/** @internal Accepts a Uint8Array (a Node Buffer included) or an ArrayBuffer; shared with the CIFAR-10 parser. */
export function toBytes(bytes: Uint8Array | ArrayBuffer, name: string): Uint8Array {
  if (bytes instanceof Uint8Array) return bytes;
  if (bytes instanceof ArrayBuffer) return new Uint8Array(bytes);
  const got = bytes === null ? 'null' : typeof bytes === 'object' ? (bytes as object).constructor?.name ?? 'an object' : typeof bytes;
  throw new ArgumentTypeError(`Expected ${name} to be a Uint8Array or ArrayBuffer, got ${got}`);
}

function hex(n: number, digits: number): string {
  return '0x' + n.toString(16).padStart(digits, '0');
}

async function gunzip(gz: Uint8Array, name: string): Promise<Uint8Array> {
  try {
    const stream = new Blob([gz as Uint8Array<ArrayBuffer>]).stream().pipeThrough(new DecompressionStream('gzip'));
    return new Uint8Array(await new Response(stream).arrayBuffer());
  } catch (err) {
    throw new DataFormatError(`${name} starts like gzip data but could not be decompressed (${(err as Error).message}); the file is corrupt or truncated`);
  }
}

/**
 * Parses an IDX file of unsigned bytes (MNIST / Fashion-MNIST images 0x00000803, labels 0x00000801),
 * gzipped or not. `data` is a view into the input (or into the decompressed bytes), not a copy.
 */
export async function parseIdx(bytes: Uint8Array | ArrayBuffer, name = 'IDX data'): Promise<IdxArray> {
  let buf = toBytes(bytes, name);
  if (buf.length === 0) throw new DataFormatError(`${name} is empty (0 bytes); expected an IDX file`);
  if (buf[0] === 0x1f && buf[1] === 0x8b) buf = await gunzip(buf, name);
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
  const headerSize = 4 + 4 * ndim;
  if (buf.length < headerSize) {
    throw new DataFormatError(`${name} is truncated: its header declares ${ndim} dimensions and needs ${headerSize} bytes, got ${buf.length}`);
  }
  const dims = Array.from({ length: ndim }, (_, i) => view.getUint32(4 + 4 * i));
  const size = dims.reduce((a, b) => a * b, 1);
  const actual = buf.length - headerSize;
  if (actual !== size) {
    const what = actual < size ? 'is truncated' : 'has extra bytes';
    throw new DataFormatError(`${name} ${what}: dimensions ${dims.join(' x ')} need ${size} data bytes, got ${actual}`);
  }
  return { dims, data: buf.subarray(headerSize) };
}

/** Views an IDX array of N images of H x W pixels as an N x (H*W) matrix of shape [H, W, 1]. */
export function idxImages(arr: IdxArray, name = 'IDX images'): IdxImages {
  if (arr.dims.length !== 3) {
    throw new DataFormatError(`${name} should hold images (3 dimensions: count x height x width), got ${arr.dims.length} (${arr.dims.join(' x ')})`);
  }
  const [rows, height, width] = arr.dims as [number, number, number];
  return { data: arr.data, rows, cols: height * width, shape: [height, width, 1] };
}

/** The labels of an IDX label file (1 dimension). */
export function idxLabels(arr: IdxArray, name = 'IDX labels'): Uint8Array {
  if (arr.dims.length !== 1) {
    throw new DataFormatError(`${name} should hold labels (1 dimension), got ${arr.dims.length} (${arr.dims.join(' x ')})`);
  }
  return arr.data;
}

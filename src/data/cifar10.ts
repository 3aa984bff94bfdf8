import { DataFormatError } from '../errors.js';
import type { Matrix } from '../matrix.js';
import { allocateBytes, toBytes } from './idx.js';

const SIDE = 32;
const PIXELS = SIDE * SIDE;
const CHANNELS = 3;
const IMAGE_BYTES = PIXELS * CHANNELS;
const RECORD_BYTES = 1 + IMAGE_BYTES;
const NUM_CLASSES = 10;

/**
 * Parses a CIFAR-10 binary batch: records of 1 label byte then 3072 pixel bytes stored channel by channel
 * (1024 R, 1024 G, 1024 B, each 32x32 row-major). Rows of X are transposed to 32x32x3 (HWC, channels last).
 */
export function parseCifar10Batch(bytes: Uint8Array | ArrayBuffer, name = 'CIFAR-10 batch'): { X: Matrix<Uint8Array>; y: Uint8Array } {
  const buf = toBytes(bytes, name);
  if (buf.length === 0) throw new DataFormatError(`${name} is empty (0 bytes); expected CIFAR-10 records of ${RECORD_BYTES} bytes`);
  if (buf.length % RECORD_BYTES !== 0) {
    const whole = Math.floor(buf.length / RECORD_BYTES);
    throw new DataFormatError(
      `${name} has ${buf.length} bytes, not a multiple of the ${RECORD_BYTES}-byte CIFAR-10 record (1 label + ${IMAGE_BYTES} pixels): ` +
        `${whole} whole records and ${buf.length - whole * RECORD_BYTES} bytes left over; the file looks truncated`,
    );
  }
  const rows = buf.length / RECORD_BYTES;
  const X = allocateBytes(rows * IMAGE_BYTES, `${name}'s ${rows} images`);
  const y = new Uint8Array(rows);
  for (let r = 0; r < rows; r++) {
    const offset = r * RECORD_BYTES;
    const label = buf[offset]!;
    if (label >= NUM_CLASSES) {
      throw new DataFormatError(`${name} record ${r} (byte ${offset}) has label ${label}; expected 0..${NUM_CLASSES - 1}`);
    }
    y[r] = label;
    const out = r * IMAGE_BYTES;
    for (let c = 0; c < CHANNELS; c++) {
      const plane = offset + 1 + c * PIXELS;
      for (let p = 0; p < PIXELS; p++) X[out + p * CHANNELS + c] = buf[plane + p]!;
    }
  }
  return { X: { data: X, rows, cols: IMAGE_BYTES }, y };
}

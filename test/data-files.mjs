// Writers for the dataset files the tests generate: IDX files, CIFAR-10 batches, gzip bombs, and folders of such files.
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { constants, createGzip, gzipSync } from 'node:zlib';

const range = (n, f = (i) => i) => Array.from({ length: n }, (_, i) => f(i));

/** An IDX file: magic 0x0000 TT NN (TT the element type, 0x08 for u8), big-endian u32 dims, then the payload. */
export function idx(dims, data, type = 0x08) {
  const header = Buffer.alloc(4 + 4 * dims.length);
  header[2] = type;
  header[3] = dims.length;
  dims.forEach((d, i) => header.writeUInt32BE(d, 4 + 4 * i));
  return Buffer.concat([header, Buffer.from(data)]);
}

/** The files of an IDX folder with nTrain/nTest images of 2x3 pixels; image i is filled with i, label i % 10. */
export function idxFiles(nTrain, nTest, { gz = false } = {}) {
  const wrap = gz ? (b) => gzipSync(b) : (b) => b;
  const ext = gz ? '.gz' : '';
  const images = (n) => wrap(idx([n, 2, 3], range(n * 6, (k) => Math.floor(k / 6))));
  const labels = (n) => wrap(idx([n], range(n, (i) => i % 10)));
  return {
    [`train-images-idx3-ubyte${ext}`]: images(nTrain),
    [`train-labels-idx1-ubyte${ext}`]: labels(nTrain),
    [`t10k-images-idx3-ubyte${ext}`]: images(nTest),
    [`t10k-labels-idx1-ubyte${ext}`]: labels(nTest),
  };
}

/** A known pixel value for channel c at row h, column w of image r. */
export const pixel = (r, c, h, w) => (r * 50 + c * 100 + h * 3 + w) % 256;

/** CIFAR-10 records in the official layout: label byte, then the R, G and B planes, each 32x32 row-major. */
export function cifar(labels, first = 0) {
  const out = Buffer.alloc(labels.length * 3073);
  labels.forEach((label, i) => {
    const record = out.subarray(i * 3073, (i + 1) * 3073);
    record[0] = label;
    for (let c = 0; c < 3; c++) for (let h = 0; h < 32; h++) for (let w = 0; w < 32; w++) record[1 + c * 1024 + h * 32 + w] = pixel(first + i, c, h, w);
  });
  return out;
}

/**
 * One gzip stream of `head` followed by `zeroBytes` zeros, compressed at level 9 (about 1000:1). The zeros are fed
 * 1 MiB at a time, so making a bomb never holds its inflated size in memory.
 */
export async function gzipBomb(head, zeroBytes) {
  const gz = createGzip({ level: constants.Z_BEST_COMPRESSION });
  const out = [];
  gz.on('data', (chunk) => out.push(chunk));
  const ended = new Promise((resolve, reject) => gz.on('end', resolve).on('error', reject));
  const zeros = Buffer.alloc(1 << 20);
  gz.write(head);
  for (let left = zeroBytes; left > 0; left -= zeros.length) {
    if (!gz.write(zeros.subarray(0, Math.min(left, zeros.length)))) await new Promise((resolve) => gz.once('drain', resolve));
  }
  gz.end();
  await ended;
  return Buffer.concat(out);
}

/** Writes `files` ({ name: bytes }) into the folder root/name and returns its path. */
export async function makeFolder(root, name, files) {
  const dir = join(root, name);
  await mkdir(dir, { recursive: true });
  for (const [file, bytes] of Object.entries(files)) await writeFile(join(dir, file), bytes);
  return dir;
}

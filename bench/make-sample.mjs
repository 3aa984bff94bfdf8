// Writes the first N training and first M test records of an IDX dataset (MNIST / Fashion-MNIST file names)
// as gzipped IDX files. Reproducible: the same source files and counts give byte-identical output.
// Usage: node bench/make-sample.mjs [sourceDir] [outDir] [trainCount] [testCount]
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { gunzipSync, gzipSync } from 'node:zlib';

const [
  sourceDir = '/usr/share/datasets/fashion-mnist',
  outDir = 'data/fashion-mnist-sample',
  trainCount = '10000',
  testCount = '2000',
] = process.argv.slice(2);

const splits = [
  { prefix: 'train', count: Number(trainCount) },
  { prefix: 't10k', count: Number(testCount) },
];

/** Keeps the first `count` records of a gzipped unsigned-byte IDX file and rewrites the count in its header. */
function truncateIdx(gz, count, file) {
  const bytes = gunzipSync(gz);
  if (bytes.readUInt16BE(0) !== 0 || bytes[2] !== 0x08) throw new Error(`${file}: not an unsigned-byte IDX file`);
  const ndim = bytes[3];
  const header = Buffer.from(bytes.subarray(0, 4 + 4 * ndim));
  const available = header.readUInt32BE(4);
  if (count > available) throw new Error(`${file}: asked for ${count} records, it has ${available}`);
  let recordSize = 1;
  for (let i = 1; i < ndim; i++) recordSize *= header.readUInt32BE(4 + 4 * i);
  header.writeUInt32BE(count, 4);
  return gzipSync(Buffer.concat([header, bytes.subarray(header.length, header.length + count * recordSize)]), { level: 9 });
}

for (const { count } of splits) {
  if (!Number.isInteger(count) || count < 1) throw new Error(`Counts must be positive integers, got ${trainCount}, ${testCount}`);
}
await mkdir(outDir, { recursive: true });
for (const { prefix, count } of splits) {
  for (const kind of ['images-idx3-ubyte', 'labels-idx1-ubyte']) {
    const file = `${prefix}-${kind}.gz`;
    const out = truncateIdx(await readFile(join(sourceDir, file)), count, file);
    await writeFile(join(outDir, file), out);
    console.log(`${join(outDir, file)}: ${count} records, ${out.length} bytes`);
  }
}

import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { idxImages, idxLabels, parseIdx } from '../dist/data/idx.js';
import { parseCifar10Batch } from '../dist/data/cifar10.js';
import { CIFAR10_CLASSES, FASHION_MNIST_CLASSES, MNIST_CLASSES } from '../dist/data/classes.js';
import { loadDataset } from '../dist/data/node.js';
import { cifar, idx, idxFiles, makeFolder, pixel } from './data-files.mjs';

const SAMPLE_DIR = fileURLToPath(new URL('../data/fashion-mnist-sample/', import.meta.url));
const tmp = await mkdtemp(join(tmpdir(), 'simdclass-data-'));

const range = (n, f = (i) => i) => Array.from({ length: n }, (_, i) => f(i));

function checkError(err, code, pattern) {
  assert.ok(err, `expected an error matching ${pattern}`);
  assert.is(err.code, code, `error code of: ${err.message}`);
  assert.match(err.message, pattern);
}

async function rejects(promise, pattern, code = 'ERR_DATA_FORMAT') {
  let caught;
  try {
    await promise;
  } catch (err) {
    caught = err;
  }
  checkError(caught, code, pattern);
}

function throws(fn, pattern, code = 'ERR_DATA_FORMAT') {
  let caught;
  try {
    fn();
  } catch (err) {
    caught = err;
  }
  checkError(caught, code, pattern);
}

const ParseIdx = suite('parseIdx');

ParseIdx('parses unsigned-byte images and labels', async () => {
  const images = await parseIdx(idx([2, 2, 3], range(12)));
  assert.equal(images.dims, [2, 2, 3]);
  assert.equal([...images.data], range(12));
  const labels = await parseIdx(idx([3], [7, 0, 9]));
  assert.equal(labels.dims, [3]);
  assert.equal([...labels.data], [7, 0, 9]);
});

ParseIdx('accepts an ArrayBuffer', async () => {
  const bytes = idx([2], [4, 5]);
  const buffer = bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.length);
  assert.equal([...(await parseIdx(buffer)).data], [4, 5]);
});

ParseIdx('decompresses gzip input', async () => {
  const arr = await parseIdx(gzipSync(idx([2, 2, 2], range(8, (i) => 255 - i))));
  assert.equal(arr.dims, [2, 2, 2]);
  assert.equal([...arr.data], range(8, (i) => 255 - i));
});

ParseIdx('rejects an empty file', async () => {
  await rejects(parseIdx(new Uint8Array(0), 'empty.idx'), /empty\.idx is empty \(0 bytes\)/);
});

ParseIdx('rejects a wrong magic number', async () => {
  await rejects(parseIdx(Buffer.from('\x89PNG\r\n\x1a\n....', 'latin1'), 'pic.png'), /pic\.png is not an IDX file: expected magic number 0x00000803 \(images\) or 0x00000801 \(labels\), got 0x89504e47/);
});

ParseIdx('rejects IDX types other than unsigned byte, naming the type', async () => {
  await rejects(parseIdx(idx([1], [0, 0, 0, 0], 0x0d), 'floats.idx'), /floats\.idx holds IDX type 0x0d \(float32\); only unsigned byte \(0x08\) is supported/);
});

ParseIdx('rejects a truncated header', async () => {
  await rejects(parseIdx(new Uint8Array([0, 0]), 'a.idx'), /a\.idx is truncated: an IDX header needs at least 4 bytes, got 2/);
  const header = idx([10, 28, 28], []).subarray(0, 10);
  await rejects(parseIdx(header, 'b.idx'), /b\.idx is truncated: its header declares 3 dimensions and needs 16 bytes, got 10/);
});

ParseIdx('rejects a truncated payload, with expected and actual sizes', async () => {
  await rejects(parseIdx(idx([3, 2, 2], range(11)), 'short.idx'), /short\.idx is truncated: dimensions 3 x 2 x 2 need 12 data bytes, got 11/);
});

ParseIdx('rejects bytes after the payload', async () => {
  await rejects(parseIdx(idx([2], [1, 2, 3]), 'long.idx'), /long\.idx has extra bytes: dimensions 2 need 2 data bytes, got 3/);
});

ParseIdx('rejects corrupt or truncated gzip', async () => {
  const gz = gzipSync(idx([100], range(100)));
  await rejects(parseIdx(gz.subarray(0, gz.length - 12), 'cut.gz'), /cut\.gz starts like gzip data but could not be decompressed .*corrupt or truncated/);
  const flipped = Buffer.from(gz);
  flipped[12] ^= 0xff;
  flipped[13] ^= 0xff;
  await rejects(parseIdx(flipped, 'bad.gz'), /bad\.gz starts like gzip data but could not be decompressed/);
});

ParseIdx('rejects non-byte input with a type error', async () => {
  await rejects(parseIdx([0, 0, 8, 1]), /Expected IDX data to be a Uint8Array or ArrayBuffer, got Array/, 'ERR_ARG_TYPE');
});

ParseIdx.run();

const IdxImages = suite('idxImages');

IdxImages('views N x H x W as an N x (H*W) matrix of shape [H, W, 1]', async () => {
  const images = idxImages(await parseIdx(idx([2, 2, 3], range(12))));
  assert.is(images.rows, 2);
  assert.is(images.cols, 6);
  assert.equal(images.shape, [2, 3, 1]);
  assert.equal([...images.data.subarray(6)], [6, 7, 8, 9, 10, 11]);
});

IdxImages('rejects arrays that are not 3-dimensional', async () => {
  const labels = await parseIdx(idx([3], [1, 2, 3]));
  throws(() => idxImages(labels, 'labels.idx'), /labels\.idx should hold images \(3 dimensions: count x height x width\), got 1 \(3\)/);
});

IdxImages.run();

const IdxLabels = suite('idxLabels');

IdxLabels('returns the labels of a 1-dimensional array', async () => {
  assert.equal([...idxLabels(await parseIdx(idx([3], [1, 2, 3])))], [1, 2, 3]);
});

IdxLabels('rejects arrays that are not 1-dimensional', async () => {
  const images = await parseIdx(idx([1, 2, 2], range(4)));
  throws(() => idxLabels(images, 'images.idx'), /images\.idx should hold labels \(1 dimension\), got 3 \(1 x 2 x 2\)/);
});

IdxLabels.run();

const ParseCifar = suite('parseCifar10Batch');

ParseCifar('reads labels and transposes CHW records to HWC rows exactly', () => {
  const { X, y } = parseCifar10Batch(cifar([3, 9]));
  assert.equal([...y], [3, 9]);
  assert.is(X.rows, 2);
  assert.is(X.cols, 3072);
  // First pixel R, G, B then second pixel R, G, B of image 0.
  assert.equal([...X.data.subarray(0, 6)], [0, 100, 200, 1, 101, 201]);
  for (let r = 0; r < 2; r++) {
    for (let h = 0; h < 32; h++) {
      for (let w = 0; w < 32; w++) {
        for (let c = 0; c < 3; c++) {
          const got = X.data[r * 3072 + (h * 32 + w) * 3 + c];
          if (got !== pixel(r, c, h, w)) assert.unreachable(`image ${r} (h ${h}, w ${w}, c ${c}): expected ${pixel(r, c, h, w)}, got ${got}`);
        }
      }
    }
  }
});

ParseCifar('accepts an ArrayBuffer', () => {
  const bytes = cifar([5]);
  const { y } = parseCifar10Batch(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.length));
  assert.equal([...y], [5]);
});

ParseCifar('rejects an empty file', () => {
  throws(() => parseCifar10Batch(new Uint8Array(0), 'data_batch_1.bin'), /data_batch_1\.bin is empty \(0 bytes\)/);
});

ParseCifar('rejects a length that is not a multiple of 3073, saying it looks truncated', () => {
  throws(
    () => parseCifar10Batch(cifar([1, 2]).subarray(0, 6141), 'data_batch_2.bin'),
    /data_batch_2\.bin has 6141 bytes, not a multiple of the 3073-byte CIFAR-10 record .*1 whole records and 3068 bytes left over; the file looks truncated/,
  );
});

ParseCifar('rejects a label above 9', () => {
  throws(() => parseCifar10Batch(cifar([0, 10]), 'test_batch.bin'), /test_batch\.bin record 1 \(byte 3073\) has label 10; expected 0\.\.9/);
});

ParseCifar.run();

const Classes = suite('class names');

Classes('lists 10 names per dataset in label order', () => {
  assert.equal(MNIST_CLASSES, range(10, String));
  assert.is(FASHION_MNIST_CLASSES.length, 10);
  assert.is(FASHION_MNIST_CLASSES[0], 'T-shirt/top');
  assert.is(FASHION_MNIST_CLASSES[9], 'Ankle boot');
  assert.equal(CIFAR10_CLASSES, ['airplane', 'automobile', 'bird', 'cat', 'deer', 'dog', 'frog', 'horse', 'ship', 'truck']);
});

Classes.run();

const LoadDataset = suite('loadDataset');
LoadDataset.after(() => rm(tmp, { recursive: true, force: true }));

LoadDataset('loads a plain IDX folder with digit class names', async () => {
  const dir = await makeFolder(tmp, 'mnist-plain', idxFiles(12, 5));
  const ds = await loadDataset(dir);
  assert.is(ds.format, 'idx');
  assert.is(ds.name, 'mnist-plain');
  assert.equal(ds.shape, [2, 3, 1]);
  assert.equal(ds.classNames, MNIST_CLASSES);
  assert.equal([ds.train.X.rows, ds.train.X.cols, ds.train.y.length], [12, 6, 12]);
  assert.equal([ds.test.X.rows, ds.test.X.cols, ds.test.y.length], [5, 6, 5]);
  assert.equal([...ds.train.X.data.subarray(66)], [11, 11, 11, 11, 11, 11]);
  assert.equal([...ds.test.y], [0, 1, 2, 3, 4]);
});

LoadDataset('loads a gzipped IDX folder with Fashion-MNIST class names and limits', async () => {
  const dir = await makeFolder(tmp, 'My-FASHION-data', idxFiles(12, 5, { gz: true }));
  const ds = await loadDataset(dir, { trainLimit: 4, testLimit: 2 });
  assert.equal(ds.classNames, FASHION_MNIST_CLASSES);
  assert.equal([ds.train.X.rows, ds.train.X.data.length, ds.train.y.length], [4, 24, 4]);
  assert.equal([...ds.train.X.data.subarray(18)], [3, 3, 3, 3, 3, 3]);
  assert.equal([...ds.train.y], [0, 1, 2, 3]);
  assert.equal([ds.test.X.rows, ds.test.y.length], [2, 2]);
  const all = await loadDataset(dir, { trainLimit: 1000 });
  assert.is(all.train.X.rows, 12);
});

LoadDataset('validates limits', async () => {
  const dir = join(tmp, 'mnist-plain');
  await rejects(loadDataset(dir, { trainLimit: 0 }), /Expected trainLimit to be a positive integer, got 0/, 'ERR_ARG_RANGE');
  await rejects(loadDataset(dir, { testLimit: 2.5 }), /Expected testLimit to be a non-negative integer, got 2\.5/, 'ERR_ARG_RANGE');
  await rejects(loadDataset(dir, { testLimit: -3 }), /got -3/, 'ERR_ARG_RANGE');
  await rejects(loadDataset(dir, { trainLimit: '5' }), /Expected trainLimit to be a positive integer, got string/, 'ERR_ARG_TYPE');
});

LoadDataset('rejects an image count that differs from the label count, naming both files', async () => {
  const files = idxFiles(6, 3);
  files['t10k-labels-idx1-ubyte'] = idx([4], [0, 1, 2, 3]);
  const dir = await makeFolder(tmp, 'count-mismatch', files);
  await rejects(loadDataset(dir), /count-mismatch\/t10k-images-idx3-ubyte has 3 images but .*count-mismatch\/t10k-labels-idx1-ubyte has 4 labels/);
});

LoadDataset('rejects IDX labels outside the class range, naming the file', async () => {
  const files = idxFiles(3, 3);
  files['train-labels-idx1-ubyte'] = idx([3], [0, 12, 1]);
  const dir = await makeFolder(tmp, 'bad-label', files);
  await rejects(loadDataset(dir), /bad-label\/train-labels-idx1-ubyte has label 12 at index 1; expected 0\.\.9/);
});

LoadDataset('names the file path in parse errors', async () => {
  const files = idxFiles(3, 3, { gz: true });
  files['train-images-idx3-ubyte.gz'] = gzipSync(idx([3, 2, 3], range(10)));
  const dir = await makeFolder(tmp, 'truncated-idx', files);
  await rejects(loadDataset(dir), /truncated-idx\/train-images-idx3-ubyte\.gz is truncated: dimensions 3 x 2 x 3 need 18 data bytes, got 10/);
});

LoadDataset('names the missing files of an incomplete IDX folder', async () => {
  const { ['t10k-labels-idx1-ubyte']: _, ...files } = idxFiles(3, 3);
  const dir = await makeFolder(tmp, 'idx-incomplete', files);
  await rejects(loadDataset(dir), /IDX folder .*idx-incomplete is incomplete: missing t10k-labels-idx1-ubyte\(\.gz\)/);
});

LoadDataset('loads a CIFAR-10 folder, transposed to HWC, with limits across batches', async () => {
  const dir = await makeFolder(tmp, 'cifar-flat', {
    'data_batch_1.bin': cifar([1, 2], 0),
    'data_batch_2.bin': cifar([3, 4], 2),
    'test_batch.bin': cifar([5, 6, 7], 4),
  });
  const ds = await loadDataset(dir);
  assert.is(ds.format, 'cifar10');
  assert.is(ds.name, 'cifar-flat');
  assert.equal(ds.shape, [32, 32, 3]);
  assert.equal(ds.classNames, CIFAR10_CLASSES);
  assert.equal([ds.train.X.rows, ds.train.X.cols], [4, 3072]);
  assert.equal([...ds.train.y], [1, 2, 3, 4]);
  assert.equal([...ds.test.y], [5, 6, 7]);
  // Image 3 (second record of batch 2), pixel (h 0, w 1): R, G, B.
  assert.equal([...ds.train.X.data.subarray(3 * 3072 + 3, 3 * 3072 + 6)], [pixel(3, 0, 0, 1), pixel(3, 1, 0, 1), pixel(3, 2, 0, 1)]);
  const limited = await loadDataset(dir, { trainLimit: 3, testLimit: 1 });
  assert.equal([...limited.train.y], [1, 2, 3]);
  assert.is(limited.train.X.data.length, 3 * 3072);
  assert.equal([...limited.train.X.data.subarray(2 * 3072, 2 * 3072 + 3)], [pixel(2, 0, 0, 0), pixel(2, 1, 0, 0), pixel(2, 2, 0, 0)]);
  assert.equal([...limited.test.y], [5]);
});

LoadDataset('finds a cifar-10-batches-bin subfolder and reads batches.meta.txt', async () => {
  await makeFolder(tmp, 'cifar-parent/cifar-10-batches-bin', {
    'data_batch_1.bin': cifar([0]),
    'test_batch.bin': cifar([9]),
    'batches.meta.txt': range(10, (i) => `class${i}`).join('\n') + '\n\n',
  });
  const ds = await loadDataset(join(tmp, 'cifar-parent'));
  assert.is(ds.name, 'cifar-parent');
  assert.equal(ds.classNames, range(10, (i) => `class${i}`));
  assert.equal([ds.train.X.rows, ds.test.X.rows], [1, 1]);
});

LoadDataset('rejects CIFAR-10 folders with a missing batch or test file', async () => {
  const gap = await makeFolder(tmp, 'cifar-gap', { 'data_batch_1.bin': cifar([0]), 'data_batch_3.bin': cifar([0]), 'test_batch.bin': cifar([0]) });
  await rejects(loadDataset(gap), /cifar-gap is missing data_batch_2\.bin/);
  const noTest = await makeFolder(tmp, 'cifar-no-test', { 'data_batch_1.bin': cifar([0]) });
  await rejects(loadDataset(noTest), /cifar-no-test is incomplete: missing test_batch\.bin/);
});

LoadDataset('names the file path in CIFAR-10 parse errors', async () => {
  const dir = await makeFolder(tmp, 'cifar-bad', { 'data_batch_1.bin': cifar([0]), 'test_batch.bin': cifar([0, 1]).subarray(0, 5000) });
  await rejects(loadDataset(dir), /cifar-bad\/test_batch\.bin has 5000 bytes, .*looks truncated/);
});

LoadDataset('rejects a missing folder, naming it', async () => {
  await rejects(loadDataset(join(tmp, 'no-such-folder')), /Dataset folder not found: .*no-such-folder/);
});

LoadDataset('rejects a folder with no recognizable dataset, listing the expected files', async () => {
  const dir = await makeFolder(tmp, 'random-stuff', { 'notes.txt': 'hello', 'image.png': 'x' });
  await rejects(
    loadDataset(dir),
    /No dataset recognized in .*random-stuff: expected IDX files \(train-images-idx3-ubyte, .*t10k-labels-idx1-ubyte, each optionally \.gz\) or CIFAR-10 binary files \(data_batch_1\.bin \.\.\. data_batch_5\.bin and test_batch\.bin.*found: .*notes\.txt/,
  );
});

LoadDataset('loads the embedded Fashion-MNIST sample', async () => {
  const ds = await loadDataset(SAMPLE_DIR);
  assert.is(ds.format, 'idx');
  assert.equal(ds.shape, [28, 28, 1]);
  assert.equal(ds.classNames, FASHION_MNIST_CLASSES);
  assert.equal([ds.train.X.rows, ds.train.X.cols, ds.train.X.data.length, ds.train.y.length], [10000, 784, 7840000, 10000]);
  assert.equal([ds.test.X.rows, ds.test.X.cols, ds.test.X.data.length, ds.test.y.length], [2000, 784, 1568000, 2000]);
  for (const y of [ds.train.y, ds.test.y]) {
    const counts = new Array(10).fill(0);
    for (const label of y) counts[label]++;
    assert.is(counts.reduce((a, b) => a + b), y.length);
    assert.ok(counts.every((n) => n > 0), `every class present: ${counts}`);
  }
});

LoadDataset.run();

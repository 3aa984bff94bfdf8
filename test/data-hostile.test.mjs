// The data loaders against hostile files: gzip bombs, impossible or empty declared sizes, files that are not
// regular files, file system errors, and every truncation and header corruption of valid files.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { execFileSync } from 'node:child_process';
import { closeSync, constants, openSync } from 'node:fs';
import { chmod, mkdir, mkdtemp, rm, symlink, truncate } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { idxImages, idxLabels, parseIdx } from '../dist/data/idx.js';
import { parseCifar10Batch } from '../dist/data/cifar10.js';
import { loadDataset } from '../dist/data/node.js';
import { cifar, gzipBomb, idx, idxFiles, makeFolder } from './data-files.mjs';

const tmp = await mkdtemp(join(tmpdir(), 'simdclass-hostile-'));
const MiB = 1024 * 1024;
/** The zeros behind each bomb: 256 MiB inflated from about 260 kB. */
const BOMB_ZEROS = 256 * MiB;
/** How long a loader may take to answer before the test calls it a hang. */
const HANG_MS = 10_000;

const range = (n, f = (i) => i) => Array.from({ length: n }, (_, i) => f(i));

/**
 * Settles `promise` into { value } or { error }; { hang: true } if it has not settled within HANG_MS, after calling
 * onHang (which can unblock whatever is stuck, so that the test process can still exit).
 */
async function settle(promise, onHang = () => {}) {
  let timer;
  const hang = new Promise((resolve) => {
    timer = setTimeout(() => {
      onHang();
      resolve({ hang: true });
    }, HANG_MS);
  });
  try {
    return await Promise.race([promise.then((value) => ({ value }), (error) => ({ error })), hang]);
  } finally {
    clearTimeout(timer);
  }
}

function checkDataError(error, pattern) {
  assert.ok(error, `expected an error matching ${pattern}, but the call succeeded`);
  assert.is(error.code, 'ERR_DATA_FORMAT', `error code of: ${error.stack}`);
  assert.is(error.name, 'DataFormatError');
  if (pattern) assert.match(error.message, pattern);
}

/** Asserts that `promise` rejects promptly with a DataFormatError whose message matches `pattern`. */
async function rejectsData(promise, pattern, onHang) {
  const result = await settle(promise, onHang);
  assert.ok(!result.hang, `no answer within ${HANG_MS} ms (expected an error matching ${pattern})`);
  checkDataError(result.error, pattern);
}

function throwsData(fn, pattern) {
  let error;
  try {
    fn();
  } catch (err) {
    error = err;
  }
  checkDataError(error, pattern);
}

/** Opens a FIFO's write end without blocking and closes it: a reader stuck in open() then reads end of file. */
function releaseFifo(path) {
  try {
    closeSync(openSync(path, constants.O_WRONLY | constants.O_NONBLOCK));
  } catch {
    // ENXIO: no reader is waiting.
  }
}

/**
 * Awaits `promise` while sampling this process's ArrayBuffer bytes and resident size every millisecond (inflating
 * yields to timers between chunks), and asserts that neither rose `limit` bytes above where it started.
 */
async function checkPeakGrowth(promise, limit) {
  const start = process.memoryUsage();
  const peak = { arrayBuffers: start.arrayBuffers, rss: start.rss };
  const sample = () => {
    const now = process.memoryUsage();
    peak.arrayBuffers = Math.max(peak.arrayBuffers, now.arrayBuffers);
    peak.rss = Math.max(peak.rss, now.rss);
  };
  const timer = setInterval(sample, 1);
  try {
    await promise;
  } finally {
    clearInterval(timer);
    sample();
  }
  for (const key of ['arrayBuffers', 'rss']) {
    const grown = peak[key] - start[key];
    assert.ok(grown < limit, `${key} rose by ${(grown / MiB).toFixed(1)} MiB (limit ${limit / MiB} MiB; the bomb inflates to ${BOMB_ZEROS / MiB} MiB)`);
  }
}

const Bombs = suite('gzip bombs');

Bombs('stops inflating once the output passes the size the header declares', async () => {
  const bomb = await gzipBomb(idx([1, 28, 28], new Uint8Array(784)), BOMB_ZEROS);
  assert.ok(bomb.length < MiB, `bomb of ${bomb.length} bytes`);
  const refused = rejectsData(
    parseIdx(bomb, 'bomb.gz'),
    /^bomb\.gz decompresses to more than the 800 bytes its header declares \(dimensions 1 x 28 x 28\)/,
  );
  await checkPeakGrowth(refused, 32 * MiB);
});

Bombs('checks the header from the first inflated bytes, before inflating the rest', async () => {
  const bomb = await gzipBomb(Buffer.from('\x89PNG\r\n\x1a\n', 'latin1'), BOMB_ZEROS);
  await checkPeakGrowth(rejectsData(parseIdx(bomb, 'png.gz'), /^png\.gz is not an IDX file: expected magic number .*got 0x89504e47/), 32 * MiB);
});

Bombs('names the file when loadDataset meets a bomb', async () => {
  const files = idxFiles(1, 1, { gz: true });
  files['train-images-idx3-ubyte.gz'] = await gzipBomb(idx([1, 2, 3], range(6)), 64 * MiB);
  const dir = await makeFolder(tmp, 'bomb-folder', files);
  await rejectsData(loadDataset(dir), /bomb-folder\/train-images-idx3-ubyte\.gz decompresses to more than the 22 bytes its header declares/);
});

Bombs('still reads gzip output that arrives in many chunks', async () => {
  const payload = range(300_000, (i) => (i * 7919) % 251);
  const arr = await parseIdx(gzipSync(idx([3, 100_000], payload)), 'big.gz');
  assert.equal(arr.dims, [3, 100_000]);
  assert.is(arr.data.length, 300_000);
  assert.is(arr.data.buffer.byteLength, 300_000, 'one buffer of exactly the declared size');
  assert.ok(arr.data.every((v, i) => v === payload[i]), 'payload intact');
});

Bombs.run();

const Sizes = suite('declared sizes');

Sizes('refuses dimensions whose product passes 4 GiB - 1, naming the file and the dimensions', async () => {
  await rejectsData(
    parseIdx(idx([60000, 20000, 20000], []), 'huge.idx'),
    /^huge\.idx declares dimensions 60000 x 20000 x 20000 \(24000000000000 data bytes\); expected at most 4294967295 bytes/,
  );
  await rejectsData(parseIdx(idx([65536, 65536], []), 'four-gib.idx'), /four-gib\.idx declares dimensions 65536 x 65536 \(4294967296 data bytes\)/);
});

Sizes('gives the exact declared size even beyond Number.MAX_SAFE_INTEGER', async () => {
  const max = 0xffffffff;
  await rejectsData(
    parseIdx(gzipSync(idx([max, max, max], [])), 'max.gz'),
    /^max\.gz declares dimensions 4294967295 x 4294967295 x 4294967295 \(79228162458924105385300197375 data bytes\)/,
  );
});

Sizes('accepts a declared size of exactly 4 GiB - 1 and then finds the payload missing', async () => {
  await rejectsData(parseIdx(idx([65537, 65535], [1, 2]), 'edge.idx'), /^edge\.idx is truncated: dimensions 65537 x 65535 need 4294967295 data bytes, got 2$/);
});

Sizes('accepts a zero dimension next to huge ones, before or after them: the array is empty', async () => {
  const max = 0xffffffff;
  for (const dims of [[0, max, max], [max, max, 0], [30, 1616117142, 0, 32]]) {
    const arr = await parseIdx(idx(dims, []));
    assert.equal(arr.dims, dims);
    assert.is(arr.data.length, 0);
  }
});

Sizes('refuses a gzipped IDX folder whose image header declares 60000 x 20000 x 20000', async () => {
  const files = idxFiles(2, 2, { gz: true });
  files['train-images-idx3-ubyte.gz'] = await gzipBomb(idx([60000, 20000, 20000], []), BOMB_ZEROS);
  const dir = await makeFolder(tmp, 'huge-header', files);
  await rejectsData(loadDataset(dir), /huge-header\/train-images-idx3-ubyte\.gz declares dimensions 60000 x 20000 x 20000 \(24000000000000 data bytes\)/);
});

Sizes('refuses a file larger than 4 GiB - 1 before reading it, and a long batches.meta.txt', async () => {
  const dir = await makeFolder(tmp, 'sparse', { 'data_batch_1.bin': cifar([1]), 'test_batch.bin': cifar([2]) });
  await truncate(join(dir, 'test_batch.bin'), 2 ** 32); // sparse: takes no disk space
  await rejectsData(loadDataset(dir), /^Could not read .*sparse\/test_batch\.bin: it has 4294967296 bytes; expected at most 4294967295$/);
  const meta = await makeFolder(tmp, 'long-meta', { 'data_batch_1.bin': cifar([1]), 'test_batch.bin': cifar([2]), 'batches.meta.txt': '' });
  await truncate(join(meta, 'batches.meta.txt'), MiB);
  await rejectsData(loadDataset(meta), /long-meta\/batches\.meta\.txt: it has 1048576 bytes; expected at most 65536$/);
});

Sizes.run();

const Zeros = suite('zero sizes');

Zeros('idxImages refuses a zero height or width, naming the file', async () => {
  for (const dims of [[20, 0, 28], [20, 28, 0]]) {
    const arr = await parseIdx(idx(dims, []));
    const pattern = new RegExp(`^flat\\.idx declares images of ${dims[1]} x ${dims[2]} pixels \\(dimensions ${dims.join(' x ')}\\); expected a height and width of at least 1$`);
    throwsData(() => idxImages(arr, 'flat.idx'), pattern);
  }
});

Zeros('refuses a folder whose images have a zero dimension', async () => {
  const files = idxFiles(3, 2);
  files['t10k-images-idx3-ubyte'] = idx([2, 0, 28], []);
  const dir = await makeFolder(tmp, 'zero-width', files);
  await rejectsData(loadDataset(dir), /zero-width\/t10k-images-idx3-ubyte declares images of 0 x 28 pixels/);
});

Zeros('refuses a folder with 0 training or 0 test images', async () => {
  const noTrain = await makeFolder(tmp, 'no-train', idxFiles(0, 2));
  await rejectsData(loadDataset(noTrain), /no-train\/train-images-idx3-ubyte holds 0 images; expected at least 1$/);
  const noTest = await makeFolder(tmp, 'no-test', idxFiles(2, 0, { gz: true }));
  await rejectsData(loadDataset(noTest), /no-test\/t10k-images-idx3-ubyte\.gz holds 0 images; expected at least 1$/);
});

Zeros('refuses image and label counts that differ', async () => {
  const files = idxFiles(5, 2);
  files['train-labels-idx1-ubyte'] = idx([0], []);
  const dir = await makeFolder(tmp, 'no-labels', files);
  await rejectsData(loadDataset(dir), /no-labels\/train-images-idx3-ubyte has 5 images but .*no-labels\/train-labels-idx1-ubyte has 0 labels/);
});

Zeros('refuses an empty CIFAR-10 batch file, naming it', async () => {
  const emptyTest = await makeFolder(tmp, 'cifar-empty-test', { 'data_batch_1.bin': cifar([1]), 'test_batch.bin': Buffer.alloc(0) });
  await rejectsData(loadDataset(emptyTest), /cifar-empty-test\/test_batch\.bin is empty \(0 bytes\)/);
  const emptyTrain = await makeFolder(tmp, 'cifar-empty-train', { 'data_batch_1.bin': Buffer.alloc(0), 'test_batch.bin': cifar([1]) });
  await rejectsData(loadDataset(emptyTrain), /cifar-empty-train\/data_batch_1\.bin is empty \(0 bytes\)/);
});

Zeros.run();

const NonRegular = suite('files that are not regular files');

NonRegular('refuses a FIFO named like a dataset file without waiting for a writer', async () => {
  const dir = await makeFolder(tmp, 'fifo', idxFiles(3, 2));
  const fifo = join(dir, 'train-images-idx3-ubyte');
  await rm(fifo);
  execFileSync('mkfifo', [fifo]);
  await rejectsData(
    loadDataset(dir),
    /^Could not read .*fifo\/train-images-idx3-ubyte: it is a FIFO \(named pipe\), not a regular file; expected a regular IDX file$/,
    () => releaseFifo(fifo),
  );
});

NonRegular('refuses a FIFO named batches.meta.txt', async () => {
  const dir = await makeFolder(tmp, 'fifo-meta', { 'data_batch_1.bin': cifar([1]), 'test_batch.bin': cifar([2]) });
  const fifo = join(dir, 'batches.meta.txt');
  execFileSync('mkfifo', [fifo]);
  await rejectsData(loadDataset(dir), /fifo-meta\/batches\.meta\.txt: it is a FIFO \(named pipe\), not a regular file; expected a regular text file of class names$/, () => releaseFifo(fifo));
});

NonRegular('refuses a directory named like a dataset file', async () => {
  const dir = await makeFolder(tmp, 'dir-as-file', idxFiles(3, 2));
  await rm(join(dir, 't10k-labels-idx1-ubyte'));
  await mkdir(join(dir, 't10k-labels-idx1-ubyte'));
  await rejectsData(loadDataset(dir), /^Could not read .*dir-as-file\/t10k-labels-idx1-ubyte: it is a directory, not a regular file; expected a regular IDX file$/);
});

NonRegular('refuses a socket named like a dataset file', async () => {
  const dir = await makeFolder(tmp, 'socket', { 'data_batch_1.bin': cifar([1]) });
  const server = createServer();
  await new Promise((resolve, reject) => server.once('error', reject).listen(join(dir, 'test_batch.bin'), resolve));
  try {
    await rejectsData(loadDataset(dir), /socket\/test_batch\.bin: it is a socket, not a regular file; expected a regular CIFAR-10 batch file$/);
  } finally {
    await new Promise((resolve) => server.close(resolve));
  }
});

NonRegular('refuses a device behind a symlink named like a dataset file', async () => {
  const dir = await makeFolder(tmp, 'device', idxFiles(3, 2));
  await rm(join(dir, 'train-labels-idx1-ubyte'));
  await symlink('/dev/null', join(dir, 'train-labels-idx1-ubyte'));
  await rejectsData(loadDataset(dir), /device\/train-labels-idx1-ubyte: it is a character device, not a regular file; expected a regular IDX file$/);
});

NonRegular('follows symlinks to regular files', async () => {
  const real = await makeFolder(tmp, 'real-files', idxFiles(4, 2, { gz: true }));
  const dir = join(tmp, 'linked-files');
  await mkdir(dir);
  for (const name of Object.keys(idxFiles(4, 2, { gz: true }))) await symlink(join(real, name), join(dir, name));
  const ds = await loadDataset(dir);
  assert.equal([ds.train.X.rows, ds.test.X.rows], [4, 2]);
});

NonRegular.run();

const SystemErrors = suite('file system errors');

SystemErrors('wraps ELOOP from a symlink loop, naming the file and keeping the code', async () => {
  const dir = await makeFolder(tmp, 'loop', idxFiles(3, 2));
  await rm(join(dir, 'train-images-idx3-ubyte'));
  await symlink('other-end', join(dir, 'train-images-idx3-ubyte'));
  await symlink('train-images-idx3-ubyte', join(dir, 'other-end'));
  await rejectsData(loadDataset(dir), /^Could not read .*loop\/train-images-idx3-ubyte \(ELOOP: too many symbolic links encountered\): expected a readable IDX file$/);
});

SystemErrors('wraps ENOENT from a dangling symlink', async () => {
  const dir = await makeFolder(tmp, 'dangling', { 'data_batch_1.bin': cifar([1]) });
  await symlink('nowhere.bin', join(dir, 'test_batch.bin'));
  await rejectsData(loadDataset(dir), /^Could not read .*dangling\/test_batch\.bin \(ENOENT: no such file or directory\): expected a readable CIFAR-10 batch file$/);
});

SystemErrors('wraps errors listing the dataset folder', async () => {
  const loop = join(tmp, 'folder-loop');
  await symlink('folder-loop', loop);
  await rejectsData(loadDataset(loop), /^Could not list .*folder-loop \(ELOOP: too many symbolic links encountered\): expected a readable dataset folder$/);
  const dir = await makeFolder(tmp, 'cifar-sub-file', { 'cifar-10-batches-bin': 'not a folder' });
  await rejectsData(loadDataset(dir), /^Dataset path is not a folder: .*cifar-sub-file\/cifar-10-batches-bin$/);
});

// Root reads files whatever their mode, so EACCES can only be produced by another user.
if (process.getuid?.() !== 0) {
  SystemErrors('wraps EACCES from an unreadable file', async () => {
    const dir = await makeFolder(tmp, 'no-access', idxFiles(3, 2));
    await chmod(join(dir, 't10k-images-idx3-ubyte'), 0o000);
    await rejectsData(loadDataset(dir), /no-access\/t10k-images-idx3-ubyte \(EACCES: permission denied\): expected a readable IDX file$/);
  });
}

SystemErrors.run();

const Corruptions = suite('truncations and corrupted headers');
Corruptions.after(() => rm(tmp, { recursive: true, force: true }));

/** Checks that parse(bytes) either succeeds and passes `check`, or fails with a DataFormatError; never hangs. */
async function parsedOrDataError(parse, bytes, check, what) {
  const result = await settle(Promise.resolve().then(() => parse(bytes)));
  assert.ok(!result.hang, `${what}: no answer within ${HANG_MS} ms`);
  if (result.error === undefined) check(result.value, bytes, what);
  else if (result.error.code !== 'ERR_DATA_FORMAT') assert.unreachable(`${what}: ${result.error.stack}`);
}

const parseImages = async (bytes) => idxImages(await parseIdx(bytes, 'images.idx'), 'images.idx');
const parseLabels = async (bytes) => ({ data: idxLabels(await parseIdx(bytes, 'labels.idx'), 'labels.idx') });

/** A successful parse must have read exactly the payload that followed the header. */
function checkPayload(expected) {
  return (result, _bytes, what) => {
    if (result.data.length !== expected.length || result.data.some((v, i) => v !== expected[i])) {
      assert.unreachable(`${what}: parsed ${result.data.length} bytes that are not the payload`);
    }
  };
}

const IMAGES = idx([3, 4, 5], range(60, (i) => i * 4));
const LABELS = idx([7], [3, 1, 4, 1, 5, 9, 2]);
const cases = [
  { name: 'IDX images', bytes: IMAGES, parse: parseImages, check: checkPayload(IMAGES.subarray(16)) },
  { name: 'IDX labels', bytes: LABELS, parse: parseLabels, check: checkPayload(LABELS.subarray(8)) },
  { name: 'gzipped IDX images', bytes: gzipSync(IMAGES), parse: parseImages, check: checkPayload(IMAGES.subarray(16)) },
];

Corruptions('every truncation of an IDX file parses in full or fails with ERR_DATA_FORMAT', async () => {
  for (const { name, bytes, parse, check } of cases) {
    for (let length = 0; length <= bytes.length; length++) {
      await parsedOrDataError(parse, bytes.subarray(0, length), check, `${name} cut to ${length} bytes`);
    }
  }
});

Corruptions('every flipped header byte of an IDX file parses correctly or fails with ERR_DATA_FORMAT', async () => {
  const masks = [0x01, 0x02, 0x04, 0x08, 0x10, 0x20, 0x40, 0x80, 0x7f, 0xff];
  for (const { name, bytes, parse, check } of cases.slice(0, 2)) {
    const headerBytes = 4 + 4 * bytes[3];
    for (let at = 0; at < headerBytes; at++) {
      for (const mask of masks) {
        const flipped = Buffer.from(bytes);
        flipped[at] ^= mask;
        await parsedOrDataError(parse, flipped, check, `${name} with byte ${at} ^ ${mask}`);
        await parsedOrDataError(parse, gzipSync(flipped), check, `gzipped ${name} with byte ${at} ^ ${mask}`);
      }
    }
  }
});

Corruptions('every flipped byte of a gzip stream parses correctly or fails with ERR_DATA_FORMAT', async () => {
  const gz = gzipSync(IMAGES);
  for (let at = 0; at < gz.length; at++) {
    for (const mask of [0x01, 0x80, 0xff]) {
      const flipped = Buffer.from(gz);
      flipped[at] ^= mask;
      await parsedOrDataError(parseImages, flipped, () => {}, `gzip byte ${at} ^ ${mask}`);
    }
  }
});

Corruptions('every truncation of a CIFAR-10 batch parses in full or fails with ERR_DATA_FORMAT', async () => {
  const batch = cifar([3, 9]);
  const checkRecords = (result, bytes, what) => {
    if (result.X.rows * 3073 !== bytes.length) assert.unreachable(`${what}: parsed ${result.X.rows} records`);
  };
  for (let length = 0; length <= batch.length; length++) {
    await parsedOrDataError((bytes) => parseCifar10Batch(bytes, 'batch.bin'), batch.subarray(0, length), checkRecords, `CIFAR-10 batch cut to ${length} bytes`);
  }
});

Corruptions('every label byte of a CIFAR-10 record parses as 0..9 or fails with ERR_DATA_FORMAT', async () => {
  for (let label = 0; label < 256; label++) {
    const batch = cifar([0, 0]);
    batch[3073] = label;
    await parsedOrDataError(
      (bytes) => parseCifar10Batch(bytes, 'batch.bin'),
      batch,
      (result, _bytes, what) => assert.equal([...result.y], [0, label], what),
      `CIFAR-10 label ${label}`,
    );
  }
});

Corruptions('every truncation of a file in an IDX folder loads in full or fails with ERR_DATA_FORMAT', async () => {
  const files = idxFiles(2, 1);
  for (const [file, bytes] of Object.entries(files)) {
    for (let length = 0; length <= bytes.length; length++) {
      const dir = await makeFolder(tmp, `cut-${file}-${length}`, { ...files, [file]: bytes.subarray(0, length) });
      await parsedOrDataError(loadDataset, dir, (ds, _dir, what) => assert.is(length, bytes.length, what), `${file} cut to ${length} bytes`);
    }
  }
});

Corruptions.run();

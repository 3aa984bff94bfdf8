import { basename, join, resolve } from 'node:path';
import { ArgumentRangeError, ArgumentTypeError, DataFormatError } from '../errors.js';
import type { Matrix } from '../matrix.js';
import { parseCifar10Batch } from './cifar10.js';
import { CIFAR10_CLASSES, FASHION_MNIST_CLASSES, MNIST_CLASSES } from './classes.js';
import type { Dataset, LabeledImages } from './dataset.js';
import { listFolder, readRegularFile } from './files.js';
import { allocateBytes, idxImages, idxLabels, MAX_IDX_DATA_BYTES, parseIdx } from './idx.js';

export interface LoadDatasetOptions {
  /** Keep only the first N training records (file order). */
  trainLimit?: number;
  /** Keep only the first M test records (file order); 0 does not read the test files at all. */
  testLimit?: number;
}

const IDX_FILES = {
  trainImages: 'train-images-idx3-ubyte',
  trainLabels: 'train-labels-idx1-ubyte',
  testImages: 't10k-images-idx3-ubyte',
  testLabels: 't10k-labels-idx1-ubyte',
};
type IdxRole = keyof typeof IDX_FILES;
const IDX_ROLES = Object.keys(IDX_FILES) as IdxRole[];
const CIFAR_TRAIN_FILES = [1, 2, 3, 4, 5].map((i) => `data_batch_${i}.bin`);
const CIFAR_TEST_FILE = 'test_batch.bin';
const CIFAR_META_FILE = 'batches.meta.txt';
const CIFAR_SUBFOLDER = 'cifar-10-batches-bin';
const CIFAR_SHAPE: [number, number, number] = [32, 32, 3];
/** No dataset file may be larger than the largest IDX payload: wasm32 memory could not hold more. */
const MAX_DATA_FILE_BYTES = MAX_IDX_DATA_BYTES;
/** Ten short class names; anything much longer is not a batches.meta.txt. */
const MAX_META_FILE_BYTES = 64 * 1024;

function checkLimit(value: unknown, name: string, min: number): number {
  const what = min === 0 ? 'a non-negative integer' : 'a positive integer';
  if (value === undefined) return Infinity;
  if (typeof value !== 'number') throw new ArgumentTypeError(`Expected ${name} to be ${what}, got ${typeof value}`);
  if (!Number.isInteger(value) || value < min) throw new ArgumentRangeError(`Expected ${name} to be ${what}, got ${value}`);
  return value;
}

/** The test split of a load with testLimit 0: no rows, the training images' columns. */
function noRows(cols: number): LabeledImages {
  return { X: { data: new Uint8Array(0), rows: 0, cols }, y: new Uint8Array(0) };
}

/** Keeps the first `limit` rows of the images and labels; copies, so the rest of the file can be freed. */
function take(X: Matrix<Uint8Array>, y: Uint8Array, limit: number): LabeledImages {
  if (limit >= X.rows) return { X: { data: X.data, rows: X.rows, cols: X.cols }, y };
  return { X: { data: X.data.slice(0, limit * X.cols), rows: limit, cols: X.cols }, y: y.slice(0, limit) };
}

/** The plain file if present, else its `.gz`; undefined if neither. */
function idxFileName(files: Set<string>, base: string): string | undefined {
  return files.has(base) ? base : files.has(`${base}.gz`) ? `${base}.gz` : undefined;
}

async function loadIdxPair(dir: string, imagesFile: string, labelsFile: string, numClasses: number, limit: number) {
  const imagesPath = join(dir, imagesFile);
  const labelsPath = join(dir, labelsFile);
  const images = idxImages(await parseIdx(await readRegularFile(imagesPath, 'IDX file', MAX_DATA_FILE_BYTES), imagesPath), imagesPath);
  const labels = idxLabels(await parseIdx(await readRegularFile(labelsPath, 'IDX file', MAX_DATA_FILE_BYTES), labelsPath), labelsPath);
  if (images.rows === 0) throw new DataFormatError(`${imagesPath} holds 0 images; expected at least 1`);
  if (images.rows !== labels.length) {
    throw new DataFormatError(`${imagesPath} has ${images.rows} images but ${labelsPath} has ${labels.length} labels`);
  }
  const bad = labels.findIndex((label) => label >= numClasses);
  if (bad >= 0) throw new DataFormatError(`${labelsPath} has label ${labels[bad]} at index ${bad}; expected 0..${numClasses - 1}`);
  return { split: take(images, labels, limit), shape: images.shape, imagesPath };
}

async function loadIdx(dir: string, files: Map<IdxRole, string>, trainLimit: number, testLimit: number): Promise<Dataset> {
  const name = basename(dir);
  const classNames = [...(/fashion/i.test(name) ? FASHION_MNIST_CLASSES : MNIST_CLASSES)];
  const train = await loadIdxPair(dir, files.get('trainImages')!, files.get('trainLabels')!, classNames.length, trainLimit);
  if (testLimit === 0) return { train: train.split, test: noRows(train.split.X.cols), classNames, shape: train.shape, format: 'idx', name };
  const test = await loadIdxPair(dir, files.get('testImages')!, files.get('testLabels')!, classNames.length, testLimit);
  if (train.shape.join('x') !== test.shape.join('x')) {
    throw new DataFormatError(
      `${train.imagesPath} has ${train.shape.join('x')} images but ${test.imagesPath} has ${test.shape.join('x')} images`,
    );
  }
  return { train: train.split, test: test.split, classNames, shape: train.shape, format: 'idx', name };
}

/** Reads batch files in order until `limit` records are loaded. */
async function loadCifarBatches(dir: string, batchFiles: string[], limit: number): Promise<LabeledImages> {
  const parts: { X: Matrix<Uint8Array>; y: Uint8Array }[] = [];
  let rows = 0;
  for (const file of batchFiles) {
    if (rows >= limit) break;
    const path = join(dir, file);
    const part = parseCifar10Batch(await readRegularFile(path, 'CIFAR-10 batch file', MAX_DATA_FILE_BYTES), path);
    parts.push(part);
    rows += part.X.rows;
  }
  rows = Math.min(rows, limit);
  const cols = CIFAR_SHAPE[0] * CIFAR_SHAPE[1] * CIFAR_SHAPE[2];
  const X = allocateBytes(rows * cols, `${rows} CIFAR-10 images`);
  const y = new Uint8Array(rows);
  let row = 0;
  for (const part of parts) {
    const n = Math.min(part.X.rows, rows - row);
    X.set(part.X.data.subarray(0, n * cols), row * cols);
    y.set(part.y.subarray(0, n), row);
    row += n;
  }
  return { X: { data: X, rows, cols }, y };
}

async function readCifarClassNames(path: string): Promise<string[]> {
  const text = new TextDecoder().decode(await readRegularFile(path, 'text file of class names', MAX_META_FILE_BYTES));
  const names = text.split(/\r?\n/).map((line) => line.trim()).filter((line) => line !== '');
  if (names.length !== CIFAR10_CLASSES.length) {
    throw new DataFormatError(`${path} should list ${CIFAR10_CLASSES.length} class names, one per line, got ${names.length}`);
  }
  return names;
}

/** The data_batch_1..k files present, in order; a gap (data_batch_3 missing but data_batch_4 present) is an error. */
function cifarTrainFiles(dir: string, files: Set<string>): string[] {
  const present = CIFAR_TRAIN_FILES.filter((file) => files.has(file));
  const prefix = CIFAR_TRAIN_FILES.slice(0, present.length);
  const gap = prefix.find((file) => !files.has(file));
  if (gap !== undefined) {
    throw new DataFormatError(`CIFAR-10 folder ${dir} is missing ${gap} (found ${present.join(', ')}); batches must start at data_batch_1.bin with no gaps`);
  }
  return prefix;
}

async function loadCifar(dir: string, files: Set<string>, name: string, trainLimit: number, testLimit: number): Promise<Dataset> {
  const trainFiles = cifarTrainFiles(dir, files);
  if (trainFiles.length === 0) throw new DataFormatError(`CIFAR-10 folder ${dir} is incomplete: missing ${CIFAR_TRAIN_FILES[0]}`);
  if (!files.has(CIFAR_TEST_FILE)) throw new DataFormatError(`CIFAR-10 folder ${dir} is incomplete: missing ${CIFAR_TEST_FILE}`);
  const classNames = files.has(CIFAR_META_FILE) ? await readCifarClassNames(join(dir, CIFAR_META_FILE)) : [...CIFAR10_CLASSES];
  const train = await loadCifarBatches(dir, trainFiles, trainLimit);
  const test = testLimit === 0 ? noRows(train.X.cols) : await loadCifarBatches(dir, [CIFAR_TEST_FILE], testLimit);
  return { train, test, classNames, shape: [...CIFAR_SHAPE], format: 'cifar10', name };
}

function looksLikeCifar(files: Set<string>): boolean {
  return files.has(CIFAR_TEST_FILE) || CIFAR_TRAIN_FILES.some((file) => files.has(file));
}

/**
 * Loads an image classification dataset from a folder, detecting its format: IDX (MNIST / Fashion-MNIST file
 * names, plain or .gz) or CIFAR-10 binary (data_batch_1.bin ... data_batch_5.bin and test_batch.bin, directly or
 * in a cifar-10-batches-bin subfolder). Images come back one per row, flattened H x W x C.
 */
export async function loadDataset(dir: string, options: LoadDatasetOptions = {}): Promise<Dataset> {
  if (typeof dir !== 'string') throw new ArgumentTypeError(`Expected dir to be a folder path string, got ${typeof dir}`);
  const trainLimit = checkLimit(options.trainLimit, 'trainLimit', 1);
  const testLimit = checkLimit(options.testLimit, 'testLimit', 0);
  const root = resolve(dir);
  const entries = await listFolder(root);
  const files = new Set(entries);

  const idxFiles = new Map<IdxRole, string>();
  for (const role of IDX_ROLES) {
    const file = idxFileName(files, IDX_FILES[role]);
    if (file !== undefined) idxFiles.set(role, file);
  }
  if (idxFiles.size === IDX_ROLES.length) return loadIdx(root, idxFiles, trainLimit, testLimit);
  if (idxFiles.size > 0) {
    const missing = IDX_ROLES.filter((role) => !idxFiles.has(role)).map((role) => `${IDX_FILES[role]}(.gz)`);
    throw new DataFormatError(`IDX folder ${root} is incomplete: missing ${missing.join(', ')}`);
  }
  if (looksLikeCifar(files)) return loadCifar(root, files, basename(root), trainLimit, testLimit);
  if (files.has(CIFAR_SUBFOLDER)) {
    const sub = join(root, CIFAR_SUBFOLDER);
    const subFiles = new Set(await listFolder(sub));
    if (looksLikeCifar(subFiles)) return loadCifar(sub, subFiles, basename(root), trainLimit, testLimit);
  }
  const found = entries.length === 0 ? 'the folder is empty' : `found: ${entries.slice(0, 10).join(', ')}${entries.length > 10 ? ', ...' : ''}`;
  throw new DataFormatError(
    `No dataset recognized in ${root}: expected IDX files (${Object.values(IDX_FILES).join(', ')}, each optionally .gz) ` +
      `or CIFAR-10 binary files (${CIFAR_TRAIN_FILES[0]} ... ${CIFAR_TRAIN_FILES[4]} and ${CIFAR_TEST_FILE}, ` +
      `possibly in a ${CIFAR_SUBFOLDER} subfolder); ${found}`,
  );
}

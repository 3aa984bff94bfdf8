// The benchmark's data: Fashion-MNIST from disk (or the embedded sample), synthetic CIFAR-10-shaped
// images, and seeded random inputs for the kernel suites.
import { fileURLToPath } from 'node:url';
import { loadDataset } from '../dist/node.js';
import { Random } from '../dist/random.js';

export const SAMPLE_DIR = fileURLToPath(new URL('../data/fashion-mnist-sample', import.meta.url));

/** Seeded floats in [0, 1): the library's own generator (mulberry32), so the bench draws what training draws. */
export function seededRandom(seed) {
  const random = new Random(seed);
  return () => random.next();
}

/** Standard normal values from a [0, 1) generator (Box-Muller). */
export function normalFrom(random) {
  return () => Math.sqrt(-2 * Math.log(1 - random())) * Math.cos(2 * Math.PI * random());
}

/** n random bytes (uniform 0..255), seeded. */
export function randomBytes(n, seed) {
  const random = seededRandom(seed);
  const out = new Uint8Array(n);
  const words = new Uint32Array(out.buffer, 0, n >>> 2);
  for (let i = 0; i < words.length; i++) words[i] = random() * 4294967296;
  for (let i = words.length * 4; i < n; i++) out[i] = random() * 256;
  return out;
}

/** n labels uniform in [0, classes), seeded. */
export function randomLabels(n, classes, seed) {
  const random = seededRandom(seed);
  const y = new Uint8Array(n);
  for (let i = 0; i < n; i++) y[i] = Math.floor(random() * classes);
  return y;
}

/**
 * Fashion-MNIST (trainLimit x 784 train, testLimit test) from `dir`, or the embedded sample
 * when `dir` cannot be read, with a note saying so.
 */
export async function loadFashion(dir, { trainLimit, testLimit }) {
  const options = { trainLimit, testLimit };
  try {
    const dataset = await loadDataset(dir, options);
    return { dataset, dir, fallback: false, note: null };
  } catch (err) {
    const reason = err instanceof Error ? err.message : String(err);
    const dataset = await loadDataset(SAMPLE_DIR, options);
    const note = `Fashion-MNIST not readable at ${dir} (${reason}); using the embedded sample ${SAMPLE_DIR} ` +
      '(at most 10,000 train x 2,000 test), so the workloads are smaller than the targets\'.';
    return { dataset, dir: SAMPLE_DIR, fallback: true, note };
  }
}

/** Synthetic images in the CIFAR-10 shape (rows x 3072 u8, uniform random) with random labels. */
export function syntheticCifar(trainRows, testRows, seed) {
  const cols = 32 * 32 * 3;
  return {
    train: { X: { data: randomBytes(trainRows * cols, seed), rows: trainRows, cols }, y: randomLabels(trainRows, 10, seed + 1) },
    test: { X: { data: randomBytes(testRows * cols, seed + 2), rows: testRows, cols }, y: randomLabels(testRows, 10, seed + 3) },
  };
}

/** The first `rows` rows of a u8 matrix (a view, no copy). */
export function headRows(X, rows) {
  const n = Math.min(rows, X.rows);
  return { data: X.data.subarray(0, n * X.cols), rows: n, cols: X.cols };
}

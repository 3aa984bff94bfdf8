// The command line (src/cli/*.ts, the contract in DESIGN.md "The command line"): runs
// `node dist/cli/main.js ...` as a child process on tiny generated IDX and CIFAR-10 folders and checks
// stdout (one JSON object with --json), stderr (progress, one-line errors) and exit codes (0, 1, 2).
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { init, loadDataset, loadSample, crossValidateKnn, headRows, searchSteps, KNearestNeighbor, LinearSVM, Softmax } from '../dist/node.js';
import { mulberry32 } from './helpers.mjs';
import { idx, makeFolder } from './data-files.mjs';

const MAIN = fileURLToPath(new URL('../dist/cli/main.js', import.meta.url));
const tmp = await mkdtemp(join(tmpdir(), 'simdclass-cli-'));
await init();

// ---- Tiny data sets ----------------------------------------------------------------------------

/**
 * n images of D pixels in 5 classes that kNN can learn but not perfectly: class c has mean intensity
 * 40 + 30c, plus a per-image brightness offset in [-20, 20] and per-pixel noise in [-60, 60].
 */
function learnable(rng, n, D) {
  const X = new Uint8Array(n * D), y = new Uint8Array(n);
  for (let i = 0; i < n; i++) {
    const c = Math.floor(rng() * 5);
    y[i] = c;
    const offset = Math.floor(rng() * 41) - 20;
    for (let j = 0; j < D; j++) X[i * D + j] = Math.max(0, Math.min(255, 40 + 30 * c + offset + Math.floor(rng() * 121) - 60));
  }
  return { X, y };
}

/** CIFAR-10 binary records: label byte, then R, G, B planes of 32x32 (from HWC rows X). */
function cifarBytes({ X, y }) {
  const out = Buffer.alloc(y.length * 3073);
  for (let i = 0; i < y.length; i++) {
    out[i * 3073] = y[i];
    for (let p = 0; p < 1024; p++) for (let c = 0; c < 3; c++) out[i * 3073 + 1 + c * 1024 + p] = X[i * 3072 + p * 3 + c];
  }
  return out;
}

const N_TRAIN = 300, N_TEST = 60;
const rng = mulberry32(1);
const idxTrain = learnable(rng, N_TRAIN, 64), idxTest = learnable(rng, N_TEST, 64);
// 300 x 8x8 training images (gzipped, to cover .gz) and 60 test images.
const IDX_DIR = await makeFolder(tmp, 'digits-idx', {
  'train-images-idx3-ubyte.gz': gzipSync(idx([N_TRAIN, 8, 8], idxTrain.X)),
  'train-labels-idx1-ubyte': idx([N_TRAIN], idxTrain.y),
  't10k-images-idx3-ubyte': idx([N_TEST, 8, 8], idxTest.X),
  't10k-labels-idx1-ubyte': idx([N_TEST], idxTest.y),
});

// CIFAR-10: 160 + 80 training records in two batches, 50 test records.
const cifar1 = learnable(rng, 160, 3072), cifar2 = learnable(rng, 80, 3072), cifarTest = learnable(rng, 50, 3072);
const CIFAR_DIR = await makeFolder(tmp, 'tiny-cifar', {
  'data_batch_1.bin': cifarBytes(cifar1),
  'data_batch_2.bin': cifarBytes(cifar2),
  'test_batch.bin': cifarBytes(cifarTest),
});

// A folder whose training images file ends early.
const fullImages = idx([N_TRAIN, 8, 8], idxTrain.X);
const TRUNCATED_DIR = await makeFolder(tmp, 'truncated-idx', {
  'train-images-idx3-ubyte': fullImages.subarray(0, fullImages.length - 100),
  'train-labels-idx1-ubyte': idx([N_TRAIN], idxTrain.y),
  't10k-images-idx3-ubyte': idx([N_TEST, 8, 8], idxTest.X),
  't10k-labels-idx1-ubyte': idx([N_TEST], idxTest.y),
});

const idxData = await loadDataset(IDX_DIR);
const cifarData = await loadDataset(CIFAR_DIR);

// ---- Running the CLI ---------------------------------------------------------------------------

// The child's environment without colour switches (uvu sets FORCE_COLOR; with NO_COLOR too Node warns on stderr).
const childEnv = { ...process.env };
delete childEnv.FORCE_COLOR;
delete childEnv.NO_COLOR;

/** Runs the CLI in the temp folder (so nothing lands in the repo); stderr is a pipe, not a terminal. */
function cli(...args) {
  const r = spawnSync(process.execPath, [MAIN, ...args], { cwd: tmp, encoding: 'utf8', timeout: 60_000, env: childEnv });
  if (r.error) throw r.error;
  return { code: r.status, signal: r.signal, stdout: r.stdout, stderr: r.stderr, args: args.join(' ') };
}

const describe = (r) => `simdclass ${r.args} -> exit ${r.code}${r.signal ? ` (${r.signal})` : ''}\n--- stdout:\n${r.stdout}--- stderr:\n${r.stderr}`;

/** Exit 0 and stdout is exactly one line holding one JSON object; returns it. */
function jsonOf(r) {
  assert.is(r.code, 0, describe(r));
  assert.ok(r.stdout.endsWith('\n'), `stdout ends with a newline: ${describe(r)}`);
  const lines = r.stdout.split('\n').slice(0, -1);
  assert.is(lines.length, 1, `exactly one line on stdout: ${describe(r)}`);
  let value;
  try {
    value = JSON.parse(lines[0]);
  } catch {
    assert.unreachable(`stdout is not JSON: ${describe(r)}`);
  }
  assert.type(value, 'object');
  assert.ok(value !== null && !Array.isArray(value), 'a JSON object');
  return value;
}

/** Checks that `obj` has each key with the given type ('number' also requires a finite value). */
function checkTypes(obj, types) {
  for (const [key, type] of Object.entries(types)) {
    assert.ok(key in obj, `key ${key} in ${JSON.stringify(obj)}`);
    assert.type(obj[key], type, `type of ${key}`);
    if (type === 'number') assert.ok(Number.isFinite(obj[key]), `${key} is finite: ${obj[key]}`);
  }
}

const stderrLines = (r) => r.stderr.split('\n').filter((l) => l !== '');

/**
 * A failed run: the given exit code, nothing on stdout, and the error as exactly one stderr line
 * "simdclass: ..." matching `message`. `afterLoad`: the error is found after the data set was loaded,
 * so the "data: ..." status line may come first (progress goes to stderr); nothing else may.
 * `preamble`: a RegExp for the progress lines allowed before the error (implies afterLoad).
 */
function checkFailure(r, code, message, { afterLoad = false, preamble = afterLoad ? /^data: / : null } = {}) {
  assert.is(r.code, code, describe(r));
  assert.is(r.stdout, '', `nothing on stdout: ${describe(r)}`);
  assert.ok(r.stderr.endsWith('\n'), `stderr ends with a newline: ${describe(r)}`);
  const lines = stderrLines(r);
  const errors = lines.filter((l) => l.startsWith('simdclass: '));
  assert.is(errors.length, 1, `one error line: ${describe(r)}`);
  assert.is(lines.at(-1), errors[0], `the error is the last line: ${describe(r)}`);
  assert.match(errors[0], message);
  assert.not.match(r.stderr, /\n\s+at /, `no stack trace: ${describe(r)}`);
  if (preamble) assert.ok(lines.slice(0, -1).every((l) => preamble.test(l)), `only status lines (${preamble}) before the error: ${describe(r)}`);
  else assert.is(lines.length, 1, `exactly one line on stderr: ${describe(r)}`);
}

const usageError = (r, message, options) => checkFailure(r, 2, message, options);

// ---- knn ---------------------------------------------------------------------------------------

const Knn = suite('knn');

Knn('--json prints one JSON object with the contract keys; progress only on stderr', async () => {
  const r = cli('knn', '--data', IDX_DIR, '--k', '3', '--metric', 'l1', '--json');
  const out = jsonOf(r);
  checkTypes(out, { model: 'string', k: 'number', metric: 'string', algorithm: 'string', exactShare: 'number', threads: 'number', nTrain: 'number', nTest: 'number', accuracy: 'number', trainMs: 'number', predictMs: 'number' });
  assert.is(out.model, 'knn');
  assert.is(out.k, 3);
  assert.is(out.metric, 'l1');
  assert.is(out.nTrain, N_TRAIN);
  assert.is(out.nTest, N_TEST);
  assert.ok(out.trainMs >= 0 && out.predictMs >= 0);
  // The same model in-process gives the same accuracy.
  const knn = new KNearestNeighbor({ k: 3, metric: 'l1' });
  await knn.train(idxData.train.X, idxData.train.y);
  assert.is(out.accuracy, await knn.score(idxData.test.X, idxData.test.y));
  knn.dispose();
  assert.ok(out.accuracy > 0.4 && out.accuracy < 1, `learnable but not trivial: ${out.accuracy}`);
  assert.match(r.stderr, /kNN k=3 l1/);
  assert.match(r.stderr, /300 train x 60 test/);
  assert.not.match(r.stdout, /kNN k=|data:|%\s*\(/);
});

Knn('--algorithm pyramid gives the accuracy of brute force and reports the share of exact distances', () => {
  const brute = jsonOf(cli('knn', '--data', IDX_DIR, '-k', '3', '--algorithm', 'brute', '--json'));
  const pyramid = jsonOf(cli('knn', '--data', IDX_DIR, '-k', '3', '--algorithm', 'pyramid', '--json'));
  assert.is(brute.algorithm, 'brute');
  assert.is(brute.exactShare, 1);
  assert.is(pyramid.algorithm, 'pyramid');
  assert.is(pyramid.accuracy, brute.accuracy);
  assert.ok(pyramid.exactShare > 0 && pyramid.exactShare <= 1, `exact share ${pyramid.exactShare}`);
});

Knn('defaults are the library\'s (k 1, l2); without --json prints a readable line', () => {
  const out = jsonOf(cli('knn', '--data', IDX_DIR, '--json'));
  const library = new KNearestNeighbor();
  assert.is(out.k, library.k);
  assert.is(out.metric, library.metric);
  assert.is(out.k, 1);
  assert.is(out.metric, 'l2');
  const r = cli('knn', '--data', IDX_DIR, '--metric=l2', '--k=2');
  assert.is(r.code, 0, describe(r));
  assert.match(r.stdout, /kNN \(k=2, l2\): accuracy \d+\.\d\d% on 60 test images/);
});

Knn('reads a CIFAR-10 binary folder', async () => {
  const out = jsonOf(cli('knn', '--data', CIFAR_DIR, '--k', '3', '--metric', 'l1', '--json'));
  assert.is(out.model, 'knn');
  assert.is(out.nTrain, 240);
  assert.is(out.nTest, 50);
  const knn = new KNearestNeighbor({ k: 3, metric: 'l1' });
  await knn.train(cifarData.train.X, cifarData.train.y);
  assert.is(out.accuracy, await knn.score(cifarData.test.X, cifarData.test.y));
  knn.dispose();
});

Knn('--train-limit and --test-limit take the first records', async () => {
  const out = jsonOf(cli('knn', '--data', IDX_DIR, '--k', '1', '--train-limit', '120', '--test-limit', '25', '--json'));
  assert.is(out.nTrain, 120);
  assert.is(out.nTest, 25);
  const knn = new KNearestNeighbor({ k: 1, metric: 'l2' });
  await knn.train(headRows(idxData.train.X, 120), idxData.train.y.subarray(0, 120));
  assert.is(out.accuracy, await knn.score(headRows(idxData.test.X, 25), idxData.test.y.subarray(0, 25)));
  knn.dispose();
  // Across CIFAR batches: 200 = all 160 of batch 1 and 40 of batch 2.
  const cifar = jsonOf(cli('knn', '--data', CIFAR_DIR, '--train-limit', '200', '--test-limit', '7', '--json'));
  assert.is(cifar.nTrain, 200);
  assert.is(cifar.nTest, 7);
  // A limit above the size keeps everything.
  const all = jsonOf(cli('knn', '--data', IDX_DIR, '--train-limit', '5000', '--json'));
  assert.is(all.nTrain, N_TRAIN);
});

Knn('short aliases: -d, -k, -m give the same run as --data, --k, --metric', () => {
  const long = jsonOf(cli('knn', '--data', IDX_DIR, '--k', '3', '--metric', 'l1', '--json'));
  const short = jsonOf(cli('knn', '-d', IDX_DIR, '-k', '3', '-m', 'l1', '--json'));
  const glued = jsonOf(cli('knn', `-d${IDX_DIR}`, '-k3', '-ml1', '--json'));
  for (const out of [short, glued]) {
    assert.is(out.k, 3);
    assert.is(out.metric, 'l1');
    assert.is(out.accuracy, long.accuracy);
  }
});

Knn.run();

// ---- linear ------------------------------------------------------------------------------------

const Linear = suite('linear');

for (const loss of ['svm', 'softmax']) {
  Linear(`--loss ${loss} --json prints the contract keys; --save writes a model fromJSON loads`, async () => {
    const modelPath = join(tmp, `${loss}-model.json`);
    const r = cli('linear', '--data', IDX_DIR, '--loss', loss, '--learning-rate', '1e-3', '--reg', '1e-3', '--iters', '50', '--save', modelPath, '--json');
    const out = jsonOf(r);
    checkTypes(out, { model: 'string', threads: 'number', nTrain: 'number', nTest: 'number', accuracy: 'number', trainMs: 'number', predictMs: 'number', finalLoss: 'number' });
    assert.is(out.model, loss);
    assert.is(out.nTrain, N_TRAIN);
    assert.is(out.nTest, N_TEST);
    assert.ok(out.accuracy >= 0 && out.accuracy <= 1);
    assert.ok(out.finalLoss >= 0);
    assert.match(r.stderr, new RegExp(`${loss} SGD`));
    assert.ok(existsSync(modelPath), 'model file written');
    const json = JSON.parse(readFileSync(modelPath, 'utf8'));
    assert.is(json.model, loss);
    assert.is(json.numFeatures, 64);
    const Model = loss === 'svm' ? LinearSVM : Softmax;
    const model = Model.fromJSON(json);
    assert.is(model.numFeatures, 64);
    assert.is(model.numClasses, 5);
    // The loaded model reproduces the accuracy the CLI reported.
    assert.is(await model.score(idxData.test.X, idxData.test.y), out.accuracy);
    model.dispose();
  });
}

Linear('is deterministic for a seed; honours the limits and --batch-size', () => {
  const args = (seed) => ['linear', '--data', IDX_DIR, '--loss', 'softmax', '--learning-rate', '1e-5', '--reg', '0.5', '--iters', '20',
    '--batch-size', '16', '--seed', String(seed), '--train-limit', '100', '--test-limit', '30', '--json'];
  const a = jsonOf(cli(...args(3))), b = jsonOf(cli(...args(3)));
  assert.is(a.nTrain, 100);
  assert.is(a.nTest, 30);
  assert.is(a.finalLoss, b.finalLoss);
  assert.is(a.accuracy, b.accuracy);
  const c = jsonOf(cli(...args(4)));
  assert.is.not(c.finalLoss, a.finalLoss, 'another seed draws other minibatches');
});

Linear('learning rate and reg default by the kind of data (IDX: 3e-6 / 1e2; CIFAR-10: the lecture\'s 1e-7 / 2.5e4), said on stderr', () => {
  const idxRun = cli('linear', '--data', IDX_DIR, '--iters', '5', '--json');
  const idxOut = jsonOf(idxRun);
  assert.is(idxOut.learningRate, 3e-6);
  assert.is(idxOut.reg, 100);
  assert.match(idxRun.stderr, /defaults for IDX data: learning rate 3e-6, reg 100/);
  const cifarRun = cli('linear', '--data', CIFAR_DIR, '-l', 'softmax', '--iters', '5', '--json');
  const cifarOut = jsonOf(cifarRun);
  assert.is(cifarOut.model, 'softmax');
  assert.is(cifarOut.learningRate, 1e-7);
  assert.is(cifarOut.reg, 2.5e4);
  assert.match(cifarRun.stderr, /defaults for CIFAR-10 data: learning rate 1e-7, reg 25000/);
  // Given values win, and no defaults note.
  const given = cli('linear', '--data', IDX_DIR, '--iters', '5', '--learning-rate', '1e-5', '--reg', '3', '--json');
  assert.is(jsonOf(given).learningRate, 1e-5);
  assert.is(jsonOf(given).reg, 3);
  assert.not.match(given.stderr, /defaults for/);
});

Linear('without --json prints a readable line', () => {
  const r = cli('linear', '--data', CIFAR_DIR, '--loss', 'svm', '--learning-rate', '1e-7', '--reg', '10', '--iters', '5');
  assert.is(r.code, 0, describe(r));
  assert.match(r.stdout, /^svm: accuracy \d+\.\d\d% on 50 test images; final loss \d/);
});

Linear.run();

// ---- cv ----------------------------------------------------------------------------------------

const Cv = suite('cv');

Cv('--json equals crossValidateKnn in-process; --plot writes an SVG', async () => {
  const plot = join(tmp, 'cv.svg');
  const r = cli('cv', '--data', IDX_DIR, '--ks', '1,3,5', '--folds', '3', '--plot', plot, '--json');
  const out = jsonOf(r);
  assert.equal(Object.keys(out).sort(), ['algorithm', 'bestK', 'folds', 'metric', 'nTrain', 'results', 'search', 'threads']);
  assert.equal(out.search.algorithms.length, 3);
  assert.is(out.metric, 'l2');
  assert.is(out.nTrain, N_TRAIN);
  assert.is(out.folds, 3);
  assert.is(out.results.length, 3);
  for (const res of out.results) {
    checkTypes(res, { k: 'number', mean: 'number', std: 'number' });
    assert.ok(Array.isArray(res.accuracies) && res.accuracies.length === 3);
  }
  const expected = await crossValidateKnn(idxData.train.X, idxData.train.y, { ks: [1, 3, 5], folds: 3, metric: 'l2' });
  assert.equal(out, JSON.parse(JSON.stringify({ algorithm: 'auto', metric: 'l2', nTrain: N_TRAIN, threads: out.threads, ...expected })));
  assert.ok(existsSync(plot), 'plot written');
  const svg = readFileSync(plot, 'utf8');
  assert.match(svg, /^(<\?xml[^>]*>\s*)?<svg[\s>]/);
  assert.match(svg, /<\/svg>\s*$/);
  assert.match(r.stderr, /3-fold CV \(l2\)/);
});

Cv('--metric l1 and --train-limit, on CIFAR-10 too', async () => {
  const out = jsonOf(cli('cv', '--data', IDX_DIR, '--ks', '10,2', '--folds', '4', '--metric', 'l1', '--train-limit', '120', '--json'));
  const expected = await crossValidateKnn(headRows(idxData.train.X, 120), idxData.train.y.subarray(0, 120), { ks: [10, 2], folds: 4, metric: 'l1' });
  assert.equal(out, JSON.parse(JSON.stringify({ algorithm: 'auto', metric: 'l1', nTrain: 120, threads: out.threads, ...expected })));
  const cifar = jsonOf(cli('cv', '--data', CIFAR_DIR, '--ks', '1,5', '--folds', '2', '--json'));
  const cifarExpected = await crossValidateKnn(cifarData.train.X, cifarData.train.y, { ks: [1, 5], folds: 2, metric: 'l2' });
  assert.equal(cifar, JSON.parse(JSON.stringify({ algorithm: 'auto', metric: 'l2', nTrain: 240, threads: cifar.threads, ...cifarExpected })));
});

Cv('without --json prints one line per k, the best k and how the folds searched', () => {
  const r = cli('cv', '--data', IDX_DIR, '--ks', '1,3', '--folds', '2');
  assert.is(r.code, 0, describe(r));
  const lines = r.stdout.trimEnd().split('\n');
  assert.is(lines.length, 4);
  assert.match(lines[0], /^k=\s*1\s+accuracy \d+\.\d\d% ± \d+\.\d\d/);
  assert.match(lines[2], /^best k: [13]$/);
  assert.match(lines[3], /^searched by (brute|pyramid) in 2\/2 folds, [\d.]+% of the exact distances computed$/);
});

Cv('without --ks: the library\'s list, less the ks above the smallest training fold', async () => {
  const out = jsonOf(cli('cv', '--data', IDX_DIR, '--folds', '5', '--train-limit', '60', '--json'));
  const expected = await crossValidateKnn(headRows(idxData.train.X, 60), idxData.train.y.subarray(0, 60), { folds: 5 });
  assert.equal(out.results.map((r) => r.k), [1, 3, 5, 8, 10, 12, 15, 20]);
  assert.equal(out, JSON.parse(JSON.stringify({ algorithm: 'auto', metric: 'l2', nTrain: 60, threads: out.threads, ...expected })));
});

Cv('the best k is a note on stderr whether or not stderr is a terminal (here a pipe)', () => {
  const r = cli('cv', '--data', IDX_DIR, '--ks', '1,3', '--folds', '2', '--json');
  const best = jsonOf(r).bestK;
  assert.match(r.stderr, new RegExp(`^2-fold CV \\(l2\\): 100% \\(300/300\\) in [\\d.]+ s; best k = ${best} \\(`, 'm'));
});

Cv.run();

// ---- demo --------------------------------------------------------------------------------------

const Demo = suite('demo');

Demo('--quick on a given folder writes the report and prints the table', () => {
  const out = join(tmp, 'report-out');
  const r = cli('demo', '--data', IDX_DIR, '--quick', '--out', out);
  assert.is(r.code, 0, describe(r));
  assert.ok(existsSync(join(out, 'index.html')), 'index.html written');
  assert.match(readFileSync(join(out, 'index.html'), 'utf8'), /<html/i);
  const lines = r.stdout.trimEnd().split('\n');
  assert.match(lines[0], /^model\s+hyperparameters\s+validation\s+test\s+train\s+predict$/);
  assert.match(lines[1], /^-+( +-+){5}$/);
  // One row per model: the cross-validated kNN for L1 and for L2, Linear SVM, Softmax, each with a validation and a test accuracy.
  const rows = lines.slice(2, 6);
  for (const [i, name] of [/^kNN \(k=\d+, L1\) /, /^kNN \(k=\d+, L2\) /, /^Linear SVM /, /^Softmax /].entries()) {
    assert.match(rows[i], name, describe(r));
    assert.match(rows[i], /\d+\.\d\d% +\d+\.\d\d% /, `a validation and a test accuracy: ${rows[i]}`);
  }
  // The model kept is the best by validation accuracy (the test column chooses nothing).
  const val = rows.map((row) => Number(/ (\d+\.\d\d)% +\d+\.\d\d% /.exec(row)[1]));
  const chosen = rows[val.indexOf(Math.max(...val))].split(/\s{2,}/)[0];
  assert.ok(lines.at(-1).startsWith(`chosen by validation accuracy: ${chosen} (`), `${lines.at(-1)}: ${chosen}`);
  const html = readFileSync(join(out, 'index.html'), 'utf8');
  assert.match(html, new RegExp(`<tr class="best"><td data-label="Model"><b>${chosen.replace(/[()]/g, '\\$&')}</b>`));
  assert.match(html, new RegExp(`the prediction of the chosen model, ${chosen.replace(/[()]/g, '\\$&')}`));
  // Notes reach stderr through a pipe: the k each cross-validation chose, the grid search's best.
  assert.match(r.stderr, /kNN 3-fold CV \(l1\): 100% .*best k = \d+/);
  assert.match(r.stderr, /kNN 3-fold CV \(l2\): 100% .*best k = \d+/);
  assert.match(r.stderr, /^svm: best lr \S+, reg \S+ \(\d+\.\d\d% validation\)/m);
  assert.match(r.stderr, /report: .*index\.html/);
  assert.not.match(r.stderr, /\x1b/, 'no escape codes into a pipe');
});

// ---- the report's kNN search statistics (KNearestNeighbor.lastStats) --------------------------------

const unescapeHtml = (text) => text.replace(/&(amp|lt|gt|quot|#39);/g, (_, e) => ({ amp: '&', lt: '<', gt: '>', quot: '"', '#39': "'" })[e]);
const fmt = (n) => n.toLocaleString('en-US');
/** The share the report should print, computed here: two significant digits, 100% for the whole. */
const shareText = (n, pairs) => (n === pairs ? '100%' : `${((100 * n) / pairs).toPrecision(2)}%`);
/** A lastStats.reason with the times of 'auto''s timed sample masked: a search run again takes other times. */
const untimed = (reason) => reason.replace(/\d+(\.\d+)? ms\b/g, '# ms');

/**
 * The "How kNN searched" cards of a report: per kNN model its name, the data attributes, the
 * funnel's rows as shown (label, share, count) and the line under it.
 */
function searchCards(html) {
  const section = /<section id="knn-search">([\s\S]*?)<\/section>/.exec(html);
  if (!section) return null;
  const cards = [...section[1].matchAll(/<div class="card search" data-algorithm="(\w+)" data-queries="(\d+)" data-rows="(\d+)" data-exact="(\d+)"><h3>(.*?) <span class="chip">([^<]*)<\/span><\/h3><ol class="funnel"[^>]*>(.*?)<\/ol><p class="note search-line">(.*?)<\/p><\/div>/g)];
  return cards.map((m) => ({
    algorithm: m[1], queries: Number(m[2]), rows: Number(m[3]), exact: Number(m[4]), name: unescapeHtml(m[5]), chip: m[6], line: unescapeHtml(m[8]),
    steps: [...m[7].matchAll(/<li data-count="(\d+)"><span class="what">([^<]*)<\/span><span class="track"><span style="width:([\d.]+)%"><\/span><\/span><span class="val"><b>([^<]*)<\/b> ([\d,]+)<\/span><\/li>/g)]
      .map((s) => ({ count: Number(s[1]), label: s[2], width: Number(s[3]), share: s[4], shown: s[5] })),
  }));
}

/** The lastStats of predicting `test` with a model trained on `train` (k, metric, algorithm, shape as given). */
async function statsOf(train, test, options, shape) {
  const knn = new KNearestNeighbor(options);
  try {
    await knn.train(train.X, train.y, { shape });
    await knn.predict(test.X);
    return knn.lastStats;
  } finally {
    knn.dispose();
  }
}

/**
 * A card shows `stats` (lastStats of the same search run here): its algorithm, the work, one bar per
 * pyramid level and one for the exact distances, each with its count and its share of queries x rows
 * computed here, and the line with the numbers and, at its end, stats.reason (times masked).
 */
function checkCard(card, stats, what) {
  const pairs = stats.queries * stats.rows;
  assert.is(card.algorithm, stats.algorithm, `${what}: algorithm`);
  assert.is(card.chip, stats.algorithm === 'pyramid' ? 'pyramid' : 'brute force', `${what}: the chip names it`);
  assert.equal([card.queries, card.rows, card.exact], [stats.queries, stats.rows, stats.exact], `${what}: queries, rows, exact distances`);
  const expected = searchSteps(stats).map((st) => [st.label, st.count]);
  assert.equal(card.steps.map((st) => st.label), expected.map(([label]) => label), `${what}: one bar per level, then the exact distances`);
  card.steps.forEach((st, i) => {
    const n = expected[i][1];
    assert.is(st.count, n, `${what}: ${st.label}: count`);
    assert.is(st.shown, fmt(n), `${what}: ${st.label}: the count shown`);
    assert.is(st.share, shareText(n, pairs), `${what}: ${st.label}: the share shown (${n} of ${pairs})`);
    assert.ok(Math.abs(st.width - (100 * n) / pairs) < 0.01, `${what}: ${st.label}: the bar is ${st.width}% wide, for ${(100 * n) / pairs}%`);
  });
  if (stats.algorithm === 'pyramid') {
    assert.ok(card.line.startsWith(`Pyramid search: ${fmt(stats.exact)} exact distances for ${fmt(stats.queries)} test images × ${fmt(stats.rows)} training rows, ` +
      `${shareText(stats.exact, pairs)} of the ${fmt(pairs)} that brute force computes, ${Number((pairs / stats.exact).toPrecision(3))}× fewer`), `${what}: ${card.line}`);
  } else {
    assert.is(stats.exact, pairs, `${what}: brute force computes every distance`);
    assert.ok(card.line.startsWith(`Brute force: ${fmt(pairs)} exact distances (${fmt(stats.queries)} test images × ${fmt(stats.rows)} training rows, every pair): `), `${what}: ${card.line}`);
  }
  assert.ok(stats.reason, `${what}: lastStats has a reason`);
  const reason = (stats.algorithm === 'pyramid' ? /; the same neighbours; chosen because: (.*)\.$/ : /, every pair\): (.*)\.$/).exec(card.line)?.[1];
  assert.is(untimed(reason ?? ''), untimed(stats.reason), `${what}: the line ends with lastStats.reason: ${card.line}`);
}

Demo('the report shows how each kNN model searched: brute force on a small set, and why', async () => {
  const out = join(tmp, 'report-search');
  const r = cli('demo', '--data', IDX_DIR, '--quick', '--out', out);
  assert.is(r.code, 0, describe(r));
  const html = readFileSync(join(out, 'index.html'), 'utf8');
  assert.match(html, /<nav>.*<a href="#knn-search">How kNN searched<\/a>/);
  const cards = searchCards(html);
  assert.ok(cards, 'the report has the section');
  assert.equal(cards.map((c) => c.name.replace(/k=\d+/, 'k=K')), ['kNN (k=K, L1)', 'kNN (k=K, L2)'], 'one card per kNN model');
  for (const card of cards) {
    const k = Number(/k=(\d+)/.exec(card.name)[1]), metric = /L1/.test(card.name) ? 'l1' : 'l2';
    // The demo's model, with the default 'auto', run here on the same data: 300 rows are too few for a pyramid.
    const stats = await statsOf(idxData.train, idxData.test, { k, metric }, [8, 8, 1]);
    assert.is(stats.algorithm, 'brute');
    assert.is(stats.exact, N_TEST * N_TRAIN);
    checkCard(card, stats, card.name);
    // The status line on stderr says it too.
    assert.match(r.stderr, new RegExp(`^kNN k=${k} ${metric} on the test set: 100% .*; brute force: ${fmt(N_TEST * N_TRAIN)} exact distances$`, 'm'));
  }
});

Demo('on the embedded sample (10,000 x 2,000) the report shows the search \'auto\' chose, with lastStats\' numbers', async () => {
  const out = join(tmp, 'report-sample');
  const r = cli('demo', '--quick', '--out', out);
  assert.is(r.code, 0, describe(r));
  const cards = searchCards(readFileSync(join(out, 'index.html'), 'utf8'));
  assert.is(cards?.length, 2, 'two kNN cards');
  const sample = await loadSample();
  assert.equal([sample.train.X.rows, sample.test.X.rows], [10000, 2000]);
  for (const card of cards) {
    const k = Number(/k=(\d+)/.exec(card.name)[1]), metric = /L1/.test(card.name) ? 'l1' : 'l2';
    // The demo's search run again with 'auto'. On 10,000 rows 'auto' times both searches and keeps the
    // faster (the pyramid, as a rule): if here it kept the other, the numbers are those of the one the
    // report names, forced, and the reason 'auto''s (its times differ from run to run anyway).
    let stats = await statsOf(sample.train, sample.test, { k, metric }, sample.shape);
    if (stats.algorithm !== card.algorithm) stats = { ...await statsOf(sample.train, sample.test, { k, metric, algorithm: card.algorithm }, sample.shape), reason: stats.reason };
    checkCard(card, stats, card.name);
    assert.match(stats.reason, /^'auto': on 62 queries, brute force took [\d.]+ ms and the pyramid [\d.]+ ms$/);
    if (card.algorithm === 'pyramid') {
      // L2 bounds first on 16 axes of the 2x2 sums (below the rows that pixel axes need), L1 on 7x7 sums.
      const first = metric === 'l2' ? '16-axis projection bound (2×2 sums)' : '7×7 block-sum bound';
      assert.equal(card.steps.map((s) => s.label), [first, '2×2 block-sum bound', 'exact distance'], 'blocks follow the 28 x 28 images');
      assert.ok(stats.exact < stats.queries * stats.rows / 3, `the pyramid skips most distances: ${stats.exact} of ${stats.queries * stats.rows}`);
      assert.match(r.stderr, new RegExp(`^kNN k=${k} ${metric} on the test set: 100% .*; pyramid: ${card.steps.map((s) => s.share.replace('.', '\\.')).join(' → ')} exact distances$`, 'm'));
    }
    process.stderr.write(`  demo report, ${card.name}: ${card.line}\n`);
  }
});

Demo('writeReport: a pyramid and a brute-force search are drawn as funnels with the numbers and reasons of lastStats', async () => {
  const { writeReport, searchSummary } = await import('../dist/cli/report.js');
  const sample = await loadSample({ trainLimit: 3000, testLimit: 200 });
  // Forced: 'pyramid' on 3,000 rows (fewer than 'auto' builds one for), blocks following the images.
  const stats = await statsOf(sample.train, sample.test, { k: 3, metric: 'l2', algorithm: 'pyramid' }, sample.shape);
  assert.is(stats.algorithm, 'pyramid');
  assert.equal(stats.levels.map((l) => [l.block, l.axes, l.dims]), [[null, [2, 2], 16], [[2, 2], null, 196]], '16 axes of the 2x2 sums, then the 2x2 sums of the 28 x 28 images');
  assert.ok(stats.levels[0].reached > 0 && stats.levels[0].reached <= 200 * 3000, 'the coarsest level bounds the rows of the groups within reach');
  const brute = await statsOf(sample.train, sample.test, { k: 3, metric: 'l2', algorithm: 'brute' }, sample.shape);
  assert.equal([brute.algorithm, brute.queries, brute.rows, brute.exact], ['brute', 200, 3000, 600000]);
  const base = { title: 'search', datasetName: 'sample', shape: [28, 28, 1], classNames: ['a', 'b'], nTrain: 3000, nTest: 200,
    machine: { cpu: 'cpu', cores: 2, node: 'v20', build: 'simd' }, createdAt: '2025-01-01T00:00:00Z' };
  const model = (name, search) => ({ name, hyperparameters: { k: 3 }, testAccuracy: 0.8, trainMs: 1, predictMs: 1, confusion: new Int32Array(4), search });
  const dir = join(tmp, 'report-funnel');
  const { indexPath, files } = await writeReport(dir, { ...base, models: [
    model('kNN pyramid', stats),
    model('kNN brute', brute),
    model('Softmax', undefined),
  ] });
  const html = readFileSync(indexPath, 'utf8');
  assert.not.match(html, /https?:\/\/|<script|<link/i, 'self-contained');
  assert.ok(files.every((f) => !/search|funnel/.test(f.slice(dir.length))), 'the funnel is HTML in the page, no extra file');
  const cards = searchCards(html);
  assert.equal(cards.map((c) => c.name), ['kNN pyramid', 'kNN brute'], 'a card per model with a search, none for the others');
  checkCard(cards[0], stats, 'forced pyramid');
  checkCard(cards[1], brute, 'forced brute force');
  // No reason (no search chose yet), no dangling colon.
  assert.is(searchSummary({ ...brute, reason: '' }), 'Brute force: 600,000 exact distances (200 test images × 3,000 training rows, every pair).');
});

Demo.run();

// ---- the demo's widened grid search (src/cli/grid.ts) ----------------------------------------------

const Grid = suite('widenedGridSearch');

/** A fake evaluate(): validation accuracy from `score(lr, reg)`, every call and pair recorded. */
function fakeGrid(score) {
  const calls = [];
  const evaluate = async (lrs, regs) => {
    calls.push([lrs, regs]);
    return lrs.flatMap((learningRate) => regs.map((reg) => {
      const valAccuracy = score(learningRate, reg);
      return { learningRate, reg, valAccuracy, trainAccuracy: valAccuracy, finalLoss: Number.isNaN(valAccuracy) ? NaN : 1, history: [1] };
    }));
  };
  return { evaluate, calls };
}

Grid('a best cell inside the grid: one search, no widening', async () => {
  const { widenedGridSearch } = await import('../dist/cli/grid.js');
  const { evaluate, calls } = fakeGrid((lr, reg) => -Math.abs(Math.log10(lr / 3e-6)) - Math.abs(Math.log10(reg / 1e2)));
  const g = await widenedGridSearch(evaluate, [1e-6, 3e-6, 1e-5], [1e1, 1e2, 1e3]);
  assert.is(calls.length, 1);
  assert.equal([g.best.learningRate, g.best.reg], [3e-6, 1e2]);
  assert.equal(g.widenings, []);
  assert.is(g.stillOnEdge, false);
});

Grid('a best cell on an edge: the grid grows past it by its own ratio until the best is inside', async () => {
  const { widenedGridSearch } = await import('../dist/cli/grid.js');
  // The peak is at lr 1e-6 (the low edge) and reg 1e4 (past the high edge).
  const { evaluate } = fakeGrid((lr, reg) => -Math.abs(Math.log10(lr / 1e-6)) - Math.abs(Math.log10(reg / 1e4)));
  const g = await widenedGridSearch(evaluate, [1e-6, 3e-6, 1e-5], [1e1, 1e2, 1e3]);
  assert.equal([g.best.learningRate, g.best.reg], [1e-6, 1e4]);
  assert.equal(g.widenings.map((w) => [w.axis, w.direction, w.value]), [['learningRate', 'lower', 3.33e-7], ['reg', 'higher', 1e4], ['reg', 'higher', 1e5]]);
  assert.equal(g.widenings[0].from, { learningRate: 1e-6, reg: 1e3 });
  assert.is(g.stillOnEdge, false);
  // Always a full cross product: every (lr, reg) of the final axes, once.
  assert.equal(g.learningRates, [3.33e-7, 1e-6, 3e-6, 1e-5]);
  assert.equal(g.regs, [1e1, 1e2, 1e3, 1e4, 1e5]);
  assert.is(g.points.length, 4 * 5);
  assert.is(new Set(g.points.map((p) => `${p.learningRate}/${p.reg}`)).size, 20);
});

Grid('bounded: at most maxRounds rounds and never past the bounds; says when the best is still on an edge', async () => {
  const { widenedGridSearch } = await import('../dist/cli/grid.js');
  // More reg is always better; lr 1e-6 is best.
  const { evaluate } = fakeGrid((lr, reg) => Math.log10(reg) - 0.01 * Math.abs(Math.log10(lr / 1e-6)));
  const g = await widenedGridSearch(evaluate, [1e-6], [1e1, 1e2], { maxRounds: 2 });
  assert.equal(g.regs, [1e1, 1e2, 1e3, 1e4]);
  assert.is(g.stillOnEdge, true);
  // A single learning rate is widened both ways in the first round.
  assert.equal(g.learningRates, [1e-7, 1e-6, 1e-5]);
  const capped = await widenedGridSearch(fakeGrid((lr, reg) => Math.log10(reg)).evaluate, [1e-6, 3e-6, 1e-5], [1e5, 1e6], { maxRounds: 5 });
  assert.equal(capped.regs, [1e5, 1e6, 1e7], 'stops at the upper bound of reg (1e7)');
  assert.is(capped.stillOnEdge, false, 'nothing left to widen within the bounds');
});

Grid('diverged cells (NaN loss) are never the best, and a row that all diverged stops the widening there', async () => {
  const { widenedGridSearch } = await import('../dist/cli/grid.js');
  const { evaluate } = fakeGrid((lr) => (lr > 1e-5 ? NaN : Math.log10(lr)));
  const g = await widenedGridSearch(evaluate, [1e-6, 3e-6, 1e-5], [1e2]);
  assert.is(g.best.learningRate, 1e-5);
  assert.ok(g.points.some((p) => p.learningRate > 1e-5 && Number.isNaN(p.finalLoss)), 'the higher learning rate was tried');
  assert.is(g.learningRates.length, 4, 'and not widened again past the diverged one');
});

Grid.run();

// ---- predict -------------------------------------------------------------------------------------

const Predict = suite('predict');

Predict('knn --save and linear --save (binary or .json) then predict --model: the same accuracy; --out writes CSV', async () => {
  const knnPath = join(tmp, 'model.knn'), svmPath = join(tmp, 'model.svm'), jsonPath = join(tmp, 'softmax.json'), csv = join(tmp, 'predictions.csv');
  const knn = jsonOf(cli('knn', '--data', IDX_DIR, '-k', '3', '--save', knnPath, '--json'));
  const fromKnn = jsonOf(cli('predict', '--model', knnPath, '--data', IDX_DIR, '--out', csv, '--json'));
  assert.equal(Object.keys(fromKnn).sort(), ['accuracy', 'model', 'nTest', 'predictMs', 'threads']);
  assert.is(fromKnn.model, 'knn');
  assert.is(fromKnn.nTest, N_TEST);
  assert.is(fromKnn.accuracy, knn.accuracy);
  const lines = readFileSync(csv, 'utf8').trim().split('\n');
  assert.is(lines[0], 'index,label,predicted');
  assert.is(lines.length, N_TEST + 1);
  const correct = lines.slice(1).filter((line) => { const [, label, predicted] = line.split(','); return label === predicted; }).length;
  assert.is(correct / N_TEST, knn.accuracy);
  for (const [loss, path] of [['svm', svmPath], ['softmax', jsonPath]]) {
    const trained = jsonOf(cli('linear', '--data', IDX_DIR, '-l', loss, '--iters', '100', '--save', path, '--json'));
    const again = jsonOf(cli('predict', '--model', path, '--data', IDX_DIR, '--test-limit', '20', '--json'));
    assert.is(again.model, loss);
    assert.is(again.nTest, 20);
    const whole = jsonOf(cli('predict', '--model', path, '--data', IDX_DIR, '--json'));
    assert.is(whole.accuracy, trained.accuracy, `${loss}: the saved model predicts as the trained one`);
  }
  assert.ok(readFileSync(jsonPath, 'utf8').startsWith('{'), 'a .json path gets the JSON form');
});

Predict('output paths are checked before any training; a missing or corrupt model is a one-line error', async () => {
  const missingDir = join(tmp, 'no-such-folder', 'model.knn');
  for (const args of [['knn', '--save', missingDir], ['linear', '--save', missingDir], ['cv', '--plot', join(tmp, 'nope', 'cv.svg')], ['predict', '--model', join(tmp, 'model.knn'), '--out', join(tmp, 'nope', 'p.csv')]]) {
    const r = cli(...args, '--data', IDX_DIR);
    usageError(r, /cannot be written \(ENOENT/);
  }
  usageError(cli('predict', '--data', IDX_DIR), /--model FILE is required/);
  checkFailure(cli('predict', '--model', join(tmp, 'absent.knn'), '--data', IDX_DIR), 1, /absent\.knn.*ENOENT/);
  const bad = join(tmp, 'bad.knn');
  writeFileSync(bad, 'SIMDCLS\0 not really');
  checkFailure(cli('predict', '--model', bad, '--data', IDX_DIR), 1, /bad\.knn: Not a simdclass model file/);
});

Predict.run();

// ---- help --------------------------------------------------------------------------------------

const Help = suite('help');

const COMMAND_FLAGS = {
  knn: ['--data', '--k', '--metric', '--algorithm', '--train-limit', '--test-limit', '--save', '--threads', '--json'],
  linear: ['--data', '--loss', '--learning-rate', '--reg', '--iters', '--batch-size', '--seed', '--train-limit', '--test-limit', '--save', '--threads', '--json'],
  predict: ['--model', '--data', '--test-limit', '--out', '--threads', '--json'],
  cv: ['--data', '--ks', '--folds', '--metric', '--algorithm', '--train-limit', '--plot', '--threads', '--json'],
  demo: ['--data', '--train-limit', '--test-limit', '--out', '--quick', '--threads'],
  bench: ['--quick', '--json', '--data', '--filter', '--peers', '--threads'],
};

/** The option lines of a --help text: { flag: { short, value, text } }, the text with its continuation lines. */
function helpOptions(stdout) {
  const options = {};
  let last = null;
  for (const line of stdout.split('\n\nOptions:\n')[1].split('\n\n')[0].split('\n')) {
    const m = /^  (?:-(\w), |    )--([\w-]+)(?: (\S+))?\s+(.*)$/.exec(line);
    if (m) options[last = m[2]] = { short: m[1], value: m[3], text: m[4] };
    else options[last].text += ` ${line.trim()}`;
  }
  return options;
}

Help('every command --help: exit 0, usage and exactly its flags (from the one flag table) on stdout', async () => {
  const { FLAGS, flagsOf } = await import('../dist/cli/flags.js');
  for (const [name, flags] of Object.entries(COMMAND_FLAGS)) {
    const r = cli(name, '--help');
    assert.is(r.code, 0, describe(r));
    assert.ok(r.stdout.startsWith(`Usage: simdclass ${name}`), describe(r));
    const options = helpOptions(r.stdout);
    assert.equal(Object.keys(options).sort(), [...flags, '--help', '--version'].map((f) => f.slice(2)).sort(), `${name} --help lists its flags`);
    assert.equal(Object.keys(options).sort(), Object.keys(flagsOf(name)).sort());
    for (const [flag, o] of Object.entries(options)) {
      const spec = FLAGS[flag];
      assert.is(o.short, spec.short, `${name} --${flag}: short alias`);
      const usage = r.stdout.split('\n\n')[0];
      if (flag !== 'help' && flag !== 'version') assert.ok(usage.includes(`[${spec.short ? `-${spec.short}` : `--${flag}`}`), `${name}: the usage shows --${flag} as optional`);
      const def = spec.for?.[name]?.defaultText ?? spec.defaultText ?? spec.for?.[name]?.default ?? spec.default;
      if (def !== undefined && spec.type !== 'bool') assert.ok(o.text.includes(`(default: ${Array.isArray(def) ? def.join(',') : def})`), `${name} --${flag} shows its default: ${o.text}`);
    }
    assert.is(r.stderr, '', `nothing on stderr: ${describe(r)}`);
  }
});

Help('the defaults in --help are the library\'s and the ones the commands use', () => {
  const knn = helpOptions(cli('knn', '--help').stdout);
  const library = new KNearestNeighbor();
  assert.match(knn.k.text, new RegExp(`\\(default: ${library.k}\\)`));
  assert.match(knn.metric.text, new RegExp(`\\(default: ${library.metric}\\)`));
  assert.match(helpOptions(cli('cv', '--help').stdout).metric.text, new RegExp(`\\(default: ${library.metric}\\)`));
  const linear = helpOptions(cli('linear', '--help').stdout);
  assert.match(linear['learning-rate'].text, /\(default: 1e-7 on CIFAR-10, 3e-6 on IDX\)/);
  assert.match(linear.reg.text, /\(default: 2\.5e4 on CIFAR-10, 1e2 on IDX\)/);
  assert.match(linear.loss.text, /\(default: svm\)/);
  assert.match(helpOptions(cli('knn', '--help').stdout)['test-limit'].text, /first N test images/);
});

Help('--version and -v print the package version; so does a command given --version', () => {
  const { version } = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8'));
  for (const args of [['--version'], ['-v'], ['knn', '--version'], ['cv', '-v']]) {
    const r = cli(...args);
    assert.is(r.code, 0, describe(r));
    assert.is(r.stdout, `simdclass ${version}\n`);
    assert.is(r.stderr, '');
  }
});

Help('--help wins over other arguments', () => {
  const r = cli('knn', '--data', join(tmp, 'missing'), '--k', 'abc', '--help');
  assert.is(r.code, 0, describe(r));
  assert.ok(r.stdout.startsWith('Usage: simdclass knn'));
});

Help('simdclass --help lists the commands on stdout; bare simdclass prints the usage on stderr and exits 2', () => {
  for (const flag of ['--help', '-h', 'help']) {
    const r = cli(flag);
    assert.is(r.code, 0, describe(r));
    assert.match(r.stdout, /^Usage: simdclass <command>/);
    for (const name of Object.keys(COMMAND_FLAGS)) assert.match(r.stdout, new RegExp(`\\n  ${name} `));
    assert.is(r.stderr, '');
  }
  const r = cli();
  assert.is(r.code, 2, describe(r));
  assert.is(r.stdout, '');
  assert.match(r.stderr, /^Usage: simdclass <command>/);
  assert.match(r.stderr, /\n  knn /);
});

Help.run();

// ---- on a terminal -------------------------------------------------------------------------------

const Terminal = suite('terminal');
const SCRIPT = ['/usr/bin/script', '/bin/script'].find((p) => existsSync(p));

/** Runs the CLI on a pseudo-terminal (util-linux `script`); returns what the terminal showed (stdout and stderr). */
function onTerminal(env, ...args) {
  const command = [process.execPath, MAIN, ...args].map((a) => `'${a.replace(/'/g, `'\\''`)}'`).join(' ');
  const r = spawnSync(SCRIPT, ['-qec', command, '/dev/null'], { cwd: tmp, encoding: 'utf8', timeout: 60_000, env: { ...childEnv, ...env } });
  if (r.error) throw r.error;
  return { code: r.status, screen: r.stdout };
}

Terminal('a redrawn bar with an erase-line code; with NO_COLOR no escape code at all; the note either way', () => {
  if (!SCRIPT) {
    process.stderr.write('  (skipped the terminal checks: no `script` command from util-linux)\n');
    return;
  }
  const args = ['cv', '--data', IDX_DIR, '--ks', '1,3', '--folds', '2'];
  const plain = onTerminal({ TERM: 'xterm' }, ...args);
  assert.is(plain.code, 0, plain.screen);
  assert.match(plain.screen, /\r\x1b\[K2-fold CV \(l2\) [█░]+ +\d+%/);
  assert.match(plain.screen, /best k = [13]/);
  const noColor = onTerminal({ TERM: 'xterm', NO_COLOR: '1' }, ...args);
  assert.is(noColor.code, 0, noColor.screen);
  assert.not.match(noColor.screen, /\x1b/);
  assert.match(noColor.screen, /\r2-fold CV \(l2\) [█░]+ +\d+%/);
  assert.match(noColor.screen, /best k = [13]/);
});

Terminal.run();

// ---- argument errors: exit 2 -------------------------------------------------------------------

const BadArguments = suite('bad arguments');

BadArguments('unknown command, unknown flag, missing value, stray argument', () => {
  usageError(cli('train', '--data', IDX_DIR), /^simdclass: Unknown command "train"/);
  usageError(cli('knn', '--data', IDX_DIR, '--nope'), /^simdclass: Unknown flag --nope/);
  usageError(cli('knn', '--data', IDX_DIR, '--k'), /^simdclass: --k needs a value/);
  usageError(cli('knn', '--k', '--json'), /^simdclass: --k needs a value/);
  usageError(cli('cv', '--data'), /^simdclass: --data needs a value/);
  usageError(cli('knn', 'extra'), /^simdclass: Unexpected argument "extra"/);
  usageError(cli('knn', '--json=yes'), /^simdclass: --json takes no value/);
  usageError(cli('knn', '-x'), /^simdclass: Unknown flag -x/);
  usageError(cli('knn', '-k'), /^simdclass: --k needs a value/);
  usageError(cli('knn', '--k', '-m', 'l1'), /^simdclass: --k needs a value/);
  usageError(cli('cv', '--test-limit', '5'), /^simdclass: Unknown flag --test-limit/);
  usageError(cli('--nope'), /^simdclass: Unknown flag "--nope"/);
  usageError(cli('knn', '--', '--json'), /^simdclass: Unexpected argument "--json"/);
});

BadArguments('bad integers and integer lists', () => {
  usageError(cli('knn', '--data', IDX_DIR, '--k', 'abc'), /^simdclass: --k expects an integer, got "abc"/);
  usageError(cli('knn', '--data', IDX_DIR, '--k', '0'), /^simdclass: --k expects an integer >= 1, got 0/);
  usageError(cli('knn', '--data', IDX_DIR, '-k', '0'), /^simdclass: --k expects an integer >= 1, got 0/);
  usageError(cli('knn', '--data', IDX_DIR, '--k', '2.5'), /^simdclass: --k expects an integer/);
  usageError(cli('knn', '--data', IDX_DIR, '--k', '-3'), /^simdclass: --k /);
  usageError(cli('knn', '--data', IDX_DIR, '--train-limit', '0'), /^simdclass: --train-limit expects an integer >= 1/);
  usageError(cli('cv', '--data', IDX_DIR, '--ks', '1,x,3'), /^simdclass: --ks expects a comma-separated list of integers/);
  usageError(cli('cv', '--data', IDX_DIR, '--ks', '1,,3'), /^simdclass: --ks expects a comma-separated list of integers, got "1,,3"/);
  usageError(cli('cv', '--data', IDX_DIR, '--ks', ''), /^simdclass: --ks /);
  usageError(cli('cv', '--data', IDX_DIR, '--ks', '1,0'), /^simdclass: --ks expects values >= 1, got 0/);
  usageError(cli('linear', '--data', IDX_DIR, '--iters', '0'), /^simdclass: --iters expects an integer >= 1/);
});

BadArguments('--folds below 2 or above the number of training images', () => {
  usageError(cli('cv', '--data', IDX_DIR, '--folds', '1'), /^simdclass: --folds expects an integer >= 2, got 1/);
  usageError(cli('cv', '--data', IDX_DIR, '--folds', '0'), /^simdclass: --folds /);
  usageError(cli('cv', '--data', IDX_DIR, '--ks', '1', '--folds', '301'), /^simdclass: --folds expects at most the number of training images \(300\), got 301/, { afterLoad: true });
  usageError(cli('cv', '--data', IDX_DIR, '--ks', '1', '--train-limit', '10', '--folds', '11'), /\(10\), got 11/, { afterLoad: true });
});

BadArguments('choices and numbers', () => {
  usageError(cli('knn', '--data', IDX_DIR, '--metric', 'l3'), /^simdclass: --metric expects one of l1, l2, got "l3"/);
  usageError(cli('cv', '--data', IDX_DIR, '--metric', 'cosine'), /^simdclass: --metric expects one of l1, l2/);
  usageError(cli('linear', '--data', IDX_DIR, '--loss', 'hinge'), /^simdclass: --loss expects one of svm, softmax, got "hinge"/);
  usageError(cli('linear', '--data', IDX_DIR, '--learning-rate', 'abc'), /^simdclass: --learning-rate expects a number, got "abc"/);
  usageError(cli('linear', '--data', IDX_DIR, '--learning-rate', 'NaN'), /^simdclass: --learning-rate expects a number/);
  usageError(cli('linear', '--data', IDX_DIR, '--reg', '-1'), /^simdclass: --reg expects a number >= 0, got -1/);
});

BadArguments('numbers are decimal only: no hex, binary, octal, empty, Infinity or trailing junk', () => {
  for (const raw of ['0x10', '0b11', '0o7', '', ' ', 'Infinity', '1e400', '1e-3abc', '1e', '--1']) {
    usageError(cli('linear', '--data', IDX_DIR, `--learning-rate=${raw}`), /^simdclass: --learning-rate expects a number, got "/);
  }
  for (const raw of ['0x10', '1e2', '12abc', '99999999999999999999']) {
    usageError(cli('knn', '--data', IDX_DIR, `--k=${raw}`), /^simdclass: --k expects an integer, got "/);
  }
  usageError(cli('cv', '--data', IDX_DIR, '--ks', '1,0x10'), /^simdclass: --ks expects a comma-separated list of integers, got "1,0x10"/);
});

BadArguments('with --json an error is still one line on stderr, nothing on stdout, and the exit code tells the kind', () => {
  usageError(cli('knn', '--data', IDX_DIR, '--k', '301', '--json'), /^simdclass: Expected k <= nTrain \(300\), got 301/, { afterLoad: true });
  usageError(cli('cv', '--data', IDX_DIR, '--ks', 'x', '--json'), /^simdclass: --ks expects a comma-separated list of integers/);
  checkFailure(cli('cv', '--data', join(tmp, 'missing'), '--json'), 1, /^simdclass: Dataset folder not found/);
});

BadArguments('k larger than the training set (ERR_ARG_RANGE from the library) exits 2', () => {
  usageError(cli('knn', '--data', IDX_DIR, '--k', '301'), /^simdclass: Expected k <= nTrain \(300\), got 301/, { afterLoad: true });
  usageError(cli('knn', '--data', IDX_DIR, '--k', '6', '--train-limit', '5'), /^simdclass: Expected k <= nTrain \(5\), got 6/, { afterLoad: true });
  usageError(cli('cv', '--data', IDX_DIR, '--ks', '1,250', '--folds', '3'), /^simdclass: Expected every k <= the smallest training fold \(200\), got 250/, { afterLoad: true });
});

BadArguments.run();

// ---- other errors: exit 1 ----------------------------------------------------------------------

const OtherErrors = suite('other errors');

OtherErrors('--data pointing to a missing folder', () => {
  const missing = join(tmp, 'no-such-folder');
  for (const command of ['knn', 'linear', 'cv', 'demo']) {
    checkFailure(cli(command, '--data', missing), 1, /^simdclass: Dataset folder not found: .*no-such-folder$/);
  }
});

OtherErrors('a folder with a truncated IDX file, or no data set at all', async () => {
  checkFailure(cli('knn', '--data', TRUNCATED_DIR, '--json'), 1, /^simdclass: .*truncated-idx\/train-images-idx3-ubyte is truncated/);
  checkFailure(cli('cv', '--data', TRUNCATED_DIR), 1, /is truncated/);
  const empty = await makeFolder(tmp, 'empty', {});
  checkFailure(cli('knn', '--data', empty), 1, /^simdclass: No dataset recognized in .*empty/);
  checkFailure(cli('knn', '--data', join(IDX_DIR, 't10k-labels-idx1-ubyte')), 1, /^simdclass: Dataset path is not a folder/);
});

OtherErrors('an unwritable --save or --plot path fails before the data is loaded', () => {
  const nowhere = join(tmp, 'no-such-folder', 'out.json');
  usageError(cli('linear', '--data', IDX_DIR, '--iters', '2', '--save', nowhere, '--json'), /^simdclass: --save .*no-such-folder.* cannot be written/);
  usageError(cli('cv', '--data', IDX_DIR, '--ks', '1', '--folds', '2', '--plot', join(tmp, 'no-such-folder', 'cv.svg')), /^simdclass: --plot .*no-such-folder.* cannot be written/);
});

OtherErrors('training that diverges exits 1 with one line', () => {
  checkFailure(cli('linear', '--data', IDX_DIR, '--learning-rate', '1e30', '--reg', '1', '--iters', '5', '--json'), 1,
    /^simdclass: Training diverged at iteration \d+/, { preamble: /^(data|svm SGD): / });
});

OtherErrors.after(() => rm(tmp, { recursive: true, force: true }));
OtherErrors.run();

// Bad input to the non-model exports (gradCheck, selection, metrics, matrix helpers, pictures) ends
// in a typed SimdclassError that names the argument, never a TypeError from inside, a stack
// overflow, a hang or a silently wrong result; valid edge cases give the right answer.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import {
  init, gradCheck, trainValSplit, kFold, crossValidate, crossValidateKnn, gridSearch, meanStd,
  accuracy, confusionMatrix, takeRows, headRows, KNearestNeighbor,
  weightImages, imagesFromRows, upscaleImage, cvPlotSvg, confusionMatrixSvg, lossCurvesSvg, gridSearchSvg,
  SimdclassError, TrainingDivergedError,
} from '../dist/node.js';
import { mulberry32, randomU8, randomLabels, rejects, throws } from './helpers.mjs';

await init();

const TYPE = 'ERR_ARG_TYPE', RANGE = 'ERR_ARG_RANGE';
const typeError = (fn, message) => throws(fn, { type: SimdclassError, code: TYPE, message });
const rangeError = (fn, message) => throws(fn, { type: SimdclassError, code: RANGE, message });
const rejectsType = (fn, message) => rejects(fn, { type: SimdclassError, code: TYPE, message });
const rejectsRange = (fn, message) => rejects(fn, { type: SimdclassError, code: RANGE, message });

const u8 = (rows, cols, values) => ({ data: Uint8Array.from(values ?? { length: rows * cols }, (v, i) => v ?? i), rows, cols });

// ---- gradCheck ---------------------------------------------------------------------------------

const GradCheck = suite('gradCheck');
const W = { data: Float32Array.from([1, -2, 3, 0.5, -1, 2]), rows: 2, cols: 3 };
const sumOfSquares = (w) => w.data.reduce((s, v) => s + v * v, 0);
const twiceW = W.data.map((v) => 2 * v);

GradCheck('refuses an f that is not a function, and a missing or malformed gradient', () => {
  typeError(() => gradCheck(5, W, twiceW), /Expected f to be a function.*got number 5/);
  typeError(() => gradCheck(sumOfSquares, W, null), /Expected analyticGrad to be a Matrix like W or an array of its 6 values, got null/);
  typeError(() => gradCheck(sumOfSquares, W, 'abc'), /analyticGrad.*got string abc/);
  typeError(() => gradCheck(sumOfSquares, W, [1, 2, 3, 4, 5, '6']), /Expected analyticGrad\[5\] to be a number/);
  rangeError(() => gradCheck(sumOfSquares, W, [1, 2, NaN, 4, 5, 6]), /Expected analyticGrad\[2\] to be a finite number, got NaN/);
  rangeError(() => gradCheck(sumOfSquares, W, { data: new Float32Array(6), rows: 3, cols: 2 }), /Expected analyticGrad to be 2 x 3 like W, got 3 x 2/);
});

GradCheck('refuses a non-finite or non-number loss, naming the coordinate', () => {
  rangeError(() => gradCheck(() => NaN, W, twiceW), /Expected f to return a finite loss, got NaN at W\[\d\] \(row \d, column \d\) moved by \+h/);
  rangeError(() => gradCheck((w) => (w.data[0] < 1 ? Infinity : 1), W, twiceW, { samples: 30 }), /got Infinity at W\[0\] \(row 0, column 0\) moved by -h/);
  typeError(() => gradCheck((w) => ({ loss: sumOfSquares(w) }), W, twiceW), /Expected f to return the loss as a number.*got an object/);
  typeError(() => gradCheck(() => undefined, W, twiceW), /loss as a number.*got undefined at W\[/);
});

GradCheck('accepts the gradient as a Matrix shaped like W (as svmLoss returns it): same result as its flat values', () => {
  const flat = gradCheck(sumOfSquares, W, twiceW, { samples: 6, seed: 2 });
  const matrix = gradCheck(sumOfSquares, W, { data: twiceW, rows: 2, cols: 3 }, { samples: 6, seed: 2 });
  assert.equal(matrix, flat);
  assert.ok(flat.maxRelativeError < 1e-3);
});

GradCheck('options: null means defaults; unknown keys and strings are refused', () => {
  assert.equal(gradCheck(sumOfSquares, W, twiceW, null), gradCheck(sumOfSquares, W, twiceW));
  typeError(() => gradCheck(sumOfSquares, W, twiceW, { sample: 5 }), /Unknown option "sample" in options; did you mean "samples"\?/);
  typeError(() => gradCheck(sumOfSquares, W, twiceW, 'samples'), /Expected options to be an object/);
});

GradCheck.run();

// ---- selection ---------------------------------------------------------------------------------

const rng = mulberry32(2025);
const X = randomU8(rng, 12, 4), y = randomLabels(rng, 12, 2);

const TrainValSplit = suite('trainValSplit');
TrainValSplit('null options mean the defaults; unknown keys and strings are refused', () => {
  assert.equal(trainValSplit(X, y, null), trainValSplit(X, y));
  typeError(() => trainValSplit(X, y, { valsize: 0.3 }), /Unknown option "valsize".*did you mean "valSize"/);
  typeError(() => trainValSplit(X, y, 'valSize'), /Expected options to be an object/);
  typeError(() => trainValSplit(X, y, [0.2]), /Expected options to be an object.*an array/);
});
TrainValSplit.run();

const KFold = suite('kFold');
KFold('refuses folds x n beyond 2^28 indices at once instead of allocating for minutes', () => {
  const start = performance.now();
  rangeError(() => kFold(1e10, 2), /Expected folds x n <= 268435456 .*got 2 x 10000000000/);
  rangeError(() => kFold(2 ** 31, 2), /folds x n <= 268435456/);
  rangeError(() => kFold(60000, 60000), /got 60000 x 60000/); // leave-one-out on 60,000 rows: 14 GB of indices
  assert.ok(performance.now() - start < 1000, 'answers promptly');
  rangeError(() => kFold(2 ** 60, 2), /Expected n <= 9007199254740991/); // beyond exact integers
  assert.is(kFold(1000, 10).length, 10);
});
KFold.run();

const CrossValidate = suite('crossValidate');
CrossValidate('refuses a factory that is not a function or returns no model', async () => {
  await rejectsType(() => crossValidate(null, X, y), /Expected factory to be a function returning a new model.*got null/);
  await rejectsType(() => crossValidate(() => ({}), X, y), /Expected factory\(\) to return a model with train\(X, y\) and score\(X, y\) methods, got an object without a train method/);
  await rejectsType(() => crossValidate(() => ({ async train() {} }), X, y), /without a score method/);
  await rejectsType(() => crossValidate(() => null, X, y), /train\(X, y\) and score\(X, y\) methods, got null/);
  await rejectsType(() => crossValidate(async () => new KNearestNeighbor(), X, y), /got a Promise/);
});

CrossValidate('refuses a score that is not a finite number, and still disposes the model', async () => {
  // Folds run on as many lanes as the pool has: every model made is disposed, however many started.
  let made = 0, disposed = 0;
  const model = (score) => () => { made++; return { async train() {}, async score() { return score; }, dispose() { disposed++; } }; };
  await rejectsType(() => crossValidate(model(undefined), X, y, { folds: 3 }), /Expected the score of fold 1 to be a finite number, got undefined/);
  await rejectsRange(() => crossValidate(model(NaN), X, y, { folds: 3 }), /the score of fold 1 to be a finite number, got NaN/);
  assert.ok(made >= 2, `made ${made}`);
  assert.is(disposed, made);
});

CrossValidate('options: null means defaults, unknown keys and a non-function onProgress are refused', async () => {
  const result = await crossValidate(() => new KNearestNeighbor({ k: 1 }), X, y, null);
  assert.is(result.accuracies.length, 5);
  await rejectsType(() => crossValidate(() => new KNearestNeighbor(), X, y, { fold: 3 }), /Unknown option "fold".*did you mean "folds"/);
  await rejectsType(() => crossValidate(() => new KNearestNeighbor(), X, y, { onProgress: 'bar' }), /Expected onProgress to be a function, got string bar/);
});
CrossValidate.run();

const CrossValidateKnn = suite('crossValidateKnn');
CrossValidateKnn('without options: 5 folds and the default ks that fit the smallest training fold', async () => {
  const data = randomU8(rng, 60, 4), labels = randomLabels(rng, 60, 3);
  const cv = await crossValidateKnn(data, labels);
  assert.is(cv.folds, 5);
  // 60 rows in 5 folds train on 48: of 1, 3, 5, 8, 10, 12, 15, 20, 50, 100 all up to 20 fit.
  assert.equal(cv.results.map((r) => r.k), [1, 3, 5, 8, 10, 12, 15, 20]);
  assert.equal(cv, await crossValidateKnn(data, labels, { ks: [1, 3, 5, 8, 10, 12, 15, 20], folds: 5, metric: 'l2' }));
  assert.equal(await crossValidateKnn(data, labels, null), cv);
  // kFold(12, 3) trains on 8 rows: 1, 3, 5 and 8.
  assert.equal((await crossValidateKnn(X, y, { folds: 3 })).results.map((r) => r.k), [1, 3, 5, 8]);
});

CrossValidateKnn('200,000 ks: a clear limit, not a stack overflow; ks above the training fold are refused', async () => {
  const many = Array.from({ length: 200_000 }, (_, i) => i + 1);
  await rejectsRange(() => crossValidateKnn(X, y, { ks: many }), /Expected at most 1000 values in ks, got 200000/);
  await rejectsRange(() => crossValidateKnn(X, y, { ks: many.slice(0, 1000), folds: 3 }), /Expected every k <= the smallest training fold \(8\), got 9/);
  const ok = await crossValidateKnn(X, y, { ks: Array.from({ length: 1000 }, (_, i) => 1 + (i % 8)), folds: 3 });
  assert.is(ok.results.length, 1000);
});

CrossValidateKnn('refuses ks that are not a list, unknown option keys and a non-function onProgress', async () => {
  await rejectsType(() => crossValidateKnn(X, y, { ks: '1,3,5' }), /Expected ks to be a non-empty list of positive integers, got string 1,3,5/);
  await rejectsType(() => crossValidateKnn(X, y, { k: [1] }), /Unknown option "k".*did you mean "ks"/);
  await rejectsType(() => crossValidateKnn(X, y, 'l2'), /Expected options to be an object/);
  await rejectsType(() => crossValidateKnn(X, y, { ks: [1], onProgress: 3 }), /Expected onProgress to be a function/);
});
CrossValidateKnn.run();

const GridSearch = suite('gridSearch');
const split = { X: { data: new Float32Array([0, 1, 10, 11]), rows: 4, cols: 1 }, y: new Int32Array([0, 0, 1, 1]) };

GridSearch('without options or with a bad split: a clear error before any training', async () => {
  await rejectsRange(() => gridSearch(split, split), /Expected loss to be 'svm' or 'softmax', got undefined/);
  await rejectsType(() => gridSearch(null, split, { loss: 'svm', learningRates: [1e-3], regs: [0] }), /Expected train to be a split \{ X, y \}.*got null/);
  await rejectsType(() => gridSearch(split, { X: split.X }, { loss: 'svm', learningRates: [1e-3], regs: [0] }), /Expected val\.y to be an Int32Array, Uint8Array or number\[\], got undefined$/);
  const wide = { X: { data: new Float32Array(8), rows: 4, cols: 2 }, y: split.y };
  await rejectsRange(() => gridSearch(split, wide, { loss: 'svm', learningRates: [1e-3], regs: [0] }), /Expected val\.X to have 1 columns like train\.X, got 2/);
  await rejectsRange(() => gridSearch(split, split, { loss: 'svm', learningRates: [1e-3, NaN], regs: [0] }), /Expected learningRates\[1\] to be a finite number, got NaN/);
  await rejectsType(() => gridSearch(split, split, { loss: 'svm', learningRates: 1e-3, regs: [0] }), /Expected learningRates to be an array of numbers/);
  await rejectsType(() => gridSearch(split, split, { loss: 'svm', learningRate: [1e-3], regs: [0] }), /Unknown option "learningRate".*did you mean "learningRates"/);
});

GridSearch('every point diverged: a TrainingDivergedError listing the values tried, carrying the points', async () => {
  const err = await rejects(() => gridSearch(split, split, { loss: 'svm', learningRates: [1e30, 1e31], regs: [1], numIters: 20, batchSize: 4 }),
    { type: TrainingDivergedError, code: 'ERR_DIVERGED', message: /No grid point trained: the svm training diverged for every learning rate \(1e\+30, 1e\+31\) and reg \(1\)/ });
  assert.is(err.points.length, 2);
  assert.ok(err.points.every((p) => Number.isNaN(p.finalLoss)));
});

GridSearch('best is a trained point even when a diverged point comes first and the trained one scores 0', async () => {
  // The validation labels are the opposite of the training labels: a model that learned scores 0.
  const flipped = { X: split.X, y: new Int32Array([1, 1, 0, 0]) };
  const { points, best } = await gridSearch(split, flipped, { loss: 'softmax', learningRates: [1e30, 1e-2], regs: [1], numIters: 200, batchSize: 4 });
  assert.ok(Number.isNaN(points[0].finalLoss), 'the first point diverged');
  assert.is(best, points[1]);
  assert.is(best.valAccuracy, 0);
  assert.ok(Number.isFinite(best.finalLoss));
});
GridSearch.run();

const MeanStd = suite('meanStd');
MeanStd('refuses a non-list and non-finite values', () => {
  typeError(() => meanStd(null), /Expected values to be an array of numbers, got null/);
  rangeError(() => meanStd([0.5, NaN]), /Expected values\[1\] to be a finite number, got NaN/);
});
MeanStd.run();

// ---- metrics -----------------------------------------------------------------------------------

const Accuracy = suite('accuracy');
Accuracy('refuses missing, mismatched or non-label input', () => {
  typeError(() => accuracy(null, [1]), /Expected predicted to be an Int32Array, Uint8Array or number\[\], got null/);
  typeError(() => accuracy([1], 'a'), /Expected truth to be/);
  rangeError(() => accuracy([1, 0], [1]), /Expected as many predictions as labels \(1\), got 2/);
  rangeError(() => accuracy([0.5], [1]), /Expected predicted\[0\] to be an integer in \[0, 65536\), got 0\.5/);
  rangeError(() => accuracy([1], [-1]), /Expected truth\[0\] to be an integer/);
  assert.is(accuracy(new Int32Array([1, 2, 3]), new Uint8Array([1, 0, 3])), 2 / 3);
  assert.is(accuracy([], []), 0);
});
Accuracy.run();

const Confusion = suite('confusionMatrix');
Confusion('labels out of range are refused, naming the argument and index, never miscounted or dropped', () => {
  rangeError(() => confusionMatrix([4], [0], 3), /Expected predicted\[0\] to be an integer in \[0, 3\), got 4/);
  rangeError(() => confusionMatrix([0, 1], [5, 1], 3), /Expected truth\[0\] to be an integer in \[0, 3\), got 5/);
  rangeError(() => confusionMatrix([0, -1], [0, 1], 3), /predicted\[1\]/);
  rangeError(() => confusionMatrix([0, 2.5], [0, 1], 3), /predicted\[1\].*got 2\.5/);
});
Confusion('the class count must be an integer in [1, 4096]', () => {
  typeError(() => confusionMatrix([0], [0], NaN), /Expected numClasses to be an integer, got number NaN/);
  rangeError(() => confusionMatrix([0], [0], -1), /Expected numClasses in \[1, 4096\], got -1/);
  typeError(() => confusionMatrix([0], [0], 2.5), /numClasses to be an integer/);
  rangeError(() => confusionMatrix([0], [0], 5000), /numClasses in \[1, 4096\], got 5000/);
  typeError(() => confusionMatrix(null, [0], 2), /predicted/);
});
Confusion('counts row = truth, column = prediction', () => {
  assert.equal(Array.from(confusionMatrix([0, 1, 1, 2], new Uint8Array([0, 1, 2, 2]), 3)), [1, 0, 0, 0, 1, 0, 0, 1, 1]);
});
Confusion.run();

// ---- takeRows / headRows -----------------------------------------------------------------------

const Rows = suite('takeRows and headRows');
const m = u8(3, 2);
Rows('takeRows refuses row indices out of range, negative or fractional, naming the index', () => {
  rangeError(() => takeRows(m, [5]), /Expected rows\[0\] to be a row index in \[0, 3\), got number 5/);
  rangeError(() => takeRows(m, [0, -1]), /rows\[1\].*got number -1/);
  rangeError(() => takeRows(m, [0.5]), /rows\[0\].*got number 0\.5/);
  rangeError(() => takeRows(m, new Float32Array([1, 2.5])), /rows\[1\]/);
  typeError(() => takeRows(m, null), /Expected rows to be an array of row indices, got null/);
  assert.equal(takeRows(m, new Int32Array([2, 0])), u8(2, 2, [4, 5, 0, 1]));
});
Rows('both validate m as a Matrix', () => {
  typeError(() => takeRows({}, [0]), /Expected m to be a Matrix \{ data, rows, cols \}, got an object/);
  typeError(() => takeRows([[1]], [0]), /Expected m to be a Matrix/);
  rangeError(() => takeRows({ data: new Uint8Array(5), rows: 3, cols: 2 }, [0]), /Expected m\.data\.length to equal rows x cols/);
  typeError(() => headRows(null, 1), /Expected m to be a Matrix/);
  typeError(() => headRows({ data: [1, 2], rows: 1, cols: 2 }, 1), /Expected m\.data to be a Uint8Array or Float32Array/);
});
Rows('headRows refuses a negative or fractional count; a count above the rows takes them all', () => {
  rangeError(() => headRows(m, -1), /Expected count >= 0, got -1/);
  typeError(() => headRows(m, 1.5), /Expected count to be an integer/);
  assert.equal(headRows(m, 2), u8(2, 2, [0, 1, 2, 3]));
  assert.equal(headRows(m, 10), m);
  assert.is(headRows(m, 0).rows, 0);
});
Rows.run();

// ---- pictures ----------------------------------------------------------------------------------

const noNaN = (svg) => assert.not.match(svg, /NaN|Infinity|undefined/);

const Images = suite('weightImages, imagesFromRows, upscaleImage');
Images('image inputs are checked field by field', () => {
  typeError(() => imagesFromRows(m, null, [1, 2, 1]), /Expected rows to be an array of row indices/);
  rangeError(() => imagesFromRows({ data: new Uint8Array(5), rows: 3, cols: 2 }, [2], [1, 2, 1]), /X\.data\.length/);
  rangeError(() => weightImages({ data: new Float32Array(3), rows: 2, cols: 2 }, [2, 1, 1]), /weights\.data\.length/);
  typeError(() => weightImages({ weights: null }, [2, 1, 1]), /Expected weights to be a Matrix/);
});
Images('upscaleImage refuses a non-image and an output beyond 2^28 pixels, naming the limit', () => {
  const img = { width: 28, height: 28, data: new Uint8ClampedArray(28 * 28 * 4) };
  typeError(() => upscaleImage({}, 2), /Expected image\.width to be an integer, got undefined/);
  typeError(() => upscaleImage(null, 2), /Expected image to be an RgbaImage/);
  typeError(() => upscaleImage({ width: 1, height: 1, data: [0, 0, 0, 0] }, 2), /image\.data to be a Uint8ClampedArray/);
  rangeError(() => upscaleImage({ width: 2, height: 2, data: new Uint8ClampedArray(8) }, 2), /image\.data\.length to equal width x height x 4/);
  rangeError(() => upscaleImage(img, 1e5), /Expected factor to keep the image within 268435456 pixels \(MAX_IMAGE_PIXELS\), got 100000/);
  typeError(() => upscaleImage(img, '2'), /Expected factor to be an integer/);
  assert.is(upscaleImage(img, 4).width, 112);
});
Images.run();

const Svg = suite('SVG plots');
const cv = { folds: 2, bestK: 1, results: [{ k: 1, accuracies: [0.5, 0.7], mean: 0.6, std: 0.1 }, { k: 3, accuracies: [0.4, 0.6], mean: 0.5, std: 0.1 }] };

Svg('confusionMatrixSvg refuses class names that are not strings and counts that are not counts', () => {
  typeError(() => confusionMatrixSvg([1, 2, 3, 4], 'ab'), /Expected classNames to be an array of strings, got string ab/);
  typeError(() => confusionMatrixSvg([1, 2, 3, 4], ['a', 2]), /Expected classNames\[1\] to be a string, got number 2/);
  rangeError(() => confusionMatrixSvg([], []), /classNames\.length in \[1, 1000\], got 0/);
  rangeError(() => confusionMatrixSvg([], Array.from({ length: 1001 }, String)), /classNames\.length in \[1, 1000\], got 1001/);
  typeError(() => confusionMatrixSvg(null, ['a']), /Expected cm to be an array of counts, got null/);
  typeError(() => confusionMatrixSvg([1, NaN, 3, 4], ['a', 'b']), /Expected cm\[1\] to be an integer, got number NaN/);
  rangeError(() => confusionMatrixSvg([1, -1, 3, 4], ['a', 'b']), /Expected cm\[1\] >= 0, got -1/);
  typeError(() => confusionMatrixSvg([1, 2, 3, 4], ['a', 'b'], { titel: 'x' }), /Unknown option "titel".*did you mean "title"/);
  typeError(() => confusionMatrixSvg([1, 2, 3, 4], ['a', 'b'], { title: 7 }), /Expected title to be a string, got number 7/);
  noNaN(confusionMatrixSvg([1, 2, 3, 4], ['a', 'b'], null));
});

Svg('lossCurvesSvg refuses malformed series; 125,000 values draw without a stack overflow', () => {
  typeError(() => lossCurvesSvg([{ label: 'a', values: null }]), /Expected series\[0\]\.values to be an array of numbers, got null/);
  typeError(() => lossCurvesSvg([{ label: 'a', values: [1, '2'] }]), /Expected series\[0\]\.values\[1\] to be a number, got string 2/);
  typeError(() => lossCurvesSvg([{ label: 'a', values: [1] }, null]), /Expected series\[1\] to be \{ label, values \}, got null/);
  typeError(() => lossCurvesSvg([{ label: 3, values: [1] }]), /Expected series\[0\]\.label to be a string/);
  typeError(() => lossCurvesSvg({ label: 'a', values: [1] }), /Expected series to be an array/);
  const values = Array.from({ length: 125_000 }, (_, i) => 2.3 * Math.exp(-i / 20_000) + 0.3 + 0.05 * Math.sin(i));
  const svg = lossCurvesSvg([{ label: 'softmax', values }, { label: 'svm', values: values.map((v) => v * 3) }]);
  assert.ok(svg.startsWith('<svg') && svg.endsWith('</svg>'));
  assert.match(svg, /125,000 iterations/);
  noNaN(svg);
});

Svg('lossCurvesSvg options are checked', () => {
  const series = [{ label: 'a', values: [3, 2, 1] }];
  typeError(() => lossCurvesSvg(series, { maxPoints: NaN }), /Expected maxPoints to be an integer/);
  rangeError(() => lossCurvesSvg(series, { maxPoints: 5 }), /Expected maxPoints >= 10, got 5/);
  rangeError(() => lossCurvesSvg(series, { width: NaN }), /Expected width to be a finite number, got NaN/);
  rangeError(() => lossCurvesSvg(series, { height: 10 }), /Expected height >= 150, got 10/);
  rangeError(() => lossCurvesSvg(series, { smooth: -1 }), /Expected smooth >= 0, got -1/);
  typeError(() => lossCurvesSvg(series, { logY: 'yes' }), /Expected logY to be a boolean, got string yes/);
  typeError(() => lossCurvesSvg(series, { smoothing: 5 }), /Unknown option "smoothing".*did you mean "smooth"/);
  noNaN(lossCurvesSvg(series, { smooth: false, logY: true, maxPoints: 10 }));
});

Svg('cvPlotSvg refuses non-finite or out-of-range accuracies instead of drawing NaN coordinates', () => {
  const withAccuracy = (a) => ({ ...cv, results: [{ ...cv.results[0], accuracies: [0.5, a] }, cv.results[1]] });
  rangeError(() => cvPlotSvg(withAccuracy(NaN)), /Expected cv\.results\[0\]\.accuracies\[1\] to be a finite number, got NaN/);
  rangeError(() => cvPlotSvg(withAccuracy(1.5)), /cv\.results\[0\]\.accuracies\[1\] <= 1, got 1\.5/);
  rangeError(() => cvPlotSvg({ ...cv, results: [{ ...cv.results[0], mean: NaN }] }), /cv\.results\[0\]\.mean to be a finite number/);
  typeError(() => cvPlotSvg({ ...cv, results: [{ ...cv.results[0], k: '1' }] }), /cv\.results\[0\]\.k to be an integer/);
  typeError(() => cvPlotSvg({ ...cv, results: [null] }), /cv\.results\[0\] to be \{ k, accuracies, mean, std \}/);
  typeError(() => cvPlotSvg({ ...cv, folds: undefined }), /cv\.folds to be an integer/);
  typeError(() => cvPlotSvg(cv, { width: 'wide' }), /Expected width to be a finite number, got string wide/);
  typeError(() => cvPlotSvg(cv, { metric: 2 }), /Expected metric to be a string/);
  typeError(() => cvPlotSvg(cv, { with: 300 }), /Unknown option "with".*did you mean "width"/);
  noNaN(cvPlotSvg(cv, null));
});

Svg('gridSearchSvg refuses malformed points and an unknown metric', () => {
  const point = { learningRate: 1e-3, reg: 1, trainAccuracy: 0.5, valAccuracy: 0.4, finalLoss: 2, history: [] };
  rangeError(() => gridSearchSvg([{ ...point, valAccuracy: NaN }]), /Expected points\[0\]\.valAccuracy to be a finite number, got NaN/);
  rangeError(() => gridSearchSvg([{ ...point, learningRate: Infinity }]), /points\[0\]\.learningRate/);
  typeError(() => gridSearchSvg([point, { ...point, finalLoss: undefined }]), /Expected points\[1\]\.finalLoss to be a number \(NaN for a diverged run\)/);
  typeError(() => gridSearchSvg('points'), /Expected points to be a non-empty list of grid points, got string points/);
  rangeError(() => gridSearchSvg([point], { metric: 'loss' }), /Expected metric to be 'valAccuracy' or 'trainAccuracy', got "loss"/);
  noNaN(gridSearchSvg([point, { ...point, reg: 2, finalLoss: NaN, valAccuracy: 0, trainAccuracy: 0 }], null).replace(/>diverged</g, ''));
});
Svg.run();

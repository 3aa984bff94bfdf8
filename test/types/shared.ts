// What every consumer of 'simdclass' can use, in the Node entry and in the browser entry alike:
// the README's API example and export table, with the types a consumer would write down.
// test/types.test.mjs typechecks this through node.ts and browser.ts with tsc (see tsconfig.*.json).
import {
  init, KNearestNeighbor, LinearSVM, Softmax, svmLoss, softmaxLoss, gradCheck,
  trainValSplit, kFold, crossValidate, crossValidateKnn, gridSearch, parseIdx, parseCifar10Batch,
  accuracy, confusionMatrix, takeRows, headRows, weightImages, upscaleImage, cvPlotSvg,
  confusionMatrixSvg, lossCurvesSvg, gridSearchSvg, SimdclassError, FASHION_MNIST_CLASSES,
} from 'simdclass';
import type {
  Build, InitOptions, RuntimeInfo, Matrix, MatrixLike, Labels, Metric, Neighbors, Dataset, LabeledImages,
  LinearModelJSON, LinearTrainOptions, LossResult, GridPoint, KnnCrossValidation, GradCheckResult, RgbaImage,
  CrossValidationResult,
} from 'simdclass';

export async function everything(train: LabeledImages, test: LabeledImages, shape: [number, number, number]): Promise<string[]> {
  const info: RuntimeInfo = await init();
  const build: Build = info.build;
  const options: InitOptions = { build: 'auto' };
  await init(options);

  const knn = new KNearestNeighbor({ k: 5, metric: 'l1' });
  await knn.train(train.X, train.y);
  const predicted: Int32Array = await knn.predict(test.X);
  const { indices, distances }: Neighbors = await knn.kneighbors(test.X, { k: 10 });
  const metric: Metric = knn.metric;
  const knnAccuracy: number = await knn.score(test.X, test.y);
  const d: Float32Array = knn.computeDistances(headRows(test.X, 2));
  knn.dispose();

  const svm = new LinearSVM();
  const history: number[] = await svm.train(train.X, train.y, { learningRate: 3e-6, reg: 1e2, numIters: 1500, batchSize: 200, seed: 0 });
  await svm.score(test.X, test.y);
  const W: Matrix<Float32Array> = svm.weights;
  const b: Float32Array = svm.bias;
  const json: LinearModelJSON = svm.toJSON();
  const again: LinearSVM = LinearSVM.fromJSON(json);
  again.dispose();
  const softmax = new Softmax();
  const trainOptions: LinearTrainOptions = { numIters: 10, onProgress: (it: number, total: number, loss: number) => void [it, total, loss] };
  await softmax.train(train.X, train.y, trainOptions);
  const proba = await softmax.predictProba(test.X);

  const X: MatrixLike = [[1, 2], [3, 4]];
  const y: Labels = [0, 1];
  const W0 = { data: new Float32Array(4), rows: 2, cols: 2 };
  const { loss, grad }: LossResult = svmLoss(W0, X, y, 0.1);
  softmaxLoss(W0, X, y, 0.1);
  const check: GradCheckResult = gradCheck((w) => svmLoss(w, X, y, 0.1).loss, W0, grad);

  const split = trainValSplit(train.X, train.y, { valSize: 0.2, seed: 0 });
  const folds = kFold(train.X.rows, 5);
  const cv: CrossValidationResult = await crossValidate(() => new KNearestNeighbor({ k: 3 }), train.X, train.y, { folds: 3 });
  const knnCv: KnnCrossValidation = await crossValidateKnn(train.X, train.y);
  const grid: { points: GridPoint[]; best: GridPoint } = await gridSearch(split.train, split.val, { loss: 'svm', learningRates: [1e-6], regs: [1e2] });
  const cm: Int32Array = confusionMatrix(predicted, test.y, 10);
  const rows: Matrix = takeRows(test.X, [0, 1]);
  const images: RgbaImage[] = weightImages(softmax, shape);
  const big: RgbaImage = upscaleImage(images[0]!, 4);
  softmax.dispose();
  svm.dispose();

  const parsed = await parseIdx(new Uint8Array(0));
  const cifar = parseCifar10Batch(new Uint8Array(3073));
  let code = '';
  try { new KNearestNeighbor({ k: 0 }); } catch (err) { if (err instanceof SimdclassError) code = err.code; }
  const dataset: Dataset | undefined = undefined;
  void [build, indices, distances, metric, knnAccuracy, d, history, W, b, proba, loss, check, folds, cv, grid, rows, big,
    parsed, cifar, code, dataset, accuracy(predicted, test.y), FASHION_MNIST_CLASSES.length];
  return [cvPlotSvg(knnCv), confusionMatrixSvg(cm, [...FASHION_MNIST_CLASSES]), lossCurvesSvg([{ label: 'svm', values: history }]), gridSearchSvg(grid.points)];
}

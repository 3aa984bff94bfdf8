// Everything both entries export, except init() (which knows where its platform finds the wasm).
export type { Build, InitOptions, RuntimeInfo, WasmSource } from './runtime.js';
export * from './errors.js';
export type { Matrix, MatrixLike, Labels, PixelArray } from './matrix.js';
export { KNearestNeighbor, voteLabels } from './knn.js';
export type { KNearestNeighborOptions, Metric, Neighbors, PredictOptions } from './knn.js';
export { accuracy, confusionMatrix } from './metrics.js';
export { parseIdx, idxImages, idxLabels } from './data/idx.js';
export type { IdxArray, IdxImages } from './data/idx.js';
export { parseCifar10Batch } from './data/cifar10.js';
export { MNIST_CLASSES, FASHION_MNIST_CLASSES, CIFAR10_CLASSES } from './data/classes.js';
export type { Dataset, LabeledImages } from './data/dataset.js';
export { LinearClassifier, LinearSVM, Softmax } from './linear.js';
export type { LinearTrainOptions, LinearModelJSON } from './linear.js';
export { svmLoss, softmaxLoss } from './losses.js';
export type { LossName, LossResult } from './losses.js';

import type { Matrix } from '../matrix.js';

/** Images with one per row, flattened H x W x C (channels last), and their labels. */
export interface LabeledImages {
  X: Matrix<Uint8Array>;
  y: Uint8Array;
}

/** A train/test image classification dataset as returned by `loadDataset`. */
export interface Dataset {
  train: LabeledImages;
  test: LabeledImages;
  /** classNames[label] names the class. */
  classNames: string[];
  /** Image shape [height, width, channels]; X.cols is their product. */
  shape: [number, number, number];
  format: 'idx' | 'cifar10';
  /** The dataset folder's name. */
  name: string;
}

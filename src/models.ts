// One reader for every simdclass model file: the kind the file names picks the class that loads it.
import { KNearestNeighbor } from './knn.js';
import { LinearSVM, Softmax } from './linear.js';
import { decodeModelFile, peekModelKind } from './model-file.js';

/** Any model simdclass saves. */
export type Model = KNearestNeighbor | LinearSVM | Softmax;

/** Loads a model from the bytes any model's save() wrote (kNN, SVM or softmax); a bad file is an ERR_DATA_FORMAT. */
export function loadModelBytes(bytes: Uint8Array | ArrayBuffer): Model {
  const view = bytes instanceof ArrayBuffer ? new Uint8Array(bytes) : bytes;
  switch (peekModelKind(view)) {
    case 'knn': return KNearestNeighbor.load(view);
    case 'svm': return LinearSVM.load(view);
    case 'softmax': return Softmax.load(view);
    default: decodeModelFile(view); // says precisely why these bytes are not a model file
      throw new Error('unreachable: decodeModelFile accepted a file of no known kind');
  }
}

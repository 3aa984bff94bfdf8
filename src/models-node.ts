// Node helpers: write any model to a file and read it back, detecting its kind.
import { writeFile } from 'node:fs/promises';
import { extname } from 'node:path';
import { readRegularFile } from './data/files.js';
import { ArgumentRangeError, ArgumentTypeError, DataFormatError, SimdclassError } from './errors.js';
import { KNearestNeighbor } from './knn.js';
import { LinearClassifier, LinearSVM, Softmax } from './linear.js';
import { peekModelKind } from './model-file.js';
import { loadModelBytes, type Model } from './models.js';

// The largest model file read: wasm32 could not hold more.
const MAX_MODEL_FILE_BYTES = 2 ** 32 - 1;

/**
 * Writes a trained model to `path`: a simdclass model file (binary, any model), or for a linear
 * model and a path ending in .json, its toJSON() text.
 */
export async function saveModel(path: string, model: Model): Promise<void> {
  if (typeof path !== 'string' || path === '') throw new ArgumentTypeError(`Expected path to be a file path string, got ${typeof path}`);
  if (!(model instanceof KNearestNeighbor) && !(model instanceof LinearClassifier)) {
    throw new ArgumentTypeError('Expected model to be a KNearestNeighbor, LinearSVM or Softmax');
  }
  if (extname(path).toLowerCase() === '.json') {
    if (!(model instanceof LinearClassifier)) throw new ArgumentRangeError(`A kNN model is saved as a binary model file, not JSON: use a path without .json (e.g. model.knn), got ${path}`);
    await writeFile(path, JSON.stringify(model.toJSON()));
    return;
  }
  await writeFile(path, model.save());
}

/** Reads a model that saveModel (or any save()) wrote, whatever its kind; a bad file is an ERR_DATA_FORMAT naming it. */
export async function loadModel(path: string): Promise<Model> {
  const bytes = await readRegularFile(path, 'simdclass model file', MAX_MODEL_FILE_BYTES);
  try {
    if (peekModelKind(bytes) !== null || bytes[0] !== 0x7b /* '{' */) return loadModelBytes(bytes);
    const json = JSON.parse(new TextDecoder().decode(bytes)) as { model?: unknown };
    if (json.model === 'svm') return LinearSVM.fromJSON(json);
    if (json.model === 'softmax') return Softmax.fromJSON(json);
    throw new DataFormatError(`expected a linear model's JSON ("model": "svm" or "softmax"), got "model": ${JSON.stringify(json.model)}`);
  } catch (err) {
    if (err instanceof SyntaxError) throw new DataFormatError(`${path} is not a simdclass model file: it starts like JSON but is not valid JSON`);
    if (err instanceof SimdclassError && err.code === 'ERR_DATA_FORMAT') throw new DataFormatError(`${path}: ${err.message}`);
    throw err;
  }
}

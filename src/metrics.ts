import { ArgumentRangeError } from './errors.js';

/** Fraction of positions where predicted equals truth (0 for empty input). */
export function accuracy(predicted: ArrayLike<number>, truth: ArrayLike<number>): number {
  if (predicted.length !== truth.length) {
    throw new ArgumentRangeError(`Expected as many predictions as labels (${truth.length}), got ${predicted.length}`);
  }
  if (truth.length === 0) return 0;
  let correct = 0;
  for (let i = 0; i < truth.length; i++) if (predicted[i] === truth[i]) correct++;
  return correct / truth.length;
}

/** numClasses x numClasses counts: row = true label, column = predicted label. */
export function confusionMatrix(predicted: ArrayLike<number>, truth: ArrayLike<number>, numClasses: number): Int32Array {
  if (predicted.length !== truth.length) {
    throw new ArgumentRangeError(`Expected as many predictions as labels (${truth.length}), got ${predicted.length}`);
  }
  const out = new Int32Array(numClasses * numClasses);
  for (let i = 0; i < truth.length; i++) out[truth[i]! * numClasses + predicted[i]!]!++;
  return out;
}

import { ArgumentRangeError } from './errors.js';
import { MAX_CLASSES, checkInt, labelCount, toLabels, type Labels } from './matrix.js';

/** The most classes confusionMatrix counts: its numClasses^2 Int32 counts then take 64 MiB. */
export const MAX_CONFUSION_CLASSES = 4096;

/** Fraction of positions where predicted equals truth (0 for empty input). */
export function accuracy(predicted: Labels, truth: Labels): number {
  const [p, t] = labelPair(predicted, truth, MAX_CLASSES);
  if (t.length === 0) return 0;
  let correct = 0;
  for (let i = 0; i < t.length; i++) if (p[i] === t[i]) correct++;
  return correct / t.length;
}

/** numClasses x numClasses counts: row = true label, column = predicted label. Every label must be in [0, numClasses). */
export function confusionMatrix(predicted: Labels, truth: Labels, numClasses: number): Int32Array {
  checkInt(numClasses, 'numClasses', 1, MAX_CONFUSION_CLASSES);
  const [p, t] = labelPair(predicted, truth, numClasses);
  const out = new Int32Array(numClasses * numClasses);
  for (let i = 0; i < t.length; i++) out[t[i]! * numClasses + p[i]!]!++;
  return out;
}

/** Validates predictions and true labels of equal length, integers in [0, numClasses). */
function labelPair(predicted: Labels, truth: Labels, numClasses: number): [Int32Array, Int32Array] {
  const n = labelCount(truth, 'truth');
  const m = labelCount(predicted, 'predicted');
  if (m !== n) throw new ArgumentRangeError(`Expected as many predictions as labels (${n}), got ${m}`);
  return [toLabels(predicted, n, 'predicted', numClasses), toLabels(truth, n, 'truth', numClasses)];
}

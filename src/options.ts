import { ArgumentTypeError } from './errors.js';
import { describe } from './matrix.js';

/**
 * Checks an options argument: undefined or null mean "all defaults"; anything else must be a
 * plain object whose keys are all in `known`. A misspelled key ({ K: 3 }) would otherwise be
 * silently ignored, so it is an ERR_ARG_TYPE that names the key and the nearest valid one.
 */
export function checkOptions<T extends object>(value: T | null | undefined, name: string, known: readonly (keyof T & string)[]): Partial<T> {
  if (value === undefined || value === null) return {};
  if (typeof value !== 'object' || Array.isArray(value) || ArrayBuffer.isView(value)) {
    throw new ArgumentTypeError(`Expected ${name} to be an object { ${known.join(', ')} }, got ${describe(value)}`);
  }
  for (const key of Object.keys(value)) {
    if (!(known as readonly string[]).includes(key)) {
      const near = nearest(key, known);
      throw new ArgumentTypeError(`Unknown option ${JSON.stringify(key)} in ${name}${near === null ? '' : `; did you mean ${JSON.stringify(near)}?`} Valid options: ${known.join(', ')}`);
    }
  }
  return value;
}

/** The valid key closest to `key` by edit distance (case-insensitive), if it is close at all. */
function nearest(key: string, known: readonly string[]): string | null {
  let best: string | null = null, bestDistance = Infinity;
  for (const candidate of known) {
    const d = editDistance(key.toLowerCase(), candidate.toLowerCase());
    if (d < bestDistance) { best = candidate; bestDistance = d; }
  }
  return bestDistance <= Math.max(2, Math.floor(key.length / 2)) ? best : null;
}

function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const row = [i];
    for (let j = 1; j <= b.length; j++) {
      row[j] = Math.min(previous[j]! + 1, row[j - 1]! + 1, previous[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    previous = row;
  }
  return previous[b.length]!;
}

/** Checks an optional callback option: undefined, or a function. */
export function checkCallback<F extends (...args: never[]) => unknown>(value: F | null | undefined, name: string): F | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'function') throw new ArgumentTypeError(`Expected ${name} to be a function, got ${describe(value)}`);
  return value;
}

/** Checks an optional AbortSignal option. */
export function checkSignal(value: AbortSignal | null | undefined, name = 'signal'): AbortSignal | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'object' || typeof (value as AbortSignal).aborted !== 'boolean') {
    throw new ArgumentTypeError(`Expected ${name} to be an AbortSignal, got ${describe(value)}`);
  }
  return value;
}

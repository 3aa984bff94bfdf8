// Shared configuration of the property tests (test/properties-*.test.mjs, fast-check).
//
// Every property is seeded and reproducible. Environment:
//   PROPERTY_SEED=<int>      the seed of every property (default DEFAULT_SEED)
//   PROPERTY_RUNS=<count>    cases of a property of weight 1 (default DEFAULT_RUNS); each property
//                            runs round(weight * count) cases, so PROPERTY_RUNS=5000 makes every
//                            property about 5000 / DEFAULT_RUNS times longer
//   PROPERTY_RUNS=<m>x       the same as a multiplier of the defaults (e.g. PROPERTY_RUNS=25x)
//   PROPERTY_ONLY=<name>     run only the property of that name (the others pass at once)
//   PROPERTY_PATH=<path>     with PROPERTY_ONLY: replay that one case (the path a failure printed)
//   PROPERTY_STATS=1         print each property's case count (and skipped cases) as it passes
// A failure prints the property, the seed, the path, the counterexample, the error, and the
// command line that replays it.
import fc from 'fast-check';

/** The seed of a normal test run. */
export const DEFAULT_SEED = 20261126;
/** Cases of a property of weight 1 in a normal test run. */
export const DEFAULT_RUNS = 300;

function envInt(name, value, min) {
  if (!/^-?\d+$/.test(value.trim())) throw new Error(`${name} must be an integer, got ${JSON.stringify(value)}`);
  const n = Number(value);
  if (!Number.isSafeInteger(n) || n < min) throw new Error(`${name} must be an integer >= ${min}, got ${value}`);
  return n;
}

/** The seed every property runs with (fast-check takes a 32-bit integer). */
export const SEED = process.env.PROPERTY_SEED ? envInt('PROPERTY_SEED', process.env.PROPERTY_SEED, -(2 ** 31)) | 0 : DEFAULT_SEED;

/** Cases of a property of weight 1. */
export const RUNS = (() => {
  const raw = process.env.PROPERTY_RUNS?.trim();
  if (!raw) return DEFAULT_RUNS;
  const multiplier = /^(\d+(?:\.\d+)?)x$/i.exec(raw);
  if (multiplier) return Math.max(1, Math.round(Number(multiplier[1]) * DEFAULT_RUNS));
  return envInt('PROPERTY_RUNS', raw, 1);
})();

const STATS = Boolean(process.env.PROPERTY_STATS);
const ONLY = process.env.PROPERTY_ONLY || undefined;
const PATH = process.env.PROPERTY_PATH || undefined;
if (PATH !== undefined && ONLY === undefined) {
  throw new Error('PROPERTY_PATH replays one case of one property: set PROPERTY_ONLY to the name of that property too');
}

/** The number of cases a property of this weight runs. */
export function runsFor(weight = 1) {
  return Math.max(1, Math.round(weight * RUNS));
}

const quote = (s) => `'${String(s).replace(/'/g, `'\\''`)}'`;
const MAX_COUNTEREXAMPLE_CHARS = 6000;

function clip(text, max) {
  return text.length <= max ? text : `${text.slice(0, max)} ... (${text.length - max} more characters)`;
}

/** The text uvu prints for a failed property: enough to see what failed and to replay it. */
function failureMessage(name, file, details) {
  const { seed, counterexamplePath: path, numRuns, numShrinks, numSkips } = details;
  const lines = [];
  if (details.failed && details.counterexample !== null) {
    lines.push(`Property ${JSON.stringify(name)} failed after ${numRuns} case(s) (seed ${seed}, path "${path}"; shrunk ${numShrinks} time(s)).`);
    lines.push(`Replay: PROPERTY_SEED=${seed} PROPERTY_ONLY=${quote(name)} PROPERTY_PATH=${quote(path)} node node_modules/uvu/bin.js test ${quote(file.replace(/^.*\//, ''))}`);
    lines.push(`Counterexample: ${clip(fc.stringify(details.counterexample), MAX_COUNTEREXAMPLE_CHARS)}`);
    const err = details.errorInstance;
    const what = err instanceof Error ? `${err.name}${err.code ? ` [${err.code}]` : ''}: ${err.message}` : String(err);
    lines.push(`Error: ${what}`);
  } else {
    // Too many skipped cases (fc.pre), or an interrupted run: fast-check's own report says which.
    lines.push(`Property ${JSON.stringify(name)} did not complete (seed ${seed}; ${numRuns} case(s) run, ${numSkips} skipped).`);
    lines.push(fc.defaultReportMessage(details) ?? '');
  }
  return lines.join('\n    ');
}

/**
 * Checks a fast-check property (fc.property or fc.asyncProperty) with the shared seed and
 * round(weight * RUNS) cases, and throws an Error whose message uvu prints in full. `file` is the
 * test file, for the replay command. Returns fast-check's run details (null when PROPERTY_ONLY
 * names another property).
 */
export async function checkProperty(name, file, property, { weight = 1 } = {}) {
  if (ONLY !== undefined && ONLY !== name) return null;
  const params = { seed: SEED, numRuns: runsFor(weight) };
  if (PATH !== undefined) params.path = PATH;
  const details = await fc.check(property, params);
  if (details.failed) {
    const err = new Error(failureMessage(name, file, details));
    err.name = 'PropertyFailure';
    // uvu prints the stack after the message: keep it to the test file's frames.
    err.stack = `${err.name}\n    at ${file}`;
    throw err;
  }
  if (STATS) console.log(`\n  ${name}: ${details.numRuns} case(s), ${details.numSkips} skipped, seed ${details.seed}`);
  return details;
}

/**
 * Registers a property as one uvu test: test(name, () => checkProperty(...)). `property` is a
 * function returning the fast-check property (built lazily, after any before hook has run).
 */
export function propertyTest(test, file, name, property, options) {
  test(name, async () => {
    await checkProperty(name, file, property(), options);
  });
}

export { fc };

// ---- Arbitraries shared by the property files ---------------------------------------------------
// fc.double and fc.float spread their values over the float encodings, so nearly all of them are
// tiny (the median |fc.double({ min: -4, max: 4 })| is about 1e-160). These spread values evenly.

const STEPS = 2 ** 30;

/** Doubles spread evenly over [min, max] (2^30 steps); shrinks towards 0, or the bound nearest 0. */
export function uniformIn(min, max) {
  const step = (max - min) / STEPS;
  return fc.integer({ min: Math.ceil(min / step), max: Math.floor(max / step) }).map((k) => k * step);
}

/** Mostly uniformIn(min, max); now and then fast-check's own doubles there (0, -0, the bounds, tiny values). */
export function realIn(min, max) {
  return fc.oneof({ weight: 6, arbitrary: uniformIn(min, max) }, { weight: 1, arbitrary: fc.double({ min, max, noNaN: true }) });
}

/** 10^e for e evenly spread over [minExp, maxExp]: scales such as regularization strengths. */
export function logUniform(minExp, maxExp) {
  return uniformIn(minExp, maxExp).map((e) => 10 ** e);
}

/** A fraction in [0, 1), evenly spread; shrinks towards 0. */
export const fraction = fc.integer({ min: 0, max: STEPS - 1 }).map((k) => k / STEPS);

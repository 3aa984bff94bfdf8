// The bad-input catalogue (issue 10, section 7), table-driven: every case in catalogue-cases.mjs
// must end in the typed error it names (code, and a message naming the argument or file) or, for
// valid input, in a correct result. Around the table live one trained model of every kind; after
// each case they must predict exactly as before, and core().usedBytes must be back where it was
// (no case leaks wasm blocks). Each case has a time limit, so a hang fails instead of blocking.
// The table runs to the end whatever fails; the summary lists every failing case.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Worker } from 'node:worker_threads';
import { performance } from 'node:perf_hooks';
import { init, KNearestNeighbor, LinearSVM, Softmax, SimdclassError } from '../dist/node.js';
import { core } from '../dist/runtime.js';
import { mulberry32, randomF32, randomLabels, randomU8 } from './helpers.mjs';
import { CASES } from './catalogue-cases.mjs';

/** Time limit of one case (a case's `within` tightens it). */
const CASE_TIMEOUT_MS = 10_000;
/**
 * A synchronous call that never returns blocks the event loop, so no timer in this thread can end
 * it: a watchdog thread ends the process (naming the case) when one case has run this long.
 */
const WATCHDOG_MS = 60_000;

// ---- Bystanders: one trained model of every kind -----------------------------------------------

const rng = mulberry32(77);
const X8 = randomU8(rng, 150, 16), Xf = randomF32(rng, 150, 16), y = randomLabels(rng, 150, 4);
const Q8 = randomU8(rng, 20, 16), Qf = randomF32(rng, 20, 16);
const models = {};
let baseline;

async function snapshot() {
  const out = {};
  for (const [name, queries] of [['knn u8 l1', Q8], ['knn f32 l2', Qf]]) {
    const { indices, distances } = await models[name].kneighbors(queries);
    out[name] = { predicted: Array.from(await models[name].predict(queries)), indices: Array.from(indices), distances: Array.from(distances) };
  }
  for (const [name, queries] of [['svm', Q8], ['softmax', Qf]]) {
    out[name] = { predicted: Array.from(await models[name].predict(queries)), scores: Array.from((await models[name].scores(queries)).data) };
  }
  return out;
}

/**
 * The bystanders that no longer predict (or score, or find neighbours) exactly as they did. A
 * change is blamed on the case that made it; the later cases are then held to the changed state,
 * so that one corruption does not fail every case after it.
 */
async function bystanderChanges() {
  let now;
  try {
    now = await snapshot();
  } catch (err) {
    return [`the bystanders cannot predict any more: ${describeError(err)}`];
  }
  const changes = [];
  for (const [name, before] of Object.entries(baseline)) {
    for (const [what, values] of Object.entries(before)) {
      const after = now[name][what];
      const i = values.findIndex((v, j) => !Object.is(v, after[j]));
      if (i >= 0 || after.length !== values.length) changes.push(`bystander ${name}: ${what}[${i}] was ${values[i]}, now ${after[i]}`);
    }
  }
  if (changes.length > 0) baseline = now;
  return changes;
}

// ---- Running one case ------------------------------------------------------------------------

function describeError(err) {
  if (!(err instanceof Error)) return `a non-Error ${String(err)}`;
  const code = err.code === undefined ? '' : ` [${err.code}]`;
  return `${err.name}${code}: ${clip(err.message)}`;
}

function clip(text, max = 300) {
  const s = String(text);
  return s.length > max ? `${s.slice(0, max)}… (${s.length} chars)` : s;
}

function describeValue(value) {
  if (value === undefined || value === null) return String(value);
  if (typeof value === 'string') return `a string of ${value.length} chars: ${JSON.stringify(clip(value, 80))}`;
  if (ArrayBuffer.isView(value)) return `${value.constructor.name}(${value.length}) [${Array.from(value.slice(0, 8)).join(', ')}${value.length > 8 ? ', …' : ''}]`;
  if (typeof value !== 'object') return `${typeof value} ${String(value)}`;
  try {
    return clip(JSON.stringify(value, (k, v) => (ArrayBuffer.isView(v) ? `${v.constructor.name}(${v.length})` : Array.isArray(v) && v.length > 8 ? `[${v.length} items]` : v)), 200);
  } catch {
    return `a ${value.constructor?.name ?? 'object'}`;
  }
}

/** Calls fn (sync or async): { threw, error } or { value }, or { timedOut } after `ms`. */
async function settle(fn, ms) {
  let timer;
  const timeout = new Promise((resolve) => { timer = setTimeout(() => resolve({ timedOut: true }), ms); });
  const run = Promise.resolve().then(fn).then((value) => ({ value }), (error) => ({ threw: true, error }));
  try {
    return await Promise.race([run, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

const codesOf = (c) => (c.code === undefined ? [] : Array.isArray(c.code) ? c.code : [c.code]);

/** What the case expects, in words: "ERR_ARG_RANGE /batchSize/", "a valid result", or both. */
function expectation(c) {
  const error = codesOf(c).length ? `${codesOf(c).join(' or ')} ${c.message}` : '';
  return [error, c.valid ? 'a valid result' : ''].filter(Boolean).join(', or ');
}

async function runCase(c, index, watch) {
  const problems = [];
  const c0 = core();
  const usedBefore = c0.usedBytes, memoryBefore = c0.memoryBytes;
  const limit = Math.min(c.within ?? CASE_TIMEOUT_MS, CASE_TIMEOUT_MS);
  Atomics.store(watch, 1, index);
  Atomics.add(watch, 0, 1);
  const started = performance.now();
  const outcome = await settle(c.call, CASE_TIMEOUT_MS);
  const elapsed = performance.now() - started;
  Atomics.store(watch, 1, -1);
  Atomics.add(watch, 0, 1);

  let actual;
  if (outcome.timedOut) {
    actual = `no answer within ${CASE_TIMEOUT_MS / 1000} s`;
    problems.push(actual);
  } else {
    if (elapsed > limit) problems.push(`took ${Math.round(elapsed)} ms, limit ${limit} ms`);
    const codes = codesOf(c);
    if (outcome.threw) {
      const err = outcome.error;
      actual = `threw ${describeError(err)}`;
      if (codes.length === 0) {
        problems.push(`expected a valid result, ${actual}`);
      } else if (!(err instanceof SimdclassError)) {
        problems.push(`expected a SimdclassError (${expectation(c)}), ${actual}`);
      } else if (!codes.includes(err.code)) {
        problems.push(`expected code ${codes.join(' or ')}, got ${err.code}: ${clip(err.message)}`);
      } else if (!c.message.test(err.message)) {
        problems.push(`message ${JSON.stringify(clip(err.message))} does not match ${c.message}`);
      }
    } else {
      actual = `returned ${describeValue(outcome.value)}`;
      if (!c.valid) {
        problems.push(`expected ${expectation(c)}, but it ${actual}`);
      } else {
        try {
          await c.valid(outcome.value);
        } catch (err) {
          const detail = err && 'expects' in err ? ` got ${describeValue(err.actual)}, expected ${describeValue(err.expects)}` : '';
          problems.push(`invalid result (${clip(err?.message ?? err)}${detail}); it ${actual}`);
        }
      }
    }
  }

  problems.push(...await bystanderChanges());
  const c1 = core();
  if (c1 !== c0) problems.push(`the core was replaced (build ${c0.build} -> ${c1.build})`);
  if (c1.usedBytes !== usedBefore) problems.push(`core().usedBytes went from ${usedBefore} to ${c1.usedBytes} (leaked or freed wasm blocks)`);
  if (c.noGrowth && c1.memoryBytes !== memoryBefore) problems.push(`wasm memory grew from ${memoryBefore} to ${c1.memoryBytes} bytes (allocated before failing)`);
  return { label: c.label, ok: problems.length === 0, problems, actual, ms: Math.round(elapsed) };
}

// ---- The test --------------------------------------------------------------------------------

let watchdog;
const watch = new Int32Array(new SharedArrayBuffer(8));

test.before(async () => {
  await init();
  models['knn u8 l1'] = new KNearestNeighbor({ k: 3, metric: 'l1' });
  await models['knn u8 l1'].train(X8, y);
  models['knn f32 l2'] = new KNearestNeighbor({ k: 3, metric: 'l2' });
  await models['knn f32 l2'].train(Xf, y);
  models.svm = new LinearSVM();
  await models.svm.train(X8, y, { learningRate: 1e-6, reg: 1, numIters: 40, batchSize: 50, seed: 3 });
  models.softmax = new Softmax();
  await models.softmax.train(Xf, y, { learningRate: 1e-2, reg: 1e-3, numIters: 40, batchSize: 50, seed: 4 });
  baseline = await snapshot();

  Atomics.store(watch, 1, -1);
  watchdog = new Worker(`
    const { workerData } = require('node:worker_threads');
    const { writeSync } = require('node:fs');
    const { watch, labels, limitMs } = workerData;
    const tick = new Int32Array(new SharedArrayBuffer(4));
    let generation = -1, since = Date.now();
    for (;;) {
      Atomics.wait(tick, 0, 0, 1000);
      const now = Atomics.load(watch, 0), index = Atomics.load(watch, 1);
      if (now !== generation) { generation = now; since = Date.now(); continue; }
      if (index >= 0 && Date.now() - since > limitMs) {
        writeSync(2, 'catalogue: case "' + labels[index] + '" has blocked the test for ' + Math.round((Date.now() - since) / 1000) + ' s; ending the process\\n');
        process.kill(process.pid, 'SIGKILL');
      }
    }
  `, { eval: true, workerData: { watch, labels: CASES.map((c) => c.label), limitMs: WATCHDOG_MS } });
  watchdog.unref();
});

test.after(async () => {
  await watchdog?.terminate();
  for (const model of Object.values(models)) model.dispose();
});

test('bad-input catalogue: typed errors naming the argument, valid input answered, bystanders intact, no leaks, no hangs', async () => {
  assert.ok(CASES.length > 0, 'the table has cases');
  const results = [];
  for (const [i, c] of CASES.entries()) results.push(await runCase(c, i, watch));
  const failed = results.filter((r) => !r.ok);
  console.log(`catalogue: ${results.length} cases, ${results.length - failed.length} passed, ${failed.length} failed`);
  for (const r of failed) console.log(`  FAIL ${r.label} (${r.ms} ms): ${r.problems.join('; ')}`);
  if (process.env.CATALOGUE_VERBOSE) for (const r of results) console.log(`  ${r.ok ? 'ok  ' : 'FAIL'} ${r.label} (${r.ms} ms): ${r.actual}`);
  assert.ok(failed.length === 0, `${failed.length} of ${results.length} catalogue cases failed:\n${failed.map((r) => `- ${r.label}: ${r.problems.join('; ')}`).join('\n')}`);
});

test.run();

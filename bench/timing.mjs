// Timing on the `benchmark` package, and the round-robin runner that interleaves variants so a
// burst of load from another process hits every variant instead of one.
import { setTimeout as sleep } from 'node:timers/promises';
import Benchmark from 'benchmark';
import { summarize, speedup } from './stats.mjs';

/** Writes a progress line to stderr (stdout is reserved for the table or the JSON object). */
export function progress(message) {
  process.stderr.write(`${message}\n`);
}

/**
 * Mean seconds per call of `fn` measured by one Benchmark.js run. `async` functions are run as
 * deferred benchmarks (one call per cycle, awaited). Benchmark.js stops after `minSamples`
 * samples once `maxTime` seconds have passed; a sync run also makes one untimed pretest call.
 */
export function benchmarkMean(fn, { maxTime, minSamples, async = false, name = 'bench' }) {
  return new Promise((resolve, reject) => {
    let failure = null;
    const bench = new Benchmark(name, {
      defer: async,
      fn: async
        ? function timed(deferred) {
          fn().then(() => deferred.resolve(), (err) => { failure = err; deferred.resolve(); });
        }
        : fn,
      maxTime,
      minSamples,
      initCount: 1,
      onComplete() {
        if (failure !== null || this.error) reject(failure ?? this.error);
        else resolve({ meanSec: this.stats.mean, samples: this.stats.sample.length, rmePct: this.stats.rme });
      },
    });
    bench.run({ async: false });
  });
}

/**
 * Runs every variant once per round, `rounds` times, rotating the start so no variant always
 * goes first. A variant is { name, kind, measure: async () => ({ ms, ...extra }) } where `ms` is
 * the time of the suite's whole workload (already scaled up when the variant times a subset),
 * and optionally warmUp: async () => void, called once before the first round, and describe:
 * fields copied into the result. Returns the variants' summaries in their original order, each
 * with roundExtras (what measure returned besides ms, per round; see foldExtras).
 */
export async function runInterleaved(label, variants, rounds) {
  for (const v of variants) {
    if (v.warmUp) {
      await v.warmUp();
      // Let V8 finish the optimizing (TurboFan) compile that the warm-up triggered.
      await sleep(20);
    }
  }
  const perRound = variants.map(() => []);
  const extras = variants.map(() => []);
  for (let r = 0; r < rounds; r++) {
    for (let i = 0; i < variants.length; i++) {
      const at = (i + r) % variants.length;
      const v = variants[at];
      const { ms, ...extra } = await v.measure();
      perRound[at].push(ms);
      extras[at].push(extra);
    }
    progress(`  ${label}: round ${r + 1}/${rounds}: ${variants.map((v, i) => `${v.name} ${fmt(perRound[i].at(-1))}`).join(', ')}`);
  }
  return variants.map((v, i) => ({
    name: v.name,
    kind: v.kind,
    ...summarize(perRound[i]),
    ...(v.describe ?? {}),
    roundExtras: extras[i],
  }));
}

function fmt(ms) {
  return ms >= 1000 ? `${(ms / 1000).toFixed(2)} s` : `${ms.toPrecision(3)} ms`;
}

/**
 * Folds a variant's per-round extra values into it: `samples` are summed over the rounds, any
 * other value is taken from the last round. Removes roundExtras.
 */
export function foldExtras(variant) {
  const list = variant.roundExtras ?? [];
  delete variant.roundExtras;
  if (list.length === 0) return variant;
  Object.assign(variant, list.at(-1));
  if (list.every((e) => typeof e.samples === 'number')) variant.samples = list.reduce((s, e) => s + e.samples, 0);
  return variant;
}

/**
 * Adds the rate (work per second at the median time) and the speed-ups over the plain-JS
 * reference and the scalar build to each variant of a suite.
 * `work` is the amount of the suite's workload in `unit` (e.g. 6e8 distances, or GFLOP).
 */
export function addRates(variants, work, unit) {
  const reference = variants.find((v) => v.kind === 'reference');
  const scalar = variants.find((v) => v.name === 'scalar');
  for (const v of variants) {
    v.rate = work > 0 && v.medianMs > 0 ? work / (v.medianMs / 1e3) : null;
    v.rateUnit = unit;
    v.vsReference = reference ? speedup(reference.medianMs, v.medianMs) : null;
    v.vsScalar = scalar ? speedup(scalar.medianMs, v.medianMs) : null;
  }
  return variants;
}

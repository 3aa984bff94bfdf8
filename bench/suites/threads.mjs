// Thread-scaling suites: the default build's worker pool (init({ threads: N })) against itself at
// 1, 2, ... threads, how free the caller's event loop stays during a predict, and what starting
// the pool costs. Every other suite runs in the caller's thread (bench/builds.mjs useBuild).
//
// How each number is taken:
// - threads/knn-fashion-l1, -l2: KNearestNeighbor({ k: 5 }).predict on Fashion-MNIST, one model
//   per thread count, each trained right after `await init({ build, threads: N })` (a model keeps
//   the core it was trained on: cores are cached per (build, threads) in the library). The
//   variants are interleaved over rounds like runKnnSuite (one `benchmark` deferred predict per
//   round), and every variant's predictions are compared with the x1 variant's (agreesWithOneThread,
//   exact). numpy + OpenBLAS at the same thread counts is merged into the L2 suite by bench/peers.
// - threads/responsiveness: a 10 ms setInterval in the caller runs while predict answers 2,000
//   queries (Fashion-MNIST training rows, u8 L2, against all training rows), once at the largest
//   thread count and once in the caller's thread (threads 0) as the contrast; fired / expected
//   (expected = elapsed / 10 ms), median over rounds, and the longest gap between ticks.
// - threads/pool-start: fresh child processes (bench/pool-start-child.mjs) time
//   `await init({ build, threads: N })` for N = 0 and N = max and read the RSS right after it;
//   start cost = median time at max - median time at 0, memory per worker = (median RSS at max -
//   median RSS at 0) / max. The children alternate so load hits both counts alike.
import { fileURLToPath } from 'node:url';
import { KNearestNeighbor } from '../../dist/node.js';
import * as js from '../plain-js.mjs';
import { useBuild, useThreads } from '../builds.mjs';
import { attempt, runJsonProcess } from '../peers/child.mjs';
import { median, speedup, summarize } from '../stats.mjs';
import { addRates, benchmarkMean, foldExtras, progress, runInterleaved } from '../timing.mjs';
import { headRows } from '../workloads.mjs';

export const THREAD_SUITE_NAMES = [
  'threads/knn-fashion-l1',
  'threads/knn-fashion-l2',
  'threads/responsiveness',
  'threads/pool-start',
];

const POOL_START_CHILD = fileURLToPath(new URL('../pool-start-child.mjs', import.meta.url));
const MiB = 2 ** 20;

/**
 * The thread counts of the scaling suites: 1, 2, ... max up to 8; past 8, the powers of two and
 * max (1, 2, 4, 8, 16, 24 for 24). Every count keeps its own pool and a copy of the training set
 * alive while its suite runs (the variants are interleaved), so 1..64 would hold 2,080 workers.
 */
export function threadCounts(max) {
  if (max <= 8) return Array.from({ length: max }, (_, i) => i + 1);
  const counts = [];
  for (let t = 1; t < max; t *= 2) counts.push(t);
  counts.push(max);
  return counts;
}

/** `relaxed x2` for a pool of 2 workers; `relaxed x0 (caller's thread)` without one. */
export function threadVariantName(build, threads) {
  return threads === 0 ? `${build} x0 (caller's thread)` : `${build} x${threads}`;
}

function agreement(a, b) {
  if (!a || !b) return null;
  const n = Math.min(a.length, b.length);
  let same = 0;
  for (let i = 0; i < n; i++) if (a[i] === b[i]) same++;
  return n === 0 ? null : same / n;
}

/**
 * Switches to `build` with `threads` workers; the fields every variant records about its pool
 * (the library falls back to the caller's thread when it cannot start workers, and says why).
 */
async function switchTo(build, threads) {
  const info = await useThreads(build, threads);
  if (info.threads !== threads) progress(`  note: asked for ${threads} threads, got ${info.threads}${info.threadsNote ? ` (${info.threadsNote})` : ''}`);
  return { build, threads, poolThreads: info.threads, ...(info.threadsNote ? { threadsNote: info.threadsNote } : {}) };
}

/** Adds vsOneThread (the x1 variant's time / this one's) to the simdclass thread variants. */
function addScaling(variants) {
  const one = variants.find((v) => v.kind === 'threads' && v.threads === 1);
  for (const v of variants) if (v.kind === 'threads') v.vsOneThread = one ? speedup(one.medianMs, v.medianMs) : null;
}

/** kNN predict of every query at each thread count, interleaved over rounds. */
async function runKnnThreadSuite(ctx, { name, title, train, test, metric }) {
  const { sizes, defaultBuild: build, maxThreads } = ctx;
  const k = sizes.knn.k;
  const n = train.X.rows, d = train.X.cols;
  const queries = headRows(test.X, Math.min(test.X.rows, sizes.knn.simdQueries));
  const timing = { async: true, maxTime: 0, minSamples: 1 };
  const models = [];
  const lastPred = new Map();
  const variants = [];
  /** One model's predict of every query per round; `extra` adds fields read after the timed run. */
  const predictVariant = (name, fields, model, describe, extra = () => ({})) => ({
    name, ...fields,
    describe: { ...describe, queriesTimed: queries.rows, extrapolated: false },
    warmUp: async () => { const w = headRows(test.X, 8); for (let i = 0; i < 3; i++) await model.predict(w); },
    measure: async () => {
      let pred = null;
      const r = await benchmarkMean(async () => { pred = await model.predict(queries); }, timing);
      lastPred.set(name, pred);
      return { ms: r.meanSec * 1e3, samples: r.samples, accuracy: js.accuracyOf(pred, test.y), accuracyQueries: pred.length, ...extra() };
    },
  });
  try {
    for (const threads of threadCounts(maxThreads)) {
      const describe = await switchTo(build, threads);
      const model = new KNearestNeighbor({ k, metric, algorithm: 'brute' });
      models.push(model);
      await model.train(train.X, train.y);
      variants.push(predictVariant(threadVariantName(build, threads), { kind: 'threads' }, model, describe));
    }
    // The exact pyramid search (algorithm 'pyramid', the default 'auto' picks it on this data) at the most threads.
    const most = Math.max(...threadCounts(maxThreads));
    const pyramidDescribe = await switchTo(build, most);
    const pyramid = new KNearestNeighbor({ k, metric, algorithm: 'pyramid' });
    models.push(pyramid);
    await pyramid.train(train.X, train.y, { shape: ctx.fashion.dataset.shape });
    variants.push(predictVariant(`${threadVariantName(build, most)} pyramid`, { kind: 'pyramid', build, threads: most }, pyramid, pyramidDescribe,
      () => ({ exactShare: pyramid.lastStats.exact / (pyramid.lastStats.queries * pyramid.lastStats.rows) })));
    const results = (await runInterleaved(name, variants, sizes.longRounds)).map(foldExtras);
    const reference = lastPred.get(threadVariantName(build, 1));
    for (const v of results) v.agreesWithOneThread = agreement(lastPred.get(v.name), reference);
    const work = n * queries.rows;
    addRates(results, work, 'distances/s');
    addScaling(results);
    return {
      name, level: 'threads', title, rounds: sizes.longRounds, timing: 'benchmark (deferred), one predict per round',
      shape: { trainRows: n, dims: d, queries: queries.rows, k, metric, threads: threadCounts(maxThreads).join(',') },
      work, unit: 'distances/s', variants: results,
    };
  } finally {
    for (const m of models) m.dispose();
  }
}

/** One predict with a `intervalMs` setInterval running in this (the caller's) thread. */
async function predictWithTimer(model, queries, intervalMs) {
  const ticks = [];
  const timer = setInterval(() => { ticks.push(performance.now()); }, intervalMs);
  const t0 = performance.now();
  let pred;
  try {
    pred = await model.predict(queries);
  } finally {
    clearInterval(timer);
  }
  const t1 = performance.now();
  const stamps = [t0, ...ticks.filter((t) => t <= t1), t1];
  let maxGapMs = 0;
  for (let i = 1; i < stamps.length; i++) maxGapMs = Math.max(maxGapMs, stamps[i] - stamps[i - 1]);
  const expected = (t1 - t0) / intervalMs;
  const fired = stamps.length - 2;
  return { ms: t1 - t0, fired, expected, fraction: expected > 0 ? fired / expected : null, maxGapMs, pred };
}

async function runResponsivenessSuite(ctx) {
  const { sizes, defaultBuild: build, maxThreads } = ctx;
  const { train } = ctx.fashion.dataset;
  const { queries: wantedQueries, intervalMs } = sizes.threads.responsiveness;
  const k = sizes.knn.k, metric = 'l2';
  const queries = headRows(train.X, wantedQueries);
  const name = 'threads/responsiveness';
  const models = [];
  const variants = [];
  try {
    for (const threads of [maxThreads, 0]) {
      const describe = await switchTo(build, threads);
      const model = new KNearestNeighbor({ k, metric, algorithm: 'brute' });
      models.push(model);
      await model.train(train.X, train.y);
      variants.push({
        name: threadVariantName(build, threads), kind: 'threads', describe: { ...describe, intervalMs },
        warmUp: async () => { const w = headRows(train.X, 8); for (let i = 0; i < 3; i++) await model.predict(w); },
        measure: async () => {
          const { pred: _pred, ...r } = await predictWithTimer(model, queries, intervalMs);
          return r;
        },
      });
    }
    const raw = await runInterleaved(name, variants, sizes.longRounds);
    const results = raw.map((v) => {
      const rounds = v.roundExtras;
      delete v.roundExtras;
      const fractions = rounds.map((e) => e.fraction).filter((f) => typeof f === 'number');
      return {
        ...v,
        timerFraction: fractions.length > 0 ? median(fractions) : null,
        timerFired: median(rounds.map((e) => e.fired)),
        timerExpected: median(rounds.map((e) => e.expected)),
        maxGapMs: median(rounds.map((e) => e.maxGapMs)),
        roundsTimerFraction: fractions,
      };
    });
    const work = train.X.rows * queries.rows;
    addRates(results, work, 'distances/s');
    return {
      name, level: 'threads',
      title: `a ${intervalMs} ms setInterval in the caller while kNN predict (u8 ${metric.toUpperCase()}, k=${k}) answers ${queries.rows} ` +
        `Fashion-MNIST training rows against all ${train.X.rows}: fired / expected (elapsed / ${intervalMs} ms), median over rounds; ` +
        `${maxThreads} threads, and the caller's thread (threads 0) as the contrast`,
      rounds: sizes.longRounds, timing: 'wall time of one predict per round, with the timer running',
      shape: { trainRows: train.X.rows, dims: train.X.cols, queries: queries.rows, k, metric, intervalMs, threads: `${maxThreads},0` },
      work, unit: 'distances/s', variants: results,
    };
  } finally {
    for (const m of models) m.dispose();
  }
}

async function runPoolStartSuite(ctx) {
  const { sizes, defaultBuild: build, maxThreads } = ctx;
  const runs = sizes.threads.poolStartRuns;
  const name = 'threads/pool-start';
  const counts = [0, maxThreads];
  const byCount = new Map(counts.map((t) => [t, []]));
  const errors = [];
  for (let r = 0; r < runs; r++) {
    for (const threads of r % 2 === 0 ? counts : [...counts].reverse()) {
      const label = `pool-start x${threads}`;
      const out = await attempt(label, () => runJsonProcess(label, process.execPath, [POOL_START_CHILD, build, String(threads)], { timeoutMs: 60e3 }));
      if (out.error) errors.push(`${label}: ${out.error}`);
      else byCount.get(threads).push(out);
    }
    progress(`  ${name}: run ${r + 1}/${runs}: ${counts.map((t) => `x${t} ${byCount.get(t).at(-1)?.initMs.toFixed(1) ?? '-'} ms`).join(', ')}`);
  }
  const variants = counts.map((threads) => {
    const list = byCount.get(threads);
    const times = list.map((o) => o.initMs);
    const rss = list.map((o) => o.rssBytes);
    return {
      name: threadVariantName(build, threads), kind: 'threads', build, threads,
      poolThreads: list[0]?.threads ?? null, ...(list[0]?.threadsNote ? { threadsNote: list[0].threadsNote } : {}),
      ...(times.length > 0 ? summarize(times) : { medianMs: NaN, minMs: NaN, maxMs: NaN, spreadPct: 0, roundsMs: [] }),
      rssMiB: rss.length > 0 ? median(rss) / MiB : null,
      rssBeforeInitMiB: list.length > 0 ? median(list.map((o) => o.rssBeforeBytes)) / MiB : null,
      runs: list.length,
      keptAlive: list.some((o) => o.keptAlive),
    };
  });
  const [inThread, pooled] = variants;
  const startMs = pooled.medianMs - inThread.medianMs;
  const perWorkerMiB = pooled.rssMiB !== null && inThread.rssMiB !== null && maxThreads > 0 ? (pooled.rssMiB - inThread.rssMiB) / maxThreads : null;
  const summary = {
    threads: maxThreads, startMs: Number.isFinite(startMs) ? startMs : null, perWorkerMiB,
    text: Number.isFinite(startMs) && perWorkerMiB !== null
      ? `starting ${maxThreads} worker${maxThreads === 1 ? '' : 's'} adds ${startMs.toFixed(1)} ms to init() (${pooled.medianMs.toFixed(1)} ms against ` +
        `${inThread.medianMs.toFixed(1)} ms in the caller's thread); each worker adds ${perWorkerMiB.toFixed(1)} MiB of RSS`
      : 'not measured (see errors)',
  };
  for (const v of variants) if (v.keptAlive) errors.push(`${v.name}: the process was still alive 3 s after init() with idle workers`);
  return {
    name, level: 'threads',
    title: `cost of starting the pool: await init({ threads }) in fresh Node processes, ${maxThreads} workers against the caller's thread; ` +
      'start cost = difference of median times, memory per worker = difference of median RSS / workers',
    rounds: runs, timing: `${runs} child processes per thread count (bench/pool-start-child.mjs), alternating; median`,
    shape: { build, threads: `0,${maxThreads}`, runs }, work: 0, unit: 'inits/s', variants, summary,
    ...(errors.length > 0 ? { errors } : {}),
  };
}

/** The thread suite groups; each runs when its name contains `filter`. */
function groups(ctx) {
  const fashion = ctx.fashion.dataset;
  const k = ctx.sizes.knn.k;
  const knn = (metric) => ({
    name: `threads/knn-fashion-${metric}`,
    run: () => runKnnThreadSuite(ctx, {
      name: `threads/knn-fashion-${metric}`,
      title: `kNN predict, ${metric.toUpperCase()}, k=${k}, Fashion-MNIST ${fashion.train.X.rows} train x ` +
        `${Math.min(fashion.test.X.rows, ctx.sizes.knn.simdQueries)} test, ${ctx.defaultBuild} build's pool at ${threadCounts(ctx.maxThreads).join(', ')} threads ` +
        `(xN: N workers; the caller's thread is e2e/knn-fashion-${metric})`,
      train: fashion.train, test: fashion.test, metric,
    }),
  });
  return [
    knn('l1'),
    knn('l2'),
    { name: 'threads/responsiveness', run: () => runResponsivenessSuite(ctx) },
    { name: 'threads/pool-start', run: () => runPoolStartSuite(ctx) },
  ];
}

/**
 * Runs the thread suites selected by `filter`. ctx: { sizes, fashion, defaultBuild, maxThreads }.
 * Leaves the library on the default build in the caller's thread, as the other suites expect.
 */
export async function runThreadSuites(ctx, filter) {
  const out = {};
  try {
    for (const group of groups(ctx)) {
      if (filter && !group.name.includes(filter)) continue;
      progress(group.name);
      out[group.name] = await group.run();
    }
  } finally {
    await useBuild(ctx.defaultBuild);
  }
  return out;
}

// Exact pyramid kNN suites, one thread: KNearestNeighbor({ k: 5, algorithm }) with 'brute',
// 'pyramid' and 'auto' side by side in this process, everything in the caller's thread
// (init({ build, threads: 0 }), the default build), interleaved over rounds like the other suites.
//
// How each number is taken:
// - brute, pyramid: the wall time (performance.now) of one kneighbors call over all the suite's
//   queries per round, on a model trained once; the pyramid variant's warm-up builds its levels
//   (its first call, on one query, is recorded as firstCallMs). kneighbors is timed rather than
//   predict so that every round's neighbours can be compared: predict adds only the vote.
// - auto: a freshly trained model every round and the wall time of its first kneighbors call,
//   which is what 'auto' costs a caller: building the pyramid (train does not wait for it), timing
//   brute force and the pyramid on a sample of the queries, then the whole search with the winner.
// - numpy (pyramid/knn-fashion-*, when peers run: full mode or --peers): bench/numpy_reference.py
//   knn-l2-time (OpenBLAS) / knn-l1-time (the lecture's loop, a few rows timed and extrapolated)
//   on the same training rows and queries, one dtype per variant, BLAS pinned to one thread
//   (SIMDCLASS_BLAS_THREADS=1, OPENBLAS_NUM_THREADS=1), one child process per round, interleaved
//   with the simdclass variants; the time is what the script measures (data loading excluded).
// - Every round, the pyramid's and auto's neighbour indices must equal brute force's exactly (and
//   brute force's must equal its first round's): otherwise the suite throws and the bench fails.
// - Extras: vsBrute (brute time / this time), vsNumpy (fastest numpy time / this time, and per
//   numpy variant), exactShare (lastStats.exact / (queries x rows)) and levels (per pyramid level,
//   coarse to fine, the share of (query, row) pairs whose bound was computed), autoChose (what
//   'auto' searched with, per round).
//
// - pyramid/cv-*: the wall time of one crossValidateKnn call (ks 1..20, 5 folds) per round with
//   algorithm 'brute' and 'auto' (the default: the first fold decides, its probe, build and timed
//   sample included), interleaved; every round's accuracies (per k and fold) must equal the first
//   brute-force round's exactly. crossValidateKnn had no algorithm before the pyramids: its search
//   was brute force's, so 'brute' is also what it cost before.
//
// Workloads: Fashion-MNIST (the run's training set; queries: the first SIZES.pyramid.fashionQueries
// test rows), synthetic CIFAR-10-shaped rows (bench/workloads.mjs syntheticCifar: uniform random
// bytes, shape 32 x 32 x 3), and uniform random u8 rows of 784 columns (randomBytes), the case the
// bounds cannot prune, where 'auto' must fall back to brute force for little more than its time.
import { KNearestNeighbor, crossValidateKnn } from '../../dist/node.js';
import { useBuild, useThreads } from '../builds.mjs';
import { numpyVersion, runNumpyKnnTime } from '../peers/numpy.mjs';
import { formatRatio, formatTime, levelName, median, speedup } from '../stats.mjs';
import { addRates, foldExtras, progress, runInterleaved } from '../timing.mjs';
import { headRows, randomBytes, randomLabels, syntheticCifar } from '../workloads.mjs';

export const PYRAMID_SUITE_NAMES = [
  'pyramid/knn-fashion-l1',
  'pyramid/knn-fashion-l2',
  'pyramid/knn-cifar-l1',
  'pyramid/knn-cifar-l2',
  'pyramid/knn-noise-l1',
  'pyramid/knn-noise-l2',
  'pyramid/cv-fashion-l1',
  'pyramid/cv-fashion-l2',
];

const ALGORITHMS = ['brute', 'pyramid', 'auto'];
const NOISE_COLS = 784;
const NOISE_SHAPE = [28, 28, 1];
const CIFAR_SHAPE = [32, 32, 3];
const CIFAR_SEED = 7;
const NOISE_SEED = 11;

const pct = (share) => (typeof share === 'number' ? `${(100 * share).toPrecision(share >= 0.1 ? 3 : 2)}%` : '-');

/** Fields read from model.lastStats after a search: the exact share and each level's reached share. */
function statsExtras(stats) {
  const pairs = stats.queries * stats.rows;
  return {
    searched: stats.algorithm,
    exactShare: pairs > 0 ? stats.exact / pairs : null,
    levels: stats.levels.map((l) => ({ block: levelName(l), reachedShare: pairs > 0 ? l.reached / pairs : null })),
  };
}

/** The first query whose neighbour indices differ, or -1; and how many distances differ. */
function compareNeighbors(a, b) {
  if (a.k !== b.k || a.indices.length !== b.indices.length) return { firstQuery: 0, distancesDiffer: NaN };
  let firstQuery = -1, distancesDiffer = 0;
  for (let i = 0; i < a.indices.length; i++) {
    if (firstQuery < 0 && a.indices[i] !== b.indices[i]) firstQuery = Math.floor(i / a.k);
    if (a.distances[i] !== b.distances[i]) distancesDiffer++;
  }
  return { firstQuery, distancesDiffer };
}

/**
 * Checks every result of a suite against brute force's as the results come in: the first brute
 * result is the reference, and check(reference, kind, round, result) throws on a mismatch (and so
 * fails the suite and the bench run); results that come before it wait for it.
 */
function referenceChecker(name, check) {
  let reference = null;
  const pending = [];
  return {
    record(kind, round, result) {
      if (reference === null && kind === 'brute') {
        reference = result;
        for (const p of pending.splice(0)) check(reference, ...p);
      }
      if (reference === null) pending.push([kind, round, result]);
      else check(reference, kind, round, result);
    },
    /** After the rounds: every result was compared (none pending). */
    done() {
      if (reference === null || pending.length > 0) throw new Error(`${name}: no brute-force result to compare the pyramid with`);
    },
  };
}

/** referenceChecker for neighbours: the same indices as brute force; summary(): how many distances differed, per kind. */
function neighborChecker(name) {
  const distancesDiffer = new Map();
  const checker = referenceChecker(name, (reference, kind, round, nb) => {
    const { firstQuery, distancesDiffer: differ } = compareNeighbors(reference, nb);
    if (firstQuery >= 0) {
      const q = Math.max(0, firstQuery), k = reference.k;
      const row = (x) => Array.from(x.indices.subarray(q * k, q * k + k)).join(',');
      throw new Error(`${name}: the ${kind} search (round ${round + 1}) returned other neighbours than brute force: ` +
        `query ${q}: ${kind} [${row(nb)}], brute [${row(reference)}]. The pyramid must be exact; the timings are void.`);
    }
    distancesDiffer.set(kind, Math.max(distancesDiffer.get(kind) ?? 0, differ));
  });
  return {
    record: checker.record,
    summary() {
      checker.done();
      return Object.fromEntries(distancesDiffer);
    },
  };
}

/** One timed kneighbors call. */
async function timedSearch(model, queries) {
  const t0 = performance.now();
  const nb = await model.kneighbors(queries);
  return { ms: performance.now() - t0, nb };
}

/** What 'auto' searched with over the rounds: "pyramid in 3/3 rounds". */
function choseText(list) {
  const counts = {};
  for (const c of list) counts[c] = (counts[c] ?? 0) + 1;
  return Object.entries(counts).map(([c, n]) => `${c} in ${n}/${list.length} rounds`).join(', ');
}

function levelsText(levels) {
  return (levels ?? []).map((l) => `${l.block} ${pct(l.reachedShare)}`).join(', ');
}

/** The numpy variants of a Fashion-MNIST suite (one dtype each, one child process per round). */
function numpyVariants(ctx, { metric, train, queries, k, errors }) {
  const variants = [];
  for (const dtype of ['float32', 'float64']) {
    const name = `numpy ${dtype} (${metric === 'l1' ? 'L1 loop' : 'OpenBLAS'})`;
    variants.push({
      name, kind: 'peer', peer: 'numpy', describe: { peer: 'numpy', dtype, blasThreads: 1 },
      measure: async () => {
        const r = await runNumpyKnnTime({
          metric, dtype, dir: ctx.fashion.dir, trainLimit: train.X.rows, testLimit: queries.rows, k, timeRows: ctx.sizes.pyramid.numpyL1Rows,
        });
        if (r.error) {
          errors.push(`${name}: ${r.error}`);
          return { ms: NaN, error: r.error };
        }
        const x = r.result;
        return {
          ms: r.ms, extrapolated: r.extrapolated, queriesTimed: r.timedRows, ...r.blas,
          ...(metric === 'l2' ? { accuracy: x.accuracyLectureTies, gemmNormsMs: x.gemmNormsMs, topKMs: x.topKMs, cpuPerWall: x.cpuPerWall ?? null } : {}),
        };
      },
    });
  }
  return variants;
}

/**
 * brute, pyramid and auto (and numpy when `withNumpy`) on one workload, interleaved over rounds,
 * in the caller's thread. Throws when a search returns other neighbours than brute force.
 */
async function runPyramidSuite(ctx, { name, title, train, test, shape, metric, queryCount, rounds, withNumpy, describeData }) {
  const build = ctx.defaultBuild;
  const k = ctx.sizes.knn.k;
  const info = await useThreads(build, 0);
  if (info.threads !== 0) throw new Error(`${name}: expected the caller's thread (threads 0), got ${info.threads} threads`);
  const queries = headRows(test.X, queryCount);
  const warm = headRows(queries, 8);
  const n = train.X.rows, d = train.X.cols;
  const checker = neighborChecker(name);
  const errors = [];
  const models = [];
  const trained = async (algorithm) => {
    const model = new KNearestNeighbor({ k, metric, algorithm });
    models.push(model);
    await model.train(train.X, train.y, { shape });
    return model;
  };
  const roundOf = { brute: 0, pyramid: 0, auto: 0 };
  const autoChose = [];
  const autoLaterMs = [];
  try {
    const variants = [];
    for (const algorithm of ALGORITHMS) {
      const describe = { build, algorithm, threads: 0, queriesTimed: queries.rows, extrapolated: false };
      if (algorithm === 'auto') {
        variants.push({
          name: `${build} auto`, kind: 'auto', describe,
          warmUp: async () => {
            const model = new KNearestNeighbor({ k, metric, algorithm });
            try {
              await model.train(train.X, train.y, { shape });
              for (let i = 0; i < 3; i++) await model.kneighbors(warm);
            } finally {
              model.dispose();
            }
          },
          measure: async () => {
            const model = new KNearestNeighbor({ k, metric, algorithm });
            try {
              await model.train(train.X, train.y, { shape });
              const { ms, nb } = await timedSearch(model, queries);
              const round = roundOf.auto++;
              checker.record('auto', round, nb);
              autoChose.push(model.lastStats.algorithm);
              const stats = statsExtras(model.lastStats);
              // A second call on the same model: what 'auto' costs once it has chosen.
              const later = await timedSearch(model, queries);
              checker.record('auto', round, later.nb);
              autoLaterMs.push(later.ms);
              return { ms, ...stats };
            } finally {
              model.dispose();
            }
          },
        });
        continue;
      }
      const model = await trained(algorithm);
      const extra = {};
      variants.push({
        name: `${build} ${algorithm}`, kind: algorithm, describe,
        warmUp: async () => {
          // The pyramid's first search builds its levels: timed on one query.
          const first = await timedSearch(model, headRows(queries, 1));
          if (algorithm === 'pyramid') extra.firstCallMs = first.ms;
          for (let i = 0; i < 3; i++) await model.kneighbors(warm);
        },
        measure: async () => {
          const { ms, nb } = await timedSearch(model, queries);
          checker.record(algorithm, roundOf[algorithm]++, nb);
          return { ms, ...extra, ...statsExtras(model.lastStats) };
        },
      });
    }
    if (withNumpy) variants.push(...numpyVariants(ctx, { metric, train, queries, k, errors }));

    const raw = await runInterleaved(name, variants, rounds);
    const differ = checker.summary();
    const results = raw.map((v) => {
      const failed = v.roundExtras.some((e) => e.error);
      const out = foldExtras(v);
      if (failed) Object.assign(out, { medianMs: NaN, minMs: NaN, maxMs: NaN, spreadPct: 0 });
      return out;
    });
    const work = n * queries.rows;
    addRates(results, work, 'distances/s');
    return finish({
      name, title, rounds, k, metric, n, d, shape, queries, work, results, errors, differ, autoChose, autoLaterMs, describeData,
    });
  } finally {
    for (const m of models) m.dispose();
  }
}

/** Ratios, notes and the suite's summary. */
function finish({ name, title, rounds, k, metric, n, d, shape, queries, work, results, errors, differ, autoChose, autoLaterMs, describeData }) {
  const byKind = (kind) => results.find((v) => v.kind === kind);
  const brute = byKind('brute'), pyramid = byKind('pyramid'), auto = byKind('auto');
  const numpy = results.filter((v) => v.kind === 'peer' && Number.isFinite(v.medianMs));
  const fastestNumpy = numpy.reduce((best, v) => (best === null || v.medianMs < best.medianMs ? v : best), null);
  for (const v of results) {
    v.vsBrute = speedup(brute.medianMs, v.medianMs);
    if (v.kind === 'peer') {
      if (!Number.isFinite(v.medianMs)) { v.note = 'failed: see the suite\'s errors'; continue; }
      const blas = v.blasThreadsVerified ? `BLAS reports ${v.blasThreadsReported} thread` : `asked for 1 BLAS thread, BLAS reports ${v.blasThreadsReported ?? 'nothing'}`;
      v.note = [
        v.extrapolated ? `${v.queriesTimed} queries timed` : null,
        blas,
        `pyramid ${formatRatio(speedup(v.medianMs, pyramid.medianMs))} faster, brute ${formatRatio(speedup(v.medianMs, brute.medianMs))}`,
      ].filter(Boolean).join('; ');
      continue;
    }
    v.identicalToBrute = true;
    v.distancesDiffering = differ[v.kind] ?? 0;
    if (fastestNumpy) {
      v.vsNumpy = speedup(fastestNumpy.medianMs, v.medianMs);
      v.vsNumpyByVariant = Object.fromEntries(numpy.map((p) => [p.name, speedup(p.medianMs, v.medianMs)]));
    }
    if (v.kind === 'auto') {
      v.autoChose = autoChose;
      v.timeVsBrute = brute.medianMs > 0 ? v.medianMs / brute.medianMs : null;
      v.laterCallMs = median(autoLaterMs);
      v.laterCallsMs = autoLaterMs;
      v.laterCallTimeVsBrute = brute.medianMs > 0 ? v.laterCallMs / brute.medianMs : null;
    }
    const parts = [];
    if (v.kind !== 'brute') parts.push(`${formatRatio(v.vsBrute)} brute`);
    if (fastestNumpy) parts.push(`${formatRatio(v.vsNumpy)} ${fastestNumpy.name}`);
    if (v.kind === 'auto') {
      parts.push(`first call on a fresh model (pyramid build and timed sample included), chose ${choseText(autoChose)}; ` +
        `a second call ${formatTime(v.laterCallMs)} (${v.laterCallTimeVsBrute.toFixed(2)}x brute's time)`);
    }
    if (v.searched === 'pyramid') parts.push(`exact ${pct(v.exactShare)} of pairs; reached ${levelsText(v.levels)}`);
    if (v.kind === 'pyramid' && typeof v.firstCallMs === 'number') parts.push(`first call (1 query, builds the levels) ${formatTime(v.firstCallMs)}`);
    parts.push(v.kind === 'brute' ? 'the reference neighbours' : 'neighbours = brute, every round');
    if (v.distancesDiffering > 0) parts.push(`${v.distancesDiffering} distances differ from brute's`);
    v.note = parts.join('; ');
  }
  const summary = {
    pyramidVsBrute: pyramid.vsBrute, autoVsBrute: auto.vsBrute, autoTimeVsBrute: auto.timeVsBrute,
    autoLaterCallTimeVsBrute: auto.laterCallTimeVsBrute,
    pyramidVsNumpy: pyramid.vsNumpy ?? null, fastestNumpy: fastestNumpy?.name ?? null,
    exactShare: pyramid.exactShare, levels: pyramid.levels, autoChose,
    text: summaryText({ describeData, brute, pyramid, auto, fastestNumpy, autoChose }),
  };
  return {
    name, level: 'pyramid', title, rounds,
    timing: "wall time of one kneighbors call per round (brute, pyramid: a trained model; auto: the first call on a freshly trained model); numpy: the script's own time, one process per round",
    shape: { trainRows: n, dims: d, image: shape.join('x'), queries: queries.rows, k, metric, threads: "0 (caller's thread)" },
    work, unit: 'distances/s', variants: results, summary,
    ...(errors.length > 0 ? { errors } : {}),
  };
}

function summaryText({ describeData, brute, pyramid, auto, fastestNumpy, autoChose }) {
  const numpy = fastestNumpy ? `, ${formatRatio(pyramid.vsNumpy)} ${fastestNumpy.name}` : '';
  const exact = `exact distances ${pct(pyramid.exactShare)} of (query, row) pairs, seeds included (reached ${levelsText(pyramid.levels)})`;
  const autoText = `'auto' ${auto.timeVsBrute.toFixed(2)}x brute's time on its first call (pyramid build and timed sample included), ` +
    `${auto.laterCallTimeVsBrute.toFixed(2)}x on a second; chose ${choseText(autoChose)}`;
  const common = `pyramid ${formatRatio(pyramid.vsBrute)} brute${numpy}; ${autoText}; brute ${formatTime(brute.medianMs)}`;
  if (describeData !== 'noise') return `${common}; ${exact}`;
  // What the random rows do to the bounds, from this run's numbers.
  const pruned = pyramid.exactShare >= 0.9
    ? `so the block-sum bounds prune almost nothing: ${exact}`
    : `yet the bounds spare some exact distances: ${exact}`;
  return `the rows are uniform random bytes (white noise, no image structure): block sums of independent pixels all sit near their mean, ${pruned}; ${common}`;
}

// The cross-validation suites' ks and folds (the issue's: ks 1..20, 5 folds).
const CV_KS = Array.from({ length: 20 }, (_, i) => i + 1);
const CV_FOLDS = 5;

/**
 * crossValidateKnn with 'brute' and 'auto' on the first `rows` training rows, interleaved over
 * rounds in the caller's thread. Throws when a round's accuracies differ from brute force's.
 */
async function runCvSuite(ctx, { name, title, metric, train, shape, rows, rounds }) {
  const build = ctx.defaultBuild;
  const info = await useThreads(build, 0);
  if (info.threads !== 0) throw new Error(`${name}: expected the caller's thread (threads 0), got ${info.threads} threads`);
  const X = headRows(train.X, rows), y = train.y.subarray(0, rows);
  const options = (algorithm) => ({ ks: CV_KS, folds: CV_FOLDS, metric, algorithm, shape });
  const checker = referenceChecker(name, (reference, algorithm, round, accuracies) => {
    if (accuracies !== reference) throw new Error(`${name}: the ${algorithm} cross-validation (round ${round + 1}) scored other accuracies than brute force. The pyramid must be exact; the timings are void.`);
  });
  const warm = { X: headRows(X, Math.min(rows, 1000)), y: y.subarray(0, Math.min(rows, 1000)) };
  const roundOf = { brute: 0, auto: 0 };
  const variants = ['brute', 'auto'].map((algorithm) => ({
    name: `${build} ${algorithm}`, kind: algorithm,
    describe: { build, algorithm, threads: 0, rows, folds: CV_FOLDS, ks: `1..${CV_KS.length}` },
    warmUp: async () => { await crossValidateKnn(warm.X, warm.y, options(algorithm)); },
    measure: async () => {
      const t0 = performance.now();
      const cv = await crossValidateKnn(X, y, options(algorithm));
      const ms = performance.now() - t0;
      checker.record(algorithm, roundOf[algorithm]++, JSON.stringify(cv.results.map((r) => r.accuracies)));
      return { ms, searched: cv.search.algorithms.includes('pyramid') ? 'pyramid' : 'brute', foldAlgorithms: cv.search.algorithms, exactShare: cv.search.exactShare, bestK: cv.bestK };
    },
  }));
  const results = (await runInterleaved(name, variants, rounds)).map(foldExtras);
  checker.done();
  const brute = results.find((v) => v.kind === 'brute'), auto = results.find((v) => v.kind === 'auto');
  const pairs = (rows - Math.floor(rows / CV_FOLDS)) * rows;
  addRates(results, pairs, 'distances/s');
  for (const v of results) {
    v.vsBrute = speedup(brute.medianMs, v.medianMs);
    v.identicalToBrute = true;
    v.note = v.kind === 'brute' ? "the reference accuracies; crossValidateKnn's search before the pyramids"
      : `${formatRatio(v.vsBrute)} brute; folds searched with ${v.foldAlgorithms.join(', ')}; exact ${pct(v.exactShare)} of pairs; accuracies = brute, every round`;
  }
  const text = `'auto' ${formatRatio(auto.vsBrute)} brute force (${formatTime(auto.medianMs)} against ${formatTime(brute.medianMs)}); ` +
    `folds searched with ${auto.foldAlgorithms.join(', ')}, exact distances ${pct(auto.exactShare)} of (query, row) pairs; best k ${auto.bestK}`;
  return {
    name, level: 'pyramid', title, rounds,
    timing: 'wall time of one crossValidateKnn call per round (ks 1..20, 5 folds), brute and auto interleaved',
    shape: { trainRows: rows, dims: X.cols, image: shape.join('x'), folds: CV_FOLDS, ks: CV_KS.length, metric, threads: "0 (caller's thread)" },
    work: pairs, unit: 'distances/s', variants: results,
    summary: { autoVsBrute: auto.vsBrute, exactShare: auto.exactShare, text },
  };
}

/** The suite groups; each runs when its name contains `filter`. Data sets are made on first use. */
function groups(ctx) {
  const p = ctx.sizes.pyramid;
  const fashion = ctx.fashion.dataset;
  const fashionQueries = Math.min(fashion.test.X.rows, p.fashionQueries);
  // numpy joins the Fashion-MNIST suites when the peers run (full mode or --peers) and python3 has it.
  let numpyOk = null;
  const withNumpy = () => {
    if (numpyOk === null) {
      numpyOk = ctx.peers === true && numpyVersion() !== null;
      if (ctx.peers === true && !numpyOk) progress('  note: numpy skipped in the pyramid suites: python3 with numpy is not installed');
    }
    return numpyOk;
  };
  let cifar = null, noise = null;
  const cifarData = () => (cifar ??= syntheticCifar(p.cifar.trainRows, p.cifar.queries, CIFAR_SEED));
  const noiseData = () => (noise ??= {
    train: { X: { data: randomBytes(p.noise.trainRows * NOISE_COLS, NOISE_SEED), rows: p.noise.trainRows, cols: NOISE_COLS }, y: randomLabels(p.noise.trainRows, 10, NOISE_SEED + 1) },
    test: { X: { data: randomBytes(p.noise.queries * NOISE_COLS, NOISE_SEED + 2), rows: p.noise.queries, cols: NOISE_COLS }, y: randomLabels(p.noise.queries, 10, NOISE_SEED + 3) },
  });
  const out = [];
  for (const metric of ['l1', 'l2']) {
    const M = metric.toUpperCase();
    out.push({
      name: `pyramid/knn-fashion-${metric}`,
      run: () => runPyramidSuite(ctx, {
        name: `pyramid/knn-fashion-${metric}`, metric, train: fashion.train, test: fashion.test, shape: fashion.shape,
        queryCount: fashionQueries, rounds: p.rounds, withNumpy: withNumpy(), describeData: 'fashion',
        title: `kNN ${M}, k=${ctx.sizes.knn.k}, exact pyramid vs brute force vs 'auto', one thread (${ctx.defaultBuild}, threads 0): Fashion-MNIST ` +
          `${fashion.train.X.rows} train x the first ${fashionQueries} of ${fashion.test.X.rows} test rows` +
          `${withNumpy() ? ', numpy (BLAS 1 thread) on the same queries' : ''}`,
      }),
    });
  }
  for (const metric of ['l1', 'l2']) {
    const M = metric.toUpperCase();
    out.push({
      name: `pyramid/knn-cifar-${metric}`,
      run: () => {
        const data = cifarData();
        return runPyramidSuite(ctx, {
          name: `pyramid/knn-cifar-${metric}`, metric, train: data.train, test: data.test, shape: CIFAR_SHAPE,
          queryCount: p.cifar.queries, rounds: p.rounds, withNumpy: false, describeData: 'noise',
          title: `kNN ${M}, k=${ctx.sizes.knn.k}, exact pyramid vs brute force vs 'auto', one thread: synthetic CIFAR-10 shape ` +
            `(syntheticCifar, seed ${CIFAR_SEED}: uniform random bytes) ${p.cifar.trainRows} x 3072 (32x32x3), ${p.cifar.queries} queries`,
        });
      },
    });
  }
  for (const metric of ['l1', 'l2']) {
    const M = metric.toUpperCase();
    out.push({
      name: `pyramid/knn-noise-${metric}`,
      run: () => {
        const data = noiseData();
        return runPyramidSuite(ctx, {
          name: `pyramid/knn-noise-${metric}`, metric, train: data.train, test: data.test, shape: NOISE_SHAPE,
          queryCount: p.noise.queries, rounds: p.noise.rounds, withNumpy: false, describeData: 'noise',
          title: `kNN ${M}, k=${ctx.sizes.knn.k}, the no-pruning worst case, one thread: uniform random u8 (randomBytes, seed ${NOISE_SEED}) ` +
            `${p.noise.trainRows} x ${NOISE_COLS} (as 28x28x1), ${p.noise.queries} queries; 'auto' should fall back to brute force`,
        });
      },
    });
  }
  for (const metric of ['l1', 'l2']) {
    const M = metric.toUpperCase(), rows = Math.min(fashion.train.X.rows, p.cvRows);
    out.push({
      name: `pyramid/cv-fashion-${metric}`,
      run: () => runCvSuite(ctx, {
        name: `pyramid/cv-fashion-${metric}`, metric, train: fashion.train, shape: fashion.shape, rows, rounds: p.rounds,
        title: `crossValidateKnn ${M}, ks 1..${CV_KS.length}, ${CV_FOLDS} folds, 'auto' vs brute force, one thread (${ctx.defaultBuild}, threads 0): ` +
          `the first ${rows} Fashion-MNIST training rows`,
      }),
    });
  }
  return out;
}

/**
 * Runs the pyramid suites selected by `filter`. ctx: { sizes, fashion, defaultBuild, peers }.
 * Leaves the library on the default build in the caller's thread.
 */
export async function runPyramidSuites(ctx, filter) {
  const out = {};
  const selected = groups(ctx).filter((g) => !filter || g.name.includes(filter));
  try {
    for (const group of selected) {
      progress(group.name);
      out[group.name] = await group.run();
      progress(`  => ${out[group.name].summary.text}`);
    }
  } finally {
    await useBuild(ctx.defaultBuild);
  }
  return out;
}

// The issue's performance targets, checked against one run's suites. simdclass is represented by
// its default build (what init() picks: relaxed SIMD when the engine has it), and each peer by
// its fastest variant (e.g. numpy float32 when that beats the lecture's float64). The thread
// targets compare two variants of one threads/* suite (the default build's pool at N threads
// against itself at M threads, or against a peer's fastest variant at the same thread count). The
// pyramid targets compare two variants of one pyramid/* suite (one thread): an algorithm against
// brute force, or against numpy's fastest variant (BLAS pinned to one thread).
import { formatRatio, formatTime } from './stats.mjs';

// The best microkernel rate is the highest any class-product suite reached in the run.
const CLASS_SUITES = ['kernel/class-scores-peak', 'kernel/class-scores-sgd', 'kernel/class-grad-sgd'];

const TARGETS = [
  {
    id: 'knn-l1-vs-numpy', suite: 'e2e/knn-fashion-l1', peer: 'numpy', threshold: 40, op: '>=', measure: 'speedup',
    text: "kNN L1 >= 40x numpy's L1 loop",
  },
  {
    id: 'knn-l2-vs-numpy', suite: 'e2e/knn-fashion-l2', peer: 'numpy', threshold: 0.5, op: '>=', measure: 'speedup',
    text: 'kNN L2 >= 0.5x numpy + OpenBLAS (1 thread), top-k included',
  },
  {
    id: 'knn-l2-vs-tfjs', suite: 'e2e/knn-fashion-l2', peer: 'tfjs', threshold: 5, op: '>=', measure: 'speedup',
    text: 'kNN L2 >= 5x TensorFlow.js wasm backend',
  },
  {
    id: 'knn-l2-vs-mlknn', suite: 'e2e/knn-fashion-l2', peer: 'ml-knn', threshold: 100, op: '>=', measure: 'speedup',
    text: 'kNN L2 >= 100x ml-knn',
  },
  {
    id: 'sgd-svm-vs-numpy', suite: 'e2e/sgd-iteration-svm', peer: 'numpy', threshold: 1, op: '<=', measure: 'timeRatio',
    text: "SGD iteration (svm, batch 200, D 785, C 10) <= 1.0x numpy's time",
  },
  {
    id: 'sgd-softmax-vs-numpy', suite: 'e2e/sgd-iteration-softmax', peer: 'numpy', threshold: 1, op: '<=', measure: 'timeRatio',
    text: "SGD iteration (softmax, batch 200, D 785, C 10) <= 1.0x numpy's time",
  },
  {
    id: 'sgd-softmax-vs-tfjs', suite: 'e2e/sgd-iteration-softmax', peer: 'tfjs', threshold: 5, op: '>=', measure: 'speedup',
    text: 'SGD iteration (softmax) >= 5x faster than TensorFlow.js wasm backend',
  },
  {
    id: 'loss-svm-vs-numpy', suite: 'kernel/loss-grad-svm', peer: 'numpy', threshold: 1, op: '<', measure: 'timeRatio',
    text: "One svm loss + gradient call (X 500 x 3073, W 3073 x 10) < 1.0x numpy's time",
  },
  {
    id: 'loss-softmax-vs-numpy', suite: 'kernel/loss-grad-softmax', peer: 'numpy', threshold: 1, op: '<', measure: 'timeRatio',
    text: "One softmax loss + gradient call (X 500 x 3073, W 3073 x 10) < 1.0x numpy's time",
  },
  {
    id: 'class-scores-sgd-vs-peak', suite: 'kernel/class-scores-sgd', peakSuites: CLASS_SUITES, threshold: 0.8, op: '>=', measure: 'fractionOfPeak',
    text: 'f32 score product (SGD shape) >= 80% of the best microkernel rate in wasm',
  },
  {
    id: 'class-grad-sgd-vs-peak', suite: 'kernel/class-grad-sgd', peakSuites: CLASS_SUITES, threshold: 0.8, op: '>=', measure: 'fractionOfPeak',
    text: 'f32 gradient product (SGD shape) >= 80% of the best microkernel rate in wasm',
  },
  {
    id: 'knn-l2-threads-2-vs-1', suite: 'threads/knn-fashion-l2', ours: { threads: 2 }, other: { threads: 1 }, threshold: 1.8, op: '>=', measure: 'variantSpeedup',
    text: 'kNN predict L2, 2 threads >= 1.8x 1 thread',
  },
  {
    id: 'knn-l1-threads-2-vs-1', suite: 'threads/knn-fashion-l1', ours: { threads: 2 }, other: { threads: 1 }, threshold: 1.8, op: '>=', measure: 'variantSpeedup',
    text: 'kNN predict L1, 2 threads >= 1.8x 1 thread',
  },
  {
    id: 'knn-l2-threads-2-vs-numpy-2', suite: 'threads/knn-fashion-l2', ours: { threads: 2 }, other: { peer: 'numpy', threads: 2 }, threshold: 1, op: '>=', measure: 'variantSpeedup',
    text: 'kNN L2 with 2 threads >= 1.0x numpy + OpenBLAS with 2 threads, top-k included',
  },
  {
    id: 'knn-l2-pyramid-2-vs-numpy-2', suite: 'threads/knn-fashion-l2', ours: { threads: 2, kind: 'pyramid' }, other: { peer: 'numpy', threads: 2 }, threshold: 1, op: '>=', measure: 'variantSpeedup',
    text: "kNN L2 with 2 threads, exact pyramid search (the default 'auto' on this data) >= 1.0x numpy + OpenBLAS with 2 threads",
  },
  {
    id: 'knn-l2-pyramid-vs-brute', suite: 'pyramid/knn-fashion-l2', ours: { kind: 'pyramid' }, other: { kind: 'brute' }, threshold: 5, op: '>=', measure: 'algorithmSpeedup',
    text: 'kNN L2, one thread, exact pyramid search >= 5x brute force (Fashion-MNIST)',
  },
  {
    id: 'knn-l2-pyramid-vs-numpy', suite: 'pyramid/knn-fashion-l2', ours: { kind: 'pyramid' }, other: { peer: 'numpy' }, threshold: 5, op: '>=', measure: 'algorithmSpeedup',
    text: 'kNN L2, one thread, exact pyramid search >= 5x numpy + OpenBLAS (1 thread), top-k included',
  },
  {
    id: 'knn-l1-pyramid-vs-brute', suite: 'pyramid/knn-fashion-l1', ours: { kind: 'pyramid' }, other: { kind: 'brute' }, threshold: 10, op: '>=', measure: 'algorithmSpeedup',
    text: 'kNN L1, one thread, exact pyramid search >= 10x brute force (Fashion-MNIST)',
  },
  {
    id: 'knn-noise-l1-auto-vs-brute', suite: 'pyramid/knn-noise-l1', ours: { kind: 'auto' }, other: { kind: 'brute' }, threshold: 1.1, op: '<=', measure: 'algorithmTimeRatio',
    text: "kNN L1 on uniform noise (nothing to prune): 'auto', first call, <= 1.10x brute force's time",
  },
  {
    id: 'knn-noise-l2-auto-vs-brute', suite: 'pyramid/knn-noise-l2', ours: { kind: 'auto' }, other: { kind: 'brute' }, threshold: 1.1, op: '<=', measure: 'algorithmTimeRatio',
    text: "kNN L2 on uniform noise (nothing to prune): 'auto', first call, <= 1.10x brute force's time",
  },
  {
    id: 'cv-l1-auto-vs-brute', suite: 'pyramid/cv-fashion-l1', ours: { kind: 'auto' }, other: { kind: 'brute' }, threshold: 3, op: '>=', measure: 'algorithmSpeedup',
    text: "crossValidateKnn L1 (ks 1..20, 5 folds, 10,000 Fashion-MNIST rows), one thread, 'auto' >= 3x brute force (its search before the pyramids)",
  },
  {
    id: 'cv-l2-auto-vs-brute', suite: 'pyramid/cv-fashion-l2', ours: { kind: 'auto' }, other: { kind: 'brute' }, threshold: 3, op: '>=', measure: 'algorithmSpeedup',
    text: "crossValidateKnn L2 (ks 1..20, 5 folds, 10,000 Fashion-MNIST rows), one thread, 'auto' >= 3x brute force (its search before the pyramids)",
  },
  {
    id: 'responsiveness-max-threads', suite: 'threads/responsiveness', threshold: 0.8, op: '>=', measure: 'timerFraction',
    text: 'During a 2,000-query predict at max threads, a 10 ms timer fires >= 80% of expected',
  },
  {
    id: 'pool-start-stated', suite: 'threads/pool-start', threshold: null, op: null, measure: 'stated',
    text: 'Cost of starting the pool and memory per worker (stated, no threshold)',
  },
];

/** Target ids in report order (the smoke test checks they are all present). */
export const TARGET_IDS = TARGETS.map((t) => t.id);

function fastest(variants) {
  return variants.reduce((best, v) => (best === null || v.medianMs < best.medianMs ? v : best), null);
}

function highestRate(variants) {
  return variants.reduce((best, v) => (best === null || v.rate > best.rate ? v : best), null);
}

function describe(v) {
  return `${v.name} ${v.extrapolated ? '~' : ''}${formatTime(v.medianMs)}`;
}

/** A target's measured value as the table shows it: a percentage for fractions, ms for the pool's start, else a ratio. */
export function formatTargetValue(t) {
  if (t.value === null || t.value === undefined) return '-';
  if (t.measure === 'fractionOfPeak' || t.measure === 'timerFraction') return `${(100 * t.value).toFixed(0)}%`;
  if (t.measure === 'stated') return formatTime(t.value);
  return formatRatio(t.value);
}

function pass(t, value) {
  return t.op === '>=' ? value >= t.threshold : t.op === '<' ? value < t.threshold : value <= t.threshold;
}

/** The simdclass variant of a threads/* suite at `threads` (default build), or a peer's fastest variant there. */
function threadVariant(suite, { threads, peer, kind = 'threads' }, defaultBuild) {
  if (peer) return fastest(suite.variants.filter((v) => v.kind === 'peer' && v.peer === peer && v.threads === threads && Number.isFinite(v.medianMs)));
  return suite.variants.find((v) => v.kind === kind && v.build === defaultBuild && v.threads === threads && Number.isFinite(v.medianMs)) ?? null;
}

function label(spec) {
  return spec.peer ? `${spec.peer} at ${spec.threads} thread${spec.threads === 1 ? '' : 's'}` : `x${spec.threads}`;
}

/** The thread targets (measures variantSpeedup, timerFraction, stated); base is the common record. */
function checkThreadTarget(t, suite, base, defaultBuild) {
  if (t.measure === 'variantSpeedup') {
    const ours = threadVariant(suite, t.ours, defaultBuild);
    const other = threadVariant(suite, t.other, defaultBuild);
    const largest = Math.max(0, ...suite.variants.filter((v) => v.kind === 'threads').map((v) => v.threads));
    if (!ours) return { ...base, note: `no ${defaultBuild} x${t.ours.threads} result (threads up to ${largest}: --threads ${t.ours.threads} or more)` };
    if (!other) {
      return { ...base, note: t.other.peer ? `no ${label(t.other)} result: peers run in full mode or with --peers` : `no ${defaultBuild} x${t.other.threads} result` };
    }
    const value = other.medianMs / ours.medianMs;
    const out = {
      ...base, value, status: pass(t, value) ? 'PASS' : 'MISS',
      compared: `simdclass ${describe(ours)} vs ${describe(other)}`,
    };
    if (t.other.peer) {
      const peers = suite.variants.filter((v) => v.kind === 'peer' && v.peer === t.other.peer && v.threads === t.other.threads && Number.isFinite(v.medianMs));
      out.byVariant = Object.fromEntries(peers.map((p) => [p.name, p.medianMs / ours.medianMs]));
      if (other.blasThreadsVerified === false) out.compared += `; ${other.name} NOT verified to run ${t.other.threads} BLAS threads (reports ${other.blasThreadsReported ?? 'nothing'})`;
      else if (other.blasThreadsVerified) out.compared += `; ${other.blasThreadsSource?.split(' ')[0] ?? 'BLAS'} reports ${other.blasThreadsReported} threads`;
    }
    return out;
  }
  if (t.measure === 'timerFraction') {
    const pooled = suite.variants.filter((v) => v.kind === 'threads' && v.build === defaultBuild && v.threads > 0);
    const ours = pooled.reduce((best, v) => (best === null || v.threads > best.threads ? v : best), null);
    const contrast = suite.variants.find((v) => v.kind === 'threads' && v.threads === 0);
    if (!ours || typeof ours.timerFraction !== 'number') return { ...base, note: `no ${defaultBuild} result with a worker pool` };
    const value = ours.timerFraction;
    const tick = (v) => `${v.name}: ${v.timerFired} of ${v.timerExpected.toFixed(0)} ticks (${(100 * v.timerFraction).toFixed(0)}%), longest gap ${formatTime(v.maxGapMs)}, predict ${formatTime(v.medianMs)}`;
    return {
      ...base, value, status: pass(t, value) ? 'PASS' : 'MISS',
      compared: `${tick(ours)}${contrast && typeof contrast.timerFraction === 'number' ? `; ${tick(contrast)}` : ''}`,
    };
  }
  // stated: the pool's start cost and memory per worker, no threshold.
  const s = suite.summary;
  if (!s || s.startMs === null) return { ...base, note: `not measured${suite.errors ? `: ${suite.errors.join('; ')}` : ''}` };
  return { ...base, value: s.startMs, status: 'INFO', compared: s.text, perWorkerMiB: s.perWorkerMiB, threads: s.threads };
}

/** A pyramid/* suite's variant of algorithm `kind` (default build), or a peer's fastest variant. */
function algorithmVariant(suite, { kind, peer }, defaultBuild) {
  if (peer) return fastest(suite.variants.filter((v) => v.kind === 'peer' && v.peer === peer && Number.isFinite(v.medianMs)));
  return suite.variants.find((v) => v.kind === kind && v.build === defaultBuild && Number.isFinite(v.medianMs)) ?? null;
}

const percent = (share) => `${(100 * share).toPrecision(share >= 0.1 ? 3 : 2)}%`;

/**
 * The pyramid targets: algorithmSpeedup is the other variant's time / ours (higher is better),
 * algorithmTimeRatio ours / the other's (lower is better). Both variants ran in one suite,
 * interleaved, in the caller's thread; the suite has already checked that they found the same neighbours.
 */
function checkAlgorithmTarget(t, suite, base, defaultBuild) {
  const ours = algorithmVariant(suite, t.ours, defaultBuild);
  const other = algorithmVariant(suite, t.other, defaultBuild);
  if (!ours) return { ...base, note: `no ${defaultBuild} ${t.ours.kind} result` };
  if (!other) return { ...base, note: t.other.peer ? `no ${t.other.peer} result: peers run in full mode or with --peers` : `no ${defaultBuild} ${t.other.kind} result` };
  const ratio = (v) => (t.measure === 'algorithmSpeedup' ? v.medianMs / ours.medianMs : ours.medianMs / v.medianMs);
  const value = ratio(other);
  const details = [];
  if (typeof ours.exactShare === 'number' && ours.searched === 'pyramid') details.push(`exact distances ${percent(ours.exactShare)} of pairs`);
  if (Array.isArray(ours.autoChose)) details.push(`auto chose ${[...new Set(ours.autoChose)].join('/')} (${ours.autoChose.join(', ')})`);
  if (typeof ours.laterCallTimeVsBrute === 'number') details.push(`a second call ${ours.laterCallTimeVsBrute.toFixed(2)}x brute's time`);
  const out = {
    ...base, value, status: pass(t, value) ? 'PASS' : 'MISS',
    compared: `simdclass ${describe(ours)} vs ${describe(other)}${details.length ? `; ${details.join('; ')}` : ''}`,
  };
  if (t.other.peer) {
    const peers = suite.variants.filter((v) => v.kind === 'peer' && v.peer === t.other.peer && Number.isFinite(v.medianMs));
    out.byVariant = Object.fromEntries(peers.map((p) => [p.name, ratio(p)]));
    if (other.blasThreadsVerified === false) out.compared += `; ${other.name} NOT verified to run 1 BLAS thread (reports ${other.blasThreadsReported ?? 'nothing'})`;
  }
  return out;
}

/**
 * Checks every target. `indicative` is set when the run's sizes are not the targets' workload
 * (quick mode, or the embedded sample instead of the full Fashion-MNIST): the status is then
 * only a hint.
 */
export function checkTargets(suites, { defaultBuild, indicative }) {
  return TARGETS.map((t) => {
    const base = { id: t.id, target: t.text, measure: t.measure, op: t.op, threshold: t.threshold, suite: t.suite, value: null, status: 'n/a', indicative };
    const suite = suites[t.suite];
    if (!suite) return { ...base, note: 'suite not run' };
    if (['variantSpeedup', 'timerFraction', 'stated'].includes(t.measure)) return checkThreadTarget(t, suite, base, defaultBuild);
    if (t.measure === 'algorithmSpeedup' || t.measure === 'algorithmTimeRatio') return checkAlgorithmTarget(t, suite, base, defaultBuild);
    if (t.measure === 'fractionOfPeak') {
      const ours = suite.variants.find((v) => v.name === defaultBuild);
      const candidates = t.peakSuites.flatMap((name) => (suites[name]?.variants ?? []).filter((v) => v.kind === 'build').map((v) => ({ ...v, suite: name })));
      const peak = highestRate(candidates);
      if (!ours || !peak) return { ...base, note: `${t.peakSuites.join(', ')} not run` };
      const value = ours.rate / peak.rate;
      return {
        ...base, value, status: value >= t.threshold ? 'PASS' : 'MISS',
        compared: `${defaultBuild} ${ours.rate.toPrecision(3)} GFLOP/s vs peak ${peak.rate.toPrecision(3)} GFLOP/s (${peak.name}, ${peak.suite})`,
      };
    }
    const ours = suite.variants.find((v) => v.name === defaultBuild);
    const peers = suite.variants.filter((v) => v.kind === 'peer' && v.peer === t.peer && Number.isFinite(v.medianMs));
    const peer = fastest(peers);
    if (!ours) return { ...base, note: `no ${defaultBuild} result` };
    if (!peer) return { ...base, note: `no ${t.peer} result: peers run in full mode or with --peers` };
    const ratio = (p) => (t.measure === 'speedup' ? p.medianMs / ours.medianMs : ours.medianMs / p.medianMs);
    const value = ratio(peer);
    // The same ratio against every variant of the peer (e.g. numpy float64, the lecture's dtype).
    const byVariant = Object.fromEntries(peers.map((p) => [p.name, ratio(p)]));
    return {
      ...base, value, status: pass(t, value) ? 'PASS' : 'MISS', byVariant,
      compared: `simdclass ${describe(ours)} vs ${describe(peer)}${ours.extrapolated || peer.extrapolated ? ' (~ extrapolated)' : ''}`,
    };
  });
}

// The performance targets, checked against one run's suites. simdclass is represented by
// its default build (what init() picks: relaxed SIMD when the engine has it), and each peer by
// its fastest variant (e.g. numpy float32 when that beats the lecture's float64).
import { formatTime } from './stats.mjs';

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
    const pass = t.op === '>=' ? value >= t.threshold : t.op === '<' ? value < t.threshold : value <= t.threshold;
    // The same ratio against every variant of the peer (e.g. numpy float64, the lecture's dtype).
    const byVariant = Object.fromEntries(peers.map((p) => [p.name, ratio(p)]));
    return {
      ...base, value, status: pass ? 'PASS' : 'MISS', byVariant,
      compared: `simdclass ${describe(ours)} vs ${describe(peer)}${ours.extrapolated || peer.extrapolated ? ' (~ extrapolated)' : ''}`,
    };
  });
}

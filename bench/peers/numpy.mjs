// numpy peer: bench/numpy_reference.py (the lecture's vectorized forms, BLAS pinned to one
// thread) as separate python3 processes on the same data and sizes as the simdclass suites.
// Started without OPENBLAS_CORETYPE / OPENBLAS_L2_SIZE, like
// `env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE python3 bench/numpy_reference.py ...` (see README-numpy.md).
import { spawnSync } from 'node:child_process';
import { attempt, runJsonProcess } from './child.mjs';

const SCRIPT = 'bench/numpy_reference.py';

function pythonEnv() {
  const env = { ...process.env };
  delete env.OPENBLAS_CORETYPE;
  delete env.OPENBLAS_L2_SIZE;
  return env;
}

/** numpy's version, or null when python3 or numpy is missing. */
function numpyVersion() {
  const r = spawnSync('python3', ['-c', 'import numpy; print(numpy.__version__)'], { encoding: 'utf8', env: pythonEnv() });
  return r.status === 0 ? r.stdout.trim() : null;
}

function peerVariant(name, ms, extra = {}) {
  return { name, kind: 'peer', peer: 'numpy', medianMs: ms, minMs: ms, maxMs: ms, spreadPct: 0, roundsMs: [ms], ...extra };
}

/**
 * Runs the numpy subcommands whose suites are wanted. `data` is { dir, trainLimit, testLimit },
 * `sizes` the run's sizes. Returns { available, note, version, machine, results, variants }.
 */
export async function runNumpyPeer({ data, sizes, wanted }) {
  const version = numpyVersion();
  if (version === null) {
    return { available: false, note: 'numpy skipped: python3 with numpy is not installed', variants: {} };
  }
  const common = ['--data', data.dir, '--seed', '0'];
  if (data.trainLimit) common.push('--train-limit', String(data.trainLimit));
  if (data.testLimit) common.push('--test-limit', String(data.testLimit));
  const k = String(sizes.knn.k);
  const run = (label, args) => attempt(`numpy ${label}`, () => runJsonProcess(`numpy ${label}`, 'python3', [SCRIPT, ...args], { env: pythonEnv() }));
  const { train } = sizes;
  const plan = [
    { suites: ['e2e/knn-fashion-l1'], key: 'knnL1', args: ['knn-l1-time', ...common, '--k', k, '--time-rows', String(sizes.peers.numpyL1Rows)] },
    { suites: ['e2e/knn-fashion-l2'], key: 'knnL2', args: ['knn-l2-time', ...common, '--k', k, '--block', '1000'] },
    ...['svm', 'softmax'].map((loss) => ({
      suites: [`e2e/sgd-iteration-${loss}`, `e2e/train-${loss}`], key: `sgd-${loss}`,
      args: ['sgd-time', ...common, '--loss', loss, '--iters', String(train.iters), '--batch-size', String(train.batch),
        '--learning-rate', String(train.learningRate), '--reg', String(train.reg)],
    })),
    { suites: ['kernel/loss-grad-svm', 'kernel/loss-grad-softmax'], key: 'lossTime', args: ['loss-time', '--seed', '0', '--repeats', String(sizes.peers.numpyLossRepeats), '--reg', String(sizes.loss.reg)] },
  ];
  const results = {};
  let machine = null;
  for (const step of plan) {
    if (!step.suites.some((s) => wanted.has(s))) continue;
    const out = await run(step.args[0], step.args);
    if (out.machine) {
      machine ??= out.machine;
      delete out.machine;
    }
    results[step.key] = out;
  }

  const variants = {};
  const add = (suite, v) => { (variants[suite] ??= []).push(v); };
  const dtypes = ['float64', 'float32'];
  if (results.knnL1 && !results.knnL1.error) {
    for (const t of dtypes) {
      const r = results.knnL1[t];
      add('e2e/knn-fashion-l1', peerVariant(`numpy ${t} (L1 loop)`, r.totalAllTestRowsMs, {
        extrapolated: true, queriesTimed: results.knnL1.timedRows, note: `${results.knnL1.timedRows} rows timed`,
      }));
    }
  }
  if (results.knnL2 && !results.knnL2.error) {
    for (const t of ['float32', 'float64']) {
      const r = results.knnL2[t];
      add('e2e/knn-fashion-l2', peerVariant(`numpy ${t} (OpenBLAS)`, r.totalMs, {
        extrapolated: false, accuracy: r.accuracyLectureTies, gemmNormsMs: r.gemmNormsMs, topKMs: r.topKMs,
        note: `top-k ${Math.round((100 * r.topKMs) / r.totalMs)}% of it`,
      }));
    }
  }
  for (const loss of ['svm', 'softmax']) {
    const r = results[`sgd-${loss}`];
    if (!r || r.error) continue;
    for (const t of dtypes) {
      add(`e2e/sgd-iteration-${loss}`, peerVariant(`numpy ${t}`, r[t].msPerIterMedianOf100, { extrapolated: false }));
      add(`e2e/train-${loss}`, peerVariant(`numpy ${t}`, r[t].prepMs + r[t].trainTotalMs, {
        extrapolated: false, accuracy: r[t].testAccuracy, finalLoss: r[t].finalLoss, note: 'centring + loop',
      }));
    }
  }
  if (results.lossTime && !results.lossTime.error) {
    for (const loss of ['svm', 'softmax']) {
      for (const t of dtypes) add(`kernel/loss-grad-${loss}`, peerVariant(`numpy ${t}`, results.lossTime[t][loss].medianMs, { extrapolated: false }));
    }
  }
  const blas = machine?.blasRuntime?.corename ? `, OpenBLAS kernel ${machine.blasRuntime.corename}` : '';
  return { available: true, version, note: `numpy ${version}${blas}, BLAS 1 thread`, machine, results, variants };
}

// numpy peer: bench/numpy_reference.py (the lecture's vectorized forms, BLAS pinned to one
// thread) as separate python3 processes on the same data and sizes as the simdclass suites.
// Started without OPENBLAS_CORETYPE / OPENBLAS_L2_SIZE, like
// `env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE python3 bench/numpy_reference.py ...` (see README-numpy.md).
// For threads/knn-fashion-l2, knn-l2-time runs once per thread count N with SIMDCLASS_BLAS_THREADS
// and OPENBLAS_NUM_THREADS set to N; what the loaded BLAS reports (threadpoolctl when installed,
// else openblas_get_num_threads) and the CPU / wall time of the run say whether N threads ran.
import { spawnSync } from 'node:child_process';
import { attempt, runJsonProcess } from './child.mjs';

const SCRIPT = 'bench/numpy_reference.py';

function pythonEnv(blasThreads = 1) {
  const env = { ...process.env };
  delete env.OPENBLAS_CORETYPE;
  delete env.OPENBLAS_L2_SIZE;
  env.SIMDCLASS_BLAS_THREADS = String(blasThreads);
  env.OPENBLAS_NUM_THREADS = String(blasThreads);
  return env;
}

/**
 * How many threads the BLAS of a run reports: threadpoolctl's num_threads of its OpenBLAS
 * entries when threadpoolctl is installed, else openblas_get_num_threads() read through ctypes.
 */
export function reportedBlasThreads(blasRuntime) {
  const pools = (blasRuntime?.threadpoolctl ?? []).filter((p) => p?.internal_api === 'openblas' || p?.internal_api === 'mkl' || p?.internal_api === 'blis');
  if (pools.length > 0) {
    const counts = [...new Set(pools.map((p) => p.num_threads))];
    return { threads: counts.length === 1 ? counts[0] : Math.min(...counts), source: 'threadpoolctl', all: counts };
  }
  if (typeof blasRuntime?.numThreads === 'number') {
    return { threads: blasRuntime.numThreads, source: 'openblas_get_num_threads (threadpoolctl not installed)' };
  }
  return { threads: null, source: 'not reported (neither threadpoolctl nor an OpenBLAS with openblas_get_num_threads)' };
}

/** numpy's version, or null when python3 or numpy is missing. */
export function numpyVersion() {
  const r = spawnSync('python3', ['-c', 'import numpy; print(numpy.__version__)'], { encoding: 'utf8', env: pythonEnv() });
  return r.status === 0 ? r.stdout.trim() : null;
}

/**
 * One knn-l1-time or knn-l2-time run for one dtype, BLAS pinned to `blasThreads` as everywhere in
 * this peer (SIMDCLASS_BLAS_THREADS and OPENBLAS_NUM_THREADS): the first `testLimit` test rows
 * against the first `trainLimit` training rows (all when null). L1 times `timeRows` rows and
 * extrapolates. Used by bench/suites/pyramid.mjs, which runs it once per round among its own
 * variants. Returns { ms, extrapolated, timedRows, result, blas } or { error }.
 */
export async function runNumpyKnnTime({ metric, dtype, dir, trainLimit = null, testLimit = null, k, timeRows = 50, blasThreads = 1 }) {
  const args = [metric === 'l1' ? 'knn-l1-time' : 'knn-l2-time', '--data', dir, '--seed', '0', '--k', String(k), '--dtypes', dtype];
  if (trainLimit) args.push('--train-limit', String(trainLimit));
  if (testLimit) args.push('--test-limit', String(testLimit));
  if (metric === 'l1') args.push('--time-rows', String(timeRows));
  else args.push('--block', '1000');
  const label = `${args[0]} ${dtype}`;
  const out = await attempt(`numpy ${label}`, () => runJsonProcess(`numpy ${label}`, 'python3', [SCRIPT, ...args], { env: pythonEnv(blasThreads) }));
  if (out.error) return out;
  const r = out[dtype];
  const reported = reportedBlasThreads(out.machine?.blasRuntime);
  const blas = {
    blasThreads, blasThreadsReported: reported.threads, blasThreadsSource: reported.source,
    blasThreadsVerified: reported.threads === blasThreads && out.blasThreads === blasThreads,
    corename: out.machine?.blasRuntime?.corename ?? null,
  };
  return metric === 'l1'
    ? { ms: r.totalAllTestRowsMs, extrapolated: out.timedRows < out.testN, timedRows: out.timedRows, result: r, blas }
    : { ms: r.totalMs, extrapolated: false, timedRows: out.testN, result: r, blas };
}

function peerVariant(name, ms, extra = {}) {
  return { name, kind: 'peer', peer: 'numpy', medianMs: ms, minMs: ms, maxMs: ms, spreadPct: 0, roundsMs: [ms], ...extra };
}

/**
 * Runs the numpy subcommands whose suites are wanted. `data` is { dir, trainLimit, testLimit },
 * `sizes` the run's sizes. Returns { available, note, version, machine, results, variants }.
 */
export async function runNumpyPeer({ data, sizes, wanted, threadCounts = [] }) {
  const version = numpyVersion();
  if (version === null) {
    return { available: false, note: 'numpy skipped: python3 with numpy is not installed', variants: {} };
  }
  const common = ['--data', data.dir, '--seed', '0'];
  if (data.trainLimit) common.push('--train-limit', String(data.trainLimit));
  if (data.testLimit) common.push('--test-limit', String(data.testLimit));
  const k = String(sizes.knn.k);
  const run = (label, args, blasThreads = 1) => attempt(`numpy ${label}`, () => runJsonProcess(`numpy ${label}`, 'python3', [SCRIPT, ...args], { env: pythonEnv(blasThreads) }));
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
    // The thread-scaling suite: the same L2 run at each thread count.
    ...threadCounts.map((threads) => ({
      suites: ['threads/knn-fashion-l2'], key: `knnL2x${threads}`, blasThreads: threads, label: `knn-l2-time x${threads}`,
      args: ['knn-l2-time', ...common, '--k', k, '--block', '1000'],
    })),
  ];
  const results = {};
  let machine = null;
  for (const step of plan) {
    if (!step.suites.some((s) => wanted.has(s))) continue;
    const out = await run(step.label ?? step.args[0], step.args, step.blasThreads ?? 1);
    if (out.machine) {
      // Each thread-count run keeps what its BLAS reported; the first run's machine record stands for all.
      if (step.blasThreads !== undefined) out.blasRuntime = out.machine.blasRuntime;
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
  const threadChecks = [];
  const byThreads = new Map();
  for (const threads of threadCounts) {
    const r = results[`knnL2x${threads}`];
    if (!r || r.error) continue;
    const reported = reportedBlasThreads(r.blasRuntime);
    const verified = reported.threads === threads && r.blasThreads === threads;
    threadChecks.push({ threads, scriptThreads: r.blasThreads ?? null, reported: reported.threads, source: reported.source, verified });
    for (const t of ['float32', 'float64']) {
      const x = r[t];
      const cpu = typeof x.cpuPerWall === 'number' ? `; CPU / wall ${x.cpuPerWall.toFixed(2)}` : '';
      const check = verified
        ? `BLAS reports ${reported.threads} thread${reported.threads === 1 ? '' : 's'} (${reported.source.split(' ')[0]})`
        : `asked for ${threads} BLAS threads, BLAS reports ${reported.threads ?? 'nothing'} (${reported.source})`;
      const v = peerVariant(`numpy x${threads} (${t})`, x.totalMs, {
        extrapolated: false, threads, dtype: t, accuracy: x.accuracyLectureTies, gemmNormsMs: x.gemmNormsMs, topKMs: x.topKMs,
        blasThreads: threads, blasThreadsReported: reported.threads, blasThreadsSource: reported.source, blasThreadsVerified: verified,
        cpuPerWall: x.cpuPerWall ?? null,
        note: `OpenBLAS; ${check}${cpu}; top-k ${Math.round((100 * x.topKMs) / x.totalMs)}% of it`,
      });
      byThreads.set(`${t}/${threads}`, v);
      add('threads/knn-fashion-l2', v);
    }
  }
  // Scaling of numpy against itself, as the simdclass thread variants have it.
  for (const [key, v] of byThreads) {
    const one = byThreads.get(`${key.split('/')[0]}/1`);
    v.vsOneThread = one && v.medianMs > 0 ? one.medianMs / v.medianMs : null;
  }
  const blas = machine?.blasRuntime?.corename ? `, OpenBLAS kernel ${machine.blasRuntime.corename}` : '';
  const threadNote = threadChecks.length === 0 ? ''
    : `; threads/knn-fashion-l2: BLAS ${threadChecks.map((c) => `x${c.threads} ${c.verified ? 'verified' : `NOT verified (reports ${c.reported ?? 'nothing'})`}`).join(', ')} ` +
      `(${threadChecks[0].source})`;
  return {
    available: true, version, note: `numpy ${version}${blas}, BLAS 1 thread${threadNote}`, machine, results, variants,
    ...(threadChecks.length > 0 ? { blasThreadChecks: threadChecks } : {}),
  };
}

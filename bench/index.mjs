// `simdclass bench`: runs the kernel and end-to-end suites (plain JS, scalar, SIMD and relaxed
// SIMD interleaved in this process, each in the caller's thread), the thread-scaling suites (the
// default build's worker pool at 1..N threads), then the peers as separate processes, and prints
// a table or one JSON object. Flags arrive parsed from src/cli/bench.ts:
// { quick, json, data, filter, peers, threads }.
// Run on its own: node bench/index.mjs [--quick] [--json] [--data DIR] [--filter TEXT] [--peers] [--threads N]
import { readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { pathToFileURL } from 'node:url';
import { availableBuilds, defaultBuild, useBuild } from './builds.mjs';
import { describeMachine, finishMachine } from './machine.mjs';
import { runMlKnnPeer } from './peers/mlknn.mjs';
import { runNumpyPeer } from './peers/numpy.mjs';
import { runTfjsPeer } from './peers/tfjs.mjs';
import { renderTable } from './report.mjs';
import { END_TO_END_SUITE_NAMES, runEndToEndSuites } from './suites/end-to-end.mjs';
import { KERNEL_SUITE_NAMES, runKernelSuites } from './suites/kernels.mjs';
import { PYRAMID_SUITE_NAMES, runPyramidSuites } from './suites/pyramid.mjs';
import { runThreadSuites, THREAD_SUITE_NAMES, threadCounts } from './suites/threads.mjs';
import { checkTargets } from './targets.mjs';
import { addRates, progress } from './timing.mjs';
import { loadFashion } from './workloads.mjs';

/** Every suite, in report order. */
export const SUITE_NAMES = [...KERNEL_SUITE_NAMES, ...END_TO_END_SUITE_NAMES, ...PYRAMID_SUITE_NAMES, ...THREAD_SUITE_NAMES];

const TRAIN = { batch: 200, learningRate: 3e-6, reg: 1e2 };
const LOSS = { rows: 500, dims: 3073, classes: 10, reg: 5e-6 };
// The SGD step's products: 785 dims (784 pixels and the bias), 10 classes less the shifted one.
const CLASS_SGD = { m: 200, k: 785, n: 9 };

/**
 * Sizes per mode. quick: tiny, a smoke test under a minute. full: the targets' workloads
 * (Fashion-MNIST 60,000 x 10,000, CIFAR-10 shape 50,000 x 3072); slow variants time a subset.
 */
export const SIZES = {
  quick: {
    rounds: 2, longRounds: 2, maxTime: 0.05, minSamples: 1,
    kernel: { queries: 8, trainRows: 512, dims: 784 },
    classes: { peak: { m: 12, k: 1032, n: 9 }, sgd: CLASS_SGD },
    loss: LOSS,
    fashion: { trainLimit: 2000, testLimit: 50 },
    knn: { k: 5, jsQueries: 10, scalarQueries: 50, simdQueries: 50 },
    train: { ...TRAIN, iters: 200, jsIters: 20 },
    cifar: { trainRows: 2000, totalQueries: 20, jsQueries: 2, scalarQueries: 10, simdQueries: 20, iters: 100, jsIters: 8 },
    peers: { numpyL1Rows: 5, numpyLossRepeats: 5, tfjsQueries: 50, tfjsGatherIters: 20, mlknnQueries: 3 },
    threads: { responsiveness: { queries: 2000, intervalMs: 10 }, poolStartRuns: 3 },
    // pyramid/*: one thread, brute vs pyramid vs auto (Fashion-MNIST: the run's training set and
    // the first fashionQueries test rows); noise: 20,000 rows so that 'auto' builds its pyramid for L1 and L2.
    pyramid: { rounds: 2, fashionQueries: 50, numpyL1Rows: 5, cifar: { trainRows: 5000, queries: 32 }, noise: { trainRows: 20000, queries: 64, rounds: 2 }, cvRows: 2000 },
  },
  full: {
    rounds: 5, longRounds: 3, maxTime: 0.5, minSamples: 3,
    kernel: { queries: 32, trainRows: 4096, dims: 784 },
    classes: { peak: { m: 48, k: 1032, n: 9 }, sgd: CLASS_SGD },
    loss: LOSS,
    fashion: { trainLimit: undefined, testLimit: undefined },
    knn: { k: 5, jsQueries: 20, scalarQueries: 100, simdQueries: Infinity },
    train: { ...TRAIN, iters: 3000, jsIters: 100 },
    cifar: { trainRows: 50000, totalQueries: 10000, jsQueries: 4, scalarQueries: 20, simdQueries: 200, iters: 500, jsIters: 20 },
    peers: { numpyL1Rows: 50, numpyLossRepeats: 20, tfjsQueries: 2000, tfjsGatherIters: 300, mlknnQueries: 5 },
    threads: { responsiveness: { queries: 2000, intervalMs: 10 }, poolStartRuns: 7 },
    pyramid: { rounds: 3, fashionQueries: 10000, numpyL1Rows: 50, cifar: { trainRows: 50000, queries: 500 }, noise: { trainRows: 20000, queries: 1000, rounds: 5 }, cvRows: 10000 },
  },
};

function packageVersion() {
  try {
    return JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')).version;
  } catch {
    return null;
  }
}

/** Runs the peers on the suites that ran, and merges their variants into those suites. */
async function runPeers(suites, { fashion, sizes, threadCounts: counts }) {
  const wanted = new Set(Object.keys(suites));
  const data = { dir: fashion.dir, trainLimit: sizes.fashion.trainLimit, testLimit: sizes.fashion.testLimit };
  const peers = { ran: true };
  for (const [name, run] of [['numpy', runNumpyPeer], ['tfjs', runTfjsPeer], ['mlknn', runMlKnnPeer]]) {
    progress(`peer ${name}`);
    const { variants = {}, ...rest } = await run({ data, sizes, wanted, threadCounts: counts });
    if (rest.available === false) progress(`  ${rest.note}`);
    peers[name] = rest;
    for (const [suiteName, list] of Object.entries(variants)) suites[suiteName]?.variants.push(...list);
  }
  return peers;
}

/**
 * The largest thread count of the scaling suites: `--threads N` (flags.threads, a number or a
 * numeric string), else os.availableParallelism().
 */
export function maxThreadsOf(flags) {
  const given = flags.threads;
  if (given === undefined || given === null || given === '') return availableParallelism();
  const n = typeof given === 'number' ? given : Number(String(given).trim());
  if (!Number.isInteger(n) || n < 1 || n > 256) {
    throw new Error(`bench --threads: expected an integer from 1 to 256 (the largest thread count of the threads/* suites), got ${String(given)}`);
  }
  return n;
}

/** Builds the whole result object (also used by tests through the CLI). */
export async function collect(flags) {
  const mode = flags.quick ? 'quick' : 'full';
  const maxThreads = maxThreadsOf(flags);
  const sizes = SIZES[mode];
  const filter = typeof flags.filter === 'string' && flags.filter !== '' ? flags.filter : null;
  const machine = describeMachine();
  const notes = [];
  progress(`simdclass bench (${mode}) on ${machine.cpu}, ${machine.cores} cores, Node ${machine.node}; load ${machine.loadBefore.join(' ')}`);

  const { builds, notes: buildNotes } = await availableBuilds();
  notes.push(...buildNotes);
  const cores = {};
  for (const build of builds) cores[build] = await useBuild(build);

  const dataDir = typeof flags.data === 'string' ? flags.data : '/usr/share/datasets/fashion-mnist';
  const fashion = await loadFashion(dataDir, sizes.fashion);
  if (fashion.note) {
    notes.push(fashion.note);
    progress(`note: ${fashion.note}`);
  }
  progress(`Fashion-MNIST: ${fashion.dataset.train.X.rows} train x ${fashion.dataset.test.X.rows} test from ${fashion.dir}`);

  // The pyramid suites run numpy among their own variants when the peers run.
  const runPeersNow = flags.peers === true || mode === 'full';
  const ctx = { sizes, builds, cores, fashion, defaultBuild: defaultBuild(builds), maxThreads, peers: runPeersNow };
  const suites = {
    ...(await runKernelSuites(ctx, filter)),
    ...(await runEndToEndSuites(ctx, filter)),
    ...(await runPyramidSuites(ctx, filter)),
    ...(await runThreadSuites(ctx, filter)),
  };
  for (const key of Object.keys(cores)) delete cores[key];

  const peers = runPeersNow
    ? await runPeers(suites, { fashion, sizes, threadCounts: threadCounts(maxThreads) })
    : { ran: false, note: 'peers (numpy, TensorFlow.js, ml-knn) run in full mode or with --peers; skipped' };
  for (const suite of Object.values(suites)) addRates(suite.variants, suite.work, suite.unit);

  const indicative = mode === 'quick' || fashion.fallback;
  const targets = checkTargets(suites, { defaultBuild: defaultBuild(builds), indicative });
  const targetsNote = !indicative ? null
    : `indicative only: ${mode === 'quick' ? 'quick sizes' : 'the embedded sample'}, not the targets' workload (full Fashion-MNIST, full mode)`;
  finishMachine(machine);
  if (machine.busy) notes.push('the machine was busy (see machine.loadBefore / loadAfter): timings may be inflated and noisy');
  return {
    tool: 'simdclass bench',
    version: packageVersion(),
    mode,
    flags: { quick: mode === 'quick', peers: runPeersNow, filter, data: dataDir, threads: flags.threads ?? null },
    machine,
    config: {
      builds, defaultBuild: defaultBuild(builds), rounds: sizes.rounds, longRounds: sizes.longRounds,
      maxTime: sizes.maxTime, minSamples: sizes.minSamples, sizes,
      // The largest thread count of the threads/* suites (--threads, default os.availableParallelism());
      // every other suite runs in the caller's thread (init({ threads: 0 })).
      threads: maxThreads, threadCounts: threadCounts(maxThreads), availableParallelism: availableParallelism(),
    },
    data: {
      fashion: { dir: fashion.dir, fallback: fashion.fallback, trainRows: fashion.dataset.train.X.rows, testRows: fashion.dataset.test.X.rows },
      cifar: { synthetic: true, trainRows: sizes.cifar.trainRows, cols: 3072, queries: sizes.cifar.totalQueries, seed: 7 },
    },
    notes,
    suites,
    peers,
    targets,
    targetsNote,
  };
}

/** The `simdclass bench` entry: prints the table, or exactly one JSON object with --json. */
export async function runBench(flags) {
  const result = await collect(flags);
  if (flags.json) process.stdout.write(`${JSON.stringify(result, (_, v) => (v === Infinity ? null : v))}\n`);
  else process.stdout.write(`${renderTable(result).join('\n')}\n`);
}

// Standalone: parse the same flags as the CLI (the compiled parser and flag table in dist/), plus
// --threads while the CLI's table does not have it for bench yet.
if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const { parseFlags } = await import('../dist/cli/args.js');
  const table = await import('../dist/cli/flags.js').then((m) => m.flagsOf('bench'), async () => (await import('../dist/cli/bench.js')).benchFlags);
  const specs = { ...table };
  specs.threads ??= { type: 'int', min: 1, value: 'N', help: 'Largest thread count of the threads/* suites', defaultText: 'os.availableParallelism()' };
  try {
    await runBench(parseFlags(process.argv.slice(2), specs));
  } catch (err) {
    if (err?.name !== 'UsageError' && err?.constructor?.name !== 'UsageError') throw err;
    process.stderr.write(`bench: ${err.message}\n`);
    process.exitCode = 2;
  }
}

// Smoke test of `simdclass bench --quick --json`: the command runs on tiny sizes and prints one
// well-formed JSON object with the machine record and every suite. No timing assertions: CI
// machines are shared and noisy. Peers are not run (quick mode without --peers). The pyramid/*
// suites throw (and the command fails) when the pyramid's neighbours differ from brute force's.
import { spawnSync } from 'node:child_process';
import { availableParallelism } from 'node:os';
import { fileURLToPath } from 'node:url';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { readmeTable } from '../bench/readme-table.mjs';
import { threadCounts } from '../bench/suites/threads.mjs';

const ROOT = fileURLToPath(new URL('..', import.meta.url));

// The suites and targets the issue asks for; a suite that silently disappears fails here.
// SUITES run in the caller's thread (plain JS and every build); THREAD_SUITES run the default build's pool.
const SUITES = [
  'kernel/distances-u8-l1', 'kernel/distances-u8-l2', 'kernel/distances-f32-l1', 'kernel/distances-f32-l2',
  'kernel/topk-u8-l2-k5', 'kernel/topk-u8-l2-k100',
  'kernel/class-scores-peak', 'kernel/class-scores-sgd', 'kernel/class-grad-sgd',
  'kernel/loss-grad-svm', 'kernel/loss-grad-softmax',
  'e2e/knn-fashion-l1', 'e2e/knn-fashion-l2',
  'e2e/sgd-iteration-svm', 'e2e/sgd-iteration-softmax', 'e2e/train-svm', 'e2e/train-softmax',
  'e2e/knn-cifar-l1', 'e2e/knn-cifar-l2', 'e2e/sgd-iteration-cifar-softmax',
];
const THREAD_SUITES = ['threads/knn-fashion-l1', 'threads/knn-fashion-l2', 'threads/responsiveness', 'threads/pool-start'];
// One thread (the default build, threads 0): brute force, the exact pyramid and 'auto' side by side.
const PYRAMID_SUITES = [
  'pyramid/knn-fashion-l1', 'pyramid/knn-fashion-l2', 'pyramid/knn-cifar-l1', 'pyramid/knn-cifar-l2', 'pyramid/knn-noise-l1', 'pyramid/knn-noise-l2',
];
// crossValidateKnn with 'brute' and 'auto', one thread.
const CV_SUITES = ['pyramid/cv-fashion-l1', 'pyramid/cv-fashion-l2'];
const TARGETS = [
  'knn-l1-vs-numpy', 'knn-l2-vs-numpy', 'knn-l2-vs-tfjs', 'knn-l2-vs-mlknn',
  'sgd-svm-vs-numpy', 'sgd-softmax-vs-numpy', 'sgd-softmax-vs-tfjs', 'loss-svm-vs-numpy', 'loss-softmax-vs-numpy', 'class-scores-sgd-vs-peak', 'class-grad-sgd-vs-peak',
  'knn-l2-threads-2-vs-1', 'knn-l1-threads-2-vs-1', 'knn-l2-threads-2-vs-numpy-2', 'knn-l2-pyramid-2-vs-numpy-2',
  'knn-l2-pyramid-vs-brute', 'knn-l2-pyramid-vs-numpy', 'knn-l1-pyramid-vs-brute', 'knn-noise-l1-auto-vs-brute', 'knn-noise-l2-auto-vs-brute',
  'cv-l1-auto-vs-brute', 'cv-l2-auto-vs-brute', 'responsiveness-max-threads', 'pool-start-stated',
];
// Without --threads the largest thread count is the machine's.
const MAX_THREADS = availableParallelism();

const runBench = suite('simdclass bench --quick --json');
let run = null;
let result = null;

runBench.before(() => {
  run = spawnSync(process.execPath, ['dist/cli/main.js', 'bench', '--quick', '--json'], {
    cwd: ROOT, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024, timeout: 300_000,
  });
  try {
    result = JSON.parse(run.stdout);
  } catch {
    result = null;
  }
});

const isPositive = (v) => typeof v === 'number' && Number.isFinite(v) && v > 0;

runBench('exits 0 and prints exactly one JSON object on stdout, progress on stderr', () => {
  assert.is(run.error, undefined, `spawn failed: ${run.error}`);
  assert.is(run.status, 0, `exit status ${run.status}; stderr tail: ${run.stderr?.slice(-2000)}`);
  const lines = run.stdout.trim().split('\n');
  assert.is(lines.length, 1, `expected one line on stdout, got ${lines.length}`);
  assert.ok(result !== null && typeof result === 'object' && !Array.isArray(result), 'stdout is not a JSON object');
  assert.ok(run.stderr.length > 0, 'expected progress on stderr');
});

runBench('records the mode and the machine, with the load before and after', () => {
  assert.is(result.mode, 'quick');
  const m = result.machine;
  assert.type(m.cpu, 'string');
  assert.ok(Number.isInteger(m.cores) && m.cores >= 1, `cores: ${m.cores}`);
  assert.is(m.node, process.version);
  assert.ok(!Number.isNaN(Date.parse(m.date)), `date: ${m.date}`);
  for (const key of ['loadBefore', 'loadAfter']) {
    assert.ok(Array.isArray(m[key]) && m[key].length === 3 && m[key].every((v) => typeof v === 'number'), `${key}: ${JSON.stringify(m[key])}`);
  }
  assert.type(m.busy, 'boolean');
  assert.ok(result.config.builds.includes('scalar') && result.config.builds.includes('simd'), `builds: ${result.config.builds}`);
});

runBench('has every suite, each with plain JS and every build, with medians, spreads, rates and ratios', () => {
  assert.equal(Object.keys(result.suites).sort(), [...SUITES, ...PYRAMID_SUITES, ...CV_SUITES, ...THREAD_SUITES].sort());
  for (const name of SUITES) {
    const s = result.suites[name];
    assert.is(s.name, name);
    assert.type(s.title, 'string');
    assert.type(s.unit, 'string');
    const names = s.variants.map((v) => v.name);
    assert.equal(names, ['plain-js', ...result.config.builds], `${name} variants`);
    assert.is(s.variants[0].kind, 'reference');
    for (const v of s.variants) {
      const where = `${name} / ${v.name}`;
      assert.ok(isPositive(v.medianMs), `${where}: medianMs ${v.medianMs}`);
      assert.ok(v.minMs <= v.medianMs && v.medianMs <= v.maxMs, `${where}: min ${v.minMs} median ${v.medianMs} max ${v.maxMs}`);
      assert.ok(Array.isArray(v.roundsMs) && v.roundsMs.length === s.rounds, `${where}: ${v.roundsMs?.length} rounds, expected ${s.rounds}`);
      assert.ok(typeof v.spreadPct === 'number' && v.spreadPct >= 0, `${where}: spread ${v.spreadPct}`);
      assert.ok(isPositive(v.rate), `${where}: rate ${v.rate}`);
      assert.ok(isPositive(v.vsReference) && isPositive(v.vsScalar), `${where}: ratios ${v.vsReference} ${v.vsScalar}`);
    }
  }
});

runBench('marks extrapolated variants, checks kNN against plain JS, and skips the peers', () => {
  const knn = result.suites['e2e/knn-fashion-l2'];
  assert.type(knn.variants[0].extrapolated, 'boolean');
  for (const v of knn.variants.slice(1)) assert.is(v.agreesWithPlainJs, 1, `${v.name} predictions differ from plain JS`);
  assert.is(result.peers.ran, false);
  assert.type(result.peers.note, 'string');
});

runBench('records the largest thread count, os.availableParallelism() by default', () => {
  assert.is(result.config.threads, MAX_THREADS);
  assert.equal(result.config.threadCounts, threadCounts(MAX_THREADS));
  assert.is(result.config.threadCounts[0], 1);
  assert.is(result.config.threadCounts.at(-1), MAX_THREADS);
});

runBench('threads/knn-* suites: the default build at every thread count, each predicting exactly what x1 predicts', () => {
  const build = result.config.defaultBuild;
  for (const name of ['threads/knn-fashion-l1', 'threads/knn-fashion-l2']) {
    const s = result.suites[name];
    assert.is(s.name, name);
    assert.type(s.title, 'string');
    assert.is(s.unit, 'distances/s');
    const most = Math.max(...result.config.threadCounts);
    assert.equal(s.variants.map((v) => v.name), [...result.config.threadCounts.map((t) => `${build} x${t}`), `${build} x${most} pyramid`], `${name} variants`);
    const pyramid = s.variants.at(-1);
    assert.is(pyramid.kind, 'pyramid');
    assert.is(pyramid.agreesWithOneThread, 1, `${name}: the pyramid predicts what x1 predicts`);
    assert.ok(pyramid.exactShare > 0 && pyramid.exactShare <= 1, `${name}: exact share ${pyramid.exactShare}`);
    for (const v of s.variants.slice(0, -1)) {
      const where = `${name} / ${v.name}`;
      assert.is(v.kind, 'threads');
      assert.is(v.build, build);
      assert.ok(Number.isInteger(v.threads) && v.threads >= 1, `${where}: threads ${v.threads}`);
      assert.ok(isPositive(v.medianMs), `${where}: medianMs ${v.medianMs}`);
      assert.ok(Array.isArray(v.roundsMs) && v.roundsMs.length === s.rounds, `${where}: ${v.roundsMs?.length} rounds, expected ${s.rounds}`);
      assert.ok(isPositive(v.rate), `${where}: rate ${v.rate}`);
      assert.ok(isPositive(v.vsOneThread), `${where}: vsOneThread ${v.vsOneThread}`);
      assert.is(v.agreesWithOneThread, 1, `${where}: predictions differ from x1`);
      // Where the build has threads, the pool really has that many workers.
      if (build !== 'scalar') assert.is(v.poolThreads, v.threads, `${where}: pool of ${v.poolThreads}`);
    }
  }
});

runBench('pyramid/* suites: brute, pyramid and auto in the caller\'s thread, the same neighbours, pruning shares and ratios', () => {
  const build = result.config.defaultBuild;
  for (const name of PYRAMID_SUITES) {
    const s = result.suites[name];
    assert.is(s.name, name);
    assert.is(s.level, 'pyramid');
    assert.type(s.title, 'string');
    assert.is(s.unit, 'distances/s');
    assert.is(s.errors, undefined, `${name}: errors ${s.errors}`);
    // Peers are off in quick mode without --peers: no numpy variants.
    assert.equal(s.variants.map((v) => v.name), [`${build} brute`, `${build} pyramid`, `${build} auto`], `${name} variants`);
    for (const v of s.variants) {
      const where = `${name} / ${v.name}`;
      assert.is(v.build, build);
      assert.is(v.threads, 0, `${where}: threads ${v.threads}`);
      assert.is(v.algorithm, v.kind);
      assert.ok(isPositive(v.medianMs), `${where}: medianMs ${v.medianMs}`);
      assert.ok(Array.isArray(v.roundsMs) && v.roundsMs.length === s.rounds, `${where}: ${v.roundsMs?.length} rounds, expected ${s.rounds}`);
      assert.ok(isPositive(v.rate), `${where}: rate ${v.rate}`);
      assert.ok(isPositive(v.vsBrute), `${where}: vsBrute ${v.vsBrute}`);
      assert.is(v.identicalToBrute, true, `${where}: neighbours differ from brute force`);
      assert.ok(typeof v.exactShare === 'number' && v.exactShare > 0, `${where}: exact share ${v.exactShare}`);
      assert.type(v.note, 'string');
    }
    const [brute, pyramid, auto] = s.variants;
    assert.is(brute.exactShare, 1, `${name}: brute force computes every distance`);
    assert.is(pyramid.searched, 'pyramid');
    assert.ok(pyramid.levels.length > 0, `${name}: no pyramid levels`);
    for (const l of pyramid.levels) assert.ok(typeof l.block === 'string' && l.reachedShare >= 0 && l.reachedShare <= 1, `${name}: level ${JSON.stringify(l)}`);
    assert.ok(isPositive(pyramid.firstCallMs), `${name}: firstCallMs ${pyramid.firstCallMs}`);
    assert.is(auto.autoChose.length, s.rounds);
    for (const c of auto.autoChose) assert.ok(c === 'brute' || c === 'pyramid', `${name}: auto chose ${c}`);
    assert.ok(isPositive(auto.timeVsBrute) && isPositive(auto.laterCallTimeVsBrute), `${name}: auto ratios ${auto.timeVsBrute} ${auto.laterCallTimeVsBrute}`);
    assert.type(s.summary.text, 'string');
    assert.ok(isPositive(s.summary.pyramidVsBrute), `${name}: summary pyramidVsBrute ${s.summary.pyramidVsBrute}`);
  }
  // Uniform noise: the bounds prune almost nothing, and the summary says what the data does to them.
  for (const name of ['pyramid/knn-cifar-l1', 'pyramid/knn-noise-l1', 'pyramid/knn-noise-l2']) {
    assert.match(result.suites[name].summary.text, /uniform random bytes/);
  }
});

runBench('pyramid/cv-* suites: crossValidateKnn with brute and auto in the caller\'s thread, the same accuracies, ratios', () => {
  const build = result.config.defaultBuild;
  for (const name of CV_SUITES) {
    const s = result.suites[name];
    assert.is(s.level, 'pyramid');
    assert.equal([s.shape.folds, s.shape.ks, s.shape.threads], [5, 20, "0 (caller's thread)"], `${name} shape`);
    assert.equal(s.variants.map((v) => v.name), [`${build} brute`, `${build} auto`], `${name} variants`);
    for (const v of s.variants) {
      const where = `${name} / ${v.name}`;
      assert.equal([v.build, v.threads, v.algorithm], [build, 0, v.kind], where);
      assert.ok(isPositive(v.medianMs) && v.roundsMs.length === s.rounds, `${where}: ${v.medianMs} over ${v.roundsMs?.length} rounds`);
      assert.is(v.identicalToBrute, true, where);
      assert.is(v.foldAlgorithms.length, 5, `${where}: an algorithm per fold`);
      assert.ok(v.exactShare > 0 && v.exactShare <= 1, `${where}: exact share ${v.exactShare}`);
    }
    assert.equal(s.variants[0].foldAlgorithms, ['brute', 'brute', 'brute', 'brute', 'brute'], `${name}: brute force searches every fold by brute force`);
    assert.ok(isPositive(s.summary.autoVsBrute), `${name}: summary ${s.summary.autoVsBrute}`);
  }
});

runBench('threads/responsiveness: the timer at the largest thread count and in the caller\'s thread', () => {
  const build = result.config.defaultBuild;
  const s = result.suites['threads/responsiveness'];
  assert.equal(s.variants.map((v) => v.name), [`${build} x${MAX_THREADS}`, `${build} x0 (caller's thread)`]);
  assert.equal(s.variants.map((v) => v.threads), [MAX_THREADS, 0]);
  for (const v of s.variants) {
    const where = `threads/responsiveness / ${v.name}`;
    assert.ok(isPositive(v.medianMs), `${where}: medianMs ${v.medianMs}`);
    assert.ok(isPositive(v.timerExpected), `${where}: expected ${v.timerExpected}`);
    assert.ok(typeof v.timerFraction === 'number' && v.timerFraction >= 0 && v.timerFraction <= 1.5, `${where}: fraction ${v.timerFraction}`);
    assert.ok(typeof v.timerFired === 'number' && v.timerFired >= 0, `${where}: fired ${v.timerFired}`);
    assert.ok(v.maxGapMs > 0 && v.maxGapMs <= v.maxMs + 1, `${where}: longest gap ${v.maxGapMs}`);
  }
});

runBench('threads/pool-start: init time and RSS in child processes, start cost and memory per worker', () => {
  const build = result.config.defaultBuild;
  const s = result.suites['threads/pool-start'];
  assert.is(s.errors, undefined, `errors: ${s.errors}`);
  assert.equal(s.variants.map((v) => v.name), [`${build} x0 (caller's thread)`, `${build} x${MAX_THREADS}`]);
  for (const v of s.variants) {
    assert.ok(isPositive(v.medianMs), `${v.name}: init ${v.medianMs} ms`);
    assert.ok(isPositive(v.rssMiB), `${v.name}: RSS ${v.rssMiB}`);
    assert.is(v.runs, s.rounds);
    assert.is(v.keptAlive, false, `${v.name}: idle workers kept the process alive`);
  }
  assert.is(s.summary.threads, MAX_THREADS);
  assert.type(s.summary.startMs, 'number');
  assert.type(s.summary.perWorkerMiB, 'number');
  assert.type(s.summary.text, 'string');
});

runBench('lists every target with a status', () => {
  assert.equal(result.targets.map((t) => t.id), TARGETS);
  for (const t of result.targets) {
    assert.ok(['PASS', 'MISS', 'n/a', 'INFO'].includes(t.status), `${t.id}: ${t.status}`);
    assert.is(t.indicative, true, `${t.id}: quick sizes are not the targets' workload`);
  }
  const byId = Object.fromEntries(result.targets.map((t) => [t.id, t]));
  // Peers are skipped, so the numpy comparison has nothing to compare; the others are measured.
  assert.is(byId['knn-l2-threads-2-vs-numpy-2'].status, 'n/a');
  assert.is(byId['knn-l2-pyramid-2-vs-numpy-2'].status, 'n/a');
  assert.is(byId['knn-l2-pyramid-vs-numpy'].status, 'n/a');
  for (const id of ['knn-l2-pyramid-vs-brute', 'knn-l1-pyramid-vs-brute', 'knn-noise-l1-auto-vs-brute', 'knn-noise-l2-auto-vs-brute']) {
    assert.ok(['PASS', 'MISS'].includes(byId[id].status), `${id}: ${byId[id].status} (${byId[id].note ?? ''})`);
    assert.ok(isPositive(byId[id].value), `${id}: value ${byId[id].value}`);
  }
  assert.ok(['PASS', 'MISS'].includes(byId['responsiveness-max-threads'].status), 'responsiveness not judged');
  assert.is(byId['pool-start-stated'].status, 'INFO');
  for (const id of ['knn-l2-threads-2-vs-1', 'knn-l1-threads-2-vs-1']) {
    assert.is(byId[id].status === 'n/a', MAX_THREADS < 2, `${id}: ${byId[id].status} (${byId[id].note ?? ''})`);
  }
});

runBench('readme-table turns the result into a markdown table naming the machine and every suite', () => {
  const md = readmeTable(result);
  assert.match(md, /^\| workload \| simdclass \(/m);
  assert.ok(md.includes(result.machine.cpu), 'machine missing');
  assert.ok(md.includes(result.machine.date.slice(0, 10)), 'date missing');
  for (const name of [...SUITES, ...PYRAMID_SUITES, ...CV_SUITES, ...THREAD_SUITES]) assert.ok(md.includes(`\`${name}\``), `${name} missing`);
  for (const t of result.config.threadCounts) {
    assert.ok(md.includes(`| \`threads/knn-fashion-l2\`, ${t} thread${t === 1 ? '' : 's'} |`), `threads/knn-fashion-l2 row for ${t} threads missing`);
  }
  assert.ok(md.includes("| `threads/responsiveness`, caller's thread |"), 'responsiveness contrast row missing');
  assert.throws(() => readmeTable({}), /Not a simdclass bench result/);
});

runBench('the in-thread suites run without a pool: useBuild() is init({ build, threads: 0 })', async () => {
  const { useBuild } = await import('../bench/builds.mjs');
  const { init } = await import('../dist/node.js');
  await useBuild('simd');
  const info = await init();
  assert.is(info.build, 'simd');
  assert.is(info.threads, 0);
  // Later test files in this process expect the default: the best build on the machine's cores.
  const { availableParallelism } = await import('node:os');
  await init({ build: 'auto', threads: availableParallelism() });
});

runBench.run();

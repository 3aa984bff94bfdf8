// The readable form of a benchmark result: a header on the machine and the data, one table of
// every suite's variants (simdclass builds, plain JS and the peers side by side), the targets.
import { formatRate, formatRatio, formatSpread, formatTime } from './stats.mjs';
import { formatTargetValue } from './targets.mjs';

const COLUMNS = [
  { title: 'workload', width: 32 },
  { title: 'variant', width: 32 },
  { title: 'median', width: 10, right: true },
  { title: 'spread', width: 7, right: true },
  { title: 'rate', width: 22, right: true },
  { title: 'vs JS', width: 8, right: true },
  { title: 'vs scalar', width: 10, right: true },
  { title: 'note', width: 0 },
];

function row(cells) {
  return cells.map((cell, i) => {
    const c = COLUMNS[i];
    const text = String(cell ?? '');
    if (c.width === 0) return text;
    return c.right ? text.padStart(c.width) : text.padEnd(c.width);
  }).join('  ').trimEnd();
}

function shapeText(shape) {
  return Object.entries(shape ?? {}).map(([k, v]) => `${k} ${v}`).join(', ');
}

function variantNote(v, suite, defaultBuild) {
  const parts = [];
  if (v.extrapolated) {
    const timed = v.queriesTimed !== undefined ? `${v.queriesTimed} queries` : v.itersTimed !== undefined ? `${v.itersTimed} iterations` : 'a subset';
    parts.push(`~ extrapolated from ${timed}`);
  } else if (v.note) {
    parts.push(v.note);
  }
  if (v.extrapolated && v.note && !v.note.includes('timed')) parts.push(v.note);
  if (typeof v.accuracy === 'number') {
    const partial = typeof v.accuracyQueries === 'number' && v.accuracyQueries < (suite.shape?.queries ?? 0);
    parts.push(`acc ${v.accuracy.toFixed(4)}${partial ? ` on ${v.accuracyQueries} queries` : ''}`);
  }
  if (typeof v.agreesWithPlainJs === 'number' && v.agreesWithPlainJs !== 1) parts.push(`agrees with plain JS on ${(100 * v.agreesWithPlainJs).toFixed(1)}%`);
  if (typeof v.gflops === 'number') parts.push(`${v.gflops.toPrecision(3)} GFLOP/s`);
  parts.push(...threadNotes(v));
  if (v.kind === 'peer') {
    // A peer at N threads is compared with simdclass at N threads; others with the default build.
    const ours = v.threads !== undefined
      ? suite.variants.find((x) => x.kind === 'threads' && x.build === defaultBuild && x.threads === v.threads)
      : suite.variants.find((x) => x.name === defaultBuild);
    if (ours && Number.isFinite(ours.medianMs) && Number.isFinite(v.medianMs)) {
      const r = v.medianMs / ours.medianMs;
      parts.push(r >= 1 ? `simdclass ${defaultBuild} ${formatRatio(r)} faster` : `simdclass ${defaultBuild} ${formatRatio(1 / r)} slower`);
    }
  }
  return parts.join('; ');
}

/** Notes on a threads/* variant: scaling over one thread, agreement with it, the timer, memory. */
function threadNotes(v) {
  const parts = [];
  if (v.kind === 'threads' && v.poolThreads !== undefined && v.poolThreads !== null && v.poolThreads !== v.threads) {
    parts.push(`ran on ${v.poolThreads} threads${v.threadsNote ? ` (${v.threadsNote})` : ''}`);
  }
  if (typeof v.vsOneThread === 'number' && v.threads !== 1) parts.push(`${formatRatio(v.vsOneThread)} of x1`);
  if (typeof v.agreesWithOneThread === 'number') parts.push(v.agreesWithOneThread === 1 ? 'predictions = x1' : `agrees with x1 on ${(100 * v.agreesWithOneThread).toFixed(2)}%`);
  if (typeof v.timerFraction === 'number') {
    parts.push(`timer ${(100 * v.timerFraction).toFixed(0)}% of expected (${v.timerFired} of ${v.timerExpected.toFixed(0)}), longest gap ${formatTime(v.maxGapMs)}`);
  }
  if (typeof v.rssMiB === 'number') parts.push(`RSS ${v.rssMiB.toFixed(1)} MiB after init (${v.runs} runs)`);
  if (v.keptAlive) parts.push('process kept alive by idle workers');
  return parts;
}

/** The table as lines of text. */
export function renderTable(result) {
  const { machine, mode, config } = result;
  const lines = [];
  lines.push(`simdclass bench (${mode} mode), ${machine.date}`);
  lines.push(`machine: ${machine.cpu}, ${machine.cores} cores, ${machine.memoryGiB} GiB, ${machine.platform}, Node ${machine.node} (V8 ${machine.v8})`);
  lines.push(`load average (1/5/15 min): before ${machine.loadBefore.join(' ')}, after ${machine.loadAfter?.join(' ')}: ${machine.busy ? 'BUSY: other processes competed for the CPU, treat the numbers with care' : 'quiet'}`);
  lines.push(`builds: ${config.builds.join(', ')} (default ${config.defaultBuild}); kernel suites: ${config.rounds} rounds of benchmark runs (maxTime ${config.maxTime} s); end-to-end: ${config.longRounds} rounds`);
  lines.push(`threads: kernel/* and e2e/* run in the caller's thread (init({ threads: 0 })); threads/* run the ${config.defaultBuild} build's worker pool at ` +
    `${(config.threadCounts ?? []).join(', ') || '-'} threads (xN: N workers; --threads sets the largest)`);
  for (const note of result.notes) lines.push(`note: ${note}`);
  lines.push('');
  lines.push('median: median over rounds of the time of the whole workload; spread: (max - min) / median over rounds;');
  lines.push('vs JS / vs scalar: speed-up over the plain-JS reference / the scalar wasm build; ~ = extrapolated from a timed subset.');
  lines.push('');
  lines.push(row(COLUMNS.map((c) => c.title)));
  lines.push(row(COLUMNS.map((c) => '-'.repeat(Math.max(4, c.width === 0 ? 4 : c.width)))));
  for (const suite of Object.values(result.suites)) {
    lines.push(`${suite.name}: ${suite.title}${suite.shape ? ` [${shapeText(suite.shape)}]` : ''}`);
    if (suite.summary?.text) lines.push(`  => ${suite.summary.text}`);
    for (const err of suite.errors ?? []) lines.push(`  error: ${err}`);
    for (const v of suite.variants) {
      lines.push(row([
        '',
        v.name,
        `${v.extrapolated ? '~' : ''}${formatTime(v.medianMs)}`,
        formatSpread(v),
        formatRate(v.rate, v.rateUnit ?? suite.unit),
        formatRatio(v.vsReference),
        formatRatio(v.vsScalar),
        variantNote(v, suite, config.defaultBuild),
      ]));
    }
  }
  lines.push('');
  lines.push('peers (separate processes, same data and work; rows above marked by their names):');
  for (const [name, peer] of Object.entries(result.peers)) {
    if (name === 'ran' || name === 'note') continue;
    const failed = Object.entries(peer.results ?? {}).filter(([, r]) => r?.error).map(([task, r]) => `${task} failed: ${r.error}`);
    lines.push(`  ${name}: ${[peer.note, ...failed].filter(Boolean).join('; ')}`);
  }
  if (result.peers.note) lines.push(`  ${result.peers.note}`);
  lines.push('');
  lines.push('targets (Fashion-MNIST 60,000 train x 10,000 test; simdclass = default build, in the caller\'s thread except threads/*; peer = its fastest variant):');
  for (const t of result.targets) {
    const value = formatTargetValue(t);
    const judged = t.status === 'PASS' || t.status === 'MISS';
    const flag = t.indicative && judged ? ` (${t.status}, indicative only)` : '';
    const others = Object.entries(t.byVariant ?? {}).filter(([, r]) => r !== t.value).map(([name, r]) => `${name}: ${formatRatio(r)}`);
    lines.push(`  ${(t.indicative && judged ? '----' : t.status).padEnd(4)}  ${t.target.padEnd(86)} ${value.padStart(7)}${flag}` +
      `${t.compared ? `  ${t.compared}` : ''}${others.length ? `; against ${others.join(', ')}` : ''}${t.note && t.status === 'n/a' ? `  (${t.note})` : ''}`);
  }
  if (result.targetsNote) lines.push(`  ${result.targetsNote}`);
  return lines;
}

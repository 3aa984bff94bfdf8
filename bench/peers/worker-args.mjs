// The small argument parser of the peer worker processes: `task --name value ...`.

/** Parses [task, --name value, ...] into { task, name: value } (numbers converted). */
export function parseWorkerArgs(argv) {
  const [task, ...rest] = argv;
  const out = { task };
  for (let i = 0; i < rest.length; i += 2) {
    const key = rest[i];
    if (!key?.startsWith('--') || rest[i + 1] === undefined) throw new Error(`bad worker arguments: ${argv.join(' ')}`);
    const raw = rest[i + 1];
    const value = raw !== '' && Number.isFinite(Number(raw)) ? Number(raw) : raw;
    out[key.slice(2).replace(/-([a-z])/g, (_, c) => c.toUpperCase())] = value;
  }
  return out;
}

/** Dataset limits from worker args (absent or 0 means all rows). */
export function limitsOf(args) {
  return {
    ...(args.trainLimit > 0 ? { trainLimit: args.trainLimit } : {}),
    ...(args.testLimit > 0 ? { testLimit: args.testLimit } : {}),
  };
}

/** Majority vote of the k labels of each query (ties to the smallest label). */
export function vote(indices, k, labels, numClasses) {
  const m = indices.length / k;
  const out = new Int32Array(m);
  const counts = new Int32Array(numClasses);
  for (let i = 0; i < m; i++) {
    counts.fill(0);
    for (let j = 0; j < k; j++) counts[labels[indices[i * k + j]]]++;
    let best = 0;
    for (let c = 1; c < numClasses; c++) if (counts[c] > counts[best]) best = c;
    out[i] = best;
  }
  return out;
}

export function accuracyOf(pred, labels) {
  let hit = 0;
  for (let i = 0; i < pred.length; i++) if (pred[i] === labels[i]) hit++;
  return pred.length === 0 ? null : hit / pred.length;
}

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

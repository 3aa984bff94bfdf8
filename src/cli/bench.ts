import type { ParsedFlags } from './args.js';

// The suites live in bench/ (plain ESM on the `benchmark` package) so they can be read and run on their own.
const BENCH_ENTRY = new URL('../../bench/index.mjs', import.meta.url).href;

export async function runBench(flags: ParsedFlags): Promise<void> {
  const bench = (await import(BENCH_ENTRY)) as { runBench(flags: ParsedFlags): Promise<void> };
  await bench.runBench(flags);
}

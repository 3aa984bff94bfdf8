import type { FlagSpec, ParsedFlags } from './args.js';

export const benchFlags: Record<string, FlagSpec> = {
  quick: { type: 'bool', help: 'Tiny sizes, a smoke test (under a minute)' },
  json: { type: 'bool', help: 'Print one JSON object on stdout' },
  data: { type: 'string', default: '/usr/share/datasets/fashion-mnist', help: 'Fashion-MNIST IDX folder (falls back to the embedded sample)' },
  filter: { type: 'string', help: 'Run only suites whose name contains this text' },
  peers: { type: 'bool', help: 'Also run the peers (numpy, TensorFlow.js wasm, ml-knn) as separate processes' },
};

// The suites live in bench/ (plain ESM on the `benchmark` package) so they can be read and run on their own.
const BENCH_ENTRY = new URL('../../bench/index.mjs', import.meta.url).href;

export async function runBench(flags: ParsedFlags): Promise<void> {
  const bench = (await import(BENCH_ENTRY)) as { runBench(flags: ParsedFlags): Promise<void> };
  await bench.runBench(flags);
}

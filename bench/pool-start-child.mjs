// One measurement of the threads/pool-start suite, in a fresh Node process:
//   node bench/pool-start-child.mjs BUILD THREADS
// times `await init({ build, threads })` (the module is imported first, untimed) and prints one
// JSON object with the time and the process's memory right after init resolved (every worker has
// then instantiated the module). Idle workers must not keep the process alive: if it is still
// running 3 s later, a second line says so (keptAlive: true) and the process exits.
import { performance } from 'node:perf_hooks';

const [build = 'auto', threadsText = '0'] = process.argv.slice(2);
const threads = Number(threadsText);
const { init } = await import('../dist/node.js');

const before = process.memoryUsage();
const t0 = performance.now();
const info = await init({ build, threads });
const initMs = performance.now() - t0;
const after = process.memoryUsage();

const result = {
  build: info.build, threadsAsked: threads, threads: info.threads, threadsNote: info.threadsNote ?? null, initMs,
  rssBeforeBytes: before.rss, rssBytes: after.rss, heapUsedBytes: after.heapUsed, externalBytes: after.external,
  arrayBuffersBytes: after.arrayBuffers, keptAlive: false,
};
process.stdout.write(`${JSON.stringify(result)}\n`);
setTimeout(() => {
  process.stdout.write(`${JSON.stringify({ ...result, keptAlive: true })}\n`);
  process.exit(0);
}, 3000).unref();

// TensorFlow.js peer (wasm backend, one thread): bench/peers/tfjs-worker.mjs as separate
// processes, on the same data and sizes as the simdclass suites.
import { createRequire } from 'node:module';
import { attempt, REPO_ROOT, runJsonProcess } from './child.mjs';

const WORKER = 'bench/peers/tfjs-worker.mjs';
// Queries per matMul + topk block: 64 was the fastest of 16..1000 on the development machine
// (7.5 ms/query against 9.1 at 256 and 11.2 at 1000, 60,000 training rows).
const TFJS_KNN_BLOCK = 64;

function installed() {
  const require = createRequire(`${REPO_ROOT}package.json`);
  try {
    require.resolve('@tensorflow/tfjs');
    require.resolve('@tensorflow/tfjs-backend-wasm');
    return true;
  } catch {
    return false;
  }
}

function peerVariant(name, ms, extra = {}) {
  return { name, kind: 'peer', peer: 'tfjs', medianMs: ms, minMs: ms, maxMs: ms, spreadPct: 0, roundsMs: [ms], ...extra };
}

/** Runs the tfjs tasks whose suites are wanted. Returns { available, note, results, variants }. */
export async function runTfjsPeer({ data, sizes, wanted }) {
  if (!installed()) {
    return { available: false, note: 'TensorFlow.js skipped: @tensorflow/tfjs and @tensorflow/tfjs-backend-wasm are not installed (npm install)', variants: {} };
  }
  const common = ['--data', data.dir, '--train-limit', String(data.trainLimit ?? 0), '--test-limit', String(data.testLimit ?? 0)];
  const run = (label, args) => attempt(`tfjs ${label}`, () => runJsonProcess(`tfjs ${label}`, process.execPath, [WORKER, ...args]));
  const { train, peers } = sizes;
  const trainArgs = ['--batch', String(train.batch), '--lr', String(train.learningRate), '--reg', String(train.reg), '--seed', '0'];
  const results = {};
  const variants = {};
  const add = (suite, v) => { (variants[suite] ??= []).push(v); };

  if (wanted.has('e2e/knn-fashion-l2')) {
    const r = results.knnL2 = await run('knn-l2', ['knn-l2', ...common, '--k', String(sizes.knn.k), '--queries', String(peers.tfjsQueries), '--block', String(TFJS_KNN_BLOCK)]);
    if (!r.error) {
      add('e2e/knn-fashion-l2', peerVariant('tfjs-wasm (matMul + topk)', r.totalMs, {
        extrapolated: r.extrapolated, queriesTimed: r.queriesTimed, accuracy: r.accuracyOnTimed,
        note: r.extrapolated ? `${r.queriesTimed} queries timed` : undefined,
      }));
    }
  }
  if (wanted.has('e2e/sgd-iteration-softmax') || wanted.has('e2e/train-softmax')) {
    const r = results.softmax = await run('softmax-train', ['softmax-train', ...common, '--iters', String(train.iters), ...trainArgs, '--batches', 'js']);
    if (!r.error) {
      add('e2e/sgd-iteration-softmax', peerVariant('tfjs-wasm (JS-built batches)', r.msPerIterMedian, { extrapolated: false }));
      add('e2e/train-softmax', peerVariant('tfjs-wasm (JS-built batches)', r.prepMs + r.trainTotalMs, {
        extrapolated: false, accuracy: r.testAccuracy, finalLoss: r.finalLoss, note: 'centring + loop',
      }));
    }
    const g = results.softmaxGather = await run('softmax-train gather', ['softmax-train', ...common, '--iters', String(peers.tfjsGatherIters), ...trainArgs, '--batches', 'gather']);
    if (!g.error) {
      add('e2e/sgd-iteration-softmax', peerVariant('tfjs-wasm (tf.gather batches)', g.msPerIterMedian, {
        extrapolated: false, itersTimed: g.iters, note: `${g.iters} iterations`,
      }));
    }
  }
  const info = results.knnL2?.tfjs ? results.knnL2 : results.softmax;
  const note = info && !info.error
    ? `TensorFlow.js ${info.tfjs}, ${info.backend} backend, ${info.threads} thread(s), SIMD ${info.simd}`
    : 'TensorFlow.js wasm backend';
  return { available: true, note, results, variants };
}

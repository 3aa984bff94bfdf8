// TensorFlow.js peer, run as its own process by bench/peers/tfjs.mjs: the wasm backend
// (@tensorflow/tfjs-backend-wasm, one thread) with @tensorflow/tfjs for the ops and gradients.
// Prints one JSON object on stdout; progress goes to stderr.
//   knn-l2 --data DIR [--train-limit N] [--test-limit M] --k 5 --queries Q --block 256
//     L2 kNN as norms + matMul against the pre-transposed training matrix (D x n: its transposeB
//     path is several times slower) + tf.topk; the first Q queries are timed, the total is
//     extrapolated to all test rows when Q is smaller.
//   softmax-train --data DIR ... --iters 3000 --batch 200 --lr 3e-6 --reg 100 --seed 0 --batches js|gather
//     minibatch SGD (tf.train.sgd, tf.losses.softmaxCrossEntropy + reg * sum(W^2)) on centred
//     rows with a bias column; per-iteration time as the median of blocks of 100 iterations
//     (numpy_reference.py's msPerIterMedianOf100).
import { accuracyOf, vote } from '../plain-js.mjs';
import { limitsOf, parseWorkerArgs } from './worker-args.mjs';

// tfjs greets Node users on stdout; stdout must carry only the JSON result.
console.log = (...parts) => console.error(...parts);
const print = (obj) => process.stdout.write(`${JSON.stringify(obj)}\n`);
const log = (msg) => process.stderr.write(`${msg}\n`);

const args = parseWorkerArgs(process.argv.slice(2));
const tf = await import('@tensorflow/tfjs');
const wasm = await import('@tensorflow/tfjs-backend-wasm');
const { loadDataset } = await import('../../dist/node.js');
const { seededRandom, normalFrom } = await import('../workloads.mjs');

wasm.setThreadsCount(1);
await tf.setBackend('wasm');
await tf.ready();
const backendInfo = {
  backend: tf.getBackend(),
  tfjs: tf.version.tfjs,
  threads: wasm.getThreadsCount(),
  simd: await tf.env().getAsync('WASM_HAS_SIMD_SUPPORT'),
};
log(`tfjs ${backendInfo.tfjs}, backend ${backendInfo.backend}, simd ${backendInfo.simd}, ${backendInfo.threads} thread(s)`);

const dataset = await loadDataset(args.data, limitsOf(args));
const { train, test } = dataset;
const n = train.X.rows, d = train.X.cols;
let numClasses = 0;
for (const v of train.y) numClasses = Math.max(numClasses, v + 1);

async function knnL2() {
  const { k, block } = args;
  const queries = Math.min(args.queries, test.X.rows);
  const t0 = performance.now();
  const xtr = tf.tensor2d(Float32Array.from(train.X.data), [n, d]);
  const xtrT = tf.transpose(xtr);
  const trNorms = tf.tidy(() => tf.sum(tf.square(xtr), 1).reshape([1, n]));
  xtr.dispose();
  await trNorms.data();
  const setupMs = performance.now() - t0;
  const q = Float32Array.from(test.X.data.subarray(0, queries * d));
  const predictRows = async (first, rows) => {
    const idx = tf.tidy(() => {
      const qb = tf.tensor2d(q.subarray(first * d, (first + rows) * d), [rows, d]);
      const qNorms = tf.sum(tf.square(qb), 1, true);
      const dist = tf.sub(tf.add(qNorms, trNorms), tf.mul(tf.matMul(qb, xtrT), 2));
      return tf.topk(tf.neg(dist), k).indices;
    });
    const nn = await idx.data();
    idx.dispose();
    return vote(nn, k, train.y, numClasses);
  };
  await predictRows(0, Math.min(8, queries)); // warm-up: kernels and memory
  const pred = new Int32Array(queries);
  const t1 = performance.now();
  for (let first = 0; first < queries; first += block) {
    const rows = Math.min(block, queries - first);
    pred.set(await predictRows(first, rows), first);
    log(`  ${first + rows}/${queries} queries`);
  }
  const timedMs = performance.now() - t1;
  xtrT.dispose();
  trNorms.dispose();
  return {
    trainN: n, testN: test.X.rows, k, block, queriesTimed: queries, setupMs, timedMs,
    msPerQuery: timedMs / queries, totalMs: (timedMs / queries) * test.X.rows, extrapolated: queries < test.X.rows,
    accuracyOnTimed: accuracyOf(pred, test.y),
  };
}

function centredWithBias(X, rows, mean) {
  const k = d + 1;
  const out = new Float32Array(rows * k);
  for (let r = 0; r < rows; r++) {
    for (let j = 0; j < d; j++) out[r * k + j] = X[r * d + j] - mean[j];
    out[r * k + d] = 1;
  }
  return out;
}

/**
 * Softmax SGD. `--batches js` copies the minibatch rows into a Float32Array on the JS side and
 * uploads it (the fastest form found: the wasm backend's Gather kernel took about 13 ms for
 * 200 x 785 on the development machine); `--batches gather` is the X[idx] form, tf.gather.
 */
async function softmaxTrain() {
  const { iters, batch, lr, reg, seed, batches = 'js' } = args;
  const t0 = performance.now();
  const sums = new Float64Array(d);
  for (let r = 0; r < n; r++) for (let j = 0; j < d; j++) sums[j] += train.X.data[r * d + j];
  const mean = Float32Array.from(sums, (s) => s / n);
  const k = d + 1;
  const xc = centredWithBias(train.X.data, n, mean);
  const X = batches === 'gather' ? tf.tensor2d(xc, [n, k]) : null;
  const Y = tf.tensor1d(Int32Array.from(train.y), 'int32');
  const random = seededRandom(seed);
  const normal = normalFrom(random);
  const W = tf.variable(tf.tensor2d(Float32Array.from({ length: k * numClasses }, () => 0.001 * normal()), [k, numClasses]));
  const optimizer = tf.train.sgd(lr);
  const prepMs = performance.now() - t0;
  const idx = new Int32Array(batch);
  const xb = new Float32Array(batch * k);
  const blockIters = iters > 200 ? 100 : Math.max(1, Math.floor(iters / 4));
  const stamps = [];
  let loss = NaN;
  const t1 = performance.now();
  for (let it = 0; it < iters; it++) {
    for (let b = 0; b < batch; b++) idx[b] = Math.floor(random() * n);
    if (X === null) for (let b = 0; b < batch; b++) xb.set(xc.subarray(idx[b] * k, (idx[b] + 1) * k), b * k);
    const cost = tf.tidy(() => {
      const rows = tf.tensor1d(idx, 'int32');
      const xBatch = X === null ? tf.tensor2d(xb, [batch, k]) : tf.gather(X, rows);
      const yBatch = tf.oneHot(tf.gather(Y, rows), numClasses);
      return optimizer.minimize(() => tf.add(tf.losses.softmaxCrossEntropy(yBatch, tf.matMul(xBatch, W)), tf.mul(reg, tf.sum(tf.square(W)))), true);
    });
    loss = (await cost.data())[0];
    cost.dispose();
    if (it % blockIters === 0) stamps.push(performance.now());
    if ((it + 1) % 500 === 0) log(`  iteration ${it + 1}/${iters}, loss ${loss.toFixed(4)}`);
  }
  const trainTotalMs = performance.now() - t1;
  const blocks = [];
  for (let i = 1; i < stamps.length; i++) blocks.push((stamps[i] - stamps[i - 1]) / blockIters);
  blocks.sort((a, b) => a - b);
  const xte = tf.tensor2d(centredWithBias(test.X.data, test.X.rows, mean), [test.X.rows, k]);
  const pred = await tf.tidy(() => tf.argMax(tf.matMul(xte, W), 1)).data();
  return {
    trainN: n, testN: test.X.rows, D: k, iters, batch, learningRate: lr, reg, batches, blockIters,
    msPerIterMedian: blocks.length ? blocks[blocks.length >> 1] : null,
    trainTotalMs, prepMs, finalLoss: loss, testAccuracy: accuracyOf(pred, test.y),
  };
}

const tasks = { 'knn-l2': knnL2, 'softmax-train': softmaxTrain };
if (!tasks[args.task]) throw new Error(`unknown task ${args.task}; expected ${Object.keys(tasks).join(', ')}`);
print({ task: args.task, ...backendInfo, ...(await tasks[args.task]()) });

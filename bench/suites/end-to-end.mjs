// End-to-end suites through the public API: KNearestNeighbor.predict, and LinearSVM / Softmax
// training (one SGD iteration, and the whole run with its test accuracy), on Fashion-MNIST and
// on synthetic CIFAR-10-shaped data. Every build trains its own model on its own Core.
//
// How each number is taken:
// - kNN predict: one `benchmark` (deferred) run per round of model.predict on the queries; the
//   plain-JS reference and the scalar build time a fixed subset of the queries and are scaled up
//   to the whole query set (marked extrapolated).
// - SGD iteration: model.train with onProgress timestamps; the time of each block of 100
//   iterations (10 for plain JS; fewer on short runs), median over the blocks, divided by the
//   block size. This is numpy_reference.py's msPerIterMedianOf100, so the two are measured the
//   same way. It covers drawing the minibatch, gathering it and the fused loss/gradient/update.
// - Training run: the wall time of the whole train() call (copying the data into wasm and the
//   mean image included), then score() on the test set, untimed.
import { KNearestNeighbor, LinearSVM, Softmax } from '../../dist/node.js';
import * as js from '../plain-js.mjs';
import { useBuild } from '../builds.mjs';
import { headRows, normalFrom, seededRandom, syntheticCifar } from '../workloads.mjs';
import { addRates, benchmarkMean, foldExtras, progress, runInterleaved } from '../timing.mjs';
import { median, summarize } from '../stats.mjs';

export const END_TO_END_SUITE_NAMES = [
  'e2e/knn-fashion-l1',
  'e2e/knn-fashion-l2',
  'e2e/sgd-iteration-svm',
  'e2e/sgd-iteration-softmax',
  'e2e/train-svm',
  'e2e/train-softmax',
  'e2e/knn-cifar-l1',
  'e2e/knn-cifar-l2',
  'e2e/sgd-iteration-cifar-softmax',
];

function numClassesOf(labels) {
  let c = 0;
  for (const v of labels) c = Math.max(c, v + 1);
  return c;
}

function agreement(a, b) {
  const n = Math.min(a.length, b.length);
  let same = 0;
  for (let i = 0; i < n; i++) if (a[i] === b[i]) same++;
  return n === 0 ? null : same / n;
}

/**
 * kNN predict of `totalQueries` test rows against all training rows, k neighbours.
 * `timed` gives the queries each variant actually runs (plain JS and scalar: a subset).
 */
async function runKnnSuite(ctx, { name, title, train, test, metric, totalQueries, timed, withAccuracy }) {
  const { sizes, builds } = ctx;
  const k = sizes.knn.k;
  const n = train.X.rows, d = train.X.cols;
  const classes = numClassesOf(train.y);
  const queriesFor = (count) => headRows(test.X, Math.min(count, totalQueries));
  const timing = { async: true, maxTime: 0, minSamples: 1 };
  const variants = [];
  const models = [];
  // Test accuracy of the queries a variant predicted (a sanity check; meaningless on random labels).
  const accuracyFields = (pred) => (withAccuracy ? { accuracy: js.accuracyOf(pred, test.y), accuracyQueries: pred.length } : {});

  const jsQ = queriesFor(timed.reference);
  let jsPred = null;
  const runJs = () => { jsPred = js.knnPredictU8(jsQ.data, jsQ.rows, train.X.data, n, d, train.y, classes, k, metric); };
  variants.push({
    name: 'plain-js', kind: 'reference',
    describe: { queriesTimed: jsQ.rows, extrapolated: jsQ.rows < totalQueries },
    warmUp: async () => { const q = queriesFor(1); js.knnPredictU8(q.data, 1, train.X.data, n, d, train.y, classes, k, metric); },
    measure: async () => {
      const r = await benchmarkMean(async () => runJs(), timing);
      return { ms: r.meanSec * 1e3 * (totalQueries / jsQ.rows), samples: r.samples, ...accuracyFields(jsPred) };
    },
  });
  try {
    for (const build of builds) {
      await useBuild(build);
      const model = new KNearestNeighbor({ k, metric, algorithm: 'brute' });
      models.push(model);
      await model.train(train.X, train.y);
      const q = queriesFor(build === 'scalar' ? timed.scalar : timed.simd);
      let pred = null;
      variants.push({
        name: build, kind: 'build',
        describe: { queriesTimed: q.rows, extrapolated: q.rows < totalQueries },
        warmUp: async () => { const w = queriesFor(8); for (let i = 0; i < 3; i++) await model.predict(w); },
        measure: async () => {
          const r = await benchmarkMean(async () => { pred = await model.predict(q); }, timing);
          return {
            ms: r.meanSec * 1e3 * (totalQueries / q.rows), samples: r.samples,
            ...accuracyFields(pred), agreesWithPlainJs: agreement(pred, jsPred),
          };
        },
      });
    }
    const results = (await runInterleaved(name, variants, ctx.sizes.longRounds)).map(foldExtras);
    const work = n * totalQueries;
    addRates(results, work, 'distances/s');
    return {
      name, level: 'end-to-end', title, rounds: ctx.sizes.longRounds, timing: 'benchmark (deferred), one predict per round',
      shape: { trainRows: n, dims: d, queries: totalQueries, k, metric }, work, unit: 'distances/s', variants: results,
    };
  } finally {
    for (const m of models) m.dispose();
  }
}

/** Per-iteration ms: median over blocks of `block` iterations, from timestamps taken every `block` iterations. */
function perIterationMs(stamps, block) {
  const blocks = [];
  for (let i = 1; i < stamps.length; i++) blocks.push((stamps[i] - stamps[i - 1]) / block);
  return blocks.length > 0 ? median(blocks) : NaN;
}

/** Iterations per timed block: `preferred` when there are at least 2 blocks after the first iteration, else a quarter. */
function blockSize(iters, preferred) {
  return iters > 2 * preferred ? preferred : Math.max(1, Math.floor(iters / 4));
}

/**
 * Trains `kind` on `data` with each variant in turn, every round. Returns the SGD-iteration
 * suite and, when `withTrainSuite`, the training-run suite (total time and test accuracy).
 */
async function runTrainingSuites(ctx, { kind, data, iterName, trainName, titleSuffix, iters, jsIters, withTrainSuite }) {
  const { sizes, builds } = ctx;
  const { batch, learningRate, reg } = sizes.train;
  const { X, y } = data.train;
  const classes = numClassesOf(y);
  const Model = kind === 'svm' ? LinearSVM : Softmax;
  const options = { numIters: iters, batchSize: batch, learningRate, reg, seed: 0 };
  const variants = [];

  const block = blockSize(iters, 100), jsBlock = blockSize(jsIters, 10);
  variants.push({
    name: 'plain-js', kind: 'reference',
    describe: { itersTimed: jsIters, extrapolated: jsIters < iters },
    measure: async () => {
      const stamps = [];
      const t0 = performance.now();
      const mean = js.meanImage(X.data, X.rows, X.cols);
      const tLoop = performance.now();
      const random = seededRandom(0);
      js.sgdTrain(kind, X.data, y, X.rows, X.cols, classes, mean, {
        iters: jsIters, batch, learningRate, reg, random, normal: normalFrom(random),
        onIteration: (it) => { if (it % jsBlock === 0) stamps.push(performance.now()); },
      });
      const tEnd = performance.now();
      const perIter = perIterationMs(stamps, jsBlock);
      // The whole run scaled up: setup as measured, plus iters x the mean iteration time.
      const totalMs = (tLoop - t0) + ((tEnd - tLoop) / jsIters) * iters;
      return { ms: perIter, totalMs, accuracy: null };
    },
  });
  for (const build of builds) {
    variants.push({
      name: build, kind: 'build',
      describe: { itersTimed: iters, extrapolated: false },
      measure: async () => {
        await useBuild(build);
        const model = new Model();
        const stamps = [];
        try {
          const t0 = performance.now();
          const history = await model.train(X, y, { ...options, onProgress: (it) => { if (it % block === 0) stamps.push(performance.now()); } });
          const totalMs = performance.now() - t0;
          const accuracy = withTrainSuite ? await model.score(data.test.X, data.test.y) : null;
          return { ms: perIterationMs(stamps, block), totalMs, accuracy, finalLoss: history.at(-1) };
        } finally {
          model.dispose();
        }
      },
    });
  }
  const label = iterName.replace('e2e/sgd-iteration-', 'e2e/train ');
  const raw = await runInterleaved(label, variants, sizes.longRounds);
  const shape = { trainRows: X.rows, dims: X.cols + 1, classes, batch, learningRate, reg, iters };
  const timing = `onProgress timestamps: median over blocks of ${block} iterations (plain JS: ${jsBlock}), per iteration`;

  const trainVariants = raw.map((v) => {
    const totals = v.roundExtras.map((e) => e.totalMs);
    const last = v.roundExtras.at(-1);
    return {
      name: v.name, kind: v.kind, ...summarize(totals),
      itersTimed: v.itersTimed, extrapolated: v.extrapolated,
      accuracy: last.accuracy, finalLoss: last.finalLoss,
    };
  });
  const iterVariants = raw.map((v) => {
    const { totalMs, accuracy, finalLoss, ...rest } = foldExtras(v);
    return rest;
  });
  addRates(iterVariants, 1, 'iterations/s');
  const suites = [{
    name: iterName, level: 'end-to-end', title: `one SGD iteration, ${kind}, batch ${batch}${titleSuffix}`,
    rounds: sizes.longRounds, timing, shape, work: 1, unit: 'iterations/s', variants: iterVariants,
  }];
  if (withTrainSuite) {
    addRates(trainVariants, iters, 'iterations/s');
    suites.push({
      name: trainName, level: 'end-to-end', title: `training run, ${kind}: ${iters} iterations, lr ${learningRate}, reg ${reg}, then test accuracy${titleSuffix}`,
      rounds: sizes.longRounds, timing: 'wall time of train() (data copy and mean image included)', shape, work: iters, unit: 'iterations/s', variants: trainVariants,
    });
  }
  return suites;
}

/** The end-to-end suite groups; each runs when any of its suite names contains `filter`. */
function groups(ctx) {
  const { sizes } = ctx;
  const fashion = ctx.fashion.dataset;
  const fashionTitle = `Fashion-MNIST ${fashion.train.X.rows} train x ${fashion.test.X.rows} test`;
  let cifar = null;
  const cifarData = () => {
    if (cifar === null) {
      const c = sizes.cifar;
      progress(`synthetic CIFAR-10-shaped data: ${c.trainRows} x 3072 u8 (seeded)`);
      cifar = syntheticCifar(c.trainRows, Math.max(c.simdQueries, c.scalarQueries, c.jsQueries), 7);
    }
    return cifar;
  };
  const knnFashion = (metric) => ({
    names: [`e2e/knn-fashion-${metric}`],
    run: async () => [await runKnnSuite(ctx, {
      name: `e2e/knn-fashion-${metric}`, title: `kNN predict, ${metric.toUpperCase()}, k=${sizes.knn.k}, ${fashionTitle}`,
      train: fashion.train, test: fashion.test, metric, totalQueries: fashion.test.X.rows,
      timed: { reference: sizes.knn.jsQueries, scalar: sizes.knn.scalarQueries, simd: sizes.knn.simdQueries }, withAccuracy: true,
    })],
  });
  const training = (kind) => ({
    names: [`e2e/sgd-iteration-${kind}`, `e2e/train-${kind}`],
    run: () => runTrainingSuites(ctx, {
      kind, data: fashion, iterName: `e2e/sgd-iteration-${kind}`, trainName: `e2e/train-${kind}`,
      titleSuffix: `, ${fashionTitle}`, iters: sizes.train.iters, jsIters: sizes.train.jsIters, withTrainSuite: true,
    }),
  });
  const knnCifar = (metric) => ({
    names: [`e2e/knn-cifar-${metric}`],
    run: async () => {
      const data = cifarData();
      const c = sizes.cifar;
      return [await runKnnSuite(ctx, {
        name: `e2e/knn-cifar-${metric}`,
        title: `kNN predict, ${metric.toUpperCase()}, k=${sizes.knn.k}, synthetic CIFAR-10 shape ${c.trainRows} x 3072, ${c.totalQueries} queries`,
        train: data.train, test: data.test, metric, totalQueries: c.totalQueries,
        timed: { reference: c.jsQueries, scalar: c.scalarQueries, simd: c.simdQueries }, withAccuracy: false,
      })];
    },
  });
  return [
    knnFashion('l1'),
    knnFashion('l2'),
    training('svm'),
    training('softmax'),
    knnCifar('l1'),
    knnCifar('l2'),
    {
      names: ['e2e/sgd-iteration-cifar-softmax'],
      run: () => runTrainingSuites(ctx, {
        kind: 'softmax', data: cifarData(), iterName: 'e2e/sgd-iteration-cifar-softmax', trainName: null,
        titleSuffix: `, synthetic CIFAR-10 shape ${sizes.cifar.trainRows} x 3072`, iters: sizes.cifar.iters, jsIters: sizes.cifar.jsIters, withTrainSuite: false,
      }),
    },
  ];
}

/** Runs the end-to-end suites selected by `filter`. */
export async function runEndToEndSuites(ctx, filter) {
  const out = {};
  for (const group of groups(ctx)) {
    if (filter && !group.names.some((n) => n.includes(filter))) continue;
    progress(`${group.names.join(', ')}`);
    for (const suite of await group.run()) out[suite.name] = suite;
  }
  return out;
}

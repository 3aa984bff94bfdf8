// Kernel-level suites: the raw wasm exports (distances, top-k, class products, loss + gradient) called on
// inputs that already live in each build's memory, against the same operation in plain JS.
// Inputs are allocated and filled once per Core (seeded values, zero padding); outputs and
// scratch are zeroed once, so no uninitialized memory can feed NaN or denormals into a kernel.
import { paddedStride, weightLayout, writeWeights } from '../../dist/layout.js';
import { Scope } from '../../dist/runtime.js';
import * as js from '../plain-js.mjs';
import { randomBytes, randomLabels, seededRandom, normalFrom } from '../workloads.mjs';
import { addRates, benchmarkMean, foldExtras, progress, runInterleaved } from '../timing.mjs';

// Metric and loss codes of the kernels; twins: METRIC_CODES in src/knn.ts, LOSS_CODES in src/losses.ts.
const METRIC = { l1: 1, l2: 2 };
const LOSS = { svm: 0, softmax: 1 };

export const KERNEL_SUITE_NAMES = [
  'kernel/distances-u8-l1',
  'kernel/distances-u8-l2',
  'kernel/distances-f32-l1',
  'kernel/distances-f32-l2',
  'kernel/topk-u8-l2-k5',
  'kernel/topk-u8-l2-k100',
  'kernel/class-scores-peak',
  'kernel/class-scores-sgd',
  'kernel/class-grad-sgd',
  'kernel/loss-grad-svm',
  'kernel/loss-grad-softmax',
];

/** Zeroed blocks in one Core's scope, freed together. */
function arena(core) {
  const scope = new Scope(core);
  return {
    alloc(bytes) {
      const ptr = scope.alloc(bytes, 'a benchmark block');
      core.u8.fill(0, ptr, ptr + bytes);
      return ptr;
    },
    free: () => scope.close(),
  };
}

/** Copies a dense rows x cols matrix into wasm rows of `stride` bytes (padding already zero). */
function writeRows(core, ptr, data, rows, cols, stride) {
  if (data instanceof Uint8Array) {
    const heap = core.u8;
    for (let r = 0; r < rows; r++) heap.set(data.subarray(r * cols, (r + 1) * cols), ptr + r * stride);
  } else {
    const heap = core.f32, base = ptr >>> 2, width = stride >>> 2;
    for (let r = 0; r < rows; r++) heap.set(data.subarray(r * cols, (r + 1) * cols), base + r * width);
  }
}

function uniformF32(n, seed, lo = -1, hi = 1) {
  const random = seededRandom(seed);
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) out[i] = lo + (hi - lo) * random();
  return out;
}

function normalF32(n, seed, scale = 1) {
  const normal = normalFrom(seededRandom(seed));
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) out[i] = scale * normal();
  return out;
}

/** Distance inputs: m queries and n training rows of d pixels (u8 0..255, the same values as f32). */
function distanceInputs({ queries: m, trainRows: n, dims: d }) {
  const t = randomBytes(n * d, 11), q = randomBytes(m * d, 12);
  return { m, n, d, t, q, tF32: Float32Array.from(t), qF32: Float32Array.from(q) };
}

/** Wasm setup of a distances/knn case: rows, norms and (f32 L2) panels for one Core. */
function distanceCase(core, inp, type, metric) {
  const { m, n, d } = inp;
  const a = arena(core);
  const k = core.kernels;
  const stride = paddedStride(d, type === 'u8' ? 1 : 4);
  const t = a.alloc(n * stride), q = a.alloc(m * stride);
  writeRows(core, t, type === 'u8' ? inp.t : inp.tF32, n, d, stride);
  writeRows(core, q, type === 'u8' ? inp.q : inp.qF32, m, d, stride);
  let norms = 0, panels = 0;
  if (metric === 'l2' && type === 'u8') {
    norms = a.alloc(n * 4);
    k.rowNormsU8(t, n, stride, norms);
  } else if (metric === 'l2') {
    const panelCount = Math.ceil(n / 8);
    panels = a.alloc(panelCount * stride * 8);
    norms = a.alloc(panelCount * 8 * 4);
    k.packPanels8(t, n, stride, panels);
    k.rowNormsF32(t, n, stride, norms);
  }
  const scratch = a.alloc(k.knnScratchBytes(stride));
  return { a, k, stride, t, q, norms, panels, scratch };
}

function distancesSuite(name, type, metric) {
  return {
    name,
    title: `${type} ${metric.toUpperCase()} distance matrix (distances${type === 'u8' ? 'U8' : 'F32'})`,
    setupInputs: (sizes) => distanceInputs(sizes.kernel),
    shape: (inp) => ({ queries: inp.m, trainRows: inp.n, dims: inp.d }),
    work: (inp) => inp.m * inp.n,
    unit: 'distances/s',
    gflopsPerWork: type === 'f32' && metric === 'l2' ? (inp) => (2 * inp.d) / 1e9 : null,
    reference(inp) {
      const out = new Float64Array(inp.m * inp.n);
      const fn = { u8: { l1: js.distancesL1U8, l2: js.distancesL2U8 }, f32: { l1: js.distancesL1F32, l2: js.distancesL2F32 } }[type][metric];
      const q = type === 'u8' ? inp.q : inp.qF32, t = type === 'u8' ? inp.t : inp.tF32;
      return { run: () => fn(q, inp.m, t, inp.n, inp.d, out) };
    },
    setup(core, inp) {
      const c = distanceCase(core, inp, type, metric);
      const out = c.a.alloc(inp.m * inp.n * 4);
      const run = type === 'u8'
        ? () => c.k.distancesU8(METRIC[metric], c.q, inp.m, c.t, c.norms, inp.n, c.stride, out, c.scratch)
        : () => c.k.distancesF32(METRIC[metric], c.q, inp.m, c.t, c.panels, c.norms, inp.n, c.stride, out, c.scratch);
      return { run, free: () => c.a.free() };
    },
  };
}

function topkSuite(name, k) {
  return {
    name,
    title: `u8 L2 distances fused with top-${k} (knnU8; compare kernel/distances-u8-l2 for the top-k cost)`,
    setupInputs: (sizes) => distanceInputs(sizes.kernel),
    shape: (inp) => ({ queries: inp.m, trainRows: inp.n, dims: inp.d, k }),
    work: (inp) => inp.m * inp.n,
    unit: 'distances/s',
    reference(inp) {
      const idx = new Int32Array(inp.m * k);
      return { run: () => js.kNearestU8(inp.q, inp.m, inp.t, inp.n, inp.d, k, 'l2', idx) };
    },
    setup(core, inp) {
      const c = distanceCase(core, inp, 'u8', 'l2');
      const outDist = c.a.alloc(inp.m * k * 4), outIdx = c.a.alloc(inp.m * k * 4);
      return {
        run: () => c.k.knnU8(METRIC.l2, c.q, inp.m, c.t, c.norms, inp.n, c.stride, k, outDist, outIdx, c.scratch),
        free: () => c.a.free(),
      };
    },
  };
}

/**
 * The linear classifiers' products (assembly/gemm.ts): S = X W^T through classScoresF32, or
 * dW^T = dS^T X through classGradF32, X m x k, W^T and dW^T n class rows.
 */
function classSuite(name, title, shapeOf, gradient = false) {
  return {
    name,
    title,
    setupInputs(sizes) {
      const { m, k, n } = shapeOf(sizes);
      return { m, k, n, X: uniformF32(m * k, 21), B: uniformF32((gradient ? m : k) * n, 22) };
    },
    shape: ({ m, k, n }) => ({ m, k, n, product: gradient ? 'dW^T (n x k) = dS^T (n x m) . X (m x k)' : 'S (m x n) = X (m x k) . W (k x n), W stored as n class rows' }),
    work: ({ m, k, n }) => (2 * m * k * n) / 1e9,
    unit: 'GFLOP/s',
    reference({ m, k, n, X, B }) {
      const out = new Float32Array((gradient ? k : m) * n);
      return { run: gradient ? () => js.gemmTn(X, B, out, m, k, n) : () => js.gemm(X, B, out, m, k, n) };
    },
    setup(core, { m, k, n, X, B }) {
      const a = arena(core);
      const { ld, lds, bytes, scorePanelBytes } = weightLayout(k, n);
      const px = a.alloc(m * ld), pw = a.alloc(bytes), ps = a.alloc(m * lds), panels = a.alloc(scorePanelBytes);
      writeRows(core, px, X, m, k, ld);
      // Only the timing matters here: B fills W^T (or dS) whatever its layout.
      if (gradient) writeRows(core, ps, B, m, n, lds);
      else writeRows(core, pw, B, n, k, ld);
      const kern = core.kernels;
      kern.packClassPanels(pw, ld, n, 0, panels);
      return {
        run: gradient ? () => kern.classGradF32(px, ld, m, ps, lds, n, pw, 0) : () => kern.classScoresF32(px, ld, m, panels, n, ps, lds),
        free: () => a.free(),
      };
    },
  };
}

/** One lossGrad call on numpy_reference.py's loss-time shape: X 500 x 3073 ~ N(0, 1), W 3073 x 10 ~ 1e-4 N(0, 1). */
function lossSuite(name, kind) {
  return {
    name,
    title: `${kind} loss + gradient (lossGrad: S = X W, dS, dW = X^T dS + 2 reg W)`,
    setupInputs(sizes) {
      const { rows: m, dims: d, classes: c, reg } = sizes.loss;
      return { m, d, c, reg, X: normalF32(m * d, 31), W: normalF32(d * c, 32, 1e-4), y: Int32Array.from(randomLabels(m, c, 33)) };
    },
    shape: ({ m, d, c, reg }) => ({ rows: m, dims: d, classes: c, reg }),
    work: ({ m, d, c }) => (4 * m * d * c) / 1e9,
    unit: 'GFLOP/s',
    reference({ m, d, c, reg, X, W, y }) {
      const S = new Float32Array(m * c), dW = new Float32Array(d * c);
      return { run: () => js.lossGrad(kind, X, m, d, W, c, y, reg, S, dW) };
    },
    setup(core, { m, d, c, reg, X, W, y }) {
      const a = arena(core);
      const layout = weightLayout(d, c), { ld, lds } = layout;
      const px = a.alloc(m * ld), pw = a.alloc(layout.bytes), py = a.alloc(m * 4), ps = a.alloc(m * lds), panels = a.alloc(layout.lossPanelBytes), pdw = a.alloc(layout.bytes);
      writeRows(core, px, X, m, d, ld);
      writeWeights(core, pw, { data: W, rows: d, cols: c }, layout);
      core.i32.set(y, py >>> 2);
      const kern = core.kernels;
      return { run: () => kern.lossGrad(LOSS[kind], px, ld, m, pw, c, py, reg, ps, lds, panels, pdw), free: () => a.free() };
    },
  };
}

const DEFINITIONS = [
  distancesSuite('kernel/distances-u8-l1', 'u8', 'l1'),
  distancesSuite('kernel/distances-u8-l2', 'u8', 'l2'),
  distancesSuite('kernel/distances-f32-l1', 'f32', 'l1'),
  distancesSuite('kernel/distances-f32-l2', 'f32', 'l2'),
  topkSuite('kernel/topk-u8-l2-k5', 5),
  topkSuite('kernel/topk-u8-l2-k100', 100),
  classSuite('kernel/class-scores-peak', 'f32 class-scores microkernel rate: X m x 1032 against 9 class rows (L2-resident, classScoresF32)', (s) => s.classes.peak),
  classSuite('kernel/class-scores-sgd', 'score product of one SGD step: 200 rows x 785 dims x 9 shifted classes (classScoresF32)', (s) => s.classes.sgd),
  classSuite('kernel/class-grad-sgd', 'gradient product of one SGD step: 9 classes x 785 dims over 200 rows (classGradF32)', (s) => s.classes.sgd, true),
  lossSuite('kernel/loss-grad-svm', 'svm'),
  lossSuite('kernel/loss-grad-softmax', 'softmax'),
];

/** Runs one kernel suite: plain JS, then each build's Core, interleaved over rounds. */
async function runKernelSuite(def, ctx) {
  const { sizes } = ctx;
  const inp = def.setupInputs(sizes);
  const timing = { maxTime: sizes.maxTime, minSamples: sizes.minSamples };
  const cases = [];
  try {
    const reference = def.reference(inp);
    const variants = [{
      name: 'plain-js', kind: 'reference',
      warmUp: async () => reference.run(),
      measure: async () => {
        const r = await benchmarkMean(reference.run, timing);
        return { ms: r.meanSec * 1e3, samples: r.samples, rmePct: r.rmePct };
      },
    }];
    for (const build of ctx.builds) {
      const kc = def.setup(ctx.cores[build], inp);
      cases.push(kc);
      variants.push({
        name: build, kind: 'build',
        warmUp: async () => { for (let i = 0; i < 3; i++) kc.run(); },
        measure: async () => {
          const r = await benchmarkMean(kc.run, timing);
          return { ms: r.meanSec * 1e3, samples: r.samples, rmePct: r.rmePct };
        },
      });
    }
    const results = (await runInterleaved(def.name, variants, sizes.rounds)).map(foldExtras);
    const work = def.work(inp);
    addRates(results, work, def.unit);
    if (def.gflopsPerWork) for (const v of results) v.gflops = v.rate * def.gflopsPerWork(inp);
    return { name: def.name, level: 'kernel', title: def.title, shape: def.shape(inp), work, unit: def.unit, rounds: sizes.rounds, timing: 'benchmark', variants: results };
  } finally {
    for (const kc of cases) kc.free();
  }
}

/** The kernel suites selected by `filter` (a substring of the name), run one after another. */
export async function runKernelSuites(ctx, filter) {
  const out = {};
  for (const def of DEFINITIONS) {
    if (filter && !def.name.includes(filter)) continue;
    progress(`${def.name}: ${def.title}`);
    out[def.name] = await runKernelSuite(def, ctx);
  }
  return out;
}

// Drives the linear classifiers' kernels (assembly/linear.ts): the SGD loop, a group of steps per
// executor call so that a worker trains while the caller's thread stays free, and the class
// scores of many rows, blocks spread over the executor's lanes.
import type { WeightLayout } from '../layout.js';
import type { LossName } from '../losses.js';
import { LOSS_CODES } from './loss.js';
import type { Matrix } from '../matrix.js';
import type { Random } from '../random.js';
import { byteSize, type Core, type Scope } from '../runtime.js';
import { strideOf, writeRows, type RowChunk } from '../layout.js';
import { executorOf, forEachInLanes, type KernelCall } from './executor.js';

// Rows scored per kernel call at predict: bounds memory at O(block x D).
const SCORE_BLOCK = 256;
// SGD steps per executor call: about 4 ms of work each (a step is about 4 x batch x dims x classes
// flops at some 20 GFLOP/s), so progress and aborts are seen often and messages stay rare.
const GROUP_FLOPS = 8e7;
const MAX_GROUP = 64;
// Row addresses and labels of a group's minibatches: at most this many bytes each.
const MAX_GROUP_BYTES = 64 * 1024 * 1024;

/** What one SGD run needs: the stored rows, the model's blocks and the hyperparameters. */
export interface SgdRun {
  loss: LossName;
  isU8: boolean;
  chunks: RowChunk[];
  rowsPerChunk: number;
  stride: number;
  rows: number;
  d: number;
  classes: number;
  layout: WeightLayout;
  mean: number;
  w: number;
  labels: Int32Array;
  batchSize: number;
  numIters: number;
  learningRate: number;
  reg: number;
  random: Random;
  /** null samples with replacement; else the row order that draws without replacement permute. */
  order: Int32Array | null;
}

export interface SgdHooks {
  onIteration(iteration: number, loss: number): void;
  /** Checked between groups of steps: abort or a disposed model. */
  checkContinue(): void;
}

/**
 * Runs the SGD steps; resolves with the loss of every iteration, or with the iteration at which
 * a step stopped being finite (that step left the weights as they were).
 */
export async function runSgd(c: Core, scope: Scope, run: SgdRun, hooks: SgdHooks): Promise<{ history: number[]; divergedAt: number | null }> {
  const exec = executorOf(c);
  const group = Math.max(1, Math.min(MAX_GROUP, Math.round(GROUP_FLOPS / (run.batchSize * (run.d + 1) * run.classes)), Math.floor(MAX_GROUP_BYTES / (run.batchSize * 4))));
  const ptrs = scope.alloc(byteSize('minibatch rows', group, run.batchSize, 4), 'minibatch rows');
  const yb = scope.alloc(byteSize('minibatch labels', group, run.batchSize, 4), 'minibatch labels');
  const xb = scope.alloc(byteSize('minibatch', run.batchSize, run.layout.ld), 'minibatch');
  const s = scope.alloc(byteSize('minibatch scores', run.batchSize, run.layout.lds), 'minibatch scores');
  const panels = scope.alloc(run.layout.lossPanelBytes, 'class panels'), dw = scope.alloc(run.layout.bytes, 'the gradient');
  const history: number[] = [];
  for (let first = 0; first < run.numIters; first += group) {
    hooks.checkContinue();
    const steps = Math.min(group, run.numIters - first);
    const calls: KernelCall[] = [];
    for (let g = 0; g < steps; g++) {
      const p = ptrs + g * run.batchSize * 4, y = yb + g * run.batchSize * 4;
      drawMinibatch(c, run, p, y);
      calls.push(['sgdStep', LOSS_CODES[run.loss], run.isU8 ? 1 : 0, p, y, run.batchSize, run.d, run.mean, run.w, run.classes, run.reg, run.learningRate, xb, run.layout.ld, s, run.layout.lds, panels, dw]);
    }
    const losses = await exec.run(calls, true);
    for (const [g, loss] of losses.entries()) {
      if (!Number.isFinite(loss)) return { history, divergedAt: first + g };
      history.push(loss);
      hooks.onIteration(first + g, loss);
    }
  }
  return { history, divergedAt: null };
}

/** Draws one minibatch: the addresses of its rows (in whichever chunk holds them) and their labels. */
function drawMinibatch(c: Core, run: SgdRun, ptrs: number, labels: number): void {
  const heap = c.i32, pb = ptrs >>> 2, lb = labels >>> 2;
  for (let b = 0; b < run.batchSize; b++) {
    const row = run.order === null ? run.random.int(run.rows) : drawWithoutReplacement(run.order, b, run.random);
    const chunk = run.chunks[Math.floor(row / run.rowsPerChunk)]!;
    heap[pb + b] = chunk.ptr + (row - chunk.first) * run.stride; // an address past 2 GiB wraps to the same i32 bits
    heap[lb + b] = run.labels[row]!;
  }
}

/** Partial Fisher-Yates: the b-th draw of a minibatch without replacement. */
function drawWithoutReplacement(order: Int32Array, b: number, random: Random): number {
  const j = b + random.int(order.length - b);
  const pick = order[j]!;
  order[j] = order[b]!;
  order[b] = pick;
  return pick;
}

/** The model a scores() call reads. */
export interface LinearWeights {
  d: number;
  classes: number;
  layout: WeightLayout;
  mean: number;
  w: number;
}

/** Class scores W x + b of every row of x (an n x C matrix), blocks of rows spread over the lanes. */
export async function linearScores(c: Core, model: LinearWeights, x: Matrix, signal: AbortSignal | undefined): Promise<Matrix<Float32Array>> {
  const n = x.rows, { layout, classes } = model, width = layout.lds >> 2;
  const out = new Float32Array(n * classes);
  if (n === 0) return { data: out, rows: 0, cols: classes };
  const exec = executorOf(c);
  const block = Math.min(SCORE_BLOCK, Math.ceil(n / exec.lanes)), stride = strideOf(x), isU8 = x.data instanceof Uint8Array ? 1 : 0;
  const firsts = Array.from({ length: Math.ceil(n / block) }, (_, i) => i * block);
  await c.scopedAsync(async (scope) => {
    const panels = scope.alloc(layout.scorePanelBytes, 'class panels');
    await exec.run([['packClassPanels', model.w, layout.ld, classes, 0, panels]]);
    const lanes = Array.from({ length: Math.min(exec.lanes, firsts.length) }, () => ({
      src: scope.alloc(byteSize('rows', block, stride), 'rows'),
      xb: scope.alloc(byteSize('centred rows', block, layout.ld), 'centred rows'),
      s: scope.alloc(byteSize('scores', block, layout.lds), 'scores'),
    }));
    await forEachInLanes(firsts, lanes.length, async (first, laneIndex) => {
      const lane = lanes[laneIndex]!, count = Math.min(block, n - first);
      writeRows(c, x, first, count, lane.src, stride);
      await exec.run([['linearScores', lane.src, isU8, stride, 0, count, model.d, model.mean, panels, classes, lane.xb, layout.ld, lane.s, layout.lds]]);
      const heap = c.f32, base = lane.s >>> 2;
      for (let r = 0; r < count; r++) {
        for (let j = 0; j < classes; j++) out[(first + r) * classes + j] = heap[base + r * width + j]!;
      }
    }, signal, 'scores');
  });
  return { data: out, rows: n, cols: classes };
}

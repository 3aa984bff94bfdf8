// The demo's learning-rate x regularization search: a grid on the validation split that is widened,
// a bounded number of times, in the direction of any edge the best cell sits on, so that the kept
// values are inside the searched range rather than at its border.
import { TrainingDivergedError } from '../errors.js';
import type { GridPoint } from '../selection.js';

export type GridAxis = 'learningRate' | 'reg';

/** One widening: a new row or column of the grid. */
export interface GridWidening {
  axis: GridAxis;
  direction: 'lower' | 'higher';
  value: number;
  /** The best cell that was on the edge, which asked for it. */
  from: { learningRate: number; reg: number };
}

export interface WidenedGrid {
  points: GridPoint[];
  best: GridPoint;
  learningRates: number[];
  regs: number[];
  widenings: GridWidening[];
  /** The best cell is still on an edge that could be widened, but the rounds ran out. */
  stillOnEdge: boolean;
}

export interface WidenOptions {
  /** Rounds of widening (each widens every edge the best cell is on), default 3. */
  maxRounds?: number;
  /** Values never tried beyond these, per axis. */
  bounds?: Record<GridAxis, [number, number]>;
}

export const GRID_BOUNDS: Record<GridAxis, [number, number]> = { learningRate: [1e-9, 1e-2], reg: [1e-3, 1e7] };

/** The best point as gridSearch picks it: finite final loss, highest validation accuracy, first on a tie. */
export function bestPoint(points: GridPoint[]): GridPoint | undefined {
  let best: GridPoint | undefined;
  for (const p of points) if (Number.isFinite(p.finalLoss) && (best === undefined || p.valAccuracy > best.valAccuracy)) best = p;
  return best;
}

/** The next value past the edge: the grid's own ratio between the edge and its neighbour (x10 for a single value). */
function beyond(values: number[], direction: 'lower' | 'higher'): number {
  const sorted = [...values].sort((a, b) => a - b);
  if (direction === 'lower') {
    const [a, b] = sorted;
    return b === undefined || a! <= 0 ? a! / 10 : a! * (a! / b);
  }
  const a = sorted.at(-1)!, b = sorted.at(-2);
  return b === undefined || b <= 0 ? a * 10 : a * (a / b);
}

/** Three significant digits, so that 1e-6 * sqrt(10)-like ratios do not print as 3.1622776e-7. */
const round3 = (v: number) => Number(v.toPrecision(3));

function edges(best: GridPoint, learningRates: number[], regs: number[], bounds: Record<GridAxis, [number, number]>): { axis: GridAxis; direction: 'lower' | 'higher'; value: number }[] {
  const out: { axis: GridAxis; direction: 'lower' | 'higher'; value: number }[] = [];
  for (const [axis, values] of [['learningRate', learningRates], ['reg', regs]] as const) {
    const v = best[axis];
    for (const direction of ['lower', 'higher'] as const) {
      const atEdge = direction === 'lower' ? v <= Math.min(...values) : v >= Math.max(...values);
      if (!atEdge) continue;
      const value = round3(beyond(values, direction));
      const [lo, hi] = bounds[axis];
      if (value > 0 && value >= lo && value <= hi && !values.includes(value)) out.push({ axis, direction, value });
    }
  }
  return out;
}

/**
 * Evaluates the grid learningRates x regs, then, while the best cell is on an edge and rounds are
 * left, adds the next row or column past that edge (the full cross product with the other axis)
 * and looks again. `evaluate(lrs, regs)` trains and scores every pair (e.g. gridSearch's points).
 */
export async function widenedGridSearch(
  evaluate: (learningRates: number[], regs: number[]) => Promise<GridPoint[]>,
  learningRates: number[], regs: number[], options: WidenOptions = {},
): Promise<WidenedGrid> {
  const maxRounds = options.maxRounds ?? 3;
  const bounds = options.bounds ?? GRID_BOUNDS;
  const lrs = [...learningRates].sort((a, b) => a - b), rs = [...regs].sort((a, b) => a - b);
  const points = await evaluate(lrs, rs);
  const widenings: GridWidening[] = [];
  for (let round = 0; round < maxRounds; round++) {
    const best = bestPoint(points);
    if (!best) break;
    const moves = edges(best, lrs, rs, bounds);
    if (moves.length === 0) break;
    for (const move of moves) {
      if (move.axis === 'learningRate') {
        points.push(...await evaluate([move.value], rs));
        lrs.push(move.value);
        lrs.sort((a, b) => a - b);
      } else {
        points.push(...await evaluate(lrs, [move.value]));
        rs.push(move.value);
        rs.sort((a, b) => a - b);
      }
      widenings.push({ ...move, from: { learningRate: best.learningRate, reg: best.reg } });
    }
  }
  const best = bestPoint(points);
  if (!best) throw new TrainingDivergedError(0, `No grid point trained: training diverged for every learning rate (${lrs.join(', ')}) and reg (${rs.join(', ')})`);
  return {
    points, best, widenings,
    learningRates: lrs, regs: rs,
    stillOnEdge: edges(best, lrs, rs, bounds).length > 0,
  };
}

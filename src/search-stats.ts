// KNearestNeighbor.lastStats for people: the funnel of a search and its shares, and the stats of
// several searches added up. The CLI's report and the browser demo draw them the same way.
import type { SearchStats } from './knn.js';

/** One step of a search: the (query, row) pairs that reached it and their share of all queries x rows pairs. */
export interface SearchStep {
  label: string;
  count: number;
  share: number;
}

/**
 * The funnel of a search, coarse to fine: per pyramid level the pairs whose bound (block sums or projection) was
 * computed, then the exact distances (brute force: that step alone, every pair).
 */
export function searchSteps(stats: SearchStats): SearchStep[] {
  const pairs = stats.queries * stats.rows;
  const of = (n: number) => (pairs > 0 ? n / pairs : NaN);
  return [
    ...stats.levels.map((level) => ({ label: levelLabel(level), count: level.reached, share: of(level.reached) })),
    { label: 'exact distance', count: stats.exact, share: of(stats.exact) },
  ];
}

/** What bounds a level: its blocks, or its projection's axes (of the pixels, or of block sums). */
function levelLabel(level: SearchStats['levels'][number]): string {
  if (level.block !== null) return `${level.block[0]}×${level.block[1]} block-sum bound`;
  const axes = level.axes;
  return `${level.dims}-axis projection bound${Array.isArray(axes) ? ` (${axes[0]}×${axes[1]} sums)` : ''}`;
}

/** A share for people, two significant digits: 100%, 14%, 5.5%, 3.0%, 0.99% (99.9% rather than a rounded 100% below the whole). */
export function formatShare(share: number): string {
  if (!Number.isFinite(share)) return '–';
  const p = share * 100;
  if (share >= 1 || share <= 0) return `${Number(p.toPrecision(3))}%`;
  if (p >= 99.5) return `${(Math.floor(p * 10) / 10).toFixed(1)}%`;
  return p < 0.001 ? '<0.001%' : `${p.toPrecision(2)}%`;
}

/**
 * Two searches of one model over consecutive blocks of queries as one search: counts added, level
 * by level; the algorithm and reason of the first that searched any query (the search that chose:
 * later ones repeat its choice).
 */
export function addSearchStats(a: SearchStats, b: SearchStats): SearchStats {
  const longer = b.levels.length > a.levels.length ? b.levels : a.levels;
  return {
    ...(a.queries > 0 ? a : b),
    queries: a.queries + b.queries,
    exact: a.exact + b.exact,
    levels: longer.map((level, l) => ({ block: level.block, axes: level.axes, dims: level.dims, reached: (a.levels[l]?.reached ?? 0) + (b.levels[l]?.reached ?? 0) })),
  };
}

// Summaries of repeated timings (median, spread, ratios) and the number formats of the report.

/** Median of a list of numbers (mean of the two middle values for an even count); NaN when empty. */
export function median(values) {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

/**
 * Median and spread of per-round times (ms): min..max over the rounds, and that range as a
 * percentage of the median. One round gives a spread of 0 (nothing to compare).
 */
export function summarize(roundsMs) {
  const med = median(roundsMs);
  const minMs = Math.min(...roundsMs);
  const maxMs = Math.max(...roundsMs);
  return { medianMs: med, minMs, maxMs, spreadPct: med > 0 ? (100 * (maxMs - minMs)) / med : 0, roundsMs };
}

/** How many times faster `ms` is than `baselineMs` (baseline / ms); null when either is missing. */
export function speedup(baselineMs, ms) {
  if (!Number.isFinite(baselineMs) || !Number.isFinite(ms) || ms <= 0) return null;
  return baselineMs / ms;
}

/** Milliseconds as a short human string: 812 ns, 35.2 us, 4.10 ms, 23.4 s, 6.2 min. */
export function formatTime(ms) {
  if (!Number.isFinite(ms)) return '-';
  if (ms < 1e-3) return `${(ms * 1e6).toFixed(0)} ns`;
  if (ms < 1) return `${(ms * 1e3).toPrecision(3)} us`;
  if (ms < 1e3) return `${ms.toPrecision(3)} ms`;
  if (ms < 120e3) return `${(ms / 1e3).toPrecision(3)} s`;
  return `${(ms / 60e3).toFixed(1)} min`;
}

/** A rate with an SI prefix and its unit: 1.23 G distances/s, 31.5 GFLOP/s. */
export function formatRate(value, unit) {
  if (!Number.isFinite(value)) return '-';
  if (unit === 'GFLOP/s') return `${value.toPrecision(3)} GFLOP/s`;
  const prefixes = [[1e12, 'T'], [1e9, 'G'], [1e6, 'M'], [1e3, 'k']];
  for (const [scale, prefix] of prefixes) {
    if (Math.abs(value) >= scale) return `${(value / scale).toPrecision(3)} ${prefix} ${unit}`;
  }
  return `${value.toPrecision(3)} ${unit}`;
}

/** A speed-up factor: 412x, 3.1x, 0.52x; '-' when missing. */
export function formatRatio(ratio) {
  if (ratio === null || ratio === undefined || !Number.isFinite(ratio)) return '-';
  if (ratio >= 100) return `${ratio.toFixed(0)}x`;
  if (ratio >= 10) return `${ratio.toFixed(1)}x`;
  return `${ratio.toFixed(2)}x`;
}

/** The spread column: the min..max range over rounds as a percentage of the median ("12%"). */
export function formatSpread(variant) {
  if (variant.roundsMs === undefined || variant.roundsMs.length < 2) return '-';
  return `${variant.spreadPct.toFixed(0)}%`;
}

/** A pyramid level as the bench prints it: its blocks ("7x7"), or its projection's axes ("16 axes", "16 axes of 2x2 sums"). */
export function levelName(level) {
  if (level.block !== null) return level.block.join('x');
  return Array.isArray(level.axes) ? `${level.dims} axes of ${level.axes.join('x')} sums` : `${level.dims} axes`;
}

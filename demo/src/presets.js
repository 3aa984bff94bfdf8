// Point sets shared by the two 2-D panels, in data units: the view is [-1, 1]^2, y up. The three
// hard cases for a linear classifier are the lecture's, and both panels draw the very same points
// for a preset, so that the linear classifier can be seen to fail where kNN succeeds.
import { gaussian, mulberry32 } from './common.js';

/** Keeps `count` samples of `draw()` (each [x, y] or null to reject), at most 50 tries per point. */
function sample(count, rng, draw) {
  const out = [];
  for (let tries = 0; out.length < count && tries < count * 50; tries++) {
    const p = draw(rng);
    if (p) out.push(p);
  }
  return out;
}

const uniform = (rng, lo = -0.95, hi = 0.95) => lo + rng() * (hi - lo);

/** Class 0 in the first and third quadrants, class 1 in the second and fourth (XOR). */
function quadrants(rng) {
  return sample(64, rng, () => {
    const x = uniform(rng), y = uniform(rng);
    if (Math.abs(x) < 0.12 || Math.abs(y) < 0.12) return null; // a gap along the axes
    return [x, y, x * y > 0 ? 0 : 1];
  });
}

/** The lecture's 1 <= ||x||_2 <= 2 (class 0) vs everything else (class 1), drawn at scale 0.4: radii 0.4 and 0.8. */
export const RING = { inner: 0.4, outer: 0.8, scale: 0.4 };
function ring(rng) {
  return sample(80, rng, () => {
    const x = uniform(rng), y = uniform(rng), r = Math.hypot(x, y);
    if (Math.abs(r - RING.inner) < 0.06 || Math.abs(r - RING.outer) < 0.06) return null;
    return [x, y, r >= RING.inner && r <= RING.outer ? 0 : 1];
  });
}

/** Three modes (class 0) vs everything else (class 1). */
export const MODES = [[-0.55, 0.5], [0.5, 0.55], [0.05, -0.55]];
const MODE_RADIUS = 0.22;
function modes(rng) {
  const inMode = MODES.flatMap(([cx, cy]) => sample(9, rng, () => {
    const x = cx + gaussian(rng) * 0.08, y = cy + gaussian(rng) * 0.08;
    return Math.hypot(x - cx, y - cy) < MODE_RADIUS - 0.04 ? [x, y, 0] : null;
  }));
  const rest = sample(45, rng, () => {
    const x = uniform(rng), y = uniform(rng);
    return MODES.every(([cx, cy]) => Math.hypot(x - cx, y - cy) > MODE_RADIUS + 0.08) ? [x, y, 1] : null;
  });
  return [...inMode, ...rest];
}

/**
 * Presets by name: `classes` and `points(seed)` (a list of [x, y, label] in data units). The
 * random clusters (panel 1's start) and the course's 9 points (panel 2's start) are the panels' own.
 */
export const PRESETS = {
  quadrants: {
    label: 'Quadrants (XOR)', classes: 2, points: (seed) => quadrants(mulberry32(seed * 101 + 1)),
    caption: 'Class 0 in the first and third quadrants, class 1 in the second and fourth. No line separates them: a linear classifier gets at most about 3 of the 4 quadrants right.',
  },
  ring: {
    label: 'Ring (1 ≤ ‖x‖ ≤ 2)', classes: 2, points: (seed) => ring(mulberry32(seed * 101 + 2)),
    caption: 'Class 0 on the ring 1 ≤ ‖x‖₂ ≤ 2 (drawn at 0.4 scale), class 1 everywhere else, inside the ring too. A linear classifier can only cut the plane in two half-planes.',
  },
  modes: {
    label: 'Three modes', classes: 2, points: (seed) => modes(mulberry32(seed * 101 + 3)),
    caption: 'Class 0 in three separate blobs, class 1 everywhere else. One line per class cannot wrap three islands.',
  },
};

export const HARD_CASES = Object.keys(PRESETS);

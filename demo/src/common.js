// Small helpers shared by the panels: colours, a seeded RNG, crisp canvases, dragging points.
import { addSearchStats as addStats, formatShare, searchSteps } from 'simdclass';

/** Class colours (Tableau 10, as in simdclass's SVG plots). */
export const PALETTE = ['#4e79a7', '#f28e2b', '#59a14f', '#e15759', '#b07aa1', '#76b7b2', '#edc948', '#ff9da7', '#9c755f', '#bab0ac'];

/** `hex` mixed with white: amount 0 = the colour, 1 = white. Returns [r, g, b]. */
export function tint(hex, amount) {
  const n = parseInt(hex.slice(1), 16);
  const mix = (c) => Math.round(c + (255 - c) * amount);
  return [mix(n >> 16), mix((n >> 8) & 255), mix(n & 255)];
}

/** mulberry32: a tiny seeded PRNG returning floats in [0, 1). */
export function mulberry32(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** A standard normal sample from a uniform RNG (Box-Muller). */
export function gaussian(rng) {
  const u = Math.max(rng(), 1e-12), v = rng();
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
}

/**
 * Shows what init() said about threads on `el`: its text ("threads: 2" or "1 thread: <why>") and
 * `data-threads` / `data-threads-note` (the browser test reads them). `where` names whose runtime it is.
 */
export function showThreads(el, info, where) {
  const note = info.threadsNote ?? '';
  el.dataset.threads = String(info.threads);
  el.dataset.threadsNote = note;
  el.classList.toggle('single', info.threads === 0);
  el.textContent = info.threads > 0
    ? `${where}: threads: ${info.threads} (Web Workers over one shared memory)`
    : `${where}: 1 thread${note ? `: ${note.replace(/^no worker threads: /, '')}` : ' (threads: 0 asked for)'}`;
  el.title = info.threads > 0
    ? 'The kernels run on a pool of Web Workers; the page stays free while they work.'
    : 'The kernels run in this thread, without workers.';
}

/** Sizes a canvas for the screen's pixel ratio; drawing uses CSS pixels. */
export function setupCanvas(canvas, width, height) {
  const dpr = Math.max(1, Math.min(3, window.devicePixelRatio || 1));
  canvas.width = Math.round(width * dpr);
  canvas.height = Math.round(height * dpr);
  canvas.style.width = `${width}px`;
  canvas.style.height = `${height}px`;
  const ctx = canvas.getContext('2d');
  ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
  return ctx;
}

/** Draws one data point: a filled circle with a white ring and a dark outline. */
export function drawPoint(ctx, x, y, color, { radius = 7, active = false } = {}) {
  ctx.beginPath();
  ctx.arc(x, y, radius + (active ? 2 : 0), 0, Math.PI * 2);
  ctx.fillStyle = color;
  ctx.fill();
  ctx.lineWidth = 2;
  ctx.strokeStyle = '#ffffff';
  ctx.stroke();
  ctx.beginPath();
  ctx.arc(x, y, radius + (active ? 2 : 0) + 1.5, 0, Math.PI * 2);
  ctx.lineWidth = 1;
  ctx.strokeStyle = 'rgba(17, 24, 39, 0.75)';
  ctx.stroke();
}

/**
 * Lets the user drag points on a canvas. `points()` returns objects with x, y in CSS pixels;
 * `onMove(point, x, y)` moves one; `onChange()` runs after every move (and on release).
 */
export function attachDrag(canvas, { points, onMove, onChange, radius = 12 }) {
  let dragging = null;
  const at = (event) => {
    const rect = canvas.getBoundingClientRect();
    return [event.clientX - rect.left, event.clientY - rect.top];
  };
  const hit = (x, y) => {
    let best = null, bestD = radius * radius;
    for (const p of points()) {
      const d = (p.x - x) ** 2 + (p.y - y) ** 2;
      if (d <= bestD) { best = p; bestD = d; }
    }
    return best;
  };
  canvas.addEventListener('pointerdown', (event) => {
    const [x, y] = at(event);
    dragging = hit(x, y);
    if (dragging) {
      canvas.setPointerCapture(event.pointerId);
      dragging.active = true;
      event.preventDefault();
      onChange();
    }
  });
  canvas.addEventListener('pointermove', (event) => {
    const [x, y] = at(event);
    if (!dragging) {
      canvas.style.cursor = hit(x, y) ? 'grab' : 'default';
      return;
    }
    const rect = canvas.getBoundingClientRect();
    onMove(dragging, Math.min(rect.width - 4, Math.max(4, x)), Math.min(rect.height - 4, Math.max(4, y)));
    canvas.style.cursor = 'grabbing';
    onChange();
  });
  const release = () => {
    if (!dragging) return;
    dragging.active = false;
    dragging = null;
    canvas.style.cursor = 'grab';
    onChange();
  };
  canvas.addEventListener('pointerup', release);
  canvas.addEventListener('pointercancel', release);
}

/** Calls `fn` at most once per animation frame, however often `schedule()` is called. */
export function frameScheduler(fn) {
  let queued = false;
  return function schedule() {
    if (queued) return;
    queued = true;
    requestAnimationFrame(() => {
      queued = false;
      fn();
    });
  };
}

/** 1234567 -> "1,234,567". */
export const formatInt = (n) => n.toLocaleString('en-US');

/** A number for labels: 0.001, 1e-7, 2.5e4, 12.3. */
export function formatNumber(v) {
  if (!Number.isFinite(v)) return String(v);
  if (v === 0) return '0';
  const a = Math.abs(v);
  if (a >= 1e-3 && a < 1e5) return String(Number(v.toPrecision(3)));
  const [m, e] = v.toExponential(2).split('e');
  return `${Number(m)}e${Number(e)}`;
}

/** Wires a range input to its <output> and returns a getter; `map` turns the slider value into the real one. */
export function slider(id, { map = (v) => v, format = String, onInput } = {}) {
  const input = document.getElementById(id);
  const output = document.querySelector(`output[for="${id}"]`);
  const value = () => map(Number(input.value));
  const show = () => { if (output) output.textContent = format(value()); };
  input.addEventListener('input', () => { show(); onInput?.(value()); });
  show();
  return { input, value, show };
}

/** The value of the checked radio button named `name`. */
export const radioValue = (name) => document.querySelector(`input[name="${name}"]:checked`).value;

// ---- kNN search statistics (KNearestNeighbor.lastStats), shown by the three panels ---------------
// The funnel and shares come from the library (searchSteps, formatShare), as in the `simdclass demo`
// report; the sentence names what this page searches.

/**
 * Sums the lastStats of searches of one model over slices of the queries (null: none yet) with the
 * library's addSearchStats: the reason is the first slice's, the search that chose (for 'auto', its
 * timed sample). A model keeps the algorithm 'auto' chose, so slices agree; if they did not, the sum
 * says 'mixed'.
 */
export function addSearchStats(total, stats) {
  if (total === null) return stats;
  const sum = addStats(total, stats);
  return total.algorithm === stats.algorithm ? sum : { ...sum, algorithm: 'mixed' };
}

/**
 * The search in one sentence, ending with why that algorithm ran (stats.reason, the library's words).
 * `how`: what the queries and rows are ('test images', 'training images', 'points').
 */
export function searchSummary(stats, how) {
  const pairs = stats.queries * stats.rows;
  const work = `${formatInt(stats.queries)} ${how.queries} × ${formatInt(stats.rows)} ${how.rows}`;
  if (stats.algorithm === 'pyramid') {
    const fewer = stats.exact > 0 ? `, ${Number((pairs / stats.exact).toPrecision(3))}× fewer` : '';
    return `${formatInt(stats.exact)} exact distances for ${work}: ${formatShare(stats.exact / pairs)} of the ${formatInt(pairs)} that brute force computes${fewer}, for the same neighbours${stats.reason ? `; chosen because: ${stats.reason}` : ''}.`;
  }
  if (stats.algorithm === 'mixed') return `${formatInt(stats.exact)} exact distances for ${work} (brute force for some slices of the queries, the pyramid for others).`;
  return `${formatInt(stats.exact)} exact distances (${work}, every pair)${stats.reason ? `: ${stats.reason}` : ''}.`;
}

const ALGORITHM_NAMES = { brute: 'brute force', pyramid: 'pyramid', mixed: 'brute force + pyramid' };

/**
 * Shows a search in `el`: a line (the algorithm, then searchSummary) and the funnel as bars (share of
 * all pairs, and the count). For the browser test `el` keeps the numbers: data-algorithm,
 * data-queries, data-rows, data-exact, data-reached (each level's pairs, comma-separated) and
 * data-reason (stats.reason).
 */
export function showSearch(el, stats, how) {
  el.dataset.algorithm = stats.algorithm;
  el.dataset.queries = String(stats.queries);
  el.dataset.rows = String(stats.rows);
  el.dataset.exact = String(stats.exact);
  el.dataset.reached = stats.levels.map((l) => l.reached).join(',');
  el.dataset.reason = stats.reason ?? '';
  const line = document.createElement('p');
  line.className = 'search-line';
  const name = document.createElement('span');
  name.className = `algo ${stats.algorithm}`;
  name.textContent = ALGORITHM_NAMES[stats.algorithm] ?? stats.algorithm;
  line.append(name, ` ${searchSummary(stats, how)}`);
  const funnel = document.createElement('ol');
  funnel.className = 'funnel';
  funnel.setAttribute('aria-label', `share of the ${formatInt(stats.queries * stats.rows)} (query, training row) pairs that reached each step`);
  for (const step of searchSteps(stats)) {
    const li = document.createElement('li');
    li.dataset.count = String(step.count);
    const what = document.createElement('span');
    what.className = 'what';
    what.textContent = step.label;
    const track = document.createElement('span');
    track.className = 'track';
    const fill = document.createElement('span');
    fill.style.width = `${(Number.isFinite(step.share) ? Math.max(0, Math.min(1, step.share)) * 100 : 0).toFixed(2)}%`;
    track.append(fill);
    const val = document.createElement('span');
    val.className = 'val';
    const share = document.createElement('b');
    share.textContent = formatShare(step.share);
    val.append(share, ` ${formatInt(step.count)}`);
    li.append(what, track, val);
    funnel.append(li);
  }
  el.replaceChildren(line, funnel);
}

/** Empties a search display (no search to show). */
export function clearSearch(el, text = '') {
  for (const key of ['algorithm', 'queries', 'rows', 'exact', 'reached', 'reason']) delete el.dataset[key];
  el.replaceChildren();
  if (text) {
    const p = document.createElement('p');
    p.className = 'search-line';
    p.textContent = text;
    el.append(p);
  }
}

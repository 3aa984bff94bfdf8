// Panel 1: nearest neighbours in 2-D. Every cell of the plane is a query; simdclass's
// KNearestNeighbor (WebAssembly) finds its k nearest points and the cell is painted with the
// majority label. Where the vote ties (no label has more votes than every other) the cell is white,
// as in the lecture's figure; simdclass then predicts the smaller label. Below the main plot, the
// lecture's comparison: the same points with k = 1 and with k = 5. Under the stats, what the main
// plot's search did (lastStats): brute force, since pyramids bound u8 image rows, not 2-D points.
import { KNearestNeighbor, voteLabels } from 'simdclass';
import { PALETTE, addSearchStats, attachDrag, drawPoint, formatInt, frameScheduler, gaussian, mulberry32, radioValue, setupCanvas, showSearch, slider, tint } from './common.js';
import { PRESETS } from './presets.js';

const SIZE = 400;   // main canvas, CSS px; points live in these coordinates
const CELL = 2;     // one query per CELL x CELL pixels
const SMALL = 196;  // the k = 1 / k = 5 canvases, CSS px (two of them and a gap: the main plot's width)
const SLICE_ROWS = 20;    // grid rows per kNN call: 4,000-8,000 queries, a few ms; the page gets a turn in between
const COMPARE_KS = [1, 5];

/** Lets the browser handle input and paint between slices of work. */
const yieldToBrowser = () => new Promise((resolve) => setTimeout(resolve, 0));

const toPx = (v) => ((v + 1) / 2) * SIZE;
const toPy = (v) => ((1 - v) / 2) * SIZE;
const fromPx = (x) => (x / SIZE) * 2 - 1;
const fromPy = (y) => 1 - (y / SIZE) * 2;

/** One canvas of decision regions: its context, its query grid (in main-canvas coordinates) and an image. */
function regionView(canvas, pixels) {
  const ctx = setupCanvas(canvas, pixels, pixels);
  const grid = pixels / CELL;
  const scale = SIZE / pixels;
  const queries = new Float32Array(grid * grid * 2);
  for (let gy = 0; gy < grid; gy++) {
    for (let gx = 0; gx < grid; gx++) {
      queries[(gy * grid + gx) * 2] = (gx + 0.5) * CELL * scale;
      queries[(gy * grid + gx) * 2 + 1] = (gy + 0.5) * CELL * scale;
    }
  }
  const regions = new OffscreenCanvas(grid, grid);
  const regionsCtx = regions.getContext('2d');
  return { canvas, ctx, pixels, grid, scale, queries, regions, regionsCtx, image: regionsCtx.createImageData(grid, grid), renders: 0 };
}

export function setupKnnPanel() {
  const main = regionView(document.getElementById('knn-canvas'), SIZE);
  const compare = COMPARE_KS.map((k) => ({ k, view: regionView(document.getElementById(`knn-k${k}`), SMALL) }));
  const stats = document.getElementById('knn-stats');
  const searchBox = document.getElementById('knn-search');
  const presetSelect = document.getElementById('knn-preset');
  const presetCaption = document.getElementById('knn-preset-caption');
  const randomOnly = document.querySelectorAll('.knn-random-only');

  let seed = 1;
  let points = [];
  const classes = () => (presetSelect.value === 'clusters' ? Number(radioValue('knn-classes')) : PRESETS[presetSelect.value].classes);
  const perClass = slider('knn-per-class', { onInput: () => { regenerate(); } });
  const k = slider('knn-k', { onInput: () => schedule() });
  for (const input of document.querySelectorAll('input[name="knn-metric"], input[name="knn-classes"]')) {
    input.addEventListener('change', () => (input.name === 'knn-classes' ? regenerate() : schedule()));
  }
  presetSelect.addEventListener('change', () => { seed = 1; regenerate(); });
  document.getElementById('knn-shuffle').addEventListener('click', () => { seed++; regenerate(); });

  /** The preset's points, or clusters around random centres; seeded so every visit starts from the same picture. */
  function regenerate() {
    const preset = presetSelect.value;
    for (const el of randomOnly) el.disabled = preset !== 'clusters';
    presetCaption.textContent = PRESETS[preset]?.caption ?? 'Clusters of points around random centres. Drag them, or pick one of the lecture\'s hard cases for a linear classifier.';
    if (preset !== 'clusters') {
      points = PRESETS[preset].points(seed).map(([x, y, label]) => ({ x: toPx(x), y: toPy(y), label, active: false }));
    } else {
      const rng = mulberry32(seed * 7919 + classes());
      points = [];
      for (let c = 0; c < classes(); c++) {
        const cx = 70 + rng() * (SIZE - 140), cy = 70 + rng() * (SIZE - 140);
        for (let i = 0; i < perClass.value(); i++) {
          const x = cx + gaussian(rng) * 50, y = cy + gaussian(rng) * 50;
          points.push({ x: Math.min(SIZE - 8, Math.max(8, x)), y: Math.min(SIZE - 8, Math.max(8, y)), label: c, active: false });
        }
      }
    }
    schedule();
  }

  let running = false, again = false;
  async function render() {
    if (running) { again = true; return; }
    running = true;
    try {
      do {
        again = false;
        await paint();
      } while (again);
    } finally {
      running = false;
    }
  }
  const schedule = frameScheduler(render);

  async function paint() {
    const n = points.length;
    const kValue = Math.min(k.value(), n);
    const metric = radioValue('knn-metric');
    const train = new Float32Array(n * 2);
    const labels = new Int32Array(n);
    points.forEach((p, i) => { train[2 * i] = p.x; train[2 * i + 1] = p.y; labels[i] = p.label; });
    const numClasses = Math.max(classes(), ...labels.map((l) => l + 1));

    const knn = new KNearestNeighbor({ k: Math.min(Math.max(kValue + 1, ...COMPARE_KS), n), metric });
    let ms = 0, ties = 0, loo = NaN, search = null;
    try {
      await knn.train({ data: train, rows: n, cols: 2 }, labels);
      // The time shown is the kNN and painting time of the main plot, without the pauses between slices.
      ({ ties, busy: ms, search } = await paintRegions(main, knn, kValue, labels, numClasses));
      for (const { k: kc, view } of compare) {
        const r = await paintRegions(view, knn, Math.min(kc, n), labels, numClasses);
        view.canvas.dataset.ties = String(r.ties);
      }
      loo = await leaveOneOut(knn, train, n, kValue, labels, numClasses);
    } finally {
      knn.dispose();
    }
    main.canvas.dataset.ties = String(ties);
    main.canvas.dataset.loo = loo.toFixed(4);

    k.input.max = String(Math.min(15, n));
    stats.textContent = `${n} training points · ${formatInt(main.grid * main.grid)} queries (one per ${CELL}×${CELL} px) · ` +
      `k = ${kValue}, ${metric.toUpperCase()} · ${ms.toFixed(1)} ms · leave-one-out accuracy ${(loo * 100).toFixed(0)}%`;
    showSearch(searchBox, search, { queries: 'queries', rows: 'points' });
    for (const { view } of compare) view.canvas.dataset.renders = String(++view.renders);
    main.canvas.dataset.renders = String(++main.renders);
  }

  /** Paints one view's regions with the first `kValue` neighbours of each query; white where the vote ties. */
  async function paintRegions(view, knn, kValue, labels, numClasses) {
    const { grid, queries, image, regionsCtx, regions, ctx, pixels, scale } = view;
    const stride = knn.k;
    const indices = new Int32Array(grid * grid * stride);
    let busy = 0, t = performance.now(), search = null;
    // In slices of grid rows, so that many points and a large k never freeze the page.
    for (let row = 0; row < grid; row += SLICE_ROWS) {
      const rows = Math.min(SLICE_ROWS, grid - row) * grid;
      const first = row * grid;
      const slice = { data: queries.subarray(first * 2, (first + rows) * 2), rows, cols: 2 };
      indices.set((await knn.kneighbors(slice)).indices, first * stride);
      search = addSearchStats(search, knn.lastStats);
      if (row + SLICE_ROWS < grid) {
        busy += performance.now() - t;
        await yieldToBrowser();
        t = performance.now();
      }
    }
    busy += performance.now() - t;
    const predicted = voteLabels(indices, stride, labels, numClasses, kValue);
    const colors = PALETTE.slice(0, numClasses).map((c) => tint(c, 0.55));
    const counts = new Int32Array(numClasses);
    const px = image.data;
    let ties = 0;
    for (let q = 0; q < grid * grid; q++) {
      counts.fill(0);
      for (let j = 0; j < kValue; j++) counts[labels[indices[q * stride + j]]]++;
      const label = predicted[q];
      let tied = false;
      for (let c = 0; c < numClasses; c++) if (c !== label && counts[c] === counts[label]) tied = true;
      if (tied) ties++;
      const [r, g, b] = tied ? [255, 255, 255] : colors[label];
      px[4 * q] = r; px[4 * q + 1] = g; px[4 * q + 2] = b; px[4 * q + 3] = 255;
    }
    regionsCtx.putImageData(image, 0, 0);
    ctx.imageSmoothingEnabled = false;
    ctx.drawImage(regions, 0, 0, pixels, pixels);
    const radius = pixels < SIZE ? 4 : 7;
    for (const p of points) if (!p.active) drawPoint(ctx, p.x / scale, p.y / scale, PALETTE[p.label], { radius });
    for (const p of points) if (p.active) drawPoint(ctx, p.x / scale, p.y / scale, PALETTE[p.label], { radius, active: true });
    return { ties, busy, search };
  }

  /** Accuracy when each point is classified by the others (its own index is left out of its neighbours). */
  async function leaveOneOut(knn, train, n, kValue, labels, numClasses) {
    if (n < 2) return NaN;
    const kk = Math.min(kValue, n - 1);
    const { indices } = await knn.kneighbors({ data: train, rows: n, cols: 2 });
    const stride = knn.k;
    const others = new Int32Array(n * kk);
    for (let i = 0; i < n; i++) {
      let m = 0;
      for (let j = 0; j < stride && m < kk; j++) if (indices[i * stride + j] !== i) others[i * kk + m++] = indices[i * stride + j];
    }
    const predicted = voteLabels(others, kk, labels, numClasses, kk);
    let right = 0;
    for (let i = 0; i < n; i++) if (predicted[i] === labels[i]) right++;
    return right / n;
  }

  attachDrag(main.canvas, {
    points: () => points,
    onMove: (p, x, y) => { p.x = x; p.y = y; },
    onChange: schedule,
  });
  regenerate();

  /** The points in data units, for the browser test (the same preset gives the same points in both panels). */
  return { points: () => points.map((p) => [fromPx(p.x), fromPy(p.y), p.label]) };
}

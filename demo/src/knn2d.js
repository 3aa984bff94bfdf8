// Panel 1: nearest neighbours in 2-D. Every cell of the plane is a query; simdclass's
// KNearestNeighbor (WebAssembly) finds its k nearest points and the cell is painted with the
// majority label. Ties (no strict majority) are painted paler: simdclass gives them to the smaller label.
import { KNearestNeighbor, voteLabels } from 'simdclass';
import { PALETTE, attachDrag, drawPoint, formatInt, frameScheduler, gaussian, mulberry32, radioValue, setupCanvas, slider, tint } from './common.js';

const SIZE = 400;   // canvas, CSS px
const CELL = 2;     // one query per CELL x CELL pixels
const GRID = SIZE / CELL;
const SLICE_ROWS = 20;    // grid rows per kNN call: 8,000 queries, a few ms; the page gets a turn in between

/** Lets the browser handle input and paint between slices of work. */
const yieldToBrowser = () => new Promise((resolve) => setTimeout(resolve, 0));

export function setupKnnPanel() {
  const canvas = document.getElementById('knn-canvas');
  const ctx = setupCanvas(canvas, SIZE, SIZE);
  const stats = document.getElementById('knn-stats');
  const regions = new OffscreenCanvas(GRID, GRID);
  const regionsCtx = regions.getContext('2d');
  const image = regionsCtx.createImageData(GRID, GRID);

  // Cell centres, one f32 row (x, y) per query, in canvas pixels.
  const grid = new Float32Array(GRID * GRID * 2);
  for (let gy = 0; gy < GRID; gy++) {
    for (let gx = 0; gx < GRID; gx++) {
      grid[(gy * GRID + gx) * 2] = (gx + 0.5) * CELL;
      grid[(gy * GRID + gx) * 2 + 1] = (gy + 0.5) * CELL;
    }
  }

  let seed = 1;
  let points = [];
  const classes = () => Number(radioValue('knn-classes'));
  const perClass = slider('knn-per-class', { onInput: () => { regenerate(); } });
  const k = slider('knn-k', { onInput: () => schedule() });
  for (const input of document.querySelectorAll('input[name="knn-metric"], input[name="knn-classes"]')) {
    input.addEventListener('change', () => (input.name === 'knn-classes' ? regenerate() : schedule()));
  }
  document.getElementById('knn-shuffle').addEventListener('click', () => { seed++; regenerate(); });

  /** Clusters of points around random centres, seeded so every visit starts from the same picture. */
  function regenerate() {
    const rng = mulberry32(seed * 7919 + classes());
    points = [];
    for (let c = 0; c < classes(); c++) {
      const cx = 70 + rng() * (SIZE - 140), cy = 70 + rng() * (SIZE - 140);
      for (let i = 0; i < perClass.value(); i++) {
        const x = cx + gaussian(rng) * 50, y = cy + gaussian(rng) * 50;
        points.push({ x: Math.min(SIZE - 8, Math.max(8, x)), y: Math.min(SIZE - 8, Math.max(8, y)), label: c, active: false });
      }
    }
    schedule();
  }

  let running = false, again = false, renders = 0;
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
    const numClasses = classes();

    let busy = 0, t = performance.now();
    const knn = new KNearestNeighbor({ k: kValue, metric });
    const indices = new Int32Array(GRID * GRID * kValue);
    try {
      await knn.train({ data: train, rows: n, cols: 2 }, labels);
      // In slices of grid rows, so that many points and a large k never freeze the page.
      for (let row = 0; row < GRID; row += SLICE_ROWS) {
        const rows = Math.min(SLICE_ROWS, GRID - row) * GRID;
        const first = row * GRID;
        const slice = { data: grid.subarray(first * 2, (first + rows) * 2), rows, cols: 2 };
        indices.set((await knn.kneighbors(slice)).indices, first * kValue);
        if (row + SLICE_ROWS < GRID) {
          busy += performance.now() - t;
          await yieldToBrowser();
          t = performance.now();
        }
      }
    } finally {
      knn.dispose();
    }
    const predicted = voteLabels(indices, kValue, labels, numClasses, kValue);
    const ms = busy + performance.now() - t; // kNN time, without the pauses between slices

    // Paint: the predicted label's colour, paler where the vote was tied.
    const strong = PALETTE.slice(0, numClasses).map((c) => tint(c, 0.55));
    const pale = PALETTE.slice(0, numClasses).map((c) => tint(c, 0.85));
    const counts = new Int32Array(numClasses);
    const px = image.data;
    for (let q = 0; q < GRID * GRID; q++) {
      counts.fill(0);
      for (let j = 0; j < kValue; j++) counts[labels[indices[q * kValue + j]]]++;
      const label = predicted[q];
      let tied = false;
      for (let c = 0; c < numClasses; c++) if (c !== label && counts[c] === counts[label]) tied = true;
      const [r, g, b] = (tied ? pale : strong)[label];
      px[4 * q] = r; px[4 * q + 1] = g; px[4 * q + 2] = b; px[4 * q + 3] = 255;
    }
    regionsCtx.putImageData(image, 0, 0);
    ctx.imageSmoothingEnabled = false;
    ctx.drawImage(regions, 0, 0, SIZE, SIZE);
    for (const p of points) if (!p.active) drawPoint(ctx, p.x, p.y, PALETTE[p.label]);
    for (const p of points) if (p.active) drawPoint(ctx, p.x, p.y, PALETTE[p.label], { active: true });

    k.input.max = String(Math.min(15, n));
    stats.textContent = `${n} training points · ${formatInt(GRID * GRID)} queries (one per ${CELL}×${CELL} px) · ` +
      `k = ${kValue}, ${metric.toUpperCase()} · ${ms.toFixed(1)} ms`;
    canvas.dataset.renders = String(++renders);
  }

  attachDrag(canvas, {
    points: () => points,
    onMove: (p, x, y) => { p.x = x; p.y = y; },
    onChange: schedule,
  });
  regenerate();
}

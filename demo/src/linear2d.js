// Panel 2: a linear classifier in 2-D with 3 classes (2 for the lecture's hard cases). Scores
// s_j = w_j · x + b_j; each class's line is where its score is 0, and its arrow points where the
// score grows. Every step is one full-batch gradient-descent update W -= stepSize * dL/dW, with the
// loss and gradient computed by simdclass's svmLoss / softmaxLoss (the WebAssembly kernels, bias
// trick: x = (x1, x2, 1)). The presets are panel 1's, point for point.
import { softmaxLoss, svmLoss } from 'simdclass';
import { PALETTE, attachDrag, drawPoint, formatNumber, frameScheduler, gaussian, mulberry32, radioValue, setupCanvas, slider, tint } from './common.js';
import { PRESETS } from './presets.js';

const SIZE = 400;          // canvas, CSS px
const HALF = 1;            // the view is [-HALF, HALF]^2 in data units
const MAX_CLASSES = 3;
const CHART_W = 300, CHART_H = 130;

// The starting picture (as in the classic course demo): 3 points per class and fixed weights.
const START_POINTS = [
  [0.5, 0.4, 0], [0.8, 0.3, 0], [0.3, 0.8, 0],
  [-0.4, 0.3, 1], [-0.3, 0.7, 1], [-0.7, 0.2, 1],
  [0.7, -0.4, 2], [0.5, -0.6, 2], [-0.4, -0.5, 2],
];
// W is D x C (rows x1, x2, bias; one column per class), row-major.
const START_W = [1, 2, 3, 2, -4, -1, 0, 0.5, -0.5];
// Two classes (the hard cases): class 0's score grows to the right, class 1's to the left.
const START_W_2 = [1, -1, 0.3, -0.3, 0.2, -0.2];

const toPx = (v) => ((v + HALF) / (2 * HALF)) * SIZE;
const toPy = (v) => ((HALF - v) / (2 * HALF)) * SIZE;
const fromPx = (x) => (x / SIZE) * 2 * HALF - HALF;
const fromPy = (y) => HALF - (y / SIZE) * 2 * HALF;

export function setupLinearPanel() {
  const canvas = document.getElementById('lin-canvas');
  const ctx = setupCanvas(canvas, SIZE, SIZE);
  const chart = document.getElementById('lin-chart');
  const chartCtx = setupCanvas(chart, CHART_W, CHART_H);
  const regions = new OffscreenCanvas(SIZE, SIZE);
  const regionsCtx = regions.getContext('2d');
  const image = regionsCtx.createImageData(SIZE, SIZE);
  const lossText = document.getElementById('lin-loss');
  const table = document.getElementById('lin-weights');
  const runButton = document.getElementById('lin-run');
  const presetSelect = document.getElementById('lin-preset');
  const presetCaption = document.getElementById('lin-preset-caption');

  let points = [];
  let C = MAX_CLASSES;
  let W = new Float32Array(3 * C);
  let history = [];
  let renders = 0;
  let rng = mulberry32(7);

  const reg = slider('lin-reg', { map: (v) => (v <= -5 ? 0 : 10 ** v), format: formatNumber, onInput: () => { history = []; schedule(); } });
  const stepSize = slider('lin-lr', { map: (v) => 10 ** v, format: formatNumber });
  for (const input of document.querySelectorAll('input[name="lin-loss"]')) input.addEventListener('change', () => { history = []; schedule(); });

  const startW = () => (C === 3 ? START_W : START_W_2);
  function reset() {
    const preset = PRESETS[presetSelect.value];
    C = preset ? preset.classes : MAX_CLASSES;
    const data = preset ? preset.points(1) : START_POINTS;
    points = data.map(([x, y, label]) => ({ x: toPx(x), y: toPy(y), label, active: false }));
    W = Float32Array.from(startW());
    presetCaption.textContent = preset ? `${preset.caption} Press Run: the loss goes down, the accuracy stays low.` : 'The course\'s starting picture: 3 classes of 3 points and fixed weights.';
    for (const row of table.querySelectorAll('tbody tr')) row.hidden = Number(row.dataset.class) >= C;
    history = [];
    schedule();
  }
  function randomize() {
    for (let i = 0; i < 2 * C; i++) W[i] = gaussian(rng) * 2;
    for (let i = 2 * C; i < 3 * C; i++) W[i] = gaussian(rng) * 0.5;
    history = [];
    schedule();
  }
  presetSelect.addEventListener('change', reset);

  /** Loss and gradient at the current W, from the library's WebAssembly kernels. */
  function lossAndGrad() {
    const X = new Float32Array(points.length * 3);
    const y = new Int32Array(points.length);
    points.forEach((p, i) => { X.set([fromPx(p.x), fromPy(p.y), 1], 3 * i); y[i] = p.label; });
    const fn = radioValue('lin-loss') === 'svm' ? svmLoss : softmaxLoss;
    return fn({ data: W, rows: 3, cols: C }, { data: X, rows: points.length, cols: 3 }, y, reg.value());
  }

  function step() {
    const { loss: lossBefore, grad } = lossAndGrad();
    const lr = stepSize.value();
    for (let i = 0; i < W.length; i++) W[i] -= lr * grad.data[i];
    if (!W.every(Number.isFinite)) {
      W.set(startW());
      history = [];
      lossText.dataset.note = 'The weights stopped being finite and were reset: try a smaller step size.';
    } else {
      if (history.length === 0) history.push(lossBefore);
      history.push(lossAndGrad().loss);
    }
    schedule();
  }

  let running = false;
  function loop() {
    if (!running) return;
    step();
    requestAnimationFrame(loop);
  }
  runButton.addEventListener('click', () => {
    running = !running;
    runButton.textContent = running ? 'Pause' : 'Run';
    runButton.setAttribute('aria-pressed', String(running));
    if (running) requestAnimationFrame(loop);
  });
  document.getElementById('lin-step').addEventListener('click', step);
  document.getElementById('lin-reset').addEventListener('click', reset);
  document.getElementById('lin-random').addEventListener('click', randomize);

  const schedule = frameScheduler(render);

  function render() {
    const { loss } = lossAndGrad();
    if (history.length === 0) history.push(loss);
    if (history.length > 2000) history = history.slice(-1000);
    const regLoss = reg.value() * W.reduce((s, w) => s + w * w, 0);

    // Regions: the class with the highest score at every pixel.
    const colors = PALETTE.slice(0, C).map((c) => tint(c, 0.6));
    const px = image.data;
    for (let py = 0; py < SIZE; py++) {
      const y = fromPy(py + 0.5);
      for (let pxi = 0; pxi < SIZE; pxi++) {
        const x = fromPx(pxi + 0.5);
        let best = 0, bestScore = -Infinity;
        for (let j = 0; j < C; j++) {
          const s = W[j] * x + W[C + j] * y + W[2 * C + j];
          if (s > bestScore) { bestScore = s; best = j; }
        }
        const o = 4 * (py * SIZE + pxi);
        px[o] = colors[best][0]; px[o + 1] = colors[best][1]; px[o + 2] = colors[best][2]; px[o + 3] = 255;
      }
    }
    regionsCtx.putImageData(image, 0, 0);
    ctx.drawImage(regions, 0, 0, SIZE, SIZE);
    drawAxes();
    for (let j = 0; j < C; j++) drawLine(j);
    for (const p of points) drawPoint(ctx, p.x, p.y, PALETTE[p.label], { active: p.active });

    const acc = accuracy();
    canvas.dataset.accuracy = acc.toFixed(4);
    const note = lossText.dataset.note ? ` ${lossText.dataset.note}` : '';
    delete lossText.dataset.note;
    lossText.textContent = `Step ${history.length - 1}: loss ${loss.toFixed(4)} = data ${(loss - regLoss).toFixed(4)} + regularization ${regLoss.toFixed(4)}. ` +
      `Accuracy on these ${points.length} points: ${(acc * 100).toFixed(0)}%.${note}`;
    updateTable();
    drawChart();
    canvas.dataset.renders = String(++renders);
  }

  /** The share of points whose highest score is their own class's. */
  function accuracy() {
    let right = 0;
    for (const p of points) {
      const x = fromPx(p.x), y = fromPy(p.y);
      let best = 0, bestScore = -Infinity;
      for (let j = 0; j < C; j++) {
        const s = W[j] * x + W[C + j] * y + W[2 * C + j];
        if (s > bestScore) { bestScore = s; best = j; }
      }
      if (best === p.label) right++;
    }
    return points.length ? right / points.length : NaN;
  }

  function drawAxes() {
    ctx.strokeStyle = 'rgba(17, 24, 39, 0.25)';
    ctx.lineWidth = 1;
    ctx.beginPath();
    ctx.moveTo(toPx(0), 0); ctx.lineTo(toPx(0), SIZE);
    ctx.moveTo(0, toPy(0)); ctx.lineTo(SIZE, toPy(0));
    ctx.stroke();
    ctx.fillStyle = 'rgba(17, 24, 39, 0.6)';
    ctx.font = '11px system-ui, sans-serif';
    ctx.fillText('x₁', SIZE - 16, toPy(0) - 6);
    ctx.fillText('x₂', toPx(0) + 6, 13);
  }

  /** Class j's zero-score line w_j · x + b_j = 0, clipped to the view, with an arrow along w_j. */
  function drawLine(j) {
    const a = W[j], b = W[C + j], c = W[2 * C + j];
    const norm = Math.hypot(a, b);
    if (norm < 1e-9) return;
    const ends = [];
    const H = HALF;
    if (Math.abs(b) > 1e-12) for (const x of [-H, H]) { const y = -(a * x + c) / b; if (y >= -H && y <= H) ends.push([x, y]); }
    if (Math.abs(a) > 1e-12) for (const y of [-H, H]) { const x = -(b * y + c) / a; if (x >= -H && x <= H) ends.push([x, y]); }
    if (ends.length < 2) return;
    const [p, q] = [ends[0], ends[ends.length - 1]];
    // Arrow from the line's point nearest the origin (or the visible segment's middle), along w_j.
    let ox = (-c * a) / (norm * norm), oy = (-c * b) / (norm * norm);
    if (Math.abs(ox) > H * 0.85 || Math.abs(oy) > H * 0.85) { ox = (p[0] + q[0]) / 2; oy = (p[1] + q[1]) / 2; }
    const len = 0.22;
    const tx = ox + (a / norm) * len, ty = oy + (b / norm) * len;
    const color = PALETTE[j];
    for (const [width, stroke] of [[5, 'rgba(255,255,255,0.85)'], [2.5, color]]) {
      ctx.lineWidth = width;
      ctx.strokeStyle = stroke;
      ctx.beginPath();
      ctx.moveTo(toPx(p[0]), toPy(p[1])); ctx.lineTo(toPx(q[0]), toPy(q[1]));
      ctx.moveTo(toPx(ox), toPy(oy)); ctx.lineTo(toPx(tx), toPy(ty));
      ctx.stroke();
    }
    // Arrow head.
    const angle = Math.atan2(toPy(ty) - toPy(oy), toPx(tx) - toPx(ox));
    ctx.fillStyle = color;
    ctx.beginPath();
    ctx.moveTo(toPx(tx) + 9 * Math.cos(angle), toPy(ty) + 9 * Math.sin(angle));
    ctx.lineTo(toPx(tx) + 7 * Math.cos(angle + 2.3), toPy(ty) + 7 * Math.sin(angle + 2.3));
    ctx.lineTo(toPx(tx) + 7 * Math.cos(angle - 2.3), toPy(ty) + 7 * Math.sin(angle - 2.3));
    ctx.closePath();
    ctx.fill();
  }

  function updateTable() {
    const cells = table.querySelectorAll('tbody td[data-w]');
    for (const cell of cells) {
      const [row, col] = cell.dataset.w.split(',').map(Number);
      cell.textContent = col < C ? W[row * C + col].toFixed(3) : '';
    }
  }

  function drawChart() {
    const c = chartCtx;
    const left = 40, right = 8, top = 10, bottom = 22;
    const w = CHART_W - left - right, h = CHART_H - top - bottom;
    c.clearRect(0, 0, CHART_W, CHART_H);
    const max = Math.max(...history, 1e-6) * 1.05;
    const steps = Math.max(10, history.length - 1);
    c.strokeStyle = '#e5e7eb';
    c.lineWidth = 1;
    c.fillStyle = '#6b7280';
    c.font = '10px system-ui, sans-serif';
    c.textAlign = 'right';
    c.textBaseline = 'middle';
    for (const f of [0, 0.5, 1]) {
      const y = top + h - f * h;
      c.beginPath(); c.moveTo(left, y); c.lineTo(left + w, y); c.stroke();
      c.fillText((f * max).toPrecision(2), left - 5, y);
    }
    c.textAlign = 'center';
    c.textBaseline = 'top';
    c.fillText('0', left, top + h + 5);
    c.fillText(String(steps), left + w, top + h + 5);
    c.fillText('step', left + w / 2, top + h + 5);
    c.strokeStyle = '#2563eb';
    c.lineWidth = 2;
    c.beginPath();
    history.forEach((v, i) => {
      const x = left + (i / steps) * w, y = top + h - (v / max) * h;
      if (i === 0) c.moveTo(x, y); else c.lineTo(x, y);
    });
    c.stroke();
  }

  attachDrag(canvas, {
    points: () => points,
    onMove: (p, x, y) => { p.x = x; p.y = y; },
    onChange: () => { history = []; schedule(); },
  });
  reset();

  /** The points in data units, for the browser test (the same preset gives the same points in both panels). */
  return { points: () => points.map((p) => [fromPx(p.x), fromPy(p.y), p.label]) };
}

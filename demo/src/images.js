// Panel 3: real images. The heavy work (download, parse, kNN, softmax) runs in a Web Worker
// (worker.js); this side collects the settings, shows progress and draws the results. The panel
// shows the worker's runtime (its own pool of workers, or one thread and why) and keeps, for the
// browser test, data-stage (download, parse, knn, softmax, done) and the labels it predicted.
import { FASHION_MNIST_CLASSES } from 'simdclass';
import { PALETTE, clearSearch, formatInt, formatNumber, radioValue, setupCanvas, showSearch, showThreads, slider } from './common.js';
import { setupDrawing } from './draw.js';

const GRID_COUNT = 36;
const CELL_SCALE = 2;     // test images drawn at 56 x 56
const TEMPLATE_SCALE = 3; // templates at 84 x 84

export function setupImagesPanel({ onWorkerReady } = {}) {
  const worker = new Worker(new URL('./worker.js', import.meta.url), { type: 'module' });
  const button = document.getElementById('img-run');
  const bar = document.getElementById('img-progress');
  const status = document.getElementById('img-status');
  const panel = document.getElementById('panel-images');
  const runtime = document.getElementById('img-runtime');
  const k = slider('img-k');
  const iters = slider('img-iters', { format: formatInt });
  let last = null;
  let running = false;

  // Requests about the trained models (classify a drawing, save the models): answered by id.
  const pending = new Map();
  let nextId = 0;
  function request(type, payload = {}, transfer = []) {
    const id = ++nextId;
    return new Promise((resolve, reject) => {
      pending.set(id, { resolve, reject });
      worker.postMessage({ type, id, ...payload }, transfer);
    });
  }
  const drawing = setupDrawing({ request });

  const stageWeights = { download: [0, 0.35], parse: [0.35, 0.4], knn: [0.4, 0.75], softmax: [0.75, 1] };

  worker.onmessage = (event) => {
    const msg = event.data;
    if (msg.type === 'reply') {
      const { resolve, reject } = pending.get(msg.id) ?? {};
      pending.delete(msg.id);
      if (msg.error) reject?.(new Error(msg.error));
      else resolve?.(msg);
    } else if (msg.type === 'ready') {
      showThreads(runtime, msg, 'This panel\'s worker');
      onWorkerReady?.(msg.build);
    } else if (msg.type === 'progress') {
      panel.dataset.stage = msg.stage;
      const [a, b] = stageWeights[msg.stage] ?? [0, 1];
      bar.value = a + (b - a) * msg.fraction;
      status.textContent = msg.text;
    } else if (msg.type === 'result') {
      running = false;
      button.disabled = false;
      bar.value = 1;
      status.textContent = `Done in ${(msg.totalMs / 1000).toFixed(1)} s · ${formatInt(msg.nTrain)} training and ${formatInt(msg.nTest)} test images` +
        ` · ${(msg.downloadBytes / 1e6).toFixed(1)} MB of gzipped IDX read with parseIdx`;
      last = msg;
      panel.dataset.downloadBytes = String(msg.downloadBytes);
      // What was trained and predicted (the first nTrain training images, the first nTest test
      // images, the kNN and softmax settings) and the labels predicted, one digit per test image.
      panel.dataset.params = JSON.stringify({
        nTrain: msg.nTrain, nTest: msg.nTest, k: msg.knn.k, metric: msg.knn.metric, algorithm: msg.knn.algorithm,
        iters: msg.softmax.iters, learningRate: msg.softmax.learningRate, reg: msg.softmax.reg, batchSize: msg.softmax.batchSize, seed: msg.softmax.seed,
      });
      panel.dataset.knnMs = msg.knn.ms.toFixed(1);
      panel.dataset.knnPredictions = msg.knn.all.join('');
      panel.dataset.softmaxPredictions = msg.softmax.all.join('');
      panel.dataset.runId = String(msg.runId);
      showResults(msg);
      drawing.modelsChanged(msg);
      panel.dataset.stage = 'done';
      panel.dataset.state = 'done';
    } else if (msg.type === 'error') {
      running = false;
      button.disabled = false;
      status.textContent = `Error: ${msg.message}`;
      status.classList.add('error');
      panel.dataset.state = 'error';
    }
  };
  worker.onerror = (event) => {
    for (const { reject } of pending.values()) reject(new Error(`the worker failed: ${event.message}`));
    pending.clear();
    status.textContent = `Error in the worker: ${event.message}`;
    status.classList.add('error');
    panel.dataset.state = 'error';
  };

  function start() {
    if (running) return;
    running = true;
    button.disabled = true;
    status.classList.remove('error');
    panel.dataset.state = 'running';
    panel.dataset.stage = 'start';
    bar.value = 0;
    status.textContent = 'Starting…';
    worker.postMessage({
      type: 'run',
      params: {
        trainCount: Number(document.getElementById('img-train').value),
        testCount: Number(document.getElementById('img-test').value),
        k: k.value(),
        metric: radioValue('img-metric'),
        algorithm: document.getElementById('img-algorithm').value,
        iters: iters.value(),
        learningRate: Number(document.getElementById('img-lr').value),
        reg: Number(document.getElementById('img-reg').value),
        gridCount: GRID_COUNT,
      },
    });
  }
  button.addEventListener('click', start);
  for (const input of document.querySelectorAll('input[name="img-show"]')) input.addEventListener('change', () => last && drawGrid(last));

  function showResults(r) {
    document.getElementById('img-knn-acc').textContent = `${(r.knn.accuracy * 100).toFixed(1)}%`;
    document.getElementById('img-knn-detail').textContent =
      `k = ${r.knn.k}, ${r.knn.metric.toUpperCase()} distance · ${formatInt(r.nTest)} test images classified in ${Math.round(r.knn.ms)} ms`;
    document.getElementById('img-sm-acc').textContent = `${(r.softmax.accuracy * 100).toFixed(1)}%`;
    document.getElementById('img-sm-detail').textContent =
      `${formatInt(r.softmax.iters)} SGD iterations (batch 200, learning rate ${formatNumber(r.softmax.learningRate)}, reg ${formatNumber(r.softmax.reg)}) in ${Math.round(r.softmax.ms)} ms`;
    const search = document.getElementById('img-knn-search');
    if (r.knn.search) showSearch(search, r.knn.search, { queries: 'test images', rows: 'training images' });
    else clearSearch(search, 'No test images were searched.');
    drawLossCurve(r.softmax.history);
    drawGrid(r);
    drawTemplates(r);
  }

  function drawGrid(r) {
    const which = radioValue('img-show');
    const predictions = which === 'knn' ? r.knn.predictions : r.softmax.predictions;
    const grid = document.getElementById('img-grid');
    grid.replaceChildren();
    const [h, w] = r.shape;
    let correct = 0;
    for (let i = 0; i < r.grid.count; i++) {
      const pred = predictions[i], truth = r.grid.labels[i];
      const ok = pred === truth;
      correct += ok ? 1 : 0;
      const cell = document.createElement('figure');
      cell.className = `cell ${ok ? 'ok' : 'wrong'}`;
      const canvas = document.createElement('canvas');
      const ctx = setupCanvas(canvas, w * CELL_SCALE, h * CELL_SCALE);
      const image = new ImageData(w, h);
      for (let p = 0; p < w * h; p++) {
        const v = r.grid.images[i * w * h + p];
        image.data[4 * p] = image.data[4 * p + 1] = image.data[4 * p + 2] = v;
        image.data[4 * p + 3] = 255;
      }
      drawScaled(ctx, image, w * CELL_SCALE, h * CELL_SCALE);
      const caption = document.createElement('figcaption');
      const predicted = document.createElement('span');
      predicted.className = 'pred';
      predicted.textContent = `${ok ? '✓' : '✗'} ${r.classNames[pred]}`;
      caption.append(predicted);
      if (!ok) {
        const truthEl = document.createElement('span');
        truthEl.className = 'truth';
        truthEl.textContent = `is ${r.classNames[truth]}`;
        caption.append(truthEl);
      }
      cell.title = `Test image #${i}: predicted ${r.classNames[pred]}, true label ${r.classNames[truth]}. Click to try it above.`;
      cell.dataset.index = String(i);
      cell.tabIndex = 0;
      cell.setAttribute('role', 'button');
      const pick = () => {
        drawing.pickTest(i);
        document.getElementById('draw').scrollIntoView({ behavior: 'smooth', block: 'nearest' });
      };
      cell.addEventListener('click', pick);
      cell.addEventListener('keydown', (event) => {
        if (event.key === 'Enter' || event.key === ' ') {
          event.preventDefault();
          pick();
        }
      });
      cell.append(canvas, caption);
      grid.append(cell);
    }
    document.getElementById('img-grid-summary').textContent =
      `${correct} of ${r.grid.count} shown are right (${which === 'knn' ? 'kNN' : 'softmax'}); green ✓ correct, red ✗ wrong with the true label below.`;
  }

  function drawTemplates(r) {
    const box = document.getElementById('img-templates');
    box.replaceChildren();
    r.softmax.templates.forEach((t, j) => {
      const fig = document.createElement('figure');
      const canvas = document.createElement('canvas');
      const ctx = setupCanvas(canvas, t.width * TEMPLATE_SCALE, t.height * TEMPLATE_SCALE);
      drawScaled(ctx, new ImageData(new Uint8ClampedArray(t.data), t.width, t.height), t.width * TEMPLATE_SCALE, t.height * TEMPLATE_SCALE);
      const caption = document.createElement('figcaption');
      caption.textContent = r.classNames[j] ?? FASHION_MNIST_CLASSES[j];
      fig.append(canvas, caption);
      box.append(fig);
    });
  }

  function drawLossCurve(history) {
    const canvas = document.getElementById('img-loss');
    const W = 260, H = 70;
    const c = setupCanvas(canvas, W, H);
    const left = 30, right = 4, top = 6, bottom = 16;
    const w = W - left - right, h = H - top - bottom;
    const max = Math.max(...history) * 1.05;
    c.fillStyle = '#6b7280';
    c.font = '10px system-ui, sans-serif';
    c.textAlign = 'right';
    c.textBaseline = 'middle';
    c.fillText(max.toPrecision(2), left - 4, top);
    c.fillText('0', left - 4, top + h);
    c.textAlign = 'center';
    c.textBaseline = 'top';
    c.fillText(`minibatch loss over ${formatInt(history.length)} iterations`, left + w / 2, top + h + 3);
    c.strokeStyle = '#e5e7eb';
    c.beginPath(); c.moveTo(left, top + h); c.lineTo(left + w, top + h); c.stroke();
    c.strokeStyle = PALETTE[0];
    c.lineWidth = 1.5;
    c.beginPath();
    history.forEach((v, i) => {
      const x = left + (i / Math.max(1, history.length - 1)) * w, y = top + h - (v / max) * h;
      if (i === 0) c.moveTo(x, y); else c.lineTo(x, y);
    });
    c.stroke();
  }

  return { start, worker, request, drawing };
}

/** Draws small ImageData enlarged with crisp (nearest-neighbour) pixels. */
function drawScaled(ctx, image, width, height) {
  const tmp = new OffscreenCanvas(image.width, image.height);
  tmp.getContext('2d').putImageData(image, 0, 0);
  ctx.imageSmoothingEnabled = false;
  ctx.drawImage(tmp, 0, 0, width, height);
}

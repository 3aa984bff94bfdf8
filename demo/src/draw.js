// Panel 3's drawing pad: the user draws a garment (or picks a test image, drawn on the pad enlarged
// 10x), the page turns the pad's square into the 28 x 28 row the models expect with fromImageData,
// and panel 3's worker classifies it with the models of its last run: the k nearest training images,
// kNN vote shares and softmax probabilities, shown as pictures and bars.
//
// For the browser test the elements keep what they show: the pad's `data-seq` counts its changes
// (`data-ink`: light | dark, `data-crop`: x,y,side of the square read), the results' `data-seq` and
// `data-run-id` say which pad state and which run's models they show, each neighbour has
// `data-index` / `data-distance` / `data-label`, each probability row `data-class`, `data-knn` and
// `data-softmax` (the exact values the worker returned), and `#draw-search` the kNN search's stats
// (common.js showSearch).
import { fromImageData } from 'simdclass';
import { PALETTE, clearSearch, formatInt, frameScheduler, radioValue, setupCanvas, showSearch, slider } from './common.js';

const SIDE = 28;             // Fashion-MNIST images are 28 x 28
const INPUT_SCALE = 4;       // the model's view at 112 x 112
const NEIGHBOUR_SCALE = 2;   // neighbours at 56 x 56
const INK = { light: { stroke: '#ffffff', background: '#000000' }, dark: { stroke: '#000000', background: '#ffffff' } };

/** fromImageData's options for the pad's colours: Fashion-MNIST is light on black; dark on white is inverted. */
export const padOptions = (ink) => (ink === 'dark'
  ? { width: SIDE, height: SIDE, channels: 1, invert: true, background: 'white' }
  : { width: SIDE, height: SIDE, channels: 1, background: 'black' });

/**
 * Sets up the pad and its results. `request(type, payload, transfer)` asks panel 3's worker
 * (a Promise of its reply). Returns { modelsChanged(result), pickTest(index) }.
 */
export function setupDrawing({ request }) {
  const pad = document.getElementById('draw-pad');
  const ctx = pad.getContext('2d', { willReadFrequently: true });
  const box = document.getElementById('draw');
  const results = document.getElementById('draw-results');
  const testInput = document.getElementById('draw-test');
  const brush = slider('draw-brush', { format: (v) => `${v} px` });
  let ink = radioValue('draw-ink');
  let seq = 0;                 // pad changes so far
  let source = { kind: 'blank' };
  let run = null;              // the last run's models: runId, test images and labels, class names, metric
  let inFlight = false, again = false;

  function changed(next) {
    if (next) source = next;
    seq++;
    pad.dataset.seq = String(seq);
    schedule();
  }

  function fill() {
    ctx.fillStyle = INK[ink].background;
    ctx.fillRect(0, 0, pad.width, pad.height);
  }

  // ---- drawing with a mouse, pen or finger ------------------------------------------------------
  let drawing = null; // { id, x, y } while a stroke is under way
  const at = (event) => [
    (event.clientX - pad.getBoundingClientRect().left - pad.clientLeft) * pad.width / pad.clientWidth,
    (event.clientY - pad.getBoundingClientRect().top - pad.clientTop) * pad.height / pad.clientHeight,
  ];
  const segment = (x0, y0, x1, y1) => {
    ctx.strokeStyle = INK[ink].stroke;
    ctx.lineWidth = brush.value() * pad.width / 280;
    ctx.lineCap = 'round';
    ctx.lineJoin = 'round';
    ctx.beginPath();
    ctx.moveTo(x0, y0);
    ctx.lineTo(x1, y1);
    ctx.stroke();
  };
  pad.addEventListener('pointerdown', (event) => {
    if (drawing || event.button > 0) return;
    event.preventDefault();
    pad.setPointerCapture(event.pointerId);
    const [x, y] = at(event);
    drawing = { id: event.pointerId, x, y };
    segment(x, y, x, y);
    changed(source.kind === 'test' ? { ...source, edited: true } : { kind: 'drawing' });
  });
  pad.addEventListener('pointermove', (event) => {
    if (!drawing || event.pointerId !== drawing.id) return;
    const [x, y] = at(event);
    segment(drawing.x, drawing.y, x, y);
    drawing.x = x;
    drawing.y = y;
    changed();
  });
  const end = (event) => {
    if (drawing && event.pointerId === drawing.id) drawing = null;
  };
  pad.addEventListener('pointerup', end);
  pad.addEventListener('pointercancel', end);

  document.getElementById('draw-clear').addEventListener('click', () => {
    fill();
    changed({ kind: 'blank' });
  });
  for (const input of document.querySelectorAll('input[name="draw-ink"]')) {
    input.addEventListener('change', () => {
      // Swap the colours of what is on the pad: the drawing stays, the model sees the same garment.
      ink = radioValue('draw-ink');
      pad.dataset.ink = ink;
      const image = ctx.getImageData(0, 0, pad.width, pad.height);
      for (let i = 0; i < image.data.length; i += 4) {
        image.data[i] = 255 - image.data[i];
        image.data[i + 1] = 255 - image.data[i + 1];
        image.data[i + 2] = 255 - image.data[i + 2];
      }
      ctx.putImageData(image, 0, 0);
      changed();
    });
  }

  // ---- test images ---------------------------------------------------------------------------
  /** Draws test image `index` on the pad, each pixel a block (10 x 10 on the 280 x 280 pad). */
  function pickTest(index) {
    if (!run) return;
    const n = run.test.labels.length;
    index = Math.max(0, Math.min(n - 1, Math.trunc(Number(index)) || 0));
    testInput.value = String(index);
    const scale = Math.floor(Math.min(pad.width, pad.height) / SIDE);
    fill();
    const image = ctx.createImageData(SIDE * scale, SIDE * scale);
    const pixels = run.test.images.subarray(index * SIDE * SIDE, (index + 1) * SIDE * SIDE);
    for (let y = 0; y < SIDE * scale; y++) {
      for (let x = 0; x < SIDE * scale; x++) {
        const v = pixels[Math.floor(y / scale) * SIDE + Math.floor(x / scale)];
        const o = 4 * (y * SIDE * scale + x);
        image.data[o] = image.data[o + 1] = image.data[o + 2] = ink === 'dark' ? 255 - v : v;
        image.data[o + 3] = 255;
      }
    }
    const [x0, y0] = crop();
    ctx.putImageData(image, x0, y0);
    changed({ kind: 'test', index, label: run.test.labels[index], edited: false });
  }
  document.getElementById('draw-pick').addEventListener('click', () => pickTest(testInput.value));
  testInput.addEventListener('change', () => pickTest(testInput.value));
  document.getElementById('draw-random').addEventListener('click', () => run && pickTest(Math.floor(Math.random() * run.test.labels.length)));

  // ---- the pad as the models see it, and their answers ------------------------------------------
  /** The largest centred square of the pad: fromImageData stretches, so it gets a square. */
  function crop() {
    const side = Math.min(pad.width, pad.height);
    return [Math.floor((pad.width - side) / 2), Math.floor((pad.height - side) / 2), side];
  }

  const schedule = frameScheduler(classify);
  async function classify() {
    if (inFlight) {
      again = true;
      return;
    }
    const mySeq = seq, mySource = source;
    const [x0, y0, side] = crop();
    pad.dataset.crop = `${x0},${y0},${side}`;
    const row = fromImageData(ctx.getImageData(x0, y0, side, side), padOptions(ink));
    drawInput(row.data, mySeq);
    if (mySource.kind === 'blank' || !run) {
      showEmpty(mySeq, run ? 'The pad is empty: draw a garment, or pick a test image.' : 'Waiting for the models to be trained…');
      return;
    }
    inFlight = true;
    try {
      // Requests go one at a time, so answers come in order: each is newer than the one shown.
      showAnswer(await request('classify', { row: row.data.slice() }), mySource, mySeq);
    } catch (err) {
      showEmpty(mySeq, `Could not classify: ${err.message}`);
    } finally {
      inFlight = false;
      if (again) {
        again = false;
        schedule();
      }
    }
  }

  function drawInput(pixels, forSeq) {
    const canvas = document.getElementById('draw-input');
    const c = setupCanvas(canvas, SIDE * INPUT_SCALE, SIDE * INPUT_SCALE);
    drawGrey(c, pixels, SIDE * INPUT_SCALE);
    canvas.dataset.seq = String(forSeq);
  }

  function showEmpty(forSeq, text) {
    document.getElementById('draw-source').textContent = text;
    document.getElementById('draw-summary').replaceChildren();
    document.getElementById('draw-neighbours').replaceChildren();
    document.getElementById('draw-proba').replaceChildren();
    clearSearch(document.getElementById('draw-search'));
    results.dataset.seq = String(forSeq);
  }

  function showAnswer(reply, src, forSeq) {
    const names = run.classNames;
    const k = reply.neighbors.indices.length;
    document.getElementById('draw-source').textContent = src.kind === 'test'
      ? `Test image #${formatInt(src.index)}, labelled ${names[src.label]}${src.edited ? ', drawn over' : ''}`
      : 'Your drawing';

    const summary = document.getElementById('draw-summary');
    const votes = Math.round(reply.knn.proba[reply.knn.label] * k);
    const tied = Array.from(reply.knn.proba).filter((p) => Math.round(p * k) === votes).length > 1;
    const verdict = (who, label, detail) => {
      const span = document.createElement('span');
      const b = document.createElement('b');
      b.textContent = names[label];
      span.append(`${who}: `, b, ` ${detail}`);
      return span;
    };
    summary.replaceChildren(
      verdict('kNN', reply.knn.label, `(${votes} of ${k} votes${tied ? ', tied: the smaller class number wins' : ''})`), ' · ',
      verdict('softmax', reply.softmax.label, `(${percent(reply.softmax.proba[reply.softmax.label])})`),
    );
    summary.dataset.knn = String(reply.knn.label);
    summary.dataset.softmax = String(reply.softmax.label);

    const gallery = document.getElementById('draw-neighbours');
    gallery.replaceChildren();
    for (let i = 0; i < k; i++) {
      const index = reply.neighbors.indices[i], label = reply.neighbors.labels[i], distance = reply.neighbors.distances[i];
      const fig = document.createElement('figure');
      fig.className = `neighbour${label === reply.knn.label ? ' same' : ''}`;
      fig.dataset.index = String(index);
      fig.dataset.label = String(label);
      fig.dataset.distance = String(distance);
      fig.title = `Training image #${formatInt(index)}, ${names[label]}: ${run.metric.toUpperCase()} distance ${formatInt(Math.round(distance))}`;
      const canvas = document.createElement('canvas');
      const c = setupCanvas(canvas, SIDE * NEIGHBOUR_SCALE, SIDE * NEIGHBOUR_SCALE);
      drawGrey(c, reply.neighbors.images.subarray(i * SIDE * SIDE, (i + 1) * SIDE * SIDE), SIDE * NEIGHBOUR_SCALE);
      const caption = document.createElement('figcaption');
      const name = document.createElement('span');
      name.textContent = names[label];
      const d = document.createElement('span');
      d.className = 'distance';
      d.textContent = `d = ${formatInt(Math.round(distance))}`;
      caption.append(name, d);
      fig.append(canvas, caption);
      gallery.append(fig);
    }
    document.getElementById('draw-neighbours-title').textContent =
      `The ${k} nearest training images (${run.metric.toUpperCase()} distance), which vote`;
    showSearch(document.getElementById('draw-search'), reply.knn.search, { queries: 'image', rows: 'training images' });

    const table = document.getElementById('draw-proba');
    const head = document.createElement('div');
    head.className = 'proba-row head';
    head.setAttribute('role', 'row');
    for (const text of ['', `kNN: vote shares (k = ${k})`, 'Softmax: probabilities']) {
      const cell = document.createElement('span');
      cell.setAttribute('role', 'columnheader');
      cell.textContent = text;
      head.append(cell);
    }
    const rows = [head];
    for (let c = 0; c < names.length; c++) {
      const pk = reply.knn.proba[c] ?? 0, ps = reply.softmax.proba[c] ?? 0;
      const row = document.createElement('div');
      row.className = 'proba-row';
      row.setAttribute('role', 'row');
      row.dataset.class = String(c);
      row.dataset.knn = String(pk);
      row.dataset.softmax = String(ps);
      const name = document.createElement('span');
      name.className = 'name';
      name.setAttribute('role', 'rowheader');
      name.textContent = names[c];
      if (src.kind === 'test' && src.label === c) {
        name.classList.add('truth');
        name.title = 'The test image\'s true label';
      }
      row.append(name, bar(pk, PALETTE[0], c === reply.knn.label), bar(ps, PALETTE[1], c === reply.softmax.label));
      rows.push(row);
    }
    table.replaceChildren(...rows);
    results.dataset.runId = String(reply.runId);
    results.dataset.seq = String(forSeq);
  }

  /** The models of a new run: its test images for picking, and the pad classified again. */
  function modelsChanged(result) {
    const first = !run;
    run = { runId: result.runId, test: result.test, classNames: result.classNames, metric: result.knn.metric };
    testInput.max = String(result.test.labels.length - 1);
    box.dataset.state = 'ready';
    if (first && source.kind === 'blank') pickTest(0);
    else changed();
  }

  fill();
  pad.dataset.ink = ink;
  changed({ kind: 'blank' });
  return { modelsChanged, pickTest };
}

/** A percentage for a probability: 87%, 0.4%, <0.1%. */
function percent(p) {
  if (p >= 0.995) return `${(p * 100).toFixed(0)}%`;
  if (p >= 0.1) return `${Math.round(p * 100)}%`;
  if (p >= 0.001) return `${(p * 100).toFixed(1)}%`;
  return p > 0 ? '<0.1%' : '0%';
}

function bar(p, color, top) {
  const cell = document.createElement('span');
  cell.className = `bar-cell${top ? ' top' : ''}`;
  cell.setAttribute('role', 'cell');
  const track = document.createElement('span');
  track.className = 'bar';
  const fill = document.createElement('span');
  fill.style.width = `${(p * 100).toFixed(2)}%`;
  fill.style.background = color;
  track.append(fill);
  const value = document.createElement('span');
  value.className = 'value';
  value.textContent = percent(p);
  cell.append(track, value);
  return cell;
}

/** 28 x 28 grey pixels drawn `size` CSS pixels wide, each a crisp block. */
function drawGrey(ctx, pixels, size) {
  const image = new ImageData(SIDE, SIDE);
  for (let p = 0; p < SIDE * SIDE; p++) {
    image.data[4 * p] = image.data[4 * p + 1] = image.data[4 * p + 2] = pixels[p];
    image.data[4 * p + 3] = 255;
  }
  const tmp = new OffscreenCanvas(SIDE, SIDE);
  tmp.getContext('2d').putImageData(image, 0, 0);
  ctx.imageSmoothingEnabled = false;
  ctx.drawImage(tmp, 0, 0, size, size);
}

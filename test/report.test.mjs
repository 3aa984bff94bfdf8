// src/report.ts: writeReport writes a self-contained folder (index.html + assets/) whose every
// reference resolves on disk, with PNGs that decode back to the expected size; formatMs.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { decode } from 'fast-png';
import { writeReport, formatMs } from '../dist/report.js';

// A minimal XML well-formedness check: balanced tags, quoted attributes, only entity '&'s, one <svg> root.
function checkSvg(xml) {
  const stack = [];
  let roots = 0;
  const text = xml.replace(/<!--[\s\S]*?-->/g, '').replace(/<\?xml[\s\S]*?\?>/, '');
  const re = /<(\/?)([A-Za-z_][\w.:-]*)((?:\s+[A-Za-z_][\w.:-]*\s*=\s*(?:"[^"<]*"|'[^'<]*'))*)\s*(\/?)>|[<>]/g;
  let last = 0;
  for (let m; (m = re.exec(text)) !== null; last = re.lastIndex) {
    const between = text.slice(last, m.index);
    if (/&(?!(?:amp|lt|gt|quot|apos|#\d+|#x[0-9a-fA-F]+);)/.test(between + (m[3] ?? ''))) throw new Error(`unescaped & near ${JSON.stringify(text.slice(m.index - 40, m.index + 40))}`);
    if (m[2] === undefined) throw new Error(`stray ${m[0]} near ${JSON.stringify(text.slice(m.index - 40, m.index + 40))}`);
    if (stack.length === 0 && between.trim() !== '') throw new Error('text outside the root');
    if (m[1]) { if (stack.pop() !== m[2]) throw new Error(`mismatched </${m[2]}>`); continue; }
    if (stack.length === 0) { roots++; if (m[2] !== 'svg') throw new Error(`root <${m[2]}>`); }
    if (!m[4]) stack.push(m[2]);
  }
  if (stack.length || roots !== 1 || text.slice(last).trim() !== '') throw new Error(`unbalanced: ${stack.join(',')}, ${roots} roots`);
}

const exists = async (p) => stat(p).then(() => true, () => false);

function rgba(width, height, seed) {
  const data = new Uint8ClampedArray(width * height * 4);
  for (let i = 0; i < data.length; i++) data[i] = i % 4 === 3 ? 255 : (i * 37 + seed * 101) % 256;
  return { width, height, data };
}

function cvFor(folds, ks) {
  const results = ks.map((k, i) => {
    const accuracies = Array.from({ length: folds }, (_, f) => 0.7 + 0.01 * ((i + f) % 3) - 0.002 * k);
    const mean = accuracies.reduce((a, b) => a + b) / folds;
    return { k, accuracies, mean, std: Math.sqrt(accuracies.reduce((a, b) => a + (b - mean) ** 2, 0) / folds) };
  });
  return { folds, results, bestK: results.reduce((a, b) => (b.mean > a.mean ? b : a)).k };
}

/** A small, complete DemoReport: 3 classes of 4 x 4 RGB images, with awkward names. */
function fakeReport() {
  const classNames = ['cats & dogs', 'T-shirt/top', '<plane>'];
  const C = classNames.length;
  const cm = (diag) => Int32Array.from({ length: C * C }, (_, i) => (i % (C + 1) === 0 ? diag : 3));
  const points = [];
  for (const learningRate of [1e-7, 1e-6]) for (const reg of [1e3, 1e4]) points.push({ learningRate, reg, trainAccuracy: 0.5, valAccuracy: learningRate * 1e5 + reg * 1e-6, finalLoss: 2, history: [3, 2] });
  const curve = (a) => Array.from({ length: 1500 }, (_, i) => a * Math.exp(-i / 300) + 1 + 0.1 * Math.abs(Math.sin(i)));
  return {
    title: 'simdclass demo', datasetName: 'tiny & colorful', shape: [4, 4, 3], classNames, nTrain: 900, nTest: 300,
    machine: { cpu: 'Test CPU <fast>', cores: 2, node: 'v20.0.0', build: 'relaxed' },
    createdAt: '2025-01-02T03:04:05.000Z',
    models: [
      { name: 'kNN (k=1, L2)', hyperparameters: { k: 1, metric: 'l2' }, testAccuracy: 0.7, trainMs: 1.5, predictMs: 2300, confusion: cm(70) },
      { name: 'Linear SVM', hyperparameters: { learningRate: 1e-7, reg: 2.5e4 }, valAccuracy: 0.79, testAccuracy: 0.8, trainMs: 1234, predictMs: 12, confusion: cm(80), weights: [0, 1, 2].map((s) => rgba(4, 4, s)) },
      { name: 'Softmax', hyperparameters: { learningRate: 1e-6, reg: 1e3 }, valAccuracy: 0.77, testAccuracy: 0.78, trainMs: 1100, predictMs: 11, confusion: cm(78), weights: [3, 4, 5].map((s) => rgba(4, 4, s)) },
    ],
    cv: { l1: cvFor(5, [1, 3, 5, 8]), l2: cvFor(5, [1, 3, 5, 8]) },
    grids: [{ loss: 'svm', points }, { loss: 'softmax', points }],
    lossCurves: [{ label: 'svm & co', values: curve(8) }, { label: 'softmax', values: curve(2) }],
    samples: { images: [6, 7, 8, 9].map((s) => rgba(4, 4, s)), predicted: [0, 1, 2, 0], truth: [0, 1, 1, 0], model: 'Softmax' },
  };
}

let dir;
const fresh = async () => { dir = await mkdtemp(join(tmpdir(), 'simdclass-report-')); return dir; };
const cleanup = async () => { if (dir) await rm(dir, { recursive: true, force: true }); dir = undefined; };

const Write = suite('writeReport');
Write.after.each(cleanup);

Write('writes index.html and every file it references, relative and present on disk', async () => {
  const out = join(await fresh(), 'nested', 'report');
  const { indexPath, files } = await writeReport(out, fakeReport());
  assert.is(indexPath, join(out, 'index.html'));
  assert.is(files[0], indexPath);
  for (const f of files) assert.ok(await exists(f), `${f} exists`);
  assert.is(new Set(files).size, files.length, 'no file listed twice');
  const html = await readFile(indexPath, 'utf8');
  assert.ok(html.startsWith('<!doctype html>'));
  const refs = [...html.matchAll(/\s(?:src|href)="([^"]*)"/g)].map((m) => m[1]);
  const local = refs.filter((r) => !r.startsWith('#'));
  assert.is(local.length, files.length - 1, 'references every file written but index.html');
  for (const ref of local) {
    assert.not.match(ref, /^[a-z]+:|^\//i, `${ref} is relative`);
    const path = resolve(dirname(indexPath), ref);
    assert.ok(await exists(path), `${ref} exists`);
    assert.ok(files.includes(path), `${ref} is listed in files`);
  }
  for (const ref of refs.filter((r) => r.startsWith('#'))) assert.match(html, new RegExp(`id="${ref.slice(1)}"`), `anchor ${ref}`);
  // self-contained: no network, no external CSS/JS/fonts
  assert.not.match(html, /https?:\/\//);
  assert.not.match(html, /<script|<link/i);
  assert.match(html, /<style>/);
});

Write('the page has the table (best highlighted), the sections, escaped names and the timings', async () => {
  const { indexPath } = await writeReport(await fresh(), fakeReport());
  const html = await readFile(indexPath, 'utf8');
  for (const title of ['Results', 'Choosing k', 'Choosing learning rate and regularization', 'What the linear models learned', 'Where they go wrong', 'Sample predictions']) {
    assert.match(html, new RegExp(`<h2>${title}</h2>`), title);
  }
  assert.is((html.match(/<tr class="best">/g) ?? []).length, 1);
  assert.match(html, /<tr class="best"><td><b>Linear SVM<\/b>/);
  assert.match(html, /cats &amp; dogs/);
  assert.match(html, /&lt;plane&gt;/);
  assert.not.match(html, /cats & dogs|<plane>/);
  assert.match(html, /tiny &amp; colorful/);
  assert.match(html, /Test CPU &lt;fast&gt;/);
  assert.match(html, /80\.00%/);
  assert.match(html, /1\.23 s/); // SVM train time
  assert.match(html, /2\.30 s/); // kNN predict time
  assert.match(html, /learningRate=1e-7/);
  assert.match(html, /2025-01-02 03:04 UTC/);
  assert.match(html, /3 right, 1 wrong/);
  assert.is((html.match(/<figure class="wrong">/g) ?? []).length, 1);
  assert.match(html, /true: &lt;plane&gt;|true: T-shirt\/top/);
});

Write('SVGs are well-formed; PNGs decode with fast-png to the upscaled size', async () => {
  const { files } = await writeReport(await fresh(), fakeReport());
  const svgs = files.filter((f) => f.endsWith('.svg'));
  const names = svgs.map((f) => f.slice(f.lastIndexOf('/') + 1)).sort();
  assert.equal(names, ['confusion-knn-k-1-l2.svg', 'confusion-linear-svm.svg', 'confusion-softmax.svg', 'cv-l1.svg', 'cv-l2.svg', 'grid-softmax.svg', 'grid-svm.svg', 'loss-curves.svg']);
  for (const f of svgs) {
    const svg = await readFile(f, 'utf8');
    try { checkSvg(svg); } catch (err) { assert.unreachable(`${f}: ${err.message}`); }
  }
  const pngs = files.filter((f) => f.endsWith('.png'));
  assert.is(pngs.length, 3 + 3 + 4, 'three templates per linear model and four samples');
  for (const f of pngs) {
    const png = decode(await readFile(f));
    const scale = 16; // ceil(112 / 4) and ceil(84 / 4), capped at 16x
    assert.is(png.width, 4 * scale, `${f} width`);
    assert.is(png.height, 4 * scale, `${f} height`);
    assert.is(png.channels, 4);
  }
  // the first template's top-left pixel survives the round trip
  const first = decode(await readFile(pngs.find((f) => f.endsWith('weights-linear-svm-0.png'))));
  assert.equal(Array.from(first.data.subarray(0, 4)), Array.from(fakeReport().models[1].weights[0].data.subarray(0, 4)));
});

Write('a report with only the required fields has the table and the confusion matrices', async () => {
  const { cv, grids, lossCurves, samples, ...rest } = fakeReport();
  const report = { ...rest, models: rest.models.map(({ weights, ...m }) => m) };
  const { indexPath, files } = await writeReport(await fresh(), report);
  const html = await readFile(indexPath, 'utf8');
  assert.match(html, /<h2>Results<\/h2>/);
  assert.match(html, /<h2>Where they go wrong<\/h2>/);
  assert.not.match(html, /Choosing k|Sample predictions|What the linear models learned/);
  assert.is(files.length, 1 + 3);
});
Write('a 28 x 28 gray template is upscaled 4x to 112 x 112, samples 3x to 84 x 84', async () => {
  const base = fakeReport();
  const gray = (seed) => rgba(28, 28, seed);
  const report = {
    ...base, shape: [28, 28, 1], cv: undefined, grids: undefined, lossCurves: undefined,
    models: [{ ...base.models[1], weights: [0, 1, 2].map(gray) }],
    samples: { images: [gray(3)], predicted: [1], truth: [2] },
  };
  const { files } = await writeReport(await fresh(), report);
  for (const f of files.filter((f) => f.endsWith('.png'))) {
    const png = decode(await readFile(f));
    const size = f.includes('/weights-') ? 112 : 84;
    assert.is(png.width, size, `${f} width`);
    assert.is(png.height, size, `${f} height`);
  }
  const html = await readFile(files[0], 'utf8');
  assert.match(html, /28×28 grayscale/);
  assert.match(html, /0 right, 1 wrong/);
});
Write.run();

const Svg = suite('checkSvg (test helper)');
Svg('rejects broken markup', () => {
  checkSvg('<svg a="1"><text>A &amp; B</text><g/></svg>');
  for (const bad of ['<svg><g></svg>', '<svg>A & B</svg>', '<svg><text>1 < 2</text></svg>', '<svg a=1></svg>', '<svg/><svg/>', '<g></g>']) {
    assert.throws(() => checkSvg(bad), /./, bad);
  }
});
Svg.run();


const Ms = suite('formatMs');
Ms('durations for people', () => {
  assert.is(formatMs(0.42), '420 µs');
  assert.is(formatMs(3.14159), '3.14 ms');
  assert.is(formatMs(12.34), '12.3 ms');
  assert.is(formatMs(456.7), '457 ms');
  assert.is(formatMs(1234), '1.23 s');
  assert.is(formatMs(12345), '12.3 s');
  assert.is(formatMs(125000), '2 min 05 s');
  assert.is(formatMs(NaN), '–');
});
Ms.run();

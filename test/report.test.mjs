// src/cli/report.ts: writeReport writes a self-contained folder (index.html + assets/) whose every
// reference resolves on disk, with PNGs that decode back to the expected size; the model kept is the
// best by validation accuracy (chooseModel); the page fits a 1280 px and a 390 px wide window in
// Chromium (screenshots in test/.artifacts/); formatMs.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdir, mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { decode } from 'fast-png';
import { fileURLToPath } from 'node:url';
import { writeReport, formatMs, chooseModel } from '../dist/cli/report.js';
import { CHROMIUM_ARGS, withChromium } from './chromium.mjs';

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
      { name: 'kNN (k=1, L2)', hyperparameters: { k: 1, metric: 'l2' }, valAccuracy: 0.71, selection: '5-fold cross-validation mean', testAccuracy: 0.7, trainMs: 1.5, predictMs: 2300, confusion: cm(70) },
      { name: 'Linear SVM', hyperparameters: { learningRate: 1e-7, reg: 2.5e4 }, valAccuracy: 0.79, selection: 'validation split', testAccuracy: 0.8, trainMs: 1234, predictMs: 12, confusion: cm(80), weights: [0, 1, 2].map((s) => rgba(4, 4, s)) },
      // The best test accuracy, but not the best validation accuracy: it must not be the one chosen.
      { name: 'Softmax', hyperparameters: { learningRate: 1e-6, reg: 1e3 }, valAccuracy: 0.77, selection: 'validation split', testAccuracy: 0.82, trainMs: 1100, predictMs: 11, confusion: cm(78), weights: [3, 4, 5].map((s) => rgba(4, 4, s)) },
    ],
    cv: { l1: cvFor(5, [1, 3, 5, 8]), l2: cvFor(5, [1, 3, 5, 8]) },
    grids: [{ loss: 'svm', points, widenings: [{ axis: 'reg', direction: 'higher', value: 1e4, from: { learningRate: 1e-6, reg: 1e3 } }] }, { loss: 'softmax', points, stillOnEdge: true }],
    lossCurves: [{ label: 'svm & co', values: curve(8) }, { label: 'softmax', values: curve(2) }],
    samples: { images: [6, 7, 8, 9].map((s) => rgba(4, 4, s)), predicted: [0, 1, 2, 0], truth: [0, 1, 1, 0], model: 'Linear SVM' },
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

Write('the page has the table (the model chosen by validation highlighted), the sections, escaped names and the timings', async () => {
  const { indexPath } = await writeReport(await fresh(), fakeReport());
  const html = await readFile(indexPath, 'utf8');
  for (const title of ['Results', 'Choosing k', 'Choosing learning rate and regularization', 'What the linear models learned', 'Where they go wrong', 'Sample predictions']) {
    assert.match(html, new RegExp(`<h2>${title}</h2>`), title);
  }
  assert.is((html.match(/<tr class="best">/g) ?? []).length, 1);
  assert.match(html, /<tr class="best"><td data-label="Model"><b>Linear SVM<\/b><span class="badge">chosen<\/span>/);
  assert.match(html, /highest validation accuracy \(Linear SVM, marked <i>chosen<\/i>\); the test set was used once per model, at the end, and chose nothing/);
  assert.match(html, /79\.0% validation · 80\.0% test/);
  assert.match(html, /the prediction of the chosen model, Linear SVM/);
  assert.match(html, /5-fold cross-validation mean/);
  assert.match(html, /the grid was widened and searched again: higher regularization 10000 \(best was lr 1e-6, reg 1000\)/);
  assert.match(html, /still on an edge/);
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
Write('chooseModel: the highest validation accuracy, first on a tie; models without one never; -1 when none has one', () => {
  assert.is(chooseModel([{ valAccuracy: 0.7 }, { valAccuracy: 0.9 }, { valAccuracy: 0.9 }]), 1);
  assert.is(chooseModel([{}, { valAccuracy: 0.5 }]), 1);
  assert.is(chooseModel([{}, { valAccuracy: NaN }]), -1);
  assert.is(chooseModel([]), -1);
  const report = fakeReport();
  assert.is(chooseModel(report.models), 1, 'Linear SVM, though Softmax has the better test accuracy');
});

Write.run();

// ---- the page in Chromium: wide and phone-sized ----------------------------------------------------

const Layout = suite('report layout in Chromium');
const { chromium, test: layoutTest } = withChromium(Layout, 'the report layout tests');
const artifacts = fileURLToPath(new URL('./.artifacts/', import.meta.url));

/** A report shaped like the demo's: 10 classes of 28 x 28 gray images, four models, two grids. */
function demoLikeReport() {
  const base = fakeReport();
  const classNames = ['T-shirt/top', 'Trouser', 'Pullover', 'Dress', 'Coat', 'Sandal', 'Shirt', 'Sneaker', 'Bag', 'Ankle boot'];
  const C = classNames.length;
  const cm = () => Int32Array.from({ length: C * C }, (_, i) => (i % (C + 1) === 0 ? 160 : (i * 7) % 9));
  const gray = (seed) => rgba(28, 28, seed);
  const knn = (k, metric, val, testAccuracy) => ({ name: `kNN (k=${k}, ${metric.toUpperCase()})`, hyperparameters: { k, metric }, valAccuracy: val, selection: '5-fold cross-validation mean', testAccuracy, trainMs: 2, predictMs: 291, confusion: cm() });
  const linear = (name, learningRate, reg, val, testAccuracy, seed) => ({ name, hyperparameters: { learningRate, reg, iterations: 1500, batchSize: 200 }, valAccuracy: val, selection: 'validation split (20% of the training set)', testAccuracy, trainMs: 310, predictMs: 2, confusion: cm(), weights: classNames.map((_, j) => gray(seed + j)) });
  return {
    ...base, datasetName: 'fashion-mnist-sample', shape: [28, 28, 1], classNames, nTrain: 10000, nTest: 2000,
    machine: { cpu: 'Intel(R) Xeon(R) Processor @ 2.40GHz', cores: 2, node: 'v20.20.2', build: 'relaxed' },
    models: [knn(5, 'l1', 0.8294, 0.8265), knn(8, 'l2', 0.8229, 0.8255), linear('Linear SVM', 1e-6, 1e3, 0.8355, 0.834, 0), linear('Softmax', 3e-6, 1e2, 0.8385, 0.8305, 50)],
    cv: { l1: cvFor(5, [1, 3, 5, 8, 10, 12, 15, 20]), l2: cvFor(5, [1, 3, 5, 8, 10, 12, 15, 20]) },
    samples: { images: Array.from({ length: 40 }, (_, i) => gray(100 + i)), predicted: Array.from({ length: 40 }, (_, i) => i % C), truth: Array.from({ length: 40 }, (_, i) => (i % 7 === 3 ? (i + 1) % C : i % C)), model: 'Softmax' },
  };
}

const layout = { context: null, dir: null, url: null };
Layout.before(async () => {
  if (!chromium.path) return;
  layout.dir = await mkdtemp(join(tmpdir(), 'simdclass-report-layout-'));
  const { indexPath } = await writeReport(layout.dir, demoLikeReport());
  layout.url = `file://${indexPath}`;
  const { chromium: launcher } = await import('playwright-core');
  layout.userDataDir = await mkdtemp(join(tmpdir(), 'simdclass-chromium-'));
  layout.context = await launcher.launchPersistentContext(layout.userDataDir, {
    executablePath: chromium.path, headless: true, args: CHROMIUM_ARGS, viewport: { width: 1280, height: 900 }, deviceScaleFactor: 1, timeout: 30_000,
  });
  // A file:// page and nothing else: anything else would be a network access.
  await layout.context.route('**/*', (route) => (route.request().url().startsWith('file://') ? route.continue() : route.abort()));
});
Layout.after(async () => {
  await layout.context?.close().catch(() => {});
  for (const dir of [layout.dir, layout.userDataDir]) if (dir) await rm(dir, { recursive: true, force: true });
});

/** Loads the report at `width` px and measures what sticks out of the window or out of its card. */
async function measure(width) {
  if (!chromium.path) throw new Error(`Chromium not found: set CHROMIUM_PATH (${chromium.why})`);
  const page = await layout.context.newPage();
  await page.setViewportSize({ width, height: 900 });
  await page.goto(layout.url, { waitUntil: 'load' });
  const result = await page.evaluate(() => {
    const vw = document.documentElement.clientWidth;
    const out = [];
    for (const el of document.querySelectorAll('main *')) {
      const r = el.getBoundingClientRect();
      if (r.width === 0 || el.closest('.table-card') && el !== el.closest('.table-card')) continue;
      if (r.right > vw + 0.5 || r.left < -0.5) out.push(`${el.tagName.toLowerCase()}.${el.className} ${Math.round(r.left)}..${Math.round(r.right)}`);
    }
    const table = document.querySelector('.table-card');
    const images = [...document.querySelectorAll('img')];
    return {
      vw, scrollWidth: document.documentElement.scrollWidth, outside: out.slice(0, 10),
      tableScrolls: table.scrollWidth > table.clientWidth + 1,
      unloaded: images.filter((img) => !img.complete || img.naturalWidth === 0).map((img) => img.getAttribute('src')),
      plots: [...document.querySelectorAll('img.plot')].map((img) => ({ w: img.getBoundingClientRect().width, box: img.parentElement.clientWidth })),
      stacked: getComputedStyle(document.querySelector('table.results thead')).display === 'none',
    };
  });
  await mkdir(artifacts, { recursive: true });
  await page.screenshot({ path: join(artifacts, `report-${width}.png`), fullPage: true });
  await page.close();
  return result;
}

for (const width of [1280, 390]) {
  layoutTest(`at ${width} px: nothing wider than the window, the table whole, every picture loaded and inside its card (screenshot saved)`, async () => {
    const m = await measure(width);
    assert.is(m.vw, width);
    assert.ok(m.scrollWidth <= width, `page is ${m.scrollWidth} px wide in a ${width} px window`);
    assert.equal(m.outside, [], 'elements outside the window');
    assert.is(m.tableScrolls, false, 'the results table fits its card (no hidden columns)');
    assert.equal(m.unloaded, [], 'images that did not load');
    for (const p of m.plots) assert.ok(p.w <= p.box + 0.5, `a plot ${p.w} px wide in a ${p.box} px card`);
    assert.is(m.stacked, width < 720, 'phones get one card per model instead of table columns');
  });
}

Layout.run();

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

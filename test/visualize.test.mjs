// src/visualize.ts: weight templates and dataset images as RGBA, and the SVG plots (well-formed
// XML, one element per data point, escaped text).
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import {
  weightImages, imagesFromRows, upscaleImage, escapeXml, formatNumber,
  cvPlotSvg, confusionMatrixSvg, lossCurvesSvg, gridSearchSvg,
} from '../dist/visualize.js';
import { ArgumentRangeError, ArgumentTypeError } from '../dist/errors.js';
import { throws } from './helpers.mjs';

// ---- a small XML well-formedness check (no XML parser is installed, and none is added for tests) --

const NAME = '[A-Za-z_][\\w.:-]*';
const ATTR = new RegExp(`^\\s+(${NAME})\\s*=\\s*("[^"<]*"|'[^'<]*')`);
const ENTITY = /^&(?:amp|lt|gt|quot|apos|#\d+|#x[0-9a-fA-F]+);/;

/** Throws unless `xml` is one well-formed element with root `root`: balanced tags, quoted attributes, no stray '&' or '<'. */
function checkXml(xml, root = 'svg') {
  const stack = [];
  let i = 0, roots = 0, seenRoot = '';
  const fail = (why) => { throw new Error(`${why} at offset ${i}: ${JSON.stringify(xml.slice(Math.max(0, i - 40), i + 40))}`); };
  const checkText = (s) => {
    for (let j = s.indexOf('&'); j >= 0; j = s.indexOf('&', j + 1)) if (!ENTITY.test(s.slice(j))) fail('unescaped &');
  };
  while (i < xml.length) {
    const lt = xml.indexOf('<', i);
    const chunk = lt < 0 ? xml.slice(i) : xml.slice(i, lt);
    checkText(chunk);
    if (chunk.includes('>')) fail('stray >');
    if (stack.length === 0 && chunk.trim() !== '') fail('text outside the root');
    if (lt < 0) break;
    i = lt;
    if (xml.startsWith('<?xml', i)) { i = xml.indexOf('?>', i) + 2; continue; }
    if (xml.startsWith('<!--', i)) { const e = xml.indexOf('-->', i); if (e < 0) fail('open comment'); i = e + 3; continue; }
    const close = new RegExp(`^</(${NAME})\\s*>`).exec(xml.slice(i));
    if (close) {
      if (stack.pop() !== close[1]) fail(`mismatched </${close[1]}>`);
      i += close[0].length;
      continue;
    }
    const open = new RegExp(`^<(${NAME})`).exec(xml.slice(i));
    if (!open) fail('bad tag');
    if (stack.length === 0) { roots++; seenRoot = open[1]; }
    i += open[0].length;
    const names = new Set();
    for (;;) {
      const a = ATTR.exec(xml.slice(i));
      if (!a) break;
      if (names.has(a[1])) fail(`duplicate attribute ${a[1]}`);
      names.add(a[1]);
      checkText(a[2]);
      i += a[0].length;
    }
    const end = /^\s*(\/?)>/.exec(xml.slice(i));
    if (!end) fail('bad attribute or unclosed tag');
    i += end[0].length;
    if (end[1] !== '/') stack.push(open[1]);
  }
  if (stack.length) throw new Error(`unclosed <${stack.join('> <')}>`);
  if (roots !== 1 || seenRoot !== root) throw new Error(`expected one <${root}> root, got ${roots} root(s) (${seenRoot})`);
}

const count = (s, re) => (s.match(re) ?? []).length;
const matrix = (rows, cols, values) => ({ data: Float32Array.from(values), rows, cols });
const pixel = (img, x, y) => Array.from(img.data.subarray((y * img.width + x) * 4, (y * img.width + x) * 4 + 4));

// ---- the checker itself ------------------------------------------------------------------------

const Xml = suite('checkXml (test helper)');
Xml('accepts well-formed SVG and rejects broken markup', () => {
  checkXml('<svg a="1"><g><text x="1">A &amp; B &#39;</text><circle r="2"/></g></svg>');
  for (const bad of ['<svg><g></svg>', '<svg>A & B</svg>', '<svg><text>1 < 2</text></svg>', '<svg a=1></svg>', '<svg/><svg/>', '<svg a="x & y"></svg>', '<g></g>']) {
    assert.throws(() => checkXml(bad), /./, bad);
  }
});
Xml.run();

// ---- weightImages ------------------------------------------------------------------------------

const Weights = suite('weightImages');

Weights('gray: rescales each class to exactly 0..255 by its own min/max, r = g = b, alpha 255', () => {
  // D = 4 (2 x 2 x 1), C = 2; row d holds [class 0, class 1].
  const W = matrix(4, 2, [
    0, -10,
    1, 10,
    2, 0,
    4, 30,
  ]);
  const [a, b] = weightImages(W, [2, 2, 1]);
  assert.is(a.width, 2); assert.is(a.height, 2);
  assert.ok(a.data instanceof Uint8ClampedArray);
  assert.is(a.data.length, 2 * 2 * 4);
  // class 0: 255 * (w - 0) / 4 -> 0, 63.75, 127.5, 255
  assert.equal(pixel(a, 0, 0), [0, 0, 0, 255]);
  assert.equal(pixel(a, 1, 0), [64, 64, 64, 255]);
  assert.equal(pixel(a, 0, 1), [128, 128, 128, 255]);
  assert.equal(pixel(a, 1, 1), [255, 255, 255, 255]);
  // class 1: 255 * (w + 10) / 40 -> 0, 127.5, 63.75, 255
  assert.equal([0, 1, 2, 3].map((p) => b.data[p * 4]), [0, 128, 64, 255]);
  for (const img of [a, b]) {
    const rgb = img.data.filter((_, i) => i % 4 !== 3);
    assert.is(Math.min(...rgb), 0);
    assert.is(Math.max(...rgb), 255);
  }
});

Weights('RGB: HWC order maps to RGBA pixels (row-major, channels last)', () => {
  // h = 1, w = 2, c = 3: D = 6 = [p0.r, p0.g, p0.b, p1.r, p1.g, p1.b]; one class.
  const [img] = weightImages(matrix(6, 1, [0, 10, 20, 30, 40, 50]), [1, 2, 3]);
  assert.is(img.width, 2); assert.is(img.height, 1);
  assert.equal(pixel(img, 0, 0), [0, 51, 102, 255]);
  assert.equal(pixel(img, 1, 0), [153, 204, 255, 255]);
  // h = 2, w = 1: the second row of the image is the second pixel
  const [tall] = weightImages(matrix(6, 1, [0, 10, 20, 30, 40, 50]), [2, 1, 3]);
  assert.is(tall.width, 1); assert.is(tall.height, 2);
  assert.equal(pixel(tall, 0, 1), [153, 204, 255, 255]);
});

Weights('accepts a model with .weights, one image per class; a constant class is mid-gray', () => {
  const images = weightImages({ weights: matrix(2, 3, [1, 5, 7, 3, 5, -7]) }, [1, 2, 1]);
  assert.is(images.length, 3);
  assert.equal(Array.from(images[0].data), [0, 0, 0, 255, 255, 255, 255, 255]);
  assert.equal(Array.from(images[1].data), [128, 128, 128, 255, 128, 128, 128, 255]);
  assert.equal(Array.from(images[2].data), [255, 255, 255, 255, 0, 0, 0, 255]);
});

Weights('shape mismatch and bad shapes throw ArgumentRangeError / ArgumentTypeError', () => {
  const W = matrix(4, 2, [0, 1, 2, 3, 4, 5, 6, 7]);
  throws(() => weightImages(W, [3, 3, 1]), { type: ArgumentRangeError, code: 'ERR_ARG_RANGE', message: /3 x 3 x 1 = 9.*\(4\)/ });
  throws(() => weightImages(W, [2, 1, 2]), { type: ArgumentRangeError, message: /channels/ });
  throws(() => weightImages(W, [2, 2]), { type: ArgumentTypeError, message: /shape/ });
  throws(() => weightImages({ weights: { data: new Uint8Array(8), rows: 4, cols: 2 } }, [2, 2, 1]), { type: ArgumentTypeError });
});
Weights.run();

// ---- imagesFromRows / upscaleImage -------------------------------------------------------------

const Rows = suite('imagesFromRows');
Rows('copies the chosen rows as RGBA images, gray and RGB', () => {
  const X = { data: Uint8Array.from([1, 2, 3, 4, 10, 20, 30, 40, 100, 110, 120, 130]), rows: 3, cols: 4 };
  const [first, second] = imagesFromRows(X, [2, 0], [2, 2, 1]);
  assert.equal(Array.from(first.data.filter((_, i) => i % 4 === 0)), [100, 110, 120, 130]);
  assert.equal(pixel(second, 1, 1), [4, 4, 4, 255]);
  const rgb = { data: Uint8Array.from([1, 2, 3, 4, 5, 6]), rows: 1, cols: 6 };
  const [img] = imagesFromRows(rgb, [0], [1, 2, 3]);
  assert.equal(Array.from(img.data), [1, 2, 3, 255, 4, 5, 6, 255]);
  const f32 = { data: Float32Array.from([-5, 300]), rows: 1, cols: 2 };
  assert.equal(Array.from(imagesFromRows(f32, [0], [1, 2, 1])[0].data), [0, 0, 0, 255, 255, 255, 255, 255]);
});
Rows('rejects a row out of range and a shape that does not match X.cols', () => {
  const X = { data: new Uint8Array(8), rows: 2, cols: 4 };
  throws(() => imagesFromRows(X, [2], [2, 2, 1]), { type: ArgumentRangeError, message: /rows\[0\].*\[0, 2\)/ });
  throws(() => imagesFromRows(X, [0], [2, 3, 1]), { type: ArgumentRangeError, message: /X\.cols/ });
});
Rows.run();

const Upscale = suite('upscaleImage');
Upscale('nearest neighbour by an integer factor, aligned or not', () => {
  const img = { width: 2, height: 1, data: Uint8ClampedArray.from([1, 2, 3, 4, 5, 6, 7, 8]) };
  const big = upscaleImage(img, 3);
  assert.is(big.width, 6); assert.is(big.height, 3);
  for (let y = 0; y < 3; y++) {
    for (let x = 0; x < 6; x++) assert.equal(pixel(big, x, y), x < 3 ? [1, 2, 3, 4] : [5, 6, 7, 8]);
  }
  const backing = new Uint8ClampedArray(9);
  backing.set([1, 2, 3, 4, 5, 6, 7, 8], 1);
  const odd = upscaleImage({ width: 2, height: 1, data: backing.subarray(1) }, 2);
  assert.equal(Array.from(odd.data), Array.from(upscaleImage(img, 2).data));
  throws(() => upscaleImage(img, 0), { type: ArgumentRangeError });
});
Upscale.run();

const Escape = suite('escapeXml');
Escape('escapes the five XML specials', () => {
  assert.is(escapeXml(`T-shirt/top & <"co'at">`), 'T-shirt/top &amp; &lt;&quot;co&#39;at&quot;&gt;');
  assert.is(escapeXml(42), '42');
});
Escape.run();

const Format = suite('formatNumber');
Format('compact labels for learning rates and regularization strengths', () => {
  assert.is(formatNumber(1e-7), '1e-7');
  assert.is(formatNumber(2.5e-7), '2.5e-7');
  assert.is(formatNumber(2.5e4), '25000');
  assert.is(formatNumber(2.5e5), '2.5e5');
  assert.is(formatNumber(0.001), '0.001');
  assert.is(formatNumber(0), '0');
  assert.is(formatNumber(NaN), 'NaN');
});
Format.run();

// ---- cvPlotSvg ---------------------------------------------------------------------------------

function fakeCv(ks, folds) {
  const results = ks.map((k, i) => {
    const accuracies = Array.from({ length: folds }, (_, f) => 0.25 + 0.01 * Math.sin(i + f) + (k === 8 ? 0.02 : 0));
    const mean = accuracies.reduce((a, b) => a + b) / folds;
    const std = Math.sqrt(accuracies.reduce((a, b) => a + (b - mean) ** 2, 0) / folds);
    return { k, accuracies, mean, std };
  });
  return { folds, results, bestK: 8 };
}

const Cv = suite('cvPlotSvg');
Cv('well-formed SVG with one dot per fold per k, a mean per k, error bars and the best k', () => {
  const ks = [1, 3, 5, 8, 10, 12, 15, 20, 50, 100];
  const svg = cvPlotSvg(fakeCv(ks, 5), { metric: 'l2' });
  checkXml(svg);
  assert.ok(svg.startsWith('<svg '));
  assert.is(count(svg, /<circle class="fold"/g), 5 * ks.length);
  assert.is(count(svg, /<circle class="mean"/g), ks.length);
  assert.is(count(svg, /class="errorbar"/g), ks.length);
  assert.is(count(svg, /<polyline class="mean-line"/g), 1);
  assert.is(count(svg, /class="best"/g), 1);
  assert.match(svg, /best k = 8/);
  assert.match(svg, /L2 distance/);
  assert.match(svg, /font-family="system-ui/);
});
Cv('escapes the title; a single k and other sizes still give well-formed SVG', () => {
  const svg = cvPlotSvg({ folds: 3, results: [{ k: 5, accuracies: [0.5, 0.5, 0.5], mean: 0.5, std: 0 }], bestK: 5 }, { title: 'CIFAR & <friends>', width: 300, height: 200 });
  checkXml(svg);
  assert.match(svg, /CIFAR &amp; &lt;friends&gt;/);
  assert.is(count(svg, /<circle class="fold"/g), 3);
  assert.match(svg, /width="300" height="200"/);
  throws(() => cvPlotSvg({ folds: 5, results: [], bestK: 1 }), { type: ArgumentTypeError });
});
Cv.run();

// ---- confusionMatrixSvg ------------------------------------------------------------------------

const Cm = suite('confusionMatrixSvg');
Cm('well-formed heat map with one cell per pair, counts and escaped class names', () => {
  const names = ['T-shirt/top', 'Cats & Dogs', '<b>'];
  const cm = Int32Array.from([50, 3, 0, 7, 40, 2, 0, 1, 99]);
  const svg = confusionMatrixSvg(cm, names, { title: 'kNN & co' });
  checkXml(svg);
  assert.is(count(svg, /<rect class="cell"/g), 9);
  assert.match(svg, /Cats &amp; Dogs/);
  assert.match(svg, /T-shirt\/top/);
  assert.match(svg, /&lt;b&gt;/);
  assert.not.match(svg, /Cats & Dogs/);
  assert.match(svg, /kNN &amp; co/);
  assert.match(svg, />99</);
  assert.match(svg, /accuracy 93\.6% \(189 \/ 202\)/);
  assert.match(svg, /rotate\(-45/); // column labels rotated
  assert.match(svg, />99\.0%</); // recall of the last class (99 / 100)
});
Cm('rejects a matrix of the wrong size; 30 classes still render', () => {
  throws(() => confusionMatrixSvg(new Int32Array(5), ['a', 'b']), { type: ArgumentRangeError, message: /4/ });
  const C = 30;
  const cm = new Int32Array(C * C).map((_, i) => (i % (C + 1) === 0 ? 90 : i % 7));
  const svg = confusionMatrixSvg(cm, Array.from({ length: C }, (_, i) => `class ${i}`));
  checkXml(svg);
  assert.is(count(svg, /<rect class="cell"/g), C * C);
});
Cm.run();

// ---- lossCurvesSvg -----------------------------------------------------------------------------

const Loss = suite('lossCurvesSvg');
Loss('several runs with a legend; 3000 iterations are downsampled to a few hundred points', () => {
  const long = Array.from({ length: 3000 }, (_, i) => 2.3 * Math.exp(-i / 500) + 0.4 + 0.1 * Math.abs(Math.sin(i * 12.9898)));
  const short = Array.from({ length: 500 }, (_, i) => 9 * Math.exp(-i / 100) + 1);
  const svg = lossCurvesSvg([{ label: 'softmax & friends', values: long }, { label: 'svm <lr 1e-7>', values: short }], { title: 'Loss' });
  checkXml(svg);
  assert.match(svg, /softmax &amp; friends/);
  assert.match(svg, /svm &lt;lr 1e-7&gt;/);
  assert.is(count(svg, /<path class="series"/g), 2);
  for (const d of svg.match(/ d="[^"]*"/g)) {
    const points = count(d, /[ML]/g);
    assert.ok(points <= 700, `a path of ${points} points`);
  }
  const series = svg.match(/<path class="series" d="([^"]*)"/)[1];
  assert.ok(count(series, /[ML]/g) >= 100, 'keeps enough points to show the shape');
  assert.match(svg, /moving average/);
});
Loss('log scale, no smoothing, and non-finite values break the line', () => {
  const values = [100, 50, 10, NaN, 5, 1, 0.5];
  const svg = lossCurvesSvg([{ label: 'run', values }], { logY: true, smooth: false });
  checkXml(svg);
  assert.match(svg, /log scale/);
  const d = svg.match(/<path class="series" d="([^"]*)"/)[1];
  assert.is(count(d, /M/g), 2);
  assert.is(count(d, /L/g), 4);
  checkXml(lossCurvesSvg([], {}));
  checkXml(lossCurvesSvg([{ label: 'flat', values: [1, 1, 1] }]));
});
Loss.run();

// ---- gridSearchSvg -----------------------------------------------------------------------------

const Grid = suite('gridSearchSvg');
Grid('one cell per point, the best outlined, diverged runs marked', () => {
  const points = [];
  for (const learningRate of [1e-7, 5e-7, 1e-6]) {
    for (const reg of [2.5e4, 5e4]) {
      const diverged = learningRate === 1e-6 && reg === 5e4;
      points.push({ learningRate, reg, trainAccuracy: 0.4, valAccuracy: diverged ? 0 : 0.3 + learningRate * 1e5 - reg * 1e-7, finalLoss: diverged ? NaN : 5, history: [] });
    }
  }
  const svg = gridSearchSvg(points, { title: 'SVM & friends' });
  checkXml(svg);
  assert.is(count(svg, /<rect class="cell"/g), 6);
  assert.is(count(svg, /class="best"/g), 1);
  assert.match(svg, /diverged/);
  assert.match(svg, /SVM &amp; friends/);
  assert.match(svg, /best: lr 1e-6, reg 25000/);
  assert.match(svg, />1e-7</);
  throws(() => gridSearchSvg([]), { type: ArgumentRangeError });
});
Grid.run();

// Pictures of what was learned and how it was chosen: weight templates and dataset images as
// canvas-ready RGBA, and SVG plots (cross-validation on k, confusion matrix, loss curves, grid
// search). Browser-safe: no Node built-ins; the Node-only PNG/HTML report lives in report.ts.
import { ArgumentRangeError, ArgumentTypeError } from './errors.js';
import { checkInt, checkMatrix, checkNumber, checkNumberList, checkRowIndices, describe, isNumericTypedArray, type Matrix } from './matrix.js';
import { checkOptions } from './options.js';
import type { GridPoint, KnnCrossValidation } from './selection.js';

/** An RGBA image, 4 bytes per pixel, row-major: the same shape as a canvas ImageData. */
export interface RgbaImage {
  width: number;
  height: number;
  data: Uint8ClampedArray;
}

/** Image shape [height, width, channels], channels last (HWC); channels 1 (gray) or 3 (RGB). */
export type ImageShape = readonly [number, number, number];

function checkShape(shape: ImageShape, cols: number, what: string): [number, number, number] {
  if (!Array.isArray(shape) || shape.length !== 3 || !shape.every((v) => typeof v === 'number' && Number.isInteger(v) && v > 0)) {
    throw new ArgumentTypeError(`Expected shape to be [height, width, channels] of positive integers, got ${JSON.stringify(shape)}`);
  }
  const [h, w, c] = shape;
  if (c !== 1 && c !== 3) throw new ArgumentRangeError(`Expected shape channels to be 1 (gray) or 3 (RGB), got ${c}`);
  if (h * w * c !== cols) {
    throw new ArgumentRangeError(`Expected shape ${h} x ${w} x ${c} = ${h * w * c} to equal ${what} (${cols})`);
  }
  return [h, w, c];
}

/**
 * One RGBA image per class from the columns of W (D x C, D = h * w * c in HWC order): the
 * lecture's "visual viewpoint" of a linear classifier. Each class is rescaled on its own to
 * 0..255 by 255 * (w - min) / (max - min) over all its values; a constant column becomes mid-gray.
 * Accepts a trained LinearSVM / Softmax (its `weights`) or the weight matrix itself.
 */
export function weightImages(model: { weights: Matrix<Float32Array> } | Matrix<Float32Array>, shape: ImageShape): RgbaImage[] {
  if (typeof model !== 'object' || model === null) throw new ArgumentTypeError(`Expected a linear model or a weight Matrix, got ${describe(model)}`);
  const { rows: D, cols: C, data } = checkMatrix('data' in model ? model : model.weights, 'weights');
  if (!(data instanceof Float32Array)) throw new ArgumentTypeError(`Expected weights to be a Matrix with Float32Array data (D x C), got ${describe(data)}`);
  const [h, w, c] = checkShape(shape, D, 'the number of weight rows D');
  const images: RgbaImage[] = [];
  for (let j = 0; j < C; j++) {
    let min = Infinity, max = -Infinity;
    for (let d = 0; d < D; d++) {
      const v = data[d * C + j]!;
      if (v < min) min = v;
      if (v > max) max = v;
    }
    const range = max - min;
    const scale = range > 0 && Number.isFinite(range) ? 255 / range : 0;
    const out = new Uint8ClampedArray(h * w * 4);
    for (let p = 0; p < h * w; p++) {
      for (let ch = 0; ch < 3; ch++) {
        const v = data[(p * c + (c === 1 ? 0 : ch)) * C + j]!;
        out[p * 4 + ch] = scale === 0 ? 128 : Math.round((v - min) * scale);
      }
      out[p * 4 + 3] = 255;
    }
    images.push({ width: w, height: h, data: out });
  }
  return images;
}

/** The given rows of X (one flattened HWC image per row) as RGBA images. f32 pixels are clamped to 0..255. */
export function imagesFromRows(X: Matrix<Uint8Array> | Matrix<Float32Array>, rows: ArrayLike<number>, shape: ImageShape): RgbaImage[] {
  const { data, rows: rowCount, cols } = checkMatrix<Uint8Array | Float32Array>(X, 'X');
  const indices = checkRowIndices(rows, rowCount, 'rows');
  const [h, w, c] = checkShape(shape, cols, 'X.cols');
  const images: RgbaImage[] = [];
  for (let i = 0; i < indices.length; i++) {
    const r = indices[i]!;
    const src = data.subarray(r * cols, (r + 1) * cols);
    const out = new Uint8ClampedArray(h * w * 4);
    for (let p = 0; p < h * w; p++) {
      for (let ch = 0; ch < 3; ch++) out[p * 4 + ch] = src[p * c + (c === 1 ? 0 : ch)]!;
      out[p * 4 + 3] = 255;
    }
    images.push({ width: w, height: h, data: out });
  }
  return images;
}

/** The largest image upscaleImage makes: 16384 x 16384 pixels (1 GiB of RGBA), the largest canvas area browsers draw. */
export const MAX_IMAGE_PIXELS = 2 ** 28;

/** Nearest-neighbour upscaling by an integer factor (so a 28 x 28 template stays crisp at 112 x 112). */
export function upscaleImage(image: RgbaImage, factor: number): RgbaImage {
  const { width, height, data } = checkImage(image, 'image');
  checkInt(factor, 'factor', 1);
  const W = width * factor, H = height * factor;
  if (W * H > MAX_IMAGE_PIXELS) {
    throw new ArgumentRangeError(`Expected factor to keep the image within ${MAX_IMAGE_PIXELS} pixels (MAX_IMAGE_PIXELS), got ${factor}: ${W} x ${H}`);
  }
  const out = new Uint8ClampedArray(W * H * 4);
  if (data.byteOffset % 4 === 0) {
    const src = new Uint32Array(data.buffer, data.byteOffset, width * height);
    const dst = new Uint32Array(out.buffer);
    for (let y = 0; y < H; y++) {
      const row = Math.floor(y / factor) * width;
      for (let x = 0; x < W; x++) dst[y * W + x] = src[row + Math.floor(x / factor)]!;
    }
  } else {
    for (let y = 0; y < H; y++) {
      for (let x = 0; x < W; x++) {
        const s = (Math.floor(y / factor) * width + Math.floor(x / factor)) * 4;
        out.set(data.subarray(s, s + 4), (y * W + x) * 4);
      }
    }
  }
  return { width: W, height: H, data: out };
}

/** Validates an RgbaImage: integer width and height, and width x height x 4 bytes of Uint8ClampedArray data. */
function checkImage(image: RgbaImage, name: string): RgbaImage {
  if (typeof image !== 'object' || image === null) throw new ArgumentTypeError(`Expected ${name} to be an RgbaImage { width, height, data }, got ${describe(image)}`);
  const { width, height, data } = image;
  checkInt(width, `${name}.width`, 0);
  checkInt(height, `${name}.height`, 0);
  if (!(data instanceof Uint8ClampedArray)) throw new ArgumentTypeError(`Expected ${name}.data to be a Uint8ClampedArray, got ${describe(data)}`);
  if (data.length !== width * height * 4) {
    throw new ArgumentRangeError(`Expected ${name}.data.length to equal width x height x 4 (${width} x ${height} x 4), got ${data.length}`);
  }
  return { width, height, data };
}

// ---- SVG helpers -----------------------------------------------------------------------------

const FONT = "system-ui, -apple-system, 'Segoe UI', Roboto, 'Helvetica Neue', Arial, sans-serif";
const INK = '#1f2937', MUTED = '#6b7280', GRID = '#e5e7eb', AXIS = '#9ca3af';
const ACCENT = '#2563eb', HIGHLIGHT = '#ea580c';
/** Series colors (Tableau 10, slightly muted). */
const PALETTE = ['#4e79a7', '#f28e2b', '#59a14f', '#e15759', '#76b7b2', '#b07aa1', '#edc948', '#ff9da7', '#9c755f', '#bab0ac'];

/** Escapes text for SVG/HTML element content and attribute values. */
export function escapeXml(text: unknown): string {
  return String(text).replace(/[&<>"']/g, (ch) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[ch]!);
}

/** A rough width of `text` in px for a sans-serif font of `size` px (for layout, not typesetting). */
function textWidth(text: string, size: number): number {
  let units = 0;
  for (const ch of text) units += /[ilj.,:;'|!I1 ]/.test(ch) ? 0.32 : /[mwMW%@]/.test(ch) ? 0.85 : /[A-Z0-9]/.test(ch) ? 0.64 : 0.56;
  return units * size;
}

const r1 = (v: number) => Math.round(v * 10) / 10;

function svgOpen(width: number, height: number, title: string): string {
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="${FONT}" role="img">` +
    `<title>${escapeXml(title)}</title><rect width="${width}" height="${height}" fill="#ffffff"/>`;
}

function text(x: number, y: number, content: string, attrs: Record<string, string | number> = {}): string {
  const extra = Object.entries(attrs).map(([k, v]) => ` ${k}="${escapeXml(v)}"`).join('');
  return `<text x="${r1(x)}" y="${r1(y)}"${extra}>${escapeXml(content)}</text>`;
}

/** Title and subtitle rows, shortened with an ellipsis to fit before maxRight. */
function heading(x: number, title: string, subtitle?: string, maxRight = Infinity): string {
  let out = text(x, 26, fit(title, 16, maxRight - x), { 'font-size': 16, 'font-weight': 600, fill: INK });
  if (subtitle) out += text(x, 45, fit(subtitle, 12, maxRight - x), { 'font-size': 12, fill: MUTED });
  return out;
}

/** Shortens text to about maxWidth px with an ellipsis. */
function fit(label: string, size: number, maxWidth: number): string {
  if (textWidth(label, size) <= maxWidth) return label;
  let s = label;
  while (s.length > 1 && textWidth(s + '…', size) > maxWidth) s = s.slice(0, -1);
  return s + '…';
}

interface Ticks { lo: number; hi: number; step: number; ticks: number[] }

/** Round tick values (steps of 1, 2, 5 x 10^n) covering [min, max] with about `count` intervals. */
function niceTicks(min: number, max: number, count = 5): Ticks {
  if (!(max > min)) { const pad = Math.abs(min) * 0.05 || 1; min -= pad; max += pad; }
  const raw = (max - min) / count;
  const mag = 10 ** Math.floor(Math.log10(raw));
  const n = raw / mag;
  const step = (n < 1.5 ? 1 : n < 3 ? 2 : n < 7 ? 5 : 10) * mag;
  const lo = Math.floor(min / step + 1e-9) * step, hi = Math.ceil(max / step - 1e-9) * step;
  const ticks: number[] = [];
  for (let i = 0; lo + i * step <= hi + step * 1e-9; i++) ticks.push(lo + i * step);
  return { lo, hi, step, ticks };
}

function tickLabel(v: number, step: number): string {
  const decimals = Math.max(0, -Math.floor(Math.log10(step) + 1e-9));
  return v.toFixed(Math.min(decimals, 10));
}

/** Compact number for labels: 1e-7, 2.5e4, 0.001, 120, 3.14. */
export function formatNumber(v: number): string {
  if (!Number.isFinite(v)) return String(v);
  if (v === 0) return '0';
  const a = Math.abs(v);
  if (a >= 1e-3 && a < 1e5) return String(Number(v.toPrecision(4)));
  const [m, e] = v.toExponential(3).split('e');
  return `${String(Number(m))}e${Number(e)}`;
}

const pct = (v: number, digits = 1) => `${(v * 100).toFixed(digits)}%`;

/** The smallest and largest value, by a loop: spreading a long list into Math.min/max overflows the stack. */
function extent(values: readonly number[]): { min: number; max: number } {
  let min = Infinity, max = -Infinity;
  for (const v of values) {
    if (v < min) min = v;
    if (v > max) max = v;
  }
  return { min, max };
}

/** Plots smaller than this leave no room between the margins, labels and legend. */
const MIN_WIDTH = 200, MIN_HEIGHT = 150;

/** A width or height option: a finite number of pixels, at least `min`. */
function sizeOption(value: number | undefined, name: string, fallback: number, min: number): number {
  return value === undefined ? fallback : checkNumber(value, name, min);
}

function stringOption(value: string | undefined, name: string, fallback: string): string {
  if (value === undefined) return fallback;
  if (typeof value !== 'string') throw new ArgumentTypeError(`Expected ${name} to be a string, got ${describe(value)}`);
  return value;
}

function checkObject(value: unknown, name: string, expected: string): void {
  if (typeof value !== 'object' || value === null) throw new ArgumentTypeError(`Expected ${name} to be ${expected}, got ${describe(value)}`);
}

// ---- Cross-validation on k -------------------------------------------------------------------

export interface CvPlotOptions {
  title?: string;
  width?: number;
  height?: number;
  /** The distance used, shown in the subtitle. */
  metric?: string;
}

/**
 * The lecture's cross-validation plot: accuracy vs k (linear axis), one dot per fold at each k
 * (`<circle class="fold">`), a line through the means, error bars of +-1 standard deviation, and
 * the best k highlighted.
 */
export function cvPlotSvg(cv: KnnCrossValidation, options?: CvPlotOptions | null): string {
  checkCv(cv);
  const opts = checkOptions(options, 'options', ['title', 'width', 'height', 'metric']);
  const width = sizeOption(opts.width, 'width', 640, MIN_WIDTH), height = sizeOption(opts.height, 'height', 400, MIN_HEIGHT);
  const results = [...cv.results].sort((a, b) => a.k - b.k);
  const title = stringOption(opts.title, 'title', 'Cross-validation on k');
  const metric = stringOption(opts.metric, 'metric', '');
  const best = results.find((r) => r.k === cv.bestK);
  const subtitle = [`${cv.folds} folds`, metric ? `${metric.toUpperCase()} distance` : '',
    best ? `best k = ${best.k}: ${pct(best.mean)} ± ${pct(best.std)}` : ''].filter(Boolean).join(' · ');

  // The legend goes on the title row, else the subtitle row, else a row of its own.
  const legendW = 186, x0 = 22, right = 24, bottom = 50;
  const legendRow = x0 + textWidth(title, 16) + 24 < width - right - legendW ? 22
    : x0 + textWidth(subtitle, 12) + 24 < width - right - legendW ? 41 : 60;
  const left = 62, top = legendRow === 60 ? 88 : 74;
  const pw = width - left - right, ph = height - top - bottom;
  const kMin = results[0]!.k, kMax = results.at(-1)!.k;
  const xt = niceTicks(kMin, kMax, Math.max(2, Math.min(8, Math.floor(pw / 60))));
  const xSpan = kMax - kMin || 2;
  const xLo = kMin - (kMax > kMin ? xSpan * 0.03 : 1), xHi = kMax + (kMax > kMin ? xSpan * 0.03 : 1);
  const xTicks = xt.ticks.filter((t) => t >= xLo - 1e-9 && t <= xHi + 1e-9);
  let lowest = Infinity, highest = -Infinity;
  for (const r of results) {
    const folds = extent(r.accuracies);
    lowest = Math.min(lowest, folds.min, r.mean - r.std);
    highest = Math.max(highest, folds.max, r.mean + r.std);
  }
  const yMin = lowest * 100, yMax = highest * 100;
  const pad = (yMax - yMin) * 0.08 || 1;
  const yt = niceTicks(Math.max(0, yMin - pad), Math.min(100, yMax + pad), Math.max(3, Math.min(8, Math.floor(ph / 45))));
  const X = (k: number) => left + ((k - xLo) / (xHi - xLo)) * pw;
  const Y = (acc: number) => top + ph - ((acc * 100 - yt.lo) / (yt.hi - yt.lo)) * ph;

  let s = svgOpen(width, height, title) + heading(x0, title, subtitle, width - 8);
  const lx = width - right - legendW, ly = legendRow;
  s += `<g font-size="11" fill="${MUTED}">` +
    `<circle cx="${lx + 4}" cy="${ly - 4}" r="3" fill="${PALETTE[0]}" fill-opacity="0.55"/>` + text(lx + 12, ly, 'fold') +
    `<line x1="${lx + 48}" y1="${ly - 4}" x2="${lx + 68}" y2="${ly - 4}" stroke="${ACCENT}" stroke-width="2"/>` +
    `<line x1="${lx + 58}" y1="${ly - 10}" x2="${lx + 58}" y2="${ly + 2}" stroke="${ACCENT}" stroke-width="1.2"/>` + text(lx + 74, ly, 'mean ± 1 std') +
    `</g>`;
  // grid and axes
  s += `<g stroke="${GRID}" stroke-width="1">`;
  for (const t of yt.ticks) s += `<line x1="${left}" y1="${r1(Y(t / 100))}" x2="${left + pw}" y2="${r1(Y(t / 100))}"/>`;
  for (const t of xTicks) s += `<line x1="${r1(X(t))}" y1="${top}" x2="${r1(X(t))}" y2="${top + ph}"/>`;
  s += `</g><g font-size="12" fill="${MUTED}">`;
  for (const t of yt.ticks) s += text(left - 8, Y(t / 100) + 4, `${tickLabel(t, yt.step)}%`, { 'text-anchor': 'end' });
  for (const t of xTicks) s += text(X(t), top + ph + 18, tickLabel(t, xt.step), { 'text-anchor': 'middle' });
  s += `</g><line x1="${left}" y1="${top + ph}" x2="${left + pw}" y2="${top + ph}" stroke="${AXIS}"/>`;
  s += text(left + pw / 2, height - 10, 'k (number of neighbours)', { 'font-size': 13, fill: INK, 'text-anchor': 'middle' });
  s += text(16, top + ph / 2, 'cross-validation accuracy', { 'font-size': 13, fill: INK, 'text-anchor': 'middle', transform: `rotate(-90 16 ${r1(top + ph / 2)})` });
  // best k: a soft vertical band
  if (best) s += `<rect x="${r1(X(best.k) - 7)}" y="${top}" width="14" height="${ph}" fill="${HIGHLIGHT}" fill-opacity="0.08"/>`;
  // one dot per fold
  s += `<g fill="${PALETTE[0]}" fill-opacity="0.5">`;
  for (const r of results) {
    r.accuracies.forEach((a, f) => { s += `<circle class="fold" cx="${r1(X(r.k))}" cy="${r1(Y(a))}" r="3"><title>k = ${r.k}, fold ${f + 1}: ${pct(a, 2)}</title></circle>`; });
  }
  s += `</g>`;
  // error bars with caps
  s += `<g stroke="${ACCENT}" stroke-width="1.3">`;
  for (const r of results) {
    const x = r1(X(r.k)), y0 = r1(Y(r.mean - r.std)), y1 = r1(Y(r.mean + r.std));
    s += `<path class="errorbar" d="M${x} ${y0}V${y1}M${r1(x - 4)} ${y0}h8M${r1(x - 4)} ${y1}h8"/>`;
  }
  s += `</g>`;
  s += `<polyline class="mean-line" fill="none" stroke="${ACCENT}" stroke-width="2" stroke-linejoin="round" points="${results.map((r) => `${r1(X(r.k))},${r1(Y(r.mean))}`).join(' ')}"/>`;
  s += `<g fill="${ACCENT}" stroke="#fff" stroke-width="1.2">`;
  for (const r of results) s += `<circle class="mean" cx="${r1(X(r.k))}" cy="${r1(Y(r.mean))}" r="3.5"><title>k = ${r.k}: mean ${pct(r.mean, 2)} ± ${pct(r.std, 2)}</title></circle>`;
  s += `</g>`;
  if (best) {
    const x = X(best.k);
    s += `<circle class="best" cx="${r1(x)}" cy="${r1(Y(best.mean))}" r="6" fill="${HIGHLIGHT}" stroke="#fff" stroke-width="1.5"/>`;
    const label = `best k = ${best.k}`;
    const lw = textWidth(label, 12);
    const anchor = x - lw / 2 < left - 20 ? 'start' : x + lw / 2 > width - 4 ? 'end' : 'middle';
    const ax = anchor === 'start' ? x - 7 : anchor === 'end' ? x + 7 : x;
    s += text(ax, top - 6, label, { 'font-size': 12, 'font-weight': 600, fill: HIGHLIGHT, 'text-anchor': anchor });
  }
  return s + '</svg>';
}

/** A KnnCrossValidation with at least one result, every accuracy, mean and std a finite number in [0, 1]. */
function checkCv(cv: KnnCrossValidation): void {
  if (typeof cv !== 'object' || cv === null || !Array.isArray(cv.results) || cv.results.length === 0) {
    throw new ArgumentTypeError(`Expected cv to be a KnnCrossValidation { folds, results, bestK } with at least one result, got ${describe(cv)}`);
  }
  checkInt(cv.folds, 'cv.folds', 1);
  checkInt(cv.bestK, 'cv.bestK', 1);
  cv.results.forEach((r, i) => {
    const name = `cv.results[${i}]`;
    checkObject(r, name, '{ k, accuracies, mean, std }');
    checkInt(r.k, `${name}.k`, 1);
    checkNumberList(r.accuracies, `${name}.accuracies`, 0, 1);
    checkNumber(r.mean, `${name}.mean`, 0, 1);
    checkNumber(r.std, `${name}.std`, 0, 1);
  });
}

// ---- Confusion matrix ------------------------------------------------------------------------

function mix(a: string, b: string, t: number): string {
  const pa = [1, 3, 5].map((i) => parseInt(a.slice(i, i + 2), 16));
  const pb = [1, 3, 5].map((i) => parseInt(b.slice(i, i + 2), 16));
  return '#' + pa.map((v, i) => Math.round(v + (pb[i]! - v) * t).toString(16).padStart(2, '0')).join('');
}

/** A piecewise-linear color scale through `stops` for t in [0, 1]. */
function ramp(stops: string[], t: number): string {
  const x = Math.min(1, Math.max(0, t)) * (stops.length - 1);
  const i = Math.min(stops.length - 2, Math.floor(x));
  return mix(stops[i]!, stops[i + 1]!, x - i);
}

const BLUES = ['#f8fafc', '#bfdbfe', '#60a5fa', '#2563eb', '#1e3a8a'];
const REDS = ['#fff7f5', '#fecaca', '#f87171', '#dc2626', '#7f1d1d'];
const VIRIDIS = ['#440154', '#414487', '#2a788e', '#22a884', '#7ad151', '#fde725'];

export interface ConfusionMatrixOptions {
  title?: string;
}

/**
 * A confusion matrix heat map (row = true label, column = predicted): each cell shows its count
 * and is colored by its share of the row (blue on the diagonal, red off it, on a square-root scale
 * so that small confusions show); a last column gives each class's recall (the diagonal share).
 */
export function confusionMatrixSvg(cm: Int32Array | ArrayLike<number>, classNames: string[], options?: ConfusionMatrixOptions | null): string {
  const C = checkClassNames(classNames);
  checkCounts(cm, C);
  const title = stringOption(checkOptions(options, 'options', ['title']).title, 'title', 'Confusion matrix');
  let total = 0, correct = 0;
  const rowSum = new Float64Array(C);
  for (let i = 0; i < C; i++) for (let j = 0; j < C; j++) { rowSum[i]! += cm[i * C + j]!; total += cm[i * C + j]!; if (i === j) correct += cm[i * C + j]!; }
  const subtitle = `accuracy ${total ? pct(correct / total) : '–'} (${correct.toLocaleString('en-US')} / ${total.toLocaleString('en-US')}) · row = true, column = predicted`;

  const cell = C <= 10 ? 34 : Math.max(12, Math.floor(400 / C));
  const labelSize = C <= 20 ? 12 : 10;
  const names = classNames.map((n) => fit(n, labelSize, 130));
  const maxLabel = extent(names.map((n) => textWidth(n, labelSize))).max;
  const left = 32 + maxLabel + 10, top = 74;
  const grid = cell * C;
  const recallW = 46;
  const bottom = maxLabel * Math.SQRT1_2 + 14 + 30;
  const width = Math.ceil(Math.max(left + grid + 8 + recallW + 8, textWidth(subtitle, 12) + 32, textWidth(title, 16) + 32));
  const height = Math.ceil(top + grid + bottom);

  let s = svgOpen(width, height, title) + heading(16, title, subtitle);
  s += `<g font-size="${C <= 10 ? 11 : C <= 20 ? 10 : 8}" text-anchor="middle">`;
  for (let i = 0; i < C; i++) {
    for (let j = 0; j < C; j++) {
      const n = cm[i * C + j]!;
      const f = rowSum[i]! > 0 ? n / rowSum[i]! : 0;
      const t = Math.sqrt(f);
      const fill = n === 0 ? '#ffffff' : ramp(i === j ? BLUES : REDS, t);
      const x = left + j * cell, y = top + i * cell;
      s += `<rect class="cell" x="${x}" y="${y}" width="${cell}" height="${cell}" fill="${fill}" stroke="#e5e7eb" stroke-width="0.5"><title>true ${escapeXml(classNames[i])}, predicted ${escapeXml(classNames[j])}: ${n} (${pct(f)} of row)</title></rect>`;
      if (cell >= 22) s += text(x + cell / 2, y + cell / 2 + 4, String(n), { fill: n === 0 ? '#d1d5db' : t > 0.62 ? '#ffffff' : INK, ...(i === j ? { 'font-weight': 600 } : {}) });
    }
  }
  s += `</g><rect x="${left}" y="${top}" width="${grid}" height="${grid}" fill="none" stroke="${AXIS}"/>`;
  // recall column
  const rx = left + grid + 8;
  s += text(rx + recallW / 2, top - 8, 'recall', { 'font-size': 11, fill: MUTED, 'text-anchor': 'middle' });
  s += `<g font-size="${C <= 20 ? 11 : 8}" text-anchor="middle">`;
  for (let i = 0; i < C; i++) {
    const r = rowSum[i]! > 0 ? cm[i * C + i]! / rowSum[i]! : 0;
    s += `<rect x="${rx}" y="${top + i * cell + 1}" width="${recallW}" height="${cell - 2}" rx="3" fill="${ramp(BLUES, Math.sqrt(r))}"/>`;
    if (cell >= 14) s += text(rx + recallW / 2, top + i * cell + cell / 2 + 4, pct(r, C <= 20 ? 1 : 0), { fill: Math.sqrt(r) > 0.62 ? '#ffffff' : INK });
  }
  s += `</g>`;
  // labels
  s += `<g font-size="${labelSize}" fill="${INK}">`;
  for (let i = 0; i < C; i++) s += text(left - 8, top + i * cell + cell / 2 + 4, names[i]!, { 'text-anchor': 'end' });
  for (let j = 0; j < C; j++) {
    const x = left + j * cell + cell / 2 + 4, y = top + grid + 10;
    s += text(x, y, names[j]!, { 'text-anchor': 'end', transform: `rotate(-45 ${r1(x)} ${r1(y)})` });
  }
  s += `</g>`;
  s += text(14, top + grid / 2, 'true label', { 'font-size': 12, fill: MUTED, 'text-anchor': 'middle', transform: `rotate(-90 14 ${r1(top + grid / 2)})` });
  s += text(left + grid / 2, height - 10, 'predicted label', { 'font-size': 12, fill: MUTED, 'text-anchor': 'middle' });
  return s + '</svg>';
}

/** The most classes confusionMatrixSvg draws: C^2 cells of about 200 characters each stay far below the engines' string limit. */
export const MAX_SVG_CLASSES = 1000;

/** Checks the class names (1 to MAX_SVG_CLASSES strings) and returns how many there are. */
function checkClassNames(classNames: unknown): number {
  if (!Array.isArray(classNames)) throw new ArgumentTypeError(`Expected classNames to be an array of strings, got ${describe(classNames)}`);
  classNames.forEach((n, i) => {
    if (typeof n !== 'string') throw new ArgumentTypeError(`Expected classNames[${i}] to be a string, got ${describe(n)}`);
  });
  checkInt(classNames.length, 'classNames.length', 1, MAX_SVG_CLASSES);
  return classNames.length;
}

/** Checks that cm holds C x C counts: non-negative integers. */
function checkCounts(cm: unknown, C: number): void {
  if (!Array.isArray(cm) && !isNumericTypedArray(cm)) throw new ArgumentTypeError(`Expected cm to be an array of counts, got ${describe(cm)}`);
  const counts = cm as ArrayLike<unknown>;
  if (counts.length !== C * C) throw new ArgumentRangeError(`Expected cm to hold classNames.length^2 (${C * C}) counts, got ${counts.length}`);
  for (let i = 0; i < counts.length; i++) {
    const n = counts[i];
    if (!(typeof n === 'number' && Number.isInteger(n) && n >= 0)) checkInt(n, `cm[${i}]`, 0);
  }
}

// ---- Loss curves -----------------------------------------------------------------------------

export interface LossCurvesOptions {
  title?: string;
  /** Log-scaled loss axis. Default: on when the positive losses span more than 30x. */
  logY?: boolean;
  width?: number;
  height?: number;
  /** Points drawn per series at most (default 300): longer series are downsampled. */
  maxPoints?: number;
  /**
   * Moving-average window in iterations, drawn solid over the faint raw loss; 0 or false for none.
   * Default: about 1/40 of the longest series when it has more than 100 iterations.
   */
  smooth?: number | false;
}

type Pt = [number, number];

/** Min/max per bucket (in index order) so spikes survive downsampling; non-finite values break the line. */
function envelope(values: number[], buckets: number, ok: (v: number) => boolean): (Pt | null)[] {
  const n = values.length;
  if (n <= buckets * 2) return values.map((v, i) => (ok(v) ? [i, v] as Pt : null));
  const out: (Pt | null)[] = [];
  for (let b = 0; b < buckets; b++) {
    const a = Math.floor((b * n) / buckets), e = Math.floor(((b + 1) * n) / buckets);
    let lo = -1, hi = -1;
    for (let i = a; i < e; i++) {
      const v = values[i]!;
      if (!ok(v)) continue;
      if (lo < 0 || v < values[lo]!) lo = i;
      if (hi < 0 || v > values[hi]!) hi = i;
    }
    if (lo < 0) { out.push(null); continue; }
    for (const i of lo === hi ? [lo] : lo < hi ? [lo, hi] : [hi, lo]) out.push([i, values[i]!]);
  }
  return out;
}

/** Trailing moving average over `window` iterations, restarting after non-finite values, sampled to about `points` points. */
function movingAverage(values: number[], window: number, points: number, ok: (v: number) => boolean): (Pt | null)[] {
  const out: (Pt | null)[] = [];
  const every = Math.max(1, Math.floor(values.length / points));
  let sum = 0, count = 0, start = 0;
  for (let i = 0; i < values.length; i++) {
    const v = values[i]!;
    if (!ok(v)) { sum = 0; count = 0; start = i + 1; out.push(null); continue; }
    sum += v; count++;
    if (count > window) { sum -= values[i - window]!; count--; }
    if ((i - start) % every === 0 || i === values.length - 1) out.push([i, sum / count]);
  }
  return out;
}

function pathOf(points: (Pt | null)[], X: (i: number) => number, Y: (v: number) => number): string {
  let d = '', pen = false;
  for (const p of points) {
    if (p === null) { pen = false; continue; }
    d += `${pen ? 'L' : 'M'}${r1(X(p[0]))} ${r1(Y(p[1]))}`;
    pen = true;
  }
  return d;
}

/**
 * Training loss vs iteration for several runs in one plot, with a legend. Long series are
 * downsampled (min/max per bucket) to at most `maxPoints` points; a moving average is drawn over
 * the faint per-iteration (minibatch) loss.
 */
export function lossCurvesSvg(series: { label: string; values: number[] }[], options?: LossCurvesOptions | null): string {
  checkSeries(series);
  const opts = checkOptions(options, 'options', ['title', 'logY', 'width', 'height', 'maxPoints', 'smooth']);
  const title = stringOption(opts.title, 'title', 'Training loss');
  const maxPoints = checkInt(opts.maxPoints ?? 300, 'maxPoints', 10);
  if (opts.logY !== undefined && typeof opts.logY !== 'boolean') throw new ArgumentTypeError(`Expected logY to be a boolean, got ${describe(opts.logY)}`);
  const longest = Math.max(1, extent(series.map((s) => s.values.length)).max);
  const autoWindow = longest > 100 ? Math.max(2, Math.round(longest / 40)) : 0;
  const window = opts.smooth === false ? 0 : opts.smooth === undefined ? autoWindow : checkInt(opts.smooth, 'smooth', 0);
  const finite = series.flatMap((s) => s.values.filter((v) => Number.isFinite(v)));
  const positive = finite.filter((v) => v > 0);
  const positiveRange = extent(positive);
  const logY = opts.logY ?? (positive.length > 0 && positiveRange.max / positiveRange.min > 30);
  const ok = (v: number) => Number.isFinite(v) && (!logY || v > 0);

  const legendSize = 12;
  const labels = series.map((s) => fit(s.label, legendSize, 220));
  const legendW = series.length ? extent(labels.map((l) => textWidth(l, legendSize))).max + 40 : 0;
  const width = sizeOption(opts.width, 'width', 640 + Math.max(0, legendW - 120), MIN_WIDTH), height = sizeOption(opts.height, 'height', 380, MIN_HEIGHT);
  const left = 62, right = 16 + legendW, top = 62, bottom = 48;
  const pw = width - left - right, ph = height - top - bottom;
  const subtitle = `${series.length} run${series.length === 1 ? '' : 's'} · ${longest.toLocaleString('en-US')} iterations` +
    (window > 1 ? ` · faint: minibatch loss, solid: moving average of ${window}` : '') + (logY ? ' · log scale' : '');

  let yLo: number, yHi: number, yTicks: number[], yLabel: (v: number) => string;
  const vals = logY ? positive : finite;
  const valueRange = extent(vals);
  const vMin = vals.length ? valueRange.min : 0, vMax = vals.length ? valueRange.max : 1;
  if (logY) {
    yLo = Math.log10(vMin); yHi = Math.log10(vMax);
    if (!(yHi > yLo)) { yLo -= 0.5; yHi += 0.5; }
    const span = yHi - yLo;
    yLo -= span * 0.03; yHi += span * 0.03;
    yTicks = [];
    const mult = yHi - yLo > 3 ? [1] : yHi - yLo > 1.2 ? [1, 3] : [1, 2, 5];
    for (let e = Math.floor(yLo); e <= Math.ceil(yHi); e++) for (const m of mult) { const t = Math.log10(m) + e; if (t >= yLo && t <= yHi) yTicks.push(t); }
    if (yTicks.length < 2) { const nt = niceTicks(vMin, vMax, 4); yTicks = nt.ticks.filter((t) => t > 0).map(Math.log10).filter((t) => t >= yLo && t <= yHi); }
    yLabel = (t) => formatNumber(Number((10 ** t).toPrecision(3)));
  } else {
    const nt = niceTicks(vMin, vMax, Math.max(3, Math.floor(ph / 50)));
    yLo = nt.lo; yHi = nt.hi; yTicks = nt.ticks;
    yLabel = (t) => tickLabel(t, nt.step);
  }
  const xMax = Math.max(1, longest - 1);
  const xt = niceTicks(0, xMax, Math.max(2, Math.floor(pw / 80)));
  xt.ticks = xt.ticks.filter((t) => t <= xMax + 1e-9);
  const X = (i: number) => left + (i / xMax) * pw;
  const Y = (v: number) => top + ph - (((logY ? Math.log10(v) : v) - yLo) / (yHi - yLo)) * ph;
  const YT = (t: number) => top + ph - ((t - yLo) / (yHi - yLo)) * ph;

  let s = svgOpen(width, height, title) + heading(22, title, subtitle, width - 8);
  s += `<g stroke="${GRID}">`;
  for (const t of yTicks) s += `<line x1="${left}" y1="${r1(YT(t))}" x2="${left + pw}" y2="${r1(YT(t))}"/>`;
  for (const t of xt.ticks) s += `<line x1="${r1(X(t))}" y1="${top}" x2="${r1(X(t))}" y2="${top + ph}"/>`;
  s += `</g><g font-size="12" fill="${MUTED}">`;
  for (const t of yTicks) s += text(left - 8, YT(t) + 4, yLabel(t), { 'text-anchor': 'end' });
  for (const t of xt.ticks) s += text(X(t), top + ph + 18, tickLabel(t, xt.step), { 'text-anchor': 'middle' });
  s += `</g><line x1="${left}" y1="${top + ph}" x2="${left + pw}" y2="${top + ph}" stroke="${AXIS}"/>`;
  s += text(left + pw / 2, height - 10, 'iteration', { 'font-size': 13, fill: INK, 'text-anchor': 'middle' });
  s += text(16, top + ph / 2, 'loss', { 'font-size': 13, fill: INK, 'text-anchor': 'middle', transform: `rotate(-90 16 ${r1(top + ph / 2)})` });
  s += `<defs><clipPath id="plot-area"><rect x="${left}" y="${top - 2}" width="${pw + 2}" height="${ph + 4}"/></clipPath></defs><g clip-path="url(#plot-area)" fill="none" stroke-linejoin="round">`;
  series.forEach((ser, k) => {
    const color = PALETTE[k % PALETTE.length]!;
    const raw = envelope(ser.values, Math.floor(maxPoints / 2), ok);
    if (window > 1) {
      s += `<path class="raw" d="${pathOf(raw, X, Y)}" stroke="${color}" stroke-opacity="0.25" stroke-width="1"/>`;
      s += `<path class="series" d="${pathOf(movingAverage(ser.values, window, maxPoints, ok), X, Y)}" stroke="${color}" stroke-width="2"/>`;
    } else {
      s += `<path class="series" d="${pathOf(raw, X, Y)}" stroke="${color}" stroke-width="1.8"/>`;
    }
  });
  s += `</g>`;
  // legend, right of the plot
  const lx = left + pw + 20;
  s += `<g font-size="${legendSize}" fill="${INK}">`;
  labels.forEach((label, k) => {
    const y = top + 8 + k * 22;
    s += `<line x1="${lx}" y1="${y}" x2="${lx + 20}" y2="${y}" stroke="${PALETTE[k % PALETTE.length]}" stroke-width="3" stroke-linecap="round"/>`;
    s += text(lx + 28, y + 4, label);
  });
  s += `</g>`;
  return s + '</svg>';
}

/** Each series is { label: string, values: number[] }; NaN and Infinity are allowed (they break the line). */
function checkSeries(series: unknown): void {
  if (!Array.isArray(series)) throw new ArgumentTypeError(`Expected series to be an array of { label, values }, got ${describe(series)}`);
  series.forEach((s: unknown, i) => {
    checkObject(s, `series[${i}]`, '{ label, values }');
    const { label, values } = s as { label: unknown; values: unknown };
    if (typeof label !== 'string') throw new ArgumentTypeError(`Expected series[${i}].label to be a string, got ${describe(label)}`);
    if (!Array.isArray(values)) throw new ArgumentTypeError(`Expected series[${i}].values to be an array of numbers, got ${describe(values)}`);
    for (let j = 0; j < values.length; j++) {
      if (typeof values[j] !== 'number') throw new ArgumentTypeError(`Expected series[${i}].values[${j}] to be a number, got ${describe(values[j])}`);
    }
  });
}

// ---- Grid search -----------------------------------------------------------------------------

export interface GridSearchPlotOptions {
  title?: string;
  /** Which accuracy colors the cells (default valAccuracy). */
  metric?: 'valAccuracy' | 'trainAccuracy';
}

/**
 * Validation accuracy over learning rate (rows, largest on top) x regularization strength
 * (columns) as a heat map with the accuracy in each cell; diverged runs are gray, and the best
 * point is outlined.
 */
export function gridSearchSvg(points: GridPoint[], options?: GridSearchPlotOptions | null): string {
  checkGridPoints(points);
  const opts = checkOptions(options, 'options', ['title', 'metric']);
  const metric = opts.metric ?? 'valAccuracy';
  if (metric !== 'valAccuracy' && metric !== 'trainAccuracy') throw new ArgumentRangeError(`Expected metric to be 'valAccuracy' or 'trainAccuracy', got ${JSON.stringify(metric)}`);
  const title = stringOption(opts.title, 'title', 'Learning rate and regularization');
  const lrs = [...new Set(points.map((p) => p.learningRate))].sort((a, b) => b - a);
  const regs = [...new Set(points.map((p) => p.reg))].sort((a, b) => a - b);
  const diverged = (p: GridPoint) => !Number.isFinite(p.finalLoss);
  const live = points.filter((p) => !diverged(p));
  let best: GridPoint | undefined;
  for (const p of live) if (best === undefined || p[metric] > best[metric]) best = p;
  const accs = extent(live.map((p) => p[metric]));
  const aMin = live.length ? accs.min : 0, aMax = live.length ? accs.max : 1;
  const label = metric === 'valAccuracy' ? 'validation accuracy' : 'training accuracy';
  const subtitle = best ? `${label} · best: lr ${formatNumber(best.learningRate)}, reg ${formatNumber(best.reg)} → ${pct(best[metric])}` : `${label} · every run diverged`;

  const cw = Math.max(52, Math.min(84, Math.floor(460 / regs.length))), chh = Math.max(30, Math.min(44, Math.floor(300 / lrs.length)));
  const lrLabels = lrs.map(formatNumber), regLabels = regs.map(formatNumber);
  const left = 34 + extent(lrLabels.map((l) => textWidth(l, 11))).max + 10, top = 66;
  const gw = cw * regs.length, gh = chh * lrs.length;
  const barX = left + gw + 22;
  const width = Math.ceil(Math.max(barX + 70, textWidth(subtitle, 12) + 32, textWidth(title, 16) + 32));
  const height = top + gh + 50;
  const t = (a: number) => (aMax > aMin ? (a - aMin) / (aMax - aMin) : 1);

  let s = svgOpen(width, height, title) + heading(16, title, subtitle);
  s += `<g font-size="11" text-anchor="middle">`;
  for (const p of points) {
    const i = lrs.indexOf(p.learningRate), j = regs.indexOf(p.reg);
    const x = left + j * cw, y = top + i * chh;
    const tip = `lr ${formatNumber(p.learningRate)}, reg ${formatNumber(p.reg)}: ${diverged(p) ? 'diverged' : `val ${pct(p.valAccuracy, 2)}, train ${pct(p.trainAccuracy, 2)}, final loss ${formatNumber(p.finalLoss)}`}`;
    if (diverged(p)) {
      s += `<rect class="cell" x="${x}" y="${y}" width="${cw}" height="${chh}" fill="#f3f4f6" stroke="#ffffff" stroke-width="2"><title>${escapeXml(tip)}</title></rect>`;
      s += text(x + cw / 2, y + chh / 2 + 4, 'diverged', { fill: MUTED, 'font-style': 'italic', 'font-size': 10 });
    } else {
      const tt = t(p[metric]);
      s += `<rect class="cell" x="${x}" y="${y}" width="${cw}" height="${chh}" fill="${ramp(VIRIDIS, tt)}" stroke="#ffffff" stroke-width="2"><title>${escapeXml(tip)}</title></rect>`;
      s += text(x + cw / 2, y + chh / 2 + 4, pct(p[metric]), { fill: tt > 0.55 ? INK : '#ffffff', ...(p === best ? { 'font-weight': 700 } : {}) });
    }
  }
  s += `</g>`;
  if (best) {
    const x = left + regs.indexOf(best.reg) * cw, y = top + lrs.indexOf(best.learningRate) * chh;
    s += `<rect class="best" x="${x + 1.5}" y="${y + 1.5}" width="${cw - 3}" height="${chh - 3}" fill="none" stroke="${HIGHLIGHT}" stroke-width="3" rx="2"/>`;
  }
  s += `<g font-size="11" fill="${INK}">`;
  lrLabels.forEach((l, i) => { s += text(left - 8, top + i * chh + chh / 2 + 4, l, { 'text-anchor': 'end' }); });
  regLabels.forEach((l, j) => { s += text(left + j * cw + cw / 2, top + gh + 16, l, { 'text-anchor': 'middle' }); });
  s += `</g>`;
  s += text(14, top + gh / 2, 'learning rate', { 'font-size': 12, fill: MUTED, 'text-anchor': 'middle', transform: `rotate(-90 14 ${r1(top + gh / 2)})` });
  s += text(left + gw / 2, top + gh + 38, 'regularization strength', { 'font-size': 12, fill: MUTED, 'text-anchor': 'middle' });
  // color bar
  const steps = 24, bh = Math.max(60, gh);
  s += `<g>`;
  for (let k = 0; k < steps; k++) s += `<rect x="${barX}" y="${r1(top + (k * bh) / steps)}" width="12" height="${r1(bh / steps + 0.6)}" fill="${ramp(VIRIDIS, 1 - k / (steps - 1))}"/>`;
  s += `</g><g font-size="10" fill="${MUTED}">` + text(barX + 17, top + 8, pct(aMax)) + text(barX + 17, top + bh, pct(aMin)) + `</g>`;
  return s + '</svg>';
}

/** A non-empty list of grid points: finite learningRate and reg, accuracies in [0, 1], finalLoss a number (NaN: diverged). */
function checkGridPoints(points: unknown): void {
  if (!Array.isArray(points)) throw new ArgumentTypeError(`Expected points to be a non-empty list of grid points, got ${describe(points)}`);
  if (points.length === 0) throw new ArgumentRangeError('Expected points to be a non-empty list of grid points, got []');
  points.forEach((p: unknown, i) => {
    const name = `points[${i}]`;
    checkObject(p, name, 'a grid point { learningRate, reg, trainAccuracy, valAccuracy, finalLoss }');
    const { learningRate, reg, trainAccuracy, valAccuracy, finalLoss } = p as Record<keyof GridPoint, unknown>;
    checkNumber(learningRate, `${name}.learningRate`);
    checkNumber(reg, `${name}.reg`);
    checkNumber(trainAccuracy, `${name}.trainAccuracy`, 0, 1);
    checkNumber(valAccuracy, `${name}.valAccuracy`, 0, 1);
    if (typeof finalLoss !== 'number') throw new ArgumentTypeError(`Expected ${name}.finalLoss to be a number (NaN for a diverged run), got ${describe(finalLoss)}`);
  });
}

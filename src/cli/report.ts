// The HTML report of `simdclass demo` (Node only): index.html plus SVG plots and PNG images in
// assets/, referenced by relative paths so that the folder opens from disk with no network.
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { encode } from 'fast-png';
import type { SearchStats } from '../knn.js';
import { formatShare, searchSteps } from '../search-stats.js';
import type { GridPoint, KnnCrossValidation } from '../selection.js';
import type { GridWidening } from './grid.js';
import {
  confusionMatrixSvg, cvPlotSvg, escapeXml, formatNumber, gridSearchSvg, lossCurvesSvg, upscaleImage, type RgbaImage,
} from '../visualize.js';

/** One evaluated model: a row of the results table, its confusion matrix and (linear models) its templates. */
export interface ReportModel {
  name: string;
  hyperparameters: Record<string, string | number>;
  /** Accuracy on the validation split or the cross-validation mean that chose the hyperparameters. */
  valAccuracy?: number;
  /** How valAccuracy was measured ("5-fold cross-validation mean", "validation split ..."). */
  selection?: string;
  testAccuracy: number;
  trainMs: number;
  predictMs: number;
  /** C x C counts, row = true label, column = predicted (metrics.confusionMatrix). */
  confusion: Int32Array;
  /** One image per class (visualize.weightImages). */
  weights?: RgbaImage[];
  /** kNN: how its test-set predictions searched (KNearestNeighbor.lastStats, with the library's reason for the algorithm). */
  search?: SearchStats;
}

/** Everything the demo report shows: plain data, no models. */
export interface DemoReport {
  title: string;
  datasetName: string;
  /** [height, width, channels] */
  shape: readonly [number, number, number];
  classNames: string[];
  nTrain: number;
  nTest: number;
  machine: { cpu: string; cores: number; node: string; build: string };
  /** ISO 8601 time of the run. */
  createdAt: string;
  models: ReportModel[];
  cv?: { l1?: KnnCrossValidation; l2?: KnnCrossValidation };
  grids?: ReportGrid[];
  lossCurves?: { label: string; values: number[] }[];
  /** Test images with the chosen model's predictions; `model` names that model in the caption. */
  samples?: { images: RgbaImage[]; predicted: number[]; truth: number[]; model?: string };
}

/** A learning rate x regularization search on the validation split, and how it was widened at its edges. */
export interface ReportGrid {
  loss: string;
  points: GridPoint[];
  widenings?: GridWidening[];
  /** The best cell was still on an edge when the (bounded) widening stopped. */
  stillOnEdge?: boolean;
}

/**
 * The lecture's rule for the model to keep: the highest validation accuracy (the test set chooses
 * nothing). Returns its index, the first on a tie, or -1 when no model has a validation score.
 */
export function chooseModel(models: readonly Pick<ReportModel, 'valAccuracy'>[]): number {
  let best = -1;
  models.forEach((m, i) => {
    if (m.valAccuracy !== undefined && Number.isFinite(m.valAccuracy) && (best < 0 || m.valAccuracy > models[best]!.valAccuracy!)) best = i;
  });
  return best;
}

/** A duration for people: 420 µs, 3.14 ms, 12.3 ms, 456 ms, 1.23 s, 12.3 s, 2 min 05 s. */
export function formatMs(ms: number): string {
  if (!Number.isFinite(ms) || ms < 0) return '–';
  if (ms < 1) return `${Number((ms * 1000).toPrecision(3))} µs`;
  if (ms < 10) return `${ms.toFixed(2)} ms`;
  if (ms < 100) return `${ms.toFixed(1)} ms`;
  if (ms < 1000) return `${ms.toFixed(0)} ms`;
  if (ms < 10_000) return `${(ms / 1000).toFixed(2)} s`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)} s`;
  const s = Math.round(ms / 1000);
  return `${Math.floor(s / 60)} min ${String(s % 60).padStart(2, '0')} s`;
}

// ---- kNN search statistics -------------------------------------------------------------------

/** Short, for a status line: "pyramid: 100% → 7% → 3% → 3.1% exact distances" or "brute force: 18,000 exact distances". */
export function searchNote(stats: SearchStats): string {
  if (stats.algorithm === 'pyramid') return `pyramid: ${searchSteps(stats).map((step) => formatShare(step.share)).join(' → ')} exact distances`;
  return `brute force: ${int(stats.exact)} exact distances`;
}

/** The search in one sentence: the work, its share of brute force's, and why this algorithm (lastStats.reason, the library's words). */
export function searchSummary(stats: SearchStats): string {
  const pairs = stats.queries * stats.rows;
  const work = `${int(stats.queries)} test ${stats.queries === 1 ? 'image' : 'images'} × ${int(stats.rows)} training rows`;
  if (stats.algorithm === 'pyramid') {
    const fewer = stats.exact > 0 ? `, ${Number((pairs / stats.exact).toPrecision(3))}× fewer` : '';
    return `Pyramid search: ${int(stats.exact)} exact distances for ${work}, ${formatShare(stats.exact / pairs)} of the ${int(pairs)} that brute force computes${fewer}; the same neighbours${stats.reason ? `; chosen because: ${stats.reason}` : ''}.`;
  }
  return `Brute force: ${int(stats.exact)} exact distances (${work}, every pair)${stats.reason ? `: ${stats.reason}` : ''}.`;
}

/** A card: the funnel as horizontal bars (share of all pairs, with the counts) and the sentence under it. */
function searchCard(name: string, stats: SearchStats): string {
  const steps = searchSteps(stats).map((step) => {
    const width = Number.isFinite(step.share) ? Math.max(0, Math.min(1, step.share)) * 100 : 0;
    return `<li data-count="${step.count}"><span class="what">${esc(step.label)}</span><span class="track"><span style="width:${width.toFixed(2)}%"></span></span>` +
      `<span class="val"><b>${formatShare(step.share)}</b> ${int(step.count)}</span></li>`;
  }).join('');
  const algorithm = stats.algorithm === 'pyramid' ? 'pyramid' : 'brute force';
  return `<div class="card search" data-algorithm="${stats.algorithm}" data-queries="${stats.queries}" data-rows="${stats.rows}" data-exact="${stats.exact}">` +
    `<h3>${esc(name)} <span class="chip">${algorithm}</span></h3>` +
    `<ol class="funnel" aria-label="${esc(`share of the ${int(stats.queries * stats.rows)} (test image, training row) pairs reaching each step`)}">${steps}</ol>` +
    `<p class="note search-line">${esc(searchSummary(stats))}</p></div>`;
}

const pct = (v: number | undefined, digits = 2) => (v === undefined || !Number.isFinite(v) ? '–' : `${(v * 100).toFixed(digits)}%`);
const int = (n: number) => n.toLocaleString('en-US');
const esc = escapeXml;

function slug(name: string, taken: Set<string>): string {
  const base = name.toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-+|-+$/g, '') || 'model';
  let s = base;
  for (let i = 2; taken.has(s); i++) s = `${base}-${i}`;
  taken.add(s);
  return s;
}

function when(createdAt: string): string {
  const d = new Date(createdAt);
  if (Number.isNaN(d.getTime())) return createdAt;
  return `${d.toISOString().slice(0, 16).replace('T', ' ')} UTC`;
}

/** Under a grid plot: how the grid was widened at its edges, in words. */
function wideningNote(g: ReportGrid): string {
  const w = g.widenings ?? [];
  if (!w.length && !g.stillOnEdge) return '';
  const axis = (a: string) => (a === 'learningRate' ? 'learning rate' : 'regularization');
  const steps = w.map((s) => `${s.direction} ${axis(s.axis)} ${formatNumber(s.value)} (best was lr ${formatNumber(s.from.learningRate)}, reg ${formatNumber(s.from.reg)})`);
  const text = w.length
    ? `The best cell was on the grid's edge, so the grid was widened and searched again: ${steps.join('; ')}.`
    : '';
  const still = g.stillOnEdge ? ' The best cell is still on an edge: the widening stops after a few rounds or at the bounds of sensible values.' : '';
  return `<p class="note">${esc(text)}${esc(still)}</p>`;
}

const CSS = `
:root { --ink:#1f2937; --muted:#6b7280; --line:#e5e7eb; --bg:#f4f5f7; --card:#ffffff; --accent:#2563eb; --accent-soft:#eff6ff; --good:#15803d; --bad:#dc2626; }
* { box-sizing: border-box; }
html { -webkit-text-size-adjust: 100%; }
body { margin: 0; background: var(--bg); color: var(--ink); font: 15px/1.55 system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif; }
main { max-width: 1180px; margin: 0 auto; padding: 36px 24px 72px; }
header.top { display: flex; flex-wrap: wrap; align-items: flex-end; justify-content: space-between; gap: 8px 24px; margin-bottom: 20px; }
h1 { font-size: 30px; line-height: 1.2; margin: 0; letter-spacing: -0.015em; }
.subtitle { color: var(--muted); margin: 4px 0 0; font-size: 16px; }
.meta { color: var(--muted); font-size: 13px; text-align: right; }
.meta b { color: var(--ink); font-weight: 600; }
nav { display: flex; flex-wrap: wrap; gap: 6px 18px; font-size: 14px; margin: 0 0 20px; padding: 10px 0; border-top: 1px solid var(--line); border-bottom: 1px solid var(--line); }
nav a { color: var(--accent); text-decoration: none; }
nav a:hover { text-decoration: underline; }
h2 { font-size: 21px; margin: 44px 0 2px; letter-spacing: -0.01em; }
h3 { font-size: 16px; margin: 0 0 10px; }
p.lead { color: var(--muted); margin: 0 0 16px; max-width: 820px; }
.card { background: var(--card); border: 1px solid var(--line); border-radius: 12px; padding: 16px; box-shadow: 0 1px 2px rgba(16, 24, 40, .04); }
.cards { display: grid; gap: 16px; grid-template-columns: repeat(auto-fit, minmax(min(460px, 100%), 1fr)); align-items: stretch; }
.cards > * { min-width: 0; }
.stack > * + * { margin-top: 16px; }
img.plot { display: block; max-width: 100%; height: auto; margin: 0 auto; }
.kpis { display: grid; gap: 12px; grid-template-columns: repeat(auto-fit, minmax(min(200px, 100%), 1fr)); margin-bottom: 16px; }
.kpi .label { color: var(--muted); font-size: 12px; text-transform: uppercase; letter-spacing: .06em; }
.kpi .value { font-size: 26px; font-weight: 650; letter-spacing: -0.01em; line-height: 1.25; }
.kpi .note { color: var(--muted); font-size: 13px; }
table { width: 100%; border-collapse: collapse; font-size: 14px; }
th { text-align: left; font-weight: 600; color: var(--muted); font-size: 12px; text-transform: uppercase; letter-spacing: .05em; padding: 8px 10px; border-bottom: 1px solid var(--line); }
td { padding: 10px; border-bottom: 1px solid var(--line); vertical-align: middle; }
tr:last-child td { border-bottom: 0; }
td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
td .sub { display: block; color: var(--muted); font-size: 12px; }
tr.best td { background: var(--accent-soft); }
tr.best td:first-child { box-shadow: inset 3px 0 0 var(--accent); }
.badge { display: inline-block; margin-left: 6px; padding: 1px 7px; border-radius: 999px; background: var(--accent); color: #fff; font-size: 11px; font-weight: 600; vertical-align: 1px; }
.chip { display: inline-block; margin: 1px 4px 1px 0; padding: 1px 7px; border-radius: 6px; background: #f3f4f6; color: #374151; font-size: 12px; font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; white-space: nowrap; }
.bar { height: 4px; border-radius: 2px; background: #e5e7eb; margin-top: 4px; overflow: hidden; min-width: 80px; }
.bar > span { display: block; height: 100%; background: var(--accent); }
.templates { display: grid; gap: 14px 12px; grid-template-columns: repeat(auto-fill, minmax(96px, 1fr)); }
figure { margin: 0; text-align: center; }
figcaption { font-size: 13px; margin-top: 4px; line-height: 1.3; overflow-wrap: anywhere; }
img.pixels { image-rendering: pixelated; image-rendering: crisp-edges; border-radius: 6px; width: 100%; max-width: 128px; height: auto; background: #000; }
.samples { display: grid; gap: 14px 10px; grid-template-columns: repeat(auto-fill, minmax(92px, 1fr)); }
.samples img.pixels { max-width: 84px; border: 3px solid transparent; border-radius: 8px; }
.samples figure.wrong img.pixels { border-color: var(--bad); }
.samples .pred { font-weight: 600; }
.samples figure.right .pred { color: var(--good); }
.samples figure.wrong .pred { color: var(--bad); }
.samples .truth { display: block; color: var(--muted); font-size: 12px; }
.legend { color: var(--muted); font-size: 13px; margin: 0 0 12px; }
.legend .swatch { display: inline-block; width: 10px; height: 10px; border-radius: 2px; vertical-align: -1px; margin: 0 4px 0 10px; }
p.note { color: var(--muted); font-size: 13px; margin: 10px 4px 0; }
.card.search h3 .chip { vertical-align: 1px; margin-left: 4px; }
ol.funnel { list-style: none; margin: 0; padding: 0; display: grid; grid-template-columns: max-content minmax(60px, 1fr) max-content; align-items: center; gap: 10px 12px; font-size: 14px; }
ol.funnel li { display: contents; }
ol.funnel .what { color: var(--muted); }
ol.funnel .track { display: block; height: 14px; border-radius: 3px; background: #f3f4f6; overflow: hidden; }
ol.funnel .track > span { display: block; height: 100%; min-width: 2px; background: var(--accent); }
ol.funnel li:last-child .track > span { background: var(--good); }
ol.funnel .val { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; color: var(--muted); }
ol.funnel .val b { color: var(--ink); }
.table-card { overflow-x: auto; }
/* Phones: one column, and the results table as one card per model with the column names as labels. */
@media (max-width: 720px) {
  main { padding: 20px 12px 48px; }
  h1 { font-size: 24px; }
  h2 { margin-top: 32px; }
  .meta { text-align: left; }
  .card { padding: 12px; }
  .kpi .value { font-size: 21px; }
  table.results thead { display: none; }
  table.results, table.results tbody, table.results tr, table.results td { display: block; width: 100%; }
  table.results tr { padding: 8px 0; border-bottom: 1px solid var(--line); }
  table.results tr:last-child { border-bottom: 0; }
  table.results td { display: flex; flex-wrap: wrap; justify-content: flex-end; align-items: baseline; gap: 4px 6px; padding: 4px 8px; border: 0; text-align: right; white-space: normal; }
  table.results td::before { content: attr(data-label); margin-right: auto; padding-right: 8px; color: var(--muted); font-size: 12px; text-transform: uppercase; letter-spacing: .05em; text-align: left; }
  table.results td .chip { margin: 0; }
  .kpis { grid-template-columns: repeat(2, minmax(0, 1fr)); gap: 10px; }
  table.results td:first-child { font-size: 16px; justify-content: flex-start; }
  table.results td:first-child::before { content: none; }
  table.results td .sub { width: 100%; }
  table.results td .bar { width: 100%; }
  ol.funnel { grid-template-columns: minmax(0, 1fr); }
  ol.funnel li { display: grid; grid-template-columns: minmax(0, 1fr) auto; gap: 4px 12px; }
  ol.funnel .track { grid-column: 1 / -1; grid-row: 2; }
  tr.best td:first-child { box-shadow: none; }
  table.results tr.best { box-shadow: inset 3px 0 0 var(--accent); background: var(--accent-soft); border-radius: 6px; }
  table.results tr.best td { background: transparent; }
}
footer { margin-top: 56px; color: var(--muted); font-size: 13px; border-top: 1px solid var(--line); padding-top: 14px; }
`;

/**
 * Writes `dir/index.html` and its pictures in `dir/assets/` (SVG plots; PNG weight templates and
 * sample images, upscaled with nearest neighbours) and returns the paths written (index first).
 */
export async function writeReport(dir: string, report: DemoReport): Promise<{ indexPath: string; files: string[] }> {
  const assets = join(dir, 'assets');
  await mkdir(assets, { recursive: true });
  const files: string[] = [];
  const indexPath = join(dir, 'index.html');
  files.push(indexPath);
  const put = async (name: string, content: string | Uint8Array): Promise<string> => {
    await writeFile(join(assets, name), content);
    files.push(join(assets, name));
    return `assets/${name}`;
  };
  const png = (image: RgbaImage, factor: number) => {
    const big = upscaleImage(image, factor);
    return encode({ width: big.width, height: big.height, data: big.data, channels: 4, depth: 8 });
  };
  const { classNames, shape } = report;
  const [h, w, c] = shape;
  const side = Math.max(h, w);
  const templateScale = Math.max(1, Math.min(16, Math.ceil(112 / side)));
  const sampleScale = Math.max(1, Math.min(16, Math.ceil(84 / side)));
  const taken = new Set<string>();
  const models = report.models.map((m) => ({ ...m, slug: slug(m.name, taken) }));
  const className = (i: number) => classNames[i] ?? String(i);

  // ---- results -----------------------------------------------------------------------------
  const bestIndex = chooseModel(models);
  const best = models[bestIndex];
  const sections: { id: string; title: string; html: string }[] = [];

  const rows = models.map((m, i) => {
    const hp = Object.entries(m.hyperparameters).map(([k, v]) => `<span class="chip">${esc(k)}=${esc(typeof v === 'number' ? formatNumber(v) : v)}</span>`).join('');
    const perImage = report.nTest > 0 ? `<span class="sub">${formatMs(m.predictMs / report.nTest)} / image</span>` : '';
    const how = m.selection ? `<span class="sub">${esc(m.selection)}</span>` : '';
    return `<tr${i === bestIndex ? ' class="best"' : ''}><td data-label="Model"><b>${esc(m.name)}</b>${i === bestIndex ? '<span class="badge">chosen</span>' : ''}</td><td data-label="Hyperparameters">${hp}</td>` +
      `<td class="num" data-label="Validation">${pct(m.valAccuracy)}${how}</td>` +
      `<td class="num" data-label="Test"><b>${pct(m.testAccuracy)}</b><div class="bar"><span style="width:${(Math.max(0, Math.min(1, m.testAccuracy)) * 100).toFixed(1)}%"></span></div></td>` +
      `<td class="num" data-label="Train time">${formatMs(m.trainMs)}</td><td class="num" data-label="Predict time">${formatMs(m.predictMs)}${perImage}</td></tr>`;
  }).join('\n');
  const chance = classNames.length > 0 ? 1 / classNames.length : undefined;
  const kpis = [
    ['Chosen model', best ? esc(best.name) : '–', best ? `${pct(best.valAccuracy, 1)} validation · ${pct(best.testAccuracy, 1)} test` : 'no validation scores'],
    ['Models compared', String(models.length), esc(models.map((m) => m.name).join(' · '))],
    ['Images', `${int(report.nTrain)} / ${int(report.nTest)}`, 'training / test'],
    ['Chance level', pct(chance, 1), `${classNames.length} classes`],
  ].map(([label, value, note]) => `<div class="card kpi"><div class="label">${label}</div><div class="value">${value}</div><div class="note">${note}</div></div>`).join('');
  sections.push({
    id: 'results', title: 'Results',
    html: `<p class="lead">As in the lecture, hyperparameters are chosen on validation data only: k by cross-validation on the training set (for each distance), learning rate and regularization on a held-out validation split. The model to keep is the one with the highest validation accuracy${best ? ` (${esc(best.name)}, marked <i>chosen</i>)` : ''}; the test set was used once per model, at the end, and chose nothing.</p><div class="kpis">${kpis}</div><div class="card table-card"><table class="results"><thead><tr><th>Model</th><th>Hyperparameters</th><th class="num">Validation</th><th class="num">Test</th><th class="num">Train time</th><th class="num">Predict time</th></tr></thead><tbody>\n${rows}\n</tbody></table></div>`,
  });

  // ---- choosing k --------------------------------------------------------------------------
  const cvCards: string[] = [];
  for (const metric of ['l1', 'l2'] as const) {
    const cv = report.cv?.[metric];
    if (!cv) continue;
    const src = await put(`cv-${metric}.svg`, cvPlotSvg(cv, { title: `Cross-validation on k (${metric.toUpperCase()})`, metric, width: 520, height: 370 }));
    cvCards.push(`<div class="card"><img class="plot" src="${src}" alt="${esc(`cross-validation accuracy vs k, ${metric.toUpperCase()} distance, best k = ${cv.bestK}`)}"></div>`);
  }
  if (cvCards.length) {
    const folds = report.cv?.l1?.folds ?? report.cv?.l2?.folds;
    sections.push({
      id: 'choosing-k', title: 'Choosing k',
      html: `<p class="lead">${folds}-fold cross-validation on the training set, for each distance: each dot is the accuracy on one held-out fold, the line joins the means and the bars show one standard deviation. The highlighted k has the best mean; for each distance that k is the kNN model evaluated on the test set in the results table.</p><div class="cards">${cvCards.join('')}</div>`,
    });
  }

  // ---- how kNN searched ------------------------------------------------------------------------
  const searchCards = models.flatMap((m) => (m.search ? [searchCard(m.name, m.search)] : []));
  if (searchCards.length) {
    sections.push({
      id: 'knn-search', title: 'How kNN searched',
      html: `<p class="lead">The test-set predictions of each kNN model. Brute force computes the distance of every (test image, training row) pair. The pyramid search (u8 images, L1 or L2) bounds groups of 8 similar training rows from sums of pixel blocks, then the rows of the groups still within reach, refines with smaller blocks only the pairs whose bound can still beat the k-th nearest distance found so far, and computes exact distances for the rest: the same neighbours, ties included. Each bar is the share of all pairs that reached that step, and the line under the bars ends with why that algorithm ran, in the library's words (<code>lastStats.reason</code>).</p><div class="cards">${searchCards.join('')}</div>`,
    });
  }

  // ---- choosing learning rate and regularization ---------------------------------------------
  const gridCards: string[] = [];
  const gridSlugs = new Set<string>();
  for (const [i, g] of (report.grids ?? []).entries()) {
    if (!g.points.length) continue;
    const name = g.loss === 'svm' ? 'Linear SVM' : g.loss === 'softmax' ? 'Softmax' : g.loss;
    const src = await put(`grid-${slug(g.loss, gridSlugs)}.svg`, gridSearchSvg(g.points, { title: `${name}: learning rate × regularization` }));
    gridCards.push(`<div class="card"><img class="plot" src="${src}" alt="${esc(`${name} grid search ${i + 1}`)}">${wideningNote(g)}</div>`);
  }
  let lossHtml = '';
  if (report.lossCurves?.length) {
    const src = await put('loss-curves.svg', lossCurvesSvg(report.lossCurves, { title: 'Training loss of the final models', width: 1000, height: 400 }));
    lossHtml = `<div class="card" style="margin-top:16px"><img class="plot" src="${src}" alt="training loss curves"></div>`;
  }
  if (gridCards.length || lossHtml) {
    sections.push({
      id: 'choosing-lr-reg', title: 'Choosing learning rate and regularization',
      html: `<p class="lead">Each cell is a model trained by minibatch SGD on part of the training set and scored on a held-out validation split; the outlined cell was kept and retrained on all training images. When the best cell lies on the grid's edge, the grid is widened in that direction and searched again (at most a few times), so the kept values are not just the border of the range tried.</p>${gridCards.length ? `<div class="cards">${gridCards.join('')}</div>` : ''}${lossHtml}`,
    });
  }

  // ---- weight templates ----------------------------------------------------------------------
  const templateCards: string[] = [];
  for (const m of models) {
    if (!m.weights?.length) continue;
    const figs: string[] = [];
    for (const [j, img] of m.weights.entries()) {
      const src = await put(`weights-${m.slug}-${j}.png`, png(img, templateScale));
      figs.push(`<figure><img class="pixels" src="${src}" width="${img.width * templateScale}" height="${img.height * templateScale}" alt="${esc(`${m.name} template for ${className(j)}`)}"><figcaption>${esc(className(j))}</figcaption></figure>`);
    }
    templateCards.push(`<div class="card"><h3>${esc(m.name)}</h3><div class="templates">${figs.join('')}</div></div>`);
  }
  if (templateCards.length) {
    sections.push({
      id: 'templates', title: 'What the linear models learned',
      html: `<p class="lead">Each class score is a dot product of the image with one row of weights, so the weights can be viewed as an image: one template per class, ${c === 1 ? 'bright where the class likes ink' : 'in the colors the class prefers'}, rescaled per class to 0..255.</p><div class="stack">${templateCards.join('')}</div>`,
    });
  }

  // ---- confusion matrices --------------------------------------------------------------------
  const cmCards: string[] = [];
  for (const m of models) {
    if (!m.confusion?.length) continue;
    const src = await put(`confusion-${m.slug}.svg`, confusionMatrixSvg(m.confusion, classNames, { title: m.name }));
    cmCards.push(`<div class="card"><img class="plot" src="${src}" alt="${esc(`confusion matrix of ${m.name}`)}"></div>`);
  }
  if (cmCards.length) {
    sections.push({
      id: 'confusion', title: 'Where they go wrong',
      html: `<p class="legend">Test set; row = true class, column = predicted. Color shows the share of the row:<span class="swatch" style="background:#2563eb"></span>correct<span class="swatch" style="background:#dc2626"></span>confused.</p><div class="cards">${cmCards.join('')}</div>`,
    });
  }

  // ---- sample predictions --------------------------------------------------------------------
  const samples = report.samples;
  if (samples?.images.length) {
    const figs: string[] = [];
    let wrong = 0;
    for (const [i, img] of samples.images.entries()) {
      const p = samples.predicted[i]!, t = samples.truth[i]!;
      const ok = p === t;
      if (!ok) wrong++;
      const src = await put(`sample-${String(i).padStart(3, '0')}.png`, png(img, sampleScale));
      figs.push(`<figure class="${ok ? 'right' : 'wrong'}"><img class="pixels" src="${src}" width="${img.width * sampleScale}" height="${img.height * sampleScale}" alt="${esc(`test image ${i}: predicted ${className(p)}, true ${className(t)}`)}">` +
        `<figcaption><span class="pred">${ok ? '✓' : '✗'} ${esc(className(p))}</span>${ok ? '' : `<span class="truth">true: ${esc(className(t))}</span>`}</figcaption></figure>`);
    }
    sections.push({
      id: 'samples', title: 'Sample predictions',
      html: `<p class="lead">${samples.images.length} test images with ${samples.model ? `the prediction of the chosen model, ${esc(samples.model)}` : 'their predicted class'}: ${samples.images.length - wrong} right, ${wrong} wrong (outlined in red, with the true class).</p><div class="card"><div class="samples">${figs.join('')}</div></div>`,
    });
  }

  const m = report.machine;
  const html = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${esc(report.title)} · ${esc(report.datasetName)}</title>
<style>${CSS}</style>
</head>
<body>
<main>
<header class="top">
<div><h1>${esc(report.title)}</h1>
<p class="subtitle">${esc(report.datasetName)} · ${h}×${w}${c > 1 ? `×${c}` : ''} ${c === 1 ? 'grayscale' : 'color'} images · ${classNames.length} classes · ${int(report.nTrain)} training / ${int(report.nTest)} test</p></div>
<div class="meta"><b>${esc(m.cpu)}</b> · ${m.cores} cores<br>Node ${esc(m.node)} · wasm build <b>${esc(m.build)}</b><br>${esc(when(report.createdAt))}</div>
</header>
<nav>${sections.map((s) => `<a href="#${s.id}">${esc(s.title)}</a>`).join('')}</nav>
${sections.map((s) => `<section id="${s.id}">\n<h2>${esc(s.title)}</h2>\n${s.html}\n</section>`).join('\n')}
<footer>Generated by simdclass on ${esc(when(report.createdAt))}. Pictures are in <code>assets/</code>; this page needs no network.</footer>
</main>
</body>
</html>
`;
  await writeFile(indexPath, html);
  return { indexPath, files };
}

// The browser demo (demo/) in Chromium (test/chromium.mjs finds one: CHROMIUM_PATH, then the usual
// places; none: these tests are skipped with a line saying how to enable them, or fail under CI),
// driven by playwright-core: builds the demo with
// Vite, serves it with Vite's preview server (`preview()`, demo/vite.config.mjs) on an ephemeral
// loopback port, loads it headless and checks (a) init() picked a SIMD build, (b) kNN predictions
// equal the Node run on the same data, (c) the 2-D panels draw and react to their controls, (d) no
// console errors; plus panel 3's worker training, the wrong-wasm-URL error, the bundle sizes (gzip),
// threads (the page and panel 3's worker each run a pool of >= 2 workers; panel 3 predicts what Node
// predicts; requestAnimationFrame keeps firing while it predicts; a second server without COOP/COEP
// gives a page that runs on one thread, says why, and predicts the same labels), panel 3's drawing
// pad (a rectangle drawn with the mouse and picked test images: the 28 x 28 image shown is Node's
// fromImageData of the pad's pixels, the neighbours and probabilities are Node's), model files saved
// in the page and loaded in Node and the reverse,
// and the server: cross-origin isolation, data files sent as raw gzip bytes, nothing served from
// outside its root (by `..` or by a symlink), a 400 for a malformed URL. Leaves a screenshot and the
// sizes in test/.artifacts/ (git-ignored). Then the package bundled by esbuild, as README's recipe says.
import { spawnSync } from 'node:child_process';
import { copyFile, mkdir, mkdtemp, readdir, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { mulberry32 } from './helpers.mjs';
import { CHROMIUM_ARGS, withChromium } from './chromium.mjs';
import { searchSteps } from '../dist/search-stats.js';

const root = fileURLToPath(new URL('..', import.meta.url));
const artifacts = join(root, 'test', '.artifacts');
// The embedded sample the demo bundles (data/fashion-mnist-sample/), and the headers the demo's
// server must send for cross-origin isolation (demo/vite.config.mjs).
const DATA_FILES = ['train-images-idx3-ubyte.gz', 'train-labels-idx1-ubyte.gz', 't10k-images-idx3-ubyte.gz', 't10k-labels-idx1-ubyte.gz'];
const ISOLATION = { 'cross-origin-opener-policy': 'same-origin', 'cross-origin-embedder-policy': 'require-corp' };

const browser = suite('browser demo');
const { chromium: found, test: register } = withChromium(browser, 'the browser demo tests');
const CHROMIUM = found.path;
const ctx = {
  ready: false, server: null, url: null, context: null, page: null, userDataDir: null, outDir: null, outsideDir: null, consoleErrors: [], loaded: [],
  // Origins the browser may reach (the demo's server, and the second one without COOP/COEP).
  origins: [],
  // The same demo build served without the COOP/COEP headers, and its page.
  plain: { server: null, url: null, page: null, errors: [] },
};

// Setup is a test of its own (not a before hook, whose errors uvu does not print): a missing
// Chromium or a failed build is a failure with its message, never a silent pass.
register('setup: builds the demo, serves it, and loads it in Chromium', async () => {
  if (!CHROMIUM) {
    throw new Error(`Chromium not found (${found.why}): under CI the browser tests must run. ` +
      'Install it with `apt-get install -y chromium` (CI does this in .ci/run), or set CHROMIUM_PATH.');
  }
  // A private output folder: `npm run demo:web` (demo/dist) or another test run may build at the same time.
  ctx.outDir = await mkdtemp(join(tmpdir(), 'simdclass-demo-'));
  const vite = join(root, 'node_modules', 'vite', 'bin', 'vite.js');
  const build = spawnSync(process.execPath, [vite, 'build', '-c', 'demo/vite.config.mjs', '--outDir', ctx.outDir, '--emptyOutDir'], {
    cwd: root, encoding: 'utf8',
  });
  if (build.status !== 0) throw new Error(`vite build of demo/ failed:\n${build.stdout}\n${build.stderr}`);

  // The demo's own config (headers, host, appType), with this run's output folder and any free port.
  const { preview } = await import('vite');
  ctx.server = await preview({
    configFile: join(root, 'demo', 'vite.config.mjs'),
    build: { outDir: ctx.outDir },
    preview: { host: '127.0.0.1', port: 0, strictPort: true, open: false },
  });
  const address = ctx.server.httpServer.address();
  assert.is(address.address, '127.0.0.1', 'the preview server listens on loopback only');
  ctx.url = `http://127.0.0.1:${address.port}/`;
  ctx.origins.push(ctx.url);

  const { chromium } = await import('playwright-core');
  ctx.userDataDir = await mkdtemp(join(tmpdir(), 'simdclass-chromium-'));
  ctx.context = await chromium.launchPersistentContext(ctx.userDataDir, {
    executablePath: CHROMIUM, headless: true, args: CHROMIUM_ARGS,
    viewport: { width: 1280, height: 900 }, deviceScaleFactor: 1, timeout: 30_000,
  });
  // Only the loopback server: anything else would be a network access.
  await ctx.context.route('**/*', (route) => {
    const url = route.request().url();
    return ctx.origins.some((origin) => url.startsWith(origin)) || url.startsWith('data:') ? route.continue() : route.abort();
  });
  const page = ctx.page = ctx.context.pages()[0] ?? await ctx.context.newPage();
  page.on('console', (msg) => { if (msg.type() === 'error') ctx.consoleErrors.push(msg.text()); });
  page.on('pageerror', (err) => ctx.consoleErrors.push(`pageerror: ${err.message}`));
  page.on('requestfailed', (req) => ctx.consoleErrors.push(`request failed: ${req.url()} ${req.failure()?.errorText ?? ''}`));
  page.on('response', (res) => ctx.loaded.push({ url: res.url(), status: res.status(), type: res.headers()['content-type'] ?? '' }));
  await page.goto(ctx.url, { waitUntil: 'load' });
  await page.waitForFunction(() => document.body.dataset.ready === 'true' || document.querySelector('#build.error'), null, { timeout: 20_000 });
  if (await page.evaluate(() => document.body.dataset.ready) !== 'true') {
    throw new Error(`the demo did not start: ${await page.textContent('#build')}\n${ctx.consoleErrors.join('\n')}`);
  }
  ctx.ready = true;
});

/** Each later test: fails at once, pointing at the setup failure, when there is no page. */
function test(name, fn) {
  register(name, async () => {
    if (!ctx.ready) throw new Error('the browser demo could not be set up: see the failed setup test above');
    await fn();
  });
}

browser.after(async () => {
  await ctx.context?.close().catch(() => {});
  await ctx.server?.close();
  await ctx.plain.server?.close();
  for (const trained of nodeTrained.values()) {
    const models = await trained.catch(() => null);
    models?.knn.dispose();
    models?.softmax.dispose();
  }
  for (const dir of [ctx.userDataDir, ctx.outDir, ctx.outsideDir]) if (dir) await rm(dir, { recursive: true, force: true }).catch(() => {});
});

test('(a) init() picks a SIMD build, in the page and in the worker', async () => {
  const build = await ctx.page.evaluate(() => window.simdclassTest?.build);
  assert.ok(build === 'relaxed' || build === 'simd', `expected a SIMD build, got ${build}`);
  const workerBuild = await ctx.page.evaluate(() => window.simdclassTest.workerReady);
  assert.ok(workerBuild === 'relaxed' || workerBuild === 'simd', `worker: expected a SIMD build, got ${workerBuild}`);
  const chip = await ctx.page.textContent('#build');
  assert.match(chip, /SIMD/);
  const wasm = ctx.loaded.find((r) => r.url.endsWith('.wasm'));
  assert.ok(wasm, 'the page fetched a .wasm');
  assert.match(wasm.url, new RegExp(`simdclass-${build}-[\\w-]+\\.wasm$`));
  assert.is(wasm.type, 'application/wasm');
});

/** A fixed, seeded data set: 4 clusters in `cols` dimensions, u8 or f32. */
function dataset(dtype, seed, nTrain, nTest, cols) {
  const rng = mulberry32(seed);
  const centers = Array.from({ length: 4 }, () => Array.from({ length: cols }, () => rng()));
  const make = (rows) => {
    const data = [], labels = [];
    for (let i = 0; i < rows; i++) {
      const label = Math.floor(rng() * 4);
      labels.push(label);
      for (let j = 0; j < cols; j++) {
        const v = centers[label][j] + (rng() - 0.5) * 0.6;
        data.push(dtype === 'u8' ? Math.max(0, Math.min(255, Math.round(v * 255))) : (v - 0.5) * 4);
      }
    }
    return { matrix: { dtype, rows, cols, data: dtype === 'u8' ? data : Array.from(Float32Array.from(data)) }, labels };
  };
  return { train: make(nTrain), test: make(nTest) };
}

test('(b) kNN predictions in the browser equal the Node run of the same data', async () => {
  const build = await ctx.page.evaluate(() => window.simdclassTest.build);
  const node = await import('../dist/node.js');
  await node.init({ build });
  const toMatrix = (m) => ({ data: m.dtype === 'u8' ? Uint8Array.from(m.data) : Float32Array.from(m.data), rows: m.rows, cols: m.cols });
  let cases = 0;
  for (const dtype of ['u8', 'f32']) {
    const { train, test } = dataset(dtype, dtype === 'u8' ? 11 : 12, 300, 120, 48);
    for (const metric of ['l1', 'l2']) {
      for (const k of [1, 5]) {
        const web = await ctx.page.evaluate(({ train, test, k, metric }) =>
          window.simdclassTest.knnPredict(train.matrix, train.labels, test.matrix, k, metric), { train, test, k, metric });
        const knn = new node.KNearestNeighbor({ k, metric });
        await knn.train(toMatrix(train.matrix), Int32Array.from(train.labels));
        const predictions = Array.from(await knn.predict(toMatrix(test.matrix)));
        const { indices, distances } = await knn.kneighbors(toMatrix(test.matrix));
        knn.dispose();
        const what = `${dtype} ${metric} k=${k}`;
        assert.equal(web.predictions, predictions, `${what}: predictions`);
        assert.equal(web.indices, Array.from(indices), `${what}: neighbour indices`);
        assert.equal(web.distances, Array.from(distances), `${what}: distances`);
        // Not a degenerate data set: the clusters are learnable.
        const right = predictions.filter((p, i) => p === test.labels[i]).length;
        assert.ok(right / predictions.length > 0.5, `${what}: accuracy ${right}/${predictions.length}`);
        cases++;
      }
    }
  }
  assert.is(cases, 8);
});

/** Pixel statistics of a canvas: how many are not white, how many colours, and a hash. */
function canvasStats(id) {
  return ctx.page.evaluate((id) => {
    const canvas = document.getElementById(id);
    const { data } = canvas.getContext('2d').getImageData(0, 0, canvas.width, canvas.height);
    let nonWhite = 0, hash = 2166136261;
    const colors = new Set();
    for (let i = 0; i < data.length; i += 4) {
      const rgb = (data[i] << 16) | (data[i + 1] << 8) | data[i + 2];
      if (data[i + 3] > 0 && rgb !== 0xffffff) nonWhite++;
      if (colors.size < 1000) colors.add(rgb);
      hash = Math.imul(hash ^ rgb, 16777619);
    }
    return { nonWhite, pixels: data.length / 4, colors: colors.size, hash: hash >>> 0, renders: Number(canvas.dataset.renders ?? 0) };
  }, id);
}

/** Runs `action` and waits until the canvas has rendered again; returns its stats after. */
async function afterRender(id, action) {
  const before = Number(await ctx.page.getAttribute(`#${id}`, 'data-renders'));
  await action();
  await ctx.page.waitForFunction(({ id, before }) => Number(document.getElementById(id).dataset.renders) > before, { id, before }, { timeout: 10_000 });
  return canvasStats(id);
}

const setRange = (id, value) => ctx.page.evaluate(({ id, value }) => {
  const input = document.getElementById(id);
  input.value = String(value);
  input.dispatchEvent(new Event('input', { bubbles: true }));
}, { id, value });

test('(c) the kNN panel paints regions and reacts to k, the distance and the class count', async () => {
  await ctx.page.waitForFunction(() => Number(document.getElementById('knn-canvas').dataset.renders) > 0);
  const start = await canvasStats('knn-canvas');
  assert.ok(start.nonWhite > start.pixels * 0.9, `kNN canvas mostly painted (${start.nonWhite}/${start.pixels})`);
  assert.ok(start.colors >= 3, `several colours (${start.colors})`);
  const k7 = await afterRender('knn-canvas', () => setRange('knn-k', 7));
  assert.is.not(k7.hash, start.hash, 'k = 7 changes the picture');
  assert.match(await ctx.page.textContent('#knn-stats'), /k = 7, L2/);
  const l1 = await afterRender('knn-canvas', () => ctx.page.check('input[name="knn-metric"][value="l1"]'));
  assert.is.not(l1.hash, k7.hash, 'L1 changes the picture');
  assert.match(await ctx.page.textContent('#knn-stats'), /k = 7, L1/);
  const five = await afterRender('knn-canvas', () => ctx.page.check('input[name="knn-classes"][value="5"]'));
  assert.is.not(five.hash, l1.hash, '5 classes change the picture');
  assert.match(await ctx.page.textContent('#knn-stats'), /^40 training points/);
  // Under the stats, the main plot's search: brute force over 200 x 200 queries and the 40 points (f32 2-D, no pyramid),
  // and why: the reason of a search in Node with the page's settings on 40 f32 2-D points (it depends on those, not on the points).
  const node = await import('../dist/node.js');
  await node.init({ build: await ctx.page.evaluate(() => window.simdclassTest.build) });
  const knn2d = new node.KNearestNeighbor({ k: 7, metric: 'l1' });
  let reason;
  try {
    await knn2d.train({ data: Float32Array.from({ length: 80 }, (_, i) => i), rows: 40, cols: 2 }, Int32Array.from({ length: 40 }, (_, i) => i % 5));
    await knn2d.kneighbors({ data: new Float32Array(2), rows: 1, cols: 2 });
    reason = knn2d.lastStats.reason;
  } finally {
    knn2d.dispose();
  }
  const search = await searchShown(ctx.page, 'knn-search');
  checkSearchShown(search, { algorithm: 'brute', reason, queries: 200 * 200, rows: 40, levels: [], exact: 200 * 200 * 40 }, 'panel 1');
  assert.ok(search.line.startsWith(`brute force ${fmt(200 * 200 * 40)} exact distances (40,000 queries × 40 points, every pair): `), search.line);
  // Back to the starting settings: the same picture again (deterministic points).
  await afterRender('knn-canvas', () => ctx.page.check('input[name="knn-classes"][value="3"]'));
  await afterRender('knn-canvas', () => ctx.page.check('input[name="knn-metric"][value="l2"]'));
  const back = await afterRender('knn-canvas', () => setRange('knn-k', 1));
  assert.is(back.hash, start.hash, 'same settings, same picture');
});

test('(c) the lecture\'s k = 1 vs k = 5: the same points, white where the 5 votes tie, and a caption', async () => {
  const stats = async (id) => ({ ...(await canvasStats(id)), ties: Number(await ctx.page.getAttribute(`#${id}`, 'data-ties')) });
  const k1 = await stats('knn-k1'), k5 = await stats('knn-k5');
  assert.is(k1.ties, 0, 'k = 1 never ties (no two points at one distance here)');
  assert.ok(k5.ties > 0, `k = 5 ties somewhere among three classes (${k5.ties} cells)`);
  assert.ok(k5.nonWhite < k1.nonWhite, `the tie cells are white: ${k5.nonWhite} vs ${k1.nonWhite} non-white pixels`);
  assert.is.not(k1.hash, k5.hash);
  // The main plot at k = 5 is the right-hand picture, scaled: as many tie cells per area.
  await afterRender('knn-canvas', () => setRange('knn-k', 5));
  const mainTies = Number(await ctx.page.getAttribute('#knn-canvas', 'data-ties'));
  assert.ok(Math.abs(mainTies / 4 - k5.ties) <= Math.max(30, k5.ties * 0.3), `main ${mainTies} cells (200 x 200) vs ${k5.ties} (98 x 98)`);
  await afterRender('knn-canvas', () => setRange('knn-k', 1));
  const caption = await ctx.page.textContent('#knn-compare-caption');
  assert.match(caption, /k = 1/);
  assert.match(caption, /k = 5/);
  assert.match(caption, /White/);
});

test('(c) the three hard cases: the same points in both panels; kNN gets them right, the linear classifier cannot', async () => {
  const select = (id, value) => ctx.page.selectOption(`#${id}`, value);
  const value = (text) => Number(/loss ([\d.]+)/.exec(text)[1]);
  for (const preset of ['quadrants', 'ring', 'modes']) {
    await afterRender('knn-canvas', () => select('knn-preset', preset));
    await afterRender('lin-canvas', () => select('lin-preset', preset));
    const knnPoints = await ctx.page.evaluate(() => window.simdclassTest.points.knn());
    const linPoints = await ctx.page.evaluate(() => window.simdclassTest.points.linear());
    assert.ok(knnPoints.length >= 40, `${preset}: ${knnPoints.length} points`);
    assert.equal(knnPoints, linPoints, `${preset}: the same points in both panels`);
    assert.equal([...new Set(knnPoints.map((p) => p[2]))].sort(), [0, 1], `${preset}: two classes`);
    const loo = Number(await ctx.page.getAttribute('#knn-canvas', 'data-loo'));
    assert.ok(loo >= 0.9, `${preset}: kNN (k = 1) leave-one-out accuracy ${loo}`);
    assert.match(await ctx.page.textContent('#knn-stats'), /leave-one-out accuracy \d+%/);
    const before = value(await ctx.page.textContent('#lin-loss'));
    // 300 gradient steps (one render at the end).
    await afterRender('lin-canvas', () => ctx.page.evaluate(() => { for (let i = 0; i < 300; i++) document.getElementById('lin-step').click(); }));
    const text = await ctx.page.textContent('#lin-loss');
    assert.match(text, /^Step 300: loss/);
    assert.ok(value(text) < before, `${preset}: the SVM loss goes down (${before} -> ${value(text)})`);
    const acc = Number(await ctx.page.getAttribute('#lin-canvas', 'data-accuracy'));
    assert.ok(acc <= 0.8, `${preset}: a linear classifier cannot separate these (accuracy ${acc})`);
    assert.ok(loo - acc >= 0.15, `${preset}: kNN ${loo} well above linear ${acc}`);
    assert.match(await ctx.page.textContent('#lin-preset-caption'), /accuracy stays low/);
    assert.ok((await ctx.page.textContent('#knn-preset-caption')).length > 40, 'the kNN panel explains the preset');
    assert.is(await ctx.page.isDisabled('#knn-per-class'), true, 'points per class is for random clusters only');
    assert.is(await ctx.page.locator('#lin-weights tbody tr[data-class="2"]').isHidden(), true, 'two classes: no third row of weights');
  }
  // Back to the panels' own starting points, for the tests that follow.
  await afterRender('knn-canvas', () => select('knn-preset', 'clusters'));
  await afterRender('lin-canvas', () => select('lin-preset', 'course'));
  assert.match(await ctx.page.textContent('#lin-viewpoints'), /algebraic.*geometric.*visual/s);
});

test('(c) the linear panel paints regions, steps, and switches loss', async () => {
  const start = await canvasStats('lin-canvas');
  assert.ok(start.nonWhite > start.pixels * 0.9, `linear canvas mostly painted (${start.nonWhite}/${start.pixels})`);
  const chart = await canvasStats('lin-chart');
  assert.ok(chart.nonWhite > 0, 'loss chart drawn');
  const loss0 = await ctx.page.textContent('#lin-loss');
  assert.match(loss0, /^Step 0: loss \d/);
  let last = start;
  for (let i = 1; i <= 3; i++) last = await afterRender('lin-canvas', () => ctx.page.click('#lin-step'));
  assert.is.not(last.hash, start.hash, 'three steps move the lines');
  const loss3 = await ctx.page.textContent('#lin-loss');
  assert.match(loss3, /^Step 3: loss \d/);
  const value = (text) => Number(/loss ([\d.]+)/.exec(text)[1]);
  assert.ok(value(loss3) < value(loss0), `SVM loss goes down (${value(loss0)} -> ${value(loss3)})`);
  await afterRender('lin-canvas', () => ctx.page.check('input[name="lin-loss"][value="softmax"]'));
  const softmax = await ctx.page.textContent('#lin-loss');
  assert.match(softmax, /^Step 0: loss \d/);
  assert.is.not(value(softmax), value(loss3), 'the softmax loss differs from the SVM loss');
  const stepped = await afterRender('lin-canvas', () => ctx.page.click('#lin-step'));
  assert.is.not(stepped.hash, last.hash, 'a softmax step moves the lines');
  for (let i = 2; i <= 25; i++) await afterRender('lin-canvas', () => ctx.page.click('#lin-step'));
  const loss25 = await ctx.page.textContent('#lin-loss');
  assert.match(loss25, /^Step 25: loss \d/);
  assert.ok(value(loss25) < value(softmax), `softmax loss goes down (${value(softmax)} -> ${value(loss25)})`);
});

test('panel 3: Fashion-MNIST kNN and softmax train in the worker', async () => {
  await ctx.page.waitForFunction(() => ['done', 'error'].includes(document.getElementById('panel-images').dataset.state), null, { timeout: 60_000 });
  assert.is(await ctx.page.getAttribute('#panel-images', 'data-state'), 'done', await ctx.page.textContent('#img-status'));
  const pct = async (id) => Number((await ctx.page.textContent(id)).replace('%', ''));
  const knnAcc = await pct('#img-knn-acc'), smAcc = await pct('#img-sm-acc');
  assert.ok(knnAcc > 70 && knnAcc <= 100, `kNN accuracy ${knnAcc}%`);
  assert.ok(smAcc > 70 && smAcc <= 100, `softmax accuracy ${smAcc}%`);
  // The worker got the gzipped files byte for byte (it gunzips them itself with parseIdx): had the
  // server labelled them Content-Encoding: gzip, the browser would have inflated them (~10x more).
  const gzipBytes = (await Promise.all(DATA_FILES.map((f) => readFile(join(root, 'data', 'fashion-mnist-sample', f))))).reduce((s, b) => s + b.length, 0);
  assert.is(Number(await ctx.page.getAttribute('#panel-images', 'data-download-bytes')), gzipBytes, 'bytes the worker read = gzipped file sizes');
  assert.is(await ctx.page.locator('#img-grid canvas').count(), 36);
  assert.is(await ctx.page.locator('#img-templates canvas').count(), 10);
  const template = await ctx.page.evaluate(() => {
    const c = document.querySelector('#img-templates canvas');
    const { data } = c.getContext('2d').getImageData(0, 0, c.width, c.height);
    const values = new Set();
    for (let i = 0; i < data.length; i += 4) values.add(data[i]);
    return values.size;
  });
  assert.ok(template > 50, `a template has many grey levels (${template})`);
  await ctx.page.evaluate(() => window.scrollTo(0, 0));
  await mkdir(artifacts, { recursive: true });
  await ctx.page.screenshot({ path: join(artifacts, 'demo.png'), fullPage: true });
});

/** What a page's init() and panel 3's worker said about threads (the data attributes the demo sets). */
async function runtimeOf(page) {
  await page.evaluate(() => window.simdclassTest.workerReady);
  return page.evaluate(() => {
    const read = (id) => {
      const el = document.getElementById(id);
      return { threads: el.dataset.threads === '' ? null : Number(el.dataset.threads), note: el.dataset.threadsNote ?? '', text: el.textContent, visible: el.checkVisibility() };
    };
    return {
      isolated: self.crossOriginIsolated, sab: typeof SharedArrayBuffer, cores: navigator.hardwareConcurrency,
      info: window.simdclassTest.runtime, page: read('threads'), worker: read('img-runtime'),
    };
  });
}

test('threads: the page is cross-origin isolated and the page and panel 3\'s worker each run >= 2 workers', async () => {
  const r = await runtimeOf(ctx.page);
  assert.is(r.isolated, true, 'self.crossOriginIsolated');
  assert.is(r.sab, 'function', 'SharedArrayBuffer');
  // init() with no options: navigator.hardwareConcurrency workers (2 on the test machine).
  assert.is(r.info.threads, r.cores, `init() default = navigator.hardwareConcurrency (${r.cores})`);
  assert.is(r.info.threadsNote, undefined, 'no threadsNote');
  for (const [who, el] of [['page (panels 1 and 2)', r.page], ['panel 3\'s worker', r.worker]]) {
    assert.ok(el.threads >= 2, `${who}: data-threads = ${el.threads}, expected >= 2 workers`);
    assert.is(el.threads, r.cores, `${who}: as many workers as navigator.hardwareConcurrency`);
    assert.is(el.note, '', `${who}: no threads note`);
    assert.ok(el.visible, `${who}: the runtime info is visible`);
    assert.match(el.text, new RegExp(`threads: ${el.threads}\\b`), `${who}: the text says so`);
  }
  process.stderr.write(`  isolated page: hardwareConcurrency ${r.cores}; "${r.page.text}"; "${r.worker.text}"\n`);
});

/** Panel 3's last run: its settings, and the labels it predicted (kNN and softmax), once it is done. */
async function panelRun(page) {
  await page.waitForFunction(() => ['done', 'error'].includes(document.getElementById('panel-images').dataset.state), null, { timeout: 60_000 });
  return page.evaluate(() => {
    const panel = document.getElementById('panel-images');
    return {
      state: panel.dataset.state, status: document.getElementById('img-status').textContent,
      params: JSON.parse(panel.dataset.params ?? 'null'), knn: panel.dataset.knnPredictions, softmax: panel.dataset.softmaxPredictions,
      knnMs: Number(panel.dataset.knnMs),
    };
  });
}

const nodeData = new Map();
/** The embedded sample read in Node (dist/node.js on `build`) with parseIdx, as panel 3's worker reads it. */
function nodeSample(build) {
  if (!nodeData.has(build)) {
    nodeData.set(build, (async () => {
      const node = await import('../dist/node.js');
      const info = await node.init({ build });
      const read = async (file) => node.parseIdx(new Uint8Array(await readFile(join(root, 'data', 'fashion-mnist-sample', file))), file);
      const [trainImages, trainLabels, testImages, testLabels] = await Promise.all(DATA_FILES.map(read));
      const train = node.idxImages(trainImages), test = node.idxImages(testImages);
      return {
        node, threads: info.threads,
        train: { X: { data: train.data, rows: train.rows, cols: train.cols }, y: node.idxLabels(trainLabels) },
        test: { X: { data: test.data, rows: test.rows, cols: test.cols }, y: node.idxLabels(testLabels) },
      };
    })());
  }
  return nodeData.get(build);
}

const nodeTrained = new Map();
/**
 * Panel 3's two models trained in Node (dist/node.js, same build): the same first nTrain training
 * images, kNN with the same k, metric and algorithm (and the images' shape), softmax with the same SGD settings and seed. Kept for
 * the tests that follow (one pair per setting).
 */
function nodeModels(build, params) {
  const key = JSON.stringify([build, params]);
  if (!nodeTrained.has(key)) {
    nodeTrained.set(key, (async () => {
      const sample = await nodeSample(build);
      const { node } = sample;
      const Xtrain = node.headRows(sample.train.X, params.nTrain), ytrain = sample.train.y.subarray(0, params.nTrain);
      const Xtest = node.headRows(sample.test.X, params.nTest);
      assert.is(Xtest.rows, params.nTest);
      assert.ok(sample.test.y.length >= params.nTest);
      // The panel's search setting (algorithm), and pyramid blocks following the 28 x 28 images as the worker's.
      const knn = new node.KNearestNeighbor({ k: params.k, metric: params.metric, algorithm: params.algorithm });
      await knn.train(Xtrain, ytrain, { shape: [28, 28, 1] });
      const softmax = new node.Softmax();
      await softmax.train(Xtrain, ytrain, { learningRate: params.learningRate, reg: params.reg, numIters: params.iters, batchSize: params.batchSize, seed: params.seed });
      return { ...sample, Xtrain, ytrain, Xtest, knn, softmax };
    })());
  }
  return nodeTrained.get(key);
}

const nodeRuns = new Map();
/** Panel 3's run in Node: the labels its two models (nodeModels) predict for the first nTest test images. */
function nodeFashion(build, params) {
  const key = JSON.stringify([build, params]);
  if (!nodeRuns.has(key)) {
    nodeRuns.set(key, (async () => {
      const { threads, knn, softmax, Xtest } = await nodeModels(build, params);
      const [knnPred, softmaxPred] = await Promise.all([knn.predict(Xtest), softmax.predict(Xtest)]);
      return { threads, knn: Array.from(knnPred).join(''), softmax: Array.from(softmaxPred).join('') };
    })());
  }
  return nodeRuns.get(key);
}

/** Where two label strings differ (for a readable failure). */
function firstDifferences(a, b) {
  const out = [];
  for (let i = 0; i < Math.max(a.length, b.length) && out.length < 5; i++) if (a[i] !== b[i]) out.push(`#${i}: ${a[i]} vs ${b[i]}`);
  return out.join(', ');
}

test('threads: panel 3 (kNN and softmax on its worker pool) predicts exactly what Node predicts', async () => {
  const run = await panelRun(ctx.page);
  assert.is(run.state, 'done', run.status);
  const { params } = run;
  assert.ok(params && params.nTrain > 0 && params.nTest > 0, `the panel reports what it ran: ${JSON.stringify(params)}`);
  assert.is(run.knn.length, params.nTest, 'one kNN label per test image');
  assert.is(run.softmax.length, params.nTest, 'one softmax label per test image');
  const build = await ctx.page.evaluate(() => window.simdclassTest.workerReady);
  const node = await nodeFashion(build, params);
  assert.ok(node.threads >= 1, `Node runs on its worker pool too (threads ${node.threads})`);
  assert.ok(run.knn === node.knn, `kNN (k = ${params.k}, ${params.metric}, ${params.nTrain} x ${params.nTest}): browser and Node differ at ${firstDifferences(run.knn, node.knn)}`);
  assert.ok(run.softmax === node.softmax, `softmax: browser and Node differ at ${firstDifferences(run.softmax, node.softmax)}`);
  process.stderr.write(`  panel 3 = Node: ${params.nTest} kNN labels (k = ${params.k}, ${params.metric}, ${params.nTrain} training images) and ${params.nTest} softmax labels\n`);
});

// ---- panel 3's drawing pad, and models saved in one place and loaded in the other ----------------

/** fromImageData's options for the pad's colours (light on black as Fashion-MNIST; dark on white inverted). */
const padOptions = (ink) => ({ width: 28, height: 28, channels: 1, ...(ink === 'dark' ? { invert: true, background: 'white' } : { background: 'black' }) });

/**
 * What the drawing pad's section shows once it has caught up with the pad and the panel's last
 * run: the pad's pixels (the square it reads, as base64 RGBA), the 28 x 28 picture "as the models
 * see it" (read back from its canvas, one value per block), each neighbour (training index, label,
 * distance, and its picture read back), the probability rows and the two predicted labels.
 */
async function padShows(page) {
  await page.waitForFunction(() => {
    const pad = document.getElementById('draw-pad'), results = document.getElementById('draw-results');
    return results.dataset.seq === pad.dataset.seq && document.getElementById('draw-input').dataset.seq === pad.dataset.seq &&
      results.dataset.runId === document.getElementById('panel-images').dataset.runId;
  }, null, { timeout: 20_000 });
  return page.evaluate(() => {
    /** The 28 x 28 values a crisp enlarged picture shows: the centre pixel of each block (red channel). */
    const picture = (canvas) => {
      const { data } = canvas.getContext('2d').getImageData(0, 0, canvas.width, canvas.height);
      const out = [];
      for (let y = 0; y < 28; y++) {
        for (let x = 0; x < 28; x++) {
          const px = Math.floor((x + 0.5) * canvas.width / 28), py = Math.floor((y + 0.5) * canvas.height / 28);
          out.push(data[4 * (py * canvas.width + px)]);
        }
      }
      return out;
    };
    const pad = document.getElementById('draw-pad');
    const [x0, y0, side] = pad.dataset.crop.split(',').map(Number);
    const rgba = pad.getContext('2d').getImageData(x0, y0, side, side).data;
    let text = '';
    for (let i = 0; i < rgba.length; i += 0x8000) text += String.fromCharCode.apply(null, rgba.subarray(i, i + 0x8000));
    const summary = document.getElementById('draw-summary');
    return {
      ink: pad.dataset.ink, crop: [x0, y0, side], padSize: [pad.width, pad.height], rgba: btoa(text),
      runId: Number(document.getElementById('draw-results').dataset.runId),
      input: picture(document.getElementById('draw-input')),
      source: document.getElementById('draw-source').textContent,
      summary: summary.textContent, knnLabel: Number(summary.dataset.knn), softmaxLabel: Number(summary.dataset.softmax),
      neighbours: [...document.querySelectorAll('#draw-neighbours .neighbour')].map((f) => ({
        index: Number(f.dataset.index), label: Number(f.dataset.label), distance: Number(f.dataset.distance),
        caption: f.querySelector('figcaption').textContent, pixels: picture(f.querySelector('canvas')),
      })),
      proba: [...document.querySelectorAll('#draw-proba .proba-row[data-class]')].map((r) => ({
        c: Number(r.dataset.class), knn: Number(r.dataset.knn), softmax: Number(r.dataset.softmax),
        name: r.querySelector('.name').textContent, text: r.textContent,
      })),
    };
  });
}

/** Asserts |a[i] - b[i]| <= tol for all i (same length). */
function assertClose(a, b, tol, what) {
  assert.is(a.length, b.length, `${what}: length`);
  let worst = 0, at = -1;
  for (let i = 0; i < a.length; i++) {
    const d = Math.abs(a[i] - b[i]);
    if (!(d <= worst)) { worst = d; at = i; }
  }
  assert.ok(worst <= tol, `${what}: differ by ${worst} at #${at} (${a[at]} vs ${b[at]}), more than ${tol}`);
}

/**
 * Checks what the pad's section shows against Node: the 28 x 28 picture is fromImageData (dist/node.js)
 * of the pad's pixels read back from the page, and for that row the k nearest training images (exact
 * indices, labels, distances and pictures), the kNN vote shares and the softmax probabilities (within
 * 1e-6) and both labels are those of the same models trained in Node. Returns the row and the shown state.
 */
async function checkPadAgainstNode(shown, models, what) {
  const { node } = models;
  const FASHION = node.FASHION_MNIST_CLASSES;
  const rgba = new Uint8ClampedArray(Buffer.from(shown.rgba, 'base64'));
  const [, , side] = shown.crop;
  assert.is(side, Math.min(...shown.padSize), `${what}: the page reads the pad's largest square`);
  assert.is(rgba.length, side * side * 4, `${what}: the pad's square, read back`);
  const row = node.fromImageData({ data: rgba, width: side, height: side }, padOptions(shown.ink));
  assert.is(row.cols, 784);
  assert.equal(shown.input, Array.from(row.data), `${what}: the 28 x 28 picture the page shows is fromImageData of the pad's pixels`);

  const X = { data: row.data, rows: 1, cols: 784 };
  const [{ indices, distances }, knnProba, knnLabel, softmaxProba, softmaxLabel] = await Promise.all([
    models.knn.kneighbors(X), models.knn.predictProba(X), models.knn.predict(X), models.softmax.predictProba(X), models.softmax.predict(X),
  ]);
  assert.is(shown.neighbours.length, models.knn.k, `${what}: the page shows the k = ${models.knn.k} neighbours that vote`);
  assert.equal(shown.neighbours.map((n) => n.index), Array.from(indices), `${what}: neighbour indices`);
  assert.equal(shown.neighbours.map((n) => n.distance), Array.from(distances), `${what}: neighbour distances`);
  shown.neighbours.forEach((n, i) => {
    assert.is(n.label, models.ytrain[n.index], `${what}: neighbour ${i}'s label`);
    assert.ok(n.caption.startsWith(FASHION[n.label]), `${what}: neighbour ${i}'s caption names its class: ${n.caption}`);
    assert.equal(n.pixels, Array.from(models.Xtrain.data.subarray(n.index * 784, (n.index + 1) * 784)), `${what}: neighbour ${i}'s picture is training image #${n.index}`);
  });
  assert.equal(shown.proba.map((p) => p.c), [...FASHION.keys()], `${what}: one row per class`);
  assert.equal(shown.proba.map((p) => p.name), [...FASHION], `${what}: the class names`);
  assertClose(shown.proba.map((p) => p.knn), Array.from(knnProba.data), 1e-6, `${what}: kNN vote shares`);
  assertClose(shown.proba.map((p) => p.softmax), Array.from(softmaxProba.data), 1e-6, `${what}: softmax probabilities`);
  assert.is(shown.knnLabel, knnLabel[0], `${what}: kNN label`);
  assert.is(shown.softmaxLabel, softmaxLabel[0], `${what}: softmax label`);
  assert.match(shown.summary, new RegExp(`kNN: ${FASHION[knnLabel[0]]} \\(\\d+ of ${models.knn.k} votes[,)]`), `${what}: summary`);
  assert.match(shown.summary, new RegExp(`softmax: ${FASHION[softmaxLabel[0]]} \\(`), `${what}: summary`);
  return row;
}

/** Draws a filled rectangle on the pad with the mouse (pointer events): back-and-forth strokes, rows 10 px apart. */
async function drawRectangle(page, [left, top, right, bottom]) {
  const padBox = page.locator('#draw-pad');
  await padBox.scrollIntoViewIfNeeded();
  const box = await padBox.boundingBox();
  const { border, scale } = await page.evaluate(() => {
    const pad = document.getElementById('draw-pad');
    return { border: pad.clientLeft, scale: pad.clientWidth / pad.width };
  });
  const at = (x, y) => [box.x + border + x * scale, box.y + border + y * scale];
  await page.mouse.move(...at(left, top));
  await page.mouse.down();
  let leftToRight = true;
  for (let y = top; y <= bottom; y += 10) {
    await page.mouse.move(...at(leftToRight ? left : right, y), { steps: 2 });
    await page.mouse.move(...at(leftToRight ? right : left, y), { steps: 8 });
    leftToRight = !leftToRight;
  }
  await page.mouse.up();
}

test('panel 3: a drawing on the pad is shown as fromImageData sees it, with the neighbours and probabilities Node computes', async () => {
  const page = ctx.page;
  const run = await panelRun(page);
  assert.is(run.state, 'done', run.status);
  const build = await page.evaluate(() => window.simdclassTest.workerReady);
  const models = await nodeModels(build, run.params);

  // After the run, the pad shows test image #0 and its answers.
  const first = await padShows(page);
  assert.match(first.source, /^Test image #0, labelled /);
  const row0 = await checkPadAgainstNode(first, models, 'test image #0 (picked after the run)');
  assert.equal(Array.from(row0.data), Array.from(models.Xtest.data.subarray(0, 784)), 'a picked test image comes back exactly from the pad (10 x 10 blocks, area averaging)');

  // Light strokes on black: a filled rectangle, drawn with the mouse.
  await page.click('#draw-clear');
  await setRange('draw-brush', 24);
  await drawRectangle(page, [80, 40, 200, 240]);
  const light = await padShows(page);
  assert.is(light.ink, 'light');
  assert.is(light.source, 'Your drawing');
  const lightRow = await checkPadAgainstNode(light, models, 'a rectangle, light on black');
  const lit = Array.from(lightRow.data);
  const at = (x, y) => lit[y * 28 + x];
  assert.is(at(14, 14), 255, 'inside the rectangle: white');
  assert.is(at(2, 14), 0, 'left of it: black');
  assert.is(at(26, 14), 0, 'right of it: black');
  assert.ok(lit.filter((v) => v > 128).length > 200, `the rectangle covers many pixels (${lit.filter((v) => v > 128).length})`);
  await mkdir(artifacts, { recursive: true });
  await page.locator('#draw').screenshot({ path: join(artifacts, 'draw-rectangle.png') });

  // Dark on white: the pad's colours swap, fromImageData inverts them back; then one more stroke in the new colours.
  await page.check('input[name="draw-ink"][value="dark"]');
  const dark = await padShows(page);
  assert.is(dark.ink, 'dark');
  const darkRgba = Buffer.from(dark.rgba, 'base64');
  assert.is(darkRgba[4 * (140 * 280 + 140)], 0, 'the rectangle is now dark');
  assert.is(darkRgba[4 * (140 * 280 + 10)], 255, 'on white');
  await checkPadAgainstNode(dark, models, 'the rectangle, dark on white');
  await setRange('draw-brush', 12);
  await drawRectangle(page, [20, 250, 260, 262]);
  const darkMore = await padShows(page);
  const darkRow = await checkPadAgainstNode(darkMore, models, 'the rectangle and a bar, dark on white');
  assert.ok(darkRow.data[25 * 28 + 14] > 128, 'the bar along the bottom is light, as the models see it');

  // Picking a test image: by number, and by clicking one in the grid, in either colours.
  const labels = (i) => ({ knn: Number(run.knn[i]), softmax: Number(run.softmax[i]) });
  for (const [how, index] of [['number', 7], ['grid', 3]]) {
    if (how === 'number') {
      await page.fill('#draw-test', String(index));
      await page.click('#draw-pick');
    } else {
      await page.click(`#img-grid .cell[data-index="${index}"]`);
    }
    const shown = await padShows(page);
    assert.match(shown.source, new RegExp(`^Test image #${index}, labelled ${models.node.FASHION_MNIST_CLASSES[models.test.y[index]]}$`));
    const row = await checkPadAgainstNode(shown, models, `test image #${index} (${how}, ${shown.ink})`);
    assert.equal(Array.from(row.data), Array.from(models.Xtest.data.subarray(index * 784, (index + 1) * 784)), `test image #${index}: exactly the test image`);
    assert.is(shown.knnLabel, labels(index).knn, `test image #${index}: the kNN label the panel's run gave it`);
    assert.is(shown.softmaxLabel, labels(index).softmax, `test image #${index}: the softmax label the panel's run gave it`);
    if (how === 'number') await page.check('input[name="draw-ink"][value="light"]');
  }
  ctx.padShown = await padShows(page);
  process.stderr.write(`  drawing pad = Node: 28 x 28 from fromImageData, ${models.knn.k} neighbours and ${light.proba.length} kNN + softmax probabilities, ` +
    `for a rectangle (light on black), dark on white, and test images; the rectangle: ${light.summary}\n`);
});

test('panel 3: models saved in the page load in Node, and models saved in Node load in the page: the same predictions', async () => {
  const page = ctx.page;
  const run = await panelRun(page);
  assert.is(run.state, 'done', run.status);
  const build = await page.evaluate(() => window.simdclassTest.workerReady);
  const models = await nodeModels(build, run.params);
  const { node } = models;

  // Page -> Node: the worker's two models, model.save() there, base64 here.
  const saved = await page.evaluate(() => window.simdclassTest.saveModels());
  assert.equal(saved.params, run.params, 'the saved models are the last run\'s');
  assert.is(saved.runId, Number(await page.getAttribute('#panel-images', 'data-run-id')));
  const knnBytes = new Uint8Array(Buffer.from(saved.knn, 'base64')), softmaxBytes = new Uint8Array(Buffer.from(saved.softmax, 'base64'));
  const knn = node.KNearestNeighbor.load(knnBytes), softmax = node.Softmax.load(softmaxBytes);
  const anyKnn = node.loadModelBytes(knnBytes), anySoftmax = node.loadModelBytes(softmaxBytes);
  try {
    assert.ok(anyKnn instanceof node.KNearestNeighbor && anySoftmax instanceof node.Softmax, 'loadModelBytes reads the kind from the file');
    assert.is(knn.k, run.params.k);
    assert.is(knn.metric, run.params.metric);
    assert.is(knn.nTrain, run.params.nTrain);
    const X = models.Xtest;
    assert.is((await knn.predict(X)).join(''), run.knn, 'the page\'s kNN, loaded in Node: the labels the page predicted');
    assert.is((await anyKnn.predict(X)).join(''), run.knn, 'the same through loadModelBytes');
    assert.is((await softmax.predict(X)).join(''), run.softmax, 'the page\'s softmax, loaded in Node: the labels the page predicted');
    assert.is((await anySoftmax.predict(X)).join(''), run.softmax, 'the same through loadModelBytes');
    // The same files Node writes for the same training: the page trained the same models.
    assert.ok(Buffer.from(knnBytes).equals(Buffer.from(models.knn.save())), 'the page\'s kNN file = Node\'s, byte for byte');
    assert.ok(Buffer.from(softmaxBytes).equals(Buffer.from(models.softmax.save())), 'the page\'s softmax file = Node\'s, byte for byte');
    const [a, b] = await Promise.all([softmax.predictProba(X), models.softmax.predictProba(X)]);
    assertClose(Array.from(a.data), Array.from(b.data), 1e-6, 'softmax probabilities of the loaded model');
    // The image the pad showed last: the loaded models give the probabilities the page showed.
    if (ctx.padShown && ctx.padShown.runId === saved.runId) {
      const rgba = new Uint8ClampedArray(Buffer.from(ctx.padShown.rgba, 'base64'));
      const side = ctx.padShown.crop[2];
      const row = node.fromImageData({ data: rgba, width: side, height: side }, padOptions(ctx.padShown.ink));
      const [pk, ps] = await Promise.all([knn.predictProba(row), softmax.predictProba(row)]);
      assertClose(ctx.padShown.proba.map((p) => p.knn), Array.from(pk.data), 1e-6, 'the pad\'s kNN vote shares, from the loaded model');
      assertClose(ctx.padShown.proba.map((p) => p.softmax), Array.from(ps.data), 1e-6, 'the pad\'s softmax probabilities, from the loaded model');
    }
  } finally {
    for (const m of [knn, softmax, anyKnn, anySoftmax]) m.dispose();
  }

  // Node -> page: models trained with other settings in Node, saved, loaded in the page (in panel 3's
  // worker, with loadModelBytes) and run there.
  const Xtrain = node.headRows(models.train.X, 2000), ytrain = models.train.y.subarray(0, 2000);
  const X = node.headRows(models.test.X, 300);
  const nodeKnn = new node.KNearestNeighbor({ k: 3, metric: 'l2' });
  const nodeSoftmax = new node.Softmax(), nodeSvm = new node.LinearSVM();
  try {
    await nodeKnn.train(Xtrain, ytrain);
    await nodeSoftmax.train(Xtrain, ytrain, { learningRate: 1e-6, reg: 100, numIters: 150, batchSize: 100, seed: 7 });
    await nodeSvm.train(Xtrain, ytrain, { learningRate: 3e-7, reg: 10000, numIters: 150, batchSize: 100, seed: 3 });
    const Xpage = { rows: X.rows, cols: X.cols, data: Buffer.from(X.data.buffer, X.data.byteOffset, X.data.byteLength).toString('base64') };
    const inPage = async (model) => page.evaluate(({ b64, Xpage }) => window.simdclassTest.loadAndPredict(b64, Xpage), { b64: Buffer.from(model.save()).toString('base64'), Xpage });

    const webKnn = await inPage(nodeKnn);
    assert.is(webKnn.kind, 'knn');
    assert.equal([webKnn.k, webKnn.metric, webKnn.nTrain], [3, 'l2', 2000]);
    const { indices, distances } = await nodeKnn.kneighbors(X);
    assert.equal(webKnn.predictions, Array.from(await nodeKnn.predict(X)), 'Node\'s kNN in the page: labels');
    assert.equal(webKnn.indices, Array.from(indices), 'Node\'s kNN in the page: neighbour indices');
    assert.equal(webKnn.distances, Array.from(distances), 'Node\'s kNN in the page: distances');
    assertClose(webKnn.proba, Array.from((await nodeKnn.predictProba(X)).data), 1e-6, 'Node\'s kNN in the page: vote shares');

    const webSoftmax = await inPage(nodeSoftmax);
    assert.is(webSoftmax.kind, 'softmax');
    assert.equal(webSoftmax.predictions, Array.from(await nodeSoftmax.predict(X)), 'Node\'s softmax in the page: labels');
    assertClose(webSoftmax.proba, Array.from((await nodeSoftmax.predictProba(X)).data), 1e-6, 'Node\'s softmax in the page: probabilities');

    const webSvm = await inPage(nodeSvm);
    assert.is(webSvm.kind, 'svm');
    assert.equal(webSvm.predictions, Array.from(await nodeSvm.predict(X)), 'Node\'s SVM in the page: labels');
    const scores = Array.from((await nodeSvm.scores(X)).data);
    assertClose(webSvm.scores, scores, 1e-6 * Math.max(1, ...scores.map(Math.abs)), 'Node\'s SVM in the page: scores');
    for (const [name, web] of [['kNN', webKnn], ['softmax', webSoftmax], ['SVM', webSvm]]) {
      const right = web.predictions.filter((p, i) => p === models.test.y[i]).length;
      assert.ok(right / X.rows > 0.6, `${name} trained in Node is a real model: ${right} of ${X.rows} right in the page`);
    }
    process.stderr.write(`  round trips: page -> Node kNN ${(knnBytes.length / 1e6).toFixed(2)} MB and softmax ${(softmaxBytes.length / 1e3).toFixed(1)} kB (byte for byte Node's), ` +
      `${run.params.nTest} test images; Node -> page kNN, softmax, SVM on ${X.rows} test images\n`);
  } finally {
    for (const m of [nodeKnn, nodeSoftmax, nodeSvm]) m.dispose();
  }
});

// ---- the kNN search statistics the panels show (KNearestNeighbor.lastStats, demo/src/common.js showSearch) ----

const fmt = (n) => n.toLocaleString('en-US');
/** The share a panel should print, computed here: two significant digits, 100% for the whole. */
const shareText = (n, pairs) => (n === pairs ? '100%' : `${((100 * n) / pairs).toPrecision(2)}%`);
/** A lastStats.reason with the times of 'auto''s timed sample masked: a search run again takes other times. */
const untimed = (reason) => reason.replace(/\d+(\.\d+)? ms\b/g, '# ms');

/** What a search display shows: its data attributes, its line, and per funnel row the label, share, count and bar width. */
function searchShown(page, id) {
  return page.evaluate((id) => {
    const el = document.getElementById(id);
    return {
      algorithm: el.dataset.algorithm, reason: el.dataset.reason, queries: Number(el.dataset.queries), rows: Number(el.dataset.rows), exact: Number(el.dataset.exact),
      reached: el.dataset.reached === '' ? [] : el.dataset.reached.split(',').map(Number), visible: el.checkVisibility(),
      line: el.querySelector('.search-line')?.textContent ?? '', algo: el.querySelector('.search-line .algo')?.textContent ?? '',
      steps: [...el.querySelectorAll('.funnel li')].map((li) => ({
        label: li.querySelector('.what').textContent, share: li.querySelector('.val b').textContent, val: li.querySelector('.val').textContent,
        count: Number(li.dataset.count), width: parseFloat(li.querySelector('.track > span').style.width),
      })),
    };
  }, id);
}

/**
 * A search display shows `stats` (computed here): the algorithm, the numbers, one bar per level and one
 * for the exact distances, with shares computed here, and at the end of its line stats.reason (times masked).
 */
function checkSearchShown(shown, stats, what) {
  const pairs = stats.queries * stats.rows;
  assert.ok(shown.visible, `${what}: the search stats are visible`);
  assert.is(shown.algorithm, stats.algorithm, `${what}: algorithm`);
  assert.is(shown.algo, stats.algorithm === 'pyramid' ? 'pyramid' : 'brute force', `${what}: the line names it`);
  assert.equal([shown.queries, shown.rows, shown.exact], [stats.queries, stats.rows, stats.exact], `${what}: queries, rows, exact distances`);
  assert.equal(shown.reached, stats.levels.map((l) => l.reached), `${what}: the pairs reaching each level`);
  const expected = searchSteps(stats).map((st) => [st.label, st.count]);
  assert.equal(shown.steps.map((st) => st.label), expected.map(([label]) => label), `${what}: one bar per level, then the exact distances`);
  shown.steps.forEach((st, i) => {
    const n = expected[i][1];
    assert.is(st.count, n, `${what}: ${st.label}: count`);
    assert.is(st.val, `${shareText(n, pairs)} ${fmt(n)}`, `${what}: ${st.label}: the share and count shown (${n} of ${pairs})`);
    assert.ok(Math.abs(st.width - (100 * n) / pairs) < 0.01, `${what}: ${st.label}: the bar is ${st.width}% wide, for ${(100 * n) / pairs}%`);
  });
  if (stats.algorithm === 'pyramid') assert.match(shown.line, new RegExp(`^pyramid ${fmt(stats.exact)} exact distances for .*: ${shareText(stats.exact, pairs).replace('.', '\\.')} of the ${fmt(pairs)} that brute force computes`), `${what}: ${shown.line}`);
  else assert.match(shown.line, new RegExp(`^brute force ${fmt(pairs)} exact distances \\(`), `${what}: ${shown.line}`);
  assert.ok(stats.reason, `${what}: lastStats has a reason`);
  assert.is(untimed(shown.reason), untimed(stats.reason), `${what}: the reason shown is lastStats.reason`);
  const ending = stats.algorithm === 'pyramid' ? `, for the same neighbours; chosen because: ${shown.reason}.` : `, every pair): ${shown.reason}.`;
  assert.ok(shown.line.endsWith(ending), `${what}: the line ends with the reason: ${shown.line}`);
}

/** Sets panel 3's data and kNN search settings, runs it, and returns the run once done. */
async function runPanel(page, { train, test, algorithm }) {
  const before = await page.getAttribute('#panel-images', 'data-run-id');
  await page.selectOption('#img-train', train);
  await page.selectOption('#img-test', test);
  await page.selectOption('#img-algorithm', algorithm);
  await page.click('#img-run');
  await page.waitForFunction((before) => document.getElementById('panel-images').dataset.runId !== before, before, { timeout: 60_000 });
  return panelRun(page);
}

/**
 * lastStats of panel 3's kNN search done again in Node: the same training images and settings
 * (`algorithm`: the panel's, or one forced), the test images predicted in the worker's slices of 100,
 * their stats summed here with the first slice's reason, as the worker sums them.
 */
async function nodeSearchStats(build, params, algorithm = params.algorithm) {
  const sample = await nodeSample(build);
  const { node } = sample;
  const knn = new node.KNearestNeighbor({ k: params.k, metric: params.metric, algorithm });
  try {
    await knn.train(node.headRows(sample.train.X, params.nTrain), sample.train.y.subarray(0, params.nTrain), { shape: [28, 28, 1] });
    let total = null;
    for (let first = 0; first < params.nTest; first += 100) {
      const rows = Math.min(100, params.nTest - first);
      await knn.predict({ data: sample.test.X.data.subarray(first * 784, (first + rows) * 784), rows, cols: 784 });
      const s = knn.lastStats;
      assert.is(s.algorithm, total?.algorithm ?? s.algorithm, 'every slice searches alike');
      total = total === null ? { ...s, levels: s.levels.map((l) => ({ ...l })) }
        : { ...total, queries: total.queries + s.queries, exact: total.exact + s.exact, levels: total.levels.map((l, i) => ({ ...l, reached: l.reached + s.levels[i].reached })) };
    }
    return total;
  } finally {
    knn.dispose();
  }
}

test('panel 3: the kNN search is shown (algorithm, funnel of pairs, exact distances) with the numbers of lastStats in Node', async () => {
  const page = ctx.page;
  const build = await page.evaluate(() => window.simdclassTest.workerReady);

  // The default run ('auto'), again in Node with 'auto': its numbers and its reason. If 'auto' timed both
  // searches and here kept the other, the numbers are those of the one the panel shows, forced, and the
  // reason 'auto''s (its times differ from run to run anyway).
  const first = await panelRun(page);
  assert.is(first.params.algorithm, 'auto');
  const shownAuto = await searchShown(page, 'img-knn-search');
  let auto = await nodeSearchStats(build, first.params);
  if (auto.algorithm !== shownAuto.algorithm) auto = { ...await nodeSearchStats(build, first.params, shownAuto.algorithm), reason: auto.reason };
  assert.is(auto.rows, first.params.nTrain);
  assert.is(auto.queries, first.params.nTest);
  checkSearchShown(shownAuto, auto, `'auto' (${first.params.nTrain} x ${first.params.nTest}, ${first.params.metric})`);
  process.stderr.write(`  panel 3, 'auto': ${shownAuto.line}\n`);

  // 'pyramid', forced on 2,500 training images (fewer than 'auto' builds one for): the funnel, and the pad's one-image search.
  const pyr = await runPanel(page, { train: '2500', test: '500', algorithm: 'pyramid' });
  assert.is(pyr.state, 'done', pyr.status);
  assert.equal([pyr.params.algorithm, pyr.params.nTrain, pyr.params.nTest], ['pyramid', 2500, 500]);
  const shownPyr = await searchShown(page, 'img-knn-search');
  const stats = await nodeSearchStats(build, pyr.params);
  assert.is(stats.algorithm, 'pyramid');
  assert.equal(stats.levels.map((l) => l.block), [[7, 7], [2, 2]], 'blocks follow the 28 x 28 images');
  assert.ok(stats.levels[0].reached > 0 && stats.levels[0].reached <= 2500 * 500, 'the coarsest level bounds the rows of the groups within reach');
  assert.ok(stats.exact < 2500 * 500 / 5, `the pyramid computes few exact distances: ${stats.exact}`);
  checkSearchShown(shownPyr, stats, 'pyramid (2,500 x 500)');
  assert.ok(shownPyr.line.includes(`for 500 test images × 2,500 training images: `), shownPyr.line);
  // The pad (re-classified with the new run's models): its image, searched in Node by the same model.
  const pad = await padShows(page);
  assert.is(pad.runId, Number(await page.getAttribute('#panel-images', 'data-run-id')));
  const { node, train } = await nodeSample(build);
  const padRow = node.fromImageData({ data: new Uint8ClampedArray(Buffer.from(pad.rgba, 'base64')), width: pad.crop[2], height: pad.crop[2] }, padOptions(pad.ink));
  const padKnn = new node.KNearestNeighbor({ k: pyr.params.k, metric: pyr.params.metric, algorithm: 'pyramid' });
  let padStats;
  try {
    await padKnn.train(node.headRows(train.X, 2500), train.y.subarray(0, 2500), { shape: [28, 28, 1] });
    await padKnn.kneighbors(padRow);
    padStats = padKnn.lastStats;
  } finally {
    padKnn.dispose();
  }
  assert.equal([padStats.algorithm, padStats.queries, padStats.rows], ['pyramid', 1, 2500]);
  checkSearchShown(await searchShown(page, 'draw-search'), padStats, 'the pad\'s image (pyramid)');
  process.stderr.write(`  panel 3, pyramid: ${shownPyr.line}\n  the pad: ${(await searchShown(page, 'draw-search')).line}\n`);

  // 'brute': every pair, and the line says it was asked for.
  const brute = await runPanel(page, { train: '1000', test: '500', algorithm: 'brute' });
  assert.is(brute.state, 'done', brute.status);
  const shownBrute = await searchShown(page, 'img-knn-search');
  const bruteStats = await nodeSearchStats(build, brute.params);
  assert.is(bruteStats.algorithm, 'brute');
  checkSearchShown(shownBrute, bruteStats, 'brute (1,000 x 500)');
  const padBrute = await searchShown(page, 'draw-search');
  checkSearchShown(padBrute, { algorithm: 'brute', reason: bruteStats.reason, queries: 1, rows: 1000, levels: [], exact: 1000 }, 'the pad\'s image (brute)');

  // Back to the defaults for the tests that follow.
  await page.selectOption('#img-algorithm', 'auto');
  await page.selectOption('#img-train', '5000');
  await page.selectOption('#img-test', '500');
});

// Panel 3's largest kNN (10,000 training x 2,000 test images): long enough to count frames over.
const LARGE = { train: '10000', test: '2000' };

/**
 * Picks panel 3's LARGE setting, presses "Train and evaluate" and counts requestAnimationFrame
 * callbacks in the page while the panel is in its kNN stage (the worker's kNN train + predict).
 * Returns the frame count, the stage's length in the page (ms) and the panel's run.
 */
async function framesWhilePredicting(page) {
  await page.selectOption('#img-train', LARGE.train);
  await page.selectOption('#img-test', LARGE.test);
  await page.evaluate(() => {
    const panel = document.getElementById('panel-images');
    const log = window.frameLog = { frames: 0, enter: null, leave: null };
    new MutationObserver(() => {
      const now = performance.now();
      if (panel.dataset.stage === 'knn' && log.enter === null) log.enter = now;
      else if (panel.dataset.stage !== 'knn' && log.enter !== null && log.leave === null) log.leave = now;
    }).observe(panel, { attributes: true, attributeFilter: ['data-stage'] });
    const tick = () => {
      if (panel.dataset.stage === 'knn' && log.leave === null) log.frames++;
      if (log.leave === null) requestAnimationFrame(tick);
    };
    requestAnimationFrame(tick);
  });
  await page.click('#img-run');
  const run = await panelRun(page);
  const log = await page.evaluate(() => window.frameLog);
  assert.is(run.state, 'done', run.status);
  assert.ok(log.enter !== null && log.leave !== null, `the panel went through its kNN stage: ${JSON.stringify(log)}`);
  const ms = log.leave - log.enter;
  return { frames: log.frames, ms, fps: log.frames / (ms / 1000), run };
}

test('threads: requestAnimationFrame keeps firing while panel 3 predicts', async () => {
  const { frames, ms, fps, run } = await framesWhilePredicting(ctx.page);
  ctx.fps = { frames, ms, fps, knnMs: run.knnMs };
  process.stderr.write(`  rAF during panel 3's kNN (${run.params.nTrain} x ${run.params.nTest}, worker pool of ${await ctx.page.getAttribute('#img-runtime', 'data-threads')}): ` +
    `${frames} frames in ${ms.toFixed(0)} ms = ${fps.toFixed(1)} frames/s (the worker's kNN: ${run.knnMs} ms)\n`);
  assert.ok(frames > 0, `no animation frame while the panel predicted for ${ms.toFixed(0)} ms`);
  assert.is(run.params.nTest, Number(LARGE.test), 'the large setting ran');
  // This run is checked against Node too.
  const node = await nodeFashion(await ctx.page.evaluate(() => window.simdclassTest.workerReady), run.params);
  assert.ok(run.knn === node.knn, `kNN ${run.params.nTrain} x ${run.params.nTest}: browser and Node differ at ${firstDifferences(run.knn, node.knn)}`);
  assert.ok(run.softmax === node.softmax, `softmax ${run.params.nTrain} x ${run.params.nTest}: browser and Node differ at ${firstDifferences(run.softmax, node.softmax)}`);
});

test('threads: a page served without COOP/COEP runs on one thread, says why, and predicts the same labels', async () => {
  // The demo's config with no headers: the same build, another port, no cross-origin isolation.
  // (An inline `preview.headers: {}` next to configFile would be merged into the file's headers.)
  const { preview } = await import('vite');
  const { default: config } = await import('../demo/vite.config.mjs');
  ctx.plain.server = await preview({
    ...config, configFile: false,
    build: { ...config.build, outDir: ctx.outDir },
    preview: { ...config.preview, headers: {}, port: 0, strictPort: true, open: false },
  });
  ctx.plain.url = `http://127.0.0.1:${ctx.plain.server.httpServer.address().port}/`;
  ctx.origins.push(ctx.plain.url);
  const res = await fetch(ctx.plain.url);
  assert.is(res.status, 200);
  for (const name of Object.keys(ISOLATION)) assert.is(res.headers.get(name), null, `the second server sends no ${name}`);

  const page = ctx.plain.page = await ctx.context.newPage();
  page.on('console', (msg) => { if (msg.type() === 'error') ctx.plain.errors.push(msg.text()); });
  page.on('pageerror', (err) => ctx.plain.errors.push(`pageerror: ${err.message}`));
  page.on('requestfailed', (req) => ctx.plain.errors.push(`request failed: ${req.url()} ${req.failure()?.errorText ?? ''}`));
  await page.goto(ctx.plain.url, { waitUntil: 'load' });
  await page.waitForFunction(() => document.body.dataset.ready === 'true' || document.querySelector('#build.error'), null, { timeout: 20_000 });
  assert.is(await page.evaluate(() => document.body.dataset.ready), 'true', await page.textContent('#build'));

  const r = await runtimeOf(page);
  assert.is(r.isolated, false, 'self.crossOriginIsolated is false without the headers');
  assert.is(r.info.threads, 0, 'init(): threads 0');
  assert.match(r.info.threadsNote ?? '', /cross-origin isolated/, `init() says why: threadsNote is ${JSON.stringify(r.info.threadsNote)}`);
  for (const [who, el] of [['page', r.page], ['panel 3\'s worker', r.worker]]) {
    assert.is(el.threads, 0, `${who}: data-threads`);
    assert.match(el.note, /cross-origin isolated/, `${who}: data-threads-note names cross-origin isolation`);
    assert.match(el.note, /Cross-Origin-Opener-Policy: same-origin/, `${who}: and the headers that fix it`);
    assert.ok(el.visible, `${who}: the runtime info is visible`);
    assert.match(el.text, /\b1 thread\b.*cross-origin isolated/, `${who}: the text says one thread and why`);
  }
  process.stderr.write(`  page without COOP/COEP: "${r.page.text}"\n`);

  // Panel 1 still paints on the page's thread; panel 3 predicts the same labels as Node (and as the isolated page).
  await page.waitForFunction(() => Number(document.getElementById('knn-canvas').dataset.renders) > 0, null, { timeout: 20_000 });
  const run = await panelRun(page);
  assert.is(run.state, 'done', run.status);
  const node = await nodeFashion(await page.evaluate(() => window.simdclassTest.workerReady), run.params);
  assert.ok(run.knn === node.knn, `kNN on one thread vs Node: differ at ${firstDifferences(run.knn, node.knn)}`);
  assert.ok(run.softmax === node.softmax, `softmax on one thread vs Node: differ at ${firstDifferences(run.softmax, node.softmax)}`);
  const isolated = await panelRun(ctx.page);
  if (JSON.stringify(isolated.params) === JSON.stringify(run.params)) assert.is(run.knn, isolated.knn, 'the same labels as the isolated page');

  const large = await framesWhilePredicting(page);
  process.stderr.write(`  rAF during panel 3's kNN (${large.run.params.nTrain} x ${large.run.params.nTest}) with threads 0 (kernels on the panel's worker thread): ` +
    `${large.frames} frames in ${large.ms.toFixed(0)} ms = ${large.fps.toFixed(1)} frames/s (the worker's kNN: ${large.run.knnMs} ms)` +
    (ctx.fps ? `; with the pool: ${ctx.fps.fps.toFixed(1)} frames/s, kNN ${ctx.fps.knnMs} ms` : '') + '\n');
  assert.ok(large.frames > 0, 'animation frames while the panel predicts on one thread too');
  const nodeLarge = await nodeFashion(await page.evaluate(() => window.simdclassTest.workerReady), large.run.params);
  assert.ok(large.run.knn === nodeLarge.knn, `kNN ${large.run.params.nTrain} x ${large.run.params.nTest} on one thread vs Node: differ at ${firstDifferences(large.run.knn, nodeLarge.knn)}`);
  assert.equal(ctx.plain.errors, [], ctx.plain.errors.join('\n'));
  await page.close();
  ctx.plain.page = null;
});

test('a wrong wasm URL gives an error that names the URL and the fix', async () => {
  const err = await ctx.page.evaluate(() => window.simdclassTest.initError('/nowhere/simdclass-simd.wasm'));
  assert.ok(err, 'init() with a missing wasm URL must fail');
  assert.match(err.message, '/nowhere/simdclass-simd.wasm');
  assert.match(err.message, /404/);
  assert.match(err.message, /init\(\{ wasm/);
  // The page keeps working with the core it had.
  const web = await ctx.page.evaluate(() => window.simdclassTest.knnPredict({ dtype: 'f32', rows: 2, cols: 1, data: [0, 10] }, [0, 1], { dtype: 'f32', rows: 2, cols: 1, data: [1, 9] }, 1, 'l2'));
  assert.equal(web.predictions, [0, 1]);
  // That 404 was provoked on purpose: not a console error of the page.
  ctx.consoleErrors = ctx.consoleErrors.filter((e) => !e.includes('/nowhere/') && !/404 \(Not Found\)/.test(e));
});

test('bundle: the wasm of one build stays well under 100 kB gzipped; sizes saved', async () => {
  const assets = ctx.loaded.filter((r) => /\.(js|wasm)$/.test(new URL(r.url).pathname) && r.status === 200);
  const sizes = {};
  for (const { url } of assets) {
    const path = new URL(url).pathname;
    const bytes = await readFile(join(ctx.outDir, decodeURIComponent(path)));
    sizes[path.split('/').pop()] = { bytes: bytes.length, gzip: gzipSync(bytes, { level: 9 }).length };
  }
  const wasm = Object.entries(sizes).filter(([name]) => name.endsWith('.wasm'));
  assert.is(wasm.length, 1, `the page loads one wasm build, got ${wasm.map(([n]) => n).join(', ')}`);
  assert.ok(wasm[0][1].gzip < 50_000, `wasm gzip ${wasm[0][1].gzip} bytes`);
  const js = Object.entries(sizes).filter(([name]) => name.endsWith('.js'));
  assert.ok(js.length >= 2, 'the page and its worker');
  const total = (list) => list.reduce((s, [, v]) => s + v.gzip, 0);
  const report = { assets: sizes, jsGzip: total(js), wasmGzip: total(wasm) };
  await mkdir(artifacts, { recursive: true });
  await writeFile(join(artifacts, 'bundle-sizes.json'), JSON.stringify(report, null, 2) + '\n');
  process.stderr.write(`  demo bundle (gzip): JS ${report.jsGzip} B (${js.map(([n, v]) => `${n} ${v.gzip}`).join(', ')}), wasm ${report.wasmGzip} B (${wasm[0][0]})\n`);
});

/** A raw GET on the preview server: the path goes out exactly as written (no URL normalization). */
function rawGet(path, headers = {}) {
  const { port } = new URL(ctx.url);
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, headers }, (res) => {
      const chunks = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode, headers: res.headers, body: Buffer.concat(chunks) }));
    });
    req.setTimeout(10_000, () => req.destroy(new Error(`GET ${path}: no answer in 10 s`)));
    req.on('error', reject);
    req.end();
  });
}

test('server: the page is cross-origin isolated (COOP + COEP on the page, its scripts and the wasm)', async () => {
  assert.is(await ctx.page.evaluate(() => self.crossOriginIsolated), true, 'self.crossOriginIsolated');
  assert.is(await ctx.page.evaluate(() => typeof SharedArrayBuffer), 'function', 'SharedArrayBuffer is available');
  const assets = await readdir(join(ctx.outDir, 'assets'));
  const worker = assets.find((f) => /^worker-.*\.js$/.test(f)), wasm = assets.find((f) => f.endsWith('.wasm'));
  assert.ok(worker && wasm, `built assets: ${assets.join(', ')}`);
  for (const path of ['/', '/index.html', `/assets/${worker}`, `/assets/${wasm}`]) {
    const res = await rawGet(path, { accept: 'text/html,*/*' });
    assert.is(res.status, 200, `${path}: status`);
    for (const [name, value] of Object.entries(ISOLATION)) assert.is(res.headers[name], value, `${path}: ${name}`);
  }
});

test('server: the gzipped data files are sent as they are (no Content-Encoding), byte for byte', async () => {
  const assets = await readdir(join(ctx.outDir, 'assets'));
  assert.equal(assets.filter((f) => f.endsWith('.gz')), [], 'no built asset ends in .gz (Vite\'s server would add Content-Encoding: gzip)');
  for (const file of DATA_FILES) {
    const stem = file.replace(/\.gz$/, '');
    const built = assets.find((f) => f.startsWith(`${stem}-`));
    assert.ok(built, `${file} is in the build (${assets.join(', ')})`);
    const res = await rawGet(`/assets/${built}`, { 'accept-encoding': 'gzip, deflate, br' });
    assert.is(res.status, 200, `${built}: status`);
    assert.is(res.headers['content-encoding'], undefined, `${built}: Content-Encoding`);
    assert.ok(res.body.equals(await readFile(join(root, 'data', 'fashion-mnist-sample', file))), `${built}: the bytes of data/fashion-mnist-sample/${file}`);
  }
});

/** A folder next to the build folder (both in tmpdir()), with files whose content must never come back. */
async function outsideFiles() {
  if (!ctx.outsideDir) {
    ctx.outsideDir = await mkdtemp(join(tmpdir(), 'simdclass-outside-'));
    ctx.marker = `outside-the-root-${process.pid}-${Date.now()}`;
    await writeFile(join(ctx.outsideDir, 'secret.txt'), `${ctx.marker}\n`);
    await writeFile(join(ctx.outsideDir, 'secret.html'), `<p>${ctx.marker}</p>\n`);
    await writeFile(join(ctx.outsideDir, 'index.html'), `<p>${ctx.marker}</p>\n`);
  }
  return { dir: ctx.outsideDir, marker: ctx.marker };
}

/** GETs each path (as a browser asset and as a page) and checks it is refused with `status`, nothing leaked. */
async function assertRefused(paths, { marker = null, status = null } = {}) {
  for (const path of paths) {
    for (const accept of ['*/*', 'text/html']) {
      const res = await rawGet(path, { accept });
      const body = res.body.toString('latin1');
      assert.ok(!(marker && body.includes(marker)) && !/root:.*:0:0:/.test(body), `${path} (Accept: ${accept}) returned a file from outside the root`);
      if (status) assert.is(res.status, status, `${path} (Accept: ${accept}): status`);
      else assert.ok(res.status >= 400 && res.status < 500, `${path} (Accept: ${accept}): expected a 4xx, got ${res.status}`);
    }
  }
}

test('server: nothing outside its root, whatever the spelling of ".."', async () => {
  const { marker } = await outsideFiles();
  const dir = basename(ctx.outsideDir);
  const up = '..%2f'.repeat(12);
  const paths = [
    '/..%2f..%2fetc/passwd', `/${up}etc/passwd`, '/../../../../../../../../etc/passwd', '/%2e%2e/%2e%2e/%2e%2e/%2e%2e/etc/passwd',
    `/..%2f${dir}%2fsecret.txt`, `/../${dir}/secret.txt`, `/%2e%2e/${dir}/secret.txt`, `/%2e%2e%2f${dir}%2fsecret.txt`,
    `/assets/..%2f..%2f${dir}%2fsecret.txt`, `/..%5c${dir}%5csecret.txt`, `/..%2f${dir}%2fsecret.html`, `/..%2f${dir}%2fsecret`,
    `/@fs${ctx.outsideDir}/secret.txt`,
  ];
  await assertRefused(paths, { marker });
});

test('server: no symlink in the build folder leads out of it (demo/guard-plugin.mjs)', async () => {
  // Vite 8.3's preview server alone follows these wherever they point.
  const { dir: outside, marker } = await outsideFiles();
  const links = {
    'leak.txt': join(outside, 'secret.txt'), 'leak.html': join(outside, 'secret.html'), 'leak-dir': outside,
    'assets/leak.wasm': join(outside, 'secret.txt'), 'passwd': '/etc/passwd',
    // A name with a literal "%2f": Vite's static server decodes a path with decodeURI, which keeps %2F.
    'x%2fleak.txt': join(outside, 'secret.txt'),
  };
  for (const [name, target] of Object.entries(links)) await symlink(target, join(ctx.outDir, name));
  await assertRefused([
    '/leak.txt', '/leak.html', '/leak', '/leak-dir', '/leak-dir/', '/leak-dir/index.html', '/leak-dir/secret.txt',
    '/leak-dir/secret', '/leak-dir%2fsecret.txt', '/assets/leak.wasm', '/passwd', '/x%2fleak.txt', '/x%252fleak.txt',
  ], { marker, status: 404 });
  // A symlink that stays inside the build folder is served like its target.
  await symlink('index.html', join(ctx.outDir, 'same.html'));
  const same = await rawGet('/same.html', { accept: 'text/html' });
  assert.is(same.status, 200, '/same.html: status');
  assert.ok(same.body.equals(await readFile(join(ctx.outDir, 'index.html'))), '/same.html: the bytes of index.html');
});

test('server: a malformed percent-encoding is a 400, and the server lives on', async () => {
  // `/%E0%A4%A.html` alone would end this process: Vite 8.3's index.html middleware decodes it
  // with an unguarded decodeURIComponent. The demo's guard answers 400 before it.
  await assertRefused(['/%E0%A4%A', '/%E0%A4%A/', '/assets/%E0%A4%A.wasm', '/%', '/%zz',
    '/%E0%A4%A.html', '/assets/%E0%A4%A.html', '/%E0%A4%A/index.html', '/%C0%AF.html'], { status: 400 });
  const res = await rawGet('/', { accept: 'text/html' });
  assert.is(res.status, 200, 'the server still answers');
  assert.match(res.body.toString('utf8'), /<html/i);
});

test('(d) no console errors, no failed requests', async () => {
  assert.equal(ctx.consoleErrors, [], ctx.consoleErrors.join('\n'));
  const failed = ctx.loaded.filter((r) => r.status >= 400 && !r.url.includes('/nowhere/'));
  assert.equal(failed, [], 'HTTP errors');
});

browser.run();

// ---- esbuild ----------------------------------------------------------------------------------------
// esbuild (0.28) leaves `new URL('../build/simdclass-<build>.wasm', import.meta.url)` as it is and
// copies no .wasm, so the README gives a recipe: bundle as ESM, then either copy build/*.wasm to a
// build/ folder beside the bundle's folder (init() then finds them, every build), or copy one beside
// the bundle and pass its URL to init({ wasm }). Both are checked here, and so is the error without them.

const esbuild = suite('esbuild bundle');
const { test: esbuildTest } = withChromium(esbuild, 'the esbuild bundle tests');
const eb = { site: null, server: null, url: null, context: null, page: null, errors: [] };

/** The consumer app of the recipe: init() as the page's query says, then one kNN prediction. */
const APP = `import { init, KNearestNeighbor } from 'simdclass';
const mode = new URLSearchParams(location.search).get('mode');
try {
  const info = mode === 'url'
    ? await init({ build: 'simd', wasm: new URL('./simdclass-simd.wasm', import.meta.url) })
    : await init();
  const knn = new KNearestNeighbor({ k: 1 });
  await knn.train({ data: Float32Array.from([0, 10]), rows: 2, cols: 1 }, [0, 1]);
  const predicted = await knn.predict({ data: Float32Array.from([1, 9, 4]), rows: 3, cols: 1 });
  window.result = { build: info.build, predictions: Array.from(predicted) };
} catch (err) {
  window.result = { error: err.message, code: err.code };
}
`;

esbuildTest('setup: esbuild bundles a consumer app that imports simdclass by name', async () => {
  if (!CHROMIUM) throw new Error(`Chromium not found (${found.why}): install it or set CHROMIUM_PATH`);
  // A consumer project: its own folder with node_modules/simdclass (this package) and app.js.
  const project = eb.project = await mkdtemp(join(tmpdir(), 'simdclass-esbuild-'));
  await mkdir(join(project, 'node_modules'));
  await symlink(root, join(project, 'node_modules', 'simdclass'), 'dir');
  await writeFile(join(project, 'app.js'), APP);
  eb.site = join(project, 'site');
  for (const [dir, page] of [['with-build-folder', 'auto'], ['beside-bundle', 'url'], ['no-wasm', 'auto']]) {
    await mkdir(join(eb.site, dir, 'assets'), { recursive: true });
    await writeFile(join(eb.site, dir, 'index.html'), `<!doctype html><meta charset="utf-8"><title>${page}</title><script type="module" src="./assets/app.js"></script>`);
  }
  const { build } = await import('esbuild');
  for (const dir of ['with-build-folder', 'beside-bundle', 'no-wasm']) {
    const result = await build({
      entryPoints: [join(project, 'app.js')], bundle: true, format: 'esm', platform: 'browser', target: 'es2022',
      outdir: join(eb.site, dir, 'assets'), absWorkingDir: project, logLevel: 'silent', write: true, metafile: true,
    });
    assert.equal(result.errors, []);
    assert.equal(result.warnings.map((w) => w.text), []);
    const inputs = Object.keys(result.metafile.inputs);
    assert.ok(inputs.some((f) => f.endsWith('dist/index.js')), `the browser entry was bundled: ${inputs.join(', ')}`);
    assert.not.ok(inputs.some((f) => f.endsWith('dist/node.js')), 'not the Node entry');
  }
  // The recipe's copy step, two ways.
  await mkdir(join(eb.site, 'with-build-folder', 'build'));
  for (const b of ['relaxed', 'simd', 'scalar']) {
    await copyFile(join(root, 'build', `simdclass-${b}.wasm`), join(eb.site, 'with-build-folder', 'build', `simdclass-${b}.wasm`));
  }
  await copyFile(join(root, 'build', 'simdclass-simd.wasm'), join(eb.site, 'beside-bundle', 'assets', 'simdclass-simd.wasm'));

  const { preview } = await import('vite');
  eb.server = await preview({
    configFile: false, root: eb.site, logLevel: 'silent', appType: 'mpa',
    build: { outDir: eb.site }, preview: { host: '127.0.0.1', port: 0, strictPort: true, open: false },
  });
  eb.url = `http://127.0.0.1:${eb.server.httpServer.address().port}/`;
  const { chromium } = await import('playwright-core');
  eb.userDataDir = await mkdtemp(join(tmpdir(), 'simdclass-chromium-'));
  eb.context = await chromium.launchPersistentContext(eb.userDataDir, { executablePath: CHROMIUM, headless: true, args: CHROMIUM_ARGS, timeout: 30_000 });
  await eb.context.route('**/*', (route) => (route.request().url().startsWith(eb.url) ? route.continue() : route.abort()));
  eb.page = eb.context.pages()[0] ?? await eb.context.newPage();
  eb.page.on('pageerror', (err) => eb.errors.push(err.message));
});

esbuild.after(async () => {
  await eb.context?.close().catch(() => {});
  await eb.server?.close();
  for (const dir of [eb.project, eb.userDataDir]) if (dir) await rm(dir, { recursive: true, force: true }).catch(() => {});
});

async function runApp(path) {
  if (!eb.page) throw new Error('the esbuild bundle could not be set up: see the failed setup test above');
  await eb.page.goto(`${eb.url}${path}`, { waitUntil: 'load' });
  await eb.page.waitForFunction(() => window.result !== undefined, null, { timeout: 20_000 });
  return eb.page.evaluate(() => window.result);
}

esbuildTest('recipe 1: build/*.wasm copied to a build/ folder beside the bundle\'s folder: init() finds them and picks the best build', async () => {
  const result = await runApp('with-build-folder/');
  assert.is(result.error, undefined, result.error);
  assert.is(result.build, 'relaxed');
  assert.equal(result.predictions, [0, 1, 0]);
});

esbuildTest('recipe 2: one .wasm copied beside the bundle and passed as init({ build, wasm: url })', async () => {
  const result = await runApp('beside-bundle/?mode=url');
  assert.is(result.error, undefined, result.error);
  assert.is(result.build, 'simd');
  assert.equal(result.predictions, [0, 1, 0]);
});

esbuildTest('without the copy step: init() fails with ERR_WASM_LOAD naming the URL, the 404 and the fix', async () => {
  const result = await runApp('no-wasm/');
  assert.is(result.code, 'ERR_WASM_LOAD');
  assert.match(result.error, /\/no-wasm\/build\/simdclass-relaxed\.wasm/);
  assert.match(result.error, /404/);
  assert.match(result.error, /init\(\{ wasm/);
  assert.equal(eb.errors, [], 'no uncaught page errors');
});

esbuild.run();

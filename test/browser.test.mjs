// The browser demo (demo/) in Debian's Chromium, driven by playwright-core: builds the demo with
// Vite, serves it with Vite's preview server (`preview()`, demo/vite.config.mjs) on an ephemeral
// loopback port, loads it headless and checks (a) init() picked a SIMD build, (b) kNN predictions
// equal the Node run on the same data, (c) the 2-D panels draw and react to their controls, (d) no
// console errors; plus panel 3's worker training, the wrong-wasm-URL error, the bundle sizes (gzip),
// and the server: cross-origin isolation, data files sent as raw gzip bytes, nothing served from
// outside its root (by `..` or by a symlink), a 400 for a malformed URL. Leaves a screenshot and the
// sizes in test/.artifacts/ (git-ignored).
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { mulberry32 } from './helpers.mjs';

const root = fileURLToPath(new URL('..', import.meta.url));
const artifacts = join(root, 'test', '.artifacts');
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking',
  '--disable-component-update', '--disable-sync', '--no-first-run'];
// The embedded sample the demo bundles (data/fashion-mnist-sample/), and the headers the demo's
// server must send for cross-origin isolation (demo/vite.config.mjs).
const DATA_FILES = ['train-images-idx3-ubyte.gz', 'train-labels-idx1-ubyte.gz', 't10k-images-idx3-ubyte.gz', 't10k-labels-idx1-ubyte.gz'];
const ISOLATION = { 'cross-origin-opener-policy': 'same-origin', 'cross-origin-embedder-policy': 'require-corp' };

const browser = suite('browser demo');
const ctx = { ready: false, server: null, url: null, context: null, page: null, userDataDir: null, outDir: null, outsideDir: null, consoleErrors: [], loaded: [] };

// Setup is a test of its own (not a before hook, whose errors uvu does not print): a missing
// Chromium or a failed build is a failure with its message, never a silent pass.
browser('setup: builds the demo, serves it, and loads it in Chromium', async () => {
  if (!existsSync(CHROMIUM)) {
    throw new Error(`Chromium not found at ${CHROMIUM}: the browser test needs Debian's Chromium. ` +
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

  const { chromium } = await import('playwright-core');
  ctx.userDataDir = await mkdtemp(join(tmpdir(), 'simdclass-chromium-'));
  ctx.context = await chromium.launchPersistentContext(ctx.userDataDir, {
    executablePath: CHROMIUM, headless: true, args: CHROMIUM_ARGS,
    viewport: { width: 1280, height: 900 }, deviceScaleFactor: 1, timeout: 30_000,
  });
  // Only the loopback server: anything else would be a network access.
  await ctx.context.route('**/*', (route) => {
    const url = route.request().url();
    return url.startsWith(ctx.url) || url.startsWith('data:') ? route.continue() : route.abort();
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
  browser(name, async () => {
    if (!ctx.ready) throw new Error('the browser demo could not be set up: see the failed setup test above');
    await fn();
  });
}

browser.after(async () => {
  await ctx.context?.close().catch(() => {});
  await ctx.server?.close();
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
  // Back to the starting settings: the same picture again (deterministic points).
  await afterRender('knn-canvas', () => ctx.page.check('input[name="knn-classes"][value="3"]'));
  await afterRender('knn-canvas', () => ctx.page.check('input[name="knn-metric"][value="l2"]'));
  const back = await afterRender('knn-canvas', () => setRange('knn-k', 1));
  assert.is(back.hash, start.hash, 'same settings, same picture');
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

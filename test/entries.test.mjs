import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as nodeEntry from '../dist/node.js';
import * as browserEntry from '../dist/index.js';
import { mulberry32, randomU8 } from './helpers.mjs';

const dist = fileURLToPath(new URL('../dist/', import.meta.url));
const SAMPLE_FILES = ['train-images-idx3-ubyte.gz', 'train-labels-idx1-ubyte.gz', 't10k-images-idx3-ubyte.gz', 't10k-labels-idx1-ubyte.gz', 'README.md'];
const wasmBytes = (build) => readFileSync(new URL(`../build/simdclass-${build}.wasm`, import.meta.url));

/** Every module reachable from `file` through static and dynamic relative imports, plus the bare specifiers they name. */
function importGraph(file, seen = new Set(), bare = new Set()) {
  if (seen.has(file)) return { seen, bare };
  seen.add(file);
  const source = readFileSync(file, 'utf8');
  for (const [, spec] of source.matchAll(/(?:from\s+|import\s*\(\s*)['"]([^'"]+)['"]/g)) {
    if (spec.startsWith('.')) importGraph(join(dirname(file), spec), seen, bare);
    else bare.add(spec);
  }
  return { seen, bare };
}

const entries = suite('package entries');

entries('the browser entry reaches no Node built-in', () => {
  const { seen, bare } = importGraph(join(dist, 'index.js'));
  assert.ok(seen.size > 5, `walked ${seen.size} modules`);
  const nodeOnly = [...bare].filter((s) => s.startsWith('node:') || ['fs', 'path', 'url', 'os', 'v8', 'zlib', 'child_process'].includes(s));
  assert.equal(nodeOnly, []);
  assert.not.ok([...seen].some((f) => f.endsWith('data/node.js') || f.includes('/cli/')), 'no Node-only module in the browser graph');
});

entries('package.json routes node and browser through exports conditions, each with its own types', () => {
  const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8'));
  const root = pkg.exports['.'];
  assert.equal(root.node, { types: './dist/node.d.ts', default: './dist/node.js' });
  assert.is(root.default, './dist/index.js');
  assert.is(root.types, './dist/index.d.ts');
  assert.is(pkg.type, 'module');
  assert.is(pkg.license, 'MIT');
});

entries('the package (npm pack) holds LICENSE, README, the entries, the wasm builds and the embedded sample', () => {
  const r = spawnSync('npm', ['pack', '--dry-run', '--json', '--ignore-scripts'], { cwd: fileURLToPath(new URL('..', import.meta.url)), encoding: 'utf8' });
  assert.is(r.status, 0, r.stderr);
  const files = new Set(JSON.parse(r.stdout)[0].files.map((f) => f.path));
  for (const f of ['LICENSE', 'README.md', 'package.json', 'dist/index.js', 'dist/index.d.ts', 'dist/node.js', 'dist/node.d.ts', 'dist/cli/main.js',
    'build/simdclass-relaxed.wasm', 'build/simdclass-simd.wasm', 'build/simdclass-scalar.wasm',
    ...SAMPLE_FILES.map((name) => `data/fashion-mnist-sample/${name}`)]) {
    assert.ok(files.has(f), `${f} is in the package`);
  }
  assert.match(readFileSync(new URL('../LICENSE', import.meta.url), 'utf8'), /^MIT License\n\nCopyright \(c\) \d{4} /);
});

entries('a consumer reaches the embedded sample through the "./data/*" export and loads it', async () => {
  const readme = import.meta.resolve('simdclass/data/fashion-mnist-sample/README.md');
  assert.is(readme, new URL('../data/fashion-mnist-sample/README.md', import.meta.url).href);
  const ds = await nodeEntry.loadDataset(fileURLToPath(new URL('.', readme)), { trainLimit: 100, testLimit: 20 });
  assert.is(ds.train.X.rows, 100);
  assert.is(ds.test.X.rows, 20);
  assert.equal(ds.shape, [28, 28, 1]);
  assert.is(ds.classNames[0], 'T-shirt/top');
  for (const name of SAMPLE_FILES) assert.ok(import.meta.resolve(`simdclass/data/fashion-mnist-sample/${name}`).endsWith(name));
});

entries('the Node entry adds the file loaders; both share the API', () => {
  assert.type(nodeEntry.loadDataset, 'function');
  assert.is(browserEntry.loadDataset, undefined);
  for (const name of ['init', 'KNearestNeighbor', 'LinearSVM', 'Softmax', 'svmLoss', 'softmaxLoss', 'parseIdx', 'parseCifar10Batch', 'crossValidateKnn', 'weightImages']) {
    assert.type(browserEntry[name], 'function', name);
    assert.type(nodeEntry[name], 'function', name);
  }
});

entries.run();

const init = suite('init');

init('auto picks relaxed SIMD in Node 20 (the V8 flag is set inside init) and each build can be forced', async () => {
  assert.is((await nodeEntry.init()).build, 'relaxed');
  for (const build of ['scalar', 'simd', 'relaxed']) assert.is((await nodeEntry.init({ build })).build, build);
  assert.is((await nodeEntry.init()).build, 'relaxed', 'idempotent');
});

init('the browser entry accepts wasm bytes and predicts exactly like the Node entry', async () => {
  const random = mulberry32(7);
  const X = randomU8(random, 200, 50), Q = randomU8(random, 30, 50);
  const y = Array.from({ length: 200 }, (_, i) => i % 4);
  await nodeEntry.init({ build: 'simd' });
  const a = new nodeEntry.KNearestNeighbor({ k: 3, metric: 'l2' });
  await a.train(X, y);
  const expected = await a.predict(Q);
  const info = await browserEntry.init({ build: 'relaxed', wasm: wasmBytes('relaxed') });
  assert.is(info.build, 'relaxed');
  const b = new browserEntry.KNearestNeighbor({ k: 3, metric: 'l2' });
  await b.train(X, y);
  assert.equal(Array.from(await b.predict(Q)), Array.from(expected));
  a.dispose(); b.dispose();
  await nodeEntry.init();
});

init('a wrong build name, bad bytes or an unreachable URL give a clear error', async () => {
  try { await nodeEntry.init({ build: 'fast' }); assert.unreachable(); } catch (err) { assert.match(err.message, /Expected build to be 'auto', 'relaxed', 'simd' or 'scalar', got fast/); }
  try {
    await browserEntry.init({ build: 'simd', wasm: new Uint8Array([0, 1, 2, 3]) });
    assert.unreachable();
  } catch (err) {
    assert.is(err.code, 'ERR_WASM_LOAD');
    assert.match(err.message, /Could not load the simdclass 'simd' WebAssembly core/);
  }
  const url = 'http://127.0.0.1:9/missing/simdclass-simd.wasm';
  try {
    await browserEntry.init({ build: 'simd', wasm: url });
    assert.unreachable();
  } catch (err) {
    assert.is(err.code, 'ERR_WASM_LOAD');
    assert.ok(err.message.includes(url), 'names the URL');
    assert.match(err.message, /init\(\{ wasm: url \}\)/);
  }
  try {
    await browserEntry.init({ build: 'simd', wasm: wasmBytes('scalar') });
    assert.unreachable();
  } catch (err) {
    assert.match(err.message, /reports SIMD level 0, not the 'simd' build/);
  }
  assert.is((await nodeEntry.init()).build, 'relaxed', 'a failed init leaves the loaded core in place');
});

init('init({ wasm }) with build auto runs the given binary as whatever build it is', async () => {
  for (const build of ['simd', 'scalar']) {
    const info = await browserEntry.init({ wasm: wasmBytes(build), threads: 0 });
    assert.is(info.build, build);
  }
  assert.is((await nodeEntry.init({ build: 'relaxed' })).build, 'relaxed');
});

init('a Node entry whose wasm file is missing gives ERR_WASM_LOAD with the path and the fix', () => {
  // A copy of the Node entry in a folder without ../build/: the way a bundled Node entry breaks.
  const dir = join(dirname(fileURLToPath(import.meta.url)), '.artifacts', 'no-wasm', 'dist');
  const script = `import(${JSON.stringify(join(dir, 'node.js'))}).then((m) => m.init()).then(() => process.stdout.write('loaded'), (err) => process.stdout.write(err.code + ' ' + err.message));`;
  spawnSync('rm', ['-rf', dirname(dir)]);
  spawnSync('mkdir', ['-p', dirname(dir)]);
  spawnSync('cp', ['-r', fileURLToPath(new URL('../dist', import.meta.url)), dir]);
  spawnSync('cp', [fileURLToPath(new URL('../package.json', import.meta.url)), dirname(dir)]);
  spawnSync('ln', ['-s', fileURLToPath(new URL('../node_modules', import.meta.url)), join(dirname(dir), 'node_modules')]);
  const r = spawnSync(process.execPath, ['-e', script], { encoding: 'utf8', timeout: 20_000 });
  assert.match(r.stdout, /^ERR_WASM_LOAD Could not read the simdclass 'relaxed' WebAssembly core at .*no-wasm\/build\/simdclass-relaxed-threads\.wasm \(ENOENT\)/);
  assert.match(r.stdout, /copy node_modules\/simdclass\/build\/\*\.wasm/);
});

init('models refuse to run before init', async () => {
  // A fresh module graph has no core: import the runtime under a query string to get a new instance.
  const fresh = await import(`../dist/runtime.js?fresh=${Date.now()}`);
  assert.throws(() => fresh.core(), (err) => err.code === 'ERR_STATE' && /call `await init\(\)`/.test(err.message));
});

init.run();

// The package's types as consumers see them: tsc typechecks small consumer files (test/types/)
// that import everything the README shows, under node16 resolution (a Node project), bundler
// resolution (a browser app: no loadDataset) and bundler resolution with the node condition; and
// each export condition's declarations name exactly the values its JavaScript exports.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';

const root = fileURLToPath(new URL('..', import.meta.url));
const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8'));

function typecheck(config) {
  const r = spawnSync(process.execPath, [tsc, '-p', `test/types/tsconfig.${config}.json`, '--pretty', 'false'], { cwd: root, encoding: 'utf8' });
  return { code: r.status, output: `${r.stdout}${r.stderr}`.trim() };
}

const Consumer = suite('a consumer project typechecks');

for (const [config, what] of [
  ['node16', 'a Node project (module node16): the README example with loadDataset and the embedded sample'],
  ['bundler', 'a browser app (moduleResolution bundler): the same API without loadDataset (@ts-expect-error)'],
  ['bundler-node', 'a Node bundle (moduleResolution bundler, customConditions node)'],
]) {
  Consumer(`${config}: ${what}`, () => {
    const { code, output } = typecheck(config);
    assert.is(code, 0, `tsc -p test/types/tsconfig.${config}.json:\n${output}`);
    assert.is(output, '');
  });
}

Consumer.run();

const Conditions = suite('types per export condition');

/** The .d.ts file 'simdclass' resolves to from test/types/ under `options`, and the values it exports. */
function declaredValues(options) {
  const from = fileURLToPath(new URL('./types/node.ts', import.meta.url));
  const resolved = ts.resolveModuleName('simdclass', from, options, ts.sys).resolvedModule;
  assert.ok(resolved, 'simdclass resolves');
  const program = ts.createProgram([resolved.resolvedFileName], { ...options, noEmit: true, skipLibCheck: true, types: [] });
  const checker = program.getTypeChecker();
  const file = program.getSourceFile(resolved.resolvedFileName);
  const exports = checker.getExportsOfModule(checker.getSymbolAtLocation(file));
  const values = exports.filter((s) => {
    const target = s.flags & ts.SymbolFlags.Alias ? checker.getAliasedSymbol(s) : s;
    return (target.flags & ts.SymbolFlags.Value) !== 0;
  }).map((s) => s.name);
  return { file: resolved.resolvedFileName.slice(root.length), values: values.sort() };
}

Conditions('the node condition has the Node entry\'s declarations; every other, the browser entry\'s', async () => {
  const node16 = declaredValues({ module: ts.ModuleKind.Node16, moduleResolution: ts.ModuleResolutionKind.Node16 });
  const bundler = declaredValues({ module: ts.ModuleKind.ESNext, moduleResolution: ts.ModuleResolutionKind.Bundler });
  const bundlerNode = declaredValues({ module: ts.ModuleKind.ESNext, moduleResolution: ts.ModuleResolutionKind.Bundler, customConditions: ['node'] });
  assert.is(node16.file, 'dist/node.d.ts');
  assert.is(bundlerNode.file, 'dist/node.d.ts');
  assert.is(bundler.file, 'dist/index.d.ts');
  const runtime = async (entry) => Object.keys(await import(`../dist/${entry}.js`)).sort();
  assert.equal(node16.values, await runtime('node'), 'dist/node.d.ts declares what dist/node.js exports');
  assert.equal(bundler.values, await runtime('index'), 'dist/index.d.ts declares what dist/index.js exports');
  assert.ok(node16.values.includes('loadDataset') && !bundler.values.includes('loadDataset'));
});

Conditions('package.json: each condition of "." names its own types, and a types-only condition comes before default', () => {
  const root = pkg.exports['.'];
  assert.equal(Object.keys(root), ['node', 'types', 'default'], 'order matters: the first matching condition wins');
  assert.equal(root.node, { types: './dist/node.d.ts', default: './dist/node.js' });
  assert.is(root.types, './dist/index.d.ts');
  assert.is(root.default, './dist/index.js');
  assert.is(pkg.types, './dist/node.d.ts', 'top-level types (node10 resolution, which ignores exports): the Node entry, which Node runs');
});

Conditions.run();

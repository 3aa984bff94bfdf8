// Runs every test/*.test.mjs with uvu and ends with the line CI reads: "N passed, N failed".
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const uvu = fileURLToPath(new URL('../node_modules/uvu/bin.js', import.meta.url));
// uvu colours its output even into a pipe (it sets FORCE_COLOR): only on a terminal, and never with NO_COLOR.
const color = Boolean(process.stdout.isTTY) && !process.env.NO_COLOR;
const result = spawnSync(process.execPath, [uvu, 'test', '\\.test\\.mjs$', ...(color ? [] : ['--no-color']), ...process.argv.slice(2)], {
  cwd: root, encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'], maxBuffer: 64 * 1024 * 1024,
});
process.stdout.write(result.stdout ?? '');
// Strip any escapes (a terminal run) before reading the counts.
const summary = (result.stdout ?? '').replace(/\x1b\[[0-9;]*m/g, '');
const count = (label) => Number(new RegExp(`${label}:\\s+(\\d+)`).exec(summary)?.[1] ?? 0);
const total = count('Total'), passed = count('Passed'), skipped = count('Skipped');
// uvu's Total leaves skipped tests out. A crash before the summary counts as a failure, never as a pass.
const failed = result.status === 0 ? total - passed : Math.max(1, total - passed);
console.log(`${passed} passed, ${failed} failed${skipped ? `, ${skipped} skipped` : ''}`);
process.exit(result.status === 0 && failed === 0 && total > 0 ? 0 : 1);

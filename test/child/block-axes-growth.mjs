// Child process of pyramid-projection.test.mjs: in a fresh process (a small memory) without a pool,
// builds squared-L2 pyramids with block axes for growing sets of 784-column rows, keeping the rows
// alive so that some builds must grow the memory, and prints as JSON how many grew it and each
// build's levels (or the error that stopped it).
import { init } from '../../dist/node.js';
import { core } from '../../dist/runtime.js';
import { storeTrainingRows } from '../../dist/exec/knn-rows.js';
import { buildPyramid, freePyramid } from '../../dist/exec/pyramid.js';

await init({ threads: 0 });
const c = core(), cols = 784;
let seed = 16;
const random = () => ((seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) / 2 ** 32);
const out = { grew: 0, builds: [] };
for (let n = 600; n < 10000; n += 523) {
  // Rows near one of 8 images, so that the axes have structure to find.
  const centres = Array.from({ length: 8 }, () => Uint8Array.from({ length: cols }, () => Math.floor(random() * 256)));
  const data = new Uint8Array(n * cols);
  for (let r = 0; r < n; r++) {
    const centre = centres[r % 8];
    for (let j = 0; j < cols; j++) data[r * cols + j] = Math.max(0, Math.min(255, centre[j] + Math.floor(random() * 21) - 10));
  }
  const t = storeTrainingRows(c, { data, rows: n, cols }, 'l2');
  const buffer = c.u8.buffer;
  try {
    const p = await buildPyramid(t, [28, 28, 1], 'l2');
    out.builds.push({ n, levels: p.levels.map((l) => [l.block, l.dims]) });
    freePyramid(p);
  } catch (err) {
    out.builds.push({ n, error: err.message });
  }
  if (c.u8.buffer !== buffer) out.grew++;
}
console.log(JSON.stringify(out));

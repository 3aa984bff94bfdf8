// A u8 training set of about 3 GiB (past the 1 GiB a single wasm block can hold) trains and
// predicts correctly. It runs in a child process so its 3 GiB of wasm memory go away with it.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const ROWS = 4_100_000; // x 784 = 3.21e9 bytes (2.99 GiB)

test('kNN on 2.99 GiB of u8 rows: exact neighbours in every chunk, L1 and L2', () => {
  const child = fileURLToPath(new URL('./child/large-knn.mjs', import.meta.url));
  const out = JSON.parse(execFileSync(process.execPath, [child, String(ROWS)], { encoding: 'utf8', maxBuffer: 1 << 20 }));
  assert.is(out.bytes, ROWS * 784);
  const last = [0, 1, 2, 3, 4].map((i) => ROWS - 5 + i);
  const of250 = (n) => Array.from({ length: n }, (_, i) => 250 + 251 * i);
  const of7 = Array.from({ length: 8 }, (_, i) => 7 + 251 * i);
  for (const metric of ['l1', 'l2']) {
    const r = out.results[metric];
    assert.equal(r.indices.slice(0, 8), [...last, ...of250(3)], `${metric}: query 255`);
    assert.equal(r.indices.slice(8, 16), of7, `${metric}: query 7`);
    assert.equal(r.indices.slice(16, 24), [...last, ...of250(3)], `${metric}: query 253`);
    const per = (d) => (metric === 'l1' ? d * 784 : d * 28);
    assert.equal(r.distances.slice(0, 8), [0, 0, 0, 0, 0, per(5), per(5), per(5)], `${metric}: distances of query 255`);
    assert.equal(r.distances.slice(16, 24), [per(2), per(2), per(2), per(2), per(2), per(3), per(3), per(3)], `${metric}: distances of query 253`);
    assert.equal(r.predicted, [9, 7, 9], `${metric}: predictions`);
  }
  console.log(`  3 GiB kNN: ${out.rows} rows, ${out.bytes} bytes; train ${out.results.l1.trainMs.toFixed(0)} ms (L1), ${out.results.l2.trainMs.toFixed(0)} ms (L2); 3 queries ${out.results.l1.queryMs.toFixed(0)} / ${out.results.l2.queryMs.toFixed(0)} ms; child total ${out.totalMs.toFixed(0)} ms`);
});

test.run();

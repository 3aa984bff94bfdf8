// A browser consumer (a bundler picks the package's default condition): the same API, no loadDataset.
import { init, parseIdx, idxImages, idxLabels } from 'simdclass';
// @ts-expect-error loadDataset reads folders with node:fs: the browser entry does not export it.
import { loadDataset } from 'simdclass';
import { everything } from './shared.js';

await init({ wasm: new URL('./simdclass-simd.wasm', import.meta.url), build: 'simd' });
const bytes = async (url: string) => new Uint8Array(await (await fetch(url)).arrayBuffer());
const images = idxImages(await parseIdx(await bytes('train-images-idx3-ubyte.gz')));
const labels = idxLabels(await parseIdx(await bytes('train-labels-idx1-ubyte.gz')));
const train = { X: { data: images.data, rows: images.rows, cols: images.cols }, y: labels };
document.title = String((await everything(train, train, [28, 28, 1])).length) + String(loadDataset);

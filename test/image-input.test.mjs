// Pixels from a canvas or any RGBA array (src/image-input.ts): exact values on tiny images
// (averaging, identity, channel order, luminance, invert, alpha), bilinear enlarging, a 280 x 280
// drawing reduced to 28 x 28, uniform images at any size (a seeded property), and typed errors.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { fromImageData } from '../dist/image-input.js';
import { mulberry32, throws } from './helpers.mjs';
import { fc, propertyTest } from './property-config.mjs';

const FILE = 'test/image-input.test.mjs';

/** An ImageData-like image from [r, g, b, a] pixels, row-major. */
function image(width, height, pixels) {
  assert.is(pixels.length, width * height);
  return { width, height, data: Uint8ClampedArray.from(pixels.flat()) };
}

/** Opaque gray pixels of these values. */
const gray = (...values) => values.map((v) => [v, v, v, 255]);

/** A random opaque image. */
function randomImage(seed, width, height) {
  const rng = mulberry32(seed);
  const pixels = Array.from({ length: width * height }, () => [0, 0, 0].map(() => Math.floor(rng() * 256)).concat(255));
  return image(width, height, pixels);
}

/** Rec. 601 luminance, rounded half up, in exact integer arithmetic. */
const luma = (r, g, b) => Math.round((299 * r + 587 * g + 114 * b) / 1000);

const values = (m) => [...m.data];

const throwsCode = (fn, code, message) => throws(fn, { code, message });

const test = suite('fromImageData');

test('returns a 1-row u8 Matrix of width x height x channels values', () => {
  const m = fromImageData(randomImage(1, 5, 4), { width: 3, height: 2, channels: 3 });
  assert.instance(m.data, Uint8Array);
  assert.is(m.rows, 1);
  assert.is(m.cols, 3 * 2 * 3);
  assert.is(m.data.length, m.cols);
});

test('2 x 2 -> 1 x 1 is the mean, rounded half up', () => {
  assert.equal(values(fromImageData(image(2, 2, gray(0, 1, 2, 3)), { width: 1, height: 1, channels: 1 })), [2]);
  const colours = image(2, 2, [[10, 0, 1, 255], [20, 0, 2, 255], [30, 0, 3, 255], [40, 255, 4, 255]]);
  assert.equal(values(fromImageData(colours, { width: 1, height: 1, channels: 3 })), [25, 64, 3]); // 25, 63.75, 2.5
});

test('equal sizes are the identity, in HWC order (RGB, or luminance)', () => {
  const img = randomImage(2, 3, 2);
  const rgb = [], lum = [];
  for (let p = 0; p < 6; p++) {
    const [r, g, b] = img.data.subarray(p * 4, p * 4 + 3);
    rgb.push(r, g, b);
    lum.push(luma(r, g, b));
  }
  assert.equal(values(fromImageData(img, { width: 3, height: 2, channels: 3 })), rgb);
  assert.equal(values(fromImageData(img, { width: 3, height: 2, channels: 1 })), lum);
});

test('channel order is R, G, B, pixel by pixel along rows, then rows', () => {
  const img = image(2, 2, [[1, 2, 3, 255], [4, 5, 6, 255], [7, 8, 9, 255], [10, 11, 12, 255]]);
  assert.equal(values(fromImageData(img, { width: 2, height: 2, channels: 3 })), [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12]);
});

test('luminance is Rec. 601: 0.299 R + 0.587 G + 0.114 B', () => {
  const img = image(4, 1, [[255, 0, 0, 255], [0, 255, 0, 255], [0, 0, 255, 255], [255, 255, 255, 255]]);
  assert.equal(values(fromImageData(img, { width: 4, height: 1, channels: 1 })), [76, 150, 29, 255]); // 76.245, 149.685, 29.07
});

test('invert gives 255 minus the plain result, exactly', () => {
  const img = randomImage(3, 7, 5);
  for (const [width, height, channels] of [[7, 5, 1], [3, 2, 3], [10, 9, 1]]) {
    const plain = values(fromImageData(img, { width, height, channels }));
    const inverted = values(fromImageData(img, { width, height, channels, invert: true }));
    assert.equal(inverted, plain.map((v) => 255 - v));
  }
  assert.equal(values(fromImageData(image(2, 2, gray(0, 1, 2, 3)), { width: 1, height: 1, channels: 1, invert: true })), [253]);
});

test('alpha is composited over white by default, or over black', () => {
  const img = image(3, 1, [[0, 0, 0, 0], [0, 0, 0, 128], [255, 0, 0, 51]]);
  const over = (background) => values(fromImageData(img, { width: 3, height: 1, channels: 3, background }));
  assert.equal(over(undefined), [255, 255, 255, 127, 127, 127, 255, 204, 204]);
  assert.equal(over('white'), over(undefined));
  assert.equal(over('black'), [0, 0, 0, 0, 0, 0, 51, 0, 0]);
  // A transparent canvas with a dark stroke, seen over white and inverted: a light stroke on black.
  const stroke = image(2, 1, [[0, 0, 0, 0], [30, 30, 30, 255]]);
  assert.equal(values(fromImageData(stroke, { width: 2, height: 1, channels: 1, invert: true })), [0, 225]);
});

test('shrinking by a non-integer factor weights pixels by the area they cover', () => {
  assert.equal(values(fromImageData(image(3, 1, gray(0, 90, 180)), { width: 2, height: 1, channels: 1 })), [30, 150]);
  // 5 -> 2: output pixels cover 2.5 source pixels each.
  assert.equal(values(fromImageData(image(5, 1, gray(10, 20, 30, 40, 50)), { width: 2, height: 1, channels: 1 })), [18, 42]);
});

test('enlarging is bilinear between pixel centres, edges clamped', () => {
  assert.equal(values(fromImageData(image(2, 1, gray(0, 255)), { width: 4, height: 1, channels: 1 })), [0, 64, 191, 255]); // 63.75, 191.25
  assert.equal(values(fromImageData(image(1, 1, gray(77)), { width: 3, height: 2, channels: 1 })), new Array(6).fill(77));
  assert.equal(values(fromImageData(image(1, 2, gray(0, 100)), { width: 1, height: 4, channels: 1 })), [0, 25, 75, 100]);
});

test('each axis is resized on its own: wider and shorter at once', () => {
  const img = image(2, 2, gray(0, 100, 200, 100));
  // Columns: 2 -> 4 bilinear; rows: 2 -> 1 mean (100, 100).
  assert.equal(values(fromImageData(img, { width: 4, height: 1, channels: 1 })), [100, 100, 100, 100]);
  const ramp = image(2, 2, gray(0, 200, 0, 200));
  assert.equal(values(fromImageData(ramp, { width: 4, height: 1, channels: 1 })), [0, 50, 150, 200]);
});

test('a 280 x 280 drawing of a filled rectangle reduced to 28 x 28 has the block pattern', () => {
  // A transparent canvas with a dark (30, 30, 30) rectangle over x in [55, 145), y in [100, 230).
  const data = new Uint8ClampedArray(280 * 280 * 4);
  for (let y = 100; y < 230; y++) {
    for (let x = 55; x < 145; x++) data.set([30, 30, 30, 255], (y * 280 + x) * 4);
  }
  const m = fromImageData({ data, width: 280, height: 280 }, { width: 28, height: 28, channels: 1, invert: true });
  // Each output pixel is a 10 x 10 block: columns 5 and 14 are half covered, rows 10 to 22 fully.
  const covered = (col) => (col === 5 || col === 14 ? 0.5 : col > 5 && col < 14 ? 1 : 0);
  for (let row = 0; row < 28; row++) {
    for (let col = 0; col < 28; col++) {
      const c = row >= 10 && row < 23 ? covered(col) : 0;
      const plain = Math.round(c * 30 + (1 - c) * 255);
      assert.is(m.data[row * 28 + col], 255 - plain, `row ${row}, column ${col}`);
    }
  }
});

test('a plain RGBA array (number[], Uint8Array) with sourceWidth and sourceHeight', () => {
  const img = randomImage(4, 6, 4);
  const expected = values(fromImageData(img, { width: 3, height: 3, channels: 3 }));
  const options = { sourceWidth: 6, sourceHeight: 4, width: 3, height: 3, channels: 3 };
  assert.equal(values(fromImageData(Array.from(img.data), options)), expected);
  assert.equal(values(fromImageData(new Uint8Array(img.data), options)), expected);
  assert.equal(values(fromImageData(img.data, options)), expected);
  assert.equal(values(fromImageData({ ...img, data: Array.from(img.data) }, { width: 3, height: 3, channels: 3 })), expected);
});

test('every argument is checked, and the error names it', () => {
  const img = image(2, 2, gray(0, 1, 2, 3));
  const opts = { width: 1, height: 1, channels: 1 };
  throwsCode(() => fromImageData(null, opts), 'ERR_ARG_TYPE', /Expected image to be an ImageData-like \{ data, width, height \} or an RGBA array, got null/);
  throwsCode(() => fromImageData({ width: 2, height: 2 }, opts), 'ERR_ARG_TYPE', /Expected image to be an ImageData-like/);
  throwsCode(() => fromImageData({ ...img, data: new Float32Array(16) }, opts), 'ERR_ARG_TYPE', /Expected image\.data to be a Uint8ClampedArray, Uint8Array or number\[\]/);
  throwsCode(() => fromImageData({ ...img, width: 0 }, opts), 'ERR_ARG_RANGE', /Expected image\.width in \[1, 65536\], got 0/);
  throwsCode(() => fromImageData({ ...img, height: 2.5 }, opts), 'ERR_ARG_TYPE', /Expected image\.height to be an integer/);
  throwsCode(() => fromImageData({ ...img, width: 3 }, opts), 'ERR_ARG_RANGE', /Expected image\.data\.length to equal width x height x 4 \(3 x 2 x 4 = 24\), got 16/);
  throwsCode(() => fromImageData({ ...img, data: [0, 0, 0, 255, 0, 300, 0, 255, 0, 0, 0, 255, 0, 0, 0, 255] }, opts), 'ERR_ARG_RANGE', /Expected image\.data\[5\] in \[0, 255\], got 300/);
  throwsCode(() => fromImageData(img, { ...opts, sourceWidth: 2 }), 'ERR_ARG_TYPE', /Expected no options\.sourceWidth with an ImageData-like image/);
  throwsCode(() => fromImageData(img.data, opts), 'ERR_ARG_TYPE', /Expected options\.sourceWidth and options\.sourceHeight with a plain RGBA array/);
  throwsCode(() => fromImageData(img.data, { ...opts, sourceWidth: 2, sourceHeight: 3 }), 'ERR_ARG_RANGE', /Expected image\.length to equal width x height x 4 \(2 x 3 x 4 = 24\), got 16/);
  throwsCode(() => fromImageData(img, undefined), 'ERR_ARG_TYPE', /Expected options\.width to be an integer, got undefined/);
  throwsCode(() => fromImageData(img, 28), 'ERR_ARG_TYPE', /Expected options to be an object/);
  throwsCode(() => fromImageData(img, { ...opts, chanels: 1 }), 'ERR_ARG_TYPE', /Unknown option "chanels" in options; did you mean "channels"\?/);
  throwsCode(() => fromImageData(img, { ...opts, width: 0 }), 'ERR_ARG_RANGE', /Expected options\.width in \[1, 65536\], got 0/);
  throwsCode(() => fromImageData(img, { ...opts, height: '28' }), 'ERR_ARG_TYPE', /Expected options\.height to be an integer, got string 28/);
  throwsCode(() => fromImageData(img, { ...opts, width: 8192, height: 8192 }), 'ERR_ARG_RANGE', /Expected options\.width x options\.height <= 16777216 pixels/);
  throwsCode(() => fromImageData(img, { ...opts, channels: 4 }), 'ERR_ARG_RANGE', /Expected options\.channels to be 1 \(luminance\) or 3 \(RGB\), got 4/);
  throwsCode(() => fromImageData(img, { ...opts, channels: '1' }), 'ERR_ARG_TYPE', /Expected options\.channels to be 1/);
  throwsCode(() => fromImageData(img, { ...opts, invert: 1 }), 'ERR_ARG_TYPE', /Expected options\.invert to be a boolean, got number 1/);
  throwsCode(() => fromImageData(img, { ...opts, background: 'gray' }), 'ERR_ARG_RANGE', /Expected options\.background to be 'white' or 'black', got "gray"/);
  throwsCode(() => fromImageData(img, { ...opts, background: 0 }), 'ERR_ARG_TYPE', /Expected options\.background to be 'white' or 'black', got number 0/);
});

test.run();

const properties = suite('fromImageData properties');

const side = fc.integer({ min: 1, max: 40 });

propertyTest(properties, FILE, 'a uniform image stays uniform at any size, to the exact value', () =>
  fc.property(side, side, side, side, fc.constantFrom(1, 3), fc.uint8Array({ minLength: 3, maxLength: 3 }),
    (sw, sh, width, height, channels, [r, g, b]) => {
      const img = image(sw, sh, new Array(sw * sh).fill([r, g, b, 255]));
      const expected = channels === 1 ? [luma(r, g, b)] : [r, g, b];
      const m = fromImageData(img, { width, height, channels });
      for (let i = 0; i < m.data.length; i++) assert.is(m.data[i], expected[i % channels]);
    }));

propertyTest(properties, FILE, 'shrinking by integer factors gives the block means', () =>
  fc.property(fc.integer({ min: 1, max: 6 }), fc.integer({ min: 1, max: 6 }), fc.integer({ min: 1, max: 5 }), fc.integer({ min: 1, max: 5 }), fc.nat(),
    (width, height, fx, fy, seed) => {
      const img = randomImage(seed, width * fx, height * fy);
      const m = fromImageData(img, { width, height, channels: 3 });
      for (let y = 0; y < height; y++) {
        for (let x = 0; x < width; x++) {
          for (let c = 0; c < 3; c++) {
            let sum = 0;
            for (let dy = 0; dy < fy; dy++) for (let dx = 0; dx < fx; dx++) sum += img.data[((y * fy + dy) * width * fx + x * fx + dx) * 4 + c];
            assert.is(m.data[(y * width + x) * 3 + c], Math.round(sum / (fx * fy)), `(${x}, ${y}) channel ${c}`);
          }
        }
      }
    }));

properties.run();

// Pixels from a canvas drawing, a webcam frame or any RGBA array, as one u8 row laid out like the
// training data (HWC), so that a model can classify them. Browser-safe.
//
// Order of work: alpha is composited over the background, RGB becomes luminance (channels 1),
// the image is resized to width x height, values are rounded to the nearest byte (halves up), and
// then inverted if asked. Every step before the rounding is integer arithmetic (weights are
// integer overlaps, luminance weights are 299, 587 and 114), divided once at the end: exact in
// doubles while the sums stay below 2^53, i.e. for sources up to about 100 megapixels.
//
// Resizing is separable, chosen per axis:
// - shrinking (and equal sizes): area averaging. Each output pixel is the mean of the source area
//   it covers, partly covered pixels weighted by their overlap. Nothing is skipped, so thin strokes
//   survive and there is no aliasing; a 280 -> 28 reduction is the mean of each 10 x 10 block, and
//   equal sizes are the identity.
// - enlarging: bilinear interpolation between source pixel centres (edges clamped), which is
//   smooth where area averaging would only repeat pixels.
// The image is stretched to width x height: crop it to the model's aspect ratio first if needed.
import { ArgumentRangeError, ArgumentTypeError } from './errors.js';
import { checkInt, describe, type Matrix } from './matrix.js';
import { checkOptions } from './options.js';

/** RGBA pixels, 4 values in [0, 255] per pixel, row-major. */
export type RgbaArray = Uint8ClampedArray | Uint8Array | readonly number[];

/** An image like a canvas ImageData or a webcam frame: width x height RGBA pixels. */
export interface ImageDataLike {
  data: RgbaArray;
  width: number;
  height: number;
}

export interface ImageInputOptions {
  /** The width the model expects (28 for Fashion-MNIST). */
  width: number;
  /** The height the model expects. */
  height: number;
  /** 1: luminance (Rec. 601: 0.299 R + 0.587 G + 0.114 B); 3: RGB. */
  channels: 1 | 3;
  /**
   * Output 255 - value (default false). Fashion-MNIST is light garments on a black background; a
   * drawing app makes dark strokes on white: invert those.
   */
  invert?: boolean;
  /**
   * What transparent pixels are composited over (default 'white', the page behind a canvas: a
   * fresh canvas is transparent, and strokes drawn on it are seen over white).
   */
  background?: 'white' | 'black';
  /** The width of a plain RGBA array (an ImageData carries its own). */
  sourceWidth?: number;
  /** The height of a plain RGBA array. */
  sourceHeight?: number;
}

/** The longest side of a source or output image. */
export const MAX_IMAGE_SIDE = 65536;
/** The most output pixels (4096 x 4096). */
export const MAX_OUTPUT_PIXELS = 2 ** 24;

const OPTION_KEYS = ['width', 'height', 'channels', 'invert', 'background', 'sourceWidth', 'sourceHeight'] as const;
/** Source values are scaled by 255 (alpha compositing) and, for luminance, by 1000 (its weights). */
const ALPHA_SCALE = 255;
const LUMA_SCALE = 1000;
const LUMA_R = 299, LUMA_G = 587, LUMA_B = 114;

/** A source image checked and unpacked. */
interface Source {
  rgba: RgbaArray;
  width: number;
  height: number;
}

/**
 * The pixels of `image` (an ImageData-like object, or a plain RGBA array with options.sourceWidth
 * and options.sourceHeight) as a 1 x (width x height x channels) u8 Matrix, HWC: composited over
 * the background, converted to luminance or RGB, resized, and inverted if asked.
 */
export function fromImageData(image: ImageDataLike | RgbaArray, options: ImageInputOptions): Matrix<Uint8Array> {
  const opts = checkOptions(options, 'options', OPTION_KEYS);
  const source = checkSource(image, opts);
  const width = checkInt(opts.width, 'options.width', 1, MAX_IMAGE_SIDE);
  const height = checkInt(opts.height, 'options.height', 1, MAX_IMAGE_SIDE);
  if (width * height > MAX_OUTPUT_PIXELS) {
    throw new ArgumentRangeError(`Expected options.width x options.height <= ${MAX_OUTPUT_PIXELS} pixels (MAX_OUTPUT_PIXELS), got ${width} x ${height}`);
  }
  const channels = checkChannels(opts.channels);
  const invert = checkInvert(opts.invert);
  const background = checkBackground(opts.background);

  const xWeights = axisWeights(source.width, width);
  const yWeights = axisWeights(source.height, height);
  const rows = resizeRows(source, xWeights, channels, background);
  const divisor = xWeights.divisor * yWeights.divisor * ALPHA_SCALE * (channels === 1 ? LUMA_SCALE : 1);
  const data = resizeColumns(rows, width * channels, yWeights, divisor);
  if (invert) for (let i = 0; i < data.length; i++) data[i] = 255 - data[i];
  return { data, rows: 1, cols: data.length };
}

// ---- Arguments ---------------------------------------------------------------------------------

function checkSource(image: unknown, opts: Partial<ImageInputOptions>): Source {
  if (Array.isArray(image) || ArrayBuffer.isView(image)) return checkPlainArray(image, opts);
  if (typeof image !== 'object' || image === null || !('data' in image)) {
    throw new ArgumentTypeError(`Expected image to be an ImageData-like { data, width, height } or an RGBA array, got ${describe(image)}`);
  }
  for (const key of ['sourceWidth', 'sourceHeight'] as const) {
    if (opts[key] !== undefined) throw new ArgumentTypeError(`Expected no options.${key} with an ImageData-like image: it has its own width and height`);
  }
  const { data, width, height } = image as ImageDataLike;
  return checkRgba(data, 'image.data', checkInt(width, 'image.width', 1, MAX_IMAGE_SIDE), checkInt(height, 'image.height', 1, MAX_IMAGE_SIDE));
}

function checkPlainArray(rgba: unknown, opts: Partial<ImageInputOptions>): Source {
  if (opts.sourceWidth === undefined || opts.sourceHeight === undefined) {
    throw new ArgumentTypeError(`Expected options.sourceWidth and options.sourceHeight with a plain RGBA array as image, got ${describe(opts.sourceWidth)} and ${describe(opts.sourceHeight)}`);
  }
  const width = checkInt(opts.sourceWidth, 'options.sourceWidth', 1, MAX_IMAGE_SIDE);
  const height = checkInt(opts.sourceHeight, 'options.sourceHeight', 1, MAX_IMAGE_SIDE);
  return checkRgba(rgba, 'image', width, height);
}

function checkRgba(rgba: unknown, name: string, width: number, height: number): Source {
  if (!(rgba instanceof Uint8ClampedArray) && !(rgba instanceof Uint8Array) && !Array.isArray(rgba)) {
    throw new ArgumentTypeError(`Expected ${name} to be a Uint8ClampedArray, Uint8Array or number[] of RGBA values, got ${describe(rgba)}`);
  }
  if (rgba.length !== width * height * 4) {
    throw new ArgumentRangeError(`Expected ${name}.length to equal width x height x 4 (${width} x ${height} x 4 = ${width * height * 4}), got ${rgba.length}`);
  }
  if (Array.isArray(rgba)) checkByteValues(rgba, name);
  return { rgba, width, height };
}

function checkByteValues(values: readonly unknown[], name: string): void {
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    // Arrays can be large (a webcam frame): the name is built only for a bad value.
    if (!(typeof v === 'number' && Number.isInteger(v) && v >= 0 && v <= 255)) checkInt(v, `${name}[${i}]`, 0, 255);
  }
}

function checkChannels(channels: unknown): 1 | 3 {
  if (typeof channels !== 'number') throw new ArgumentTypeError(`Expected options.channels to be 1 (luminance) or 3 (RGB), got ${describe(channels)}`);
  if (channels !== 1 && channels !== 3) throw new ArgumentRangeError(`Expected options.channels to be 1 (luminance) or 3 (RGB), got ${channels}`);
  return channels;
}

function checkInvert(invert: unknown): boolean {
  if (invert === undefined) return false;
  if (typeof invert !== 'boolean') throw new ArgumentTypeError(`Expected options.invert to be a boolean, got ${describe(invert)}`);
  return invert;
}

/** The background's value in every channel. */
function checkBackground(background: unknown): number {
  if (background === undefined || background === 'white') return 255;
  if (background === 'black') return 0;
  if (typeof background !== 'string') throw new ArgumentTypeError(`Expected options.background to be 'white' or 'black', got ${describe(background)}`);
  throw new ArgumentRangeError(`Expected options.background to be 'white' or 'black', got ${JSON.stringify(background)}`);
}

// ---- Resizing ----------------------------------------------------------------------------------

/**
 * How output pixels along one axis mix source pixels: output i is the sum over k < count[i] of
 * weights[i * stride + k] times source pixel first[i] + k, divided by `divisor`. Weights are integers.
 */
interface AxisWeights {
  first: Int32Array;
  count: Int32Array;
  weights: Float64Array;
  stride: number;
  divisor: number;
}

function axisWeights(source: number, output: number): AxisWeights {
  return output > source ? bilinearWeights(source, output) : areaWeights(source, output);
}

/**
 * Area averaging. Measured in 1/output of a source pixel, output pixel i covers
 * [i * source, (i + 1) * source) and source pixel j covers [j * output, (j + 1) * output): each
 * weight is an integer overlap, and the weights of an output pixel add up to `source`.
 */
function areaWeights(source: number, output: number): AxisWeights {
  const stride = Math.ceil(source / output) + 1;
  const w = emptyWeights(output, stride, source);
  let j = 0;
  for (let i = 0; i < output; i++) {
    const start = i * source, end = start + source;
    while ((j + 1) * output <= start) j++;
    w.first[i] = j;
    let n = 0;
    for (let k = j; k * output < end; k++) w.weights[i * stride + n++] = Math.min(end, (k + 1) * output) - Math.max(start, k * output);
    w.count[i] = n;
  }
  return w;
}

/**
 * Bilinear interpolation. Output pixel i's centre lies at t / (2 * output) source pixels from the
 * centre of source pixel 0, with t = (2i + 1) * source - output; it mixes the two source pixels
 * around it with integer weights that add up to 2 * output, and takes the edge pixel beyond them.
 */
function bilinearWeights(source: number, output: number): AxisWeights {
  const scale = 2 * output;
  const w = emptyWeights(output, 2, scale);
  let j = 0;
  for (let i = 0; i < output; i++) {
    const t = (2 * i + 1) * source - output;
    while (j < source - 1 && (j + 1) * scale <= t) j++;
    w.first[i] = j;
    if (t <= 0 || j === source - 1) {
      w.weights[i * 2] = scale;
      w.count[i] = 1;
    } else {
      const offset = t - j * scale;
      w.weights[i * 2] = scale - offset;
      w.weights[i * 2 + 1] = offset;
      w.count[i] = 2;
    }
  }
  return w;
}

function emptyWeights(output: number, stride: number, divisor: number): AxisWeights {
  return { first: new Int32Array(output), count: new Int32Array(output), weights: new Float64Array(output * stride), stride, divisor };
}

/**
 * Resizes each source row to the output width: source.height rows of output width x channels
 * values, in units of 1 / (xWeights.divisor x 255 (x 1000 for luminance)).
 */
function resizeRows(source: Source, xWeights: AxisWeights, channels: number, background: number): Float64Array {
  const { rgba, width, height } = source;
  const { first, count, weights, stride } = xWeights;
  const outWidth = first.length;
  const out = new Float64Array(height * outWidth * channels);
  const pixel = new Float64Array(channels);
  for (let y = 0; y < height; y++) {
    for (let i = 0; i < outWidth; i++) {
      const o = (y * outWidth + i) * channels;
      for (let k = 0; k < count[i]; k++) {
        pixelValues(rgba, (y * width + first[i] + k) * 4, channels, background, pixel);
        const weight = weights[i * stride + k];
        for (let c = 0; c < channels; c++) out[o + c] += weight * pixel[c];
      }
    }
  }
  return out;
}

/** The pixel at `p` composited over the background, as RGB (x 255) or luminance (x 255 x 1000). */
function pixelValues(rgba: RgbaArray, p: number, channels: number, background: number, out: Float64Array): void {
  const alpha = rgba[p + 3];
  const behind = background * (ALPHA_SCALE - alpha);
  const r = rgba[p] * alpha + behind, g = rgba[p + 1] * alpha + behind, b = rgba[p + 2] * alpha + behind;
  if (channels === 1) {
    out[0] = LUMA_R * r + LUMA_G * g + LUMA_B * b;
  } else {
    out[0] = r;
    out[1] = g;
    out[2] = b;
  }
}

/** Resizes the columns of `rows` (rowLength values per row) to the output height, dividing by `divisor` and rounding to bytes. */
function resizeColumns(rows: Float64Array, rowLength: number, yWeights: AxisWeights, divisor: number): Uint8Array {
  const { first, count, weights, stride } = yWeights;
  const out = new Uint8Array(first.length * rowLength);
  for (let i = 0; i < first.length; i++) {
    for (let x = 0; x < rowLength; x++) {
      let sum = 0;
      for (let k = 0; k < count[i]; k++) sum += weights[i * stride + k] * rows[(first[i] + k) * rowLength + x];
      out[i * rowLength + x] = Math.round(sum / divisor);
    }
  }
  return out;
}

// Properties of the data loaders (src/data/idx.ts, src/data/cifar10.ts): random valid IDX files
// (gzipped or not) and CIFAR-10 batches parse back to what was written; random corruptions of
// valid files are either parsed correctly or refused with a SimdclassError of code ERR_DATA_FORMAT,
// never another error. Seeds and case counts: test/property-config.mjs.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { gzipSync, gunzipSync } from 'node:zlib';
import { parseIdx, parseCifar10Batch, SimdclassError } from '../dist/node.js';
import { mulberry32 } from './helpers.mjs';
import { idx } from './data-files.mjs';
import { fc, propertyTest, fraction } from './property-config.mjs';

const FILE = 'test/properties-loaders.test.mjs';
const arr = (typed) => Array.from(typed);

const CIFAR_PIXELS = 32 * 32, CIFAR_IMAGE = 3 * CIFAR_PIXELS, CIFAR_RECORD = 1 + CIFAR_IMAGE;

/** n bytes from a seeded generator (payloads: their content does not matter, their size does). */
function bytes(seed, n) {
  const rng = mulberry32(seed);
  const out = new Uint8Array(n);
  for (let i = 0; i < n; i++) out[i] = Math.floor(rng() * 256);
  return out;
}

/**
 * The same bytes in one of the forms the parsers accept: a Node Buffer, a Uint8Array that owns its
 * buffer, a Uint8Array viewing the middle of a larger buffer (byteOffset > 0), or an ArrayBuffer.
 */
const FORMS = ['buffer', 'uint8array', 'view', 'arraybuffer'];
function inForm(buf, form) {
  switch (form) {
    case 'buffer': return Buffer.from(buf);
    case 'uint8array': return Uint8Array.from(buf);
    case 'view': {
      const big = new Uint8Array(buf.length + 11).fill(0xee);
      big.set(buf, 5);
      return big.subarray(5, 5 + buf.length);
    }
    default: return Uint8Array.from(buf).buffer;
  }
}

const product = (dims) => dims.reduce((a, b) => a * b, 1);

/**
 * IDX dimensions: small arrays of any rank 1..4, image-like stacks (count x height x width), long
 * label vectors, and shapes with a 0 dimension whose other dimensions are huge (no payload, but a
 * header whose big-endian u32 values use all four bytes).
 */
const dimsArb = fc.oneof(
  fc.array(fc.integer({ min: 0, max: 9 }), { minLength: 1, maxLength: 4 }),
  fc.tuple(fc.integer({ min: 1, max: 6 }), fc.integer({ min: 1, max: 30 }), fc.integer({ min: 1, max: 30 })),
  fc.integer({ min: 0, max: 70000 }).map((n) => [n]),
  fc.array(fc.integer({ min: 1, max: 0xffffffff }), { minLength: 0, maxLength: 3 })
    .chain((big) => fc.nat({ max: big.length }).map((at) => [...big.slice(0, at), 0, ...big.slice(at)])),
);

const idxCase = fc.record({
  dims: dimsArb,
  payloadSeed: fc.nat(),
  gz: fc.boolean(),
  level: fc.integer({ min: 0, max: 9 }),
  form: fc.constantFrom(...FORMS),
});

function idxFile(c) {
  const data = bytes(c.payloadSeed, product(c.dims));
  const raw = idx(c.dims, data);
  return { data, raw, file: c.gz ? gzipSync(raw, { level: c.level }) : raw };
}

/** A CIFAR-10 batch: records of 1 label byte then the R, G and B planes (32 x 32 each, row-major). */
const cifarCase = fc.record({
  labels: fc.array(fc.integer({ min: 0, max: 9 }), { minLength: 1, maxLength: 4 }),
  payloadSeed: fc.nat(),
  form: fc.constantFrom(...FORMS),
});

/** The batch's bytes, written from HWC images (channels last), and those images. */
function cifarFile(c) {
  const images = bytes(c.payloadSeed, c.labels.length * CIFAR_IMAGE);
  const file = new Uint8Array(c.labels.length * CIFAR_RECORD);
  c.labels.forEach((label, r) => {
    file[r * CIFAR_RECORD] = label;
    for (let p = 0; p < CIFAR_PIXELS; p++) {
      for (let ch = 0; ch < 3; ch++) file[r * CIFAR_RECORD + 1 + ch * CIFAR_PIXELS + p] = images[r * CIFAR_IMAGE + p * 3 + ch];
    }
  });
  return { images, file };
}

// ---- What a file means, straight from the format descriptions ------------------------------

/** An uncompressed IDX file of unsigned bytes: { dims, data }, or null when it is not one. */
function idxMeaning(buf) {
  if (buf.length < 4 || buf[0] !== 0 || buf[1] !== 0 || buf[2] !== 0x08 || buf[3] === 0) return null;
  const ndim = buf[3], header = 4 + 4 * ndim;
  if (buf.length < header) return null;
  const dims = [];
  for (let i = 0; i < ndim; i++) dims.push(((buf[4 + 4 * i] << 24) >>> 0) + (buf[5 + 4 * i] << 16) + (buf[6 + 4 * i] << 8) + buf[7 + 4 * i]);
  if (product(dims) !== buf.length - header) return null;
  return { dims, data: buf.subarray(header) };
}

/** A CIFAR-10 batch: { labels, records }, or null when it is not one. */
function cifarMeaning(buf) {
  if (buf.length === 0 || buf.length % CIFAR_RECORD !== 0) return null;
  const rows = buf.length / CIFAR_RECORD;
  for (let r = 0; r < rows; r++) if (buf[r * CIFAR_RECORD] > 9) return null;
  return { rows };
}

/** Asserts a parseCifar10Batch result against the bytes: labels, and the CHW planes as HWC rows. */
function assertCifar(got, buf, where) {
  const rows = buf.length / CIFAR_RECORD;
  assert.ok(got.X.data instanceof Uint8Array, `${where}: X is u8`);
  assert.instance(got.y, Uint8Array);
  assert.is(got.X.rows, rows, `${where}: rows`);
  assert.is(got.X.cols, CIFAR_IMAGE, `${where}: cols`);
  assert.is(got.X.data.length, rows * CIFAR_IMAGE, `${where}: data length`);
  assert.is(got.y.length, rows, `${where}: labels length`);
  for (let r = 0; r < rows; r++) {
    if (got.y[r] !== buf[r * CIFAR_RECORD]) assert.unreachable(`${where}: record ${r} label ${got.y[r]}, file ${buf[r * CIFAR_RECORD]}`);
    for (let p = 0; p < CIFAR_PIXELS; p++) {
      for (let ch = 0; ch < 3; ch++) {
        const want = buf[r * CIFAR_RECORD + 1 + ch * CIFAR_PIXELS + p], have = got.X.data[r * CIFAR_IMAGE + p * 3 + ch];
        if (have !== want) assert.unreachable(`${where}: record ${r} pixel ${p} channel ${ch} is ${have}, file ${want}`);
      }
    }
  }
}

const describe = (err) => (err instanceof Error ? `${err.constructor.name} [${err.code}]: ${err.message}\n${(err.stack ?? '').split('\n').slice(1, 4).join('\n')}` : `a thrown non-Error ${String(err)}`);

/** Runs a parse; returns { value } or { error }, the error asserted to be a SimdclassError ERR_DATA_FORMAT. */
async function outcome(fn, where) {
  try {
    return { value: await fn() };
  } catch (err) {
    if (!(err instanceof SimdclassError) || err.code !== 'ERR_DATA_FORMAT') {
      assert.unreachable(`${where}: expected a result or a SimdclassError ERR_DATA_FORMAT, got ${describe(err)}`);
    }
    return { error: err };
  }
}

// ---- Valid files -------------------------------------------------------------------------------
const valid = suite('properties: loaders, valid files');

propertyTest(valid, FILE, 'parseIdx reads back the dims and bytes of any valid IDX file, gzipped or not', () =>
  fc.asyncProperty(idxCase, async (c) => {
    const { data, file } = idxFile(c);
    const where = `IDX dims [${c.dims}]${c.gz ? ` gzip level ${c.level}` : ''} as ${c.form}`;
    const got = await parseIdx(inForm(file, c.form));
    assert.equal(got.dims, c.dims, `${where}: dims`);
    assert.instance(got.data, Uint8Array);
    assert.is(got.data.length, data.length, `${where}: data length`);
    if (!Buffer.from(got.data.buffer, got.data.byteOffset, got.data.length).equals(Buffer.from(data))) assert.unreachable(`${where}: data bytes differ`);
  }));

propertyTest(valid, FILE, 'parseCifar10Batch reads back the labels and HWC images of any valid batch', () =>
  fc.property(cifarCase, (c) => {
    const { images, file } = cifarFile(c);
    const where = `CIFAR-10 labels [${c.labels}] as ${c.form}`;
    const got = parseCifar10Batch(inForm(file, c.form));
    assert.equal(arr(got.y), c.labels, `${where}: labels`);
    assert.is(got.X.rows, c.labels.length);
    assert.is(got.X.cols, CIFAR_IMAGE);
    if (!Buffer.from(got.X.data).equals(Buffer.from(images))) assert.unreachable(`${where}: images differ from the HWC images written`);
  }), { weight: 0.5 });

valid.run();

// ---- Corrupted files -----------------------------------------------------------------------------
const corrupt = suite('properties: loaders, corrupted files');

/**
 * One corruption: truncation at a random length below the file's, XOR flips of bytes in the header
 * (the IDX header, the gzip header, a CIFAR record's label byte) or anywhere, or appended bytes
 * (for CIFAR sometimes whole records). Positions are fractions of the length, applied in turn.
 */
const corruption = fc.oneof(
  fc.record({ kind: fc.constant('truncate'), at: fraction }),
  fc.record({ kind: fc.constant('flip-header'), flips: fc.array(fc.tuple(fraction, fc.integer({ min: 1, max: 255 })), { minLength: 1, maxLength: 3 }) }),
  fc.record({ kind: fc.constant('flip'), flips: fc.array(fc.tuple(fraction, fc.integer({ min: 1, max: 255 })), { minLength: 1, maxLength: 3 }) }),
  fc.record({ kind: fc.constant('append'), length: fc.oneof(fc.integer({ min: 1, max: 64 }), fc.constantFrom(CIFAR_RECORD, 2 * CIFAR_RECORD), fc.integer({ min: 1, max: 8000 })), seed: fc.nat() }),
);

/** `header(fraction, length)`: the position a header flip hits. */
function corrupted(file, header, ops) {
  let buf = Uint8Array.from(file);
  for (const op of ops) {
    if (op.kind === 'truncate') {
      buf = buf.slice(0, Math.floor(op.at * buf.length));
    } else if (op.kind === 'append') {
      const extra = bytes(op.seed, op.length);
      const out = new Uint8Array(buf.length + extra.length);
      out.set(buf);
      out.set(extra, buf.length);
      buf = out;
    } else if (buf.length > 0) {
      for (const [where, mask] of op.flips) {
        const at = op.kind === 'flip-header' ? header(where, buf.length) : Math.floor(where * buf.length);
        buf[Math.min(at, buf.length - 1)] ^= mask;
      }
    }
  }
  return buf;
}

const describeOps = (ops) => ops.map((op) => (op.kind === 'truncate' ? `truncate at ${op.at.toFixed(3)}` : op.kind === 'append' ? `append ${op.length}` : `${op.kind} ${op.flips.map(([w, m]) => `${w.toFixed(3)}^${m}`).join(',')}`)).join(', ');

propertyTest(corrupt, FILE, 'parseIdx on a corrupted IDX file: the meaning of the bytes, or ERR_DATA_FORMAT', () =>
  fc.asyncProperty(idxCase, fc.array(corruption, { minLength: 1, maxLength: 3 }), async (c, ops) => {
    const { file } = idxFile(c);
    // The header: the gzip member header (10 bytes), or the IDX magic and dimensions.
    const headerLength = c.gz ? 10 : 4 + 4 * c.dims.length;
    const buf = corrupted(file, (f) => Math.floor(f * headerLength), ops);
    const where = `IDX dims [${c.dims}]${c.gz ? ' gzip' : ''}, ${describeOps(ops)} (${file.length} -> ${buf.length} bytes)`;
    const result = await outcome(() => parseIdx(inForm(buf, c.form)), where);
    if (buf.length >= 2 && buf[0] === 0x1f && buf[1] === 0x8b) {
      // Gzip: a parse must mean what the decompressed bytes mean; a refusal is always allowed.
      if (result.error) return;
      let inflated;
      try {
        inflated = gunzipSync(buf);
      } catch (err) {
        assert.unreachable(`${where}: parsed dims [${result.value.dims}] from gzip data that zlib refuses (${err.message})`);
      }
      const meaning = idxMeaning(inflated);
      assert.ok(meaning !== null, `${where}: parsed dims [${result.value.dims}] from gzip data that holds no valid IDX file`);
      assert.equal(result.value.dims, meaning.dims, `${where}: dims`);
      assert.ok(Buffer.from(result.value.data).equals(Buffer.from(meaning.data)), `${where}: data`);
      return;
    }
    // Uncompressed: parsed exactly when the bytes are a valid IDX file, to what they say.
    const meaning = idxMeaning(buf);
    if (meaning === null) {
      assert.ok(result.error, `${where}: not a valid IDX file, yet parsed as dims [${result.value?.dims}]`);
    } else {
      assert.ok(result.value, `${where}: a valid IDX file (dims [${meaning.dims}]) was refused: ${result.error?.message}`);
      assert.equal(result.value.dims, meaning.dims, `${where}: dims`);
      assert.ok(Buffer.from(result.value.data).equals(Buffer.from(meaning.data)), `${where}: data`);
    }
  }), { weight: 2 });

propertyTest(corrupt, FILE, 'parseCifar10Batch on a corrupted batch: the meaning of the bytes, or ERR_DATA_FORMAT', () =>
  fc.asyncProperty(cifarCase, fc.array(corruption, { minLength: 1, maxLength: 3 }), async (c, ops) => {
    const { file } = cifarFile(c);
    // CIFAR-10 has no header: a header flip hits the label byte of a record.
    const buf = corrupted(file, (f, length) => Math.floor(f * Math.ceil(length / CIFAR_RECORD)) * CIFAR_RECORD, ops);
    const where = `CIFAR-10 labels [${c.labels}], ${describeOps(ops)} (${file.length} -> ${buf.length} bytes)`;
    const result = await outcome(() => parseCifar10Batch(inForm(buf, c.form)), where);
    if (cifarMeaning(buf) === null) {
      assert.ok(result.error, `${where}: not a valid batch, yet parsed as ${result.value?.X.rows} records`);
    } else {
      assert.ok(result.value, `${where}: a valid batch was refused: ${result.error?.message}`);
      assertCifar(result.value, buf, where);
    }
  }));

corrupt.run();

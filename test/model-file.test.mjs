// The model file container (src/model-file.ts): CRC-32 against known vectors and zlib, the exact
// byte layout, round trips, each field corrupted, every truncation, an enormous declared length,
// and random corruptions (a seeded property; see test/property-config.mjs).
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import * as zlib from 'node:zlib';
import { crc32, decodeModelFile, encodeModelFile, MAX_HEADER_BYTES, MODEL_FILE_VERSION } from '../dist/model-file.js';
import { DataFormatError } from '../dist/errors.js';
import { mulberry32, throws } from './helpers.mjs';
import { fc, propertyTest } from './property-config.mjs';

const FILE = 'test/model-file.test.mjs';
const ascii = (text) => new TextEncoder().encode(text);
const u32At = (bytes, offset) => new DataView(bytes.buffer, bytes.byteOffset).getUint32(offset, true);
const setU32 = (bytes, offset, value) => new DataView(bytes.buffer, bytes.byteOffset).setUint32(offset, value, true);

/** n bytes from a seeded generator. */
function randomBytes(seed, n) {
  const rng = mulberry32(seed);
  return Uint8Array.from({ length: n }, () => Math.floor(rng() * 256));
}

const throwsCode = (fn, code, message) => throws(fn, { code, message });

const refused = (bytes, pattern, expectedKind) => throwsCode(() => decodeModelFile(bytes, expectedKind), 'ERR_DATA_FORMAT', pattern);

/** The file with its checksum recomputed, so that only the field the test changed is wrong. */
function withChecksum(bytes) {
  const out = bytes.slice();
  setU32(out, out.length - 4, crc32(out.subarray(0, out.length - 4)));
  return out;
}

/** A small file: knn, header { k: 5 }, sections labels (3 bytes) and rows (6 bytes). */
const SAMPLE = {
  kind: 'knn',
  header: { k: 5 },
  sections: [
    { name: 'labels', bytes: Uint8Array.of(0, 1, 2) },
    { name: 'rows', bytes: Uint8Array.of(10, 11, 12, 13, 14, 15) },
  ],
};
const sample = () => encodeModelFile(SAMPLE);
// Offsets in the sample: header at 20 ('{"k":5}', 7 bytes), section count at 27, 'labels' record at
// 31 (length 4 + name 6 + u64 8 = 49), payload at 64; 'rows' record at 67 (4 + 4 + 8 = 83), payload at 96.
const HEADER_LENGTH_AT = 16, COUNT_AT = 27, LABELS_NAME_LENGTH_AT = 31, LABELS_LENGTH_AT = 41, LABELS_AT = 64, ROWS_LENGTH_AT = 75, ROWS_AT = 96;

// ---- crc32 -------------------------------------------------------------------------------------

const crcSuite = suite('crc32');

crcSuite('known vectors', () => {
  assert.is(crc32(new Uint8Array(0)), 0);
  assert.is(crc32(ascii('123456789')), 0xcbf43926);
  assert.is(crc32(ascii('a')), 0xe8b7be43);
  assert.is(crc32(ascii('The quick brown fox jumps over the lazy dog')), 0x414fa339);
  assert.is(crc32(new Uint8Array(32)), 0x190a55ad);
  assert.is(crc32(new Uint8Array(32).fill(0xff)), 0xff6cab0b);
});

/** zlib's own CRC-32 of bytes: zlib.crc32 where Node has it (22+), else the trailer gzip writes. */
function zlibCrc32(bytes) {
  if (typeof zlib.crc32 === 'function') return zlib.crc32(bytes);
  const gz = zlib.gzipSync(bytes, { level: 1 });
  return u32At(gz, gz.length - 8);
}

crcSuite('equals zlib on every length 0..100 (each tail of the 8-byte loop), and on 1 MiB', () => {
  const data = randomBytes(1, 100);
  for (let n = 0; n <= 100; n++) assert.is(crc32(data.subarray(0, n)), zlibCrc32(data.subarray(0, n)), `length ${n}`);
  const big = randomBytes(2, 1 << 20);
  assert.is(crc32(big), zlibCrc32(big));
});

crcSuite('continues a previous CRC, and reads a view at any byte offset', () => {
  const data = randomBytes(3, 1000);
  for (const cut of [0, 1, 7, 8, 333, 1000]) assert.is(crc32(data.subarray(cut), crc32(data.subarray(0, cut))), crc32(data), `cut ${cut}`);
  for (let offset = 0; offset < 8; offset++) assert.is(crc32(data.subarray(offset, offset + 100)), zlibCrc32(data.slice(offset, offset + 100)));
});

crcSuite.run();

// ---- encodeModelFile ---------------------------------------------------------------------------

const encode = suite('encodeModelFile');

encode('writes the documented layout, byte for byte', () => {
  const bytes = sample();
  assert.equal([...bytes.subarray(0, 8)], [...ascii('SIMDCLS\0')]);
  assert.is(u32At(bytes, 8), MODEL_FILE_VERSION);
  assert.is(u32At(bytes, 12), 1);
  assert.is(u32At(bytes, HEADER_LENGTH_AT), 7);
  assert.is(new TextDecoder().decode(bytes.subarray(20, 27)), '{"k":5}');
  assert.is(u32At(bytes, COUNT_AT), 2);
  assert.is(u32At(bytes, LABELS_NAME_LENGTH_AT), 6);
  assert.is(new TextDecoder().decode(bytes.subarray(35, 41)), 'labels');
  assert.equal([u32At(bytes, LABELS_LENGTH_AT), u32At(bytes, LABELS_LENGTH_AT + 4)], [3, 0]);
  assert.equal([...bytes.subarray(49, LABELS_AT)], new Array(15).fill(0), 'zero padding to 64');
  assert.equal([...bytes.subarray(LABELS_AT, LABELS_AT + 3)], [0, 1, 2]);
  assert.is(u32At(bytes, 67), 4);
  assert.is(new TextDecoder().decode(bytes.subarray(71, 75)), 'rows');
  assert.equal([u32At(bytes, ROWS_LENGTH_AT), u32At(bytes, ROWS_LENGTH_AT + 4)], [6, 0]);
  assert.equal([...bytes.subarray(ROWS_AT, ROWS_AT + 6)], [10, 11, 12, 13, 14, 15]);
  assert.is(bytes.length, ROWS_AT + 6 + 4);
  assert.is(u32At(bytes, bytes.length - 4), zlibCrc32(bytes.subarray(0, bytes.length - 4)));
});

encode('kind codes: knn 1, svm 2, softmax 3; an empty file is 28 bytes plus its header', () => {
  for (const [kind, code] of [['knn', 1], ['svm', 2], ['softmax', 3]]) {
    const bytes = encodeModelFile({ kind, header: {}, sections: [] });
    assert.is(u32At(bytes, 12), code);
    assert.is(bytes.length, 28 + 2);
  }
});

encode('every payload starts at a multiple of 16, whatever the lengths before it', () => {
  for (let nameLength = 1; nameLength <= 20; nameLength++) {
    const sections = [
      { name: 'a'.repeat(nameLength), bytes: randomBytes(nameLength, nameLength * 3) },
      { name: 'b', bytes: randomBytes(100 + nameLength, 17) },
    ];
    const decoded = decodeModelFile(encodeModelFile({ kind: 'svm', header: { pad: 'x'.repeat(nameLength) }, sections }));
    for (const [name, view] of decoded.sections) assert.is(view.byteOffset % 16, 0, `${name} with name length ${nameLength}`);
  }
});

encode('refuses bad arguments with typed errors that name them', () => {
  const make = (patch) => () => encodeModelFile({ ...SAMPLE, ...patch });
  throwsCode(() => encodeModelFile(null), 'ERR_ARG_TYPE', /contents/);
  throwsCode(make({ kind: 'forest' }), 'ERR_ARG_RANGE', /kind to be one of knn, svm, softmax, got "forest"/);
  throwsCode(make({ kind: 3 }), 'ERR_ARG_TYPE', /kind/);
  throwsCode(make({ header: [1, 2] }), 'ERR_ARG_TYPE', /header to be a JSON object/);
  throwsCode(make({ header: { n: 1n } }), 'ERR_ARG_TYPE', /header to be JSON-serializable/);
  throwsCode(make({ header: { big: 'x'.repeat(MAX_HEADER_BYTES) } }), 'ERR_ARG_RANGE', /at most 1048576 bytes/);
  throwsCode(make({ sections: 'rows' }), 'ERR_ARG_TYPE', /sections to be an array/);
  throwsCode(make({ sections: [{ name: 'rows', bytes: [1, 2] }] }), 'ERR_ARG_TYPE', /sections\[0\]\.bytes to be a Uint8Array/);
  throwsCode(make({ sections: [{ name: 'row s', bytes: new Uint8Array(1) }] }), 'ERR_ARG_RANGE', /sections\[0\]\.name to be made of ASCII/);
  throwsCode(make({ sections: [{ name: '', bytes: new Uint8Array(1) }] }), 'ERR_ARG_RANGE', /sections\[0\]\.name to be 1 to 64 characters/);
  throwsCode(make({ sections: [{ name: 7, bytes: new Uint8Array(1) }] }), 'ERR_ARG_TYPE', /sections\[0\]\.name to be a string/);
  const twice = { name: 'rows', bytes: new Uint8Array(1) };
  throwsCode(make({ sections: [twice, twice] }), 'ERR_ARG_RANGE', /distinct, got "rows" twice/);
  const many = Array.from({ length: 65 }, (_, i) => ({ name: `s${i}`, bytes: new Uint8Array(0) }));
  throwsCode(make({ sections: many }), 'ERR_ARG_RANGE', /at most 64 sections/);
});

encode.run();

// ---- decodeModelFile ---------------------------------------------------------------------------

const decode = suite('decodeModelFile');

decode('reads back the kind, version, header and sections as views of the bytes (no copy)', () => {
  const bytes = sample();
  const file = decodeModelFile(bytes, 'knn');
  assert.is(file.kind, 'knn');
  assert.is(file.version, 1);
  assert.equal(file.header, { k: 5 });
  assert.equal([...file.sections.keys()], ['labels', 'rows']);
  const rows = file.sections.get('rows');
  assert.equal([...rows], [10, 11, 12, 13, 14, 15]);
  assert.is(rows.buffer, bytes.buffer);
  assert.is(rows.byteOffset, ROWS_AT);
});

decode('reads an ArrayBuffer, and bytes at an odd offset of a larger buffer', () => {
  const bytes = sample();
  assert.equal(decodeModelFile(bytes.slice().buffer).header, { k: 5 });
  const larger = new Uint8Array(bytes.length + 3);
  larger.set(bytes, 3);
  assert.equal([...decodeModelFile(larger.subarray(3)).sections.get('labels')], [0, 1, 2]);
});

decode('aligned payloads can be viewed as Float32Array and Int32Array without a copy', () => {
  const weights = Float32Array.of(1.5, -2, 3.25, 0);
  const labels = Int32Array.of(7, -1, 65536);
  const bytes = encodeModelFile({
    kind: 'softmax', header: { dtype: 'f32' },
    sections: [{ name: 'w', bytes: new Uint8Array(weights.buffer) }, { name: 'labels', bytes: new Uint8Array(labels.buffer) }],
  });
  const { sections } = decodeModelFile(bytes);
  const w = sections.get('w'), l = sections.get('labels');
  assert.equal([...new Float32Array(w.buffer, w.byteOffset, w.length / 4)], [...weights]);
  assert.equal([...new Int32Array(l.buffer, l.byteOffset, l.length / 4)], [...labels]);
});

decode('refuses a model of another kind than expected, and a bad expectedKind', () => {
  refused(sample(), /^Expected a model file of kind svm, got one of kind knn$/, 'svm');
  throwsCode(() => decodeModelFile(sample(), 'tree'), 'ERR_ARG_RANGE', /expectedKind to be one of/);
  throwsCode(() => decodeModelFile([1, 2, 3]), 'ERR_ARG_TYPE', /bytes to be a Uint8Array or ArrayBuffer, got an array/);
});

decode('the magic', () => {
  const bytes = sample();
  bytes[0] = 0x73;
  refused(bytes, /^Not a simdclass model file: it starts with "sIMDCLS\\x00", not the magic "SIMDCLS\\x00"$/);
  refused(ascii('PK\x03\x04'), /^Not a simdclass model file: it starts with "PK\\x03\\x04"/);
  refused(zlib.gzipSync(sample()), /^Not a simdclass model file: it starts with "\\x1f\\x8b/);
});

decode('the version: 0, and a newer one', () => {
  const bytes = sample();
  setU32(bytes, 8, 0);
  refused(bytes, /^Not a simdclass model file: format version 0 does not exist$/);
  setU32(bytes, 8, 2);
  refused(bytes, /^This model file was written by a newer simdclass \(format 2\); this one reads up to 1$/);
});

decode('the kind code', () => {
  const bytes = sample();
  for (const code of [0, 4, 0xffffffff]) {
    setU32(bytes, 12, code);
    refused(bytes, new RegExp(`^Not a simdclass model file: unknown model kind code ${code} \\(known: 1 knn, 2 svm, 3 softmax\\)$`));
  }
});

decode('the header length: beyond the file, and beyond the limit', () => {
  const bytes = sample();
  setU32(bytes, HEADER_LENGTH_AT, 1000);
  refused(bytes, new RegExp(`^Not a simdclass model file: truncated: the header declares 1000 bytes, ${bytes.length - 24} are left before the checksum$`));
  setU32(bytes, HEADER_LENGTH_AT, 0xffffffff);
  refused(bytes, /the header declares 4294967295 bytes/);
  const huge = new Uint8Array(MAX_HEADER_BYTES + 100);
  huge.set(bytes.subarray(0, 20));
  setU32(huge, HEADER_LENGTH_AT, MAX_HEADER_BYTES + 1);
  refused(huge, /^Not a simdclass model file: the header declares 1048577 bytes; a header has at most 1048576$/);
  setU32(bytes, HEADER_LENGTH_AT, 6);
  refused(bytes, /the header is not valid JSON/);
});

/** The sample with its header text replaced (same byte length, so that everything after stays in place). */
function withHeaderText(text) {
  const bytes = sample();
  assert.is(text.length, 7);
  bytes.set(ascii(text), 20);
  return bytes;
}

decode('the header JSON: invalid, not UTF-8, not an object', () => {
  refused(withHeaderText('{"k":5,'), /^Not a simdclass model file: the header is not valid JSON \(/);
  const notUtf8 = sample();
  notUtf8[25] = 0xff;
  refused(notUtf8, /^Not a simdclass model file: the header is not valid UTF-8$/);
  refused(withHeaderText('[1,2,3]'), /^Not a simdclass model file: the header is a JSON array, not a JSON object$/);
  refused(withHeaderText('  null '), /the header is null, not a JSON object/);
  refused(withHeaderText('1234567'), /the header is a JSON number, not a JSON object/);
});

decode('the section count: over the limit, and more sections than the file has', () => {
  const bytes = sample();
  setU32(bytes, COUNT_AT, 65);
  refused(bytes, /^Not a simdclass model file: the section count is 65; a file has at most 64 sections$/);
  setU32(bytes, COUNT_AT, 3);
  refused(bytes, /^Not a simdclass model file: truncated: the name length of section 3 of 3 needs 4 bytes, 0 are left before the checksum$/);
  setU32(bytes, COUNT_AT, 1);
  refused(bytes, /^Not a simdclass model file: 35 unexpected bytes after the last section, where only the 4-byte checksum belongs$/);
});

decode('a section name: its length, its characters, a duplicate', () => {
  const bytes = sample();
  for (const length of [0, 65]) {
    setU32(bytes, LABELS_NAME_LENGTH_AT, length);
    refused(bytes, new RegExp(`^Not a simdclass model file: the name of section 1 of 2 declares ${length} bytes; names have 1 to 64$`));
  }
  const badName = sample();
  badName[36] = 0;
  refused(badName, /^Not a simdclass model file: the name of section 1 of 2 is "l\\x00bels"; names are made of ASCII/);
  const twins = encodeModelFile({ kind: 'knn', header: {}, sections: [{ name: 'ab', bytes: new Uint8Array(1) }, { name: 'cd', bytes: new Uint8Array(1) }] });
  twins.set(ascii('ab'), Buffer.from(twins).indexOf('cd'));
  refused(twins, /^Not a simdclass model file: section 2 of 2 is named "ab", as an earlier section$/);
});

decode('a section length: too long, too short, enormous', () => {
  const longer = sample();
  setU32(longer, ROWS_LENGTH_AT, 7);
  refused(longer, /^Not a simdclass model file: truncated: section 2 of 2 \("rows"\) declares 7 bytes, 6 are left before the checksum$/);
  const shorter = sample();
  setU32(shorter, ROWS_LENGTH_AT, 5);
  refused(shorter, /^Not a simdclass model file: 1 unexpected bytes after the last section/);
  const enormous = sample();
  setU32(enormous, LABELS_LENGTH_AT + 4, 0xffffffff);
  refused(enormous, /^Not a simdclass model file: truncated: section 1 of 2 \("labels"\) declares 18446744069414584323 bytes, 38 are left before the checksum$/);
});

decode('an enormous declared section length is refused without allocating it', () => {
  const bytes = sample();
  setU32(bytes, LABELS_LENGTH_AT, 0x80000000); // 2 GiB: an engine could allocate it, the loader must not
  const before = process.memoryUsage().arrayBuffers;
  const started = performance.now();
  refused(bytes, /declares 2147483648 bytes, 38 are left/);
  assert.ok(performance.now() - started < 100, 'answers at once');
  assert.ok(process.memoryUsage().arrayBuffers - before < 1 << 20, 'allocates nothing large');
});

decode('padding before a payload must be zero', () => {
  const bytes = sample();
  bytes[LABELS_AT - 1] = 9;
  refused(bytes, /^Not a simdclass model file: padding byte 14 before section 1 of 2 \("labels"\) is 9, expected 0$/);
});

decode('bytes after the last section, and the checksum', () => {
  const bytes = sample();
  const longer = new Uint8Array(bytes.length + 4);
  longer.set(bytes);
  refused(withChecksum(longer), /^Not a simdclass model file: 4 unexpected bytes after the last section/);
  const badSum = sample();
  badSum[badSum.length - 1] ^= 0x01;
  refused(badSum, /^Not a simdclass model file: the checksum is 0x[0-9a-f]{8} but the bytes before it have CRC-32 0x[0-9a-f]{8}: the file is corrupt$/);
});

decode('a flipped byte in a section body, or in the header text, fails the checksum', () => {
  for (const at of [LABELS_AT, LABELS_AT + 2, ROWS_AT + 5]) {
    const bytes = sample();
    bytes[at] ^= 0x80;
    refused(bytes, /the checksum is/);
  }
  refused(withHeaderText('{"k":6}'), /the checksum is/);
});

decode('truncation at every length is refused', () => {
  const bytes = sample();
  for (let n = 0; n < bytes.length; n++) {
    const err = refused(bytes.subarray(0, n), /^Not a simdclass model file: /);
    if (n < 28) assert.match(err.message, /truncated: a model file has at least 28 bytes/);
  }
});

decode.run();

// ---- Properties --------------------------------------------------------------------------------

const properties = suite('decodeModelFile properties');

const kindArb = fc.constantFrom('knn', 'svm', 'softmax');
const nameArb = fc.stringMatching(/^[A-Za-z0-9_.-]{1,64}$/);
const sectionsArb = fc.uniqueArray(
  fc.record({ name: nameArb, bytes: fc.uint8Array({ maxLength: 80 }) }),
  { maxLength: 6, selector: (s) => s.name },
);
const fileArb = fc.record({ kind: kindArb, header: fc.dictionary(fc.string({ maxLength: 8 }), fc.jsonValue({ maxDepth: 2 }), { maxKeys: 5 }), sections: sectionsArb });

propertyTest(properties, FILE, 'decodeModelFile(encodeModelFile(x)) gives back x', () =>
  fc.property(fileArb, (contents) => {
    const file = decodeModelFile(encodeModelFile(contents), contents.kind);
    assert.is(file.kind, contents.kind);
    assert.equal(file.header, JSON.parse(JSON.stringify(contents.header)));
    assert.equal([...file.sections.keys()], contents.sections.map((s) => s.name));
    for (const { name, bytes } of contents.sections) {
      assert.equal([...file.sections.get(name)], [...bytes]);
      assert.is(file.sections.get(name).byteOffset % 16, 0);
    }
  }));

/** A change to a valid file: bytes xor-ed with non-zero masks, a cut, an insertion, or bytes appended. */
const corruptionArb = fc.oneof(
  fc.record({ type: fc.constant('flip'), flips: fc.array(fc.record({ at: fc.nat(), mask: fc.integer({ min: 1, max: 255 }) }), { minLength: 1, maxLength: 4 }) }),
  fc.record({ type: fc.constant('cut'), at: fc.nat() }),
  fc.record({ type: fc.constant('insert'), at: fc.nat(), bytes: fc.uint8Array({ minLength: 1, maxLength: 8 }) }),
);

function corrupt(bytes, change) {
  if (change.type === 'cut') return bytes.subarray(0, change.at % bytes.length);
  if (change.type === 'insert') {
    const at = change.at % (bytes.length + 1);
    const out = new Uint8Array(bytes.length + change.bytes.length);
    out.set(bytes.subarray(0, at));
    out.set(change.bytes, at);
    out.set(bytes.subarray(at), at + change.bytes.length);
    return out;
  }
  // One flip per position: two masks at one position could cancel out.
  const out = bytes.slice();
  const flipped = new Set();
  for (const { at, mask } of change.flips) {
    const i = at % out.length;
    if (!flipped.has(i)) out[i] ^= mask;
    flipped.add(i);
  }
  return out;
}

propertyTest(properties, FILE, 'any corruption of a valid file is refused with ERR_DATA_FORMAT, never another error', () =>
  fc.property(fileArb, corruptionArb, (contents, change) => {
    const bytes = corrupt(encodeModelFile(contents), change);
    try {
      decodeModelFile(bytes);
    } catch (err) {
      assert.instance(err, DataFormatError, `${err.name}: ${err.message}`);
      return;
    }
    assert.unreachable(`accepted a corrupted file (${change.type})`);
  }), { weight: 2 });

properties.run();

// The binary container of every simdclass model file (kNN, SVM, softmax). Browser-safe.
//
// All integers are little-endian. Offsets are from the start of the file.
//
//   offset  size  field
//   0       8     magic "SIMDCLS\0" (53 49 4D 44 43 4C 53 00)
//   8       4     u32 format version (1)
//   12      4     u32 model kind: 1 knn, 2 svm, 3 softmax
//   16      4     u32 H, the header's length in bytes (at most 1 MiB)
//   20      H     the header: a JSON object in UTF-8 (options, dtype, sizes, shape, ...)
//   20 + H  4     u32 S, the number of sections (at most 64)
//   then S sections, each:
//           4     u32 N, the name's length (1 to 64)
//           N     the name: ASCII letters, digits, '_', '.', '-'
//           8     u64 L, the payload's length (low u32, then high u32)
//           0-15  zero bytes, up to the next multiple of 16 from the start of the file
//           L     the payload
//   then    4     u32 CRC-32 (IEEE 802.3, as zlib's crc32) of every byte before it
//
// Payloads start at multiples of 16, so when the file's bytes start at a multiple of 16 in their
// buffer, Float32Array, Int32Array and v128 views of a payload need no copy.
import { ArgumentRangeError, ArgumentTypeError, DataFormatError, OutOfMemoryError } from './errors.js';
import { describe } from './matrix.js';

/** What a model file holds. */
export type ModelKind = 'knn' | 'svm' | 'softmax';

/** A model file's header: a small JSON object (options, dtype, sizes, shape, ...). */
export type ModelHeader = { [key: string]: unknown };

/** A named binary payload of a model file ('labels', 'rows', 'mean', 'weights', ...). */
export interface ModelSection {
  name: string;
  bytes: Uint8Array;
}

/** What encodeModelFile writes: the kind, the header, and the sections in file order. */
export interface ModelFileContents {
  kind: ModelKind;
  header: ModelHeader;
  sections: readonly ModelSection[];
}

/** A decoded model file; each section is a view of the decoded bytes, in file order. */
export interface DecodedModelFile {
  kind: ModelKind;
  version: number;
  header: ModelHeader;
  sections: Map<string, Uint8Array>;
}

/** The format version this simdclass writes, and the newest it reads. */
export const MODEL_FILE_VERSION = 1;
/** The first 8 bytes of every simdclass model file. */
export const MODEL_FILE_MAGIC = new Uint8Array([0x53, 0x49, 0x4d, 0x44, 0x43, 0x4c, 0x53, 0x00]);
/** The longest header, in bytes: headers are small, and a corrupt length must not make the loader decode megabytes of text. */
export const MAX_HEADER_BYTES = 1 << 20;
/** The most sections a file may have. */
export const MAX_SECTIONS = 64;
/** Payloads start at multiples of this many bytes from the start of the file. */
export const SECTION_ALIGNMENT = 16;

const MAX_NAME_BYTES = 64;
const NAME_PATTERN = /^[A-Za-z0-9_.-]+$/;
const KIND_CODES: Record<ModelKind, number> = { knn: 1, svm: 2, softmax: 3 };
const KINDS_BY_CODE: readonly (ModelKind | undefined)[] = [undefined, 'knn', 'svm', 'softmax'];
const KIND_LIST = 'knn, svm, softmax';
/** Magic, version, kind, header length, section count and checksum: the bytes of a file with an empty header and no sections. */
const FIXED_BYTES = 8 + 4 + 4 + 4 + 4 + 4;
const CHECKSUM_BYTES = 4;
const NOT_A_MODEL = 'Not a simdclass model file';

// ---- CRC-32 ------------------------------------------------------------------------------------

/** Slice-by-8 tables: table k (entries 256k to 256k + 255) advances the CRC of a byte by k more bytes. */
const CRC_TABLES = buildCrcTables();

function buildCrcTables(): Int32Array {
  const t = new Int32Array(8 * 256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    t[n] = c;
  }
  for (let k = 1; k < 8; k++) {
    for (let n = 0; n < 256; n++) {
      const previous = t[(k - 1) * 256 + n];
      t[k * 256 + n] = (previous >>> 8) ^ t[previous & 0xff];
    }
  }
  return t;
}

/**
 * The CRC-32 of `bytes` (IEEE 802.3, the one of zlib, gzip and PNG): crc32("123456789") is
 * 0xCBF43926. Pass the CRC of the bytes before to continue it: crc32(b, crc32(a)) is the CRC of a
 * then b.
 */
export function crc32(bytes: Uint8Array, crc = 0): number {
  const t = CRC_TABLES;
  const end = bytes.length;
  const end8 = end - (end & 7);
  let c = ~crc;
  let i = 0;
  for (; i < end8; i += 8) {
    const low = c ^ (bytes[i] | (bytes[i + 1] << 8) | (bytes[i + 2] << 16) | (bytes[i + 3] << 24));
    c = t[1792 + (low & 0xff)] ^ t[1536 + ((low >>> 8) & 0xff)] ^ t[1280 + ((low >>> 16) & 0xff)] ^ t[1024 + (low >>> 24)]
      ^ t[768 + bytes[i + 4]] ^ t[512 + bytes[i + 5]] ^ t[256 + bytes[i + 6]] ^ t[bytes[i + 7]];
  }
  for (; i < end; i++) c = t[(c ^ bytes[i]) & 0xff] ^ (c >>> 8);
  return ~c >>> 0;
}

// ---- Encoding ----------------------------------------------------------------------------------

/** The bytes of a model file holding `kind`, `header` (through JSON.stringify) and `sections` in order. */
export function encodeModelFile(contents: ModelFileContents): Uint8Array {
  if (typeof contents !== 'object' || contents === null) {
    throw new ArgumentTypeError(`Expected the model file contents to be { kind, header, sections }, got ${describe(contents)}`);
  }
  const kind = checkKind(contents.kind, 'kind');
  const headerBytes = encodeHeader(contents.header);
  const sections = checkSections(contents.sections);
  const names = sections.map((s) => asciiBytes(s.name));

  const out = allocateFile(fileLength(headerBytes.length, names, sections));
  const view = new DataView(out.buffer);
  out.set(MODEL_FILE_MAGIC, 0);
  view.setUint32(8, MODEL_FILE_VERSION, true);
  view.setUint32(12, KIND_CODES[kind], true);
  view.setUint32(16, headerBytes.length, true);
  out.set(headerBytes, 20);
  let pos = 20 + headerBytes.length;
  view.setUint32(pos, sections.length, true);
  pos += 4;
  sections.forEach((section, i) => {
    view.setUint32(pos, names[i].length, true);
    out.set(names[i], pos + 4);
    pos += 4 + names[i].length;
    view.setUint32(pos, section.bytes.length % 2 ** 32, true);
    view.setUint32(pos + 4, Math.floor(section.bytes.length / 2 ** 32), true);
    pos = alignUp(pos + 8);
    out.set(section.bytes, pos);
    pos += section.bytes.length;
  });
  view.setUint32(pos, crc32(out.subarray(0, pos)), true);
  return out;
}

function fileLength(headerLength: number, names: Uint8Array[], sections: readonly ModelSection[]): number {
  let length = 20 + headerLength + 4;
  sections.forEach((section, i) => { length = alignUp(length + 4 + names[i].length + 8) + section.bytes.length; });
  return length + CHECKSUM_BYTES;
}

function alignUp(offset: number): number {
  return Math.ceil(offset / SECTION_ALIGNMENT) * SECTION_ALIGNMENT;
}

function allocateFile(length: number): Uint8Array {
  try {
    return new Uint8Array(length);
  } catch (err) {
    throw new OutOfMemoryError(`Out of memory: the model file needs ${length} bytes, which this JavaScript engine could not allocate (${(err as Error).message})`);
  }
}

function encodeHeader(header: unknown): Uint8Array {
  if (!isPlainObject(header)) throw new ArgumentTypeError(`Expected header to be a JSON object, got ${describe(header)}`);
  let text: string;
  try {
    text = JSON.stringify(header);
  } catch (err) {
    throw new ArgumentTypeError(`Expected header to be JSON-serializable: ${(err as Error).message}`);
  }
  const bytes = new TextEncoder().encode(text);
  if (bytes.length > MAX_HEADER_BYTES) {
    throw new ArgumentRangeError(`Expected the header's JSON to take at most ${MAX_HEADER_BYTES} bytes (MAX_HEADER_BYTES), got ${bytes.length}; put large data in a section`);
  }
  return bytes;
}

function checkSections(sections: unknown): readonly ModelSection[] {
  if (!Array.isArray(sections)) throw new ArgumentTypeError(`Expected sections to be an array of { name, bytes }, got ${describe(sections)}`);
  if (sections.length > MAX_SECTIONS) throw new ArgumentRangeError(`Expected at most ${MAX_SECTIONS} sections (MAX_SECTIONS), got ${sections.length}`);
  const seen = new Set<string>();
  sections.forEach((section: unknown, i) => {
    if (typeof section !== 'object' || section === null) throw new ArgumentTypeError(`Expected sections[${i}] to be { name, bytes }, got ${describe(section)}`);
    const { name, bytes } = section as Partial<ModelSection>;
    if (typeof name !== 'string') throw new ArgumentTypeError(`Expected sections[${i}].name to be a string, got ${describe(name)}`);
    const problem = nameProblem(name);
    if (problem !== null) throw new ArgumentRangeError(`Expected sections[${i}].name to be ${problem}, got ${JSON.stringify(name)}`);
    if (seen.has(name)) throw new ArgumentRangeError(`Expected section names to be distinct, got ${JSON.stringify(name)} twice`);
    seen.add(name);
    if (!(bytes instanceof Uint8Array)) throw new ArgumentTypeError(`Expected sections[${i}].bytes to be a Uint8Array, got ${describe(bytes)}`);
  });
  return sections as readonly ModelSection[];
}

/** What is wrong with a section name, or null if nothing is. */
function nameProblem(name: string): string | null {
  if (name.length < 1 || name.length > MAX_NAME_BYTES) return `1 to ${MAX_NAME_BYTES} characters long`;
  if (!NAME_PATTERN.test(name)) return `made of ASCII letters, digits, '_', '.' and '-'`;
  return null;
}

function asciiBytes(text: string): Uint8Array {
  return Uint8Array.from(text, (ch) => ch.charCodeAt(0));
}

// ---- Decoding ----------------------------------------------------------------------------------

/**
 * Reads a model file, checking each field in file order before it is used: length, magic,
 * version, kind (and that it is `expectedKind`, if given), header length and JSON, section count,
 * each section's name and length, that nothing but the checksum follows the last section, and
 * finally the checksum. Nothing is copied or allocated beyond the header's text: sections are
 * views of `bytes`. Every failure is a DataFormatError that names the field.
 */
export function decodeModelFile(bytes: Uint8Array | ArrayBuffer, expectedKind?: ModelKind): DecodedModelFile {
  const file = toFileBytes(bytes);
  if (expectedKind !== undefined) checkKind(expectedKind, 'expectedKind');
  checkMinimumLength(file);
  const reader = new FieldReader(file);
  const version = readVersion(reader);
  const kind = readKind(reader, expectedKind);
  const header = readHeader(reader);
  const sections = readSections(reader);
  if (reader.left() !== 0) {
    throw corrupt(`${reader.left()} unexpected bytes after the last section, where only the ${CHECKSUM_BYTES}-byte checksum belongs`);
  }
  checkChecksum(file);
  return { kind, version, header, sections };
}

function toFileBytes(bytes: unknown): Uint8Array {
  if (bytes instanceof Uint8Array) return bytes;
  if (bytes instanceof ArrayBuffer) return new Uint8Array(bytes);
  throw new ArgumentTypeError(`Expected bytes to be a Uint8Array or ArrayBuffer, got ${describe(bytes)}`);
}

function checkKind(kind: unknown, name: string): ModelKind {
  if (typeof kind !== 'string') throw new ArgumentTypeError(`Expected ${name} to be one of ${KIND_LIST}, got ${describe(kind)}`);
  if (!Object.hasOwn(KIND_CODES, kind)) throw new ArgumentRangeError(`Expected ${name} to be one of ${KIND_LIST}, got ${JSON.stringify(kind)}`);
  return kind as ModelKind;
}

function corrupt(detail: string): DataFormatError {
  return new DataFormatError(`${NOT_A_MODEL}: ${detail}`);
}

/** A short file is "not a model file" when what it has already disagrees with the magic, else "truncated". */
function checkMinimumLength(file: Uint8Array): void {
  checkMagic(file.subarray(0, MODEL_FILE_MAGIC.length));
  if (file.length < FIXED_BYTES) {
    throw corrupt(`truncated: a model file has at least ${FIXED_BYTES} bytes, this one has ${file.length}`);
  }
}

function checkMagic(start: Uint8Array): void {
  if (start.every((b, i) => b === MODEL_FILE_MAGIC[i])) return;
  throw corrupt(`it starts with ${printable(start)}, not the magic ${printable(MODEL_FILE_MAGIC)}`);
}

/** Bytes as a quoted string with \xNN escapes for anything unprintable: "SIMDCLS\x00". */
function printable(bytes: Uint8Array): string {
  const text = Array.from(bytes, (b) => (b >= 0x20 && b < 0x7f && b !== 0x22 && b !== 0x5c ? String.fromCharCode(b) : `\\x${b.toString(16).padStart(2, '0')}`));
  return `"${text.join('')}"`;
}

/** Reads the fields after the magic, in order; `left()` counts the bytes before the checksum. */
class FieldReader {
  readonly bytes: Uint8Array;
  readonly view: DataView;
  readonly end: number;
  pos = MODEL_FILE_MAGIC.length;

  constructor(bytes: Uint8Array) {
    this.bytes = bytes;
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    this.end = bytes.length - CHECKSUM_BYTES;
  }

  left(): number {
    return this.end - this.pos;
  }

  /** Checks that `length` more bytes are there for `what`, before anything reads them. */
  need(length: number, what: string): void {
    if (length > this.left()) throw corrupt(`truncated: ${what} needs ${length} bytes, ${this.left()} are left before the checksum`);
  }

  u32(what: string): number {
    this.need(4, what);
    const value = this.view.getUint32(this.pos, true);
    this.pos += 4;
    return value;
  }

  take(length: number): Uint8Array {
    const bytes = this.bytes.subarray(this.pos, this.pos + length);
    this.pos += length;
    return bytes;
  }
}

function readVersion(reader: FieldReader): number {
  const version = reader.u32('the format version');
  if (version === 0) throw corrupt('format version 0 does not exist');
  if (version > MODEL_FILE_VERSION) {
    throw new DataFormatError(`This model file was written by a newer simdclass (format ${version}); this one reads up to ${MODEL_FILE_VERSION}`);
  }
  return version;
}

function readKind(reader: FieldReader, expectedKind: ModelKind | undefined): ModelKind {
  const code = reader.u32('the model kind');
  const kind = KINDS_BY_CODE[code];
  if (kind === undefined) throw corrupt(`unknown model kind code ${code} (known: 1 knn, 2 svm, 3 softmax)`);
  if (expectedKind !== undefined && kind !== expectedKind) {
    throw new DataFormatError(`Expected a model file of kind ${expectedKind}, got one of kind ${kind}`);
  }
  return kind;
}

function readHeader(reader: FieldReader): ModelHeader {
  const length = reader.u32('the header length');
  if (length > reader.left()) throw corrupt(`truncated: the header declares ${length} bytes, ${reader.left()} are left before the checksum`);
  if (length > MAX_HEADER_BYTES) throw corrupt(`the header declares ${length} bytes; a header has at most ${MAX_HEADER_BYTES}`);
  const header = parseHeaderJson(reader.take(length));
  if (!isPlainObject(header)) throw corrupt(`the header is ${describeJson(header)}, not a JSON object`);
  return header;
}

function parseHeaderJson(bytes: Uint8Array): unknown {
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    throw corrupt('the header is not valid UTF-8');
  }
  try {
    return JSON.parse(text);
  } catch (err) {
    throw corrupt(`the header is not valid JSON (${(err as Error).message})`);
  }
}

function describeJson(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'a JSON array';
  return `a JSON ${typeof value}`;
}

function isPlainObject(value: unknown): value is ModelHeader {
  return typeof value === 'object' && value !== null && !Array.isArray(value) && !ArrayBuffer.isView(value);
}

function readSections(reader: FieldReader): Map<string, Uint8Array> {
  const count = reader.u32('the section count');
  if (count > MAX_SECTIONS) throw corrupt(`the section count is ${count}; a file has at most ${MAX_SECTIONS} sections`);
  const sections = new Map<string, Uint8Array>();
  for (let i = 0; i < count; i++) {
    const what = `section ${i + 1} of ${count}`;
    const name = readSectionName(reader, what);
    if (sections.has(name)) throw corrupt(`${what} is named ${JSON.stringify(name)}, as an earlier section`);
    sections.set(name, readSectionPayload(reader, `${what} (${JSON.stringify(name)})`));
  }
  return sections;
}

function readSectionName(reader: FieldReader, what: string): string {
  const length = reader.u32(`the name length of ${what}`);
  if (length < 1 || length > MAX_NAME_BYTES) throw corrupt(`the name of ${what} declares ${length} bytes; names have 1 to ${MAX_NAME_BYTES}`);
  reader.need(length, `the name of ${what}`);
  const bytes = reader.take(length);
  const name = String.fromCharCode(...bytes);
  if (!NAME_PATTERN.test(name)) throw corrupt(`the name of ${what} is ${printable(bytes)}; names are made of ASCII letters, digits, '_', '.' and '-'`);
  return name;
}

function readSectionPayload(reader: FieldReader, what: string): Uint8Array {
  reader.need(8, `the length of ${what}`);
  const low = reader.u32(`the length of ${what}`);
  const high = reader.u32(`the length of ${what}`);
  const padding = alignUp(reader.pos) - reader.pos;
  reader.need(padding, `the padding before ${what}`);
  reader.take(padding).forEach((b, i) => {
    if (b !== 0) throw corrupt(`padding byte ${i} before ${what} is ${b}, expected 0`);
  });
  // high * 2^32 + low may round above 2^53, but it is then far beyond any file: only the message needs it exact.
  const length = high * 2 ** 32 + low;
  if (length > reader.left()) {
    throw corrupt(`truncated: ${what} declares ${(BigInt(high) << 32n) + BigInt(low)} bytes, ${reader.left()} are left before the checksum`);
  }
  return reader.take(length);
}

function checkChecksum(file: Uint8Array): void {
  const end = file.length - CHECKSUM_BYTES;
  const stored = new DataView(file.buffer, file.byteOffset + end, CHECKSUM_BYTES).getUint32(0, true);
  const actual = crc32(file.subarray(0, end));
  if (stored !== actual) throw corrupt(`the checksum is ${hex(stored)} but the bytes before it have CRC-32 ${hex(actual)}: the file is corrupt`);
}

function hex(n: number): string {
  return '0x' + n.toString(16).padStart(8, '0');
}

/**
 * The kind a model file says it holds, from its magic and kind field alone (no other check), or
 * null when the bytes do not start like a simdclass model file. decodeModelFile checks the rest.
 */
export function peekModelKind(bytes: Uint8Array): ModelKind | null {
  if (bytes.length < 16 || MODEL_FILE_MAGIC.some((b, i) => bytes[i] !== b)) return null;
  return KINDS_BY_CODE[new DataView(bytes.buffer, bytes.byteOffset, 16).getUint32(12, true)] ?? null;
}

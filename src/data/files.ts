import { constants, type Stats } from 'node:fs';
import { open, readdir, stat, type FileHandle } from 'node:fs/promises';
import { DataFormatError } from '../errors.js';
import { allocateBytes } from './idx.js';

/** O_NONBLOCK: should the path turn into a FIFO between the stat and the open, the open must not wait for a writer. */
const OPEN_FLAGS = constants.O_RDONLY | (constants.O_NONBLOCK ?? 0);
/** fs reads take at most 2 GiB - 1 bytes at a time. */
const MAX_READ_BYTES = 2 ** 30;

/** "ELOOP: too many symbolic links encountered" from Node's "ELOOP: too many symbolic links encountered, stat '/x'". */
function systemErrorText(err: unknown): string {
  if (!(err instanceof Error)) return String(err);
  const { code, syscall } = err as NodeJS.ErrnoException;
  if (code === undefined) return err.message;
  const text = err.message.startsWith(`${code}: `) ? err.message.slice(code.length + 2) : err.message;
  const cut = syscall === undefined ? -1 : text.lastIndexOf(`, ${syscall}`);
  return `${code}: ${cut >= 0 ? text.slice(0, cut) : text}`;
}

/** Runs one file system call, turning its error into a DataFormatError that names the path and what was expected. */
async function fsCall<T>(path: string, expected: string, call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (err) {
    throw new DataFormatError(`Could not read ${path} (${systemErrorText(err)}): expected a readable ${expected}`);
  }
}

function fileKind(stats: Stats): string {
  if (stats.isDirectory()) return 'a directory';
  if (stats.isFIFO()) return 'a FIFO (named pipe)';
  if (stats.isSocket()) return 'a socket';
  if (stats.isCharacterDevice()) return 'a character device';
  if (stats.isBlockDevice()) return 'a block device';
  return 'a special file';
}

function checkRegularFile(path: string, stats: Stats, expected: string, maxBytes: number): void {
  if (!stats.isFile()) throw new DataFormatError(`Could not read ${path}: it is ${fileKind(stats)}, not a regular file; expected a regular ${expected}`);
  if (stats.size > maxBytes) throw new DataFormatError(`Could not read ${path}: it has ${stats.size} bytes; expected at most ${maxBytes}`);
}

/** Reads `size` bytes from the start of the file, or fewer if it shrank since it was measured. */
async function readBytes(handle: FileHandle, size: number): Promise<Uint8Array> {
  const bytes = allocateBytes(size, 'the file contents');
  let filled = 0;
  while (filled < size) {
    const { bytesRead } = await handle.read(bytes, filled, Math.min(size - filled, MAX_READ_BYTES), filled);
    if (bytesRead === 0) break;
    filled += bytesRead;
  }
  return bytes.subarray(0, filled);
}

/**
 * Reads a whole dataset file of at most `maxBytes`. Anything but a regular file (a directory, a FIFO, a socket, a
 * device) is refused before it is opened, and again on the open handle in case the path changed in between.
 * `expected` says what the file should be ("IDX file"); every error is a DataFormatError naming the path.
 */
export async function readRegularFile(path: string, expected: string, maxBytes: number): Promise<Uint8Array> {
  checkRegularFile(path, await fsCall(path, expected, () => stat(path)), expected, maxBytes);
  const handle = await fsCall(path, expected, () => open(path, OPEN_FLAGS));
  try {
    const stats = await fsCall(path, expected, () => handle.stat());
    checkRegularFile(path, stats, expected, maxBytes);
    return await fsCall(path, expected, () => readBytes(handle, stats.size));
  } finally {
    // The bytes are already read: a failed close of a read-only handle loses nothing.
    await handle.close().catch(() => undefined);
  }
}

/** The entries of a dataset folder; every error is a DataFormatError naming the folder. */
export async function listFolder(dir: string): Promise<string[]> {
  try {
    return await readdir(dir);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw new DataFormatError(`Dataset folder not found: ${dir}`);
    if (code === 'ENOTDIR') throw new DataFormatError(`Dataset path is not a folder: ${dir}`);
    throw new DataFormatError(`Could not list ${dir} (${systemErrorText(err)}): expected a readable dataset folder`);
  }
}

// Writers for the dataset files the tests generate: IDX files, and folders of such files.
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

/** An IDX file: magic 0x0000 TT NN (TT the element type, 0x08 for u8), big-endian u32 dims, then the payload. */
export function idx(dims, data, type = 0x08) {
  const header = Buffer.alloc(4 + 4 * dims.length);
  header[2] = type;
  header[3] = dims.length;
  dims.forEach((d, i) => header.writeUInt32BE(d, 4 + 4 * i));
  return Buffer.concat([header, Buffer.from(data)]);
}

/** Writes `files` ({ name: bytes }) into the folder root/name and returns its path. */
export async function makeFolder(root, name, files) {
  const dir = join(root, name);
  await mkdir(dir, { recursive: true });
  for (const [file, bytes] of Object.entries(files)) await writeFile(join(dir, file), bytes);
  return dir;
}

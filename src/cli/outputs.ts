// Output paths (--save, --plot, --out) are checked before any data is loaded or model trained,
// so a long run never ends in an unwritable path.
import { constants } from 'node:fs';
import { access, stat } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { UsageError } from './args.js';

/** Throws a usage error naming the flag unless `path` is a file that can be written (or created). */
export async function checkWritableFile(path: string, flag: string): Promise<void> {
  const target = resolve(path);
  const existing = await stat(target).catch(() => null);
  if (existing?.isDirectory()) throw new UsageError(`--${flag} ${path} is a folder; expected a file path`);
  await checkAccess(existing !== null ? target : dirname(target), flag, path);
}

/** Throws a usage error naming the flag unless `path` is a folder that can be written (or created in a writable folder). */
export async function checkWritableFolder(path: string, flag: string): Promise<void> {
  let target = resolve(path);
  let existing = await stat(target).catch(() => null);
  while (existing === null && dirname(target) !== target) {
    target = dirname(target);
    existing = await stat(target).catch(() => null);
  }
  if (existing !== null && !existing.isDirectory()) throw new UsageError(`--${flag} ${path}: ${target} is a file, not a folder`);
  await checkAccess(target, flag, path);
}

async function checkAccess(target: string, flag: string, path: string): Promise<void> {
  try {
    await access(target, constants.W_OK);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code ?? 'error';
    throw new UsageError(`--${flag} ${path} cannot be written (${code} on ${target}); choose another path`);
  }
}

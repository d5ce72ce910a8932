/**
 * Checks on the files a command is asked to write, made before any work starts. As root, a
 * write-then-rename over `/dev/null` or a symlink would replace a device node or a link with a
 * regular file, so only a regular file or a new path in an existing, writable folder is accepted.
 */
import { accessSync, constants, lstatSync, type Stats } from 'node:fs';
import { dirname, resolve } from 'node:path';

/** A path that must not be written: the message is one line naming the flag and the reason. */
export class OutputPathError extends Error {
  override name = 'OutputPathError';
}

function describeKind(stats: Stats): string {
  if (stats.isSymbolicLink()) return 'a symbolic link';
  if (stats.isCharacterDevice()) return 'a character device';
  if (stats.isBlockDevice()) return 'a block device';
  if (stats.isFIFO()) return 'a FIFO';
  if (stats.isSocket()) return 'a socket';
  if (stats.isDirectory()) return 'a directory';
  if (stats.isFile()) return 'a regular file';
  return 'not a regular file';
}

function lstatOrNull(path: string): Stats | null {
  try {
    return lstatSync(path);
  } catch (error) {
    // ENOTDIR: something above is a file; the caller finds it when it walks up.
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') return null;
    throw new OutputPathError(`cannot inspect ${path}: ${(error as Error).message.split('\n')[0]}`);
  }
}

function checkWritableFolder(folder: string, what: string, path: string): void {
  const stats = lstatOrNull(folder);
  if (stats === null) throw new OutputPathError(`${what} ${path}: folder ${folder} does not exist`);
  if (!stats.isDirectory()) throw new OutputPathError(`${what} ${path}: ${folder} is ${describeKind(stats)}, not a folder`);
  try {
    accessSync(folder, constants.W_OK | constants.X_OK);
  } catch {
    throw new OutputPathError(`${what} ${path}: folder ${folder} is not writable`);
  }
}

/**
 * Throws unless `path` names a regular file that may be replaced, or a new file in an existing,
 * writable folder. `what` names the flag in the message (e.g. `--out`).
 */
export function checkOutputFile(path: string, what = 'output'): void {
  if (typeof path !== 'string' || path.length === 0) throw new OutputPathError(`${what}: empty path (omit the flag to write to stdout, where the command allows it)`);
  const stats = lstatOrNull(path);
  if (stats !== null) {
    if (!stats.isFile()) throw new OutputPathError(`${what} ${path} is ${describeKind(stats)}; only a regular file or a new path can be written`);
    try {
      accessSync(path, constants.W_OK);
    } catch {
      throw new OutputPathError(`${what} ${path} is not writable`);
    }
  }
  checkWritableFolder(dirname(resolve(path)), what, path);
}

/**
 * Throws unless `path` is an existing writable folder, or can be created as one: its nearest
 * existing ancestor is a writable folder (nothing on the way is a file, device or link).
 */
export function checkOutputFolder(path: string, what = 'output folder'): void {
  if (typeof path !== 'string' || path.length === 0) throw new OutputPathError(`${what}: empty path`);
  let current = resolve(path);
  for (;;) {
    const stats = lstatOrNull(current);
    if (stats !== null) {
      if (!stats.isDirectory()) throw new OutputPathError(`${what} ${path}: ${current} is ${describeKind(stats)}, not a folder`);
      try {
        accessSync(current, constants.W_OK | constants.X_OK);
      } catch {
        throw new OutputPathError(`${what} ${path}: folder ${current} is not writable`);
      }
      return;
    }
    const parent = dirname(current);
    if (parent === current) throw new OutputPathError(`${what} ${path}: no existing folder above it`);
    current = parent;
  }
}

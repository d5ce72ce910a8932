/**
 * An exclusive lock beside a file (`FILE.lock`, holding the owner's pid), so two runs never
 * append to the same results at once. A lock whose owner is gone (killed with -9) is taken over.
 */
import { closeSync, openSync, readFileSync, unlinkSync, writeSync } from 'node:fs';
import { writeErrorReason } from './write-file.js';

export class LockedError extends Error {
  override name = 'LockedError';
}

export interface FileLock {
  readonly path: string;
  release(): void;
}

const held = new Set<string>();
process.on('exit', () => {
  for (const path of held) {
    try {
      unlinkSync(path);
    } catch {
      // already gone
    }
  }
});

function ownerAlive(pid: number): boolean {
  if (!Number.isInteger(pid) || pid < 1) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: the process exists but belongs to someone else.
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Takes `target.lock` or throws a one-line LockedError naming the process that holds it. */
export function lockFile(target: string): FileLock {
  const path = `${target}.lock`;
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const fd = openSync(path, 'wx');
      try {
        writeSync(fd, `${process.pid}\n`);
      } catch (error) {
        // A full disk: an empty lock left behind would read as a stale lock of nobody.
        closeSync(fd);
        unlinkSync(path);
        throw error;
      }
      closeSync(fd);
      held.add(path);
      return {
        path,
        release: () => {
          if (!held.delete(path)) return;
          try {
            unlinkSync(path);
          } catch {
            // already gone
          }
        },
      };
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw new LockedError(`cannot lock ${target}: ${writeErrorReason(error)}`);
    }
    let owner = Number.NaN;
    try {
      owner = Number.parseInt(readFileSync(path, 'utf8'), 10);
    } catch {
      // vanished between open and read: try again
    }
    if (ownerAlive(owner)) throw new LockedError(`${target} is being written by another run (pid ${owner}, lock ${path}); wait for it to finish or stop it`);
    try {
      unlinkSync(path); // stale: its owner is gone
    } catch {
      // someone else removed it first
    }
  }
  throw new LockedError(`cannot lock ${target}: ${path} keeps reappearing`);
}

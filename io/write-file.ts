/**
 * Writes a command's output file whole or not at all. The bytes go to a temporary file beside
 * the output, renamed over it only once every write (and the fsync, where a full disk may
 * first show) succeeded: a failure leaves neither an empty or half file under the output's
 * name nor the temporary file, and the error names the output, not the temporary file.
 */
import { closeSync, fsyncSync, openSync, renameSync, unlinkSync, writeSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';

/** An output that could not be written: one line, `cannot write PATH: reason`. */
export class OutputWriteError extends Error {
  override name = 'OutputWriteError';
}

/** The hidden name a file is written under until it is complete (`.NAME.partial-PID-RANDOM`). */
export function partialPath(path: string): string {
  return join(dirname(path), `.${basename(path)}.partial-${process.pid}-${Math.floor(Math.random() * 1e9)}`);
}

/**
 * `no space left on device` from `ENOSPC: no space left on device, write`: Node's text names
 * the system call and the temporary path, neither of which is the user's.
 */
export function writeErrorReason(error: unknown): string {
  const message = error instanceof Error ? error.message.split('\n')[0]! : String(error);
  const system = /^[A-Z0-9]+: ([^,]+)/.exec(message);
  return system ? system[1]! : message;
}

export function cannotWrite(path: string, error: unknown): OutputWriteError {
  return new OutputWriteError(`cannot write ${path}: ${writeErrorReason(error)}`);
}

/** Writes `data` to `path` through a temporary file and a rename; throws OutputWriteError. */
export function writeFileAtomic(path: string, data: string | Uint8Array): void {
  const bytes = typeof data === 'string' ? Buffer.from(data) : data;
  const temporary = partialPath(path);
  let fd: number | undefined;
  try {
    fd = openSync(temporary, 'wx');
    for (let offset = 0; offset < bytes.length; ) offset += writeSync(fd, bytes, offset, bytes.length - offset);
    fsyncSync(fd);
    closeSync(fd);
    fd = undefined;
    renameSync(temporary, path);
  } catch (error) {
    if (fd !== undefined) {
      try {
        closeSync(fd);
      } catch {
        // the write error is the one to report
      }
    }
    try {
      unlinkSync(temporary);
    } catch {
      // never created, or already renamed
    }
    throw cannotWrite(path, error);
  }
}

/**
 * Access traces for cache studies. Binary pagedelta access traces are read by workloads/trace/stream.ts
 * (`loadTraceKeys` dispatches on the magic bytes); text files go through the one text parser
 * (workloads/trace/text.ts: `page` or `time,page` per line, integers, an optional header):
 * the keys are the page column. Malformed input throws a one-line error naming the file and
 * line.
 */
import { closeSync, openSync, readFileSync, readSync, statSync } from 'node:fs';
import { readAccessKeys } from '../../workloads/trace/stream.js';
import { hasTraceMagic } from '../../workloads/trace/reader.js';
import { parseAccessText } from '../../workloads/trace/text.js';

/**
 * Parses the text of an access trace (`page` or `time,page` per line; the grammar of
 * workloads/trace/text.ts, the one text parser); `name` is used in error messages.
 */
export function parseAccessKeys(text: string, name = 'trace'): Float64Array {
  return parseAccessText(text, name).pages.slice();
}

/** Loads an access trace file (see the module comment for the formats). */
export function loadAccessKeys(path: string): Float64Array {
  let bytes: Buffer;
  try {
    const size = statSync(path).size;
    if (size > 500 * 2 ** 20) throw new Error(`${path}: ${size} bytes is too large for a text trace (limit 500 MiB)`);
    bytes = readFileSync(path);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw new Error(`${path}: no such trace file`);
    if (code === 'EISDIR') throw new Error(`${path}: is a directory, not a trace file`);
    throw error instanceof Error ? new Error(error.message.split('\n')[0]) : error;
  }
  if (bytes.includes(0)) throw new Error(`${path}: binary data; expected a text trace (one key per line, or time,page CSV)`);
  return parseAccessText(bytes, path).pages.slice();
}

/**
 * Loads the keys of any access trace: a binary pagedelta access trace (recognised by its magic
 * bytes; read by workloads/trace/stream.ts) or a text trace (loadAccessKeys).
 */
export async function loadTraceKeys(path: string): Promise<Float64Array> {
  let head: Uint8Array;
  try {
    const fd = openSync(path, 'r');
    try {
      head = new Uint8Array(8);
      const got = readSync(fd, head, 0, 8, 0);
      head = head.subarray(0, got);
    } finally {
      closeSync(fd);
    }
  } catch {
    return loadAccessKeys(path); // the text loader reports missing files and directories
  }
  if (!hasTraceMagic(head)) return loadAccessKeys(path);
  try {
    return await readAccessKeys(path);
  } catch (error) {
    throw new Error(error instanceof Error ? error.message.split('\n')[0] : String(error));
  }
}

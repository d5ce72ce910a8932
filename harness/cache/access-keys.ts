/**
 * Access traces for cache studies. Binary pagedelta access traces are read by workloads/trace/stream.ts
 * (`loadTraceKeys` dispatches on the magic bytes); this module parses text files:
 * - one key per line (a page number or block address: an integer in [0, 2^53)), or
 * - `time,page` CSV: two fields per line, the page number second (the time is checked to be a
 *   number and otherwise ignored); an optional `time,page` header line.
 * Blank lines and lines starting with `#` are skipped. The format is decided by the first data
 * line (a comma means CSV) and every line must then follow it. Malformed input throws a
 * one-line error naming the file and line.
 */
import { closeSync, openSync, readFileSync, readSync, statSync } from 'node:fs';
import { readAccessKeys } from '../../workloads/trace/stream.js';
import { hasTraceMagic } from '../../workloads/trace/reader.js';

const MAX_KEY = Number.MAX_SAFE_INTEGER;

/** Parses a non-negative decimal integer in text[start, end); NaN when it is not one (or >= 2^53). */
function parseKey(text: string, start: number, end: number): number {
  if (start >= end) return Number.NaN;
  let value = 0;
  for (let i = start; i < end; i++) {
    const digit = text.charCodeAt(i) - 48;
    if (digit < 0 || digit > 9) return Number.NaN;
    value = value * 10 + digit;
  }
  // More than 16 digits can round: reject anything past 2^53 - 1 (checked on the exact text).
  if (value > MAX_KEY || (end - start > 15 && BigInt(text.slice(start, end)) > BigInt(MAX_KEY))) return Number.NaN;
  return value;
}

function trimRange(text: string, start: number, end: number): [number, number] {
  while (start < end && (text.charCodeAt(start) === 32 || text.charCodeAt(start) === 9)) start++;
  while (end > start && (text.charCodeAt(end - 1) === 32 || text.charCodeAt(end - 1) === 9 || text.charCodeAt(end - 1) === 13)) end--;
  return [start, end];
}

function clip(text: string): string {
  return text.length > 40 ? `${text.slice(0, 40)}...` : text;
}

/** Parses the text of an access trace; `name` is used in error messages. */
export function parseAccessKeys(text: string, name = 'trace'): Float64Array {
  let keys = new Float64Array(1024);
  let count = 0;
  let csv: boolean | null = null;
  let lineNumber = 0;
  let position = 0;
  const length = text.length;
  while (position < length) {
    let newline = text.indexOf('\n', position);
    if (newline < 0) newline = length;
    lineNumber++;
    const [start, end] = trimRange(text, position, newline);
    position = newline + 1;
    if (start === end || text.charCodeAt(start) === 35 /* # */) continue;
    const comma = text.indexOf(',', start);
    const hasComma = comma >= 0 && comma < end;
    if (csv === null) {
      csv = hasComma;
      if (csv && /^time\s*,\s*page$/i.test(text.slice(start, end))) continue;
    }
    let key: number;
    if (csv) {
      if (!hasComma || text.indexOf(',', comma + 1) >= 0 && text.indexOf(',', comma + 1) < end) {
        throw new Error(`${name}:${lineNumber}: expected "time,page" (two fields, as on the first line), got "${clip(text.slice(start, end))}"`);
      }
      const [timeStart, timeEnd] = trimRange(text, start, comma);
      const time = Number(text.slice(timeStart, timeEnd));
      if (timeStart === timeEnd || !Number.isFinite(time)) {
        throw new Error(`${name}:${lineNumber}: time "${clip(text.slice(timeStart, timeEnd))}" is not a number`);
      }
      const [pageStart, pageEnd] = trimRange(text, comma + 1, end);
      key = parseKey(text, pageStart, pageEnd);
      if (Number.isNaN(key)) {
        throw new Error(`${name}:${lineNumber}: page "${clip(text.slice(pageStart, pageEnd))}" is not an integer in [0, 2^53)`);
      }
    } else {
      if (hasComma) throw new Error(`${name}:${lineNumber}: expected one key per line (as on the first line), got "${clip(text.slice(start, end))}"`);
      key = parseKey(text, start, end);
      if (Number.isNaN(key)) throw new Error(`${name}:${lineNumber}: key "${clip(text.slice(start, end))}" is not an integer in [0, 2^53)`);
    }
    if (count === keys.length) {
      const grown = new Float64Array(keys.length * 2);
      grown.set(keys);
      keys = grown;
    }
    keys[count++] = key;
  }
  return keys.slice(0, count);
}

/** Loads an access trace file (see the module comment for the formats). */
export function loadAccessKeys(path: string): Float64Array {
  let text: string;
  try {
    const size = statSync(path).size;
    if (size > 500 * 2 ** 20) throw new Error(`${path}: ${size} bytes is too large for a text trace (limit 500 MiB)`);
    text = readFileSync(path, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw new Error(`${path}: no such trace file`);
    if (code === 'EISDIR') throw new Error(`${path}: is a directory, not a trace file`);
    throw error instanceof Error ? new Error(error.message.split('\n')[0]) : error;
  }
  if (text.includes('\u0000')) throw new Error(`${path}: binary data; expected a text trace (one key per line, or time,page CSV)`);
  return parseAccessKeys(text, path);
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

/**
 * The one parser of plain-text access traces (every command that reads one goes through it):
 * one access per line, `page` or `time,page`; the separator is a comma (spaces around it
 * allowed), tabs or spaces. Both fields are decimal integers 0 .. 2^53-1: no sign, point,
 * exponent or hex (`1e3`, `0x10`, `+5`, `2.0` are errors, not numbers read loosely). Blank
 * lines and `#` comments are skipped; one header line of words (`page`, `time,page`) may
 * come before the first access; a UTF-8 byte order mark at the start is skipped. Lines end
 * with LF or CR LF; a CR inside a line (a file with CR-only line endings) is an error on
 * that line. Every data line has the form of the first one. A file with no access at all is
 * an error. Lines without a time get the time of their index (one access per time unit).
 *
 * It works on bytes (no string per line), in 1 MiB reads, synchronously (replay's advance()
 * is synchronous): memory does not grow with the file, time is linear in it.
 */
import { closeSync, readSync } from 'node:fs';
import { openTraceFile, TraceError } from './format.js';

const LF = 10;
const CR = 13;
const SPACE = 32;
const TAB = 9;
const COMMA = 44;
const HASH = 35;
const ZERO = 48;
const NINE = 57;
const MAX_PAGE = Number.MAX_SAFE_INTEGER;

function isWordByte(byte: number): boolean {
  return (byte >= 65 && byte <= 90) || (byte >= 97 && byte <= 122) || byte === 95 || (byte >= ZERO && byte <= NINE);
}

function isLetter(byte: number): boolean {
  return (byte >= 65 && byte <= 90) || (byte >= 97 && byte <= 122) || byte === 95;
}

/**
 * Parses access lines from byte ranges into `times` / `pages`, keeping its state (line
 * number, header seen, timed or not) across calls, so a file can be fed in pieces that end
 * at line ends.
 */
export class AccessLineParser {
  lineNumber = 0;
  /** Whether lines carry a time column (decided by the first data line). */
  timed: boolean | undefined;
  accesses = 0;
  private sawLine = false;
  /** Time of the last timed access: times must not decrease (the replay and caches read them in order). */
  private lastTime = 0;
  /** Where the current field ended (set by digits()). */
  private fieldEnd = 0;

  constructor(readonly name: string) {}

  reset(): void {
    this.lineNumber = 0;
    this.timed = undefined;
    this.accesses = 0;
    this.sawLine = false;
    this.lastTime = 0;
  }

  private fail(bytes: Uint8Array, start: number, end: number, what: string): never {
    // A valid line has no CR inside, so one there is why it failed (looked for only now: no scan per line).
    for (let at = start; at < end; at++) if (bytes[at] === CR) what = 'a carriage return inside the line (CR-only line endings? lines must end with LF or CR LF)';
    let text = Buffer.from(bytes.buffer, bytes.byteOffset + start, Math.min(end - start, 60)).toString('utf8');
    if (end - start > 60) text += '...';
    // Control bytes shown escaped: a binary file read as a list must not write them to a terminal.
    const shown = text.replaceAll('\r', '\\r').replace(/[\u0000-\u0008\u000b-\u001f\u007f\ufffd]/g, (ch) => (ch === '\ufffd' ? '\\ufffd' : `\\x${ch.charCodeAt(0).toString(16).padStart(2, '0')}`));
    throw new TraceError(`${this.name} line ${this.lineNumber}: ${what}, found "${shown}"`);
  }

  /** A decimal integer at `at` (NaN when there is none or it exceeds 2^53-1); sets fieldEnd. */
  private digits(bytes: Uint8Array, at: number, end: number): number {
    let value = 0;
    const start = at;
    while (at < end) {
      const byte = bytes[at]!;
      if (byte < ZERO || byte > NINE) break;
      value = value * 10 + (byte - ZERO);
      at++;
    }
    this.fieldEnd = at;
    if (at === start) return Number.NaN;
    if (at - start > 15 && (value > MAX_PAGE || BigInt(Buffer.from(bytes.buffer, bytes.byteOffset + start, at - start).toString('latin1')) > BigInt(MAX_PAGE))) return Number.NaN;
    return value;
  }

  private isHeader(bytes: Uint8Array, at: number, end: number): boolean {
    let words = 0;
    while (at < end) {
      if (!isLetter(bytes[at]!)) return false;
      while (at < end && isWordByte(bytes[at]!)) at++;
      words++;
      while (at < end && (bytes[at] === SPACE || bytes[at] === TAB)) at++;
      if (at < end && bytes[at] === COMMA) {
        at++;
        while (at < end && (bytes[at] === SPACE || bytes[at] === TAB)) at++;
        if (at === end) return false;
      }
    }
    return words >= 1 && words <= 2;
  }

  /**
   * Parses the complete lines of bytes[start, end) (the last may lack its LF when `final`),
   * up to `room` accesses; returns where it stopped (a line start) and the accesses added.
   */
  parse(bytes: Uint8Array, start: number, end: number, final: boolean, times: Float64Array, pages: Float64Array, room: number): { next: number; count: number } {
    let count = 0;
    let position = start;
    while (position < end && count < room) {
      // Fast path for the common lines, `digits LF` or `digits,digits LF` (CR LF too), once
      // the first data line has fixed the form; anything else takes the general path below.
      if (this.timed !== undefined) {
        let at = position;
        let first = 0;
        let byte = 0;
        while (at < end && (byte = bytes[at]!) >= ZERO && byte <= NINE) {
          first = first * 10 + (byte - ZERO);
          at++;
        }
        const firstDigits = at - position;
        if (firstDigits > 0 && firstDigits <= 15 && at < end) {
          if (!this.timed && (byte === LF || (byte === CR && at + 1 < end && bytes[at + 1] === LF))) {
            this.lineNumber++;
            times[count] = this.accesses++;
            pages[count++] = first;
            position = at + (byte === LF ? 1 : 2);
            continue;
          }
          if (this.timed && byte === COMMA) {
            const secondStart = ++at;
            let second = 0;
            while (at < end && (byte = bytes[at]!) >= ZERO && byte <= NINE) {
              second = second * 10 + (byte - ZERO);
              at++;
            }
            const secondDigits = at - secondStart;
            if (secondDigits > 0 && secondDigits <= 15 && first >= this.lastTime && at < end && (byte === LF || (byte === CR && at + 1 < end && bytes[at + 1] === LF))) {
              this.lineNumber++;
              this.accesses++;
              this.lastTime = first;
              times[count] = first;
              pages[count++] = second;
              position = at + (byte === LF ? 1 : 2);
              continue;
            }
          }
        }
      }
      let lineEnd = bytes.indexOf(LF, position);
      if (lineEnd < 0 || lineEnd >= end) {
        if (!final) break;
        lineEnd = end;
      }
      const next = lineEnd + 1;
      this.lineNumber++;
      let at = position;
      let stop = lineEnd;
      if (stop > at && bytes[stop - 1] === CR) stop--;
      if (this.lineNumber === 1 && stop - at >= 3 && bytes[at] === 0xef && bytes[at + 1] === 0xbb && bytes[at + 2] === 0xbf) at += 3;
      position = Math.min(next, end);
      while (at < stop && (bytes[at] === SPACE || bytes[at] === TAB)) at++;
      while (stop > at && (bytes[stop - 1] === SPACE || bytes[stop - 1] === TAB)) stop--;
      if (at === stop || bytes[at] === HASH) continue;
      const lineBegin = at;
      const firstLine = !this.sawLine;
      this.sawLine = true;
      if (firstLine && isLetter(bytes[at]!) && this.isHeader(bytes, at, stop)) continue;
      const first = this.digits(bytes, at, stop);
      if (Number.isNaN(first)) this.fail(bytes, lineBegin, stop, `expected ${this.timed === true ? 'a time' : 'a page number'} (an integer 0 to 2^53-1)`);
      at = this.fieldEnd;
      let time = this.accesses;
      let page = first;
      let timed = false;
      if (at < stop) {
        const separator = at;
        while (at < stop && (bytes[at] === SPACE || bytes[at] === TAB)) at++;
        if (at < stop && bytes[at] === COMMA) {
          at++;
          while (at < stop && (bytes[at] === SPACE || bytes[at] === TAB)) at++;
        } else if (at === separator) {
          this.fail(bytes, lineBegin, stop, 'expected an integer 0 to 2^53-1, then a comma, tab or space');
        }
        page = this.digits(bytes, at, stop);
        if (Number.isNaN(page)) this.fail(bytes, lineBegin, stop, 'expected a page number (an integer 0 to 2^53-1) after the time');
        if (this.fieldEnd !== stop) this.fail(bytes, lineBegin, stop, 'expected "page" or "time,page" (two integers at most)');
        if (first < this.lastTime) this.fail(bytes, lineBegin, stop, `expected a time of at least ${this.lastTime}, the line before's (times must not decrease)`);
        time = first;
        this.lastTime = first;
        timed = true;
      }
      this.timed ??= timed;
      if (timed !== this.timed) this.fail(bytes, lineBegin, stop, `expected ${this.timed ? '"time,page"' : '"page"'} like the first line`);
      times[count] = time;
      pages[count] = page;
      count++;
      this.accesses++;
    }
    return { next: position, count };
  }

  /** Throws if no access was read (call at the end of the input). */
  finish(): void {
    if (this.accesses === 0) throw new TraceError(`${this.name}: no accesses: expected lines of "page" or "time,page" (integers), found ${this.sawLine ? 'only a header' : 'no data lines'}`);
  }
}

export class TextAccessReader {
  private readonly fd: number;
  private readonly buffer = new Uint8Array(1 << 20);
  private start = 0;
  private end = 0;
  private position = 0;
  private eof = false;
  private readonly parser: AccessLineParser;
  readonly times: Float64Array;
  readonly pages: Float64Array;
  count = 0;

  constructor(
    readonly path: string,
    readonly batch = 65536,
  ) {
    this.fd = openTraceFile(path);
    this.parser = new AccessLineParser(path);
    this.times = new Float64Array(batch);
    this.pages = new Float64Array(batch);
  }

  /** Whether lines carry a time column (decided by the first data line). */
  get timed(): boolean | undefined {
    return this.parser.timed;
  }

  rewind(): void {
    this.start = 0;
    this.end = 0;
    this.position = 0;
    this.eof = false;
    this.parser.reset();
  }

  /** Reads up to `batch` accesses into times/pages; returns the count (0 at the end, an error if the file had none). */
  readBatch(): number {
    let count = 0;
    while (count < this.batch) {
      if (this.start < this.end) {
        const { next, count: added } = this.parser.parse(this.buffer, this.start, this.end, this.eof, this.times.subarray(count), this.pages.subarray(count), this.batch - count);
        this.start = next;
        count += added;
        if (count >= this.batch) break;
      }
      if (this.eof && this.start >= this.end) break;
      if (this.eof) continue;
      if (this.start > 0) {
        this.buffer.copyWithin(0, this.start, this.end);
        this.end -= this.start;
        this.start = 0;
      }
      if (this.end === this.buffer.length) throw new TraceError(`${this.path} line ${this.parser.lineNumber + 1}: line longer than ${this.buffer.length} bytes`);
      const got = readSync(this.fd, this.buffer, this.end, this.buffer.length - this.end, this.position);
      this.position += got;
      this.end += got;
      if (got === 0) this.eof = true;
    }
    if (count === 0 && this.eof && this.start >= this.end) this.parser.finish();
    this.count = count;
    return count;
  }

  close(): void {
    closeSync(this.fd);
  }
}

/**
 * The one rule every reader uses to tell a binary file from a text list (besides the trace
 * magic): a NUL byte in the first 4 KiB, which no text list holds.
 */
export function looksBinary(head: Uint8Array): boolean {
  const end = Math.min(head.length, 4096);
  for (let i = 0; i < end; i++) if (head[i] === 0) return true;
  return false;
}

/** Parses a whole text access trace held in memory (bytes or a string); `name` is used in errors. */
export function parseAccessText(input: Uint8Array | string, name: string): { times: Float64Array; pages: Float64Array; timed: boolean } {
  const bytes = typeof input === 'string' ? Buffer.from(input, 'utf8') : input;
  if (looksBinary(bytes)) throw new TraceError(`${name}: not a pagedelta trace: expected the magic bytes 89 50 44 54 52 0d 0a 1a at offset 0`, 0);
  const parser = new AccessLineParser(name);
  let times = new Float64Array(1 << 16);
  let pages = new Float64Array(1 << 16);
  let count = 0;
  let position = 0;
  while (position < bytes.length) {
    if (count === pages.length) {
      const grownTimes = new Float64Array(pages.length * 2);
      const grownPages = new Float64Array(pages.length * 2);
      grownTimes.set(times);
      grownPages.set(pages);
      times = grownTimes;
      pages = grownPages;
    }
    const step = parser.parse(bytes, position, bytes.length, true, times.subarray(count), pages.subarray(count), pages.length - count);
    position = step.next;
    count += step.count;
  }
  parser.finish();
  return { times: times.subarray(0, count), pages: pages.subarray(0, count), timed: parser.timed ?? false };
}

/**
 * Plain-text access traces: one access per line, `page` or `time,page` (comma, tab or
 * spaces between), blank lines and `#` comments skipped, one optional header line of
 * words (e.g. `time,page`). Read in 1 MiB chunks, synchronously, so that replay (whose
 * advance() is synchronous) can stream it: memory does not grow with the file. Lines without
 * a time get the time of their index (one access per time unit).
 */
import { closeSync, openSync, readSync } from 'node:fs';
import { TraceError } from './format.js';

const NEWLINE = 10;

export class TextAccessReader {
  private readonly fd: number;
  private readonly buffer = new Uint8Array(1 << 20);
  private start = 0;
  private end = 0;
  private position = 0;
  private eof = false;
  private lineNumber = 0;
  private index = 0;
  private sawData = false;
  /** Whether lines carry a time column (decided by the first data line). */
  timed: boolean | undefined;
  readonly times: Float64Array;
  readonly pages: Float64Array;
  count = 0;

  constructor(
    readonly path: string,
    readonly batch = 65536,
  ) {
    try {
      this.fd = openSync(path, 'r');
    } catch (error) {
      throw new TraceError(`cannot open trace ${path}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`);
    }
    this.times = new Float64Array(batch);
    this.pages = new Float64Array(batch);
  }

  rewind(): void {
    this.start = 0;
    this.end = 0;
    this.position = 0;
    this.eof = false;
    this.lineNumber = 0;
    this.index = 0;
    this.sawData = false;
    this.timed = undefined;
  }

  /** The next line (without the newline), or undefined at the end of the file. */
  private nextLine(): string | undefined {
    for (;;) {
      const newline = this.buffer.indexOf(NEWLINE, this.start);
      if (newline >= 0 && newline < this.end) {
        const line = Buffer.from(this.buffer.buffer, this.start, newline - this.start).toString('latin1');
        this.start = newline + 1;
        return line;
      }
      if (this.eof) {
        if (this.start < this.end) {
          const line = Buffer.from(this.buffer.buffer, this.start, this.end - this.start).toString('latin1');
          this.start = this.end;
          return line;
        }
        return undefined;
      }
      if (this.start > 0) {
        this.buffer.copyWithin(0, this.start, this.end);
        this.end -= this.start;
        this.start = 0;
      }
      if (this.end === this.buffer.length) throw new TraceError(`${this.path} line ${this.lineNumber + 1}: line longer than ${this.buffer.length} bytes`);
      const got = readSync(this.fd, this.buffer, this.end, this.buffer.length - this.end, this.position);
      this.position += got;
      this.end += got;
      if (got === 0) this.eof = true;
    }
  }

  /** Reads up to `batch` accesses into times/pages; returns the count (0 at the end). */
  readBatch(): number {
    let count = 0;
    while (count < this.batch) {
      const raw = this.nextLine();
      if (raw === undefined) break;
      this.lineNumber++;
      const line = raw.trim();
      if (line.length === 0 || line.startsWith('#')) continue;
      const fields = line.split(/[\s,;]+/);
      if (!this.sawData && !/^[-+0-9.]/.test(fields[0]!)) {
        this.sawData = true; // a header line such as "time,page"
        continue;
      }
      this.sawData = true;
      if (fields.length > 2) throw new TraceError(`${this.path} line ${this.lineNumber}: expected "page" or "time,page", found "${line.slice(0, 60)}"`);
      const timed = fields.length === 2;
      this.timed ??= timed;
      if (timed !== this.timed) {
        throw new TraceError(`${this.path} line ${this.lineNumber}: expected ${this.timed ? '"time,page"' : '"page"'} like the first line, found "${line.slice(0, 60)}"`);
      }
      const page = Number(fields[timed ? 1 : 0]);
      const time = timed ? Number(fields[0]) : this.index;
      if (!Number.isInteger(page) || page < 0 || page > Number.MAX_SAFE_INTEGER) {
        throw new TraceError(`${this.path} line ${this.lineNumber}: expected a page number (integer >= 0), found "${fields[timed ? 1 : 0]}"`);
      }
      if (!Number.isFinite(time)) throw new TraceError(`${this.path} line ${this.lineNumber}: expected a time, found "${fields[0]}"`);
      this.times[count] = time;
      this.pages[count] = page;
      this.index++;
      count++;
    }
    this.count = count;
    return count;
  }

  close(): void {
    closeSync(this.fd);
  }
}

/**
 * Streaming writer of pagedelta traces (docs/trace-format.md). Records are written as they
 * fill (at most 1024 pages per epoch record, 65536 accesses per access record) through a
 * 1 MiB buffer; memory holds one record and the previous version of every page written (to
 * XOR against), never the trace. The file is written under a temporary name in the target's
 * directory and renamed on close(), so nothing half-written ever has the output name.
 */
import { checkOutputFile } from '../../io/output-path.js';
import { cannotWrite, partialPath } from '../../io/write-file.js';
import { closeSync, fsyncSync, ftruncateSync, openSync, renameSync, unlinkSync, writeSync } from 'node:fs';
import { lz4 } from '../../codecs/native.js';
import type { GuestMemory } from '../memory.js';
import { SparseImage } from '../sparse-image.js';
import {
  checksum,
  EPOCH_CONTINUED,
  FLAG_COMPLETE,
  KIND_ACCESS,
  KIND_CONTENT,
  nonZeroBytes,
  PAGE_UNCHANGED,
  PAGE_XOR_LZ4,
  PAGE_XOR_RAW,
  PAGE_ZERO,
  PREAMBLE_BYTES,
  RECORD_ACCESS,
  RECORD_CRC_BYTES,
  RECORD_END,
  RECORD_EPOCH,
  RECORD_HEADER_BYTES,
  RECORD_REGION,
  TIME_UNITS,
  TRACE_MAGIC,
  TRACE_VERSION,
  TraceError,
  type TimeUnit,
  type TraceKind,
  type TraceRegion,
  writeVarint,
  zigzag,
} from './format.js';

export const PAGES_PER_RECORD = 1024;
export const ACCESSES_PER_RECORD = 65536;

export interface TraceWriterOptions {
  kind: TraceKind;
  /** Content traces: bytes per page (default 4096, power of two >= 8). */
  pageSize?: number;
  /** Pages numbered 0..pageCount-1; raised at close to cover every page and region written. */
  pageCount?: number;
  timeUnit?: TimeUnit;
  source?: string;
  recorder?: Record<string, unknown>;
  regions?: TraceRegion[];
  /**
   * Keep pages written with identical content as `unchanged` entries (default true: a
   * synthetic workload's dirty-but-unchanged writes survive replay). The recorder sets false:
   * it records content dirtiness only.
   */
  keepUnchanged?: boolean;
  /** Write each epoch to the file when it ends, so that salvage() can keep it after a write error (the recorder). */
  flushEachEpoch?: boolean;
}

export interface TraceSummary {
  path: string;
  bytes: number;
  epochs: number;
  records: number;
  pageEntries: number;
  accesses: number;
  pageCount: number;
  lastTime: number;
}

/** Epoch ends salvage() may go back through (each epoch is at least a record's framing, so 1024 of them free more than an end record takes). */
const SALVAGE_BOUNDARIES = 1024;

class FileSink {
  private readonly buffer = new Uint8Array(1 << 20);
  private used = 0;
  position = 0;

  constructor(readonly fd: number) {}

  write(bytes: Uint8Array): void {
    if (this.used + bytes.length > this.buffer.length) this.flush();
    if (bytes.length >= this.buffer.length) {
      writeAll(this.fd, bytes, this.position);
    } else {
      this.buffer.set(bytes, this.used);
      this.used += bytes.length;
    }
    this.position += bytes.length;
  }

  /** Forgets buffered bytes and continues at `position` (after a truncation). */
  discard(position: number): void {
    this.used = 0;
    this.position = position;
  }

  flush(): void {
    if (this.used > 0) writeAll(this.fd, this.buffer.subarray(0, this.used), this.position - this.used);
    this.used = 0;
  }
}

function writeAll(fd: number, bytes: Uint8Array, position: number): void {
  let done = 0;
  while (done < bytes.length) done += writeSync(fd, bytes, done, bytes.length - done, position + done);
}

/** A growable record buffer: [type, flags, u32 length] payload [u32 crc]. */
class RecordBuffer {
  bytes = new Uint8Array(1 << 16);
  view = new DataView(this.bytes.buffer);
  length = RECORD_HEADER_BYTES;

  reserve(extra: number): void {
    if (this.length + extra + RECORD_CRC_BYTES <= this.bytes.length) return;
    let size = this.bytes.length * 2;
    while (size < this.length + extra + RECORD_CRC_BYTES) size *= 2;
    const grown = new Uint8Array(size);
    grown.set(this.bytes.subarray(0, this.length));
    this.bytes = grown;
    this.view = new DataView(grown.buffer);
  }

  reset(): void {
    this.length = RECORD_HEADER_BYTES;
  }

  /** Frames the record and returns it (a view, valid until the next reset). */
  finish(type: number, flags: number): Uint8Array {
    this.bytes[0] = type;
    this.bytes[1] = flags;
    this.view.setUint32(2, this.length - RECORD_HEADER_BYTES, true);
    const crc = checksum(this.bytes.subarray(0, this.length));
    this.view.setUint32(this.length, crc, true);
    return this.bytes.subarray(0, this.length + RECORD_CRC_BYTES);
  }
}

export class TraceWriter {
  readonly path: string;
  readonly kind: TraceKind;
  readonly pageSize: number;
  readonly timeUnit: TimeUnit;
  private readonly tempPath: string;
  private readonly sink: FileSink;
  private readonly headerJson: Uint8Array;
  private readonly keepUnchanged: boolean;
  private readonly flushEachEpoch: boolean;
  private readonly shadow: SparseImage;
  private readonly record = new RecordBuffer();
  private readonly xorBytes: Uint8Array;
  private readonly xorWords: Int32Array;
  private readonly compressed: Uint8Array;
  private readonly compressedBuffer: Buffer;
  private sourceBuffer: ArrayBufferLike | undefined;
  private sourceWords: Int32Array | undefined;
  private pageCount: number;
  private closed = false;
  // epoch state
  private inEpoch = false;
  private epochTime = 0;
  private entries = 0;
  private previousPage = 0;
  // access state
  private accessTime = 0;
  private accessPage = 0;
  private lastTime = Number.NEGATIVE_INFINITY;
  // totals
  private epochs = 0;
  /**
   * What a reader needs the page contents for, kept while writing and written to the end
   * record, so that `trace info` can skip decoding into an image: bytes that zero-page
   * entries after the first epoch cleared, and (at close) the pages left non-zero. The writer
   * sees writePage pages whole; writeDelta's caller tells it through the kinds.
   */
  private zeroedBytes = 0;
  /**
   * writeDelta pages: one byte a page (blocks of 2^16 pages), 1 while the page holds a
   * non-zero byte, and how many do (writePage pages are counted from the shadow at close).
   */
  private readonly deltaNonZero: (Uint8Array | undefined)[] = [];
  private deltaNonZeroPages = 0;
  private sawDelta = false;
  private records = 0;
  /**
   * Totals at the ends of the last complete epochs, the latest last (what salvage() keeps): up
   * to SALVAGE_BOUNDARIES of them, so that an end record that does not fit after the last one
   * (a disk full to within its size) can be written after an earlier one.
   */
  private completed: Array<{ position: number; epochs: number; records: number; pageEntries: number; pageCount: number; lastTime: number }> = [];
  private pageEntries = 0;
  private accesses = 0;

  private constructor(path: string, options: TraceWriterOptions) {
    this.path = path;
    this.kind = options.kind;
    this.pageSize = options.pageSize ?? 4096;
    this.timeUnit = options.timeUnit ?? 'ms';
    this.keepUnchanged = options.keepUnchanged ?? true;
    this.flushEachEpoch = options.flushEachEpoch ?? false;
    this.pageCount = options.pageCount ?? 0;
    if (!Number.isInteger(this.pageSize) || this.pageSize < 8 || (this.pageSize & (this.pageSize - 1)) !== 0 || this.pageSize > 1 << 24) {
      throw new TraceError(`trace page size must be a power of two between 8 and 16 MiB, got ${this.pageSize}`);
    }
    if (!(this.timeUnit in TIME_UNITS)) throw new TraceError(`unknown time unit "${this.timeUnit}"; valid: ${Object.keys(TIME_UNITS).join(', ')}`);
    if (!Number.isInteger(this.pageCount) || this.pageCount < 0) throw new TraceError(`trace page count must be a non-negative integer, got ${this.pageCount}`);
    const regions = options.regions ?? [];
    for (const region of regions) this.pageCount = Math.max(this.pageCount, region.firstPage + region.pages);
    this.headerJson = new TextEncoder().encode(
      JSON.stringify({
        timeUnit: this.timeUnit,
        source: options.source ?? '',
        recorder: options.recorder ?? {},
        regions,
        createdAt: new Date().toISOString(),
      }),
    );
    this.shadow = new SparseImage(this.pageSize);
    this.xorBytes = new Uint8Array(this.pageSize);
    this.xorWords = new Int32Array(this.xorBytes.buffer);
    this.compressed = new Uint8Array(lz4.encodeBound(this.pageSize));
    checkOutputFile(path, 'trace output');
    this.compressedBuffer = Buffer.from(this.compressed.buffer, this.compressed.byteOffset, this.compressed.length);
    this.tempPath = partialPath(path);
    const fd = openSync(this.tempPath, 'wx');
    livePartialFiles.add(this.tempPath);
    this.sink = new FileSink(fd);
    this.sink.write(this.preamble(false));
    this.sink.write(this.headerJson);
  }

  /** Opens a writer; the trace appears under `path` only when close() succeeds. */
  static open(path: string, options: TraceWriterOptions): TraceWriter {
    return new TraceWriter(path, options);
  }

  private preamble(complete: boolean): Uint8Array {
    const bytes = new Uint8Array(PREAMBLE_BYTES);
    const view = new DataView(bytes.buffer);
    bytes.set(TRACE_MAGIC, 0);
    view.setUint16(8, TRACE_VERSION, true);
    bytes[10] = this.kind === 'content' ? KIND_CONTENT : KIND_ACCESS;
    bytes[11] = complete ? FLAG_COMPLETE : 0;
    view.setUint32(12, this.pageSize, true);
    view.setBigUint64(16, BigInt(this.pageCount), true);
    view.setBigUint64(24, BigInt(this.kind === 'content' ? this.epochs : this.accesses), true);
    view.setBigUint64(32, BigInt(this.records), true);
    view.setUint32(40, this.headerJson.length, true);
    view.setUint32(44, checksum(this.headerJson, checksum(bytes.subarray(0, 44))), true);
    return bytes;
  }

  private check(kind: TraceKind): void {
    if (this.closed) throw new TraceError(`trace writer for ${this.path} is closed`);
    if (this.kind !== kind) throw new TraceError(`this is ${this.kind === 'content' ? 'a content' : 'an access-only'} trace`);
  }

  private emit(type: number, flags: number): void {
    this.sink.write(this.record.finish(type, flags));
    this.record.reset();
    this.records++;
  }

  /** Declares pages [firstPage, firstPage + pages) (e.g. a mapping that appeared). */
  addRegion(region: TraceRegion): void {
    if (this.closed) throw new TraceError(`trace writer for ${this.path} is closed`);
    // Mid-epoch: end the epoch's current record (continued) so the region precedes its pages.
    if (this.inEpoch && this.entries > 0) {
      this.record.view.setUint32(RECORD_HEADER_BYTES + 8, this.entries, true);
      this.emit(RECORD_EPOCH, EPOCH_CONTINUED);
    }
    this.record.reset();
    const json = new TextEncoder().encode(JSON.stringify(region));
    this.record.reserve(json.length);
    this.record.bytes.set(json, this.record.length);
    this.record.length += json.length;
    this.emit(RECORD_REGION, 0);
    this.pageCount = Math.max(this.pageCount, region.firstPage + region.pages);
    if (this.inEpoch) this.startEpochRecord();
  }

  /** Starts an epoch at `time` (in the trace's time unit; not before the previous one). */
  beginEpoch(time: number): void {
    this.check('content');
    if (this.inEpoch) throw new TraceError('beginEpoch: the previous epoch was not ended');
    if (!Number.isFinite(time) || time < this.lastTime) throw new TraceError(`epoch time ${time} is before the previous epoch (${this.lastTime})`);
    this.lastTime = time;
    this.inEpoch = true;
    this.epochTime = time;
    this.startEpochRecord();
  }

  private startEpochRecord(): void {
    this.record.reset();
    this.record.reserve(12);
    this.record.view.setFloat64(RECORD_HEADER_BYTES, this.epochTime, true);
    this.record.length += 12; // time, then the entry count (filled at flush)
    this.entries = 0;
    this.previousPage = 0;
  }

  private flushEpoch(continued: boolean): void {
    this.record.view.setUint32(RECORD_HEADER_BYTES + 8, this.entries, true);
    this.emit(RECORD_EPOCH, continued ? EPOCH_CONTINUED : 0);
    if (continued) this.startEpochRecord();
  }

  /**
   * Adds the new content of `page` (pageSize bytes of `source` from `sourceOffset`) to the
   * current epoch. Returns whether its bytes changed since the version last written (pages
   * never written were zero). Unchanged pages are kept as `unchanged` entries only when the
   * writer keeps them.
   */
  writePage(page: number, source: Uint8Array, sourceOffset = 0): boolean {
    if (!this.inEpoch) throw new TraceError('writePage outside an epoch (call beginEpoch first)');
    if (!Number.isInteger(page) || page < 0 || page > Number.MAX_SAFE_INTEGER / 2) throw new TraceError(`page number ${page} is not a valid page`);
    const pageWords = this.shadow.pageWords;
    const absolute = source.byteOffset + sourceOffset;
    let words: Int32Array;
    let wordStart: number;
    if ((absolute & 3) === 0) {
      if (this.sourceBuffer !== source.buffer) {
        this.sourceBuffer = source.buffer;
        this.sourceWords = new Int32Array(source.buffer, 0, source.buffer.byteLength >>> 2);
      }
      words = this.sourceWords!;
      wordStart = absolute >>> 2;
    } else {
      // Unaligned source: copy into the XOR scratch first (rare).
      this.xorBytes.set(source.subarray(sourceOffset, sourceOffset + this.pageSize));
      words = new Int32Array(this.xorBytes.slice().buffer);
      wordStart = 0;
    }
    const block = this.shadow.block(page, true)!;
    const base = this.shadow.wordOffset(page);
    // Most pages of a snapshot are unchanged: a native compare (memcmp) settles them first.
    const previous = new Uint8Array(block.buffer, block.byteOffset + base * 4, this.pageSize);
    const current = new Uint8Array(words.buffer, words.byteOffset + wordStart * 4, this.pageSize);
    if (Buffer.compare(current, previous) === 0) {
      if (!this.keepUnchanged) return false;
      this.record.reserve(16);
      let at = writeVarint(this.record.bytes, this.record.length, zigzag(page - this.previousPage));
      this.previousPage = page;
      this.record.bytes[at++] = PAGE_UNCHANGED;
      this.record.length = at;
      this.countEntry(page);
      return false;
    }
    const xor = this.xorWords;
    let difference = 0;
    let content = 0;
    for (let word = 0; word < pageWords; word++) {
      const value = words[wordStart + word]!;
      const delta = value ^ block[base + word]!;
      xor[word] = delta;
      difference |= delta;
      content |= value;
      block[base + word] = value;
    }
    if (difference === 0 && !this.keepUnchanged) return false;
    this.record.reserve(16 + this.pageSize);
    const bytes = this.record.bytes;
    let at = writeVarint(bytes, this.record.length, zigzag(page - this.previousPage));
    this.previousPage = page;
    if (difference === 0) bytes[at++] = PAGE_UNCHANGED;
    else if (content === 0) {
      bytes[at++] = PAGE_ZERO;
      // The XOR of a page that became zeros is its previous content.
      if (this.epochs > 0) for (let word = 0; word < pageWords; word++) if (xor[word] !== 0) this.zeroedBytes += nonZeroBytes(xor[word]!);
    } else {
      const size = lz4.encodeBlock(this.xorBytes, this.compressed);
      if (size > 0 && size < this.pageSize) {
        bytes[at++] = PAGE_XOR_LZ4;
        at = writeVarint(bytes, at, size);
        bytes.set(size === this.compressed.length ? this.compressed : this.compressed.subarray(0, size), at);
        at += size;
      } else {
        bytes[at++] = PAGE_XOR_RAW;
        bytes.set(this.xorBytes, at);
        at += this.pageSize;
      }
    }
    this.record.length = at;
    this.countEntry(page);
    return difference !== 0;
  }

  /**
   * Adds `page` given as its XOR against the previous version (pageSize bytes of `xor` from
   * `offset`), for callers that keep the previous versions themselves (the recorder's shadow):
   * the writer's own shadow is not used, so one writer takes either writePage or writeDelta
   * pages, never both. `kind`: PAGE_XOR_LZ4 (bytes changed and the page holds a non-zero
   * byte; stored as LZ4 or raw, whichever is smaller), PAGE_ZERO (the page is now all zeros:
   * `xor` is then its previous content) or PAGE_UNCHANGED (written with the same bytes).
   * From these the writer keeps the end record's content totals without seeing the pages.
   */
  writeDelta(page: number, kind: number, xor: Buffer, offset: number): void {
    if (!this.inEpoch) throw new TraceError('writeDelta outside an epoch (call beginEpoch first)');
    this.sawDelta = true;
    if (kind !== PAGE_UNCHANGED) this.noteDeltaPage(page, kind, xor, offset);
    this.record.reserve(16 + this.pageSize);
    const bytes = this.record.bytes;
    let at = writeVarint(bytes, this.record.length, zigzag(page - this.previousPage));
    this.previousPage = page;
    if (kind === PAGE_ZERO || kind === PAGE_UNCHANGED) bytes[at++] = kind;
    else {
      xor.copy(this.xorBytes, 0, offset, offset + this.pageSize);
      const size = lz4.encodeBlock(this.xorBytes, this.compressed);
      if (size > 0 && size < this.pageSize) {
        bytes[at++] = PAGE_XOR_LZ4;
        at = writeVarint(bytes, at, size);
        this.compressedBuffer.copy(bytes, at, 0, size);
        at += size;
      } else {
        bytes[at++] = PAGE_XOR_RAW;
        bytes.set(this.xorBytes, at);
        at += this.pageSize;
      }
    }
    this.record.length = at;
    this.countEntry(page);
  }

  /** Keeps the content totals for a writeDelta page (see the fields). */
  private noteDeltaPage(page: number, kind: number, xor: Buffer, offset: number): void {
    const index = Math.floor(page / 65536);
    const states = (this.deltaNonZero[index] ??= new Uint8Array(65536));
    const slot = page % 65536;
    if (kind === PAGE_ZERO) {
      if (states[slot] === 1) {
        states[slot] = 0;
        this.deltaNonZeroPages--;
      }
      if (this.epochs > 0) for (let k = offset; k < offset + this.pageSize; k++) if (xor[k] !== 0) this.zeroedBytes++;
    } else if (states[slot] === 0) {
      states[slot] = 1;
      this.deltaNonZeroPages++;
    }
  }

  private countEntry(page: number): void {
    this.entries++;
    this.pageEntries++;
    if (page >= this.pageCount) this.pageCount = page + 1;
    if (this.entries >= PAGES_PER_RECORD) this.flushEpoch(true);
  }

  /** Ends the current epoch (an epoch with no pages is kept: it marks time). */
  endEpoch(): void {
    if (!this.inEpoch) throw new TraceError('endEpoch without beginEpoch');
    this.flushEpoch(false);
    this.inEpoch = false;
    this.epochs++;
    if (!this.flushEachEpoch) return;
    // Write the epoch out now: salvage() may then cut the file back to here.
    this.sink.flush();
    this.completed.push({ position: this.sink.position, epochs: this.epochs, records: this.records, pageEntries: this.pageEntries, pageCount: this.pageCount, lastTime: this.lastTime });
    if (this.completed.length >= 2 * SALVAGE_BOUNDARIES) this.completed.splice(0, SALVAGE_BOUNDARIES);
  }

  /** One epoch: the listed pages' current content in `memory`. */
  writeEpoch(time: number, memory: GuestMemory, pages: Iterable<number>): void {
    this.beginEpoch(time);
    for (const page of pages) {
      const offset = (page & memory.chunkMask) * memory.pageSize;
      this.writePage(page, memory.chunks[page >>> memory.chunkShift]!, offset);
    }
    this.endEpoch();
  }

  /** Appends one access (time in the trace's unit, rounded to an integer; page >= 0). */
  writeAccess(time: number, page: number): void {
    this.check('access');
    if (!Number.isInteger(page) || page < 0 || page > Number.MAX_SAFE_INTEGER / 2) throw new TraceError(`page number ${page} is not a valid page`);
    const roundedTime = Math.round(time);
    if (!Number.isFinite(roundedTime) || Math.abs(roundedTime) > Number.MAX_SAFE_INTEGER / 4) throw new TraceError(`access time ${time} is out of range`);
    if (this.entries === 0) {
      this.record.reset();
      this.record.reserve(4);
      this.record.length += 4; // count, filled at flush
      this.accessTime = 0;
      this.accessPage = 0;
    }
    this.record.reserve(20);
    let at = writeVarint(this.record.bytes, this.record.length, zigzag(roundedTime - this.accessTime));
    at = writeVarint(this.record.bytes, at, zigzag(page - this.accessPage));
    this.record.length = at;
    this.accessTime = roundedTime;
    this.accessPage = page;
    this.lastTime = Math.max(this.lastTime, roundedTime);
    this.entries++;
    this.accesses++;
    this.pageCount = Math.max(this.pageCount, page + 1);
    if (this.entries >= ACCESSES_PER_RECORD) this.flushAccesses();
  }

  private flushAccesses(): void {
    if (this.entries === 0) return;
    this.record.view.setUint32(RECORD_HEADER_BYTES, this.entries, true);
    this.emit(RECORD_ACCESS, 0);
    this.entries = 0;
  }

  /** Ends any open epoch, writes the end record, completes the preamble and renames. */
  close(extra: Record<string, unknown> = {}): TraceSummary {
    if (this.closed) throw new TraceError(`trace writer for ${this.path} is already closed`);
    try {
      if (this.inEpoch) this.endEpoch();
      if (this.kind === 'access') this.flushAccesses();
      // Content totals a reader can use instead of decoding (not after salvage: the shadow
      // would include the epoch that was cut off).
      const content = this.kind === 'content' ? { nonZeroPages: this.sawDelta ? this.deltaNonZeroPages : this.shadow.nonZeroPages(), zeroedBytes: this.zeroedBytes } : {};
      return this.finish({ ...content, ...extra });
    } catch (error) {
      this.abort();
      throw error;
    }
  }

  /**
   * After a write error (a full disk): keeps the epochs completed so far as a valid trace.
   * Drops everything after the last complete epoch (truncating frees the space it took),
   * writes the end record and renames the file into place. Returns undefined, and leaves
   * nothing, when no epoch was complete or even that fails.
   */
  salvage(extra: Record<string, unknown> = {}): TraceSummary | undefined {
    if (this.closed || this.kind !== 'content') {
      this.abort();
      return undefined;
    }
    // From the last complete epoch back: where the end record does not fit after one (a disk
    // full to within the record's size), it may after an earlier one.
    for (let index = this.completed.length - 1; index >= 0 && !this.closed; index--) {
      const kept = this.completed[index]!;
      try {
        ftruncateSync(this.sink.fd, kept.position);
        this.sink.discard(kept.position);
        this.inEpoch = false;
        this.epochs = kept.epochs;
        this.records = kept.records;
        this.pageEntries = kept.pageEntries;
        this.pageCount = kept.pageCount;
        this.lastTime = kept.lastTime;
        return this.finish(extra);
      } catch {
        // try the epoch before
      }
    }
    this.abort();
    return undefined;
  }

  private finish(extra: Record<string, unknown>): TraceSummary {
    {
      const summary = {
        epochs: this.epochs,
        records: this.records + 1,
        pageEntries: this.pageEntries,
        accesses: this.accesses,
        pageCount: this.pageCount,
        lastTime: Number.isFinite(this.lastTime) ? this.lastTime : 0,
      };
      const json = new TextEncoder().encode(JSON.stringify({ ...summary, ...extra }));
      this.record.reset();
      this.record.reserve(json.length);
      this.record.bytes.set(json, this.record.length);
      this.record.length += json.length;
      this.emit(RECORD_END, 0);
      this.sink.flush();
      writeAll(this.sink.fd, this.preamble(true), 0);
      fsyncSync(this.sink.fd);
      closeSync(this.sink.fd);
      this.closed = true;
      renameSync(this.tempPath, this.path);
      livePartialFiles.delete(this.tempPath);
      return { path: this.path, bytes: this.sink.position, ...summary };
    }
  }

  /** Discards the partial file (nothing is left under the output name). */
  abort(): void {
    if (!this.closed) {
      this.closed = true;
      try {
        closeSync(this.sink.fd);
      } catch {
        // already closed
      }
    }
    removePartial(this.tempPath);
  }

  /** Bytes held for the previous page versions (bounded by the pages, not the trace length). */
  get shadowBytes(): number {
    return this.shadow.allocatedBytes;
  }
}

/** Partial files of writers not yet closed or aborted: removed if the process exits first. */
const livePartialFiles = new Set<string>();
function removePartial(path: string): void {
  livePartialFiles.delete(path);
  try {
    unlinkSync(path);
  } catch {
    // renamed or never created
  }
}
process.on('exit', () => {
  for (const path of livePartialFiles) removePartial(path);
});

/**
 * Writes a trace: opens a writer, lets `produce` fill it, closes it (rename into place). If
 * `produce` throws, the partial file is removed and the error passed on.
 */
export async function writeTrace(path: string, options: TraceWriterOptions, produce: (writer: TraceWriter) => void | Promise<void>): Promise<TraceSummary> {
  const writer = TraceWriter.open(path, options);
  try {
    await produce(writer);
  } catch (error) {
    writer.abort();
    throw isWriteError(error) ? cannotWrite(path, error) : error;
  }
  try {
    return writer.close();
  } catch (error) {
    throw isWriteError(error) ? cannotWrite(path, error) : error;
  }
}

/** A failed system call on the file (ENOSPC, EIO, ...): its message names the temporary file, not `path`. */
function isWriteError(error: unknown): boolean {
  return error instanceof Error && typeof (error as NodeJS.ErrnoException).syscall === 'string';
}

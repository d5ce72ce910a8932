/**
 * One synchronous, streaming view of any trace: binary content, binary access-only, or plain
 * text/CSV access lists. Replay (synchronous advance()) and the async readTrace() both sit
 * on it. Batches are views into reused arrays, valid until the next call.
 */
import { closeSync, readSync } from 'node:fs';
import { openTraceFile, RECORD_ACCESS, RECORD_END, RECORD_EPOCH, RECORD_REGION, TIME_UNITS, TraceError, type TimeUnit, type TraceHeader } from './format.js';
import { hasTraceMagic, type PageTarget, type RawRecord, TraceFileReader } from './reader.js';
import { looksBinary, TextAccessReader } from './text.js';

export interface TraceBatch {
  kind: 'content' | 'access';
  /** File offset of the record (binary) or -1 (text). */
  offset: number;
  /** Content: the epoch's time; access: the first access's time (trace units). */
  time: number;
  /** Content: more records of the same epoch follow. */
  continued: boolean;
  count: number;
  pages: Float64Array;
  /** Content: entry kinds (0 zero, 1 xor-lz4, 2 xor-raw, 3 unchanged). */
  kinds?: Uint8Array;
  /** Content, when asked: bytes that differ from the page's previous version. */
  changedBytes?: Int32Array;
  /** Content: the pages were already counted into the target's pageCounts (CountOnlyTarget). */
  pagesCounted?: boolean;
  /** Access: each access's time (trace units). */
  times?: Float64Array;
}

export interface TraceSourceOptions {
  /** Text traces: the unit of the time column (default us). */
  textTimeUnit?: TimeUnit;
  /** Text traces: the nominal page size reported in the header (default 4096). */
  textPageSize?: number;
  /** Binary content traces: XOR+LZ4 entries through the native addon when it was built (default true; false: TypeScript). */
  native?: boolean;
}

/** Reads the first bytes of a file (to tell a binary trace from text). */
function sniff(path: string): Uint8Array {
  const fd = openTraceFile(path);
  try {
    const bytes = new Uint8Array(4096);
    const got = readSync(fd, bytes, 0, 4096, 0);
    return bytes.subarray(0, got);
  } finally {
    closeSync(fd);
  }
}

export class TraceSource {
  readonly header: TraceHeader;
  private readonly binary: TraceFileReader | undefined;
  private readonly text: TextAccessReader | undefined;
  private pending: RawRecord | null = null;
  /** The pending access record is already decoded (peekTime decodes it). */
  private pendingDecoded = false;
  private initialRegions = 0;
  private readonly batch: TraceBatch;

  constructor(readonly path: string, options: TraceSourceOptions = {}) {
    const head = sniff(path);
    // The same rule as every command that loads a list (looksBinary): the magic or a NUL byte
    // means binary; anything else is a text list, whose parser names the line that breaks it.
    if (hasTraceMagic(head) || looksBinary(head) || head.length === 0) {
      if (head.length === 0) throw new TraceError(`${path}: empty file: expected a pagedelta trace (magic 89 50 44 54 52 0d 0a 1a) or text lines of "page" or "time,page"`, 0);
      this.binary = new TraceFileReader(path, { native: options.native });
      this.header = this.binary.header;
      this.initialRegions = this.header.regions.length;
    } else {
      this.text = new TextAccessReader(path);
      const timeUnit = options.textTimeUnit ?? 'us';
      if (!(timeUnit in TIME_UNITS)) throw new TraceError(`unknown time unit "${timeUnit}"; valid: ${Object.keys(TIME_UNITS).join(', ')}`);
      this.header = {
        format: 'text',
        version: 0,
        kind: 'access',
        pageSize: options.textPageSize ?? 4096,
        pageCount: 0,
        timeUnit,
        source: path,
        recorder: {},
        regions: [],
        complete: true,
        epochCount: 0,
        recordCount: 0,
      };
    }
    this.batch = { kind: this.header.kind, offset: -1, time: 0, continued: false, count: 0, pages: new Float64Array(0) };
  }

  /** Milliseconds per trace time unit. */
  get unitMs(): number {
    return TIME_UNITS[this.header.timeUnit];
  }

  rewind(): void {
    this.pending = null;
    this.pendingDecoded = false;
    if (this.binary) {
      this.binary.rewind();
      // Regions met while reading are appended to the header: start over from the header's own.
      this.header.regions.length = this.initialRegions;
    } else this.text!.rewind();
  }


  /** False for a text trace of pages only (times are then the accesses' positions); known after the first batch. */
  get timed(): boolean {
    return this.text ? this.text.timed !== false : true;
  }

  /**
   * Time of the next batch without consuming it (content: the epoch's time; access: first
   * access), or undefined at the end.
   */
  peekTime(): number | undefined {
    if (this.text) throw new Error('peekTime is for binary traces');
    if (!this.pending) this.pending = this.nextDataRecord();
    if (!this.pending) return undefined;
    return this.pending.type === RECORD_EPOCH ? this.binary!.epochTime(this.pending) : this.peekAccessTime(this.pending);
  }

  private peekAccessTime(record: RawRecord): number {
    this.binary!.decodeAccesses(record);
    this.pendingDecoded = true;
    return this.binary!.times[0] ?? 0;
  }

  private nextDataRecord(): RawRecord | null {
    for (;;) {
      const record = this.binary!.next();
      if (!record || record.type === RECORD_END) return null;
      if (record.type === RECORD_REGION) {
        this.binary!.readRegion(record);
        continue;
      }
      if ((record.type === RECORD_EPOCH) !== (this.header.kind === 'content') || (record.type === RECORD_ACCESS) !== (this.header.kind === 'access')) {
        throw new TraceError(
          `${this.path}: corrupt at offset ${record.offset}: expected ${this.header.kind === 'content' ? 'epoch (E)' : 'access (A)'} records in a ${this.header.kind} trace`,
          record.offset,
        );
      }
      return record;
    }
  }

  /** Consumes the next data record without decoding it (binary traces; region records still apply). */
  skip(): boolean {
    if (this.text) throw new Error('skip is for binary traces');
    const record = this.pending ?? this.nextDataRecord();
    this.pending = null;
    this.pendingDecoded = false;
    return record !== null;
  }

  /**
   * The next batch: a content epoch record decoded into `target` (required for content
   * traces), or up to 65536 accesses. Null at the end.
   */
  next(target?: PageTarget, countChanged = false): TraceBatch | null {
    const batch = this.batch;
    if (this.text) {
      const count = this.text.readBatch();
      if (count === 0) return null;
      batch.offset = -1;
      batch.count = count;
      batch.pages = this.text.pages;
      batch.times = this.text.times;
      batch.time = this.text.times[0]!;
      batch.continued = false;
      return batch;
    }
    const record = this.pending ?? this.nextDataRecord();
    const decoded = this.pending !== null && this.pendingDecoded;
    this.pending = null;
    this.pendingDecoded = false;
    if (!record) return null;
    const reader = this.binary!;
    batch.offset = record.offset;
    if (record.type === RECORD_EPOCH) {
      if (!target) throw new Error('content traces decode into a page target');
      reader.decodeEpoch(record, target, countChanged);
      batch.time = reader.epochTime(record);
      batch.continued = TraceFileReader.continued(record);
      batch.kinds = reader.kinds;
      batch.changedBytes = reader.changedBytes;
      batch.pagesCounted = reader.pagesCounted;
      batch.times = undefined;
    } else {
      if (!decoded) reader.decodeAccesses(record);
      batch.time = reader.times[0] ?? 0;
      batch.continued = false;
      batch.times = reader.times;
      batch.kinds = undefined;
      batch.changedBytes = undefined;
      batch.pagesCounted = false;
    }
    batch.count = reader.count;
    batch.pages = reader.pages;
    return batch;
  }

  /** A closed binary trace's end-record totals, read ahead (TraceFileReader.readEndTotals); null otherwise. */
  endTotals(): Record<string, unknown> | null {
    return this.binary ? this.binary.readEndTotals() : null;
  }

  /** A binary trace's end-record totals once read up to it in order; null before (and for text). */
  get endRecordTotals(): Record<string, unknown> | null {
    return this.binary ? this.binary.endRecordTotals : null;
  }

  /** The bound on a binary trace's page numbers (TraceFileReader.pageLimit); unbounded for text. */
  get pageLimit(): number {
    return this.binary ? this.binary.pageLimit() : Number.MAX_SAFE_INTEGER;
  }

  /** Bytes of read buffer held (bounded by the largest record, not the trace length). */
  get bufferBytes(): number {
    return this.binary ? this.binary.bufferBytes : 1 << 20;
  }

  close(): void {
    if (this.binary) this.binary.close();
    else this.text!.close();
  }
}

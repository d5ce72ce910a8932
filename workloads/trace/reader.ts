/**
 * Synchronous streaming reader of binary pagedelta traces. It holds one record in a buffer
 * (grown to the largest record met, bounded by MAX_RECORD_PAYLOAD) and decodes content
 * epochs into a page image that the caller owns (the guest memory during replay, a sparse
 * image otherwise): memory never grows with the length of the trace. Every framing check
 * names the file offset and what was expected there.
 */
import { closeSync, fstatSync, readSync } from 'node:fs';
import { type DeltaAddon, deltaAddon, lz4 } from '../../codecs/native.js';
import type { GuestMemory } from '../memory.js';
import { SparseImage } from '../sparse-image.js';
import { xorLz4Block } from './xor-lz4-block.js';
import {
  checksum,
  EPOCH_CONTINUED,
  FLAG_COMPLETE,
  hex,
  KIND_ACCESS,
  nonZeroBytes,
  KIND_CONTENT,
  MAX_HEADER_JSON,
  MAX_RECORD_PAYLOAD,
  PAGE_UNCHANGED,
  PAGE_XOR_LZ4,
  PAGE_XOR_RAW,
  openTraceFile,
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
  type TraceHeader,
  type TraceRegion,
  unzigzag,
} from './format.js';

/** Largest page count a content trace may declare: 2^32 pages (16 TiB of 4 KiB pages). */
export const MAX_TRACE_PAGES = 2 ** 32;

/** Header JSON fields and their types; anything else in the header is kept as is. */
const HEADER_FIELD_TYPES: Record<string, string> = { timeUnit: 'string', source: 'string', recorder: 'object', regions: 'object', createdAt: 'string' };

/**
 * Where decoded pages go: a guest memory, a sparse image, or replay's slots. The lookups are
 * pure (decodeEpoch may make them more than once per entry); `entry` is the entry's index in
 * its record, for targets that place pages by entry rather than by page number.
 */
export interface PageTarget {
  /** The word array holding the page. */
  words(page: number, entry: number): Int32Array;
  /** Word index of the page's first word in words(page, entry). */
  wordOffset(page: number, entry: number): number;
  /** A byte view of the same memory as words(page, entry) (byte i of word w at 4w + i). */
  bytes(page: number, entry: number): Uint8Array;
  /**
   * Readies the page for writing (faults it in) before the entry is applied; true when the
   * page is known to hold only zeros, so its XOR delta is its new content.
   */
  touch(page: number, entry: number): boolean;
  /**
   * True when touch() only readies the page (it never answers true): the pages of entries the
   * native kernel applies are then not touched, since the kernel prefetches its own writes.
   */
  readonly touchOnlyReadies?: boolean;
  /**
   * Called with a record's entry count before any of its pages is looked up: from then until
   * the next record, bytes() and words() must keep returning the same arrays for the same
   * pages (the native kernel applies queued pages after the lookups; a target that replaced
   * an array in between would lose them).
   */
  reserve?(entries: number): void;
}

export class MemoryTarget implements PageTarget {
  readonly touchOnlyReadies = true;
  private readonly views: Int32Array[];
  private readonly pageWords: number;

  constructor(readonly memory: GuestMemory) {
    this.views = memory.chunks.map((chunk) => new Int32Array(chunk.buffer, chunk.byteOffset, chunk.byteLength >>> 2));
    this.pageWords = memory.pageSize >>> 2;
  }

  words(page: number): Int32Array {
    return this.views[page >>> this.memory.chunkShift]!;
  }

  wordOffset(page: number): number {
    return (page & this.memory.chunkMask) * this.pageWords;
  }

  bytes(page: number): Uint8Array {
    return this.memory.chunks[page >>> this.memory.chunkShift]!;
  }

  touch(page: number): boolean {
    const words = this.words(page);
    const at = this.wordOffset(page);
    words[at] = words[at]!; // the guest's content is unknown: never reported as zeros
    return false;
  }
}

/** A target whose page p is page p + first of another (a trace replayed into a region of the guest). */
export class OffsetTarget implements PageTarget {
  readonly touchOnlyReadies: boolean;

  constructor(
    readonly inner: PageTarget,
    readonly first: number,
  ) {
    this.touchOnlyReadies = inner.touchOnlyReadies === true;
  }

  words(page: number, entry: number): Int32Array {
    return this.inner.words(page + this.first, entry);
  }

  wordOffset(page: number, entry: number): number {
    return this.inner.wordOffset(page + this.first, entry);
  }

  bytes(page: number, entry: number): Uint8Array {
    return this.inner.bytes(page + this.first, entry);
  }

  touch(page: number, entry: number): boolean {
    return this.inner.touch(page + this.first, entry);
  }

  reserve(entries: number): void {
    this.inner.reserve?.(entries);
  }
}

/**
 * A target that keeps no pages: every entry is decoded only to count its changed bytes (into
 * one page of no meaning, which the native kernel does not even write). For `trace info` on a
 * trace whose end record holds what only page contents would tell (see the writer): zero-page
 * entries then count 0 here, their bytes being in that record.
 */
export class CountOnlyTarget implements PageTarget {
  private readonly page: Int32Array;
  private readonly pageBytes: Uint8Array;
  /**
   * Per-page counters (a slot for every page below the trace's page limit), or null. When set,
   * a record the native addon parses has its entries' pages counted here as it is parsed, and
   * the reader's `pagesCounted` says so (trace info's hot-set counting, without a loop of its
   * own over a record's pages: those random increments were a tenth of a pass on a 1 GiB trace).
   */
  pageCounts: Uint32Array | null = null;

  constructor(pageSize: number) {
    this.page = new Int32Array(pageSize >>> 2);
    this.pageBytes = new Uint8Array(this.page.buffer);
  }

  words(): Int32Array {
    return this.page;
  }

  wordOffset(): number {
    return 0;
  }

  bytes(): Uint8Array {
    return this.pageBytes;
  }

  touch(): boolean {
    return false;
  }
}

export class SparseTarget implements PageTarget {

  constructor(readonly image: SparseImage) {}

  words(page: number): Int32Array {
    return this.image.writableBlock(page);
  }

  wordOffset(page: number): number {
    return this.image.wordOffset(page);
  }

  bytes(page: number): Uint8Array {
    return this.image.blockBytes(page);
  }

  touch(page: number): boolean {
    return this.image.claim(page);
  }
}

export interface RawRecord {
  type: number;
  flags: number;
  /** File offset of the record's first byte. */
  offset: number;
  /** View of the payload, valid until the next call to next(). */
  payload: Uint8Array;
}

const RECORD_NAMES: Record<number, string> = { [RECORD_EPOCH]: 'E', [RECORD_REGION]: 'R', [RECORD_ACCESS]: 'A', [RECORD_END]: 'Z' };

/** True if the first bytes are the trace magic. */
export function hasTraceMagic(bytes: Uint8Array): boolean {
  if (bytes.length < TRACE_MAGIC.length) return false;
  for (let i = 0; i < TRACE_MAGIC.length; i++) if (bytes[i] !== TRACE_MAGIC[i]) return false;
  return true;
}


// The page loops live in small functions of their own: the optimising compiler handles them
// as such, where inside decodeEpoch (large, with its error paths) it ran them many times slower.
/** Largest page the native XOR+LZ4 kernel takes (codecs/addon/xor-lz4-apply.h). */
export const NATIVE_LZ4_MAX_PAGE = 65536;
/** Distinct page arrays one native call takes (the kernel refuses more). */
const NATIVE_MAX_CHUNKS = 4096;
/**
 * Without the addon, XOR+LZ4 blocks of at most pageSize / SMALL_BLOCK_DIVISOR bytes are applied
 * straight from the block, touching only the changed bytes, by xor-lz4-block.ts, which checks
 * the rules the native kernel checks, so that both paths take and refuse the same blocks (a
 * block they refuse goes to the LZ4 library, which decides). Larger blocks hold much content (a
 * text page, a dense rewrite), which the LZ4 library decodes faster than a dirty-word method:
 * a 256 MiB mixed trace replayed at 230-270 MB/s with every block through that method against
 * 530-670 up to 512 bytes. (Without the addon, 128 and 512 bytes measured the same within
 * noise on a Redis recording, 63-79 against 62-68 MB/s.) The kernel uses the same bound to
 * choose between its two methods (NATIVE_BLOCK_DIVISOR).
 */
const SMALL_BLOCK_DIVISOR = 8;
/**
 * With the addon, blocks of up to pageSize / NATIVE_BLOCK_DIVISOR bytes go to its kernel: those
 * above pageSize / SMALL_BLOCK_DIVISOR it decodes whole (no dirty-word marking) and then scans
 * the page's words, and with them in the queue a record's native runs are longer and split
 * better between its two threads. Measured 2026-12-08, alternating, ms a pass, 8 against 2:
 * Redis recording info 79-91 -> 68-76, replay 87-89 -> 75-81; 1 GiB zipf info 96-103 ->
 * 87-97, replay 100-112 -> 90-95; 256 MiB mixed info 318-375 -> 288-335, replay 356-390 ->
 * 323-373. Sending every block measured slower on the mixed trace (its near-incompressible
 * content blocks: info 303-331 -> 445-491 ms), as the LZ4 library decodes those faster.
 */
const NATIVE_BLOCK_DIVISOR = 2;

/** Entries whose pages are touched together before they are applied (decodeEpoch). */
const TOUCH_BATCH = 8;

/**
 * Touches the pages entries [first, last) will write, back to back, noting in `fresh` those
 * known to hold only zeros. In entry order: a page named twice is fresh only the first time.
 * With `nativeSizes`, entries the native kernel will apply (XOR+LZ4 blocks of at most
 * `nativeMaxBlock` bytes) are skipped: the kernel prefetches the words it writes, and a touch
 * here is a load from a cold page the JavaScript waits on (1.2-1.5x faster replays without).
 */
function touchPages(target: PageTarget, pages: Float64Array, kinds: Uint8Array, fresh: Uint8Array, first: number, last: number, nativeSizes: Int32Array | null, nativeMaxBlock: number): void {
  for (let entry = first; entry < last; entry++) {
    const kind = kinds[entry];
    if (nativeSizes !== null && kind === PAGE_XOR_LZ4 && nativeSizes[entry]! <= nativeMaxBlock) fresh[entry] = 0;
    else fresh[entry] = kind !== PAGE_UNCHANGED && target.touch(pages[entry]!, entry) ? 1 : 0;
  }
}

/** Non-zero bytes of `count` words from `base`. */
function countNonZero(words: Int32Array, base: number, count: number): number {
  let changed = 0;
  for (let word = 0; word < count; word++) {
    const value = words[base + word]!;
    if (value !== 0) changed += nonZeroBytes(value);
  }
  return changed;
}

// A page's XOR delta is mostly zero words: only the others are loaded and stored in the page.
function xorInto(words: Int32Array, base: number, xor: Int32Array, count: number): void {
  for (let word = 0; word < count; word++) {
    const delta = xor[word]!;
    if (delta !== 0) words[base + word] ^= delta;
  }
}

/** XORs and returns the number of non-zero bytes of the delta. */
function xorCounting(words: Int32Array, base: number, xor: Int32Array, count: number): number {
  let changed = 0;
  for (let word = 0; word < count; word++) {
    const delta = xor[word]!;
    if (delta !== 0) {
      words[base + word] ^= delta;
      changed += nonZeroBytes(delta);
    }
  }
  return changed;
}

/** An array of `sample`'s kind, empty (see jobChunks). */
function emptiedArray<T>(sample: T): T[] {
  const array = [sample];
  array.length = 0;
  return array;
}

export class TraceFileReader {
  readonly header!: TraceHeader;
  readonly fileBytes!: number;
  private readonly fd: number;
  private buffer = new Uint8Array(1 << 20);
  private view = new DataView(this.buffer.buffer);
  /** File offset of buffer[0]. */
  private bufferOffset = 0;
  private start = 0;
  private end = 0;
  private readonly firstRecord!: number;
  private ended = false;
  // what has been read so far, checked against the end record
  private recordsSeen = 0;
  private epochsSeen = 0;
  private lastEpochTime = Number.NEGATIVE_INFINITY;
  private previousContinued = false;
  // decoded epoch entries (reused; grown as needed)
  pages = new Float64Array(1024);
  kinds = new Uint8Array(1024);
  changedBytes = new Int32Array(1024);
  /** Where each entry's page data starts in the payload, and its length (decodeEpoch's first pass). */
  private dataAt = new Int32Array(1024);
  private dataSize = new Int32Array(1024);
  /** 1 where the entry's page held only zeros before it (decodeEpoch's touch pass). */
  private fresh = new Uint8Array(1024);
  times = new Float64Array(0);
  count = 0;
  /** The last decoded record's pages were counted into its CountOnlyTarget's pageCounts. */
  pagesCounted = false;
  private readonly xorBytes!: Uint8Array;
  /** xorLz4Block's scratch: a page of zeros between calls (xorBytes is not: it holds decoded deltas). */
  private directScratch: Uint8Array = new Uint8Array(0);
  private readonly xorWords!: Int32Array;
  /**
   * The native kernel for XOR+LZ4 entries (null: TypeScript only), and its job list for the
   * record being decoded: 4 int32s a job (block start, block length, chunk, entry), the page's
   * byte offset in its chunk, and the distinct byte arrays (chunks) the pages live in.
   */
  private readonly native: DeltaAddon | null;
  private jobs = new Int32Array(4096);
  private jobOffsets = new Float64Array(1024);
  private jobCount = 0;
  // Made holding an array, then emptied: an array literal that starts empty changes its
  // elements kind at its first push, so V8's code optimized on one reader's arrays was thrown
  // away at the next reader's first record (each trace info pass opens a reader).
  private readonly jobChunks: Uint8Array[] = emptiedArray(new Uint8Array(0));
  /** The record is decoded into a CountOnlyTarget: nothing is applied, only counted. */
  private countOnly = false;
  /** The end record's totals once the records have been read up to it (null before). */
  endRecordTotals: Record<string, unknown> | null = null;

  /** `options.native` (default true): XOR+LZ4 entries through the native addon when it was built. */
  constructor(
    readonly path: string,
    options: { native?: boolean } = {},
  ) {
    this.native = options.native === false ? null : deltaAddon;
    this.fd = openTraceFile(path);
    try {
      this.fileBytes = fstatSync(this.fd).size;
      const have = this.fill(PREAMBLE_BYTES);
      const bytes = this.buffer;
      if (!hasTraceMagic(bytes.subarray(0, have))) {
        throw new TraceError(`${path}: not a pagedelta trace: expected the magic bytes 89 50 44 54 52 0d 0a 1a at offset 0`, 0);
      }
      if (have < 10) this.truncated(have, `the ${PREAMBLE_BYTES}-byte preamble`);
      const version = this.view.getUint16(8, true);
      if (version !== TRACE_VERSION) {
        throw new TraceError(`${path}: trace format version ${version} is not supported (this pagedelta reads version ${TRACE_VERSION})`, 8);
      }
      if (have < PREAMBLE_BYTES) this.truncated(have, `the ${PREAMBLE_BYTES}-byte preamble`);
      const kindCode = bytes[10]!;
      if (kindCode !== KIND_CONTENT && kindCode !== KIND_ACCESS) this.corrupt(10, `trace kind 1 (content) or 2 (access), found ${kindCode}`);
      const pageSize = this.view.getUint32(12, true);
      if ((bytes[11]! & ~FLAG_COMPLETE) !== 0) this.corrupt(11, `flags with only bit 0 (complete) defined, found 0x${bytes[11]!.toString(16).padStart(2, '0')}`);
      const pageCount = Number(this.view.getBigUint64(16, true));
      // Content traces hold page images: at most 2^32 pages. Access-only traces hold keys (hashed
      // block addresses may be large), which must only stay exact as numbers.
      if (kindCode === KIND_CONTENT ? pageCount > MAX_TRACE_PAGES : !Number.isSafeInteger(pageCount)) {
        this.corrupt(16, `a page count up to ${kindCode === KIND_CONTENT ? '2^32 (content trace)' : '2^53'}, found ${this.view.getBigUint64(16, true)}`);
      }
      const epochCount = Number(this.view.getBigUint64(24, true));
      const recordCount = Number(this.view.getBigUint64(32, true));
      if (!Number.isSafeInteger(epochCount)) this.corrupt(24, `an epoch/access count below 2^53, found ${this.view.getBigUint64(24, true)}`);
      if (!Number.isSafeInteger(recordCount)) this.corrupt(32, `a record count below 2^53, found ${this.view.getBigUint64(32, true)}`);
      const jsonLength = this.view.getUint32(40, true);
      const storedCrc = this.view.getUint32(44, true);
      if (jsonLength > MAX_HEADER_JSON) this.corrupt(40, `a header length below ${MAX_HEADER_JSON}, found ${jsonLength}`);
      const haveJson = this.fill(PREAMBLE_BYTES + jsonLength);
      if (haveJson < PREAMBLE_BYTES + jsonLength) this.truncated(haveJson, `${jsonLength} bytes of header JSON from offset ${PREAMBLE_BYTES}`);
      const computed = checksum(bytes.subarray(PREAMBLE_BYTES, PREAMBLE_BYTES + jsonLength), checksum(bytes.subarray(0, 44)));
      if (computed !== storedCrc) this.corrupt(44, `header checksum ${hex(storedCrc)}, computed ${hex(computed)}`);
      if (pageSize < 8 || (pageSize & (pageSize - 1)) !== 0 || pageSize > 1 << 24) this.corrupt(12, `a page size that is a power of two, found ${pageSize}`);
      let json: { timeUnit?: TimeUnit; source?: string; recorder?: Record<string, unknown>; regions?: TraceRegion[]; createdAt?: string };
      try {
        json = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes.subarray(PREAMBLE_BYTES, PREAMBLE_BYTES + jsonLength)));
      } catch {
        return this.corrupt(PREAMBLE_BYTES, 'a JSON header');
      }
      if (json === null || typeof json !== 'object' || Array.isArray(json)) this.corrupt(PREAMBLE_BYTES, `a JSON object as the header, found ${json === null ? 'null' : Array.isArray(json) ? 'an array' : typeof json}`);
      for (const [field, type] of Object.entries(HEADER_FIELD_TYPES)) {
        const value = (json as Record<string, unknown>)[field];
        if (value !== undefined && (typeof value !== type || value === null)) this.corrupt(PREAMBLE_BYTES, `header field "${field}" to be ${type === 'object' ? 'an object' : `a ${type}`}, found ${value === null ? 'null' : typeof value}`);
      }
      if (json.regions !== undefined && !Array.isArray(json.regions)) this.corrupt(PREAMBLE_BYTES, 'header field "regions" to be an array');
      if (json.recorder !== undefined && Array.isArray(json.recorder)) this.corrupt(PREAMBLE_BYTES, 'header field "recorder" to be an object, found an array');
      for (const region of json.regions ?? []) checkRegion(region, pageCount, (expected) => this.corrupt(PREAMBLE_BYTES, expected));
      const timeUnit = json.timeUnit ?? 'ms';
      if (!(timeUnit in TIME_UNITS)) this.corrupt(PREAMBLE_BYTES, `a time unit (${Object.keys(TIME_UNITS).join(', ')}), found "${timeUnit}"`);
      this.header = {
        format: 'binary',
        version,
        kind: kindCode === KIND_CONTENT ? 'content' : 'access',
        pageSize,
        pageCount,
        timeUnit,
        source: json.source ?? '',
        recorder: json.recorder ?? {},
        regions: json.regions ?? [],
        ...(json.createdAt ? { createdAt: json.createdAt } : {}),
        complete: (bytes[11]! & FLAG_COMPLETE) !== 0,
        epochCount,
        recordCount,
      };
      this.firstRecord = PREAMBLE_BYTES + jsonLength;
      this.start = this.firstRecord;
      this.xorBytes = new Uint8Array(pageSize);
      this.xorWords = new Int32Array(this.xorBytes.buffer);
    } catch (error) {
      closeSync(this.fd);
      throw error;
    }
  }

  private corrupt(offset: number, expected: string): never {
    throw new TraceError(`${this.path}: corrupt at offset ${offset}: expected ${expected}`, offset);
  }

  private truncated(fileEnd: number, expected: string): never {
    throw new TraceError(`${this.path}: truncated at offset ${fileEnd}: expected ${expected}, the file ends there`, fileEnd);
  }

  /** Makes `needed` bytes from `start` available if the file has them; returns how many are. */
  private fill(needed: number): number {
    if (this.end - this.start >= needed) return needed;
    if (this.start > 0) {
      this.buffer.copyWithin(0, this.start, this.end);
      this.bufferOffset += this.start;
      this.end -= this.start;
      this.start = 0;
    }
    if (needed > this.buffer.length) {
      const grown = new Uint8Array(Math.max(needed, this.buffer.length * 2));
      grown.set(this.buffer.subarray(0, this.end));
      this.buffer = grown;
      this.view = new DataView(grown.buffer);
    }
    while (this.end < needed) {
      const got = readSync(this.fd, this.buffer, this.end, this.buffer.length - this.end, this.bufferOffset + this.end);
      if (got === 0) break;
      this.end += got;
    }
    return Math.min(needed, this.end - this.start);
  }

  /** Bytes of read buffer held (bounded by the largest record). */
  get bufferBytes(): number {
    return this.buffer.length;
  }

  /** Where the next record starts (for a look-ahead that comes back: restorePosition). */
  savePosition(): { offset: number; ended: boolean; regions: number } {
    return { offset: this.bufferOffset + this.start, ended: this.ended, regions: this.header.regions.length };
  }

  restorePosition(saved: { offset: number; ended: boolean; regions: number }): void {
    if (saved.offset >= this.bufferOffset && saved.offset <= this.bufferOffset + this.end) {
      this.start = saved.offset - this.bufferOffset;
    } else {
      this.bufferOffset = saved.offset;
      this.start = 0;
      this.end = 0;
    }
    this.ended = saved.ended;
    this.header.regions.length = saved.regions;
  }

  /** Back to the first record. */
  rewind(): void {
    this.bufferOffset = 0;
    this.start = 0;
    this.end = 0;
    this.fill(this.firstRecord);
    this.start = this.firstRecord;
    this.ended = false;
    this.recordsSeen = 0;
    this.epochsSeen = 0;
    this.lastEpochTime = Number.NEGATIVE_INFINITY;
    this.previousContinued = false;
  }

  /** The next record (checksum verified), or null after the end record. */
  next(): RawRecord | null {
    if (this.ended) return null;
    const offset = this.bufferOffset + this.start;
    const have = this.fill(RECORD_HEADER_BYTES);
    if (have === 0) {
      throw new TraceError(
        `${this.path}: truncated at offset ${offset}: expected a record or the end record, the file ends there (${this.header.complete ? 'file cut short' : 'the writer never closed it'})`,
        offset,
      );
    }
    if (have < RECORD_HEADER_BYTES) this.truncated(offset + have, `a ${RECORD_HEADER_BYTES}-byte record header at offset ${offset}`);
    const type = this.buffer[this.start]!;
    const flags = this.buffer[this.start + 1]!;
    if (!(type in RECORD_NAMES)) this.corrupt(offset, `a record type (E, R, A or Z), found 0x${type.toString(16).padStart(2, '0')}`);
    const payloadLength = this.view.getUint32(this.start + 2, true);
    if (payloadLength > MAX_RECORD_PAYLOAD) this.corrupt(offset + 2, `a record length up to ${MAX_RECORD_PAYLOAD}, found ${payloadLength}`);
    const total = RECORD_HEADER_BYTES + payloadLength + RECORD_CRC_BYTES;
    const available = this.fill(total);
    if (available < total) {
      this.truncated(offset + available, `${total} bytes for the ${RECORD_NAMES[type]} record at offset ${offset} (${payloadLength}-byte payload and checksum)`);
    }
    const stored = this.view.getUint32(this.start + total - RECORD_CRC_BYTES, true);
    const computed = checksum(this.buffer.subarray(this.start, this.start + total - RECORD_CRC_BYTES));
    if (stored !== computed) {
      throw new TraceError(
        `${this.path}: corrupt at offset ${offset}: ${RECORD_NAMES[type]} record checksum mismatch (expected ${hex(stored)} as stored, computed ${hex(computed)})`,
        offset,
      );
    }
    const payload = this.buffer.subarray(this.start + RECORD_HEADER_BYTES, this.start + RECORD_HEADER_BYTES + payloadLength);
    if ((flags & ~(type === RECORD_EPOCH ? EPOCH_CONTINUED : 0)) !== 0) this.corrupt(offset + 1, `${type === RECORD_EPOCH ? 'only bit 0 (continued)' : 'no'} flag bits on a ${RECORD_NAMES[type]} record, found 0x${flags.toString(16).padStart(2, '0')}`);
    this.start += total;
    this.recordsSeen++;
    const record = { type, flags, offset, payload };
    if (type === RECORD_EPOCH) {
      const time = this.epochTime(record);
      if (!Number.isFinite(time)) this.corrupt(offset + RECORD_HEADER_BYTES, `a finite epoch time, found ${time}`);
      if (time < this.lastEpochTime) this.corrupt(offset + RECORD_HEADER_BYTES, `epoch times that do not decrease, found ${time} after ${this.lastEpochTime}`);
      if (!this.previousContinued) this.epochsSeen++;
      this.lastEpochTime = time;
      this.previousContinued = (flags & EPOCH_CONTINUED) !== 0;
    }
    if (type === RECORD_END) {
      this.ended = true;
      const after = this.bufferOffset + this.start;
      if (this.fill(1) > 0) this.corrupt(after, 'the end of the file after the end record, found more bytes');
      this.checkTotals(record);
    }
    return record;
  }

  /**
   * The end record's totals, read from the end of a closed file before the records are
   * (a reader that can use them decides how to read first), or null when the file is not
   * closed or its last bytes are not an end record with a valid checksum. The records are
   * still read and checked in full, up to the end record (endRecordTotals), which a caller
   * that used these must find the same.
   */
  readEndTotals(): Record<string, unknown> | null {
    if (!this.header.complete) return null;
    const tailBytes = Math.min(this.fileBytes, 1 << 16);
    const tail = new Uint8Array(tailBytes);
    if (readSync(this.fd, tail, 0, tailBytes, this.fileBytes - tailBytes) !== tailBytes) return null;
    const view = new DataView(tail.buffer);
    // The end record is [Z, flags, length u32, JSON, crc u32] and ends the file: try each
    // position whose length field reaches exactly the end.
    for (let at = tailBytes - RECORD_HEADER_BYTES - RECORD_CRC_BYTES; at >= 0; at--) {
      if (tail[at] !== RECORD_END || tail[at + 1] !== 0) continue;
      const length = view.getUint32(at + 2, true);
      if (at + RECORD_HEADER_BYTES + length + RECORD_CRC_BYTES !== tailBytes) continue;
      const end = at + RECORD_HEADER_BYTES + length;
      if (checksum(tail.subarray(at, end)) !== view.getUint32(end, true)) continue;
      return parseTotals(tail.subarray(at + RECORD_HEADER_BYTES, end)) ?? null;
    }
    return null;
  }

  /** The end record's totals must agree with the records read and with the preamble. */
  private checkTotals(record: RawRecord): void {
    const at = record.offset + RECORD_HEADER_BYTES;
    const totals = parseTotals(record.payload);
    if (totals === undefined) this.corrupt(at, 'JSON totals in the end record');
    if (totals === null) this.corrupt(at, 'a JSON object of totals in the end record');
    this.endRecordTotals = totals;
    const { records, epochs, accesses, pageCount, nonZeroPages, zeroedBytes } = totals;
    // Content totals (docs/trace-format.md), when there: whole counts, the pages within the trace's.
    const pageLimit = this.header.pageCount > 0 ? this.header.pageCount : Number.MAX_SAFE_INTEGER;
    if (nonZeroPages !== undefined && !(Number.isSafeInteger(nonZeroPages) && (nonZeroPages as number) >= 0 && (nonZeroPages as number) <= pageLimit)) {
      this.corrupt(at, `the end record's nonZeroPages to be a whole number of pages in 0..${pageLimit}, found ${JSON.stringify(nonZeroPages)}`);
    }
    if (zeroedBytes !== undefined && !(Number.isSafeInteger(zeroedBytes) && (zeroedBytes as number) >= 0)) this.corrupt(at, `the end record's zeroedBytes to be a whole number >= 0, found ${JSON.stringify(zeroedBytes)}`);
    if (records !== undefined && records !== this.recordsSeen) this.corrupt(at, `the end record's count of ${records} records to match the ${this.recordsSeen} in the file`);
    if (this.header.kind === 'content' && epochs !== undefined && epochs !== this.epochsSeen) this.corrupt(at, `the end record's count of ${epochs} epochs to match the ${this.epochsSeen} in the file`);
    if (this.header.complete) {
      const declared = this.header.kind === 'content' ? epochs : accesses;
      if (declared !== undefined && declared !== this.header.epochCount) this.corrupt(24, `the preamble's count of ${this.header.epochCount} ${this.header.kind === 'content' ? 'epochs' : 'accesses'} to match the end record's ${declared}`);
      if (records !== undefined && records !== this.header.recordCount) this.corrupt(32, `the preamble's count of ${this.header.recordCount} records to match the end record's ${records}`);
      if (this.header.kind === 'content' && pageCount !== undefined && pageCount !== this.header.pageCount) this.corrupt(16, `the preamble's page count of ${this.header.pageCount} to match the end record's ${JSON.stringify(pageCount)}`);
    }
  }

  /** Parses a region record and appends it to the header's region list. */
  readRegion(record: RawRecord): TraceRegion {
    let region: TraceRegion;
    try {
      region = JSON.parse(new TextDecoder().decode(record.payload)) as TraceRegion;
    } catch {
      return this.corrupt(record.offset + RECORD_HEADER_BYTES, 'a JSON region description');
    }
    checkRegion(region, this.header.pageCount, (expected) => this.corrupt(record.offset + RECORD_HEADER_BYTES, expected));
    this.header.regions.push(region);
    return region;
  }

  /** The timestamp of an epoch record (trace units). */
  epochTime(record: RawRecord): number {
    if (record.payload.length < 12) this.corrupt(record.offset + RECORD_HEADER_BYTES, 'an epoch payload of at least 12 bytes');
    return new DataView(record.payload.buffer, record.payload.byteOffset, 12).getFloat64(0, true);
  }

  private ensureEntries(count: number): void {
    if (count <= this.pages.length) return;
    const size = Math.max(count, this.pages.length * 2);
    this.pages = new Float64Array(size);
    this.kinds = new Uint8Array(size);
    this.changedBytes = new Int32Array(size);
    this.dataAt = new Int32Array(size);
    this.dataSize = new Int32Array(size);
    this.fresh = new Uint8Array(size);
  }

  /**
   * Decodes an epoch record into `target` (each page's new content), filling `pages`,
   * `kinds` and (when `countChanged`) `changedBytes` for entries 0..count-1.
   *
   * Two passes: the entries' framing first (page numbers, kinds, where each page's data lies),
   * so a record with bad framing changes no page; then the pages, TOUCH_BATCH at a time, each
   * batch's pages touched back to back before any is applied: entries land on random pages of
   * a large image, and touched together their cache and TLB misses overlap instead of queueing
   * (measured: 10% less time on a 1 GiB sparse trace).
   */
  decodeEpoch(record: RawRecord, target: PageTarget, countChanged = false): void {
    const payload = record.payload;
    const base = record.offset + RECORD_HEADER_BYTES;
    if (payload.length < 12) this.corrupt(base, 'an epoch payload of at least 12 bytes');
    const view = new DataView(payload.buffer, payload.byteOffset, payload.length);
    const entries = view.getUint32(8, true);
    if (entries > payload.length) this.corrupt(base + 8, `an entry count that fits the ${payload.length}-byte payload, found ${entries}`);
    this.ensureEntries(entries);
    this.jobCount = 0; // a record that failed part way leaves no jobs behind
    this.jobChunks.length = 0;
    this.countOnly = target instanceof CountOnlyTarget;
    const native = this.native !== null && this.header.pageSize <= NATIVE_LZ4_MAX_PAGE;
    const nativeMaxBlock = this.header.pageSize / NATIVE_BLOCK_DIVISOR;
    // A guest memory (whole, or a region of it) or a count: the addon parses the record and
    // queues its small blocks itself, and a record of nothing else is applied without a step
    // of JavaScript an entry.
    const inner = target instanceof OffsetTarget ? target.inner : target;
    const memory = inner instanceof MemoryTarget ? inner.memory : null;
    const pageBase = target instanceof OffsetTarget ? target.first : 0;
    const recordTarget = memory !== null ? memory.pageSize === this.header.pageSize && memory.chunks.length <= NATIVE_MAX_CHUNKS : this.countOnly;
    let queued = -1;
    this.pagesCounted = false;
    if (native && recordTarget) {
      this.ensureJobs(entries);
      const counts = target instanceof CountOnlyTarget ? target.pageCounts : null;
      queued = this.native!.xorLz4Record(payload, entries, this.pageLimit(), this.header.pageSize, nativeMaxBlock, this.pages, this.kinds, this.dataAt, this.dataSize, this.jobs, this.jobOffsets, memory === null ? -1 : memory.chunkShift, pageBase, counts);
      if (queued === -2) throw new Error('internal error: the native record parser refused its arguments');
      this.pagesCounted = queued >= 0 && counts !== null;
    }
    // Not parsed there (a rule it leaves to this parser, or a fault this parser names).
    if (queued < 0) this.parseEntries(payload, base, entries);
    target.reserve?.(entries);
    if (queued >= 0) {
      const chunks = this.jobChunks;
      if (memory === null) chunks.push(target.bytes(0, 0));
      else for (const chunk of memory.chunks) chunks.push(chunk);
      if (!countChanged) this.changedBytes.fill(0, 0, entries);
      // Neither target knows a page to be zeros (an invalid block goes to applyEntry, which asks).
      this.fresh.fill(0, 0, entries);
      this.jobCount = queued;
      if (queued === entries) this.runJobs(payload, base, target, countChanged);
      else this.applyAroundJobs(payload, base, target, countChanged, entries);
      this.count = entries;
      return;
    }
    const pages = this.pages;
    const kinds = this.kinds;
    const skipNativeTouches = native && target.touchOnlyReadies === true;
    for (let first = 0; first < entries; first += TOUCH_BATCH) {
      const last = first + TOUCH_BATCH < entries ? first + TOUCH_BATCH : entries;
      touchPages(target, pages, kinds, this.fresh, first, last, skipNativeTouches ? this.dataSize : null, nativeMaxBlock);
      for (let entry = first; entry < last; entry++) {
        if (native && kinds[entry] === PAGE_XOR_LZ4 && this.dataSize[entry]! <= nativeMaxBlock) {
          if (this.jobChunks.length === NATIVE_MAX_CHUNKS) this.runJobs(payload, base, target, countChanged);
          this.queueJob(entry, target, countChanged);
          continue;
        }
        // Entries apply in order: a page may be named again later in the record.
        if (this.jobCount > 0) this.runJobs(payload, base, target, countChanged);
        this.applyEntry(payload, base, entry, target, countChanged);
      }
    }
    if (this.jobCount > 0) this.runJobs(payload, base, target, countChanged);
    this.count = entries;
  }

  /**
   * A record the addon parsed whose queue (its small blocks, in entry order) leaves out some
   * entries (larger blocks, raw or zero pages): those are applied one by one between runs of
   * the queue, so every entry still applies in order, without a step of JavaScript for each
   * queued one. (A zipf trace of random pages had a block over half a page in two records of
   * three, which sent 90% of its entries through the loop below.)
   */
  private applyAroundJobs(payload: Uint8Array, base: number, target: PageTarget, countChanged: boolean, entries: number): void {
    const jobs = this.jobs;
    const queued = this.jobCount;
    let runFrom = 0;
    let nextEntry = 0;
    try {
      for (let job = 0; job < queued; job++) {
        const entry = jobs[4 * job + 3]!;
        if (entry !== nextEntry) {
          this.runJobRange(payload, base, target, countChanged, runFrom, job);
          runFrom = job;
          for (let other = nextEntry; other < entry; other++) this.applyEntry(payload, base, other, target, countChanged);
        }
        nextEntry = entry + 1;
      }
      this.runJobRange(payload, base, target, countChanged, runFrom, queued);
      for (let other = nextEntry; other < entries; other++) this.applyEntry(payload, base, other, target, countChanged);
    } finally {
      this.jobCount = 0;
      this.jobChunks.length = 0;
    }
  }

  /** Notes an XOR+LZ4 entry for the native kernel (runJobs applies the queue in order). */
  private queueJob(entry: number, target: PageTarget, countChanged: boolean): void {
    const page = this.pages[entry]!;
    const bytes = target.bytes(page, entry);
    const chunks = this.jobChunks;
    let chunk = chunks.length - 1;
    if (chunk < 0 || chunks[chunk] !== bytes) {
      chunk = chunks.indexOf(bytes);
      if (chunk < 0) {
        chunk = chunks.length;
        chunks.push(bytes);
      }
    }
    const job = this.jobCount++;
    if (job === this.jobOffsets.length) this.ensureJobs(job + 1);
    const at = 4 * job;
    this.jobs[at] = this.dataAt[entry]!;
    this.jobs[at + 1] = this.dataSize[entry]!;
    this.jobs[at + 2] = chunk;
    this.jobs[at + 3] = entry;
    this.jobOffsets[job] = target.wordOffset(page, entry) * 4;
    if (!countChanged) this.changedBytes[entry] = 0;
  }

  /**
   * Applies the queued XOR+LZ4 entries natively, in order. A block the kernel finds invalid
   * goes through applyEntry, whose decoder says what is wrong with it (or, where the LZ4
   * library accepts what the kernel's stricter check does not, applies it); the rest follow.
   */
  private runJobs(payload: Uint8Array, base: number, target: PageTarget, countChanged: boolean): void {
    try {
      this.runJobRange(payload, base, target, countChanged, 0, this.jobCount);
    } finally {
      this.jobCount = 0;
      this.jobChunks.length = 0;
    }
  }

  /** Applies queued jobs [from, to) natively, in order (the queue is kept). */
  private runJobRange(payload: Uint8Array, base: number, target: PageTarget, countChanged: boolean, from: number, to: number): void {
    const changed = countChanged ? this.changedBytes : null;
    while (from < to) {
      const jobs = from === 0 ? this.jobs : this.jobs.subarray(4 * from);
      const offsets = from === 0 ? this.jobOffsets : this.jobOffsets.subarray(from);
      const result = this.native!.xorLz4Epoch(payload, jobs, offsets, to - from, this.jobChunks, this.header.pageSize, changed, !this.countOnly);
      if (result === -1) break;
      if (result < 0) throw new Error(`internal error: the native XOR+LZ4 kernel refused its arguments (${result})`);
      const bad = from + result;
      this.applyEntry(payload, base, this.jobs[4 * bad + 3]!, target, countChanged);
      from = bad + 1;
    }
  }

  /** Room for `count` queued jobs (their contents kept). */
  private ensureJobs(count: number): void {
    if (count <= this.jobOffsets.length) return;
    const size = Math.max(count, this.jobOffsets.length * 2);
    const jobs = new Int32Array(4 * size);
    jobs.set(this.jobs);
    this.jobs = jobs;
    const offsets = new Float64Array(size);
    offsets.set(this.jobOffsets);
    this.jobOffsets = offsets;
  }

  /**
   * The bound on an entry's page number. A closed file's preamble holds the final page count
   * (the writer raises it to cover every page written), so it bounds every entry, 0 included;
   * only an unclosed one may undercount.
   */
  pageLimit(): number {
    return this.header.pageCount > 0 || this.header.complete ? this.header.pageCount : Number.MAX_SAFE_INTEGER;
  }

  /** Pass 1 of decodeEpoch: every entry's page, kind and data range, checked against the record. */
  private parseEntries(payload: Uint8Array, base: number, entries: number): void {
    const pageSize = this.header.pageSize;
    const pageLimit = this.pageLimit();
    let at = 12;
    let page = 0;
    for (let entry = 0; entry < entries; entry++) {
      const entryOffset = base + at;
      // page delta (zigzag varint)
      let value = 0;
      let scale = 1;
      for (;;) {
        if (at >= payload.length) this.corrupt(base + at, `entry ${entry} of ${entries}: a page number varint inside the record`);
        const byte = payload[at++]!;
        value += (byte & 0x7f) * scale;
        if (byte < 0x80) break;
        scale *= 128;
        if (scale > 2 ** 56) this.corrupt(base + at, `entry ${entry}: a varint of at most 8 bytes`);
      }
      page += unzigzag(value);
      if (!Number.isInteger(page) || page < 0 || page >= pageLimit) this.corrupt(entryOffset, `entry ${entry}: a page number below the preamble's page count of ${pageLimit}, found ${page}`);
      if (at >= payload.length) this.corrupt(base + at, `entry ${entry}: a page kind byte`);
      const kind = payload[at++]!;
      let size = 0;
      if (kind === PAGE_XOR_LZ4) {
        scale = 1;
        for (;;) {
          if (at >= payload.length) this.corrupt(base + at, `entry ${entry}: a block length varint`);
          const byte = payload[at++]!;
          size += (byte & 0x7f) * scale;
          if (byte < 0x80) break;
          scale *= 128;
          if (scale > 2 ** 28) this.corrupt(base + at, `entry ${entry}: a block length varint of at most 4 bytes`);
        }
      } else if (kind === PAGE_XOR_RAW) {
        size = pageSize;
      } else if (kind !== PAGE_ZERO && kind !== PAGE_UNCHANGED) {
        this.corrupt(entryOffset, `entry ${entry} (page ${page}): a page kind 0-3, found ${kind}`);
      }
      if (at + size > payload.length) this.corrupt(base + at, `entry ${entry} (page ${page}): ${size} bytes of page data inside the record, only ${payload.length - at} remain`);
      this.pages[entry] = page;
      this.kinds[entry] = kind;
      this.dataAt[entry] = at;
      this.dataSize[entry] = size;
      at += size;
    }
    if (at !== payload.length) this.corrupt(base + at, `the end of the epoch record after ${entries} entries, ${payload.length - at} bytes remain`);
  }

  /** Pass 2 of decodeEpoch for one parsed entry: its page's new content into `target`. */
  private applyEntry(payload: Uint8Array, base: number, entry: number, target: PageTarget, countChanged: boolean): void {
    const kind = this.kinds[entry]!;
    let changed = 0;
    if (kind === PAGE_UNCHANGED) {
      this.changedBytes[entry] = 0;
      return;
    }
    const page = this.pages[entry]!;
    const pageSize = this.header.pageSize;
    const pageWords = pageSize >>> 2;
    const words = target.words(page, entry);
    const wordBase = target.wordOffset(page, entry);
    if (kind === PAGE_ZERO) {
      if (countChanged && !this.countOnly) changed = countNonZero(words, wordBase, pageWords);
      words.fill(0, wordBase, wordBase + pageWords);
      this.changedBytes[entry] = changed;
      return;
    }
    const at = this.dataAt[entry]!;
    const size = this.dataSize[entry]!;
    if (kind === PAGE_XOR_LZ4 && size <= pageSize / SMALL_BLOCK_DIVISOR) {
      // A small block is a sparse delta: applied without decoding its zero runs.
      if (this.directScratch.length !== pageSize) this.directScratch = new Uint8Array(pageSize);
      changed = xorLz4Block(payload, at, at + size, target.bytes(page, entry), wordBase * 4, pageSize, this.directScratch);
      if (changed >= 0) {
        this.changedBytes[entry] = countChanged ? changed : 0;
        return;
      }
      // not valid LZ4 of one page: the decoder below says why
    }
    if (this.fresh[entry] === 1) {
      // The page held only zeros: its delta is its content, decoded or copied straight into it.
      const pageBytes = target.bytes(page, entry);
      const byteBase = wordBase * 4;
      if (kind === PAGE_XOR_LZ4) this.decodeLz4(payload, base, entry, page, pageBytes.subarray(byteBase, byteBase + pageSize));
      else pageBytes.set(payload.subarray(at, at + size), byteBase);
      this.changedBytes[entry] = countChanged ? countNonZero(words, wordBase, pageWords) : 0;
      return;
    }
    if (kind === PAGE_XOR_LZ4) this.decodeLz4(payload, base, entry, page, this.xorBytes);
    else this.xorBytes.set(payload.subarray(at, at + size));
    if (countChanged) changed = xorCounting(words, wordBase, this.xorWords, pageWords);
    else xorInto(words, wordBase, this.xorWords, pageWords);
    this.changedBytes[entry] = changed;
  }

  /** Decodes entry `entry`'s LZ4 block into `into` (one page), or fails naming the entry. */
  private decodeLz4(payload: Uint8Array, base: number, entry: number, page: number, into: Uint8Array): void {
    const at = this.dataAt[entry]!;
    const decoded = lz4.decodeBlock(payload.subarray(at, at + this.dataSize[entry]!), into);
    if (decoded !== into.length) this.corrupt(base + at, `entry ${entry} (page ${page}): an LZ4 block that decodes to ${into.length} bytes, it ${decoded < 0 ? 'is corrupt' : `decodes to ${decoded}`}`);
  }

  /** True if the epoch continues in the next record. */
  static continued(record: RawRecord): boolean {
    return (record.flags & EPOCH_CONTINUED) !== 0;
  }

  /** Decodes an access record into `times` (trace units) and `pages`. */
  decodeAccesses(record: RawRecord): void {
    const payload = record.payload;
    const base = record.offset + RECORD_HEADER_BYTES;
    if (payload.length < 4) this.corrupt(base, 'an access payload of at least 4 bytes');
    const entries = new DataView(payload.buffer, payload.byteOffset, 4).getUint32(0, true);
    if (entries * 2 > payload.length) this.corrupt(base, `an access count that fits the ${payload.length}-byte payload, found ${entries}`);
    this.ensureEntries(entries);
    if (this.times.length < this.pages.length) this.times = new Float64Array(this.pages.length);
    let at = 4;
    let time = 0;
    let page = 0;
    for (let entry = 0; entry < entries; entry++) {
      for (let field = 0; field < 2; field++) {
        let value = 0;
        let scale = 1;
        for (;;) {
          if (at >= payload.length) this.corrupt(base + at, `access ${entry} of ${entries}: a varint inside the record`);
          const byte = payload[at++]!;
          value += (byte & 0x7f) * scale;
          if (byte < 0x80) break;
          scale *= 128;
          if (scale > 2 ** 56) this.corrupt(base + at, `access ${entry}: a varint of at most 8 bytes`);
        }
        if (field === 0) time += unzigzag(value);
        else page += unzigzag(value);
      }
      if (page < 0) this.corrupt(base + at, `access ${entry}: a page number >= 0, found ${page}`);
      if (!(time >= 0 && time <= Number.MAX_SAFE_INTEGER)) this.corrupt(base + at, `access ${entry}: a time >= 0 below 2^53, found ${time}`);
      this.times[entry] = time;
      this.pages[entry] = page;
    }
    if (at !== payload.length) this.corrupt(base + at, `the end of the access record after ${entries} accesses, ${payload.length - at} bytes remain`);
    this.count = entries;
  }

  close(): void {
    closeSync(this.fd);
  }
}

/** An end record's payload as its JSON object of totals; undefined when it is not UTF-8 JSON, null when the JSON is not an object. */
function parseTotals(payload: Uint8Array): Record<string, unknown> | null | undefined {
  let totals: unknown;
  try {
    totals = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(payload));
  } catch {
    return undefined;
  }
  return totals !== null && typeof totals === 'object' && !Array.isArray(totals) ? (totals as Record<string, unknown>) : null;
}

/** A region must be a JSON object of whole page numbers inside the trace's page range. */
function checkRegion(region: unknown, pageCount: number, fail: (expected: string) => never): void {
  if (region === null || typeof region !== 'object' || Array.isArray(region)) fail('a region object');
  const { firstPage, pages } = region as TraceRegion;
  if (!Number.isSafeInteger(firstPage) || !Number.isSafeInteger(pages) || firstPage < 0 || pages < 0) fail('a region with whole firstPage and pages >= 0');
  if (pageCount > 0 && firstPage + pages > pageCount) fail(`a region inside the ${pageCount} pages of the trace, found pages ${firstPage}..${firstPage + pages - 1}`);
}

export { SparseImage };

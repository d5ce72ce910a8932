/**
 * The destination host: applies every record the sender puts on the wire with the real
 * decoder, and proves at the end that it holds the source's memory byte for byte.
 *
 * - `full`: the destination keeps its own copy of guest memory (zeros at start, as fresh RAM);
 *   every page it decodes is compared with the source page it was sent from, and the whole
 *   copy is compared with the source when the migration ends.
 * - `digest`: for guests too large to hold twice. The destination keeps a 64-bit digest per
 *   page. A delta record is decoded onto a copy of the base the sender encoded against, after
 *   checking that the base's digest is the one the destination holds for that page (so the
 *   sender's cache really equals the destination's copy); every received page is compared
 *   with the source's bytes, and its digest becomes the page's new digest. At the end every
 *   page's digest must equal the digest of the source's page.
 *
 * A mismatch or a decode error is a hard failure ({@link MigrationVerificationError}) naming
 * the page; it is never reported as a figure. Page copies and comparisons go through Node's
 * Buffer (memcpy/memcmp) over whole chunks, without a view per page.
 */
import type { Codec } from '../../codecs/codec.js';
import { isZeroPage } from '../../codecs/words.js';
import { GuestMemory } from '../../workloads/memory.js';

export type VerifyMode = 'full' | 'digest';

export class MigrationVerificationError extends Error {
  override name = 'MigrationVerificationError';
  constructor(
    readonly pageNumber: number,
    message: string,
  ) {
    super(message);
  }
}

/** Seeds of the two 32-bit digest lanes. */
const LANE_A = 0x811c9dc5;
const LANE_B = 0x2545f491;

/** Buffers over each chunk of a guest memory (no copy). */
export function chunkBuffers(memory: GuestMemory): Buffer[] {
  return memory.chunks.map((chunk) => Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength));
}

export class Destination {
  readonly mode: VerifyMode;
  private readonly pageSize: number;
  private readonly chunkShift: number;
  private readonly chunkMask: number;
  private readonly sourceBuffers: Buffer[];
  private readonly sourceWords: Int32Array[];
  private readonly memory: GuestMemory | null;
  private readonly buffers: Buffer[];
  private readonly digestA: Uint32Array | null;
  private readonly digestB: Uint32Array | null;
  /** Scratch page for digest-mode decodes and hashing. */
  private readonly scratch: Buffer;
  private readonly scratchWords: Int32Array;
  /** Lane B of the last hash (lane A is returned). */
  private lastLaneB = 0;
  /** Records applied, for the report. */
  recordsApplied = 0;

  constructor(
    private readonly source: GuestMemory,
    mode: VerifyMode,
  ) {
    this.mode = mode;
    this.pageSize = source.pageSize;
    this.chunkShift = source.chunkShift;
    this.chunkMask = source.chunkMask;
    this.sourceBuffers = chunkBuffers(source);
    this.sourceWords = source.chunks.map((chunk) => new Int32Array(chunk.buffer, chunk.byteOffset, chunk.byteLength >>> 2));
    this.scratch = Buffer.alloc(source.pageSize);
    this.scratchWords = new Int32Array(this.scratch.buffer, this.scratch.byteOffset, source.pageSize >>> 2);
    if (mode === 'full') {
      this.memory = new GuestMemory(source.pageCount, source.pageSize);
      this.buffers = chunkBuffers(this.memory);
      this.digestA = null;
      this.digestB = null;
    } else {
      this.memory = null;
      this.buffers = [];
      this.digestA = new Uint32Array(source.pageCount);
      this.digestB = new Uint32Array(source.pageCount);
      const zeroA = this.hash(this.scratchWords, 0);
      this.digestA.fill(zeroA);
      this.digestB.fill(this.lastLaneB);
    }
  }

  /** A normal page carrying the source page's bytes as they are now. */
  normalFromSource(pageNumber: number): void {
    this.recordsApplied++;
    const chunk = pageNumber >>> this.chunkShift;
    const offset = (pageNumber & this.chunkMask) * this.pageSize;
    if (this.memory !== null) {
      this.sourceBuffers[chunk]!.copy(this.buffers[chunk]!, offset, offset, offset + this.pageSize);
      return;
    }
    // The destination's page is the source's bytes: its digest is theirs.
    this.digestA![pageNumber] = this.hash(this.sourceWords[chunk]!, offset >>> 2);
    this.digestB![pageNumber] = this.lastLaneB;
  }

  /** A normal page whose bytes (pageSize long) arrived as `bytes` (fault injection). */
  normal(pageNumber: number, bytes: Uint8Array): void {
    this.recordsApplied++;
    if (this.memory !== null) {
      const chunk = pageNumber >>> this.chunkShift;
      const offset = (pageNumber & this.chunkMask) * this.pageSize;
      this.memory.chunks[chunk]!.set(bytes, offset);
      this.checkAgainstSource(pageNumber, this.buffers[chunk]!, offset);
      return;
    }
    this.scratch.set(bytes);
    this.acceptScratch(pageNumber);
  }

  /** A zero-page record: QEMU's carries one fill byte (0). */
  zero(pageNumber: number, fillByte: number): void {
    this.recordsApplied++;
    if (this.memory !== null) {
      const chunk = pageNumber >>> this.chunkShift;
      const offset = (pageNumber & this.chunkMask) * this.pageSize;
      if (fillByte !== 0) {
        this.buffers[chunk]!.fill(fillByte, offset, offset + this.pageSize);
        this.checkAgainstSource(pageNumber, this.buffers[chunk]!, offset);
      } else if (!isZeroPage(this.memory.page(pageNumber))) {
        // A page never written is zero already (fresh memory): leave it unbacked.
        this.buffers[chunk]!.fill(0, offset, offset + this.pageSize);
      }
      return;
    }
    this.scratch.fill(fillByte);
    this.acceptScratch(pageNumber);
  }

  /**
   * An encoded record. `base` is the copy the sender encoded against (delta codecs; null for
   * whole-page codecs). Returns the ms the decode took (for measured CPU mode).
   */
  encoded(pageNumber: number, codec: Codec, encoded: Uint8Array, base: Uint8Array | null, measure: boolean): number {
    this.recordsApplied++;
    let target: Uint8Array;
    if (this.memory !== null) {
      target = this.memory.page(pageNumber);
    } else {
      if (base !== null) {
        this.scratch.set(base);
        const baseA = this.hash(this.scratchWords, 0);
        if (baseA !== this.digestA![pageNumber] || this.lastLaneB !== this.digestB![pageNumber]) {
          throw new MigrationVerificationError(
            pageNumber,
            `verification failed: page ${pageNumber}: the sender encoded against a copy the destination does not hold`,
          );
        }
      }
      target = this.scratch;
    }
    const started = measure ? performance.now() : 0;
    try {
      codec.decode(encoded, target);
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      throw new MigrationVerificationError(pageNumber, `verification failed: destination could not decode page ${pageNumber}: ${message}`);
    }
    const elapsed = measure ? performance.now() - started : 0;
    if (this.memory === null) {
      this.acceptScratch(pageNumber);
    } else {
      const chunk = pageNumber >>> this.chunkShift;
      this.checkAgainstSource(pageNumber, this.buffers[chunk]!, (pageNumber & this.chunkMask) * this.pageSize);
    }
    return elapsed;
  }

  /** The received page at `offset` of `buffer` must equal the source page. */
  private checkAgainstSource(pageNumber: number, buffer: Buffer, offset: number): void {
    const source = this.sourceBuffers[pageNumber >>> this.chunkShift]!;
    const sourceOffset = (pageNumber & this.chunkMask) * this.pageSize;
    if (buffer.compare(source, sourceOffset, sourceOffset + this.pageSize, offset, offset + this.pageSize) !== 0) {
      throw new MigrationVerificationError(
        pageNumber,
        `verification failed: page ${pageNumber} differs from the source after it was received (first differing byte ${firstDifference(buffer, offset, source, sourceOffset, this.pageSize)})`,
      );
    }
  }

  /** Digest mode: the scratch page is the destination's new page; check it and record its digest. */
  private acceptScratch(pageNumber: number): void {
    this.checkAgainstSource(pageNumber, this.scratch, 0);
    this.digestA![pageNumber] = this.hash(this.scratchWords, 0);
    this.digestB![pageNumber] = this.lastLaneB;
  }

  /**
   * 64-bit digest of the page whose first word is words[start]: two 32-bit multiplicative
   * lanes, lane A over the even words and lane B over the odd ones (half the work of running
   * both over every word; any change to the page still changes a lane with probability
   * 1 - 2^-32). Lane A is returned, lane B left in lastLaneB.
   */
  private hash(words: Int32Array, start: number): number {
    let a = LANE_A;
    let b = LANE_B;
    const end = start + (this.pageSize >>> 2);
    for (let i = start; i < end; i += 2) {
      a = Math.imul(a ^ words[i]!, 0x01000193);
      a ^= a >>> 15;
      b = Math.imul(b ^ words[i + 1]!, 0x9e3779b1);
      b ^= b >>> 13;
    }
    this.lastLaneB = b >>> 0;
    return a >>> 0;
  }

  /** Throws a {@link MigrationVerificationError} naming the first page that differs. */
  verifyFinal(): void {
    const source = this.source;
    const pageSize = this.pageSize;
    if (this.memory !== null) {
      // Whole chunks by memcmp; only a differing chunk is searched page by page.
      for (let chunk = 0; chunk < source.chunks.length; chunk++) {
        const a = this.sourceBuffers[chunk]!;
        const b = this.buffers[chunk]!;
        if (a.equals(b)) continue;
        const firstPage = chunk << this.chunkShift;
        for (let offset = 0; offset < a.length; offset += pageSize) {
          if (b.compare(a, offset, offset + pageSize, offset, offset + pageSize) !== 0) {
            const pageNumber = firstPage + offset / pageSize;
            throw new MigrationVerificationError(
              pageNumber,
              `verification failed: destination page ${pageNumber} differs from the source (first differing byte ${firstDifference(b, offset, a, offset, pageSize)})`,
            );
          }
        }
      }
      return;
    }
    for (let pageNumber = 0; pageNumber < source.pageCount; pageNumber++) {
      const a = this.hash(this.sourceWords[pageNumber >>> this.chunkShift]!, ((pageNumber & this.chunkMask) * pageSize) >>> 2);
      if (a !== this.digestA![pageNumber] || this.lastLaneB !== this.digestB![pageNumber]) {
        throw new MigrationVerificationError(pageNumber, `verification failed: destination page ${pageNumber}'s digest differs from the source page's`);
      }
    }
  }
}

function firstDifference(a: Uint8Array, aOffset: number, b: Uint8Array, bOffset: number, length: number): number {
  for (let i = 0; i < length; i++) if (a[aOffset + i] !== b[bOffset + i]) return i;
  return -1;
}

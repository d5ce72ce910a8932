/**
 * The destination host: applies every record the sender puts on the wire with the real
 * decoder, and proves at the end that it holds the source's memory byte for byte.
 *
 * - `full`: the destination keeps its own copy of guest memory (zeros at start, as fresh RAM);
 *   every page it receives is compared with the source page it was sent from, and the whole
 *   copy is compared with the source when the migration ends.
 * - `digest`: for guests too large to hold twice. The destination keeps a 64-bit digest per
 *   page. A delta record is decoded onto a copy of the base the sender encoded against, after
 *   checking that the base's digest is the one the destination holds for that page (so the
 *   sender's cache really equals the destination's copy); every decoded page is compared with
 *   the source's bytes, and its digest becomes the page's new digest. At the end every page's
 *   digest must equal the digest of the source's page.
 *
 * A mismatch or a decode error is a hard failure ({@link MigrationVerificationError}) naming
 * the page; it is never reported as a figure.
 */
import type { Codec } from '../../codecs/codec.js';
import { pagesEqual } from '../../codecs/words.js';
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

export class Destination {
  readonly mode: VerifyMode;
  private readonly pageSize: number;
  private readonly memory: GuestMemory | null;
  private readonly digestA: Uint32Array | null;
  private readonly digestB: Uint32Array | null;
  /** Scratch page for digest-mode decodes. */
  private readonly scratch: Uint8Array;
  private readonly scratchWords: Int32Array;
  /** Digest of the last hashed page (lane B); lane A is returned. */
  private lastLaneB = 0;
  /** Records applied, for the report. */
  recordsApplied = 0;

  constructor(
    private readonly source: GuestMemory,
    mode: VerifyMode,
  ) {
    this.mode = mode;
    this.pageSize = source.pageSize;
    this.scratch = new Uint8Array(source.pageSize);
    this.scratchWords = new Int32Array(this.scratch.buffer);
    if (mode === 'full') {
      this.memory = new GuestMemory(source.pageCount, source.pageSize);
      this.digestA = null;
      this.digestB = null;
    } else {
      this.memory = null;
      this.digestA = new Uint32Array(source.pageCount);
      this.digestB = new Uint32Array(source.pageCount);
      this.scratch.fill(0);
      const zeroA = this.hashScratch();
      this.digestA.fill(zeroA);
      this.digestB.fill(this.lastLaneB);
    }
  }

  /** A normal page: `bytes` (pageSize long) are the page content as it arrived. */
  normal(pageNumber: number, bytes: Uint8Array): void {
    this.recordsApplied++;
    if (this.memory !== null) {
      this.memory.chunks[pageNumber >>> this.memory.chunkShift]!.set(bytes, (pageNumber & this.memory.chunkMask) * this.pageSize);
      this.checkReceived(pageNumber, bytes);
      return;
    }
    this.scratch.set(bytes);
    this.acceptScratch(pageNumber);
  }

  /** A zero-page record: QEMU's carries one fill byte (0). */
  zero(pageNumber: number, fillByte: number): void {
    this.recordsApplied++;
    if (this.memory !== null) {
      const offset = (pageNumber & this.memory.chunkMask) * this.pageSize;
      const chunk = this.memory.chunks[pageNumber >>> this.memory.chunkShift]!;
      chunk.fill(fillByte, offset, offset + this.pageSize);
      if (fillByte !== 0) this.checkReceived(pageNumber, chunk.subarray(offset, offset + this.pageSize));
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
        const baseA = this.hashScratch();
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
    if (this.memory === null) this.acceptScratch(pageNumber);
    else this.checkReceived(pageNumber, target);
    return elapsed;
  }

  /** Full mode: a received page must equal the source page it was sent from. */
  private checkReceived(pageNumber: number, received: Uint8Array): void {
    const sourcePage = this.source.page(pageNumber);
    if (!pagesEqual(received, sourcePage)) {
      throw new MigrationVerificationError(
        pageNumber,
        `verification failed: page ${pageNumber} differs from the source after it was received (first differing byte ${firstDifference(received, sourcePage)})`,
      );
    }
  }

  /** Digest mode: the scratch page is the destination's new page; check it against the source. */
  private acceptScratch(pageNumber: number): void {
    if (!pagesEqual(this.scratch, this.source.page(pageNumber))) {
      throw new MigrationVerificationError(
        pageNumber,
        `verification failed: page ${pageNumber} differs from the source after it was received (first differing byte ${firstDifference(this.scratch, this.source.page(pageNumber))})`,
      );
    }
    this.digestA![pageNumber] = this.hashScratch();
    this.digestB![pageNumber] = this.lastLaneB;
  }

  /** Two independent 32-bit multiplicative hash lanes over the scratch page's words. */
  private hashScratch(): number {
    const words = this.scratchWords;
    let a = LANE_A;
    let b = LANE_B;
    for (let i = 0; i < words.length; i++) {
      const word = words[i]!;
      a = Math.imul(a ^ word, 0x01000193);
      a ^= a >>> 15;
      b = Math.imul(b + word, 0x9e3779b1);
      b = (b << 13) | (b >>> 19);
    }
    this.lastLaneB = b >>> 0;
    return a >>> 0;
  }

  private hashPage(page: Uint8Array): number {
    this.scratch.set(page);
    return this.hashScratch();
  }

  /** Throws a {@link MigrationVerificationError} naming the first page that differs. */
  verifyFinal(): void {
    const source = this.source;
    if (this.memory !== null) {
      // Whole chunks by memcmp; only a differing chunk is searched page by page.
      for (let chunkIndex = 0; chunkIndex < source.chunks.length; chunkIndex++) {
        const a = source.chunks[chunkIndex]!;
        const b = this.memory.chunks[chunkIndex]!;
        if (Buffer.from(a.buffer, a.byteOffset, a.byteLength).equals(Buffer.from(b.buffer, b.byteOffset, b.byteLength))) continue;
        const firstPage = chunkIndex << source.chunkShift;
        for (let pageNumber = firstPage; pageNumber < firstPage + a.byteLength / this.pageSize; pageNumber++) {
          const sourcePage = source.page(pageNumber);
          const destinationPage = this.memory.page(pageNumber);
          if (!pagesEqual(destinationPage, sourcePage)) {
            throw new MigrationVerificationError(
              pageNumber,
              `verification failed: destination page ${pageNumber} differs from the source (first differing byte ${firstDifference(destinationPage, sourcePage)})`,
            );
          }
        }
      }
      return;
    }
    for (let pageNumber = 0; pageNumber < source.pageCount; pageNumber++) {
      const a = this.hashPage(source.page(pageNumber));
      if (a !== this.digestA![pageNumber] || this.lastLaneB !== this.digestB![pageNumber]) {
        throw new MigrationVerificationError(pageNumber, `verification failed: destination page ${pageNumber}'s digest differs from the source page's`);
      }
    }
  }
}

function firstDifference(a: Uint8Array, b: Uint8Array): number {
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return i;
  return -1;
}

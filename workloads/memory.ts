import { allocatePages } from '../codecs/page-memory.js';

/**
 * The guest's memory image: pageCount pages of pageSize bytes, stored in chunks of at most
 * 512 MiB so that guests larger than one ArrayBuffer can be held. The chunks come from
 * allocatePages, so the delta codecs read guest pages in place (no copy into the kernels);
 * half-GiB chunks pack a 4 GiB arena with a cache slab beside them (7 chunks + 256 MiB). Writers address a page as
 * (chunk, byte offset) to avoid creating a view per write:
 *
 *   const chunk = memory.chunks[page >>> memory.chunkShift];
 *   const offset = (page & memory.chunkMask) * memory.pageSize;
 */
export class GuestMemory {
  readonly chunks: Uint8Array[];
  /** log2 of pages per chunk. */
  readonly chunkShift: number;
  readonly chunkMask: number;

  constructor(
    readonly pageCount: number,
    readonly pageSize = 4096,
  ) {
    if (!Number.isInteger(pageCount) || pageCount < 1) throw new Error(`guest page count must be a positive integer, got ${pageCount}`);
    if (!Number.isInteger(pageSize) || pageSize < 8 || (pageSize & (pageSize - 1)) !== 0) {
      throw new Error(`page size must be a power of two >= 8, got ${pageSize}`);
    }
    const maxChunkPages = Math.max(1, Math.floor(2 ** 29 / pageSize));
    this.chunkShift = Math.floor(Math.log2(maxChunkPages));
    this.chunkMask = (1 << this.chunkShift) - 1;
    const pagesPerChunk = 1 << this.chunkShift;
    this.chunks = [];
    for (let first = 0; first < pageCount; first += pagesPerChunk) {
      this.chunks.push(allocatePages(Math.min(pagesPerChunk, pageCount - first), pageSize));
    }
  }

  get byteLength(): number {
    return this.pageCount * this.pageSize;
  }

  /** A view of one page (allocates a view: for setup and checks, not per-write loops). */
  page(pageNumber: number): Uint8Array {
    const offset = (pageNumber & this.chunkMask) * this.pageSize;
    return this.chunks[pageNumber >>> this.chunkShift]!.subarray(offset, offset + this.pageSize);
  }
}

/** Receives the page numbers a workload writes. Monomorphic method call, no closure per write. */
export interface DirtyTracker {
  markDirty(pageNumber: number): void;
}

/** A dirty bitmap (one byte per page for speed) that also counts how many pages are set. */
export class DirtyBitmap implements DirtyTracker {
  readonly bits: Uint8Array;
  count = 0;

  constructor(readonly pageCount: number) {
    this.bits = new Uint8Array(pageCount);
  }

  markDirty(pageNumber: number): void {
    if (this.bits[pageNumber] === 0) {
      this.bits[pageNumber] = 1;
      this.count++;
    }
  }

  isDirty(pageNumber: number): boolean {
    return this.bits[pageNumber] === 1;
  }

  clear(pageNumber: number): void {
    if (this.bits[pageNumber] === 1) {
      this.bits[pageNumber] = 0;
      this.count--;
    }
  }

  clearAll(): void {
    this.bits.fill(0);
    this.count = 0;
  }
}

/**
 * A page image that allocates memory only for the pages touched, in blocks of 256 pages, as
 * 32-bit words: the previous version of every page, kept by the trace writer (to XOR against)
 * and by readers that decode content without a guest memory to decode into. Its size is
 * bounded by the pages of the trace, never by its length.
 */
export const BLOCK_SHIFT = 8;
export const BLOCK_PAGES = 1 << BLOCK_SHIFT;
const BLOCK_MASK = BLOCK_PAGES - 1;

export class SparseImage {
  private readonly blocks: (Int32Array | undefined)[] = [];
  readonly pageWords: number;

  constructor(readonly pageSize: number) {
    this.pageWords = pageSize >>> 2;
  }

  /** The block holding `page` (allocated zero-filled if `create`). */
  block(page: number, create: boolean): Int32Array | undefined {
    const index = Math.floor(page / BLOCK_PAGES);
    let block = this.blocks[index];
    if (!block && create) {
      block = new Int32Array(BLOCK_PAGES * this.pageWords);
      this.blocks[index] = block;
    }
    return block;
  }

  /** Word offset of `page` inside its block. */
  wordOffset(page: number): number {
    return (page & BLOCK_MASK) * this.pageWords;
  }

  /** A byte view of one page (allocates a view; zero page view if never written). */
  page(page: number): Uint8Array {
    const block = this.block(page, true)!;
    const offset = this.wordOffset(page) * 4;
    return new Uint8Array(block.buffer, offset, this.pageSize);
  }

  /** Pages holding any non-zero byte: visits only the blocks allocated, never the page range. */
  nonZeroPages(): number {
    let pages = 0;
    const words = this.pageWords;
    // forEach skips the holes of the sparse block list (a trace may number pages up to 2^32).
    this.blocks.forEach((block) => {
      if (!block) return;
      for (let base = 0; base < block.length; base += words) {
        let any = 0;
        for (let w = base; w < base + words; w++) any |= block[w]!;
        if (any !== 0) pages++;
      }
    });
    return pages;
  }

  /** Bytes held (for tests of bounded memory). */
  get allocatedBytes(): number {
    let total = 0;
    for (const block of this.blocks) if (block) total += block.byteLength;
    return total;
  }

  clear(): void {
    this.blocks.length = 0;
  }
}

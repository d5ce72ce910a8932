/**
 * A page image that allocates memory only for the pages touched, as 32-bit words: the
 * previous version of every page, kept by the trace writer (to XOR against) and by readers
 * that decode content without a guest memory to decode into. Its size is bounded by the pages
 * of the trace, never by its length.
 *
 * Blocks are 16384 pages (64 MiB of 4 KiB pages; fewer of larger pages, at most 64 MiB) of
 * zero-filled memory, of which the system backs only the pages written: an allocation that
 * large is always fresh from the system, so it is never cleared by hand (which would back all
 * of it), and few allocations mean few of the collections that large external allocations
 * trigger. With 256-page blocks a 1 GiB trace touched at 83k pages took 1024 allocations and
 * 2-3 page faults per touched page.
 */
export const BLOCK_SHIFT = 14;
/** Pages a block holds for pages of up to 4 KiB; larger pages get fewer, so a block stays within 64 MiB. */
export const BLOCK_PAGES = 1 << BLOCK_SHIFT;
const BLOCK_BYTES = 64 * 2 ** 20;

/** Pages a block holds for `pageSize` (a power of two): BLOCK_PAGES, or fewer so that a block is at most 64 MiB. */
export function blockPagesFor(pageSize: number): number {
  return Math.max(1, Math.min(BLOCK_PAGES, Math.floor(BLOCK_BYTES / pageSize)));
}

export class SparseImage {
  private readonly blocks: (Int32Array | undefined)[] = [];
  /**
   * Per block, 1 for each page handed out by block(page, true): the only pages that can hold
   * a non-zero byte. nonZeroPages reads just those: reading the rest would fault in (and scan)
   * every page of every block, 1 GiB for a 1 GiB trace touched here and there.
   */
  private readonly touched: (Uint8Array | undefined)[] = [];
  /** Byte views of the blocks, made with them. */
  private readonly blockByteViews: (Uint8Array | undefined)[] = [];
  readonly pageWords: number;
  /** Pages a block holds (a power of two), and that less one. */
  private readonly blockPages: number;
  private readonly blockMask: number;

  /** `pageCount` (0: unknown) caps the last block, so a small image holds no more than its pages. */
  constructor(
    readonly pageSize: number,
    readonly pageCount = 0,
  ) {
    this.pageWords = pageSize >>> 2;
    this.blockPages = blockPagesFor(pageSize);
    this.blockMask = this.blockPages - 1;
  }

  /**
   * The block holding `page` (allocated zero-filled if `create`). With `create` the page is
   * noted as possibly written: callers write only the page they asked for.
   */
  block(page: number, create: boolean): Int32Array | undefined {
    const index = Math.floor(page / this.blockPages);
    let block = this.blocks[index];
    if (create) {
      if (!block) {
        const pages = this.pageCount > 0 ? Math.min(this.blockPages, this.pageCount - index * this.blockPages) : this.blockPages;
        block = new Int32Array(pages * this.pageWords);
        this.blocks[index] = block;
        this.touched[index] = new Uint8Array(this.blockPages);
        this.blockByteViews[index] = new Uint8Array(block.buffer);
      }
      this.touched[index]![page & this.blockMask] = 1;
    }
    return block;
  }

  /**
   * block(page, true) for a caller about to write the page (a reader decoding into it). The
   * first time, a store comes first, so the system backs the page writable at once: decoders
   * load before they store (they XOR), and a first load maps a shared zero page that the
   * store after it must fault out again (measured: 2 faults per page, 170k for 83k pages).
   * The writer reads pages it may never change, so it keeps block(), which backs nothing.
   */
  writableBlock(page: number): Int32Array {
    this.claim(page);
    return this.blocks[Math.floor(page / this.blockPages)]!;
  }

  /** writableBlock's first step: true when the page had never been handed out (it holds only zeros). */
  claim(page: number): boolean {
    const index = Math.floor(page / this.blockPages);
    const slot = page & this.blockMask;
    const touched = this.touched[index];
    if (touched !== undefined && touched[slot] === 1) return false;
    this.block(page, true)![slot * this.pageWords] = 0;
    return true;
  }

  /** A byte view of the block holding `page`, as writableBlock. */
  blockBytes(page: number): Uint8Array {
    this.writableBlock(page);
    return this.blockByteViews[Math.floor(page / this.blockPages)]!;
  }

  /** Word offset of `page` inside its block. */
  wordOffset(page: number): number {
    return (page & this.blockMask) * this.pageWords;
  }

  /** A byte view of one page (allocates a view; zero page view if never written). */
  page(page: number): Uint8Array {
    const block = this.block(page, true)!;
    const offset = this.wordOffset(page) * 4;
    return new Uint8Array(block.buffer, offset, this.pageSize);
  }

  /** Pages holding any non-zero byte: visits only the pages handed out, never the page range. */
  nonZeroPages(): number {
    let pages = 0;
    const words = this.pageWords;
    // forEach skips the holes of the sparse block list (a trace may number pages up to 2^32).
    this.blocks.forEach((block, index) => {
      const touched = this.touched[index]!;
      const blockPages = block!.length / words;
      for (let page = 0; page < blockPages; page++) {
        if (touched[page] === 0) continue;
        const end = (page + 1) * words;
        for (let w = page * words; w < end; w++) {
          if (block![w] !== 0) {
            pages++;
            break;
          }
        }
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
    this.touched.length = 0;
    this.blockByteViews.length = 0;
  }
}

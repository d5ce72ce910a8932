/**
 * The in-page change shared by uniform, hotset and zipf: `bytes` bytes at random offsets, or
 * (bytes = 0) the whole page rewritten from a pool of random bytes.
 */
import { makeRandomPool } from './content.js';
import { rewritePage, scatterBytes, wordViews } from './generator.js';
import type { GuestMemory } from './memory.js';
import { deriveSeed, Xoshiro128 } from './prng.js';

/** 4 MiB of random bytes: whole-page writes copy from a random position in it. */
export const POOL_BYTES = 4 << 20;

export class PageWriter {
  private pool: Int32Array | undefined;
  private words: Int32Array[] = [];
  private readonly pageMask: number;
  private readonly pageWords: number;

  constructor(
    readonly bytesPerWrite: number,
    readonly pageSize: number,
    private readonly seed: number,
  ) {
    this.pageMask = pageSize - 1;
    this.pageWords = pageSize >>> 2;
  }

  /** Called from init(): binds to the memory's chunks (whole-page mode). */
  bind(memory: GuestMemory): void {
    if (this.bytesPerWrite === 0) {
      this.pool ??= new Int32Array(makeRandomPool(new Xoshiro128(deriveSeed(this.seed, 3)), Math.max(POOL_BYTES, this.pageSize * 16)).buffer);
      this.words = wordViews(memory);
    }
  }

  write(memory: GuestMemory, page: number, rng: Xoshiro128): void {
    const chunkIndex = page >>> memory.chunkShift;
    const offset = (page & memory.chunkMask) * this.pageSize;
    if (this.bytesPerWrite === 0) rewritePage(this.words[chunkIndex]!, offset >>> 2, this.pageWords, this.pool!, rng);
    else scatterBytes(memory.chunks[chunkIndex]!, offset, this.pageMask, this.bytesPerWrite, rng);
  }
}

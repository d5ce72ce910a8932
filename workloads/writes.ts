/**
 * The in-page change shared by uniform, hotset and zipf: `bytes` bytes in runs of `run`
 * consecutive bytes at random offsets (stores are words, not lone bytes; and a run costs one
 * cache line), or (bytes = 0) the whole page rewritten from a pool of random bytes.
 *
 * Writes are planned, then applied, in batches: the generator first draws the pages and the
 * PRNG draws of up to BATCH writes (pure arithmetic), then the batch is written in one tight
 * loop whose cache misses the CPU can overlap, then reported. The draws happen in the same
 * order however the batches are cut, so the bytes do not depend on the caller's time steps.
 */
import { PagePool, POOL_PAGES } from './content.js';
import type { DirtyTracker, GuestMemory } from './memory.js';
import { deriveSeed, Xoshiro128 } from './prng.js';

export const BATCH = 256;

export class PageWriter {
  private pool: PagePool | undefined;
  private readonly runsPerWrite: number;
  /** Pages of the planned batch. */
  readonly pages = new Float64Array(BATCH);
  /** Per planned run: start offset in the page (or pool page for whole pages) and value. */
  private readonly starts: Int32Array;
  private readonly values: Int32Array;
  /** Result of the touch pass, kept so the loads are not optimised away. */
  touched = 0;

  constructor(
    readonly bytesPerWrite: number,
    readonly pageSize: number,
    private readonly seed: number,
    readonly run = 4,
  ) {
    this.runsPerWrite = bytesPerWrite === 0 ? 1 : Math.ceil(bytesPerWrite / run);
    this.starts = new Int32Array(BATCH * this.runsPerWrite);
    this.values = new Int32Array(BATCH * this.runsPerWrite);
  }

  /** Called from init(): makes the page pool of whole-page writes (once). */
  bind(_memory: GuestMemory): void {
    if (this.bytesPerWrite === 0) this.pool ??= new PagePool(new Xoshiro128(deriveSeed(this.seed, 3)), this.pageSize, 'random');
  }

  /** Draws the changes of planned write `index` (its page is set by the caller in `pages`). */
  plan(index: number, rng: Xoshiro128): void {
    if (this.bytesPerWrite === 0) {
      this.starts[index] = rng.nextU32() & (POOL_PAGES - 1);
      return;
    }
    const span = this.pageSize - this.run + 1;
    const base = index * this.runsPerWrite;
    for (let r = 0; r < this.runsPerWrite; r++) {
      this.starts[base + r] = Math.floor((rng.nextU32() * span) / 4294967296);
      this.values[base + r] = rng.nextU32() | 0;
    }
  }

  /** Writes the first `count` planned writes and reports their pages. */
  apply(memory: GuestMemory, count: number, dirty: DirtyTracker): void {
    const { chunks, chunkShift, chunkMask } = memory;
    const pageSize = this.pageSize;
    const pages = this.pages;
    if (this.bytesPerWrite === 0) {
      const views = this.pool!.views;
      for (let k = 0; k < count; k++) {
        const page = pages[k]!;
        chunks[page >>> chunkShift]!.set(views[this.starts[k]!]!, (page & chunkMask) * pageSize);
      }
    } else {
      const runs = this.runsPerWrite;
      const run = this.run;
      const last = this.bytesPerWrite - (runs - 1) * run;
      const starts = this.starts;
      const values = this.values;
      // Touch pass: one independent load per run, so the CPU overlaps the cache misses of the
      // whole batch (the write loop below is too long for its window to reach far ahead).
      let touched = 0;
      for (let k = 0; k < count; k++) {
        const page = pages[k]!;
        const chunk = chunks[page >>> chunkShift]!;
        const offset = (page & chunkMask) * pageSize;
        for (let r = 0; r < runs; r++) touched |= chunk[offset + starts[k * runs + r]!]!;
      }
      this.touched = touched;
      for (let k = 0; k < count; k++) {
        const page = pages[k]!;
        const chunk = chunks[page >>> chunkShift]!;
        const offset = (page & chunkMask) * pageSize;
        const base = k * runs;
        for (let r = 0; r < runs; r++) {
          const at = offset + starts[base + r]!;
          const value = values[base + r]!;
          const length = r === runs - 1 ? last : run;
          // Byte i of a run: a byte of the drawn value (varied every 4 bytes for long runs), never 0.
          for (let i = 0; i < length; i++) chunk[at + i] ^= (((value >>> ((i & 3) << 3)) ^ (i >>> 2) * 0x9d) & 0xff) | 1;
        }
      }
    }
    for (let k = 0; k < count; k++) dirty.markDirty(pages[k]!);
  }
}

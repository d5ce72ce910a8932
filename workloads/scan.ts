/**
 * `scan`: a buffer (the region) rewritten sequentially, whole pages at a time, wrapping
 * around: video transcoding or streaming buffers. Each write replaces the page with fresh
 * random (compressed-media-like) or text bytes, so deltas against the old page do not help.
 */
import { makeRandomPool, makeTextPool } from './content.js';
import { COMMON_PARAMS, readCommon, validKeys, type WorkloadDefinition } from './definition.js';
import { Generator, type GeneratorSetup, rewritePage, wordViews } from './generator.js';
import type { DirtyTracker, GuestMemory } from './memory.js';
import { deriveSeed, Xoshiro128 } from './prng.js';
import { POOL_BYTES } from './writes.js';

class Scan extends Generator {
  private next = 0;
  private words: Int32Array[] = [];
  private pool: Int32Array | undefined;

  constructor(
    setup: GeneratorSetup,
    private readonly fill: 'random' | 'text',
  ) {
    super(setup);
  }

  protected override reset(memory: GuestMemory): void {
    this.next = 0;
    this.words = wordViews(memory);
    if (!this.pool) {
      const rng = new Xoshiro128(deriveSeed(this.seed, 3));
      const bytes = Math.max(POOL_BYTES, this.pageSize * 16);
      const pool = this.fill === 'random' ? makeRandomPool(rng, bytes) : makeTextPool(rng, bytes);
      this.pool = new Int32Array(pool.buffer, pool.byteOffset, pool.byteLength >>> 2);
    }
  }

  protected apply(memory: GuestMemory, count: number, dirty: DirtyTracker): void {
    const { chunkShift, chunkMask } = memory;
    const pageWords = this.pageSize >>> 2;
    const { first, count: pages } = this.region;
    for (let event = 0; event < count; event++) {
      const page = first + this.next;
      this.next = this.next + 1 === pages ? 0 : this.next + 1;
      rewritePage(this.words[page >>> chunkShift]!, (page & chunkMask) * pageWords, pageWords, this.pool!, this.rng);
      dirty.markDirty(page);
    }
  }
}

export const scan: WorkloadDefinition = {
  name: 'scan',
  summary: 'sequential whole-page rewrite of a buffer (streaming / transcoding): deltas do not help',
  params: {
    rate: 'pages rewritten per second (default 10000)',
    fill: 'new page content: random or text (default random)',
    ...COMMON_PARAMS,
  },
  create(params, context) {
    const common = readCommon(params, context, 'random');
    const rate = params.number('rate', 10000, { min: 0 });
    const fill = params.choice('fill', 'random', ['random', 'text'] as const);
    params.done(validKeys(scan));
    return new Scan(
      { spec: params.spec(), seed: common.seed, region: common.region, content: common.content, pageSize: context.pageSize, rate, params: params.resolved },
      fill,
    );
  },
};

/**
 * `scan`: a buffer (the region) rewritten sequentially, whole pages at a time, wrapping
 * around: video transcoding or streaming buffers. Each write replaces the page with fresh
 * random (compressed-media-like) or text bytes, so deltas against the old page do not help.
 */
import { PagePool, POOL_PAGES } from './content.js';
import { COMMON_PARAMS, readCommon, validKeys, type WorkloadDefinition } from './definition.js';
import { Generator, type GeneratorSetup } from './generator.js';
import type { DirtyTracker, GuestMemory } from './memory.js';
import { deriveSeed, Xoshiro128 } from './prng.js';

class Scan extends Generator {
  private next = 0;
  private pool: PagePool | undefined;

  constructor(
    setup: GeneratorSetup,
    private readonly fill: 'random' | 'text',
  ) {
    super(setup);
  }

  protected override reset(_memory: GuestMemory): void {
    this.next = 0;
    this.pool ??= new PagePool(new Xoshiro128(deriveSeed(this.seed, 3)), this.pageSize, this.fill);
  }

  protected apply(memory: GuestMemory, count: number, dirty: DirtyTracker): void {
    const { chunks, chunkShift, chunkMask } = memory;
    const views = this.pool!.views;
    const { first, count: pages } = this.region;
    for (let event = 0; event < count; event++) {
      const page = first + this.next;
      this.next = this.next + 1 === pages ? 0 : this.next + 1;
      chunks[page >>> chunkShift]!.set(views[this.rng.nextU32() & (POOL_PAGES - 1)]!, (page & chunkMask) * this.pageSize);
      dirty.markDirty(page);
    }
  }
}

export const scan: WorkloadDefinition = {
  name: 'scan',
  description: 'sequential whole-page rewrite of a buffer (streaming / transcoding): deltas do not help',
  params: {
    rate: 'pages rewritten per second (default 10000)',
    fill: 'new page content: random or text (default random)',
    ...COMMON_PARAMS,
  },
  create(params, context) {
    const common = readCommon(params, context, 'random');
    const rate = params.rate(10000);
    const fill = params.choice('fill', 'random', ['random', 'text'] as const);
    params.done(validKeys(scan));
    return new Scan(
      { spec: params.spec(), seed: common.seed, region: common.region, content: common.content, pageSize: context.pageSize, rate, params: params.resolved },
      fill,
    );
  },
};

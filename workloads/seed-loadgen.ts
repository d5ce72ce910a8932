/**
 * `seed-loadgen`: the origin thread's synthetic load generator (seed-tables.md). 64 pages
 * (calloc'ed, so zero); each pass, for i in 0..63, byte 1234 + i of page i is incremented by
 * i. Page 0 is written with +0: it is reported dirty (dirty logging sees the write) but its
 * bytes never change. `rate` passes per second; k passes due at once are applied as one
 * increment of k*i, which gives the same bytes.
 */
import { COMMON_PARAMS, readCommon, validKeys, type WorkloadDefinition } from './definition.js';
import { Generator, type GeneratorSetup } from './generator.js';
import type { DirtyTracker, GuestMemory } from './memory.js';

export const SEED_BYTE_OFFSET = 1234;

class SeedLoadgen extends Generator {
  constructor(
    setup: GeneratorSetup,
    private readonly pages: number,
  ) {
    super(setup);
  }

  protected apply(memory: GuestMemory, passes: number, dirty: DirtyTracker): void {
    const { chunks, chunkShift, chunkMask, pageSize } = memory;
    const passesMod = passes % 256;
    const first = this.region.first;
    for (let i = 0; i < this.pages; i++) {
      const page = first + i;
      const chunk = chunks[page >>> chunkShift]!;
      const offset = (page & chunkMask) * pageSize + SEED_BYTE_OFFSET + i;
      chunk[offset] = (chunk[offset]! + passesMod * i) & 0xff;
      dirty.markDirty(page);
    }
  }
}

export const seedLoadgen: WorkloadDefinition = {
  name: 'seed-loadgen',
  description: "the origin thread's C load generator: each pass, byte 1234+i of page i += i (64 pages)",
  params: {
    rate: 'passes per second (default 1000)',
    pages: 'pages in the buffer (default 64)',
    ...COMMON_PARAMS,
  },
  create(params, context) {
    const common = readCommon(params, context, 'zero');
    const rate = params.rate(1000);
    const pages = params.number('pages', Math.min(64, common.region.count), { min: 1, max: common.region.count, integer: true });
    if (SEED_BYTE_OFFSET + pages - 1 >= context.pageSize) {
      params.fail(`pages=${pages} needs byte ${SEED_BYTE_OFFSET + pages - 1} of a page, but pages are ${context.pageSize} bytes`);
    }
    params.done(validKeys(seedLoadgen));
    return new SeedLoadgen({ spec: params.spec(), seed: common.seed, region: common.region, content: common.content, pageSize: context.pageSize, rate, params: params.resolved }, pages);
  },
};

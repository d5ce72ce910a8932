/**
 * `uniform`: pages chosen uniformly at random from the region at a dirty rate, each write
 * changing `bytes` bytes at random offsets (or the whole page with bytes=page).
 */
import { COMMON_PARAMS, readBytesPerWrite, readCommon, readRun, RUN_PARAM, validKeys, type WorkloadDefinition } from './definition.js';
import { Generator, type GeneratorSetup } from './generator.js';
import type { DirtyTracker, GuestMemory } from './memory.js';
import { BATCH, PageWriter } from './writes.js';

class Uniform extends Generator {
  constructor(
    setup: GeneratorSetup,
    private readonly writer: PageWriter,
  ) {
    super(setup);
  }

  protected override reset(memory: GuestMemory): void {
    this.writer.bind(memory);
  }

  protected apply(memory: GuestMemory, count: number, dirty: DirtyTracker): void {
    const { first, count: pages } = this.region;
    const rng = this.rng;
    const writer = this.writer;
    const planned = writer.pages;
    for (let done = 0; done < count; ) {
      const batch = Math.min(BATCH, count - done);
      for (let k = 0; k < batch; k++) {
        planned[k] = first + rng.nextBelow(pages);
        writer.plan(k, rng);
      }
      writer.apply(memory, batch, dirty);
      done += batch;
    }
  }
}

export const uniform: WorkloadDefinition = {
  name: 'uniform',
  description: 'random pages at a dirty rate, each write changing some bytes at random offsets or the whole page',
  params: {
    rate: 'page writes per second (default 10000)',
    bytes: 'bytes changed per write, or "page" for whole-page rewrites (default 16)',
    run: RUN_PARAM,
    ...COMMON_PARAMS,
  },
  create(params, context) {
    const common = readCommon(params, context, 'mixed');
    const rate = params.rate(10000);
    const bytes = readBytesPerWrite(params, context.pageSize, 16);
    const run = readRun(params, context.pageSize, bytes);
    params.done(validKeys(uniform));
    return new Uniform(
      { spec: params.spec(), seed: common.seed, region: common.region, content: common.content, pageSize: context.pageSize, rate, params: params.resolved },
      new PageWriter(bytes, context.pageSize, common.seed, run),
    );
  },
};

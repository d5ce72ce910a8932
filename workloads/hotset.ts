/**
 * `hotset`: a database-like working set. `share` of the writes go to a hot set of `hot`
 * pages (scattered through the region), the rest uniformly to the whole region; each write
 * changes a few bytes (sparse in-page changes, the case XBZRLE targets).
 */
import { COMMON_PARAMS, readBytesPerWrite, readCommon, readRun, RUN_PARAM, validKeys, type WorkloadDefinition } from './definition.js';
import { Generator, type GeneratorSetup } from './generator.js';
import type { DirtyTracker, GuestMemory } from './memory.js';
import { deriveSeed, Xoshiro128 } from './prng.js';
import { Scatter } from './scatter.js';
import { BATCH, PageWriter } from './writes.js';

class Hotset extends Generator {
  private readonly scatter: Scatter;

  constructor(
    setup: GeneratorSetup,
    private readonly writer: PageWriter,
    private readonly hot: number,
    private readonly share: number,
  ) {
    super(setup);
    this.scatter = new Scatter(setup.region.count, new Xoshiro128(deriveSeed(setup.seed, 4)));
  }

  protected override reset(memory: GuestMemory): void {
    this.writer.bind(memory);
  }

  protected apply(memory: GuestMemory, count: number, dirty: DirtyTracker): void {
    const { first, count: pages } = this.region;
    const rng = this.rng;
    const scatter = this.scatter;
    // share as a 32-bit threshold: one PRNG output decides hot or cold.
    const threshold = this.share * 4294967296;
    const writer = this.writer;
    const planned = writer.pages;
    for (let done = 0; done < count; ) {
      const batch = Math.min(BATCH, count - done);
      for (let k = 0; k < batch; k++) {
        planned[k] = first + scatter.map(rng.nextU32() < threshold ? rng.nextBelow(this.hot) : rng.nextBelow(pages));
        writer.plan(k, rng);
      }
      writer.apply(memory, batch, dirty);
      done += batch;
    }
  }

  /** Page numbers of the hot set (for tests and reports). */
  hotPages(): number[] {
    return Array.from({ length: this.hot }, (_, rank) => this.region.first + this.scatter.map(rank));
  }
}

export const hotset: WorkloadDefinition = {
  name: 'hotset',
  description: 'writes concentrated on a hot working set (share of writes to hot pages), sparse in-page changes',
  params: {
    rate: 'page writes per second (default 10000)',
    hot: 'hot set size, pages or percentage of the region (default 10%)',
    share: 'fraction of writes that go to the hot set (default 0.9)',
    bytes: 'bytes changed per write, or "page" (default 16)',
    run: RUN_PARAM,
    ...COMMON_PARAMS,
  },
  create(params, context) {
    const common = readCommon(params, context, 'mixed');
    const rate = params.rate(10000);
    const hot = params.number('hot', Math.max(1, Math.round(common.region.count * 0.1)), { min: 1, integer: true, whole: common.region.count });
    if (hot > common.region.count) {
      params.fail(`hot=${hot} pages is larger than the ${common.region.count === context.pageCount ? 'memory' : 'region'} (${common.region.count} pages)`);
    }
    const share = params.number('share', 0.9, { min: 0, max: 1 });
    const bytes = readBytesPerWrite(params, context.pageSize, 16);
    const run = readRun(params, context.pageSize, bytes);
    params.done(validKeys(hotset));
    return new Hotset(
      { spec: params.spec(), seed: common.seed, region: common.region, content: common.content, pageSize: context.pageSize, rate, params: params.resolved },
      new PageWriter(bytes, context.pageSize, common.seed, run),
      hot,
      share,
    );
  },
};

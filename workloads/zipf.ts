/**
 * `zipf`: page writes Zipf-distributed over the region (rank k written with probability
 * proportional to 1/k^skew; ranks scattered over the region unless scatter=false), each
 * changing a few bytes: the database-like case XBZRLE targets.
 */
import { COMMON_PARAMS, readBytesPerWrite, readCommon, readRun, RUN_PARAM, validKeys, type WorkloadDefinition } from './definition.js';
import { Generator, type GeneratorSetup } from './generator.js';
import type { DirtyTracker, GuestMemory } from './memory.js';
import { deriveSeed, Xoshiro128 } from './prng.js';
import { Scatter } from './scatter.js';
import { BATCH, PageWriter } from './writes.js';
import { ZipfSampler } from './zipf-sampler.js';

class Zipf extends Generator {
  private readonly sampler: ZipfSampler;
  private readonly scatter: Scatter;

  constructor(
    setup: GeneratorSetup,
    private readonly writer: PageWriter,
    skew: number,
    scatter: boolean,
  ) {
    super(setup);
    this.sampler = new ZipfSampler(setup.region.count, skew);
    this.scatter = new Scatter(setup.region.count, new Xoshiro128(deriveSeed(setup.seed, 4)), scatter);
  }

  protected override reset(memory: GuestMemory): void {
    this.writer.bind(memory);
  }

  protected apply(memory: GuestMemory, count: number, dirty: DirtyTracker): void {
    const first = this.region.first;
    const rng = this.rng;
    const writer = this.writer;
    const planned = writer.pages;
    for (let done = 0; done < count; ) {
      const batch = Math.min(BATCH, count - done);
      for (let k = 0; k < batch; k++) {
        planned[k] = first + this.scatter.map(this.sampler.sample(rng) - 1);
        writer.plan(k, rng);
      }
      writer.apply(memory, batch, dirty);
      done += batch;
    }
  }

  /** The page of rank `rank` (1 = most written). */
  pageOfRank(rank: number): number {
    return this.region.first + this.scatter.map(rank - 1);
  }
}

export const zipf: WorkloadDefinition = {
  name: 'zipf',
  description: 'Zipf-distributed page writes (skew), sparse in-page changes',
  params: {
    skew: 'Zipf exponent, >= 0 (0 is uniform; default 0.99)',
    rate: 'page writes per second (default 10000)',
    bytes: 'bytes changed per write, or "page" (default 16)',
    run: RUN_PARAM,
    scatter: 'spread ranks over the region (default true) or rank k = page k-1 (false)',
    ...COMMON_PARAMS,
  },
  create(params, context) {
    const common = readCommon(params, context, 'mixed');
    const skew = params.number('skew', 0.99, { min: 0 });
    const rate = params.rate(10000);
    const bytes = readBytesPerWrite(params, context.pageSize, 16);
    const run = readRun(params, context.pageSize, bytes);
    const scatter = params.boolean('scatter', true);
    params.done(validKeys(zipf));
    return new Zipf(
      { spec: params.spec(), seed: common.seed, region: common.region, content: common.content, pageSize: context.pageSize, rate, params: params.resolved },
      new PageWriter(bytes, context.pageSize, common.seed, run),
      skew,
      scatter,
    );
  },
};

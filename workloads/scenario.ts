/**
 * `scenario`: the step/len change patterns of the codec table (SPARSE, MEDIUM, DENSE,
 * VERY-DENSE, or any STEP/LEN) applied to a set of pages at a rate. Each write increments
 * (mod 256) every byte of [s, s+len) for s = 0, step, 2*step, ... of one page, so consecutive
 * versions of a page differ exactly in the scenario's bytes. Pages are visited in order
 * (round robin over the set) or at random.
 */
import { COMMON_PARAMS, readCommon, validKeys, type WorkloadDefinition } from './definition.js';
import { Generator, type GeneratorSetup } from './generator.js';
import type { DirtyTracker, GuestMemory } from './memory.js';
import { getScenario, type Scenario } from './scenarios.js';

class ScenarioWorkload extends Generator {
  private next = 0;

  constructor(
    setup: GeneratorSetup,
    private readonly scenario: Scenario,
    private readonly pages: number,
    private readonly random: boolean,
  ) {
    super(setup);
  }

  protected override reset(): void {
    this.next = 0;
  }

  protected apply(memory: GuestMemory, count: number, dirty: DirtyTracker): void {
    const { chunks, chunkShift, chunkMask, pageSize } = memory;
    const { step, len } = this.scenario;
    const first = this.region.first;
    for (let event = 0; event < count; event++) {
      let index: number;
      if (this.random) index = this.rng.nextBelow(this.pages);
      else {
        index = this.next;
        this.next = index + 1 === this.pages ? 0 : index + 1;
      }
      const page = first + index;
      const chunk = chunks[page >>> chunkShift]!;
      const base = (page & chunkMask) * pageSize;
      for (let start = 0; start < pageSize; start += step) {
        const end = base + Math.min(start + len, pageSize);
        for (let i = base + start; i < end; i++) chunk[i] = (chunk[i]! + 1) & 0xff;
      }
      dirty.markDirty(page);
    }
  }
}

export const scenarioWorkload: WorkloadDefinition = {
  name: 'scenario',
  description: 'step/len patterns of the codec table (SPARSE, MEDIUM, DENSE, VERY-DENSE, STEP/LEN) at a page rate',
  params: {
    pattern: 'SPARSE, MEDIUM, DENSE, VERY-DENSE or STEP/LEN (default SPARSE)',
    rate: 'pages written per second (default 10000)',
    pages: 'size of the page set, the first pages of the region (default the region)',
    order: 'sequential (round robin) or random (default sequential)',
    ...COMMON_PARAMS,
  },
  create(params, context) {
    const common = readCommon(params, context, 'random');
    const patternName = params.string('pattern', 'SPARSE');
    let scenario: Scenario;
    try {
      scenario = getScenario(patternName);
    } catch (error) {
      return params.fail((error as Error).message);
    }
    params.resolved.pattern = scenario.name;
    const rate = params.rate(10000);
    const pages = params.number('pages', common.region.count, { min: 1, integer: true, whole: common.region.count });
    if (pages > common.region.count) params.fail(`pages=${pages} is larger than the region (${common.region.count} pages)`);
    const order = params.choice('order', 'sequential', ['sequential', 'random'] as const);
    params.done(validKeys(scenarioWorkload));
    return new ScenarioWorkload(
      { spec: params.spec(), seed: common.seed, region: common.region, content: common.content, pageSize: context.pageSize, rate, params: params.resolved },
      scenario,
      pages,
      order === 'random',
    );
  },
};

/**
 * `qemu-age-test`: the test program of QEMU's cache-age commit (seed-tables.md): a 16 MiB
 * buffer (4096 pages of 4 KiB); each loop increments 16384 bytes spaced 1024 apart, so every
 * page of the buffer gets 4 bytes changed per loop. `rate` loops per second; k loops due at
 * once are applied as one increment of k (same bytes).
 */
import { COMMON_PARAMS, readCommon, validKeys, type WorkloadDefinition } from './definition.js';
import { Generator, type GeneratorSetup } from './generator.js';
import type { DirtyTracker, GuestMemory } from './memory.js';

class QemuAgeTest extends Generator {
  constructor(
    setup: GeneratorSetup,
    private readonly bufferBytes: number,
    private readonly stride: number,
  ) {
    super(setup);
  }

  protected apply(memory: GuestMemory, loops: number, dirty: DirtyTracker): void {
    const { chunks, chunkShift, chunkMask, pageSize } = memory;
    const increment = loops % 256;
    const first = this.region.first;
    let lastPage = -1;
    for (let byte = 0; byte < this.bufferBytes; byte += this.stride) {
      const page = first + Math.floor(byte / pageSize);
      const chunk = chunks[page >>> chunkShift]!;
      const offset = (page & chunkMask) * pageSize + (byte % pageSize);
      chunk[offset] = (chunk[offset]! + increment) & 0xff;
      if (page !== lastPage) {
        dirty.markDirty(page);
        lastPage = page;
      }
    }
  }
}

export const qemuAgeTest: WorkloadDefinition = {
  name: 'qemu-age-test',
  description: "QEMU's cache-age test program: a 16 MiB buffer, each loop increments bytes spaced 1024 apart",
  params: {
    rate: 'loops per second (default 100)',
    mib: 'buffer size in MiB (default 16)',
    stride: 'bytes between incremented bytes (default 1024)',
    ...COMMON_PARAMS,
  },
  create(params, context) {
    const common = readCommon(params, context, 'zero');
    const rate = params.rate(100);
    const mib = params.number('mib', 16, { min: 0, minExclusive: true });
    const stride = params.number('stride', 1024, { min: 1, integer: true });
    const bufferBytes = Math.round(mib * 1048576);
    const bufferPages = Math.ceil(bufferBytes / context.pageSize);
    if (bufferPages > common.region.count) {
      params.fail(`mib=${mib} needs ${bufferPages} pages, but the ${common.region.count === context.pageCount ? 'memory' : 'region'} has ${common.region.count}`);
    }
    params.done(validKeys(qemuAgeTest));
    return new QemuAgeTest(
      { spec: params.spec(), seed: common.seed, region: common.region, content: common.content, pageSize: context.pageSize, rate, params: params.resolved },
      bufferBytes,
      stride,
    );
  },
};

/** `idle`: initial content only; nothing is ever written. */
import { COMMON_PARAMS, readCommon, validKeys, type WorkloadDefinition } from './definition.js';
import { Generator } from './generator.js';
import type { GuestMemory } from './memory.js';

class Idle extends Generator {
  protected apply(_memory: GuestMemory): void {}
}

export const idle: WorkloadDefinition = {
  name: 'idle',
  description: 'nothing is written (initial content only)',
  params: { ...COMMON_PARAMS },
  create(params, context) {
    const common = readCommon(params, context, 'mixed');
    params.done(validKeys(idle));
    return new Idle({ spec: params.spec(), seed: common.seed, region: common.region, content: common.content, pageSize: context.pageSize, rate: 0, params: params.resolved });
  },
};

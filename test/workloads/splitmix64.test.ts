import { describe, expect, it } from 'vitest';
import { SplitMix64 } from '../../workloads/splitmix64.js';
import { canonicalOldPages } from '../../workloads/scenarios.js';

const MASK64 = (1n << 64n) - 1n;
/** Reference splitmix64 in BigInt, written straight from the definition. */
function* referenceStream(seed: bigint): Generator<bigint> {
  let state = seed & MASK64;
  for (;;) {
    state = (state + 0x9e3779b97f4a7c15n) & MASK64;
    let z = state;
    z = ((z ^ (z >> 30n)) * 0xbf58476d1ce4e5b9n) & MASK64;
    z = ((z ^ (z >> 27n)) * 0x94d049bb133111ebn) & MASK64;
    yield z ^ (z >> 31n);
  }
}

describe('splitmix64', () => {
  it('starts with the published first output for seed 20110706', () => {
    expect(new SplitMix64(20110706).next()).toBe(0xf2716e40edb22441n);
    expect([...canonicalOldPages(1).subarray(0, 8)]).toEqual([0x41, 0x24, 0xb2, 0xed, 0x40, 0x6e, 0x71, 0xf2]);
  });

  it.each([0n, 1n, 20110706n, 0xffffffffffffffffn, 0x8000000000000000n, 0x123456789abcdefn])(
    'matches the BigInt definition for 20,000 outputs from seed %s',
    (seed) => {
      const fast = new SplitMix64(seed);
      const reference = referenceStream(seed);
      for (let i = 0; i < 20_000; i++) expect(fast.next()).toBe(reference.next().value);
    },
  );

  it('fill writes each output as 8 little-endian bytes', () => {
    const bytes = new Uint8Array(8 * 1000);
    new SplitMix64(7).fill(bytes);
    const reference = referenceStream(7n);
    const view = new DataView(bytes.buffer);
    for (let i = 0; i < 1000; i++) expect(view.getBigUint64(i * 8, true)).toBe(reference.next().value);
    expect(() => new SplitMix64(1).fill(new Uint8Array(12))).toThrow(/multiple of 8/);
  });
});

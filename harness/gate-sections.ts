/**
 * The deterministic sections of the gate suite beyond codec sizes: every figure here is an
 * exact function of the code and a fixed seed, so any change is a change in behaviour.
 */
import { simulateCache } from '../caches/registry.js';
import { zipfKeys } from './zipf-keys.js';

export type Record = (name: string, value: number | string | boolean) => void;

/** Policies gated on the Zipf trace (parameters spelled out so defaults changing shows up). */
export const GATE_CACHE_POLICIES = [
  'set-assoc:ways=1',
  'set-assoc:ways=2',
  'set-assoc:ways=8',
  'lru',
  'fifo',
  'clock',
  '2q',
  'lirs',
  'arc',
  's3fifo',
  'sieve',
  'qemu',
  'qemu-noage',
  'opt',
];

/** Hits of each policy on a seeded Zipf(0.9) trace: 100,000 requests over 25,000 keys, 1024 pages. */
export function cacheSection(record: Record): void {
  const keys = zipfKeys({ requests: 100_000, distinct: 25_000, skew: 0.9, seed: 20110706 });
  for (const policy of GATE_CACHE_POLICIES) {
    // A generation every 5,000 requests, so QEMU's age rule has syncs to count.
    const result = simulateCache(policy, 1024, keys, { requestsPerGeneration: 5000 });
    record(`cache.${policy}.zipf.hits`, result.hits);
    record(`cache.${policy}.zipf.hitRatio`, result.hits / result.requests);
  }
}

/** The built-in deterministic sections, in the order they run. */
export const BUILTIN_SECTIONS: { name: string; run: (record: Record) => Promise<void> | void }[] = [{ name: 'caches', run: cacheSection }];

/**
 * The deterministic sections of the gate suite beyond codec sizes: every figure here is an
 * exact function of the code and a fixed seed, so any change is a change in behaviour.
 */
import { simulateCache } from '../../caches/registry.js';
import { simulateMigration } from '../migration.js';
import { zipfKeys } from '../cache/zipf-keys.js';

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

/** The migrations gated (all in `cpu: model`, so simulated times are exact). */
export const GATE_MIGRATIONS = [
  { name: 'hotset-none', codec: 'none' },
  { name: 'hotset-xbzrle', codec: 'xbzrle', cache: 'qemu' },
  { name: 'hotset-xbzrle-lru', codec: 'xbzrle', cache: 'lru' },
  { name: 'hotset-xor-lz4', codec: 'xor-lz4', cache: 'qemu' },
  { name: 'hotset-lz4', codec: 'lz4' },
] as const;

/**
 * Small end-to-end migrations: a 32 MiB guest with a hot set of 2048 pages (8 MiB) rewritten
 * sparsely at 20,000 writes/s, 100 Mbit/s, 300 ms downtime limit, 8 MiB cache, seed 1.
 * Without compression it cannot converge (30 rounds, then a forced stop); with a delta codec it can.
 */
export async function migrationSection(record: Record): Promise<void> {
  for (const run of GATE_MIGRATIONS) {
    const result = await simulateMigration({
      workload: 'hotset:rate=20000,hot=2048,share=0.95,bytes=16',
      ramBytes: 32 * 2 ** 20,
      bandwidthBps: 100e6 / 8,
      maxBandwidthBps: 0,
      downtimeLimitMs: 300,
      codec: run.codec,
      ...('cache' in run ? { cache: run.cache, cacheBytes: 8 * 2 ** 20 } : {}),
      mode: 'qemu',
      cpu: 'model',
      seed: 1,
      maxRounds: 30,
    });
    const prefix = `migration.${run.name}`;
    record(`${prefix}.totalTimeMs`, result.totalTimeMs);
    record(`${prefix}.downtimeMs`, result.downtimeMs);
    record(`${prefix}.wireBytes`, result.wireBytes);
    record(`${prefix}.rounds`, result.rounds);
    record(`${prefix}.converged`, result.converged);
    record(`${prefix}.verified`, result.verified);
    if ('cache' in run) record(`${prefix}.cacheMissRate`, result.stats['xbzrle-cache']['cache-miss-rate']);
  }
}

/** The built-in deterministic sections, in the order they run. */
export const BUILTIN_SECTIONS: { name: string; run: (record: Record) => Promise<void> | void }[] = [
  { name: 'caches', run: cacheSection },
  { name: 'migrations', run: migrationSection },
];

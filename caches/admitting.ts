/**
 * The shared shape of the policies whose miss path is a single `admit(key)` (lru, fifo, clock,
 * sieve): a key index, and the key of the last missed lookup, so that the insert that follows a
 * miss (the migration simulator's pattern) needs no second index probe.
 */
import { BaseCache, type ResolvedCacheOptions } from './base.js';
import { KeyIndex } from './key-index.js';

export abstract class AdmittingCache extends BaseCache {
  protected readonly index: KeyIndex;
  /** The key of the last lookup that missed, or -1. */
  protected pendingKey = -1;

  constructor(spec: string, options: ResolvedCacheOptions) {
    super(spec, options);
    this.index = new KeyIndex(options.capacityPages);
  }

  /** The miss path: makes `key` resident (evicting as the policy says); its slot. */
  protected abstract admit(key: number): number;

  protected insertKey(key: number): number {
    const missed = key === this.pendingKey;
    this.pendingKey = -1;
    if (!missed) {
      const resident = this.index.get(key);
      if (resident >= 0) return resident;
    }
    return this.admit(key);
  }
}

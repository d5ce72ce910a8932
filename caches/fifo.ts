/**
 * `fifo`: first in, first out. Hit: nothing. Miss: when full, evict the oldest page.
 * With uniform pages the insertion order is the slot order of a ring: slots fill 0..c-1 at
 * cold start, then the victim is always the slot after the previous victim (no list needed).
 */
import { BaseCache, type ResolvedCacheOptions } from './base.js';
import { KeyIndex } from './key-index.js';
import type { PolicyDefinition } from './spec.js';

class FifoCache extends BaseCache {
  private readonly index: KeyIndex;
  private readonly keyOf: Float64Array;
  private used = 0;
  /** The key of the last missed lookup: the insert that follows needs no second probe. */
  private pendingKey = -1;
  /** The oldest slot once full. */
  private hand = 0;

  constructor(spec: string, options: ResolvedCacheOptions) {
    super(spec, options);
    this.index = new KeyIndex(options.capacityPages);
    this.keyOf = new Float64Array(options.capacityPages);
  }

  protected lookupKey(key: number): number {
    const slot = this.index.get(key);
    this.pendingKey = slot < 0 ? key : -1;
    return slot;
  }

  protected insertKey(key: number): number {
    const missed = key === this.pendingKey;
    this.pendingKey = -1;
    if (!missed) {
      const resident = this.index.get(key);
      if (resident >= 0) return resident;
    }
    return this.admit(key);
  }

  private admit(key: number): number {
    let slot: number;
    if (this.used < this.capacityPages) {
      slot = this.used++;
    } else {
      slot = this.hand;
      this.hand = slot + 1 === this.capacityPages ? 0 : slot + 1;
      this.index.delete(this.keyOf[slot]!);
      this.evictions++;
    }
    this.keyOf[slot] = key;
    this.index.set(key, slot);
    return slot;
  }

  /** The replay loop, one copy per class so that its access() call site stays monomorphic. */
  override replay(keys: Float64Array): number {
    let hits = 0;
    for (let i = 0; i < keys.length; i++) if (this.access(keys[i]!)) hits++;
    return hits;
  }

  override access(key: number): boolean {
    if (this.index.get(key) >= 0) return true;
    this.admit(key);
    return false;
  }
}

export const fifoPolicy: PolicyDefinition = {
  name: 'fifo',
  description: 'first in, first out (hits change nothing)',
  params: {},
  create: (spec, options) => new FifoCache(spec, options),
};

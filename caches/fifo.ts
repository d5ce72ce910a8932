/**
 * `fifo`: first in, first out. Hit: nothing. Miss: when full, evict the oldest page.
 * With uniform pages the insertion order is the slot order of a ring: slots fill 0..c-1 at
 * cold start, then the victim is always the slot after the previous victim (no list needed).
 */
import { AdmittingCache } from './admitting.js';
import type { ResolvedCacheOptions } from './base.js';
import type { PolicyDefinition } from './spec.js';

class FifoCache extends AdmittingCache {
  private readonly keyOf: Float64Array;
  private used = 0;
  /** The oldest slot once full. */
  private hand = 0;

  constructor(spec: string, options: ResolvedCacheOptions) {
    super(spec, options);
    this.keyOf = new Float64Array(options.capacityPages);
  }

  protected lookupKey(key: number): number {
    const slot = this.index.get(key);
    this.pendingKey = slot < 0 ? key : -1;
    return slot;
  }

  protected admit(key: number): number {
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

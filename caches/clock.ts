/**
 * `clock`: CLOCK with one reference bit, i.e. FIFO-reinsertion. A page enters with bit 0; a
 * hit sets the bit; to evict, the oldest page with bit 1 has it cleared and becomes the
 * newest (the hand moves past it), and the first oldest page with bit 0 is evicted.
 * As in FIFO the order is a ring of slots: "move to the newest end" is advancing the hand.
 */
import { AdmittingCache } from './admitting.js';
import type { ResolvedCacheOptions } from './base.js';
import type { PolicyDefinition } from './spec.js';

class ClockCache extends AdmittingCache {
  private readonly keyOf: Float64Array;
  private readonly referenced: Uint8Array;
  private used = 0;
  private hand = 0;

  constructor(spec: string, options: ResolvedCacheOptions) {
    super(spec, options);
    this.keyOf = new Float64Array(options.capacityPages);
    this.referenced = new Uint8Array(options.capacityPages);
  }

  protected lookupKey(key: number): number {
    const slot = this.index.get(key);
    if (slot >= 0) this.referenced[slot] = 1;
    this.pendingKey = slot < 0 ? key : -1;
    return slot;
  }

  protected admit(key: number): number {
    let slot: number;
    if (this.used < this.capacityPages) {
      slot = this.used++;
    } else {
      const referenced = this.referenced;
      const last = this.capacityPages - 1;
      let hand = this.hand;
      while (referenced[hand] === 1) {
        referenced[hand] = 0;
        hand = hand === last ? 0 : hand + 1;
      }
      slot = hand;
      this.hand = hand === last ? 0 : hand + 1;
      this.index.delete(this.keyOf[slot]!);
      this.evictions++;
    }
    this.keyOf[slot] = key;
    this.referenced[slot] = 0;
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
    const slot = this.index.get(key);
    if (slot >= 0) {
      this.referenced[slot] = 1;
      return true;
    }
    this.admit(key);
    return false;
  }
}

export const clockPolicy: PolicyDefinition = {
  name: 'clock',
  description: 'CLOCK, one reference bit (= FIFO-reinsertion; libCacheSim Clock with n-bit-counter=1)',
  params: {},
  create: (spec, options) => new ClockCache(spec, options),
};

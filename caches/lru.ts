/**
 * `lru`: fully associative least-recently-used. Hit: move to the MRU end. Miss: when full,
 * evict the LRU end; insert at the MRU end. Nodes are slots, linked in one circular list
 * through a sentinel node (index c), so moving a node is branch-free pointer surgery.
 */
import { AdmittingCache } from './admitting.js';
import type { ResolvedCacheOptions } from './base.js';
import type { PolicyDefinition } from './spec.js';

class LruCache extends AdmittingCache {
  /** The next older node. The ring runs sentinel -> MRU -> ... -> LRU -> sentinel along `older`. */
  private readonly older: Int32Array;
  /** The next newer node (so the sentinel's `newer` is the LRU page). */
  private readonly newer: Int32Array;
  private readonly keyOf: Float64Array;
  private readonly sentinel: number;
  private used = 0;

  constructor(spec: string, options: ResolvedCacheOptions) {
    super(spec, options);
    const c = options.capacityPages;
    this.older = new Int32Array(c + 1);
    this.newer = new Int32Array(c + 1);
    this.keyOf = new Float64Array(c);
    this.sentinel = c;
    this.older[c] = c;
    this.newer[c] = c;
  }

  /** Unlinks `slot` and relinks it at the MRU end. */
  private touch(slot: number): void {
    const older = this.older;
    const newer = this.newer;
    const sentinel = this.sentinel;
    const before = older[slot]!;
    const after = newer[slot]!;
    newer[before] = after;
    older[after] = before;
    const first = older[sentinel]!;
    older[slot] = first;
    newer[slot] = sentinel;
    newer[first] = slot;
    older[sentinel] = slot;
  }

  protected lookupKey(key: number): number {
    const slot = this.index.get(key);
    if (slot >= 0) this.touch(slot);
    this.pendingKey = slot < 0 ? key : -1;
    return slot;
  }

  protected admit(key: number): number {
    let slot: number;
    if (this.used < this.capacityPages) {
      slot = this.used++;
      // Link the fresh slot in at the LRU end first; touch() then moves it to the MRU end.
      const sentinel = this.sentinel;
      const last = this.newer[sentinel]!;
      this.newer[sentinel] = slot;
      this.older[slot] = sentinel;
      this.newer[slot] = last;
      this.older[last] = slot;
    } else {
      slot = this.newer[this.sentinel]!; // the LRU page
      this.index.delete(this.keyOf[slot]!);
      this.evictions++;
    }
    this.keyOf[slot] = key;
    this.index.set(key, slot);
    this.touch(slot);
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
      this.touch(slot);
      return true;
    }
    this.admit(key);
    return false;
  }
}

export const lruPolicy: PolicyDefinition = {
  name: 'lru',
  description: 'fully associative LRU (move to MRU on hit, evict the LRU end)',
  params: {},
  create: (spec, options) => new LruCache(spec, options),
};

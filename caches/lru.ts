/**
 * `lru`: fully associative least-recently-used. Hit: move to the MRU end. Miss: when full,
 * evict the LRU end; insert at the MRU end. Nodes are slots; one index-linked list.
 */
import { BaseCache, type ResolvedCacheOptions } from './base.js';
import { KeyIndex } from './key-index.js';
import { NodeLists } from './lists.js';
import type { PolicyDefinition } from './spec.js';

class LruCache extends BaseCache {
  private readonly index: KeyIndex;
  private readonly lists: NodeLists;
  private readonly keyOf: Float64Array;
  private used = 0;

  constructor(spec: string, options: ResolvedCacheOptions) {
    super(spec, options);
    this.index = new KeyIndex(options.capacityPages);
    this.lists = new NodeLists(options.capacityPages, 1);
    this.keyOf = new Float64Array(options.capacityPages);
  }

  protected lookupKey(key: number): number {
    const slot = this.index.get(key);
    if (slot >= 0) this.lists.moveToHead(0, slot);
    return slot;
  }

  protected insertKey(key: number): number {
    const resident = this.index.get(key);
    if (resident >= 0) return resident;
    return this.admit(key);
  }

  private admit(key: number): number {
    let slot: number;
    if (this.used < this.capacityPages) {
      slot = this.used++;
    } else {
      slot = this.lists.popTail(0);
      this.index.delete(this.keyOf[slot]!);
      this.evictions++;
    }
    this.keyOf[slot] = key;
    this.index.set(key, slot);
    this.lists.pushHead(0, slot);
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
      this.lists.moveToHead(0, slot);
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

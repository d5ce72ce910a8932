/**
 * `sieve`: SIEVE (Zhang et al., NSDI 2024). One FIFO list (head = newest), a visited bit per
 * page and a hand. Hit: set the bit (no movement). Miss when full: from the hand (or the tail
 * when the hand is null) move toward the head clearing set bits, wrapping to the tail; evict
 * the first page with a clear bit and leave the hand at its newer neighbour (null when it was
 * the head). New pages go to the head with the bit clear; the hand is never reset.
 */
import { AdmittingCache } from './admitting.js';
import type { ResolvedCacheOptions } from './base.js';
import { NIL, NodeLists } from './lists.js';
import type { PolicyDefinition } from './spec.js';

class SieveCache extends AdmittingCache {
  private readonly lists: NodeLists;
  private readonly keyOf: Float64Array;
  private readonly visited: Uint8Array;
  private used = 0;
  private hand = NIL;

  constructor(spec: string, options: ResolvedCacheOptions) {
    super(spec, options);
    this.lists = new NodeLists(options.capacityPages, 1);
    this.keyOf = new Float64Array(options.capacityPages);
    this.visited = new Uint8Array(options.capacityPages);
  }

  protected lookupKey(key: number): number {
    const slot = this.index.get(key);
    if (slot >= 0) this.visited[slot] = 1;
    this.pendingKey = slot < 0 ? key : -1;
    return slot;
  }

  protected admit(key: number): number {
    let slot: number;
    const lists = this.lists;
    if (this.used < this.capacityPages) {
      slot = this.used++;
    } else {
      const visited = this.visited;
      const newer = lists.prev; // prev points toward the head (newer pages)
      let victim = this.hand !== NIL ? this.hand : lists.tail[0]!;
      while (visited[victim] === 1) {
        visited[victim] = 0;
        const toward = newer[victim]!;
        victim = toward !== NIL ? toward : lists.tail[0]!;
      }
      this.hand = newer[victim]!;
      lists.remove(victim);
      this.index.delete(this.keyOf[victim]!);
      this.evictions++;
      slot = victim;
    }
    this.keyOf[slot] = key;
    this.visited[slot] = 0;
    this.index.set(key, slot);
    lists.pushHead(0, slot);
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
      this.visited[slot] = 1;
      return true;
    }
    this.admit(key);
    return false;
  }
}

export const sievePolicy: PolicyDefinition = {
  name: 'sieve',
  description: 'SIEVE (NSDI 2024): FIFO list, visited bit, a hand that sweeps tail to head and is never reset',
  params: {},
  create: (spec, options) => new SieveCache(spec, options),
};

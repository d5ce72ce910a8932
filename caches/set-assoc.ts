/**
 * `set-assoc:ways=W`: an n-way set-associative cache, LRU within each set, set = page number
 * modulo the number of sets (c / W; c must be a multiple of W). The 2011 XBZRLE patch (v2)
 * used 2 ways, the default. ways=1 is a direct-mapped cache (slot = page mod c); ways=c is
 * fully associative LRU.
 *
 * Up to 16 ways a set is scanned linearly with a use stamp per slot (no hash table; the
 * fastest layout for the small ways hardware-style caches use). Wider sets use the numeric
 * index and one index-linked LRU list per set.
 */
import { BaseCache, type ResolvedCacheOptions } from './base.js';
import { KeyIndex } from './key-index.js';
import { NodeLists } from './lists.js';
import { badParam, type PolicyDefinition } from './spec.js';

const EMPTY = -1;
const SCAN_LIMIT = 16;

/**
 * key mod sets. A mask when sets is a power of two; integer remainder for keys below 2^31;
 * floating-point remainder (exact, slower) for wider keys.
 */
function setIndex(key: number, sets: number, mask: number): number {
  if (mask >= 0) return (key >>> 0) & mask;
  return key <= 0x7fffffff ? (key | 0) % sets : key % sets;
}

/** Narrow sets: linear scan, LRU by use stamp. */
class ScanSetCache extends BaseCache {
  private readonly keyOf: Float64Array;
  private readonly stamp: Float64Array;
  private tick = 0;

  constructor(
    spec: string,
    options: ResolvedCacheOptions,
    private readonly ways: number,
    private readonly sets: number,
  ) {
    super(spec, options);
    this.keyOf = new Float64Array(options.capacityPages).fill(EMPTY);
    this.stamp = new Float64Array(options.capacityPages);
    this.mask = (sets & (sets - 1)) === 0 ? sets - 1 : -1;
  }

  /** sets - 1 when sets is a power of two, else -1. */
  private readonly mask: number;

  private findIn(base: number, key: number): number {
    const keyOf = this.keyOf;
    const end = base + this.ways;
    for (let slot = base; slot < end; slot++) if (keyOf[slot] === key) return slot;
    return -1;
  }

  protected lookupKey(key: number): number {
    const slot = this.findIn(setIndex(key, this.sets, this.mask) * this.ways, key);
    if (slot >= 0) this.stamp[slot] = ++this.tick;
    return slot;
  }

  protected insertKey(key: number): number {
    const base = setIndex(key, this.sets, this.mask) * this.ways;
    const resident = this.findIn(base, key);
    if (resident >= 0) return resident;
    return this.admitAt(base, key);
  }

  /** Fills the first empty way of the set, else replaces its least recently used one. */
  private admitAt(base: number, key: number): number {
    const keyOf = this.keyOf;
    const stamp = this.stamp;
    const end = base + this.ways;
    let victim = base;
    let oldest = Number.POSITIVE_INFINITY;
    for (let slot = base; slot < end; slot++) {
      if (keyOf[slot] === EMPTY) {
        victim = slot;
        oldest = -1;
        break;
      }
      if (stamp[slot]! < oldest) {
        oldest = stamp[slot]!;
        victim = slot;
      }
    }
    if (oldest !== -1) this.evictions++;
    keyOf[victim] = key;
    stamp[victim] = ++this.tick;
    return victim;
  }

  /** The replay loop, one copy per class so that its access() call site stays monomorphic. */
  override replay(keys: Float64Array): number {
    let hits = 0;
    for (let i = 0; i < keys.length; i++) if (this.access(keys[i]!)) hits++;
    return hits;
  }

  /** One pass over the set: the hit, or else the victim (first empty way, else the LRU way). */
  override access(key: number): boolean {
    const base = setIndex(key, this.sets, this.mask) * this.ways;
    const keyOf = this.keyOf;
    const stamp = this.stamp;
    const end = base + this.ways;
    let victim = -1;
    let oldest = Number.POSITIVE_INFINITY;
    for (let slot = base; slot < end; slot++) {
      const stored = keyOf[slot]!;
      if (stored === key) {
        stamp[slot] = ++this.tick;
        return true;
      }
      if (stored === EMPTY) {
        if (oldest !== -1) {
          oldest = -1;
          victim = slot;
        }
      } else if (stamp[slot]! < oldest) {
        oldest = stamp[slot]!;
        victim = slot;
      }
    }
    if (oldest !== -1) this.evictions++;
    keyOf[victim] = key;
    stamp[victim] = ++this.tick;
    return false;
  }
}

/** Wide sets: numeric index, one LRU list per set. */
class ListSetCache extends BaseCache {
  private readonly index: KeyIndex;
  private readonly lists: NodeLists;
  private readonly keyOf: Float64Array;
  /** sets - 1 when sets is a power of two, else -1. */
  private readonly mask: number;

  constructor(
    spec: string,
    options: ResolvedCacheOptions,
    private readonly ways: number,
    private readonly sets: number,
  ) {
    super(spec, options);
    this.mask = (sets & (sets - 1)) === 0 ? sets - 1 : -1;
    this.index = new KeyIndex(options.capacityPages);
    this.lists = new NodeLists(options.capacityPages, sets);
    this.keyOf = new Float64Array(options.capacityPages);
  }

  protected lookupKey(key: number): number {
    const slot = this.index.get(key);
    if (slot >= 0) this.lists.moveToHead(this.lists.listOf[slot]!, slot);
    return slot;
  }

  protected insertKey(key: number): number {
    const resident = this.index.get(key);
    if (resident >= 0) return resident;
    return this.admit(key);
  }

  private admit(key: number): number {
    const set = setIndex(key, this.sets, this.mask);
    const lists = this.lists;
    let slot: number;
    if (lists.size[set]! < this.ways) {
      slot = set * this.ways + lists.size[set]!;
    } else {
      slot = lists.popTail(set);
      this.index.delete(this.keyOf[slot]!);
      this.evictions++;
    }
    this.keyOf[slot] = key;
    this.index.set(key, slot);
    lists.pushHead(set, slot);
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
      this.lists.moveToHead(this.lists.listOf[slot]!, slot);
      return true;
    }
    this.admit(key);
    return false;
  }
}

export const setAssocPolicy: PolicyDefinition = {
  name: 'set-assoc',
  description: 'n-way set-associative, LRU within a set, set = page mod (c / ways); ways=1 is direct-mapped',
  params: {
    ways: { default: '2', values: 'a positive integer dividing the capacity (1, 2, 4, 8, ...)', description: 'pages per set' },
  },
  create(spec, options, params) {
    const text = params.ways!;
    const ways = /^\d+$/.test(text) ? Number(text) : Number.NaN;
    if (!(ways >= 1)) throw badParam('set-assoc', 'ways', text, setAssocPolicy.params.ways!);
    if (options.capacityPages % ways !== 0) {
      throw new Error(`set-assoc: capacity ${options.capacityPages} is not a multiple of ways=${ways}`);
    }
    const sets = options.capacityPages / ways;
    return ways <= SCAN_LIMIT ? new ScanSetCache(spec, options, ways, sets) : new ListSetCache(spec, options, ways, sets);
  },
};

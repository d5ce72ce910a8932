/**
 * What every policy shares: the content slab, lazily built per-slot views, counters, key
 * validation and the generation count. A policy implements three methods on raw keys:
 * `lookupKey` (record an access; slot or -1), `insertKey` (make resident; slot or -1) and,
 * where it can do better than lookup-then-insert, `access` (the replay step of simulateCache).
 */
import { allocatePages } from '../codecs/page-memory.js';
import type { CacheStats, PageCache } from './cache.js';

const MAX_KEY = Number.MAX_SAFE_INTEGER;

/** Options as resolved by the registry (defaults filled in). */
export interface ResolvedCacheOptions {
  capacityPages: number;
  pageSize: number;
  storeData: boolean;
}

export function checkKey(pageNumber: number): void {
  if (!(pageNumber >= 0 && pageNumber <= MAX_KEY && Math.floor(pageNumber) === pageNumber)) {
    throw new RangeError(`page number must be an integer in [0, 2^53), got ${pageNumber}`);
  }
}

export abstract class BaseCache implements PageCache {
  readonly capacityPages: number;
  readonly pageSize: number;
  protected readonly slab: Uint8Array | null;
  /** data(slot) views, built on first use so that data() never allocates twice. */
  private readonly views: (Uint8Array | undefined)[];
  /** Dirty-bitmap syncs so far (QEMU's "age"). */
  protected generation = 0;
  protected lookups = 0;
  protected hits = 0;
  protected inserts = 0;
  protected refused = 0;
  /** Incremented by the policy for each resident page it drops. */
  protected evictions = 0;

  constructor(
    readonly spec: string,
    options: ResolvedCacheOptions,
  ) {
    this.capacityPages = options.capacityPages;
    this.pageSize = options.pageSize;
    if (options.storeData) {
      const bytes = options.capacityPages * options.pageSize;
      try {
        // Kernel-visible memory: the delta codecs read cached pages in place.
        this.slab = allocatePages(options.capacityPages, options.pageSize);
      } catch {
        throw new RangeError(`cannot allocate a ${bytes}-byte page slab (${options.capacityPages} pages x ${options.pageSize} B); use storeData: false for access-only studies`);
      }
    } else {
      this.slab = null;
    }
    this.views = options.storeData ? new Array<Uint8Array | undefined>(options.capacityPages).fill(undefined) : [];
  }

  /** Records an access; the slot of a resident page, or -1. */
  protected abstract lookupKey(key: number): number;
  /** Makes `key` resident (after a missed lookup); its slot, or -1 when the policy refuses. */
  protected abstract insertKey(key: number): number;

  /** One replay step (every miss inserts): true on a hit. Validates nothing: keys are trusted. */
  access(key: number): boolean {
    if (this.lookupKey(key) >= 0) return true;
    this.insertKey(key);
    return false;
  }

  /** Replays keys (every miss inserts); the number of hits. Policies override it with a copy. */
  replay(keys: Float64Array): number {
    let hits = 0;
    for (let i = 0; i < keys.length; i++) if (this.access(keys[i]!)) hits++;
    return hits;
  }

  lookup(pageNumber: number): number {
    checkKey(pageNumber);
    this.lookups++;
    const slot = this.lookupKey(pageNumber);
    if (slot >= 0) this.hits++;
    return slot;
  }

  insert(pageNumber: number, page?: Uint8Array): number {
    checkKey(pageNumber);
    if (page !== undefined && page.length !== this.pageSize) {
      throw new RangeError(`insert: page has ${page.length} bytes, the cache holds ${this.pageSize}-byte pages`);
    }
    const slot = this.insertKey(pageNumber);
    if (slot < 0) {
      this.refused++;
      return -1;
    }
    this.inserts++;
    if (page !== undefined && this.slab !== null) this.slab.set(page, slot * this.pageSize);
    return slot;
  }

  data(slot: number): Uint8Array {
    const slab = this.slab;
    if (slab === null) throw new Error(`data(): cache "${this.spec}" was created with storeData: false`);
    let view = this.views[slot];
    if (view === undefined) {
      if (!(Number.isInteger(slot) && slot >= 0 && slot < this.capacityPages)) {
        throw new RangeError(`data(): slot ${slot} outside [0, ${this.capacityPages})`);
      }
      view = slab.subarray(slot * this.pageSize, (slot + 1) * this.pageSize);
      this.views[slot] = view;
    }
    return view;
  }

  nextGeneration(): void {
    this.generation++;
  }

  stats(): CacheStats {
    return {
      lookups: this.lookups,
      hits: this.hits,
      misses: this.lookups - this.hits,
      inserts: this.inserts,
      refused: this.refused,
      evictions: this.evictions,
    };
  }
}

/**
 * The contract every page-cache policy honours (issue #3). A cache holds the pages already
 * sent, so that a re-dirtied page can be delta-encoded against the receiver's copy.
 *
 * Slots are small integers in [0, capacityPages); page contents live in one preallocated
 * slab of capacityPages x pageSize bytes (none when storeData is false).
 */
export interface PageCache {
  /** The spec it was created from, normalised, e.g. `set-assoc:ways=2`. */
  readonly spec: string;
  readonly capacityPages: number;
  readonly pageSize: number;
  /** Records an access to `pageNumber`; returns its slot on a hit, -1 on a miss. */
  lookup(pageNumber: number): number;
  /**
   * Makes `pageNumber` resident (evicting as the policy says) and copies `page` into its slot
   * when given. Returns the slot, or -1 when the policy refuses (QEMU's age rule).
   * Call after a missed `lookup` of the same page; inserting a resident page refreshes it.
   */
  insert(pageNumber: number, page?: Uint8Array): number;
  /** The stored bytes of `slot` (a view into the slab; no allocation per call). */
  data(slot: number): Uint8Array;
  /** A dirty-bitmap sync happened: the generation count advances (QEMU's age rule uses it). */
  nextGeneration(): void;
  stats(): CacheStats;
}

export interface CacheStats {
  lookups: number;
  hits: number;
  misses: number;
  inserts: number;
  /** insert() calls the policy refused. */
  refused: number;
  evictions: number;
}

export interface CacheOptions {
  capacityPages: number;
  /** Bytes per page (default 4096). */
  pageSize?: number;
  /** Allocate the content slab (default true); false for access-only studies. */
  storeData?: boolean;
}

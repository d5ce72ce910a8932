/**
 * xoshiro128** (Blackman & Vigna): a fast 32-bit generator for workload writes. The state
 * lives in an Int32Array so that advancing it never boxes a number; it is seeded from
 * splitmix64 so that any 53-bit seed gives a well-mixed state. Same seed, same stream.
 */
import { SplitMix64 } from './splitmix64.js';

const TWO_POW_32 = 4294967296;

export class Xoshiro128 {
  readonly state = new Int32Array(4);

  constructor(seed: number | bigint) {
    this.reseed(seed);
  }

  reseed(seed: number | bigint): void {
    const mixer = new SplitMix64(seed);
    const first = mixer.next();
    const second = mixer.next();
    this.state[0] = Number(first & 0xffffffffn);
    this.state[1] = Number(first >> 32n);
    this.state[2] = Number(second & 0xffffffffn);
    this.state[3] = Number(second >> 32n);
    // An all-zero state would stay zero; splitmix64 never gives two zero outputs in a row,
    // but keep the guard for hand-set states.
    if ((this.state[0]! | this.state[1]! | this.state[2]! | this.state[3]!) === 0) this.state[0] = 1;
  }

  /** The next output as an unsigned 32-bit integer. */
  nextU32(): number {
    const s = this.state;
    const s0 = s[0]!;
    const s1 = s[1]!;
    const s2 = s[2]!;
    const s3 = s[3]!;
    const scaled = Math.imul(s1, 5);
    const result = Math.imul((scaled << 7) | (scaled >>> 25), 9);
    const t = s1 << 9;
    const n2 = s2 ^ s0;
    const n3 = s3 ^ s1;
    s[1] = s1 ^ n2;
    s[0] = s0 ^ n3;
    s[2] = n2 ^ t;
    s[3] = (n3 << 11) | (n3 >>> 21);
    return result >>> 0;
  }

  /** Uniform in [0, 1) with 53 random bits. */
  nextDouble(): number {
    const high = this.nextU32() >>> 5; // 27 bits
    const low = this.nextU32() >>> 6; // 26 bits
    return (high * 67108864 + low) / 9007199254740992;
  }

  /** Uniform integer in [0, bound), bound a positive integer up to 2^53. */
  nextBelow(bound: number): number {
    if (bound <= 65536) return Math.floor((this.nextU32() * bound) / TWO_POW_32);
    return Math.floor(this.nextDouble() * bound);
  }

  /**
   * Changes `bytes` bytes of the page at `offset` of `chunk` (pageSize bytes), in runs of
   * `run` consecutive bytes (the last run may be shorter) starting at random offsets: each
   * byte is XORed with a random non-zero value, so each byte written changes (runs that
   * overlap may cancel). The generator is inlined with its state in locals: this is the inner
   * loop of the sparse-write workloads.
   */
  scatterRuns(chunk: Uint8Array, offset: number, pageSize: number, bytes: number, run: number): void {
    const s = this.state;
    let s0 = s[0]!;
    let s1 = s[1]!;
    let s2 = s[2]!;
    let s3 = s[3]!;
    const span = pageSize - run + 1; // run starts in [0, pageSize - run]
    let left = bytes;
    while (left > 0) {
      const length = left < run ? left : run;
      left -= length;
      // one output for the start, one per 4 bytes of values
      let scaled = Math.imul(s1, 5);
      let output = Math.imul((scaled << 7) | (scaled >>> 25), 9);
      let t = s1 << 9;
      s2 ^= s0;
      s3 ^= s1;
      s1 ^= s2;
      s0 ^= s3;
      s2 ^= t;
      s3 = (s3 << 11) | (s3 >>> 21);
      const start = offset + Math.floor(((output >>> 0) * span) / 4294967296);
      for (let i = 0; i < length; i++) {
        if ((i & 3) === 0) {
          scaled = Math.imul(s1, 5);
          output = Math.imul((scaled << 7) | (scaled >>> 25), 9);
          t = s1 << 9;
          s2 ^= s0;
          s3 ^= s1;
          s1 ^= s2;
          s0 ^= s3;
          s2 ^= t;
          s3 = (s3 << 11) | (s3 >>> 21);
        }
        chunk[start + i] ^= ((output >>> ((i & 3) << 3)) & 0xff) | 1;
      }
    }
    s[0] = s0;
    s[1] = s1;
    s[2] = s2;
    s[3] = s3;
  }

  /**
   * Fills `words` with the stream (one output per 32-bit word). Inlined for speed: used for
   * random initial content of large images.
   */
  fillWords(words: Int32Array): void {
    const s = this.state;
    let s0 = s[0]!;
    let s1 = s[1]!;
    let s2 = s[2]!;
    let s3 = s[3]!;
    for (let i = 0; i < words.length; i++) {
      const scaled = Math.imul(s1, 5);
      words[i] = Math.imul((scaled << 7) | (scaled >>> 25), 9);
      const t = s1 << 9;
      s2 ^= s0;
      s3 ^= s1;
      s1 ^= s2;
      s0 ^= s3;
      s2 ^= t;
      s3 = (s3 << 11) | (s3 >>> 21);
    }
    s[0] = s0;
    s[1] = s1;
    s[2] = s2;
    s[3] = s3;
  }
}

/** A seed for sub-stream `index` of `seed` (distinct, well mixed, < 2^53). */
export function deriveSeed(seed: number, index: number): number {
  const mixer = new SplitMix64(BigInt(seed) * 0x10001n + BigInt(index) * 0x9e3779b97f4a7c15n);
  return Number(mixer.next() >> 11n);
}

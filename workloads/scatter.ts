/**
 * A bijection of [0, count) that spreads consecutive ranks over the range (rank * A + B mod
 * count, A coprime to count), so a hot set or the head of a Zipf distribution lands on pages
 * scattered through memory as in a real heap, not on one contiguous block. Exact in doubles
 * while count * A < 2^53.
 */
import type { Xoshiro128 } from './prng.js';

function gcd(a: number, b: number): number {
  while (b !== 0) [a, b] = [b, a % b];
  return a;
}

export class Scatter {
  readonly multiplier: number;
  readonly shift: number;

  constructor(
    readonly count: number,
    rng: Xoshiro128,
    enabled = true,
  ) {
    if (!enabled || count <= 2) {
      this.multiplier = 1;
      this.shift = 0;
      return;
    }
    let multiplier = Math.max(1, Math.min(Math.floor(count * 0.6180339887498949), Math.floor(2 ** 53 / count) - 1));
    while (gcd(multiplier, count) !== 1) multiplier--;
    this.multiplier = multiplier;
    this.shift = rng.nextBelow(count);
  }

  map(rank: number): number {
    return (rank * this.multiplier + this.shift) % this.count;
  }
}

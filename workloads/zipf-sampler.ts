/**
 * Zipf-distributed ranks 1..n with P(k) proportional to 1 / k^skew, by rejection-inversion
 * (Hörmann & Derflinger, "Rejection-inversion to generate variates from monotone discrete
 * distributions", 1996): O(1) memory and expected O(1) time per sample for any n and any
 * skew >= 0 (skew 0 is uniform). Written from the paper's construction: invert the integral
 * H of h(x) = x^-skew over [1.5, n + 0.5], round to the nearest integer k, and accept unless
 * the draw falls in the part of k's interval above h(k).
 */
import type { Xoshiro128 } from './prng.js';

/** log1p(x) / x, stable near 0. */
function log1pOverX(x: number): number {
  return Math.abs(x) > 1e-8 ? Math.log1p(x) / x : 1 - x * (0.5 - x * (1 / 3 - 0.25 * x));
}

/** expm1(x) / x, stable near 0. */
function expm1OverX(x: number): number {
  return Math.abs(x) > 1e-8 ? Math.expm1(x) / x : 1 + x * 0.5 * (1 + (x / 3) * (1 + 0.25 * x));
}

export class ZipfSampler {
  private readonly hIntegralX1: number;
  private readonly hIntegralN: number;
  private readonly acceptBelow: number;

  constructor(
    readonly n: number,
    readonly skew: number,
  ) {
    if (!Number.isInteger(n) || n < 1) throw new Error(`Zipf needs n >= 1, got ${n}`);
    if (!(skew >= 0)) throw new Error(`Zipf skew must be >= 0, got ${skew}`);
    this.hIntegralX1 = this.hIntegral(1.5) - 1;
    this.hIntegralN = this.hIntegral(n + 0.5);
    this.acceptBelow = 2 - this.hIntegralInverse(this.hIntegral(2.5) - this.h(2));
  }

  /** H(x) = (x^(1-s) - 1) / (1 - s), or log x when s = 1. */
  private hIntegral(x: number): number {
    const logX = Math.log(x);
    return expm1OverX((1 - this.skew) * logX) * logX;
  }

  private h(x: number): number {
    return Math.exp(-this.skew * Math.log(x));
  }

  private hIntegralInverse(x: number): number {
    let t = x * (1 - this.skew);
    if (t < -1) t = -1; // rounding guard: H's range ends at -1 / (1 - s)
    return Math.exp(log1pOverX(t) * x);
  }

  /** A rank in 1..n. */
  sample(rng: Xoshiro128): number {
    for (;;) {
      const u = this.hIntegralN + rng.nextDouble() * (this.hIntegralX1 - this.hIntegralN);
      const x = this.hIntegralInverse(u);
      let k = Math.floor(x + 0.5);
      if (k < 1) k = 1;
      else if (k > this.n) k = this.n;
      if (k - x <= this.acceptBelow || u >= this.hIntegral(k + 0.5) - this.h(k)) return k;
    }
  }
}

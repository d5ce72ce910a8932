/** Summary statistics of measured samples (benchmarks take the median of several rounds). */

/** The median; of an even count, the mean of the two middle values. NaN for no values. */
export function median(values: readonly number[]): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const middle = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
}

/**
 * The median over rounds of each round's ratio `values[r] / references[r]`: a throughput
 * against a reference measured in the same round. On a shared machine a slow stretch of some
 * seconds then slows both sides of the rounds it covers, and their ratios stay put, where a
 * ratio of the two medians takes each side from whichever rounds it was luckiest in. NaN when
 * there is no round with a positive reference.
 */
export function medianRatio(values: readonly number[], references: readonly number[]): number {
  if (values.length !== references.length) throw new RangeError(`medianRatio: ${values.length} values against ${references.length} references`);
  const ratios: number[] = [];
  for (let round = 0; round < values.length; round++) if (references[round]! > 0) ratios.push(values[round]! / references[round]!);
  return median(ratios);
}

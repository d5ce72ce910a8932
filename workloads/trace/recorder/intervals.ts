/** Summary of the gaps between snapshots (or epochs): what interval was achieved. */
export interface IntervalStats {
  count: number;
  minMs: number;
  medianMs: number;
  meanMs: number;
  maxMs: number;
}

/** Gaps between consecutive times (ms); undefined with fewer than two times. */
export function intervalStats(times: ArrayLike<number>, length = times.length): IntervalStats | undefined {
  if (length < 2) return undefined;
  const gaps = new Float64Array(length - 1);
  for (let i = 1; i < length; i++) gaps[i - 1] = times[i]! - times[i - 1]!;
  gaps.sort();
  const middle = gaps.length >> 1;
  const median = gaps.length % 2 === 1 ? gaps[middle]! : (gaps[middle - 1]! + gaps[middle]!) / 2;
  return { count: gaps.length, minMs: gaps[0]!, medianMs: median, meanMs: (times[length - 1]! - times[0]!) / gaps.length, maxMs: gaps[gaps.length - 1]! };
}

export function formatIntervals(stats: IntervalStats | undefined): string {
  if (!stats) return 'fewer than two snapshots';
  return `min ${stats.minMs.toFixed(1)} ms / median ${stats.medianMs.toFixed(1)} ms / max ${stats.maxMs.toFixed(1)} ms (mean ${stats.meanMs.toFixed(1)} ms over ${stats.count} gaps)`;
}

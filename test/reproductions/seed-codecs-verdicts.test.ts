// A verdict holds only within the claim, and says what was measured against it.
import { describe, expect, it } from 'vitest';
import type { CodecBenchRow } from '../../harness/codec-bench.js';
import { seedCodecVerdicts } from '../../reproductions/seed-codecs.js';
import { SCENARIOS } from '../../workloads/scenarios.js';

const SIZES: Record<string, number> = { SPARSE: 59, MEDIUM: 215, DENSE: 918, 'VERY-DENSE': 1530 };

function rows(xbzrleOverLz4: number): CodecBenchRow[] {
  const out: CodecBenchRow[] = [];
  for (const scenario of SCENARIOS) {
    const size = SIZES[scenario.name]!;
    const row = (codec: string, encodedBytes: number, encodeMBps: number): CodecBenchRow => ({ codec, scenario: scenario.name, encodedBytes, encodeMBps }) as unknown as CodecBenchRow;
    out.push(row('xbzrle', size, 100 * xbzrleOverLz4), row('xbrle', size / 0.7, 50), row('xor-lz4', size / 1.3, 100), row('xor-snappy', size / 1.3, 100 * xbzrleOverLz4));
  }
  return out;
}

describe('seed-codecs verdicts', () => {
  it('"2-5x faster" holds at 3x and not at 12x, and the measured text says which side it missed', () => {
    const within = seedCodecVerdicts(rows(3)).find((verdict) => verdict.claim.includes('faster than XOR+LZO'))!;
    expect(within).toMatchObject({ holds: true, measured: '3.0x / 3.0x / 3.0x / 3.0x (within 2-5x)' });
    const above = seedCodecVerdicts(rows(12)).find((verdict) => verdict.claim.includes('faster than XOR+LZO'))!;
    expect(above).toMatchObject({ holds: false, measured: '12.0x / 12.0x / 12.0x / 12.0x (above the claimed 2-5x)' });
    const below = seedCodecVerdicts(rows(1.5)).find((verdict) => verdict.claim.includes('faster than XOR+LZO'))!;
    expect(below).toMatchObject({ holds: false, measured: '1.5x / 1.5x / 1.5x / 1.5x (below the claimed 2-5x)' });
  });
  it('the exact-size and ~30% claims are judged as before', () => {
    const verdicts = seedCodecVerdicts(rows(3));
    expect(verdicts.map((verdict) => verdict.holds)).toEqual([true, true, true, true, true, false]);
  });
});

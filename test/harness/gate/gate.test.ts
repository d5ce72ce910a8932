import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import type { Codec } from '../../../codecs/codec.js';
import { getCodec } from '../../../codecs/registry.js';
import { compareGate, formatBaseline, type GateMeasurement, mergeBaselines, readBaseline, runGate, runGateSuite } from '../../../harness/gate/gate.js';
import { temporaryDirectory } from '../../temporary-directory.js';

const CLI = fileURLToPath(new URL('../../../dist/cli/main.js', import.meta.url));

function measurement(exact: Record<string, number | boolean>, ratios: Record<string, number>): GateMeasurement {
  return {
    version: 1,
    machine: { cpu: 'test', cores: 2, node: process.version, generatedAt: '2026-01-01T00:00:00Z' },
    suite: {},
    tolerances: { warn: 0.1, fail: 0.25 },
    exact,
    ratios,
  };
}

describe('compareGate', () => {
  const baseline = measurement({ 'codec.xbzrle.SPARSE.encodedBytes': 15104, 'cache.lru.hitRatio': 0.5 }, { 'throughput.xbzrle.SPARSE.encode': 2.0 });

  it('passes on unchanged results', () => {
    const report = compareGate(baseline, structuredClone(baseline));
    expect(report.passed).toBe(true);
    expect(report.figures.map((figure) => figure.verdict)).toEqual(['ok', 'ok', 'ok']);
  });

  it('fails when a deterministic figure changes, naming it with baseline and current', () => {
    const changed = structuredClone(baseline);
    changed.exact['codec.xbzrle.SPARSE.encodedBytes'] = 15105;
    const report = compareGate(baseline, changed);
    expect(report.passed).toBe(false);
    expect(report.failed).toBe(1);
    expect(report.figures.find((figure) => figure.verdict === 'FAIL')).toMatchObject({
      figure: 'codec.xbzrle.SPARSE.encodedBytes',
      baseline: 15104,
      current: 15105,
      note: 'deterministic figure changed',
    });
  });

  it('warns beyond 10% and fails beyond 25% slowdown of a throughput ratio; speedups pass', () => {
    const verdict = (ratio: number): string => {
      const current = structuredClone(baseline);
      current.ratios['throughput.xbzrle.SPARSE.encode'] = ratio;
      return compareGate(baseline, current).figures.find((figure) => figure.kind === 'ratio')!.verdict;
    };
    expect(verdict(1.85)).toBe('ok'); // 7.5% slower
    expect(verdict(1.7)).toBe('warn'); // 15% slower
    expect(verdict(1.4)).toBe('FAIL'); // 30% slower
    expect(verdict(3.0)).toBe('ok');
  });

  it('fails on a figure missing from the run; a new figure is reported but passes', () => {
    const current = structuredClone(baseline);
    delete current.exact['cache.lru.hitRatio'];
    current.exact['cache.arc.hitRatio'] = 0.6;
    const report = compareGate(baseline, current);
    expect(report.figures.find((figure) => figure.figure === 'cache.lru.hitRatio')).toMatchObject({ verdict: 'FAIL', note: 'missing from this run' });
    expect(report.figures.find((figure) => figure.figure === 'cache.arc.hitRatio')!.verdict).toBe('new');
    expect(report.failed).toBe(1);
  });
});

describe('the gate suite end to end', () => {
  const options = { sizeCodecs: ['xbzrle', 'xor-lz4'], throughputCodecs: ['xbzrle'], scenarios: ['SPARSE', 'DENSE'], rounds: 3, minMeasureMs: 8, sections: false };

  /** xbzrle doing its work three times over: same output, a third of the speed. */
  function slowedFactory(name: string): Codec {
    const codec = getCodec(name);
    if (name !== 'xbzrle') return codec;
    return {
      ...codec,
      name: codec.name,
      encode(old, cur, out) {
        codec.encode(old, cur, out);
        codec.encode(old, cur, out);
        return codec.encode(old, cur, out);
      },
      decode: (encoded, page) => codec.decode(encoded, page),
    };
  }

  it('measures exact sizes (the canonical XBZRLE bytes) and fails a deliberately slowed codec', async () => {
    const baseline = await runGateSuite(options);
    // 59 and 918 bytes per canonical page, 256 pages.
    expect(baseline.exact['codec.xbzrle.SPARSE.encodedBytes']).toBe(59 * 256);
    expect(baseline.exact['codec.xbzrle.DENSE.encodedBytes']).toBe(918 * 256);
    expect(baseline.exact['codec.xor-lz4.DENSE.roundTrip']).toBe(true);
    expect(Object.keys(baseline.ratios).sort()).toEqual([
      'throughput.xbzrle.DENSE.decode',
      'throughput.xbzrle.DENSE.encode',
      'throughput.xbzrle.SPARSE.decode',
      'throughput.xbzrle.SPARSE.encode',
    ]);

    const slowed = await runGate(baseline, { ...options, codecFactory: slowedFactory, confirmations: 1 });
    expect(slowed.report.passed).toBe(false);
    const encode = slowed.report.figures.filter((figure) => figure.figure.endsWith('.encode'));
    expect(encode.map((figure) => figure.verdict)).toEqual(['FAIL', 'FAIL']);
    // Same bytes: the exact figures still match; decode was not slowed.
    expect(slowed.report.figures.filter((figure) => figure.kind === 'exact').every((figure) => figure.verdict === 'ok')).toBe(true);

    // Unchanged code: every exact figure matches and no throughput fails by a wide margin
    // (the 25% verdicts are for CI; this machine is shared, so the test allows for noise).
    const unchanged = await runGate(baseline, { ...options, tolerances: { warn: 0.25, fail: 0.5 } });
    expect(unchanged.report.figures.filter((figure) => figure.kind === 'exact').every((figure) => figure.verdict === 'ok')).toBe(true);
    expect(unchanged.report.passed).toBe(true);
  });
});

describe('pagedelta gate (CLI)', () => {
  // Budget from what it does: two whole gate suites (one per process) and one exact-only run,
  // each ~5-20 s on an idle 2-core machine and several times that under load.
  it('--update writes a baseline; a changed figure exits 1 naming it; a missing baseline is one line', { timeout: 600_000 }, () => {
    const dir = temporaryDirectory('pagedelta-gate-');
    const baseline = join(dir, 'baseline.json');
    const update = spawnSync(process.execPath, [CLI, 'gate', '--update', '--rounds', '1', '--processes', '2', '--baseline', baseline], { encoding: 'utf8', timeout: 540_000 });
    expect(update.status).toBe(0);
    expect(update.stdout).toBe('');
    const written = readBaseline(baseline);
    expect(written.exact['codec.xbzrle.MEDIUM.encodedBytes']).toBe(215 * 256);
    // The cache section: hits of every policy on the seeded Zipf trace; OPT bounds them all.
    const hits = Object.entries(written.exact).filter(([name]) => /^cache\..*\.zipf\.hits$/.test(name));
    expect(hits.length).toBeGreaterThanOrEqual(10);
    for (const [, value] of hits) expect(value).toBeLessThanOrEqual(written.exact['cache.opt.zipf.hits'] as number);
    expect(readFileSync(baseline, 'utf8')).toBe(formatBaseline(written));

    written.exact['codec.xbzrle.MEDIUM.encodedBytes'] = 215 * 256 - 1;
    writeFileSync(baseline, formatBaseline(written));
    const gate = spawnSync(process.execPath, [CLI, 'gate', '--exact-only', '--baseline', baseline], {
      encoding: 'utf8',
      timeout: 120_000,
    });
    expect(gate.status).toBe(1);
    expect(gate.stdout).toMatch(/\| codec\.xbzrle\.MEDIUM\.encodedBytes \| exact \| 55039 \| 55040 \| {2}\| FAIL \| deterministic figure changed \|/);
    expect(gate.stderr).toMatch(/gate: FAIL \(1 failed/);
    expect(gate.stdout).not.toContain('throughput.');

    // A slowdown must warn before it fails: refused before the suite runs, also against the baseline's.
    const inverted = spawnSync(process.execPath, [CLI, 'gate', '--warn', '0.5', '--fail', '0.1', '--baseline', baseline], { encoding: 'utf8' });
    expect(inverted.status).toBe(1);
    expect(inverted.stderr).toBe('pagedelta: --warn 0.5 is above --fail 0.1: a slowdown must warn before it fails\n');
    const againstBaseline = spawnSync(process.execPath, [CLI, 'gate', '--warn', '0.9', '--baseline', baseline], { encoding: 'utf8' });
    expect(againstBaseline.status).toBe(1);
    expect(againstBaseline.stderr.trim().split('\n')).toEqual([expect.stringMatching(/^pagedelta: warn tolerance 0\.9 is above fail tolerance 0\.\d+ \(from .*\): a slowdown must warn before it fails$/)]);

    const missing = spawnSync(process.execPath, [CLI, 'gate', '--baseline', join(dir, 'nope.json')], { encoding: 'utf8' });
    expect(missing.status).toBe(1);
    expect(missing.stderr.trim().split('\n')).toEqual([expect.stringMatching(/cannot read baseline .*nope\.json: ENOENT \(create it with gate --update\)/)]);
  });
});

describe('gate baselines from several processes', () => {
  const run = (ratios: Record<string, number>, exact: Record<string, number | string | boolean> = { 'codec.xbzrle.SPARSE.encodedBytes': 15104 }): GateMeasurement => ({
    version: 1,
    machine: { cpu: 'test', cores: 2, node: 'v20', generatedAt: '2026-01-01T00:00:00.000Z' },
    suite: { pages: 256 },
    tolerances: { warn: 0.1, fail: 0.25 },
    exact,
    ratios,
    samples: { a: [1, 2] },
  });

  it('keeps each ratio of the slowest run and the exact figures as they are', () => {
    const merged = mergeBaselines([run({ a: 7.5, b: 1.0 }), run({ a: 5.4, b: 1.2 }), run({ a: 7.9, b: 0.9 })]);
    expect(merged.ratios).toEqual({ a: 5.4, b: 0.9 });
    expect(merged.exact).toEqual({ 'codec.xbzrle.SPARSE.encodedBytes': 15104 });
    expect(merged.samples).toBeUndefined();
  });

  it('refuses runs that disagree on an exact figure or measured different figures', () => {
    expect(() => mergeBaselines([run({ a: 1 }), run({ a: 1 }, { 'codec.xbzrle.SPARSE.encodedBytes': 15105 })])).toThrow(
      'gate runs disagree on the exact figure codec.xbzrle.SPARSE.encodedBytes: 15104 vs 15105',
    );
    expect(() => mergeBaselines([run({ a: 1 }), run({ b: 1 })])).toThrow(/different figures/);
    expect(() => mergeBaselines([])).toThrow(/no gate runs/);
  });
});

import { describe, expect, it } from 'vitest';
import { parseExperiment } from '../../../harness/experiment/experiment.js';
import { runExperiment } from '../../../harness/experiment/runner.js';
import { buildFigure, renderSvg } from '../../../results/plots.js';
import { buildReport } from '../../../results/report.js';
import type { ResultRow } from '../../../results/rows.js';
import { metricTable } from '../../../results/views.js';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { reproduceCacheSizing } from '../../../reproductions/cache-sizing.js';
import { reproduceConvergenceMap } from '../../../reproductions/convergence-map.js';
import { temporaryDirectory } from '../../temporary-directory.js';

const GRID = {
  name: 'tiny-migrations',
  codecs: ['none', 'xbzrle'],
  caches: ['qemu'],
  cacheSizes: ['4M'],
  workloads: ['hotset:rate=5000,hot=256,share=0.95,bytes=16'],
  guestSizes: ['8M'],
  bandwidths: ['20Mbit', '1Gbit'],
  settings: { cpu: 'model', maxRounds: 15 },
};

/** Everything but the wall time. */
function deterministic(rows: ResultRow[]): Record<string, unknown> {
  return Object.fromEntries(rows.map(({ wallMs: _w, ...rest }) => [rest.cell, rest]));
}

describe('migration cells', () => {
  it('a cache larger than the guest is refused up front, naming both keys', () => {
    expect(() => parseExperiment({ ...GRID, cacheSizes: ['4M', '16M'] })).toThrow(/cacheSizes\[1\]: 16 MiB is larger than guestSizes\[0\] \(8 MiB\)/);
  });

  it('run end to end in model mode, identically in this thread and on two workers', async () => {
    const experiment = parseExperiment(GRID);
    const inThread = await runExperiment(experiment, { workers: 0 });
    const pooled = await runExperiment(experiment, { workers: 2 });
    expect(inThread.rows).toHaveLength(4);
    expect(deterministic(pooled.rows)).toEqual(deterministic(inThread.rows));
    for (const row of inThread.rows) {
      expect(row).toMatchObject({ kind: 'migration', verified: true, ramBytes: 8 * 2 ** 20, mode: 'qemu', seed: 1 });
      expect(Array.isArray(row.timeline)).toBe(true);
      // A guest sent whole before the first 100 ms bandwidth estimate stops without a pre-copy sync.
      const stages = (row.timeline as { stage: string }[]).map((entry) => entry.stage);
      expect(stages.at(-1)).toBe('stop-and-copy');
      expect(stages.slice(0, -1).every((stage) => stage === 'bulk' || stage === 'iterative')).toBe(true);
      expect(row.wireBytes).toBeGreaterThan(0);
    }
    const slow = (codec: string): ResultRow => inThread.rows.find((row) => row.codec === codec && row.bandwidthBps === 20e6 / 8)!;
    // The hot set (1 MiB) rewritten at 5,000 writes/s outruns 20 Mbit/s whole; deltas fit
    // (its 256 pages, placed at random, collide little in the 1024-slot cache).
    expect(slow('none')).toMatchObject({ cache: null, cacheBytes: 0, converged: false, missRate: null });
    expect(slow('xbzrle')).toMatchObject({ cache: 'qemu', converged: true });
    expect(slow('xbzrle').downtimeMs as number).toBeLessThan(slow('none').downtimeMs as number);

    const table = metricTable(inThread.rows, { metric: 'downtime', pivot: 'bandwidthBps' });
    expect(table.columns.map((column) => column.title ?? column.key)).toEqual(['codec', 'cache', 'cacheBytes', '20 Mbit/s', '1 Gbit/s']);

    for (const kind of ['downtime-vs-cache-size', 'time-vs-bandwidth', 'timeline'] as const) {
      expect(await renderSvg(buildFigure(kind, inThread.rows))).toMatch(/^<svg /);
    }
    const report = await buildReport(inThread.rows);
    expect(report.figures.map((figure) => figure.name)).toEqual(expect.arrayContaining(['downtime-vs-cache-size', 'time-vs-bandwidth', 'timeline']));
    expect(report.html).toContain('Downtime (ms): migrations');
  });
});

describe('convergence-map', () => {
  it('maps convergence per codec and states its inputs and the published figures', async () => {
    const tables = await reproduceConvergenceMap({ rates: [2000, 40000], bandwidths: ['20Mbit'], guestSize: '8M', cacheSize: '4M', workers: 0 });
    const [map, effect, published] = tables;
    expect(map!.rows).toHaveLength(2);
    expect(map!.notes!.join(' ')).toMatch(/Inputs: guest 8 MiB .*seed 1/);
    expect(String(map!.rows[0]!['bw2500000'])).toMatch(/^(yes|NO) [\d.]+ ms \/ (yes|NO) [\d.]+ ms \/ (yes|NO) [\d.]+ ms$/);
    expect(effect!.rows).toHaveLength(2);
    expect(published!.rows.map((row) => row.source)).toEqual(['XBZRLE patch v4 (2011)', "VEE'11 abstract"]);
    expect(map!.figures?.[0]?.name).toBe('convergence-map');
    expect(await renderSvg(map!.figures![0]!)).toMatch(/^<svg /);
  });
});

describe('cache-sizing', () => {
  it('tabulates downtime and miss rate per policy and size on Zipf and on a recorded trace', async () => {
    const dir = temporaryDirectory('pagedelta-sizing-');
    const trace = join(dir, 'keys.txt');
    // A small "recorded" trace: a loop over 600 pages, 40,000 accesses.
    writeFileSync(trace, `${Array.from({ length: 40_000 }, (_, i) => (i * 7) % 600).join('\n')}\n`);
    const tables = await reproduceCacheSizing({ tracePath: trace, policies: ['qemu', 'lru'], cacheSizes: ['1M', '4M'], guestSize: '8M', workers: 0 });
    const [downtime, missRate, mrc] = tables;
    expect(new Set(downtime!.rows.map((row) => `${row.workload} ${row.cache}`))).toEqual(
      new Set(['trace keys.txt qemu', 'trace keys.txt lru', 'Zipf(0.9) qemu', 'Zipf(0.9) lru', 'trace keys.txt no compression', 'Zipf(0.9) no compression']),
    );
    // The baseline uses no cache: one migration per workload, the same figure in every size column.
    for (const row of downtime!.rows.filter((r) => r.cache === 'no compression')) {
      expect(row[`downtimeMs@${2 ** 20}`]).toBeGreaterThan(0);
      expect(row[`downtimeMs@${4 * 2 ** 20}`]).toBe(row[`downtimeMs@${2 ** 20}`]);
    }
    expect(downtime!.figures![0]!.caption).toMatch(/baseline "no compression", codec none/);
    expect(downtime!.columns.map((column) => column.title ?? column.key)).toEqual(['workload', 'cache', '1 MiB', '4 MiB']);
    expect(downtime!.notes!.join(' ')).toMatch(/Inputs: guest 8 MiB, xbzrle.*seed 1/);
    expect(missRate!.rows).toHaveLength(4);
    // The access-only curve: LRU on a 600-page loop misses always below 600 pages (1 MiB = 256),
    // and only the 600 compulsory misses at 4 MiB (1024 pages).
    const lru = mrc!.rows.find((row) => row.cache === 'lru')!;
    expect(lru[`missRate@${2 ** 20}`]).toBe(1);
    expect(lru[`missRate@${4 * 2 ** 20}`]).toBe(600 / 40_000);
    expect(mrc!.rows.map((row) => row.cache)).toContain('opt');
    expect(await renderSvg(downtime!.figures![0]!)).toMatch(/^<svg /);
  });
});

describe('migration cells use the migration defaults', () => {
  it("max-bandwidth unset is migrate's default (QEMU's 128 MiB/s); none and null mean no cap", async () => {
    const { DEFAULTS } = await import('../../../harness/migration/options.js');
    const { simulateMigration } = await import('../../../harness/migration/simulate.js');
    const base = { codecs: ['xbzrle'], caches: ['qemu'], cacheSizes: ['1M'], workloads: ['idle:content=random'], guestSizes: ['32M'] };
    expect(parseExperiment(base).settings.maxBandwidthBps).toBe(DEFAULTS.maxBandwidthBps);
    expect(parseExperiment({ ...base, settings: { maxBandwidth: 'none' } }).settings.maxBandwidthBps).toBeNull();
    expect(parseExperiment({ ...base, settings: { maxBandwidth: null } }).settings.maxBandwidthBps).toBeNull();
    const { rows } = await runExperiment(parseExperiment({ ...base, bandwidths: ['10Gbit'] }), { workers: 0 });
    const direct = simulateMigration({ workload: 'idle:content=random', ramBytes: 32 * 2 ** 20, cacheBytes: 2 ** 20, cache: 'qemu', bandwidthBps: 1.25e9 });
    // At 10 Gbit/s the cap binds: the cell's time is the capped one, as in migrate.
    expect(rows[0]!.totalTimeMs).toBe(direct.totalTimeMs);
    const uncapped = await runExperiment(parseExperiment({ ...base, bandwidths: ['10Gbit'], settings: { maxBandwidth: 'none' } }), { workers: 0 });
    expect(Number(uncapped.rows[0]!.totalTimeMs)).toBeLessThan(direct.totalTimeMs / 2);
  });
});

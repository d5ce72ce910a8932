/**
 * cache-sizing: downtime and cache miss rate vs cache size for each policy, on a Zipf
 * workload and on a recorded trace (the CloudPhysics block-I/O trace, replayed as the guest's
 * writes with its block numbers folded into the guest). Migrations run through the
 * experiment harness (both cores) in `cpu: model`; the trace's own miss-ratio curve comes
 * from access-only cache cells.
 */
import { basename } from 'node:path';
import { CLOUDPHYSICS_TRACE, findDataFile } from '../reference/data.js';
import { type Experiment, parseExperiment } from '../harness/experiment/experiment.js';
import { runExperiment } from '../harness/experiment/runner.js';
import { formatBytes } from '../units/quantities.js';
import type { ResultRow } from '../results/rows.js';
import type { Table } from '../results/table.js';
import { metricTable, NO_COMPRESSION, withNoCompressionBaseline } from '../results/views.js';

export interface CacheSizingOptions {
  quick?: boolean;
  workers?: number;
  /** The recorded trace (default: data/cloudphysics-io.keys; null: none). */
  tracePath?: string | null;
  /** Override the grid (tests). */
  policies?: string[];
  cacheSizes?: string[];
  guestSize?: string;
  onProgress?: (message: string) => void;
}

export const ZIPF_WORKLOAD = 'zipf:skew=0.9,rate=20000,bytes=16';
/** 113,872 accesses at 200 us each (5,000/s) over 22.8 s, longer than the migrations take. */
const TRACE_PARAMS = 'unit=us,scale=200,fold=true,bytes=16';

export function cacheSizingExperiments(
  quick: boolean,
  tracePath: string | null,
  grid: Pick<CacheSizingOptions, 'policies' | 'cacheSizes' | 'guestSize'> = {},
): { migrations: Experiment; accesses: Experiment | null } {
  const policies = grid.policies ?? (quick ? ['qemu', 'lru', 'lirs'] : ['qemu', 'qemu-noage', 'set-assoc:ways=2', 'lru', '2q', 'arc', 'lirs', 's3fifo']);
  const cacheSizes = grid.cacheSizes ?? (quick ? ['1M', '4M', '16M'] : ['1M', '2M', '4M', '8M', '16M', '32M']);
  const workloads = [ZIPF_WORKLOAD, ...(tracePath ? [`trace:${tracePath},${TRACE_PARAMS}`] : [])];
  const migrations = parseExperiment(
    {
      name: 'cache-sizing',
      kinds: ['migration'],
      // none: the no-compression baseline each policy is judged against (it needs no cache).
      codecs: ['xbzrle', 'none'],
      caches: policies,
      cacheSizes,
      workloads,
      guestSizes: [grid.guestSize ?? (quick ? '32M' : '64M')],
      bandwidths: ['100Mbit'],
      downtimeLimits: ['300ms'],
      modes: ['qemu'],
      seeds: [1],
      settings: { cpu: 'model', maxRounds: 30 },
    },
    { source: 'cache-sizing' },
  );
  const accesses = tracePath
    ? parseExperiment(
        {
          name: 'cache-sizing-trace',
          kinds: ['cache'],
          caches: [...policies, 'opt'],
          cacheSizes,
          traces: [tracePath],
        },
        { source: 'cache-sizing' },
      )
    : null;
  return { migrations, accesses };
}

function sourceLabel(row: ResultRow): string {
  const text = String(row.workload ?? row.source);
  if (!text.startsWith('trace:')) return 'Zipf(0.9)';
  return `trace ${basename(text.slice('trace:'.length).split(',')[0]!)}`;
}

export async function reproduceCacheSizing(options: CacheSizingOptions = {}): Promise<Table[]> {
  const tracePath = options.tracePath === undefined ? findDataFile(CLOUDPHYSICS_TRACE) : options.tracePath;
  const { migrations, accesses } = cacheSizingExperiments(options.quick ?? false, tracePath, options);
  let lastReport = 0;
  const run = async (experiment: Experiment): Promise<ResultRow[]> =>
    (
      await runExperiment(experiment, {
        ...(options.workers !== undefined ? { workers: options.workers } : {}),
        onProgress: (progress) => {
          if (progress.done === progress.total || performance.now() - lastReport > 5000) {
            lastReport = performance.now();
            options.onProgress?.(`${experiment.name}: ${progress.done}/${progress.total} cells`);
          }
        },
      })
    ).rows.map((row) => ({ ...row, workload: row.workload === undefined ? row.workload : sourceLabel(row) }));
  // The baseline repeated at every cache size, as the series "no compression".
  const migrationRows = withNoCompressionBaseline(await run(migrations));
  const ramBytes = migrations.guestSizes[0]!;
  const inputs = [
    `Inputs: guest ${formatBytes(ramBytes)}, xbzrle (and, as the baseline "${NO_COMPRESSION}", codec none: its figures do not depend on the cache size), mode qemu, 100 Mbit/s, downtime limit 300 ms, no max-bandwidth cap, cpu model, seed 1, at most 30 rounds.`,
    `Workloads: ${ZIPF_WORKLOAD} (Zipf over every page of the guest, 16 changed bytes per write)${tracePath ? `; ${tracePath} replayed as writes (${TRACE_PARAMS}: one access per 200 us, block numbers folded modulo the guest's pages, 16 changed bytes per access)` : '; data/cloudphysics-io.keys is missing from this installation: its rows are missing'}.`,
  ];
  const downtime = metricTable(migrationRows, { metric: 'downtime', groupBy: ['workload', 'cache'], pivot: 'cacheBytes' });
  downtime.title = 'Downtime (ms) vs cache size, per policy';
  downtime.notes = inputs;
  const missRate = metricTable(migrationRows, { metric: 'miss-rate', groupBy: ['workload', 'cache'], pivot: 'cacheBytes' });
  missRate.title = 'XBZRLE cache-miss-rate during the migration vs cache size, per policy';
  missRate.notes = ['cache-miss-rate as QEMU reports it: misses / pages looked up after the bulk pass.', ...inputs];
  const tables: Table[] = [downtime, missRate];

  if (accesses) {
    const accessRows = await run(accesses);
    const mrc = metricTable(accessRows, { metric: 'miss-rate', groupBy: ['cache'], pivot: 'cacheBytes' });
    mrc.title = 'The recorded trace itself: miss ratio vs cache size (access-only replay, every miss inserts)';
    mrc.notes = [
      `Trace: ${tracePath}, each key a page; cache sizes in ${migrations.settings.pageSize}-byte pages (1 MiB = 256 pages). opt (Belady) is the bound.`,
      'Published: libCacheSim ships this trace as sample data without reference miss ratios at these sizes; seed-caches prints its miss-ratio curve at other sizes.',
    ];
    tables.push(mrc);
  }

  const points = migrationRows.map((row) => ({
    workload: row.workload,
    cache: row.cache,
    cacheMiB: (row.cacheBytes as number) / 2 ** 20,
    downtimeMs: row.downtimeMs,
    missRate: row.missRate,
  }));
  const panel = (field: string, title: string, scale: object, ticks?: number[]): object => ({
    width: 300,
    height: 220,
    // Each series has its own dash and hollow point shape, so policies whose figures coincide
    // (lru and arc here) both show.
    layer: [
      { mark: { type: 'line', strokeWidth: 2 }, encoding: { strokeDash: { field: 'cache', type: 'nominal', title: 'policy' } } },
      { mark: { type: 'point', filled: false, size: 80, strokeWidth: 2 }, encoding: { shape: { field: 'cache', type: 'nominal', title: 'policy' } } },
    ],
    encoding: {
      x: { field: 'cacheMiB', type: 'quantitative', title: 'cache size (MiB, log scale)', scale: { type: 'log', base: 2 }, axis: { values: [...new Set(points.map((p) => p.cacheMiB))] } },
      y: { field, type: 'quantitative', title, scale, ...(ticks ? { axis: { values: ticks } } : {}) },
      color: { field: 'cache', type: 'nominal', title: 'policy' },
    },
  });
  downtime.figures = [
    {
      name: 'cache-sizing',
      title: 'Downtime and miss rate vs cache size, per policy',
      caption: `${inputs.join(' ')} Policies with identical figures share a line; their dash patterns and point shapes differ, so each shows.`,
      spec: {
        $schema: 'https://vega.github.io/schema/vega-lite/v5.json',
        title: { text: 'XBZRLE migration: downtime and cache-miss-rate vs cache size', subtitle: `guest ${formatBytes(ramBytes)}, 100 Mbit/s, 300 ms limit` },
        data: { values: points },
        facet: { row: { field: 'workload', type: 'nominal', title: null, header: { labelFontSize: 12 } } },
        resolve: { scale: { y: 'independent' } },
        spec: { hconcat: [panel('downtimeMs', 'downtime (ms, symlog scale)', { type: 'symlog' }, [0, 3, 10, 30, 100, 300, 1000, 3000, 10000]), panel('missRate', 'cache-miss-rate', { domain: [0, 1] })] },
        config: { background: 'white', font: 'DejaVu Sans, sans-serif' },
      },
    },
  ];
  return tables;
}

/** `pagedelta caches list|sim|bench`: the cache policies, trace replays, throughput. */
import type { CommandModule } from 'yargs';
import { cachePolicies } from '../../caches/registry.js';
import { splitSpecs } from '../../caches/spec.js';
import { loadTraceKeys } from '../../harness/cache/access-keys.js';
import { benchmarkCaches, COPY_ONLY, DEFAULT_ZIPF } from '../../harness/cache/bench.js';
import { cacheSimTable, simulateCaches, validateSimulation } from '../../harness/cache/sim.js';
import { workloadAccessKeys } from '../../harness/cache/workload-keys.js';
import { renderTable, TABLE_FORMATS, type Table, type TableFormat } from '../../results/table.js';
import { createWorkload, DEFAULT_WORKLOAD_SEED } from '../../workloads/registry.js';
import { checkFlag, CliError, emit, splitList } from '../output.js';
import { MAX_SYNTH_DURATION_MS, MAX_SYNTH_EPOCHS } from '../../workloads/trace/synthesize.js';
import { formatDuration, parseCount, parseDuration } from '../../units/quantities.js';

interface CachesArgs {
  action: 'list' | 'sim' | 'bench';
  trace?: string;
  workload?: string;
  pages: number;
  duration: string | number;
  interval: string | number;
  policy?: string[];
  capacity?: string[];
  collapseRepeats: boolean;
  generation?: number;
  requests: number;
  distinct: number;
  skew: number;
  seed?: number;
  runs: number;
  storeData: boolean;
  format: TableFormat;
  out?: string;
}

/** Largest --capacity: a policy's index costs up to a few hundred bytes a page (lirs). */
const MAX_CAPACITY_PAGES = 2 ** 20;
/** Largest --workload guest: the workload writes real page contents (4 KiB a page). */
const MAX_SIM_PAGES = 2 ** 18;
/** Every sync round scans every page's dirty bit: rounds x pages is the run's cost. */
const MAX_SIM_PAGE_SCANS = 2 ** 32;
/** Lookups a --workload run may collect (8 bytes each; the buffer doubles up to 2^24). */
const MAX_SIM_REQUESTS = 16_000_000;

function parseCapacities(values: string[] | undefined): number[] {
  return splitList(values, '--capacity').map((text) => {
    const pages = parseCount(text); // SI: 4k = 4000 pages (docs/units.md)
    if (!Number.isInteger(pages)) throw new CliError(`--capacity: "${text}" is not a page count (an integer, optionally with k, M or G)`);
    return checkFlag('--capacity', pages, { min: 1, max: MAX_CAPACITY_PAGES, unit: 'pages' });
  });
}

function positive(flag: string, value: number, integer = true): void {
  if (!Number.isFinite(value) || value <= 0 || (integer && !Number.isInteger(value))) {
    throw new CliError(`${flag} must be a positive ${integer ? 'integer' : 'number'}, got ${value}`);
  }
}

/** A positive duration flag (units/ rules: a bare number is ms). */
function duration(flag: string, value: string | number): number {
  let ms: number;
  try {
    ms = parseDuration(value, flag);
  } catch (error) {
    throw new CliError((error as Error).message);
  }
  if (!(ms > 0)) throw new CliError(`${flag} must be a positive duration, got "${value}"`);
  return ms;
}

export const cachesCommand: CommandModule = {
  command: 'caches <action>',
  describe: 'list the cache policies, replay an access trace through them (sim), or measure their speed (bench)',
  builder: (yargs) =>
    yargs
      .positional('action', { choices: ['list', 'sim', 'bench'] as const, describe: 'what to do' })
      .option('trace', { type: 'string', describe: 'access trace: one key per line, time,page CSV, or a binary pagedelta access trace' })
      .option('workload', { type: 'string', describe: 'sim: a workload spec (see `pagedelta workloads list`); each dirty page is looked up once per sync round' })
      .option('pages', { type: 'number', default: 65536, describe: 'sim --workload: guest pages (4 KiB)' })
      .option('duration', { type: 'string', default: '10s', describe: 'sim --workload: simulated time (10s, 500ms; a bare number is ms)' })
      .option('interval', { type: 'string', default: '100ms', describe: 'sim --workload: time between dirty-bitmap syncs, one generation each (100ms, 1s; a bare number is ms)' })
      .option('policy', { type: 'string', array: true, describe: 'policy specs, comma-separated (e.g. lru,set-assoc:ways=2,lirs:hir=1%,nonres=2c)' })
      .option('capacity', { type: 'string', array: true, describe: 'cache sizes in pages, comma-separated (10000 or 10k)' })
      .option('collapse-repeats', { type: 'boolean', default: false, describe: 'count back-to-back repeats as hits without showing them to the policy' })
      .option('generation', { type: 'number', describe: 'sim: a dirty sync (QEMU age rule generation) every N requests' })
      .option('requests', { type: 'number', default: DEFAULT_ZIPF.requests, describe: 'bench: Zipf trace length' })
      .option('distinct', { type: 'number', default: DEFAULT_ZIPF.distinct, describe: 'bench: Zipf key count' })
      .option('skew', { type: 'number', default: DEFAULT_ZIPF.skew, describe: 'bench: Zipf skew' })
      .option('seed', { type: 'number', describe: `Zipf trace seed for bench (default ${DEFAULT_ZIPF.seed}); workload seed for sim (default ${DEFAULT_WORKLOAD_SEED})` })
      .option('runs', { type: 'number', default: 3, describe: 'bench: runs per policy (median reported)' })
      .option('store-data', { type: 'boolean', default: false, describe: 'bench: drive lookup/insert/data() with 4 KiB page copies, as a migration does' })
      .option('format', { choices: TABLE_FORMATS, default: 'md' as TableFormat, describe: 'output: md (Markdown tables), csv (header = field names) or json ({ title, rows, notes })' })
      .option('out', { type: 'string', describe: 'write the table to this file instead of stdout' }),
  handler: async (argv) => {
    const args = argv as unknown as CachesArgs;
    if (args.action === 'list') {
      const table: Table = {
        title: 'Cache policies',
        columns: [{ key: 'name' }, { key: 'params', title: 'parameters (default: accepted)' }, { key: 'description' }],
        rows: cachePolicies().map((policy) => ({ ...policy })),
      };
      emit(renderTable(table, args.format), args.out);
      return;
    }
    const policies = splitSpecs(args.policy);
    const capacities = parseCapacities(args.capacity);
    if (args.action === 'sim') {
      if (args.trace && args.workload) throw new CliError('caches sim takes --trace FILE or --workload SPEC, not both');
      if (!args.trace && !args.workload) throw new CliError('caches sim needs one of --trace FILE or --workload SPEC');
      if (policies.length === 0) throw new CliError('caches sim needs --policy P[,P...] (see `pagedelta caches list`)');
      if (capacities.length === 0) throw new CliError('caches sim needs --capacity C[,C...] (pages)');
      if (args.generation !== undefined) positive('--generation', args.generation);
      validateSimulation(policies, capacities);
      let keys: Float64Array;
      let traceName: string;
      let generationStarts: number[] | undefined;
      const inputNotes: string[] = [];
      if (args.trace) {
        keys = await loadTraceKeys(args.trace);
        traceName = args.trace.split('/').pop() ?? args.trace;
        inputNotes.push(`Trace ${args.trace}: ${keys.length} requests.`);
      } else {
        checkFlag('--pages', args.pages, { min: 1, max: MAX_SIM_PAGES, integer: true, unit: 'pages' });
        const durationMs = duration('--duration', args.duration);
        const intervalMs = duration('--interval', args.interval);
        // trace synth's limits: 30 simulated days, 10^6 steps (fewer for a large guest).
        if (durationMs > MAX_SYNTH_DURATION_MS) throw new CliError(`--duration ${durationMs} ms is beyond the limit of 30 simulated days`);
        const rounds = Math.floor(durationMs / intervalMs + 1e-9);
        const roundLimit = Math.min(MAX_SYNTH_EPOCHS, Math.floor(MAX_SIM_PAGE_SCANS / args.pages));
        if (rounds > roundLimit) {
          throw new CliError(
            `--duration ${durationMs} ms in --interval ${intervalMs} ms steps is ${rounds} sync rounds, more than the limit of ${roundLimit}${roundLimit < MAX_SYNTH_EPOCHS ? ` for ${args.pages} pages` : ''}: use a longer --interval`,
          );
        }
        if (args.generation !== undefined) throw new CliError('--generation applies to --trace; with --workload every sync round is a generation');
        const seed = args.seed ?? DEFAULT_WORKLOAD_SEED;
        const workload = createWorkload(args.workload!, { pageCount: args.pages, seed });
        const collected = workloadAccessKeys(workload, { pageCount: args.pages, durationMs, intervalMs, maxRequests: MAX_SIM_REQUESTS + 1 });
        if (collected.keys.length > MAX_SIM_REQUESTS) {
          throw new CliError(`the workload made more than ${MAX_SIM_REQUESTS} lookups in --duration ${args.duration}: use a shorter --duration, a longer --interval or a lower rate`);
        }
        keys = collected.keys;
        generationStarts = collected.roundStarts;
        traceName = workload.spec;
        inputNotes.push(
          `Workload ${workload.spec} (seed ${seed}) on ${args.pages} pages for ${formatDuration(durationMs)}, a dirty sync every ${formatDuration(intervalMs)}: each sync round looks up every page dirtied since the previous one, in page order, and is one generation (${collected.roundStarts.length} rounds, ${keys.length} requests).`,
        );
      }
      let interrupted = false;
      const onInterrupt = () => {
        interrupted = true;
      };
      process.once('SIGINT', onInterrupt);
      try {
        const rows = await simulateCaches({
          keys,
          traceName,
          policies,
          capacities,
          collapseRepeats: args.collapseRepeats,
          ...(args.generation !== undefined ? { requestsPerGeneration: args.generation } : {}),
          ...(generationStarts !== undefined && !args.collapseRepeats ? { generationStarts } : {}),
          onProgress: (message) => process.stderr.write(`${message}\n`),
          shouldStop: () => interrupted,
        });
        const notes = [
          ...inputNotes,
          'Every miss inserts; hit ratio = hits / requests; M requests/s = one replay of the access-only loop (noisy; use caches bench for medians).',
        ];
        if (generationStarts !== undefined && args.collapseRepeats) notes.push('With --collapse-repeats the sync rounds are not replayed as generations.');
        if (args.collapseRepeats) notes.push('Back-to-back repeats were counted as hits without being shown to the policies.');
        if (args.generation !== undefined) notes.push(`A generation (dirty sync) every ${args.generation} requests.`);
        if (interrupted) notes.push(`Interrupted: ${rows.length} of ${policies.length * capacities.length} rows finished.`);
        emit(renderTable(cacheSimTable(rows, notes), args.format), args.out);
      } finally {
        process.removeListener('SIGINT', onInterrupt);
      }
      return;
    }
    // bench
    // At the largest trace the Zipf generator and a policy stay near 0.5 GB.
    checkFlag('--requests', args.requests, { min: 1, max: 2 ** 24, integer: true });
    checkFlag('--distinct', args.distinct, { min: 1, max: 2 ** 22, integer: true });
    checkFlag('--runs', args.runs, { min: 1, max: 1000, integer: true });
    if (!(args.skew >= 0)) throw new CliError(`--skew must be >= 0, got ${args.skew}`);
    if (capacities.length > 1) throw new CliError('caches bench takes one --capacity');
    const capacity = capacities[0] ?? DEFAULT_ZIPF.capacity;
    // --store-data allocates a 4 KiB slab slot per page: 1 GiB at most.
    if (args.storeData) checkFlag('--capacity (with --store-data)', capacity, { min: 1, max: 2 ** 18, unit: 'pages' });
    if (policies.length > 0) validateSimulation(policies, [capacity]);
    if (args.workload) throw new CliError('caches bench takes --trace FILE or the Zipf flags, not --workload');
    const keys = args.trace ? await loadTraceKeys(args.trace) : undefined;
    const seed = args.seed ?? DEFAULT_ZIPF.seed;
    const rows = benchmarkCaches({
      ...(policies.length > 0 ? { policies } : {}),
      capacity,
      requests: args.requests,
      distinct: args.distinct,
      skew: args.skew,
      seed,
      runs: args.runs,
      storeData: args.storeData,
      ...(keys ? { keys } : {}),
      onProgress: (message) => process.stderr.write(`${message}\n`),
    });
    const input = args.trace
      ? `trace ${args.trace} (${keys!.length} requests)`
      : `Zipf(${args.skew}) over ${args.distinct} keys, ${args.requests} requests, splitmix64 seed ${seed}`;
    const table: Table = {
      title: args.storeData ? 'Cache throughput (PageCache API with 4 KiB page copies)' : 'Cache throughput (access-only replay)',
      columns: [
        { key: 'policy' },
        { key: 'capacity' },
        { key: 'hitRatio', title: 'hit ratio', digits: 4 },
        { key: 'mrps', title: 'M req/s (median)', digits: 2 },
        { key: 'minMrps', title: 'min', digits: 2 },
        { key: 'maxMrps', title: 'max', digits: 2 },
        { key: 'cpuMrps', title: 'M req/s per CPU s (median)', digits: 2 },
        { key: 'vsLru', title: 'vs lru', digits: 2 },
      ],
      rows: rows.map((row) => ({ ...row })),
      notes: [
        `Input: ${input}; ${args.runs} runs per policy, one core; the replay loop alone is timed.`,
        args.storeData
          ? `Mode: PageCache API with 4 KiB pages (lookup; insert with a page copy on a miss; data(slot).set on a hit). "${COPY_ONLY}" is the in-run reference: one 4 KiB copy per request into a slab of the same size, no policy.`
          : 'Mode: access-only replay (simulateCache: every miss inserts, no page contents).',
        'M req/s per CPU s: requests over this process\'s CPU time, less sensitive than wall time to other load on a shared machine.',
      ],
    };
    emit(renderTable(table, args.format), args.out);
  },
};

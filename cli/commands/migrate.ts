/** `pagedelta migrate`: one simulated pre-copy live migration (a thin layer over simulateMigration). */
import type { CommandModule } from 'yargs';
import { codecNames } from '../../codecs/registry.js';
import { CPU_MODES, type CpuMode } from '../../harness/migration/cpu.js';
import { DEFAULT_FLAGS, DEFAULTS, MIGRATION_MODES, type MigrationMode, type MigrationOptions } from '../../harness/migration/options.js';

const VERIFY_CHOICES = ['auto', 'full', 'digest'] as const;
import { migrationTables } from '../../harness/migration/report.js';
import { simulateMigration } from '../../harness/migration/simulate.js';
import { parseDuration, parseRate, parseSize } from '../../units/quantities.js';
import { renderTable, TABLE_FORMATS, type TableFormat } from '../../results/table.js';
import { CliError, emit } from '../output.js';

interface MigrateArgs {
  workload: string;
  ram: string;
  pageSize: string;
  bandwidth: string;
  maxBandwidth: string;
  downtime: string;
  switchover: string;
  setup: string;
  placement?: string;
  backgroundDirty: number;
  codec: string;
  cache?: string;
  cacheSize?: string;
  mode: string;
  cpu: string;
  pipeline: boolean;
  encoderThreads: number;
  seed: number;
  maxRounds: number;
  maxTime?: string;
  autoConverge: boolean;
  headers: boolean;
  verify: string;
  format: TableFormat;
  out?: string;
  progress: boolean;
}

function parsed<T>(parse: () => T): T {
  try {
    return parse();
  } catch (error) {
    throw new CliError(error instanceof Error ? error.message : String(error));
  }
}

export const migrateCommand: CommandModule = {
  command: 'migrate',
  describe: 'simulate one pre-copy live migration (real codecs, cache and destination decode)',
  builder: (yargs) =>
    yargs
      .option('workload', { type: 'string', demandOption: true, describe: 'workload spec, e.g. zipf:skew=0.9,rate=20000 or trace:FILE' })
      .option('ram', { type: 'string', default: DEFAULT_FLAGS.ram, describe: 'guest RAM (1G = 1 GiB; 1GB = 10^9 bytes)' })
      .option('page-size', { type: 'string', default: DEFAULT_FLAGS.pageSize, describe: 'guest page size in bytes (a power of two)' })
      .option('bandwidth', { type: 'string', default: DEFAULT_FLAGS.bandwidth, describe: 'link bandwidth (1Gbit, 10Gbps, 125MB/s, 128MiB/s)' })
      .option('max-bandwidth', { type: 'string', default: DEFAULT_FLAGS.maxBandwidth, describe: "QEMU's max-bandwidth cap per 100 ms window ('none' for no cap)" })
      .option('downtime', { type: 'string', alias: 'downtime-limit', default: DEFAULT_FLAGS.downtime, describe: "downtime limit, QEMU's downtime-limit (stop threshold = bandwidth x limit)" })
      .option('switchover', { type: 'string', default: DEFAULT_FLAGS.switchover, describe: 'fixed switchover cost added to the downtime (final sync, device state)' })
      .option('setup', { type: 'string', default: '0ms', describe: "time before the first page is sent (QEMU's setup-time)" })
      .option('placement', {
        type: 'string',
        describe: 'guest-physical placement of the workload pages: identity, random, runs:N (default random for guest-program workloads)',
      })
      .option('background-dirty', { type: 'number', default: 0, describe: "the guest kernel's own page writes per second (e.g. 27 for an idle Linux guest)" })
      .option('codec', { type: 'string', default: DEFAULTS.codec, describe: `codec: none (every page whole) or ${codecNames().join(', ')}` })
      .option('cache', { type: 'string', describe: 'cache policy spec (default qemu; set-assoc:ways=2 in mode qemu-2011)' })
      .option('cache-size', { type: 'string', alias: 'xbzrle-cache-size', describe: "cache size (default QEMU's 64M, or the largest power-of-two number of pages of a smaller guest)" })
      .option('mode', { type: 'string', choices: MIGRATION_MODES, default: DEFAULTS.mode, describe: 'sender behaviour: qemu (today\'s QEMU) or qemu-2011 (the 2011 patch)' })
      .option('cpu', { type: 'string', choices: CPU_MODES, default: DEFAULTS.cpu, describe: 'codec time: model (fixed MB/s, reproducible) or measured' })
      .option('pipeline', { type: 'boolean', default: true, describe: 'overlap encoding and sending (--no-pipeline: serial)' })
      .option('encoder-threads', { type: 'number', default: DEFAULTS.encoderThreads, describe: 'encoder threads (scale encode throughput)' })
      .option('seed', { type: 'number', default: DEFAULTS.seed, describe: 'workload seed' })
      .option('max-rounds', { type: 'number', default: DEFAULTS.maxRounds, describe: 'pre-copy dirty-log syncs before giving up (did not converge)' })
      .option('max-time', { type: 'string', describe: 'simulated time before giving up (did not converge)' })
      .option('auto-converge', { type: 'boolean', default: false, describe: "QEMU's auto-converge (vCPU throttling)" })
      .option('headers', { type: 'boolean', default: true, describe: 'count per-page wire headers (--no-headers: payload only)' })
      .option('verify', { type: 'string', choices: VERIFY_CHOICES, default: 'auto', describe: 'destination check: full copy, digest, or auto (full up to 4 GiB)' })
      .option('progress', { type: 'boolean', default: false, describe: 'print one line per round on stderr' })
      .option('format', { choices: TABLE_FORMATS, default: 'md' as TableFormat, describe: 'output format: md, csv or json (the whole result object)' })
      .option('out', { type: 'string', describe: 'write to this file instead of stdout' }),
  handler: async (argv) => {
    const args = argv as unknown as MigrateArgs;
    if (!MIGRATION_MODES.includes(args.mode as MigrationMode)) {
      throw new CliError(`unknown mode "${args.mode}"; valid modes: ${MIGRATION_MODES.join(', ')}`);
    }
    if (!CPU_MODES.includes(args.cpu as CpuMode)) throw new CliError(`unknown --cpu "${args.cpu}"; valid: ${CPU_MODES.join(', ')}`);
    const bandwidthBps = parsed(() => parseRate(args.bandwidth, '--bandwidth'));
    if (!(bandwidthBps > 0)) throw new CliError(`--bandwidth must be positive, got "${args.bandwidth}"`);
    const maxBandwidth = args.maxBandwidth.trim().toLowerCase();
    const maxBandwidthBps = maxBandwidth === 'none' || maxBandwidth === '0' ? 0 : parsed(() => parseRate(args.maxBandwidth, '--max-bandwidth'));
    const options: MigrationOptions = {
      workload: args.workload,
      ramBytes: parsed(() => parseSize(args.ram, '--ram')),
      pageSize: parsed(() => parseSize(args.pageSize, '--page-size')),
      bandwidthBps,
      maxBandwidthBps,
      downtimeLimitMs: parsed(() => parseDuration(args.downtime, '--downtime')),
      switchoverMs: parsed(() => parseDuration(args.switchover, '--switchover')),
      setupMs: parsed(() => parseDuration(args.setup, '--setup')),
      backgroundDirtyRate: args.backgroundDirty,
      ...(args.placement !== undefined ? { placement: args.placement } : {}),
      codec: args.codec,
      mode: args.mode as MigrationMode,
      cpu: args.cpu as CpuMode,
      pipeline: args.pipeline,
      encoderThreads: args.encoderThreads,
      seed: args.seed,
      maxRounds: args.maxRounds,
      autoConverge: args.autoConverge,
      wireHeaders: args.headers,
      verify: args.verify as MigrationOptions['verify'] & string,
      ...(args.cache !== undefined ? { cache: args.cache } : {}),
      ...(args.cacheSize !== undefined ? { cacheBytes: parsed(() => parseSize(args.cacheSize!, '--cache-size')) } : {}),
      ...(args.maxTime !== undefined ? { maxTimeMs: parsed(() => parseDuration(args.maxTime!, '--max-time')) } : {}),
      ...(args.progress
        ? {
            onRound: (entry) =>
              process.stderr.write(
                `round ${entry.round} (${entry.stage}): ${entry.durationMs.toFixed(1)} ms, ${entry.wireBytes} bytes, ${entry.dirtyPagesAtSync} dirty at sync\n`,
              ),
          }
        : {}),
    };
    const result = simulateMigration(options);
    const text =
      args.format === 'json'
        ? `${JSON.stringify(result, null, 2)}\n`
        : migrationTables(result)
            .map((table) => renderTable(table, args.format))
            .join('\n');
    emit(text, args.out);
  },
};

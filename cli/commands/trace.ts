/** `pagedelta trace info|record|synth`. */
import { spawn } from 'node:child_process';
import type { Argv, CommandModule } from 'yargs';
import { renderTable, TABLE_FORMATS, type TableFormat } from '../../results/table.js';
import { type DirtyTracking, formatIntervals, MAX_INTERVAL_MS, MIN_INTERVAL_MS, recordProcess } from '../../workloads/trace/recorder.js';
import { SynthesisInterrupted, synthesizeTrace } from '../../workloads/trace/synthesize.js';
import { TIME_UNITS, type TimeUnit } from '../../workloads/trace/format.js';
import { traceInfo, traceInfoTables } from '../../workloads/trace/info.js';
import { parseDuration, parseSize } from '../../units/quantities.js';
import { checkFlag, CliError, emit } from '../output.js';

/** A flag's duration in ms (units/quantities.ts: a bare number is ms), as a CLI error. */
function durationFlag(flag: string, value: string | number): number {
  try {
    return parseDuration(String(value), flag);
  } catch (error) {
    throw new CliError((error as Error).message);
  }
}

/** A flag's size in bytes (`64M`, `1Gi` binary, `1GB` decimal), as a CLI error. */
function sizeFlag(flag: string, text: string): number {
  try {
    return Math.round(parseSize(text, flag));
  } catch (error) {
    throw new CliError((error as Error).message);
  }
}

const infoCommand: CommandModule = {
  command: 'info <file>',
  describe: 'header, duration, epochs, distinct pages, dirty rate over time, hot set, zero pages, changed bytes',
  builder: (yargs: Argv) =>
    yargs
      .positional('file', { type: 'string', describe: 'a pagedelta trace, or a text/CSV access list (page or time,page per line)' })
      .option('buckets', { type: 'number', default: 20, describe: 'rows of the rate table (equal time buckets over the trace)' })
      .option('hot-share', { type: 'number', default: 0.9, describe: 'the hot set is the fewest pages taking this share of writes' })
      .option('unit', { choices: Object.keys(TIME_UNITS), default: 'us', describe: 'text traces: unit of the time column' })
      .option('format', { choices: TABLE_FORMATS, default: 'md' as TableFormat, describe: 'output: md (Markdown tables), csv (header = field names) or json ({ title, rows, notes })' })
      .option('out', { type: 'string', describe: 'write to this file instead of stdout' })
      .example('pagedelta trace info redis.pdt --buckets 10', 'header, summary, achieved interval and a 10-row rate table')
      .example('pagedelta trace info data/cloudphysics-io.keys --format json', 'a text access list, as JSON'),
  handler: async (argv) => {
    const args = argv as unknown as { file: string; buckets: number; hotShare: number; unit: TimeUnit; format: TableFormat; out?: string };
    checkFlag('--buckets', args.buckets, { min: 1, max: 100_000, integer: true });
    if (!(args.hotShare > 0 && args.hotShare <= 1)) throw new CliError(`--hot-share must be in (0, 1], got ${args.hotShare}`);
    const info = await traceInfo(args.file, { buckets: args.buckets, hotShare: args.hotShare, textTimeUnit: args.unit });
    const tables = traceInfoTables(info);
    emit(args.format === 'json' ? `${JSON.stringify(info, null, 2)}\n` : tables.map((table) => renderTable(table, args.format)).join('\n'), args.out);
  },
};

const recordCommand: CommandModule = {
  command: 'record',
  describe: 'record a running process (--pid PID) or a command (-- COMMAND ARGS...) as a content trace',
  builder: (yargs: Argv) =>
    yargs
      .usage('pagedelta trace record --out FILE [--interval 100ms] [--duration 10s] (--pid PID[,PID...] | -- COMMAND ARGS...)')
      .option('pid', { type: 'string', describe: 'process(es) to record, comma-separated (each a region set of the trace; needs ptrace access: root or its owner)' })
      .option('interval', { type: 'string', default: '100ms', describe: 'time between snapshots (e.g. 100ms, 1s; bare number: ms)' })
      .option('duration', { type: 'string', describe: 'stop after this long (e.g. 10s, 2min; bare number: ms); default: until the processes exit or Ctrl-C' })
      .option('mapping', { type: 'array', string: true, describe: 'record only mappings with this name: [heap], heap, a path or its base name, anon (repeatable)' })
      .option('largest', { type: 'number', describe: 'record only the N largest writable mappings (after --mapping)' })
      .option('qemu', { type: 'boolean', default: false, describe: 'the process is QEMU: record the guest RAM only, trace page = guest-physical page' })
      .option('dirty-tracking', { choices: ['auto', 'soft-dirty', 'content'], default: 'auto', describe: 'soft-dirty (kernel bits), content (diff every page), auto: soft-dirty where the kernel has it' })
      .option('threads', { type: 'number', describe: 'scanning threads (default: 2, or 1 on one core)' })
      .option('huge-pages', { type: 'boolean', default: true, describe: "the recorder's page copies on transparent huge pages (faster first snapshot; --no-huge-pages: 4 KiB pages, less memory when the process's mappings are sparsely filled)" })
      .option('out', { type: 'string', demandOption: true, describe: 'trace file to write (appears only when complete)' })
      .example('pagedelta trace record --pid 1234 --interval 100ms --duration 30s --out redis.pdt', 'record a running process')
      .example('pagedelta trace record --pid $(pgrep -d, postgres) --duration 60s --out pg.pdt', 'several processes in one trace')
      .example('pagedelta trace record --qemu --pid 4321 --duration 20s --out guest.pdt', 'a QEMU guest at guest-physical page numbers')
      .parserConfiguration({ 'populate--': true }),
  handler: async (argv) => {
    const args = argv as unknown as {
      pid?: string | number;
      interval: string;
      duration?: string;
      out: string;
      mapping?: string[];
      largest?: number;
      qemu: boolean;
      dirtyTracking: DirtyTracking;
      threads?: number;
      hugePages: boolean;
      '--'?: (string | number)[];
    };
    const command = (args['--'] ?? []).map(String);
    if (args.pid !== undefined && command.length > 0) throw new CliError('give --pid PID or -- COMMAND ARGS..., not both');
    if (args.pid === undefined && command.length === 0) throw new CliError('name a process: --pid PID or -- COMMAND ARGS...');
    let pids: number[] | undefined;
    if (args.pid !== undefined) {
      const parts = String(args.pid).split(',');
      pids = parts.map((part) => (/^[1-9][0-9]*$/.test(part.trim()) ? Number(part.trim()) : Number.NaN));
      const bad = parts.find((_, index) => !Number.isSafeInteger(pids![index]));
      if (bad !== undefined) throw new CliError(`--pid must be positive integers separated by commas, got "${args.pid}"`);
    }
    const intervalMs = durationFlag('--interval', args.interval);
    if (!(intervalMs >= MIN_INTERVAL_MS && intervalMs <= MAX_INTERVAL_MS)) throw new CliError(`--interval must be ${MIN_INTERVAL_MS} ms .. ${MAX_INTERVAL_MS / 3600000} h, got ${args.interval}`);
    const durationMs = args.duration !== undefined ? durationFlag('--duration', args.duration) : undefined;
    if (args.largest !== undefined && !(Number.isInteger(args.largest) && args.largest >= 1)) throw new CliError(`--largest must be a positive integer, got ${args.largest}`);
    if (args.threads !== undefined && !(Number.isInteger(args.threads) && args.threads >= 1 && args.threads <= 64)) throw new CliError(`--threads must be an integer in 1..64, got ${args.threads}`);
    const mappings = args.mapping || args.largest !== undefined ? { ...(args.mapping ? { names: args.mapping } : {}), ...(args.largest !== undefined ? { largest: args.largest } : {}) } : undefined;
    const controller = new AbortController();
    const onSignal = () => controller.abort();
    process.once('SIGINT', onSignal);
    process.once('SIGTERM', onSignal);
    let child: ReturnType<typeof spawn> | undefined;
    try {
      if (command.length > 0) {
        // The child's output goes to our stderr: stdout stays free for the summary.
        child = spawn(command[0]!, command.slice(1), { stdio: ['ignore', 2, 2] });
        await new Promise<void>((resolve, reject) => {
          child!.once('spawn', () => resolve());
          child!.once('error', (error: NodeJS.ErrnoException) => reject(new CliError(`cannot start ${command[0]}: ${error.code ?? error.message}`)));
        });
        pids = [child.pid!];
      }
      const result = await recordProcess({
        pid: pids!,
        out: args.out,
        intervalMs,
        ...(durationMs !== undefined ? { durationMs } : {}),
        signal: controller.signal,
        ...(command.length > 0 ? { description: `command: ${command.join(' ')}` } : {}),
        ...(mappings ? { mappings } : {}),
        qemuGuest: args.qemu,
        dirtyTracking: args.dirtyTracking,
        ...(args.threads !== undefined ? { threads: args.threads } : {}),
        hugePages: args.hugePages,
        onProgress: (message) => process.stderr.write(`${message}\n`),
        onNotice: (message) => process.stderr.write(`${message}\n`),
        onSnapshot: (count, tookMs) => {
          if (count === 1) process.stderr.write(`first snapshot (the initial image) took ${tookMs.toFixed(0)} ms\n`);
        },
      });
      process.stdout.write(
        `recorded pid ${pids!.join(',')}: ${result.epochs} epochs over ${(result.elapsedMs / 1000).toFixed(2)} s (${result.method}), ` +
          `${result.pageEntries} page entries, ${result.pageCount} pages mapped, ${result.bytes} bytes -> ${args.out} (stopped: ${result.endedBy})\n` +
          `achieved interval (asked ${intervalMs} ms): ${formatIntervals(result.intervals)}; snapshot took min ${result.snapshotMs.min.toFixed(1)} / median ${result.snapshotMs.median.toFixed(1)} / max ${result.snapshotMs.max.toFixed(1)} ms\n`,
      );
      if (mappings && result.pageCount === 0) {
        const asked = [...(mappings.names ?? []).map((name) => `--mapping ${name}`), ...(mappings.largest !== undefined ? [`--largest ${mappings.largest}`] : [])].join(' ');
        throw new CliError(`${asked} matched no mapping of pid ${pids!.join(',')}: nothing was recorded (/proc/PID/maps lists the names; the empty trace is in ${args.out})`);
      }
      if (result.exited.length > 0 && durationMs !== undefined && result.elapsedMs < durationMs && command.length === 0) {
        throw new CliError(
          `process ${result.exited.map((entry) => entry.pid).join(', ')} exited after ${(result.exited[0]!.afterMs / 1000).toFixed(2)} s of the ${(durationMs / 1000).toFixed(2)} s asked; the ${result.epochs} epochs recorded are kept in ${args.out}`,
        );
      }
    } finally {
      process.removeListener('SIGINT', onSignal);
      process.removeListener('SIGTERM', onSignal);
      if (child && child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
    }
  },
};

const benchRecordCommand: CommandModule = {
  command: 'bench-record',
  describe: 'cost of recording: snapshot time of a child of known size against a plain read, achieved interval, recorder CPU/RSS, Redis slowdown',
  builder: (yargs: Argv) =>
    yargs
      .option('mib', { type: 'number', default: 300, describe: 'size of the recorded child (MiB, every page written)' })
      .option('rate', { type: 'number', default: 2000, describe: 'pages the child dirties per second' })
      .option('interval', { type: 'string', default: '100ms', describe: 'snapshot interval (bare number: ms)' })
      .option('duration', { type: 'string', default: '5s', describe: 'recording length (e.g. 5s; bare number: ms)' })
      .option('threads', { type: 'number', describe: 'scanning threads (default: 2, or 1 on one core)' })
      .option('huge-pages', { type: 'boolean', default: true, describe: "the recorder's page copies on transparent huge pages (--no-huge-pages: 4 KiB pages, to compare)" })
      .option('redis', { type: 'boolean', default: false, describe: 'also measure redis-server under redis-benchmark with and without the recorder' })
      .option('redis-port', { type: 'number', default: 6399, describe: 'port for that redis-server (127.0.0.1)' })
      .option('rounds', { type: 'number', default: 7, describe: 'rounds of the plain-read reference (median)' })
      .example('pagedelta trace bench-record --mib 300 --redis', 'the figures of issue 12'),
  handler: async (argv) => {
    const args = argv as unknown as { mib: number; rate: number; interval: string; duration: string; threads?: number; hugePages: boolean; redis: boolean; redisPort: number; rounds: number };
    if (!(Number.isInteger(args.mib) && args.mib >= 1)) throw new CliError(`--mib must be a positive integer, got ${args.mib}`);
    if (!(args.rate >= 0)) throw new CliError(`--rate must be >= 0, got ${args.rate}`);
    if (!(Number.isInteger(args.rounds) && args.rounds >= 1)) throw new CliError(`--rounds must be a positive integer, got ${args.rounds}`);
    const { benchmarkRecorder } = await import('../../workloads/trace/recorder/bench.js');
    const result = await benchmarkRecorder({
      mib: args.mib,
      rate: args.rate,
      intervalMs: durationFlag('--interval', args.interval),
      durationMs: durationFlag('--duration', args.duration),
      ...(args.threads !== undefined ? { threads: args.threads } : {}),
      hugePages: args.hugePages,
      redis: args.redis,
      redisPort: args.redisPort,
      rounds: args.rounds,
      onProgress: (message) => process.stderr.write(`${message}\n`),
    });
    process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
  },
};

const benchReadCommand: CommandModule = {
  command: 'bench-read <file>',
  describe: 'cost of reading a trace as trace info (or, with --replay, a replay) does: median of whole passes, MB/s of file and entries/s',
  builder: (yargs: Argv) =>
    yargs
      .positional('file', { type: 'string', describe: 'a pagedelta trace, or a text/CSV access list' })
      .option('rounds', { type: 'number', default: 5, describe: 'whole passes over the file (median)' })
      .option('replay', { type: 'boolean', default: false, describe: 'decode into a guest memory as replay does (after an untimed pass), instead of trace info passes' })
      .option('native', { type: 'boolean', default: true, describe: 'XOR+LZ4 entries through the native addon when it was built (--no-native: the TypeScript decoder, to compare)' })
      .option('decode-pages', { type: 'boolean', default: false, describe: 'info passes: decode every page into an image even when the end record holds what it would tell' })
      .example('pagedelta trace bench-read redis.pdt', 'MB/s and entries/s of a recorded trace')
      .example('pagedelta trace bench-read redis.pdt --replay', 'the same, decoded as a replay does')
      .example('pagedelta trace bench-read zipf.pdt --no-native --decode-pages', 'the TypeScript decoder into a page image, to compare'),
  handler: async (argv) => {
    const args = argv as unknown as { file: string; rounds: number; replay: boolean; native: boolean; decodePages: boolean };
    checkFlag('--rounds', args.rounds, { min: 1, max: 1000, integer: true });
    if (args.replay && args.decodePages) throw new CliError('--decode-pages is for info passes; a replay always decodes its pages');
    const { benchmarkTraceRead } = await import('../../workloads/trace/bench-read.js');
    const result = await benchmarkTraceRead(args.file, args.rounds, args.replay ? 'replay' : 'info', { native: args.native, decodePages: args.decodePages });
    process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
  },
};

const synthCommand: CommandModule = {
  command: 'synth',
  describe: "write a synthetic workload's evolution as a content trace",
  builder: (yargs: Argv) =>
    yargs
      .option('workload', { type: 'string', demandOption: true, describe: 'workload spec, e.g. zipf:skew=0.9,rate=20000' })
      .option('ram', { type: 'string', default: '64M', describe: 'guest size (e.g. 64M, 1G)' })
      .option('page-size', { type: 'string', default: '4096', describe: 'guest page size (a power of two: 4096, 4K, 64KiB)' })
      .option('seed', { type: 'number', default: 1, describe: 'workload seed (same seed, same trace)' })
      .option('duration', { type: 'string', default: '10s', describe: 'simulated time (e.g. 10s; bare number: ms)' })
      .option('step', { type: 'string', default: '100ms', describe: 'epoch length (e.g. 100ms; bare number: ms)' })
      .option('out', { type: 'string', demandOption: true, describe: 'trace file to write (docs/trace-format.md)' })
      .example("pagedelta trace synth --workload 'zipf:skew=0.9,rate=20000' --ram 64M --duration 10s --out zipf.pdt", 'ten simulated seconds of a Zipf writer')
      .example("pagedelta trace synth --workload 'hotset:hot=2048 + scan:region=50%:50%' --ram 256M --step 50ms --out mix.pdt", 'two workloads at once, 50 ms epochs'),
  handler: async (argv) => {
    const args = argv as unknown as { workload: string; ram: string; pageSize: string; seed: number; duration: string; step: string; out: string };
    const pageSize = sizeFlag('--page-size', args.pageSize);
    checkFlag('--page-size', pageSize, { min: 8, max: 2 ** 24, integer: true, unit: 'bytes' });
    if ((pageSize & (pageSize - 1)) !== 0) throw new CliError(`--page-size must be a power of two, got ${args.pageSize}`);
    const bytes = sizeFlag('--ram', args.ram);
    if (bytes < pageSize || bytes % pageSize !== 0) throw new CliError(`--ram must be a positive multiple of the page size (${pageSize}), got ${args.ram}`);
    const controller = new AbortController();
    const onSignal = (): void => controller.abort();
    process.once('SIGINT', onSignal);
    process.once('SIGTERM', onSignal);
    let summary;
    try {
      summary = await synthesizeTrace({
      signal: controller.signal,
      out: args.out,
      spec: args.workload,
      pageCount: bytes / pageSize,
      pageSize,
      seed: args.seed,
      durationMs: durationFlag('--duration', args.duration),
      stepMs: durationFlag('--step', args.step),
      });
    } catch (error) {
      if (error instanceof SynthesisInterrupted) process.exitCode = 130;
      throw error;
    } finally {
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
    }
    process.stdout.write(`wrote ${summary.epochs} epochs, ${summary.pageEntries} page entries, ${summary.bytes} bytes -> ${args.out}\n`);
  },
};

export const traceCommand: CommandModule = {
  command: 'trace <command>',
  describe: 'trace files: info, record a process, synthesize from a workload',
  builder: (yargs: Argv) => yargs.command(infoCommand).command(recordCommand).command(benchRecordCommand).command(benchReadCommand).command(synthCommand).demandCommand(1, 'name a trace command: info, record or synth'),
  handler: () => {},
};

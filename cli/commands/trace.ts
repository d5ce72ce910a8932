/** `pagedelta trace info|record|synth`. */
import { spawn } from 'node:child_process';
import type { Argv, CommandModule } from 'yargs';
import { renderTable, TABLE_FORMATS, type TableFormat } from '../../results/table.js';
import { recordProcess } from '../../workloads/trace/recorder.js';
import { SynthesisInterrupted, synthesizeTrace } from '../../workloads/trace/synthesize.js';
import { TIME_UNITS, type TimeUnit } from '../../workloads/trace/format.js';
import { traceInfo, traceInfoTables } from '../../workloads/trace/info.js';
import { parseDuration, parseSize } from '../../units/quantities.js';
import { CliError, emit } from '../output.js';

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
      .option('buckets', { type: 'number', default: 20, describe: 'time buckets in the rate table' })
      .option('hot-share', { type: 'number', default: 0.9, describe: 'the hot set is the fewest pages taking this share of writes' })
      .option('unit', { choices: Object.keys(TIME_UNITS), default: 'us', describe: 'text traces: unit of the time column' })
      .option('format', { choices: TABLE_FORMATS, default: 'md' as TableFormat, describe: 'output: md (Markdown tables), csv (header = field names) or json ({ title, rows, notes })' })
      .option('out', { type: 'string', describe: 'write to this file instead of stdout' }),
  handler: async (argv) => {
    const args = argv as unknown as { file: string; buckets: number; hotShare: number; unit: TimeUnit; format: TableFormat; out?: string };
    if (!(args.buckets >= 2)) throw new CliError(`--buckets must be >= 2, got ${args.buckets}`);
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
      .usage('pagedelta trace record --out FILE [--interval 100ms] [--duration 10s] (--pid PID | -- COMMAND ARGS...)')
      .option('pid', { type: 'number', describe: 'process to record (needs ptrace access: root or its owner)' })
      .option('interval', { type: 'string', default: '100ms', describe: 'time between snapshots (e.g. 100ms, 1s; bare number: ms)' })
      .option('duration', { type: 'string', describe: 'stop after this long (e.g. 10s, 2min; bare number: ms); default: until the process exits or Ctrl-C' })
      .option('out', { type: 'string', demandOption: true, describe: 'trace file to write (appears only when complete)' })
      .parserConfiguration({ 'populate--': true }),
  handler: async (argv) => {
    const args = argv as unknown as { pid?: number; interval: string; duration?: string; out: string; '--'?: (string | number)[] };
    const command = (args['--'] ?? []).map(String);
    if (args.pid !== undefined && command.length > 0) throw new CliError('give --pid PID or -- COMMAND ARGS..., not both');
    if (args.pid === undefined && command.length === 0) throw new CliError('name a process: --pid PID or -- COMMAND ARGS...');
    if (args.pid !== undefined && (!Number.isInteger(args.pid) || args.pid < 1)) throw new CliError(`--pid must be a positive integer, got ${args.pid}`);
    const intervalMs = durationFlag('--interval', args.interval);
    if (!(intervalMs > 0)) throw new CliError(`--interval must be > 0, got ${args.interval}`);
    const durationMs = args.duration !== undefined ? durationFlag('--duration', args.duration) : undefined;
    const controller = new AbortController();
    const onSignal = () => controller.abort();
    process.once('SIGINT', onSignal);
    process.once('SIGTERM', onSignal);
    let child: ReturnType<typeof spawn> | undefined;
    let pid = args.pid;
    try {
      if (command.length > 0) {
        // The child's output goes to our stderr: stdout stays free for the summary.
        child = spawn(command[0]!, command.slice(1), { stdio: ['ignore', 2, 2] });
        await new Promise<void>((resolve, reject) => {
          child!.once('spawn', () => resolve());
          child!.once('error', (error: NodeJS.ErrnoException) => reject(new CliError(`cannot start ${command[0]}: ${error.code ?? error.message}`)));
        });
        pid = child.pid!;
      }
      const result = await recordProcess({
        pid: pid!,
        out: args.out,
        intervalMs,
        ...(durationMs !== undefined ? { durationMs } : {}),
        signal: controller.signal,
        ...(command.length > 0 ? { description: `command: ${command.join(' ')}` } : {}),
        onProgress: (message) => process.stderr.write(`${message}\n`),
      });
      process.stdout.write(
        `recorded pid ${pid}: ${result.epochs} epochs from ${result.snapshots} snapshots over ${(result.elapsedMs / 1000).toFixed(2)} s, ` +
          `${result.pageEntries} changed pages, ${result.pageCount} pages mapped, ${result.bytes} bytes -> ${args.out} (stopped: ${result.endedBy})\n`,
      );
      if (result.endedBy === 'exit' && durationMs !== undefined && result.elapsedMs < durationMs && command.length === 0) {
        throw new CliError(
          `process ${pid} exited after ${(result.elapsedMs / 1000).toFixed(2)} s of the ${(durationMs / 1000).toFixed(2)} s asked; the ${result.epochs} epochs recorded are kept in ${args.out}`,
        );
      }
    } finally {
      process.removeListener('SIGINT', onSignal);
      process.removeListener('SIGTERM', onSignal);
      if (child && child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
    }
  },
};

const synthCommand: CommandModule = {
  command: 'synth',
  describe: "write a synthetic workload's evolution as a content trace",
  builder: (yargs: Argv) =>
    yargs
      .option('workload', { type: 'string', demandOption: true, describe: 'workload spec, e.g. zipf:skew=0.9,rate=20000' })
      .option('ram', { type: 'string', default: '64M', describe: 'guest size (e.g. 64M, 1G)' })
      .option('page-size', { type: 'number', default: 4096, describe: 'guest page size in bytes (a power of two)' })
      .option('seed', { type: 'number', default: 1, describe: 'workload seed (same seed, same trace)' })
      .option('duration', { type: 'string', default: '10s', describe: 'simulated time (e.g. 10s; bare number: ms)' })
      .option('step', { type: 'string', default: '100ms', describe: 'epoch length (e.g. 100ms; bare number: ms)' })
      .option('out', { type: 'string', demandOption: true, describe: 'trace file to write (docs/trace-format.md)' }),
  handler: async (argv) => {
    const args = argv as unknown as { workload: string; ram: string; pageSize: number; seed: number; duration: string; step: string; out: string };
    const bytes = sizeFlag('--ram', args.ram);
    if (bytes < args.pageSize || bytes % args.pageSize !== 0) throw new CliError(`--ram must be a positive multiple of the page size (${args.pageSize}), got ${args.ram}`);
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
      pageCount: bytes / args.pageSize,
      pageSize: args.pageSize,
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
  builder: (yargs: Argv) => yargs.command(infoCommand).command(recordCommand).command(synthCommand).demandCommand(1, 'name a trace command: info, record or synth'),
  handler: () => {},
};

/** `pagedelta workloads list|bench`. */
import type { CommandModule } from 'yargs';
import { benchmarkTraceIO, benchmarkWorkloads } from '../../workloads/bench.js';
import { workloadCatalogue } from '../../workloads/registry.js';
import { renderTable, TABLE_FORMATS, type Table, type TableFormat } from '../../results/table.js';
import { checkFlag, CliError, emit } from '../output.js';

export const workloadsCommand: CommandModule = {
  command: 'workloads <action>',
  describe: 'list the workload generators, or measure their cost and trace I/O throughput',
  builder: (yargs) =>
    yargs
      .positional('action', { choices: ['list', 'bench'] as const, describe: 'what to do' })
      .option('workload', { type: 'string', array: true, describe: 'bench: workload specs (repeat the flag; default a 1 M writes/s set)' })
      .option('pages', { type: 'number', default: 262144, describe: 'bench: guest pages (4 KiB)' })
      .option('seconds', { type: 'number', default: 1, describe: 'bench: simulated seconds per run' })
      .option('step', { type: 'number', default: 1, describe: 'bench: simulated ms per advance() call' })
      .option('repeats', { type: 'number', default: 3, describe: 'bench: runs per workload (median reported)' })
      .option('trace-pages', { type: 'number', default: 65536, describe: 'bench: guest pages of the trace I/O measurement' })
      .option('format', { choices: TABLE_FORMATS, default: 'md' as TableFormat, describe: 'output: md (Markdown tables), csv (header = field names) or json ({ title, rows, notes })' })
      .option('out', { type: 'string', describe: 'write to this file instead of stdout' }),
  handler: async (argv) => {
    const args = argv as unknown as { action: string; workload?: string[]; pages: number; seconds: number; step: number; repeats: number; tracePages: number; format: TableFormat; out?: string };
    if (args.action === 'list') {
      const table: Table = {
        title: 'Workloads',
        columns: [{ key: 'name' }, { key: 'description' }, { key: 'parameters' }],
        rows: workloadCatalogue().map(({ name, description, params }) => ({
          name,
          description,
          parameters: Object.entries(params)
            .map(([key, meaning]) => `${key}: ${meaning}`)
            .join('; '),
        })),
        notes: ['Spec: NAME:key=value,... ; compose with " + ", e.g. "hotset:region=0:50%,hot=1000 + scan:region=50%:50%". Replay: trace:FILE[,scale=X].'],
      };
      emit(renderTable(table, args.format), args.out);
      return;
    }
    // 2^22 pages = a 16 GiB guest image; an hour of simulated time; 1 us steps at the finest.
    checkFlag('--pages', args.pages, { min: 1, max: 2 ** 22, integer: true, unit: 'pages' });
    checkFlag('--seconds', args.seconds, { min: 0.001, max: 3600, unit: 's' });
    checkFlag('--step', args.step, { min: 0.001, max: 60_000, unit: 'ms' });
    checkFlag('--repeats', args.repeats, { min: 1, max: 1000, integer: true });
    checkFlag('--trace-pages', args.tracePages, { min: 1, max: 2 ** 22, integer: true, unit: 'pages' });
    if ((args.seconds * 1000) / args.step > 1e8) throw new CliError(`--seconds ${args.seconds} in --step ${args.step} ms steps is more than 10^8 advance() calls`);
    const specs = (args.workload ?? []).map((spec) => spec.trim()).filter(Boolean);
    const progress = (message: string) => process.stderr.write(`${message}\n`);
    const rows = benchmarkWorkloads({
      ...(specs.length > 0 ? { specs } : {}),
      pageCount: Math.round(args.pages),
      simulatedMs: args.seconds * 1000,
      stepMs: args.step,
      repeats: Math.round(args.repeats),
      onProgress: progress,
    });
    const io = await benchmarkTraceIO({ pageCount: Math.round(args.tracePages) });
    const tables: Table[] = [
      {
        title: 'Workload generator cost',
        columns: [
          { key: 'workload' },
          { key: 'writesPerSimSecond', title: 'page writes / sim s', digits: 0 },
          { key: 'wallMsPerSimSecond', title: 'wall ms / sim s (median)', digits: 1 },
          { key: 'nsPerWrite', title: 'ns / write', digits: 1 },
          { key: 'initMs', title: 'init ms', digits: 1 },
        ],
        rows: rows.map((row) => ({ ...row })),
        notes: [`${args.pages} pages of 4 KiB, advance() every ${args.step} simulated ms, ${args.repeats} runs, seed 1.`],
      },
      {
        title: 'Trace I/O',
        columns: [
          { key: 'workload' },
          { key: 'epochs' },
          { key: 'pageEntries', title: 'page entries' },
          { key: 'bytesPerEntry', title: 'bytes / entry', digits: 1 },
          { key: 'writeMBps', title: 'write MB/s (page data)', digits: 0 },
          { key: 'readMBps', title: 'read+decode MB/s', digits: 0 },
        ],
        rows: [{ ...io }],
        notes: [`${Math.round(args.tracePages)} pages, initial image (mixed content) then 10 epochs of 100 ms; MB/s = 10^6 bytes of page content per wall second.`],
      },
    ];
    emit(tables.map((table) => renderTable(table, args.format)).join('\n'), args.out);
  },
};

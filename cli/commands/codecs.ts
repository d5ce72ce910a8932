/** `pagedelta codecs list|bench`. */
import type { CommandModule } from 'yargs';
import { codecNames, getCodec } from '../../codecs/registry.js';
import { benchmarkCodecs } from '../../harness/codec-bench.js';
import { renderTable, TABLE_FORMATS, type Table, type TableFormat } from '../../results/table.js';
import { CliError, emit, splitList } from '../output.js';

interface BenchArgs {
  codec?: string[];
  scenario?: string[];
  pages: number;
  time: number;
  batch: number;
  format: TableFormat;
  out?: string;
}

export const codecsCommand: CommandModule = {
  command: 'codecs <action>',
  describe: 'list the codecs, or benchmark them on the step/len scenarios',
  builder: (yargs) =>
    yargs
      .positional('action', { choices: ['list', 'bench'] as const, describe: 'what to do' })
      .option('codec', { type: 'string', array: true, describe: 'codecs to run (comma-separated; default all)' })
      .option('scenario', { type: 'string', array: true, describe: 'SPARSE, MEDIUM, DENSE, VERY-DENSE or STEP/LEN (default the four)' })
      .option('pages', { type: 'number', default: 16384, describe: 'distinct page pairs in the pool' })
      .option('time', { type: 'number', default: 250, describe: 'measuring time per task, ms' })
      .option('batch', { type: 'number', default: 256, describe: 'pages per measured call' })
      .option('format', { choices: TABLE_FORMATS, default: 'md' as TableFormat, describe: 'output: md (Markdown tables), csv (header = field names) or json ({ title, rows, notes })' })
      .option('out', { type: 'string', describe: 'write the table to this file instead of stdout' }),
  handler: async (argv) => {
    const args = argv as unknown as BenchArgs & { action: string };
    if (args.action === 'list') {
      const table: Table = {
        title: 'Codecs',
        columns: [{ key: 'name' }, { key: 'kind' }, { key: 'description' }],
        rows: codecNames().map((name) => {
          const codec = getCodec(name);
          return { name, kind: codec.kind, description: codec.description };
        }),
      };
      emit(renderTable(table, args.format), args.out);
      return;
    }
    for (const [flag, value] of [
      ['--pages', args.pages],
      ['--time', args.time],
      ['--batch', args.batch],
    ] as const) {
      if (!Number.isFinite(value) || value <= 0) throw new CliError(`${flag} must be a positive number, got ${value}`);
    }
    const codecs = splitList(args.codec);
    const scenarios = splitList(args.scenario);
    const rows = await benchmarkCodecs({
      ...(codecs.length > 0 ? { codecs } : {}),
      ...(scenarios.length > 0 ? { scenarios } : {}),
      pages: args.pages,
      timeMs: args.time,
      batchPages: args.batch,
      onProgress: (message) => process.stderr.write(`${message}\n`),
    });
    const table: Table = {
      title: 'Codec benchmark',
      columns: [
        { key: 'scenario' },
        { key: 'codec' },
        { key: 'encodedBytes', title: 'bytes/page', digits: 1 },
        { key: 'encodedPercent', title: 'size %', digits: 2 },
        { key: 'overflowPages', title: 'overflow pages' },
        { key: 'encodeMBps', title: 'enc MB/s (median)', digits: 0 },
        { key: 'encodeSustainedMBps', title: 'enc MB/s (sustained)', digits: 0 },
        { key: 'decodeMBps', title: 'dec MB/s (median)', digits: 0 },
        { key: 'decodeSustainedMBps', title: 'dec MB/s (sustained)', digits: 0 },
        { key: 'xorMBps', title: 'XOR pass MB/s', digits: 0 },
        { key: 'encodeVsXor', title: 'enc / XOR', digits: 3 },
        { key: 'decodeVsXor', title: 'dec / XOR', digits: 3 },
        { key: 'verified' },
      ],
      rows: rows.map((row) => ({ ...row })),
      notes: [`Pool: ${args.pages} canonical page pairs (splitmix64 seed 20110706); MB/s = 10^6 bytes of input page per second.`],
    };
    emit(renderTable(table, args.format), args.out);
  },
};

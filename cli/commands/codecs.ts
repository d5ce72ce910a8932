/** `pagedelta codecs list|bench`. */
import type { CommandModule } from 'yargs';
import { codecNames, getCodec } from '../../codecs/registry.js';
import { benchmarkCodecs } from '../../harness/codec-bench.js';
import { renderTable, TABLE_FORMATS, type Table, type TableFormat } from '../../results/table.js';
import { checkFlag, CliError, emit, splitList } from '../output.js';

interface BenchArgs {
  codec?: string[];
  scenario?: string[];
  pages: number;
  time: number;
  rounds: number;
  batch: number;
  c: boolean;
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
      .option('time', { type: 'number', default: 250, describe: 'measuring time per task over all rounds, ms (each sample lasts time / rounds)' })
      .option('rounds', { type: 'number', default: 7, describe: 'interleaved rounds; figures are medians over them' })
      .option('batch', { type: 'number', default: 256, describe: 'pages per timed stretch between clock reads' })
      .option('c', { type: 'boolean', default: true, describe: 'also run the C reference (codecs/reference-c) when a C compiler exists; --no-c skips it' })
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
    checkFlag('--pages', args.pages, { min: 1, max: 2 ** 18, integer: true, unit: 'page pairs' }); // 2 GiB of pairs at most
    checkFlag('--time', args.time, { min: 1, max: 600_000, unit: 'ms' });
    checkFlag('--batch', args.batch, { min: 1, max: 2 ** 18, integer: true, unit: 'pages' });
    const codecs = splitList(args.codec, '--codec');
    const scenarios = splitList(args.scenario, '--scenario');
    checkFlag('--rounds', args.rounds, { min: 1, max: 1000, integer: true });
    const result = await benchmarkCodecs({
      ...(codecs.length > 0 ? { codecs } : {}),
      ...(scenarios.length > 0 ? { scenarios } : {}),
      pages: args.pages,
      timeMs: args.time,
      batchPages: args.batch,
      rounds: args.rounds,
      cReference: args.c,
      onProgress: (message) => process.stderr.write(`${message}\n`),
    });
    const { rows, cReference, rounds } = result;
    const table: Table = {
      title: 'Codec benchmark',
      columns: [
        { key: 'scenario' },
        { key: 'codec' },
        { key: 'encodedBytes', title: 'bytes/page', digits: 1 },
        { key: 'encodedPercent', title: 'size %', digits: 2 },
        { key: 'overflowPages', title: 'overflow pages' },
        { key: 'pages', title: 'pages' },
        { key: 'encodeMBps', title: 'enc MB/s', digits: 0 },
        { key: 'cEncodeMBps', title: 'C enc MB/s', digits: 0 },
        { key: 'encodeVsC', title: 'enc / C', digits: 2 },
        { key: 'decodeMBps', title: 'dec MB/s', digits: 0 },
        { key: 'cDecodeMBps', title: 'C dec MB/s', digits: 0 },
        { key: 'decodeVsC', title: 'dec / C', digits: 2 },
        { key: 'xorMBps', title: 'XOR pass MB/s', digits: 0 },
        { key: 'encodeVsXor', title: 'enc / XOR', digits: 3 },
        { key: 'decodeVsXor', title: 'dec / XOR', digits: 3 },
        { key: 'verified' },
      ],
      rows: rows.map((row) => ({ ...row })),
      notes: [
        `Pool: ${args.pages} canonical page pairs (splitmix64 seed 20110706); MB/s = 10^6 bytes of input page per second, through the public API (encode/decode per page), median of ${rounds} interleaved rounds.`,
        `pages: kernel-visible = from allocatePages, as the simulator's guest, cache and destination are (${result.kernelVisiblePages}); ordinary = subarrays of a plain Uint8Array (xbzrle and xbrle: ${result.ordinaryPages}).`,
        `C reference (same pairs, same rounds, interleaved; scalar XBZRLE, word-at-a-time XBRLE): ${cReference}; enc / C and dec / C are the median of the rounds' own ratios.`,
      ],
    };
    emit(renderTable(table, args.format), args.out);
  },
};

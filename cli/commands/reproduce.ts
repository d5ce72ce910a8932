/** `pagedelta reproduce NAME`: one published table, ours beside it. */
import type { CommandModule } from 'yargs';
import { renderJsonTables, renderTable, TABLE_FORMATS, type TableFormat } from '../../results/table.js';
import { getReproduction, reproductionNames } from '../../reproductions/registry.js';
import { emit } from '../output.js';

export const reproduceCommand: CommandModule = {
  command: 'reproduce <name>',
  describe: 'reproduce a published table beside our figures',
  builder: (yargs) =>
    yargs
      .positional('name', { type: 'string', choices: reproductionNames(), describe: 'which table' })
      .option('quick', { type: 'boolean', default: false, describe: 'shorter measurements (smoke runs)' })
      .option('format', { choices: TABLE_FORMATS, default: 'md' as TableFormat, describe: 'md (Markdown tables), csv, or json (a list of { title, rows, notes }, rows keyed by field name)' })
      .option('out', { type: 'string', describe: 'write to this file instead of stdout' })
      .option('plot-dir', { type: 'string', describe: 'also write the plots (SVG and PNG) into this folder' }),
  handler: async (argv) => {
    const args = argv as unknown as { name: string; quick: boolean; format: TableFormat; out?: string; 'plot-dir'?: string };
    const script = getReproduction(args.name);
    // Progress on a terminal only (one line, rewritten in place); logs and pipes stay clean.
    const tty = process.stderr.isTTY === true;
    let shown = false;
    const onProgress = tty
      ? (message: string): void => {
          process.stderr.write(`\r\x1b[K${message}`);
          shown = true;
        }
      : undefined;
    const tables = await script.run({ quick: args.quick, ...(onProgress ? { onProgress } : {}) });
    if (shown) process.stderr.write('\r\x1b[K');
    const text = args.format === 'json' ? renderJsonTables(tables) : tables.map((table) => renderTable(table, args.format)).join('\n');
    emit(text, args.out);
    const figures = tables.flatMap((table) => table.figures ?? []);
    if (args['plot-dir'] && figures.length > 0) {
      const { writeFigures } = await import('../../results/plots.js'); // loads vega lazily
      for (const path of await writeFigures(figures, args['plot-dir'])) process.stderr.write(`wrote ${path}\n`);
    }
  },
};

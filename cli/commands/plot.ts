/** `pagedelta plot RESULTS --kind K`: one plot of a results file as SVG (and PNG). */
import { extname } from 'node:path';
import type { CommandModule } from 'yargs';
import { PLOT_KINDS, type PlotKind } from '../../results/plot-kinds.js';
import { parseWhere } from '../../results/views.js';
import { CliError, emit } from '../output.js';
import { loadRows } from './table.js';

const FORMAT_OF_EXTENSION: Readonly<Record<string, string>> = { '.svg': 'svg', '.png': 'png', '.json': 'vega-lite' };

export const plotCommand: CommandModule = {
  command: 'plot <results>',
  describe: 'plot a results file as SVG or PNG (vega-lite, rendered headlessly)',
  builder: (yargs) =>
    yargs
      .positional('results', { type: 'string', describe: 'results file (.jsonl)' })
      .option('kind', { choices: PLOT_KINDS, demandOption: true, describe: 'which plot' })
      .option('out', { type: 'string', describe: 'output file: .svg or .png (default: SVG on stdout)' })
      .option('format', { choices: ['svg', 'png', 'vega-lite'] as const, describe: 'output format (default from --out, else svg)' })
      .option('where', { type: 'string', array: true, describe: 'keep rows with FIELD=VALUE (comma-separated)' })
      .option('cell', { type: 'string', describe: 'timeline: the cell key of the migration to draw' })
      .option('title', { type: 'string', describe: 'plot title' })
      .option('strict', { type: 'boolean', default: false, describe: 'a corrupt line is an error, not a warning' }),
  handler: async (argv) => {
    const args = argv as unknown as { results: string; kind: PlotKind; out?: string; format?: string; where?: string[]; cell?: string; title?: string; strict: boolean };
    const extension = args.out !== undefined ? extname(args.out).toLowerCase() : '';
    const format = args.format ?? FORMAT_OF_EXTENSION[extension] ?? 'svg';
    if (format === 'png' && !args.out) throw new CliError('PNG output needs --out FILE.png');
    // An SVG under a .bmp or .jpg name would open as a broken image; without an extension the
    // format must be named.
    if (args.out !== undefined && (extension !== '' || args.format === undefined) && FORMAT_OF_EXTENSION[extension] !== format) {
      const wanted = Object.entries(FORMAT_OF_EXTENSION).find(([, name]) => name === format)![0];
      throw new CliError(
        args.format === undefined
          ? `--out ${args.out}: plot writes .svg, .png or .json (vega-lite) files, not ${extension === '' ? 'a name without an extension' : extension}`
          : `--out ${args.out}: --format ${format} writes a ${wanted} file, not ${extension === '' ? 'a name without an extension' : extension}`,
      );
    }
    const rows = loadRows(args.results, args.strict);
    // vega and resvg load lazily: they cost more start-up time than every other command.
    const { buildFigure, renderSvg, svgToPng } = await import('../../results/plots.js');
    const where = parseWhere(args.where);
    const figure = buildFigure(args.kind, rows, {
      ...(where ? { where } : {}),
      ...(args.cell ? { cell: args.cell } : {}),
      ...(args.title ? { title: args.title } : {}),
    });
    if (format === 'vega-lite') {
      emit(`${JSON.stringify(figure.spec, null, 2)}\n`, args.out);
      return;
    }
    const svg = await renderSvg(figure);
    emit(format === 'png' ? svgToPng(svg) : svg, args.out);
    if (args.out) process.stderr.write(`wrote ${args.out}\n`);
  },
};

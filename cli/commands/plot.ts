/** `pagedelta plot RESULTS --kind K`: one plot of a results file as SVG (and PNG). */
import type { CommandModule } from 'yargs';
import { PLOT_KINDS, type PlotKind } from '../../results/plot-kinds.js';
import { parseWhere } from '../../results/views.js';
import { CliError, emit } from '../output.js';
import { loadRows } from './table.js';

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
    const format = args.format ?? (args.out?.toLowerCase().endsWith('.png') ? 'png' : args.out?.toLowerCase().endsWith('.json') ? 'vega-lite' : 'svg');
    if (format === 'png' && !args.out) throw new CliError('PNG output needs --out FILE.png');
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

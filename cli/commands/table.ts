/** `pagedelta table RESULTS --metric M`: one metric of a results file as a table. */
import type { CommandModule } from 'yargs';
import { corruptWarnings, describeCorrupt, type ReadResults, readResults, type ResultRow } from '../../results/rows.js';
import { renderTable, TABLE_FORMATS, type TableFormat } from '../../results/table.js';
import { AGGREGATES, type Aggregate, metricNames, metricTable, parseWhere } from '../../results/views.js';
import { CliError, emit, splitList } from '../output.js';

/**
 * Reads a results file for a command: corrupt lines are warnings, the first few then a count
 * (or an error with --strict), and a file without rows is an error.
 */
export function loadResults(path: string, strict: boolean): ReadResults {
  const results = readResults(path);
  if (strict && results.corrupt.length > 0) {
    const more = results.corrupt.length - 1;
    throw new CliError(`${describeCorrupt(path, results.corrupt.slice(0, 1))[0]!}${more > 0 ? ` (and ${more} more corrupt lines)` : ''}`);
  }
  for (const message of corruptWarnings(path, results.corrupt)) process.stderr.write(`warning: ${message}\n`);
  if (results.rows.length === 0) throw new CliError(`${path}: no result rows`);
  return results;
}

export function loadRows(path: string, strict: boolean): ResultRow[] {
  return loadResults(path, strict).rows;
}

export const tableCommand: CommandModule = {
  command: 'table <results>',
  describe: 'tabulate one metric of a results file, grouped and pivoted by any dimension',
  builder: (yargs) =>
    yargs
      .positional('results', { type: 'string', describe: 'results file (.jsonl)' })
      .option('metric', { choices: metricNames(), demandOption: true, describe: 'what to tabulate' })
      .option('group-by', { type: 'string', array: true, describe: 'dimensions naming a row (default: every varying one but seed)' })
      .option('pivot', { type: 'string', describe: 'a dimension whose values become columns' })
      .option('aggregate', { choices: AGGREGATES, default: 'median' as Aggregate, describe: 'how rows of a group combine (e.g. seeds)' })
      .option('where', { type: 'string', array: true, describe: 'keep rows with FIELD=VALUE (comma-separated)' })
      .option('strict', { type: 'boolean', default: false, describe: 'a corrupt line is an error, not a warning' })
      .option('format', { choices: TABLE_FORMATS, default: 'md' as TableFormat, describe: 'output: md (Markdown tables), csv (header = field names) or json ({ title, rows, notes })' })
      .option('out', { type: 'string', describe: 'write to this file instead of stdout' }),
  handler: async (argv) => {
    const args = argv as unknown as {
      results: string;
      metric: string;
      'group-by'?: string[];
      pivot?: string;
      aggregate: Aggregate;
      where?: string[];
      strict: boolean;
      format: TableFormat;
      out?: string;
    };
    const rows = loadRows(args.results, args.strict);
    const groupBy = splitList(args['group-by']);
    const where = parseWhere(args.where);
    const table = metricTable(rows, {
      metric: args.metric,
      ...(groupBy.length > 0 ? { groupBy } : {}),
      ...(args.pivot ? { pivot: args.pivot } : {}),
      aggregate: args.aggregate,
      ...(where ? { where } : {}),
    });
    emit(renderTable(table, args.format), args.out);
  },
};

/** `pagedelta merge SHARD...`: joins shard result files into one. */
import type { CommandModule } from 'yargs';
import { expandCells, experimentId, loadExperiment } from '../../harness/experiment/experiment.js';
import { corruptWarnings, formatResults, mergeResults, readResults, type ResultRow } from '../../results/rows.js';
import { CliError, emit } from '../output.js';

export const mergeCommand: CommandModule = {
  command: 'merge <files..>',
  describe: 'join results files (shards) into one, one row per cell, in cell order',
  builder: (yargs) =>
    yargs
      .positional('files', { type: 'string', array: true, describe: 'results files (.jsonl)' })
      .option('out', { type: 'string', describe: 'write the merged rows to this file instead of stdout' })
      .option('experiment', { type: 'string', describe: 'the experiment file: report cells that no shard has' })
      .option('require-complete', { type: 'boolean', default: false, describe: 'exit 1 when --experiment has cells no shard has' }),
  handler: async (argv) => {
    const args = argv as unknown as { files: string[]; out?: string; experiment?: string; 'require-complete': boolean };
    const inputs: ResultRow[][] = [];
    for (const file of args.files) {
      const results = readResults(file);
      for (const message of corruptWarnings(file, results.corrupt)) process.stderr.write(`warning: ${message}\n`);
      inputs.push(results.rows);
    }
    const merged = mergeResults(inputs);
    // Nothing to merge is a mistake (wrong files), not an empty success: no output is written.
    if (merged.rows.length === 0) throw new CliError(`no result rows in ${args.files.length === 1 ? args.files[0] : `any of the ${args.files.length} files`}; nothing merged`);
    if (merged.experimentIds.length > 1) {
      process.stderr.write(`warning: rows come from ${merged.experimentIds.length} different experiments (${merged.experimentIds.join(', ')})\n`);
    }
    let missing = 0;
    if (args.experiment) {
      const cells = expandCells(loadExperiment(args.experiment));
      const have = new Set(merged.rows.map((row) => row.cell));
      missing = cells.filter((cell) => !have.has(cell.key)).length;
      const id = experimentId(cells);
      const foreign = merged.rows.filter((row) => row.experimentId !== id).length;
      process.stderr.write(`${cells.length - missing}/${cells.length} cells of ${args.experiment} present, ${missing} missing${foreign > 0 ? `, ${foreign} rows from other experiments` : ''}\n`);
    }
    emit(formatResults(merged.rows), args.out);
    process.stderr.write(`merged ${merged.rows.length} rows from ${args.files.length} files (${merged.duplicates} duplicates dropped)\n`);
    if (args['require-complete'] && missing > 0) throw new CliError(`${missing} cells of ${args.experiment} are missing from the merged results`);
  },
};

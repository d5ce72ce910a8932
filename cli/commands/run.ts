/** `pagedelta run EXPERIMENT`: the cross product of an experiment file, as JSON Lines rows. */
import { basename, dirname, extname, join } from 'node:path';
import type { CommandModule } from 'yargs';
import { loadExperiment, parseShard } from '../../harness/experiment/experiment.js';
import { checkOutputFile } from '../../io/output-path.js';
import { runExperiment } from '../../harness/experiment/runner.js';
import { createProgressReporter } from '../progress.js';
import { CliError } from '../output.js';

interface RunArgs {
  experiment: string;
  out?: string;
  stdout: boolean;
  shard?: string;
  workers?: number;
  'dry-run': boolean;
}

/** `grid.yaml` -> `grid.jsonl`, or `grid.shard-2-of-8.jsonl` for a shard. */
export function defaultResultsPath(experimentPath: string, shard?: { index: number; count: number }): string {
  const stem = basename(experimentPath, extname(experimentPath));
  return join(dirname(experimentPath), `${stem}${shard ? `.shard-${shard.index}-of-${shard.count}` : ''}.jsonl`);
}

export const runCommand: CommandModule = {
  command: 'run <experiment>',
  describe: 'run every cell of an experiment file (JSON/YAML; see docs/experiments.md), appending rows to a JSON Lines file',
  builder: (yargs) =>
    yargs
      .positional('experiment', { type: 'string', describe: 'experiment file (.json, .yaml)' })
      .option('out', { type: 'string', describe: 'results file (default: next to the experiment, .jsonl)' })
      .option('stdout', { type: 'boolean', default: false, describe: 'stream rows to stdout instead of a file (no resuming)' })
      .option('shard', { type: 'string', describe: 'run only slice I of N (I/N, 1-based), e.g. for a Slurm array or CI matrix' })
      .option('workers', { type: 'number', describe: 'worker threads (default: one per core; 0 = run in this thread)' })
      .option('dry-run', { type: 'boolean', default: false, describe: 'list the cells (JSON Lines) without running them' }),
  handler: async (argv) => {
    const args = argv as unknown as RunArgs;
    const experiment = loadExperiment(args.experiment);
    const shard = args.shard !== undefined ? parseShard(args.shard) : undefined;
    if (args.workers !== undefined && (!Number.isInteger(args.workers) || args.workers < 0)) {
      throw new CliError(`--workers must be a non-negative integer, got ${args.workers}`);
    }
    if (args['dry-run']) {
      const { expandCells, shardCells } = await import('../../harness/experiment/experiment.js');
      for (const cell of shardCells(expandCells(experiment), shard)) {
        process.stdout.write(`${JSON.stringify({ index: cell.index, cell: cell.key, ...cell.params })}\n`);
      }
      return;
    }
    const toStdout = args.stdout;
    if (toStdout && args.out) throw new CliError('--stdout and --out are exclusive');
    const out = toStdout ? undefined : (args.out ?? defaultResultsPath(args.experiment, shard));
    // --out was checked before the handler; the default beside the experiment is checked here.
    if (out !== undefined && args.out === undefined) checkOutputFile(out, 'results file');
    const progress = createProgressReporter();
    const controller = new AbortController();
    const onSignal = (): void => {
      progress.log('interrupted: stopping; finished rows are kept, cells in flight are lost (re-run to resume)');
      controller.abort();
    };
    process.once('SIGINT', onSignal);
    process.once('SIGTERM', onSignal);
    try {
      const summary = await runExperiment(experiment, {
        ...(out ? { out } : {}),
        ...(shard ? { shard } : {}),
        ...(args.workers !== undefined ? { workers: args.workers } : {}),
        signal: controller.signal,
        onProgress: (state) => progress.update(state),
        onWarning: (message) => progress.log(`warning: ${message}`),
        ...(toStdout ? { onRow: (row) => process.stdout.write(`${JSON.stringify(row)}\n`) } : {}),
      });
      progress.finish();
      const where = out ? ` to ${out}` : '';
      process.stderr.write(
        `${summary.interrupted ? 'interrupted after' : 'done:'} ${summary.ran} cells run${where}, ${summary.skipped} already done, ${summary.cells} in ${shard ? `shard ${shard.index}/${shard.count}` : 'the experiment'}\n`,
      );
      if (summary.interrupted) process.exitCode = 130;
    } finally {
      progress.finish();
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
    }
  },
};

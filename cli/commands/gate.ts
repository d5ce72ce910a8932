/** `pagedelta gate --baseline FILE [--update]`: the CI performance gate. */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { CommandModule } from 'yargs';
import { DEFAULT_TOLERANCES, formatBaseline, type GateMeasurement, mergeBaselines, readBaseline, runGate, runGateSuite } from '../../harness/gate/gate.js';
import { renderTable, TABLE_FORMATS, type TableFormat } from '../../results/table.js';
import { CliError, emit } from '../output.js';

export const gateCommand: CommandModule = {
  command: 'gate',
  describe: 'run the fixed gate suite and compare with the baseline (exit 1 on a regression); --update rewrites it',
  builder: (yargs) =>
    yargs
      .option('baseline', { type: 'string', default: 'results/baseline.json', describe: 'baseline file' })
      .option('update', { type: 'boolean', default: false, describe: 'rewrite the baseline with this run (deliberately)' })
      .option('processes', {
        type: 'number',
        default: 3,
        describe: 'with --update: run the suite in this many processes and keep each ratio\'s slowest',
      })
      .option('rounds', { type: 'number', default: 7, describe: 'interleaved measurement rounds (the median is compared)' })
      .option('exact-only', { type: 'boolean', default: false, describe: 'compare only the deterministic figures (skip throughput; for noisy machines)' })
      .option('warn', { type: 'number', describe: `slowdown that warns (default ${DEFAULT_TOLERANCES.warn})` })
      .option('fail', { type: 'number', describe: `slowdown that fails (default ${DEFAULT_TOLERANCES.fail})` })
      .option('format', { choices: TABLE_FORMATS, default: 'md' as TableFormat, describe: 'output: md (Markdown tables), csv (header = field names) or json ({ title, rows, notes })' })
      .option('out', { type: 'string', describe: 'write the report to this file instead of stdout' }),
  handler: async (argv) => {
    const args = argv as unknown as { baseline: string; update: boolean; processes: number; 'exact-only': boolean; rounds: number; warn?: number; fail?: number; format: TableFormat; out?: string };
    if (!Number.isInteger(args.rounds) || args.rounds < 1) throw new CliError(`--rounds must be a positive integer, got ${args.rounds}`);
    for (const [flag, value] of [
      ['--warn', args.warn],
      ['--fail', args.fail],
    ] as const) {
      if (value !== undefined && !(value > 0 && value < 1)) throw new CliError(`${flag} must be a fraction between 0 and 1, got ${value}`);
    }
    if (args.warn !== undefined && args.fail !== undefined && args.warn > args.fail) {
      throw new CliError(`--warn ${args.warn} is above --fail ${args.fail}: a slowdown must warn before it fails`);
    }
    const baseline = args.update ? null : readBaseline(args.baseline);
    const tolerances = {
      warn: args.warn ?? baseline?.tolerances?.warn ?? DEFAULT_TOLERANCES.warn,
      fail: args.fail ?? baseline?.tolerances?.fail ?? DEFAULT_TOLERANCES.fail,
    };
    // One flag against the other's value from the baseline (or the default), before the suite runs.
    if (baseline && tolerances.warn > tolerances.fail) {
      throw new CliError(`warn tolerance ${tolerances.warn}${args.warn === undefined ? ` (from ${args.baseline})` : ''} is above fail tolerance ${tolerances.fail}${args.fail === undefined ? ` (from ${args.baseline})` : ''}: a slowdown must warn before it fails`);
    }
    const started = performance.now();
    const onProgress = (message: string): void => {
      process.stderr.write(`${message}\n`);
    };
    if (args.update && args['exact-only']) throw new CliError('--update records the whole suite; drop --exact-only');
    if (!Number.isInteger(args.processes) || args.processes < 1) throw new CliError(`--processes must be a positive integer, got ${args.processes}`);
    if (args.update && args.processes > 1) {
      const current = updateInProcesses(args.processes, args.rounds);
      const seconds = ((performance.now() - started) / 1000).toFixed(1);
      emit(formatBaseline(current), args.baseline);
      process.stderr.write(
        `gate: wrote ${args.baseline} (${Object.keys(current.exact).length} exact figures, ${Object.keys(current.ratios).length} throughput ratios, slowest of ${args.processes} processes) in ${seconds} s\n`,
      );
      return;
    }
    if (args.update) {
      const current = await runGateSuite({ rounds: args.rounds, onProgress });
      const seconds = ((performance.now() - started) / 1000).toFixed(1);
      emit(formatBaseline(current), args.baseline);
      process.stderr.write(
        `gate: wrote ${args.baseline} (${Object.keys(current.exact).length} exact figures, ${Object.keys(current.ratios).length} throughput ratios) in ${seconds} s\n`,
      );
      return;
    }
    if (args['exact-only']) baseline!.ratios = {};
    const { report, remeasured } = await runGate(baseline!, {
      rounds: args.rounds,
      tolerances,
      onProgress,
      ...(args['exact-only'] ? { throughputCodecs: [] } : {}),
    });
    const seconds = ((performance.now() - started) / 1000).toFixed(1);
    const table = {
      title: `Performance gate against ${args.baseline}`,
      columns: [
        { key: 'figure' },
        { key: 'kind' },
        { key: 'baseline' },
        { key: 'current' },
        { key: 'change', title: 'change %', digits: 1 },
        { key: 'verdict' },
        { key: 'note' },
      ],
      rows: report.figures.map((figure) => ({
        figure: figure.figure,
        kind: figure.kind === 'exact' ? 'exact' : 'ratio to XOR',
        baseline: typeof figure.baseline === 'number' && figure.kind === 'ratio' ? Number(figure.baseline.toPrecision(4)) : figure.baseline,
        current: typeof figure.current === 'number' && figure.kind === 'ratio' ? Number(figure.current.toPrecision(4)) : figure.current,
        change: figure.change === null ? null : 100 * figure.change,
        verdict: figure.verdict,
        note: figure.note,
      })),
      notes: [
        `${report.figures.length} figures: ${report.failed} failed, ${report.warned} warned; throughput ratios are medians over ${args.rounds} interleaved rounds (XOR, codec, XOR); fail beyond ${(100 * tolerances.fail).toFixed(0)}% slowdown, warn beyond ${(100 * tolerances.warn).toFixed(0)}%.`,
        ...(remeasured.length > 0 ? [`Re-measured beyond tolerance (judged on all their rounds): ${remeasured.join(', ')}.`] : []),
        `Suite ran in ${seconds} s. Baseline measured on ${baseline!.machine?.cpu ?? 'unknown'} (${baseline!.machine?.generatedAt ?? '?'}).`,
      ],
    };
    emit(renderTable(table, args.format), args.out);
    process.stderr.write(`gate: ${report.passed ? 'PASS' : 'FAIL'} (${report.failed} failed, ${report.warned} warned)\n`);
    if (!report.passed) process.exitCode = 1;
  },
};

/** Runs `gate --update` in `processes` child processes, one after another, and merges them. */
function updateInProcesses(processes: number, rounds: number): GateMeasurement {
  const cli = fileURLToPath(new URL('../main.js', import.meta.url));
  const directory = mkdtempSync(join(tmpdir(), 'pagedelta-gate-'));
  try {
    const runs: GateMeasurement[] = [];
    for (let run = 1; run <= processes; run++) {
      process.stderr.write(`gate: baseline run ${run}/${processes} (own process)\n`);
      const path = join(directory, `run-${run}.json`);
      const child = spawnSync(process.execPath, [cli, 'gate', '--update', '--processes', '1', '--rounds', String(rounds), '--baseline', path], {
        stdio: ['ignore', 'ignore', 'inherit'],
      });
      if (child.status !== 0) throw new CliError(`baseline run ${run} failed (exit ${child.status ?? child.signal})`);
      runs.push(readBaseline(path));
    }
    return mergeBaselines(runs);
  } finally {
    rmSync(directory, { recursive: true, force: true });
  }
}

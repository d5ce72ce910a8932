/** `pagedelta report RESULTS`: one self-contained HTML report, and a Markdown one. */
import { mkdirSync } from 'node:fs';
import { basename, dirname, extname, join, resolve } from 'node:path';
import type { CommandModule } from 'yargs';
import { checkOutputFile, checkOutputFolder } from '../../io/output-path.js';
import { CliError, emit } from '../output.js';
import { loadResults } from './table.js';

export const reportCommand: CommandModule = {
  command: 'report <results>',
  describe: 'write a self-contained HTML report (and a Markdown one) with the tables and plots of a results file',
  builder: (yargs) =>
    yargs
      .positional('results', { type: 'string', describe: 'results file (.jsonl)' })
      .option('out', { type: 'string', describe: 'HTML file (default: RESULTS with .html)' })
      .option('markdown', { type: 'string', describe: 'Markdown file (default: RESULTS with .md; plots go to a folder beside it)' })
      .option('title', { type: 'string', describe: 'report title' })
      .option('strict', { type: 'boolean', default: false, describe: 'a corrupt line is an error, not a warning' }),
  handler: async (argv) => {
    const args = argv as unknown as { results: string; out?: string; markdown?: string; title?: string; strict: boolean };
    const stem = join(dirname(args.results), basename(args.results, extname(args.results)));
    const htmlPath = args.out ?? `${stem}.html`;
    const markdownPath = args.markdown ?? `${stem}.md`;
    const assetsDir = `${basename(markdownPath, extname(markdownPath))}-files`;
    // The flags were checked before the handler; the defaults derived from RESULTS are checked
    // here, before the results are read, so a bad path never costs a report's work.
    checkOutputFile(htmlPath, args.out !== undefined ? '--out' : 'HTML report');
    checkOutputFile(markdownPath, args.markdown !== undefined ? '--markdown' : 'Markdown report');
    if (resolve(htmlPath) === resolve(markdownPath)) throw new CliError(`the HTML and the Markdown report would both be ${markdownPath}; give --out and --markdown different files`);
    checkOutputFolder(join(dirname(markdownPath), assetsDir), 'report plot folder');
    const results = loadResults(args.results, args.strict);
    const { buildReport } = await import('../../results/report.js'); // loads vega lazily
    const report = await buildReport(results.rows, {
      ...(args.title ? { title: args.title } : {}),
      notes: [`Results file: ${args.results}${results.corrupt.length > 0 ? ` (${results.corrupt.length} corrupt lines skipped)` : ''}.`],
      assetsDir,
    });
    emit(report.html, htmlPath);
    for (const [file, content] of Object.entries(report.assets)) {
      const path = join(dirname(markdownPath), file);
      mkdirSync(dirname(path), { recursive: true });
      emit(content, path);
    }
    emit(report.markdown, markdownPath);
    process.stderr.write(`wrote ${htmlPath} and ${markdownPath} (${report.tables.length} tables, ${report.figures.length} plots)\n`);
  },
};

#!/usr/bin/env node
/**
 * The pagedelta command line: flag parsing only (yargs, strict). Every command calls the same
 * library functions the tests and scripts call; errors become one line on stderr and exit 1.
 */
import yargs from 'yargs';
import { hideBin } from 'yargs/helpers';
import { commands } from './commands/index.js';
import { CliError } from './output.js';

async function main(argv: string[]): Promise<number> {
  let cli = yargs(argv)
    .scriptName('pagedelta')
    .strict()
    .demandCommand(1, 'name a command (see --help)')
    .recommendCommands()
    .help()
    .wrap(Math.min(110, process.stdout.columns || 110))
    .fail((message, error) => {
      throw error ?? new CliError(message);
    });
  for (const command of commands) cli = cli.command(command);
  await cli.parseAsync();
  return 0;
}

main(hideBin(process.argv)).then(
  (code) => {
    // A command may have set its own exit code (gate: 1 on a regression; run: 130 when interrupted).
    process.exitCode ??= code;
  },
  (error: unknown) => {
    const message = error instanceof Error ? error.message : String(error);
    process.stderr.write(`pagedelta: ${message.split('\n')[0]}\n`);
    if (process.env.PAGEDELTA_DEBUG && error instanceof Error && error.stack) process.stderr.write(`${error.stack}\n`);
    process.exitCode = 1;
  },
);

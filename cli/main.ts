#!/usr/bin/env node
/**
 * The pagedelta command line: flag parsing only (yargs, strict). Every command calls the same
 * library functions the tests and scripts call; errors become one line on stderr and exit 1.
 */
import yargs from 'yargs';
import { hideBin } from 'yargs/helpers';
import { commands, EPILOG } from './commands/index.js';
import { checkOutputFile, checkOutputFolder } from '../io/output-path.js';
import { writeErrorReason } from '../io/write-file.js';
import { CliError } from './output.js';

/**
 * Checks every output a command names before it starts work: a nonexistent folder, a device, a
 * FIFO or a symbolic link fails here, not after a long run (and is never replaced by a file).
 */
function checkOutputs(argv: Record<string, unknown>): void {
  if (argv.out !== undefined) checkOutputFile(String(argv.out), '--out');
  if (argv.markdown !== undefined) checkOutputFile(String(argv.markdown), '--markdown');
  if (argv['plot-dir'] !== undefined) checkOutputFolder(String(argv['plot-dir']), '--plot-dir');
  if (argv.update === true && argv.baseline !== undefined) checkOutputFile(String(argv.baseline), '--baseline');
}

/** yargs spreads some messages over lines (invalid choices); CI and users read one line. */
function oneLine(message: string): string {
  const choice = /Invalid values:\s*Argument: ([^,]+), Given: (.*), Choices: (.*)$/s.exec(message);
  if (choice) {
    const valid = choice[3]!.split(',').map((item) => item.trim().replace(/^"(.*)"$/, '$1')).join(', ');
    return `${choice[2]!.trim()} is not a valid ${choice[1]}; valid: ${valid}`;
  }
  return message
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line.length > 0)
    .join(' ');
}

async function main(argv: string[]): Promise<number> {
  let cli = yargs(argv)
    .scriptName('pagedelta')
    .strict()
    .demandCommand(1, 'name a command (see --help)')
    .recommendCommands()
    .help()
    .epilog(EPILOG)
    .wrap(Math.min(110, process.stdout.columns || 110))
    .middleware(checkOutputs)
    .fail((message, error) => {
      throw error ?? new CliError(oneLine(message));
    });
  for (const command of commands) cli = cli.command(command);
  await cli.parseAsync();
  return 0;
}

// stdout on a full disk (`> /dev/full`) or a closed pipe: one line, not an unhandled 'error'
// event's stack trace. A closed pipe (`| head`) is the reader's choice, so it stays quiet.
process.stdout.on('error', (error: NodeJS.ErrnoException) => {
  if (error.code !== 'EPIPE') process.stderr.write(`pagedelta: cannot write stdout: ${writeErrorReason(error)}\n`);
  process.exitCode = 1;
  process.exit();
});

main(hideBin(process.argv)).then(
  (code) => {
    // A command may have set its own exit code (gate: 1 on a regression; run: 130 when interrupted).
    process.exitCode ??= code;
  },
  (error: unknown) => {
    const message = error instanceof Error ? error.message : String(error);
    process.stderr.write(`pagedelta: ${message.split('\n')[0]}\n`);
    if (process.env.PAGEDELTA_DEBUG && error instanceof Error && error.stack) process.stderr.write(`${error.stack}\n`);
    // Keep a code the command chose (130: interrupted); anything else is 1.
    if (!process.exitCode) process.exitCode = 1;
  },
);

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

/**
 * yargs makes an array of any flag given twice; for a flag that takes one value that reached
 * the commands as "bad --duration a list" or "--pages must be a number, got 64,0".
 */
function checkRepeatedFlags(argv: Record<string, unknown>, parser: { getOptions(): { array: string[] } }): void {
  const arrays = new Set(parser.getOptions().array);
  for (const [key, value] of Object.entries(argv)) {
    if (key === '_' || key === '--' || key === '$0' || /[A-Z]/.test(key) || !Array.isArray(value) || arrays.has(key)) continue;
    throw new CliError(`--${key} given more than once (${value.join(', ')}): give it once`);
  }
}

/** yargs-parser's negative numbers: the only values after a space that may start with "-". */
const NEGATIVE_NUMBER = /^-([0-9]+(\.[0-9]+)?|\.[0-9]+)$/;

/**
 * `--ram -1G` reaches strict mode as unknown flags `1, G`: name the flag and how to pass the
 * value instead (rewriting argv would silently turn `--pipeline -1G` into `--pipeline=false`).
 */
function dashedValue(argv: string[]): string | null {
  for (let i = 1; i < argv.length && argv[i - 1] !== '--'; i++) {
    const flag = argv[i - 1]!;
    const value = argv[i]!;
    if (/^--[^=]+$/.test(flag) && /^-\.?[0-9]/.test(value) && !NEGATIVE_NUMBER.test(value)) {
      return `${flag} ${value}: a value starting with "-" after a space is read as flags; write ${flag}=${value}`;
    }
  }
  return null;
}

/** yargs spreads some messages over lines (invalid choices); CI and users read one line. */
function oneLine(message: string, argv: string[]): string {
  const unknown = /^Unknown arguments?: (.*)$/s.exec(message);
  if (unknown) {
    const hint = dashedValue(argv);
    if (hint !== null) return hint;
    // yargs lists an unknown --foo-bar twice: as foo-bar and as its camel-case expansion fooBar.
    const names = unknown[1]!.split(', ');
    const camel = (name: string) => name.replace(/-([a-z])/g, (_, letter: string) => letter.toUpperCase());
    const kept = names.filter((name) => !names.some((other) => other !== name && other.includes('-') && camel(other) === name));
    return `Unknown argument${kept.length > 1 ? 's' : ''}: ${kept.join(', ')}`;
  }
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
    .middleware(checkRepeatedFlags as never)
    .middleware(checkOutputs)
    .fail((message, error) => {
      throw error ?? new CliError(oneLine(message, argv));
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

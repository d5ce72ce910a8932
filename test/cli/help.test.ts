// Every command's --help: examples, the docs epilog, and a description on every flag.
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { commands, EXAMPLE_COMMANDS } from '../../cli/commands/index.js';

const CLI = fileURLToPath(new URL('../../dist/cli/main.js', import.meta.url));
const help = (...args: string[]): string => spawnSync(process.execPath, [CLI, ...args, '--help'], { encoding: 'utf8', timeout: 60_000 }).stdout;
const NAMES = commands.map((command) => String(command.command).split(' ')[0]!);

describe('CLI help', () => {
  it('every command has examples', () => {
    expect([...NAMES].sort()).toEqual([...EXAMPLE_COMMANDS].sort());
  });

  it.each([...NAMES.map((name) => [name]), ['trace', 'info'], ['trace', 'record'], ['trace', 'synth']])('%s %s: examples and the docs epilog (on the parent of nested ones), every flag described', (...words: string[]) => {
    const text = help(...words.filter((word) => word !== undefined));
    // Nested trace subcommands show their own flags; their parent carries examples and epilog.
    if (words.length === 1) {
      expect(text).toContain('Examples:');
      expect(text).toContain('Docs: README.md and docs/');
    }
    // An option line whose first text after the flag names is a [type] bracket has no description.
    const undescribed = text.split('\n').filter((line) => /^\s+(-\w, )?--[\w-]+(, --[\w-]+)*\s+\[/.test(line));
    expect(undescribed).toEqual([]);
  });
});

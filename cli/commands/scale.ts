/** `pagedelta scale`: the simulator's scale benchmark, one child process per guest size. */
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { CommandModule } from 'yargs';
import { checkScalePoint, runScalePoint, SCALE_SIZES } from '../../harness/migration/scale.js';
import { parseSize } from '../../units/quantities.js';
import { CliError, emit } from '../output.js';

export const scaleCommand: CommandModule = {
  command: 'scale [sizes]',
  describe: 'scale benchmark of the simulator: wall time and peak memory of one migration per guest size (JSON lines)',
  builder: (yargs) =>
    yargs
      .positional('sizes', { type: 'string', default: SCALE_SIZES.join(','), describe: 'comma-separated guest sizes, each run in its own process' })
      .option('one', { type: 'string', hidden: true, describe: 'run one size in this process (the child of a scale run)' })
      .example('pagedelta scale 256M,1G,4G', 'one JSON line per guest size'),
  handler: (argv) => {
    const args = argv as unknown as { sizes: string; one?: string };
    if (args.one !== undefined) {
      emit(`${JSON.stringify(runScalePoint(parsed(args.one)))}\n`);
      return;
    }
    const sizes = args.sizes.split(',').map((size) => size.trim());
    // Every size checked (as the simulator would) before the first run.
    for (const size of sizes) {
      const ramBytes = parsed(size);
      try {
        checkScalePoint(ramBytes);
      } catch (error) {
        throw new CliError(`guest size ${size}: ${(error as Error).message}`);
      }
    }
    const cli = fileURLToPath(new URL('../main.js', import.meta.url));
    for (const size of sizes) {
      const child = spawnSync(process.execPath, ['--max-old-space-size=4096', cli, 'scale', '--one', size], { encoding: 'utf8' });
      if (child.status !== 0) {
        process.stdout.write(`${JSON.stringify({ size, error: child.stderr.trim().split('\n')[0] })}\n`);
        process.exitCode = 1; // the other sizes still run; the command failed
        continue;
      }
      process.stdout.write(child.stdout);
    }
  },
};

function parsed(size: string): number {
  try {
    return parseSize(size, 'guest size');
  } catch (error) {
    throw new CliError((error as Error).message);
  }
}

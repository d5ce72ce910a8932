/** `pagedelta qemu`: real QEMU migrations on this host, and the simulator beside them (qemu/). */
import { accessSync, constants, existsSync, readFileSync, statSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import type { Argv, CommandModule, Options } from 'yargs';
import { parseDuration, parseRate, parseSize } from '../../units/quantities.js';
import { buildDirtier, buildInitramfs } from '../../qemu/build.js';
import { calibrateKernelPages } from '../../qemu/calibrate.js';
import { runValidation, VALIDATION_CONFIGS, validationMarkdown } from '../../qemu/validate.js';
import { compareWithSimulator, comparisonTable } from '../../qemu/compare.js';
import { type QemuRunOptions, type QemuRunResult, runQemuMigration, validateRunOptions } from '../../qemu/run.js';
import { APT_PACKAGES, chooseAccelerator, defaultCacheDir, findExecutable, findKernel, INSTALL_HINT, installKernel } from '../../qemu/tools.js';
import { renderTable, TABLE_FORMATS, type TableFormat } from '../../results/table.js';
import { CliError, emit } from '../output.js';

interface RunArgs {
  workload: string;
  buffer: string;
  ram: string;
  seed: number;
  xbzrle: boolean;
  cacheSize: string;
  maxBandwidth: string;
  downtime: string;
  autoConverge: boolean;
  accel: string;
  port?: number;
  warmup: string;
  bootTimeout: string;
  maxTime: string;
  kernel?: string;
  cacheDir?: string;
  path?: string;
  keep: boolean;
  out?: string;
  format: TableFormat;
  kernelPages?: number;
  calibrate: boolean;
  from?: string;
}

function parsed<T>(parse: () => T): T {
  try {
    return parse();
  } catch (error) {
    throw new CliError(error instanceof Error ? error.message : String(error));
  }
}

/** Fails before any work when --out cannot be written. */
function checkWritable(path: string | undefined): void {
  if (path === undefined) return;
  const full = resolve(path);
  try {
    if (existsSync(full)) {
      if (statSync(full).isDirectory()) throw new CliError(`--out ${path} is a directory`);
      accessSync(full, constants.W_OK);
    } else accessSync(dirname(full), constants.W_OK);
  } catch (error) {
    if (error instanceof CliError) throw error;
    throw new CliError(`--out ${path} is not writable (${(error as NodeJS.ErrnoException).code ?? 'error'})`);
  }
}

/** Flags several qemu commands take, defined once. */
const MACHINE_FLAGS: Record<'accel' | 'boot-timeout' | 'kernel' | 'cache-dir', Options> = {
  accel: { choices: ['auto', 'kvm', 'tcg'], default: 'auto', describe: 'accelerator: auto is KVM when /dev/kvm opens, else TCG' },
  'boot-timeout': { type: 'string', default: '120s', describe: 'time limit for the guest to print its ready line' },
  kernel: { type: 'string', describe: 'guest kernel image (default: the one "qemu install" unpacked)' },
  'cache-dir': { type: 'string', describe: 'folder of the kernel and built artefacts (default ~/.cache/pagedelta/qemu)' },
};

function migrationFlags(yargs: Argv): Argv {
  return yargs
    .option('workload', { type: 'string', default: 'idle:content=random', describe: 'workload the guest dirtier runs: qemu-age-test, hotset, uniform or idle with their usual parameters' })
    .option('buffer', { type: 'string', default: '64M', describe: "the dirtier's buffer (its region) for hotset, uniform and idle; qemu-age-test uses its mib=" })
    .option('ram', { type: 'string', default: '256M', describe: 'guest RAM (whole MiB)' })
    .option('seed', { type: 'number', default: 1, describe: 'workload seed (same seed: same bytes as the simulator)' })
    .option('xbzrle', { type: 'boolean', default: false, describe: "QEMU's xbzrle capability" })
    .option('cache-size', { type: 'string', default: '64M', describe: 'xbzrle-cache-size' })
    .option('max-bandwidth', { type: 'string', default: '32MiB/s', describe: 'max-bandwidth (also the simulated link)' })
    .option('downtime', { type: 'string', default: '300ms', describe: 'downtime-limit' })
    .option('auto-converge', { type: 'boolean', default: false, describe: "QEMU's auto-converge capability" })
    .option('accel', MACHINE_FLAGS['accel'])
    .option('port', { type: 'number', describe: 'destination TCP port on 127.0.0.1 (default: a free one)' })
    .option('warmup', { type: 'string', default: '2s', describe: 'guest run time between its ready line and the migration' })
    .option('boot-timeout', MACHINE_FLAGS['boot-timeout'])
    .option('max-time', { type: 'string', default: '180s', describe: 'migration time limit (then migrate_cancel: did not converge)' })
    .option('kernel', MACHINE_FLAGS['kernel'])
    .option('cache-dir', MACHINE_FLAGS['cache-dir'])
    .option('path', { type: 'string', describe: 'PATH used to find qemu-system-x86_64 and gcc (default $PATH)' })
    .option('keep', { type: 'boolean', default: false, describe: "keep the run folder (both guests' serial logs)" })
    .option('out', { type: 'string', describe: 'write the JSON result to this file (checked writable first)' });
}

function runOptions(args: RunArgs, signal: AbortSignal): QemuRunOptions {
  return {
    workload: args.workload,
    bufferBytes: parsed(() => parseSize(args.buffer, '--buffer')),
    ramBytes: parsed(() => parseSize(args.ram, '--ram')),
    seed: args.seed,
    xbzrle: args.xbzrle,
    cacheBytes: parsed(() => parseSize(args.cacheSize, '--cache-size')),
    maxBandwidthBps: parsed(() => parseRate(args.maxBandwidth, '--max-bandwidth')),
    downtimeLimitMs: parsed(() => parseDuration(args.downtime, '--downtime')),
    autoConverge: args.autoConverge,
    accelerator: args.accel as 'auto' | 'kvm' | 'tcg',
    ...(args.port !== undefined ? { port: args.port } : {}),
    warmupMs: parsed(() => parseDuration(args.warmup, '--warmup')),
    bootTimeoutMs: parsed(() => parseDuration(args.bootTimeout, '--boot-timeout')),
    migrateTimeoutMs: parsed(() => parseDuration(args.maxTime, '--max-time')),
    ...(args.kernel !== undefined ? { kernel: args.kernel } : {}),
    ...(args.cacheDir !== undefined ? { cacheDir: args.cacheDir } : {}),
    ...(args.path !== undefined ? { searchPath: args.path } : {}),
    keepDir: args.keep,
    signal,
    log: (line) => process.stderr.write(`qemu: ${line}\n`),
  };
}

/** Runs `work` with SIGINT/SIGTERM aborting it (both QEMUs are then stopped by pid). */
async function interruptible<T>(work: (signal: AbortSignal) => Promise<T>): Promise<T> {
  const controller = new AbortController();
  const onSignal = (): void => {
    controller.abort();
    process.exitCode = 130;
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  try {
    return await work(controller.signal);
  } finally {
    process.removeListener('SIGINT', onSignal);
    process.removeListener('SIGTERM', onSignal);
  }
}

function checkFlags(args: RunArgs, signal: AbortSignal): QemuRunOptions {
  checkWritable(args.out);
  const options = runOptions(args, signal);
  parsed(() => validateRunOptions(options));
  return options;
}

const runCommand: CommandModule = {
  command: 'run',
  describe: 'one real QEMU migration of the dirtier guest; every query-migrate poll as JSON',
  builder: (yargs) =>
    migrationFlags(yargs).example('$0 qemu run --workload hotset:hot=8192,rate=20000,content=random --xbzrle --cache-size 32M --out run.json', 'sparse hot set with XBZRLE'),
  handler: async (argv) => {
    const args = argv as unknown as RunArgs;
    const result = await interruptible((signal) => runQemuMigration(checkFlags(args, signal)));
    emit(`${JSON.stringify(result, null, 2)}\n`, args.out);
  },
};

const compareCommand: CommandModule = {
  command: 'compare',
  describe: 'a real QEMU migration (or a saved run) beside simulateMigration on the same configuration',
  builder: (yargs) =>
    migrationFlags(yargs)
      .option('from', { type: 'string', describe: 'compare a run saved by "qemu run --out" or "qemu compare --out" instead of running QEMU' })
      .option('kernel-pages', { type: 'number', describe: "guest kernel's non-zero pages outside the buffer (default: from this run's bulk pass)" })
      .option('calibrate', { type: 'boolean', default: false, describe: "first migrate an idle guest of the same RAM to measure the kernel's non-zero pages (a prediction, not a fit)" })
      .option('format', { choices: TABLE_FORMATS, default: 'md' as TableFormat, describe: 'table format on stdout' })
      .example('$0 qemu compare --workload qemu-age-test:rate=2 --max-bandwidth 32MiB/s --downtime 300ms', "QEMU's cache-age pattern, XBZRLE off")
      .example('$0 qemu compare --workload hotset:hot=8192,rate=20000 --xbzrle --cache-size 32M --calibrate', 'kernel pages measured on an idle guest first')
      .example('$0 qemu compare --from run.json --kernel-pages 12000', 'a saved run, with the kernel pages of an idle run'),
  handler: async (argv) => {
    const args = argv as unknown as RunArgs;
    let run: QemuRunResult;
    let measured: { linkBps?: number; backgroundDirtyRate?: number } = {};
    if (args.calibrate && args.kernelPages !== undefined) throw new CliError('--calibrate and --kernel-pages both give the kernel pages; pass one');
    if (args.calibrate && args.from !== undefined) throw new CliError('--calibrate boots QEMU; with --from pass --kernel-pages instead');
    if (args.from !== undefined) {
      checkWritable(args.out);
      if (!existsSync(args.from)) throw new CliError(`--from ${args.from} does not exist`);
      try {
        const saved = JSON.parse(readFileSync(args.from, 'utf8')) as QemuRunResult & { qemu: unknown };
        // Either a "qemu run" result or a "qemu compare" result (which holds the run under `qemu`).
        run = (saved?.qemu as { final?: unknown } | undefined)?.final !== undefined ? (saved.qemu as unknown as QemuRunResult) : saved;
      } catch {
        throw new CliError(`--from ${args.from} is not JSON`);
      }
      if (!run.final || !run.config || !Array.isArray(run.polls)) throw new CliError(`--from ${args.from} is not a "pagedelta qemu run" result`);
    } else {
      run = await interruptible(async (signal) => {
        const options = checkFlags(args, signal);
        if (args.calibrate) {
          const { workload: _workload, bufferBytes: _buffer, xbzrle: _xbzrle, autoConverge: _autoConverge, ...machine } = options;
          const calibration = await calibrateKernelPages({ ...machine, log: (line) => process.stderr.write(`qemu: calibration: ${line}\n`) });
          args.kernelPages = calibration.kernelPages;
          measured = { linkBps: calibration.linkBps, ...(calibration.idleDirtyRate !== null ? { backgroundDirtyRate: calibration.idleDirtyRate } : {}) };
          process.stderr.write(`qemu: calibration: the idle guest's kernel has ${calibration.kernelPages} non-zero pages; unthrottled stream ${(calibration.linkBps / 1e6).toFixed(0)} MB/s\n`);
        }
        return runQemuMigration(options);
      });
    }
    if (args.kernelPages !== undefined && (!Number.isInteger(args.kernelPages) || args.kernelPages < 0)) throw new CliError(`--kernel-pages must be an integer >= 0, got ${args.kernelPages}`);
    const comparison = parsed(() => compareWithSimulator(run, { ...measured, ...(args.kernelPages !== undefined ? { kernelPages: args.kernelPages } : {}) }));
    process.stdout.write(renderTable(comparisonTable(run, comparison), args.format));
    if (args.out) emit(`${JSON.stringify({ qemu: run, comparison }, null, 2)}\n`, args.out);
  },
};

const validateCommand: CommandModule = {
  command: 'validate',
  describe: 'the simulator held against real QEMU on the configurations of docs/validation.md (about 10 min under TCG)',
  builder: (yargs) =>
    yargs
      .option('markdown', { type: 'string', describe: 'write the Markdown report here (docs/validation.md is this output)' })
      .option('out', { type: 'string', describe: 'write every run and comparison as JSON here' })
      .option('only', { type: 'string', describe: `configurations to run, comma-separated indices 0..${VALIDATION_CONFIGS.length - 1} (default all)` })
      .option('accel', MACHINE_FLAGS['accel'])
      .option('max-time', { type: 'string', default: '40s', describe: 'per-migration time limit (then migrate_cancel: did not converge)' })
      .option('boot-timeout', { type: 'string', default: '120s', describe: 'time limit for each guest to print its ready line' })
      .option('kernel', MACHINE_FLAGS['kernel'])
      .option('cache-dir', MACHINE_FLAGS['cache-dir'])
      .example('$0 qemu validate --accel tcg --markdown docs/validation.md --out validation.json', 'regenerate docs/validation.md')
      .example('$0 qemu validate --only 0,5', 'two configurations only'),
  handler: async (argv) => {
    const args = argv as unknown as { markdown?: string; out?: string; only?: string; accel: string; maxTime: string; bootTimeout: string; kernel?: string; cacheDir?: string };
    checkWritable(args.markdown);
    checkWritable(args.out);
    let only: number[] | undefined;
    if (args.only !== undefined) {
      only = args.only.split(',').map((item) => Number(item.trim()));
      const bad = only.find((index) => !Number.isInteger(index) || index < 0 || index >= VALIDATION_CONFIGS.length);
      if (bad !== undefined || only.length === 0) throw new CliError(`--only takes indices 0..${VALIDATION_CONFIGS.length - 1}, got "${args.only}"`);
    }
    const migrateTimeoutMs = parsed(() => parseDuration(args.maxTime, '--max-time'));
    const bootTimeoutMs = parsed(() => parseDuration(args.bootTimeout, '--boot-timeout'));
    const result = await interruptible((signal) =>
      runValidation({
        accelerator: args.accel as 'auto' | 'kvm' | 'tcg',
        migrateTimeoutMs,
        bootTimeoutMs,
        ...(args.kernel !== undefined ? { kernel: args.kernel } : {}),
        ...(args.cacheDir !== undefined ? { cacheDir: args.cacheDir } : {}),
        ...(only !== undefined ? { only } : {}),
        signal,
        log: (line) => process.stderr.write(`qemu validate: ${line}\n`),
      }),
    );
    const command = `pagedelta qemu validate --accel ${args.accel}${args.only ? ` --only ${args.only}` : ''} --markdown docs/validation.md`;
    const markdown = validationMarkdown(result, command);
    if (args.markdown) emit(markdown, args.markdown);
    else process.stdout.write(markdown);
    if (args.out) emit(`${JSON.stringify(result, null, 2)}\n`, args.out);
  },
};

const checkCommand: CommandModule = {
  command: 'check',
  describe: 'report what the harness found (QEMU, gcc, kernel, accelerator) and build the guest',
  builder: (yargs) =>
    yargs
      .option('cache-dir', { type: 'string', describe: 'folder of the kernel and built artefacts (default ~/.cache/pagedelta/qemu)' })
      .option('kernel', { type: 'string', describe: 'guest kernel image' })
      .option('path', { type: 'string', describe: 'PATH used to find qemu-system-x86_64 and gcc (default $PATH)' })
      .example('$0 qemu check', 'is this host ready for real migrations?'),
  handler: (argv) => {
    const args = argv as unknown as { cacheDir?: string; kernel?: string; path?: string };
    const cacheDir = args.cacheDir ?? defaultCacheDir();
    const qemu = findExecutable('qemu-system-x86_64', args.path);
    const gcc = findExecutable('gcc', args.path);
    if (!qemu) throw new CliError(`qemu-system-x86_64 not found on PATH (${INSTALL_HINT})`);
    if (!gcc) throw new CliError(`gcc not found on PATH (${INSTALL_HINT})`);
    const kernel = parsed(() => findKernel(cacheDir, args.kernel));
    const dirtier = parsed(() => buildDirtier(cacheDir, args.path));
    const initramfs = buildInitramfs(cacheDir, dirtier);
    process.stdout.write(
      [`qemu: ${qemu}`, `gcc: ${gcc}`, `kernel: ${kernel}`, `dirtier: ${dirtier}`, `initramfs: ${initramfs}`, `accelerator: ${chooseAccelerator('auto')} (auto)`, ''].join('\n'),
    );
  },
};

const installCommand: CommandModule = {
  command: 'install',
  describe: `fetch the guest kernel (apt-get download + dpkg-deb -x into the cache, nothing installed); QEMU and gcc: apt-get install ${APT_PACKAGES}`,
  builder: (yargs) =>
    yargs
      .option('cache-dir', { type: 'string', describe: 'folder to unpack the kernel into (default ~/.cache/pagedelta/qemu)' })
      .option('force', { type: 'boolean', default: false, describe: 'fetch the kernel again even if one is unpacked' })
      .example('$0 qemu install', "unpack Debian's linux-image-amd64 kernel into the cache"),
  handler: (argv) => {
    const args = argv as unknown as { cacheDir?: string; force: boolean };
    const kernel = parsed(() => installKernel(args.cacheDir ?? defaultCacheDir(), (line) => process.stderr.write(`qemu: ${line}\n`), args.force));
    process.stdout.write(`kernel: ${kernel}\n`);
    for (const [name, pkg] of [['qemu-system-x86_64', 'qemu-system-x86'], ['gcc', 'gcc']] as const) {
      if (!findExecutable(name)) process.stdout.write(`missing ${name}: apt-get install ${pkg}\n`);
    }
  },
};

export const qemuCommand: CommandModule = {
  command: 'qemu <command>',
  describe: 'real QEMU migrations on this host (the ground truth) and the simulator beside them',
  builder: (yargs) => yargs.command(runCommand).command(compareCommand).command(validateCommand).command(checkCommand).command(installCommand).demandCommand(1, 'name a qemu command: run, compare, validate, check or install'),
  handler: () => {},
};

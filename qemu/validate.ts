/**
 * The simulator held against real QEMU: a fixed set of configurations (the cache-age and hot-set
 * patterns at two dirty rates, XBZRLE off / 8 MiB / 32 MiB, auto-converge), each migrated by
 * real QEMU and simulated on the same configuration, with the issue's targets checked figure by
 * figure. One idle calibration run first measures what the simulator is told about the guest
 * (the kernel's non-zero pages, the unthrottled stream rate), so every row is a prediction.
 * Library code: progress goes to `log`, the caller renders and writes.
 */
import { calibrateKernelPages, type KernelCalibration } from './calibrate.js';
import { type Comparison, compareWithSimulator, IDLE_GUEST_DIRTY_RATE } from './compare.js';
import { type QemuRunOptions, type QemuRunResult, runQemuMigration } from './run.js';

export interface ValidationConfig {
  name: string;
  workload: string;
  xbzrle: boolean;
  cacheBytes?: number;
  autoConverge?: boolean;
}

const MiB = 2 ** 20;

/** The configurations of docs/validation.md. */
export const VALIDATION_CONFIGS: readonly ValidationConfig[] = [
  { name: 'cache-age 2 loops/s, XBZRLE off', workload: 'qemu-age-test:rate=2', xbzrle: false },
  { name: 'cache-age 2 loops/s, XBZRLE 8 MiB', workload: 'qemu-age-test:rate=2', xbzrle: true, cacheBytes: 8 * MiB },
  { name: 'cache-age 2 loops/s, XBZRLE 32 MiB', workload: 'qemu-age-test:rate=2', xbzrle: true, cacheBytes: 32 * MiB },
  { name: 'cache-age 8 loops/s, XBZRLE 32 MiB', workload: 'qemu-age-test:rate=8', xbzrle: true, cacheBytes: 32 * MiB },
  { name: 'hot set 8192 pages 20k/s, XBZRLE off', workload: 'hotset:hot=8192,rate=20000,content=random', xbzrle: false },
  { name: 'hot set 8192 pages 20k/s, XBZRLE 32 MiB', workload: 'hotset:hot=8192,rate=20000,content=random', xbzrle: true, cacheBytes: 32 * MiB },
  { name: 'hot set 8192 pages 5k/s, XBZRLE 8 MiB', workload: 'hotset:hot=8192,rate=5000,content=random', xbzrle: true, cacheBytes: 8 * MiB },
  { name: 'hot set 8192 pages 20k/s, XBZRLE 32 MiB, auto-converge', workload: 'hotset:hot=8192,rate=20000,content=random', xbzrle: true, cacheBytes: 32 * MiB, autoConverge: true },
  { name: 'uniform 20k/s, XBZRLE 32 MiB, auto-converge', workload: 'uniform:rate=20000,content=random', xbzrle: true, cacheBytes: 32 * MiB, autoConverge: true },
];

/** The issue's targets: each check is (simulator, QEMU) -> within? */
export interface TargetCheck {
  figure: string;
  qemu: number | null;
  simulator: number | null;
  target: string;
  /** null: not applicable (XBZRLE off, or QEMU reported nothing). */
  met: boolean | null;
}

export interface ValidationRow {
  config: ValidationConfig;
  measuredRate: number | null;
  rateUnit: string;
  converged: { qemu: boolean; simulator: boolean };
  checks: TargetCheck[];
  comparison: Comparison;
  run: QemuRunResult;
}

export interface ValidationResult {
  qemuVersion: string;
  accelerator: string;
  calibration: KernelCalibration;
  settings: { ramBytes: number; bufferBytes: number; maxBandwidthBps: number; downtimeLimitMs: number; migrateTimeoutMs: number };
  rows: ValidationRow[];
}

const within = (simulator: number | null, qemu: number | null, test: (s: number, q: number) => boolean): boolean | null =>
  simulator === null || qemu === null ? null : test(simulator, qemu);

/** The targets of issue 9, checked on one comparison. */
export function checkTargets(comparison: Comparison, xbzrle: boolean): TargetCheck[] {
  const figure = (metric: string) => comparison.rows.find((row) => row.metric === metric) ?? { qemu: null, simulator: null };
  const sync = figure('dirty-sync-count');
  const total = figure('total-time (ms)');
  const down = figure('downtime (ms)');
  const sent = figure('transferred (bytes)');
  const pages = figure('xbzrle pages');
  const misses = figure('xbzrle cache-miss');
  const converged = comparison.converged;
  const relative = (limit: number) => (s: number, q: number) => Math.abs(s - q) <= limit * Math.abs(q);
  const checks: TargetCheck[] = [
    { figure: 'converged', qemu: converged.qemu ? 1 : 0, simulator: converged.simulator ? 1 : 0, target: 'same verdict', met: converged.qemu === converged.simulator },
    { figure: 'dirty-sync-count', ...sync, target: 'within 20% or 2', met: within(sync.simulator, sync.qemu, (s, q) => Math.abs(s - q) <= Math.max(2, 0.2 * q)) },
    { figure: 'total-time (ms)', ...total, target: 'within 15%', met: within(total.simulator, total.qemu, relative(0.15)) },
    {
      figure: 'downtime (ms)',
      ...down,
      target: 'within max(30 ms, 30%)',
      // A run that did not converge has no downtime on QEMU's side.
      met: converged.qemu ? within(down.simulator, down.qemu, (s, q) => Math.abs(s - q) <= Math.max(30, 0.3 * q)) : null,
    },
    { figure: 'transferred (bytes)', ...sent, target: 'within 10%', met: within(sent.simulator, sent.qemu, relative(0.1)) },
  ];
  if (xbzrle) {
    checks.push({ figure: 'xbzrle pages', ...pages, target: 'within 15%', met: within(pages.simulator, pages.qemu, relative(0.15)) });
    checks.push({ figure: 'xbzrle cache-miss', ...misses, target: 'within 15%', met: within(misses.simulator, misses.qemu, relative(0.15)) });
  }
  return checks;
}

export interface ValidateOptions extends Omit<QemuRunOptions, 'workload' | 'xbzrle' | 'cacheBytes' | 'autoConverge'> {
  /** Only these configurations (by index into VALIDATION_CONFIGS); default all. */
  only?: number[];
}

/** Calibrates once, then migrates and simulates every configuration in turn. */
export async function runValidation(options: ValidateOptions = {}): Promise<ValidationResult> {
  const log = options.log ?? (() => {});
  const { only, ...machine } = options;
  const migrateTimeoutMs = machine.migrateTimeoutMs ?? 40_000;
  log('calibration: an idle guest, max-bandwidth 1 GB/s (kernel pages, unthrottled stream rate)');
  const calibration = await calibrateKernelPages({ ...machine, log: (line) => log(`calibration: ${line}`) });
  log(`calibration: ${calibration.kernelPages} kernel pages, stream ${(calibration.linkBps / 1e6).toFixed(0)} MB/s, idle dirty rate ${calibration.idleDirtyRate ?? 'not reported'}`);
  const rows: ValidationRow[] = [];
  const configs = only ? only.map((index) => VALIDATION_CONFIGS[index]!) : VALIDATION_CONFIGS;
  let first: QemuRunResult | null = null;
  for (const config of configs) {
    if (machine.signal?.aborted) break;
    log(`${config.name}: migrating`);
    const run = await runQemuMigration({
      ...machine,
      migrateTimeoutMs,
      workload: config.workload,
      xbzrle: config.xbzrle,
      ...(config.cacheBytes !== undefined ? { cacheBytes: config.cacheBytes } : {}),
      autoConverge: config.autoConverge ?? false,
      log: (line) => log(`${config.name}: ${line}`),
    });
    first ??= run;
    const comparison = compareWithSimulator(run, {
      kernelPages: calibration.kernelPages,
      linkBps: calibration.linkBps,
      backgroundDirtyRate: calibration.idleDirtyRate ?? IDLE_GUEST_DIRTY_RATE,
    });
    rows.push({
      config,
      measuredRate: run.guest.measuredRate,
      rateUnit: run.guest.rateUnit,
      converged: comparison.converged,
      checks: checkTargets(comparison, config.xbzrle),
      comparison,
      run,
    });
  }
  return {
    qemuVersion: first?.qemu.version ?? 'unknown',
    accelerator: first?.accelerator ?? 'unknown',
    calibration,
    settings: {
      ramBytes: machine.ramBytes ?? 256 * MiB,
      bufferBytes: machine.bufferBytes ?? 64 * MiB,
      maxBandwidthBps: machine.maxBandwidthBps ?? 32 * MiB,
      downtimeLimitMs: machine.downtimeLimitMs ?? 300,
      migrateTimeoutMs,
    },
    rows,
  };
}

const format = (value: number | null, digits = 0): string => (value === null ? '-' : value.toFixed(digits));

function ratio(check: TargetCheck): string {
  if (check.qemu === null || check.simulator === null || check.qemu === 0) return '-';
  return (check.simulator / check.qemu).toFixed(2);
}

/** docs/validation.md: the summary, then one table per configuration. */
export function validationMarkdown(result: ValidationResult, command: string): string {
  const lines: string[] = [];
  const met = result.rows.flatMap((row) => row.checks).filter((check) => check.met !== null);
  const passed = met.filter((check) => check.met).length;
  lines.push(
    '# Validation: pagedelta beside real QEMU',
    '',
    `Regenerated by \`${command}\` (this file is its output). QEMU ${result.qemuVersion}, accelerator ${result.accelerator}, guest ${result.settings.ramBytes / MiB} MiB with a ${result.settings.bufferBytes / MiB} MiB dirtier buffer (qemu-age-test: its own 16 MiB), max-bandwidth ${result.settings.maxBandwidthBps / MiB} MiB/s, downtime-limit ${result.settings.downtimeLimitMs} ms, source and destination on 127.0.0.1; a migration still running after ${result.settings.migrateTimeoutMs / 1000} s is cancelled and counts as "did not converge" (the simulator gets the same limit).`,
    '',
    `Calibration (an idle guest, measured before the runs and given to the simulator for every row): ${result.calibration.kernelPages} non-zero kernel pages, an unthrottled stream of ${(result.calibration.linkBps / 1e6).toFixed(0)} MB/s (the stop-and-copy's rate: QEMU lifts max-bandwidth there), an idle dirty rate of ${result.calibration.idleDirtyRate ?? `${IDLE_GUEST_DIRTY_RATE} (default; QEMU reported none)`} pages/s. The dirtier's buffer sits on the frames the guest kernel reported for it.`,
    '',
    `Targets met: ${passed} of ${met.length} checks.`,
    '',
    '| configuration | guest rate (measured) | converged QEMU / sim | syncs QEMU / sim | total ms QEMU / sim | downtime ms QEMU / sim | sent MB QEMU / sim | XBZRLE pages QEMU / sim | misses QEMU / sim | targets met |',
    '| --- | ---: | --- | --- | --- | --- | --- | --- | --- | ---: |',
  );
  for (const row of result.rows) {
    const get = (name: string) => row.checks.find((check) => check.figure === name);
    const pair = (name: string, scale = 1, digits = 0) => {
      const check = get(name);
      if (!check) return '-';
      const mark = check.met === false ? ' **x**' : '';
      return `${format(check.qemu === null ? null : check.qemu / scale, digits)} / ${format(check.simulator === null ? null : check.simulator / scale, digits)}${mark}`;
    };
    const applicable = row.checks.filter((check) => check.met !== null);
    lines.push(
      `| ${row.config.name} | ${format(row.measuredRate)} ${row.rateUnit} | ${row.converged.qemu ? 'yes' : 'no'} / ${row.converged.simulator ? 'yes' : 'no'}${row.converged.qemu !== row.converged.simulator ? ' **x**' : ''} | ${pair('dirty-sync-count')} | ${pair('total-time (ms)')} | ${pair('downtime (ms)')} | ${pair('transferred (bytes)', 1e6, 1)} | ${pair('xbzrle pages')} | ${pair('xbzrle cache-miss')} | ${applicable.filter((check) => check.met).length}/${applicable.length} |`,
    );
  }
  lines.push('', '**x**: outside its target. Targets: converged verdict the same; dirty-sync-count within 20% (or 2); total time within 15%; downtime within max(30 ms, 30%) (only where QEMU converged); transferred bytes within 10%; XBZRLE pages and cache misses within 15%.', '');
  lines.push('## Per configuration', '');
  for (const row of result.rows) {
    lines.push(`### ${row.config.name}`, '', `Guest workload \`${row.config.workload}\`; simulator workload \`${row.comparison.simulatorWorkload}\`; buffer placement: ${row.comparison.placement}.`, '');
    lines.push('| figure | QEMU | pagedelta | pagedelta / QEMU | target | met |', '| --- | ---: | ---: | ---: | --- | --- |');
    for (const check of row.checks) {
      lines.push(`| ${check.figure} | ${format(check.qemu)} | ${format(check.simulator)} | ${ratio(check)} | ${check.target} | ${check.met === null ? 'n/a' : check.met ? 'yes' : '**no**'} |`);
    }
    lines.push('');
  }
  return `${lines.join('\n')}\n`;
}

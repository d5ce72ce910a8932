/**
 * One real QEMU migration on this host: a destination QEMU waiting on
 * -incoming tcp:127.0.0.1:PORT, a source QEMU booting the dirtier's initramfs, both with a
 * QMP unix socket; once the guest prints its ready line, the harness sets the capabilities and
 * parameters, starts the migration and polls query-migrate until it ends. Every poll is
 * recorded. Both QEMUs are stopped by their own pid when the run ends, fails or is aborted.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildDirtier, buildInitramfs } from './build.js';
import { type GuestWorkload, resolveGuestWorkload } from './guest.js';
import { QmpClient } from './qmp.js';
import { chooseAccelerator, defaultCacheDir, findKernel, QemuSetupError, requireExecutable } from './tools.js';

export class QemuRunError extends Error {
  override name = 'QemuRunError';
}

export interface QemuRunOptions {
  /** Project workload spec run by the dirtier (qemu-age-test, hotset, uniform, idle). */
  workload: string;
  /** Dirtier buffer in bytes (hotset, uniform, idle; default 64 MiB). */
  bufferBytes?: number;
  seed?: number;
  /** Guest RAM, bytes (default 256 MiB). */
  ramBytes?: number;
  xbzrle?: boolean;
  /** xbzrle-cache-size, bytes (default 64 MiB, QEMU's). */
  cacheBytes?: number;
  /** max-bandwidth, bytes/s (default 32 MiB/s). */
  maxBandwidthBps?: number;
  downtimeLimitMs?: number;
  autoConverge?: boolean;
  accelerator?: 'auto' | 'kvm' | 'tcg';
  /** TCP port of the destination on 127.0.0.1 (default: a free one). */
  port?: number;
  /** Host time between the guest's ready line and the migration (default 2 s). */
  warmupMs?: number;
  /** Time limit for the guest to print its ready line (default 120 s). */
  bootTimeoutMs?: number;
  /** Time limit of the migration; after it, the migration is cancelled (default 180 s). */
  migrateTimeoutMs?: number;
  /** query-migrate polling period (default 50 ms). */
  pollMs?: number;
  kernel?: string;
  cacheDir?: string;
  /** PATH used to find qemu-system-x86_64 and gcc (default process.env.PATH). */
  searchPath?: string;
  /** Keep the run folder (serial logs) instead of deleting it. */
  keepDir?: boolean;
  signal?: AbortSignal;
  /** Progress lines (library code never prints). */
  log?: (line: string) => void;
}

export interface MigratePoll {
  /** ms since the migrate command was sent. */
  atMs: number;
  info: Record<string, unknown>;
}

export interface GuestReport {
  readyLine: string;
  /** Every "pd: rate N" figure printed by the guest, in order. */
  rates: number[];
  /** Median of the rates printed while the migration ran (before: if none during). */
  measuredRate: number | null;
  rateUnit: 'writes/s' | 'loops/s';
  placement: { resident: number; runs: number; lowestFrame: number; highestFrame: number } | null;
  /**
   * The buffer's guest-physical frames as runs [first frame, pages] in buffer order (first -1:
   * not resident), from the guest's `pd: frames` lines; null when it printed none or they do
   * not cover the buffer in order.
   */
  frameRuns: Array<[number, number]> | null;
  meminfo: { totalKiB: number; freeKiB: number } | null;
  /** The guest kernel's soft-dirty probe (see parseSoftDirtyProbe); null when it printed none. */
  softDirty: SoftDirtyProbe | null;
}

/**
 * What the guest's soft-dirty probe printed (qemu/guest/dirtier.c): the raw pagemap entries
 * (8 bytes each, little-endian) of its probe pages right after clearing the bits, and after
 * writing `changedPages` (new bytes) and `samePages` (the bytes they held); or why it could
 * not run.
 */
export type SoftDirtyProbe =
  | { cleared: Uint8Array; written: Uint8Array; changedPages: number[]; samePages: number[] }
  | { unavailable: string };

export interface QemuRunResult {
  qemu: { version: string; package: string; binary: string };
  accelerator: 'kvm' | 'tcg';
  config: {
    workload: string;
    workloadParams: Record<string, string | number | boolean>;
    bufferBytes: number;
    ramBytes: number;
    xbzrle: boolean;
    cacheBytes: number;
    maxBandwidthBps: number;
    downtimeLimitMs: number;
    autoConverge: boolean;
    kernel: string;
    cmdline: string;
  };
  /** The capabilities and parameters as QEMU reports them after setting. */
  capabilities: unknown;
  parameters: unknown;
  guest: GuestReport;
  polls: MigratePoll[];
  /** The last query-migrate answer (when cancelled at the time limit: the last active one, status cancelled). */
  final: Record<string, unknown>;
  destinationStatus: string | null;
  timedOut: boolean;
}

const DEFAULTS = {
  bufferBytes: 64 * 2 ** 20,
  ramBytes: 256 * 2 ** 20,
  cacheBytes: 64 * 2 ** 20,
  maxBandwidthBps: 32 * 2 ** 20,
  downtimeLimitMs: 300,
  warmupMs: 2000,
  bootTimeoutMs: 120000,
  migrateTimeoutMs: 180000,
  pollMs: 50,
};

/** Resolves when `port` on 127.0.0.1 can be bound; rejects with one line when it is taken. */
export function checkPortFree(port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', (error: NodeJS.ErrnoException) =>
      reject(new QemuRunError(error.code === 'EADDRINUSE' ? `port ${port} on 127.0.0.1 is in use` : `cannot use port ${port} on 127.0.0.1: ${error.message}`)),
    );
    server.listen(port, '127.0.0.1', () => server.close(() => resolve()));
  });
}

/** A port on 127.0.0.1 that was free a moment ago. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

/** Checks options that need no QEMU; throws one line. */
export function validateRunOptions(options: QemuRunOptions): { guest: GuestWorkload; ramBytes: number; cacheBytes: number } {
  const seed = options.seed ?? 1;
  const guest = resolveGuestWorkload(options.workload, options.bufferBytes ?? DEFAULTS.bufferBytes, seed);
  const ramBytes = options.ramBytes ?? DEFAULTS.ramBytes;
  if (!Number.isInteger(ramBytes / 2 ** 20) || ramBytes < 64 * 2 ** 20) throw new QemuRunError(`guest RAM must be a whole number of MiB, at least 64 MiB; got ${ramBytes} bytes`);
  if (guest.bufferBytes > ramBytes - 48 * 2 ** 20) {
    throw new QemuRunError(`the dirtier's buffer (${guest.bufferBytes / 2 ** 20} MiB) leaves the guest kernel less than 48 MiB of the ${ramBytes / 2 ** 20} MiB RAM`);
  }
  const cacheBytes = options.cacheBytes ?? DEFAULTS.cacheBytes;
  if (!Number.isInteger(cacheBytes) || cacheBytes < 4096) throw new QemuRunError(`xbzrle cache size must be at least one 4096-byte page, got ${cacheBytes}`);
  if (cacheBytes > ramBytes) throw new QemuRunError(`xbzrle cache size ${cacheBytes} bytes exceeds the guest's RAM, which QEMU refuses`);
  // QEMU 7.2 refuses such a size in migrate-set-parameters ("expects a power of two no less than
  // the target page size"): say so before booting anything.
  if (!Number.isInteger(Math.log2(cacheBytes))) throw new QemuRunError(`xbzrle cache size ${cacheBytes} bytes is not a power of two, which QEMU's migrate-set-parameters refuses`);
  const bandwidth = options.maxBandwidthBps ?? DEFAULTS.maxBandwidthBps;
  if (!Number.isFinite(bandwidth) || bandwidth <= 0) throw new QemuRunError(`max-bandwidth must be a positive rate, got ${bandwidth}`);
  const downtime = options.downtimeLimitMs ?? DEFAULTS.downtimeLimitMs;
  if (!Number.isInteger(downtime) || downtime < 0 || downtime > 2000000) throw new QemuRunError(`downtime-limit must be a whole number of ms in 0..2000000, got ${downtime}`);
  if (options.port !== undefined && (!Number.isInteger(options.port) || options.port < 1 || options.port > 65535)) throw new QemuRunError(`port must be 1..65535, got ${options.port}`);
  return { guest, ramBytes, cacheBytes };
}

/** Reads the guest's serial log lines that start with "pd: ". */
export function parseGuestLog(text: string, migrationStartLine: number | undefined): GuestReport {
  const lines = text.split(/\r?\n/);
  const readyLine = lines.find((line) => line.startsWith('pd: ready')) ?? '';
  const rates: number[] = [];
  const during: number[] = [];
  let unit: GuestReport['rateUnit'] = 'writes/s';
  lines.forEach((line, index) => {
    const match = /^pd: rate ([0-9.]+) (writes|loops)\/s/.exec(line);
    if (!match) return;
    rates.push(Number(match[1]));
    unit = match[2] === 'loops' ? 'loops/s' : 'writes/s';
    if (migrationStartLine !== undefined && index >= migrationStartLine) during.push(Number(match[1]));
  });
  const pool = during.length > 0 ? during : rates;
  const sorted = [...pool].sort((a, b) => a - b);
  const placement = /^pd: placement resident=(\d+) runs=(\d+) lowest-frame=(\d+) highest-frame=(\d+)/m.exec(text);
  const meminfo = /^pd: meminfo total-kib=(\d+) free-kib=(\d+)/m.exec(text);
  return {
    frameRuns: parseFrameRuns(lines),
    readyLine,
    rates,
    measuredRate: sorted.length > 0 ? sorted[Math.floor(sorted.length / 2)]! : null,
    rateUnit: unit,
    placement: placement ? { resident: Number(placement[1]), runs: Number(placement[2]), lowestFrame: Number(placement[3]), highestFrame: Number(placement[4]) } : null,
    meminfo: meminfo ? { totalKiB: Number(meminfo[1]), freeKiB: Number(meminfo[2]) } : null,
    softDirty: parseSoftDirtyProbe(lines),
  };
}

/** The `pd: soft-dirty ...` lines; null when there are none or they are malformed. */
export function parseSoftDirtyProbe(lines: readonly string[]): SoftDirtyProbe | null {
  const unavailable = lines.find((line) => line.startsWith('pd: soft-dirty unavailable '));
  if (unavailable !== undefined) return { unavailable: unavailable.slice('pd: soft-dirty unavailable '.length).trim() };
  const cleared = lines.map((line) => /^pd: soft-dirty cleared ([0-9a-f]+)\s*$/.exec(line)).find((match) => match !== null);
  const written = lines.map((line) => /^pd: soft-dirty written changed=([\d,]+) same=([\d,]+) ([0-9a-f]+)\s*$/.exec(line)).find((match) => match !== null);
  if (!cleared || !written || cleared[1]!.length !== written[3]!.length || cleared[1]!.length % 16 !== 0) return null;
  const pages = (list: string) => list.split(',').map(Number);
  return {
    cleared: Uint8Array.from(Buffer.from(cleared[1]!, 'hex')),
    written: Uint8Array.from(Buffer.from(written[3]!, 'hex')),
    changedPages: pages(written[1]!),
    samePages: pages(written[2]!),
  };
}

/** The `pd: frames INDEX FRAME+N ...` lines, checked to follow one another from index 0. */
export function parseFrameRuns(lines: readonly string[]): Array<[number, number]> | null {
  const runs: Array<[number, number]> = [];
  let next = 0;
  for (const line of lines) {
    if (!line.startsWith('pd: frames ')) continue;
    const [index, ...items] = line.slice('pd: frames '.length).trim().split(/\s+/);
    if (Number(index) !== next) return null;
    for (const item of items) {
      const match = /^(x|\d+)\+(\d+)$/.exec(item);
      if (!match) return null;
      const length = Number(match[2]);
      runs.push([match[1] === 'x' ? -1 : Number(match[1]), length]);
      next += length;
    }
  }
  return runs.length > 0 ? runs : null;
}

/** Frames of every buffer page from runs; null if a page was not resident. */
export function framesOf(runs: ReadonlyArray<readonly [number, number]>): Uint32Array | null {
  const total = runs.reduce((sum, [, length]) => sum + length, 0);
  const frames = new Uint32Array(total);
  let at = 0;
  for (const [first, length] of runs) {
    if (first < 0) return null;
    for (let i = 0; i < length; i++) frames[at++] = first + i;
  }
  return frames;
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** A QEMU child process, its last stderr line and whether it has exited. */
class QemuProcess {
  readonly child: ChildProcess;
  exited = false;
  exitCode: number | null = null;
  private stderr = '';

  constructor(
    readonly role: string,
    binary: string,
    args: string[],
  ) {
    this.child = spawn(binary, args, { stdio: ['ignore', 'ignore', 'pipe'] });
    this.child.stderr!.setEncoding('utf8');
    this.child.stderr!.on('data', (chunk: string) => {
      this.stderr = (this.stderr + chunk).slice(-4000);
    });
    this.child.on('exit', (code) => {
      this.exited = true;
      this.exitCode = code;
    });
    this.child.on('error', (error) => {
      this.exited = true;
      this.stderr += error.message;
    });
  }

  lastError(): string {
    const lines = this.stderr.trim().split('\n').filter((line) => line.trim().length > 0);
    return lines.length > 0 ? lines[lines.length - 1]!.trim() : `exit code ${this.exitCode}`;
  }

  /** SIGTERM by pid, SIGKILL after 3 s if it is still there; resolves once it has exited. */
  async stop(): Promise<void> {
    if (this.exited || this.child.pid === undefined) return;
    const gone = new Promise<void>((resolve) => this.child.once('exit', () => resolve()));
    try {
      process.kill(this.child.pid, 'SIGTERM');
    } catch {
      return;
    }
    const timer = setTimeout(() => {
      if (!this.exited && this.child.pid !== undefined) {
        try {
          process.kill(this.child.pid, 'SIGKILL');
        } catch {
          // already gone
        }
      }
    }, 3000);
    await gone;
    clearTimeout(timer);
  }

  /** For the process 'exit' hook: synchronous, no waiting. */
  killNow(): void {
    if (!this.exited && this.child.pid !== undefined) {
      try {
        process.kill(this.child.pid, 'SIGKILL');
      } catch {
        // already gone
      }
    }
  }
}

/** Runs one migration and returns QEMU's figures. Throws one line on any failure; nothing is left running. */
export async function runQemuMigration(options: QemuRunOptions): Promise<QemuRunResult> {
  const log = options.log ?? (() => {});
  const { guest, ramBytes, cacheBytes } = validateRunOptions(options);
  // Cheapest checks first, all before anything is built or started.
  const port = options.port ?? (await freePort());
  await checkPortFree(port);
  const cacheDir = options.cacheDir ?? defaultCacheDir();
  const kernel = findKernel(cacheDir, options.kernel);
  const qemuBinary = requireExecutable('qemu-system-x86_64', options.searchPath, 'qemu-system-x86');
  const dirtier = buildDirtier(cacheDir, options.searchPath);
  const initramfs = buildInitramfs(cacheDir, dirtier);
  const accelerator = chooseAccelerator(options.accelerator ?? 'auto');
  const maxBandwidthBps = Math.round(options.maxBandwidthBps ?? DEFAULTS.maxBandwidthBps);
  const downtimeLimitMs = options.downtimeLimitMs ?? DEFAULTS.downtimeLimitMs;
  const xbzrle = options.xbzrle ?? false;
  const autoConverge = options.autoConverge ?? false;
  const pollMs = options.pollMs ?? DEFAULTS.pollMs;

  const runDir = mkdtempSync(join(tmpdir(), 'pagedelta-qemu-'));
  // init_on_free: pages the guest kernel frees are zeroed, so its free memory stays zero pages as
  // on a fresh guest. The pd.* words are ignored by the kernel and read by the dirtier.
  const cmdline = ['console=ttyS0', 'quiet', 'panic=-1', 'init_on_free=1', ...guest.cmdline].join(' ');
  const common = [
    '-nodefaults', '-no-user-config', '-display', 'none', '-accel', accelerator, '-m', `${ramBytes / 2 ** 20}M`, '-smp', '1',
    '-kernel', kernel, '-initrd', initramfs, '-append', cmdline, '-no-reboot',
  ];
  const sourceSerial = join(runDir, 'source-serial.log');
  const sourceQmp = join(runDir, 'source.qmp');
  const destinationQmp = join(runDir, 'destination.qmp');
  const processes: QemuProcess[] = [];
  const clients: QmpClient[] = [];
  const exitHook = (): void => processes.forEach((process) => process.killNow());
  process.once('exit', exitHook);
  const aborted = (): void => {
    if (options.signal?.aborted) throw new QemuRunError('interrupted; both QEMUs stopped');
  };
  const checkAlive = (): void => {
    for (const qemu of processes) if (qemu.exited) throw new QemuRunError(`the ${qemu.role} QEMU exited: ${qemu.lastError()}`);
  };
  try {
    const destination = new QemuProcess('destination', qemuBinary, [
      ...common, '-serial', `file:${join(runDir, 'destination-serial.log')}`, '-qmp', `unix:${destinationQmp},server=on,wait=off`,
      '-incoming', `tcp:127.0.0.1:${port}`,
    ]);
    processes.push(destination);
    const destinationClient = await QmpClient.connect(destinationQmp, { timeoutMs: 15000, signal: options.signal }).catch((error: Error) => {
      checkAlive();
      throw error;
    });
    clients.push(destinationClient);
    const source = new QemuProcess('source', qemuBinary, [...common, '-serial', `file:${sourceSerial}`, '-qmp', `unix:${sourceQmp},server=on,wait=off`]);
    processes.push(source);
    const client = await QmpClient.connect(sourceQmp, { timeoutMs: 15000, signal: options.signal }).catch((error: Error) => {
      checkAlive();
      throw error;
    });
    clients.push(client);
    const version = await client.execute<{ qemu: { major: number; minor: number; micro: number }; package: string }>('query-version');
    log(`QEMU ${version.qemu.major}.${version.qemu.minor}.${version.qemu.micro} (${accelerator}); booting the guest`);

    // Wait for the dirtier's ready line (or its error line).
    const bootDeadline = Date.now() + (options.bootTimeoutMs ?? DEFAULTS.bootTimeoutMs);
    let serial = '';
    for (;;) {
      aborted();
      checkAlive();
      serial = existsSync(sourceSerial) ? readFileSync(sourceSerial, 'latin1') : '';
      const error = /^pd: error: (.*)$/m.exec(serial);
      if (error) throw new QemuRunError(`the guest dirtier refused its parameters: ${error[1]!.trim()}`);
      if (/Kernel panic/.test(serial)) throw new QemuRunError(`the guest kernel panicked: ${/Kernel panic[^\r\n]*/.exec(serial)![0]}`);
      if (/^pd: ready/m.test(serial)) break;
      if (Date.now() > bootDeadline) throw new QemuRunError(`the guest did not print its ready line within ${(options.bootTimeoutMs ?? DEFAULTS.bootTimeoutMs) / 1000} s${accelerator === 'kvm' ? ' (if KVM does not work here, e.g. nested, try --accel tcg)' : ''}`);
      await sleep(100);
    }
    log(`guest ready (source QEMU pid ${source.child.pid}); warming up`);
    await sleep(options.warmupMs ?? DEFAULTS.warmupMs);
    // The warm-up lasts at least until the guest has printed one rate line (one a second), so
    // that its achieved rate is known even when the migration is shorter than a second.
    const rateDeadline = Date.now() + 10000;
    while (!/^pd: rate /m.test(readFileSync(sourceSerial, 'latin1')) && Date.now() < rateDeadline) {
      aborted();
      checkAlive();
      await sleep(100);
    }
    aborted();

    await client.execute('migrate-set-capabilities', {
      capabilities: [
        { capability: 'xbzrle', state: xbzrle },
        { capability: 'auto-converge', state: autoConverge },
      ],
    });
    await client.execute('migrate-set-parameters', { 'xbzrle-cache-size': cacheBytes, 'max-bandwidth': maxBandwidthBps, 'downtime-limit': downtimeLimitMs });
    const capabilities = await client.execute('query-migrate-capabilities');
    const parameters = await client.execute('query-migrate-parameters');
    const linesBefore = readFileSync(sourceSerial, 'latin1').split(/\r?\n/).length - 1;
    const started = Date.now();
    await client.execute('migrate', { uri: `tcp:127.0.0.1:${port}` });
    log('migrating');
    const polls: MigratePoll[] = [];
    let final: Record<string, unknown> = {};
    let lastActive: Record<string, unknown> = {};
    let timedOut = false;
    const migrateTimeoutMs = options.migrateTimeoutMs ?? DEFAULTS.migrateTimeoutMs;
    for (;;) {
      aborted();
      const info = await client.execute<Record<string, unknown>>('query-migrate');
      polls.push({ atMs: Date.now() - started, info });
      final = info;
      const status = String(info.status ?? '');
      if (status === 'completed') break;
      // Cancelled by us at the time limit: a result (did not converge), not an error. QEMU's
      // answer then has no counters, so the final figures are those of the last active poll.
      if (status === 'cancelled' && timedOut) {
        final = { ...lastActive, status: 'cancelled' };
        break;
      }
      if (status === 'active') lastActive = info;
      if (status === 'failed' || status === 'cancelled') throw new QemuRunError(`the migration ${status}: ${String(info['error-desc'] ?? 'QEMU gave no reason')}`);
      if (Date.now() - started > migrateTimeoutMs && !timedOut) {
        timedOut = true;
        await client.execute('migrate_cancel');
        log(`no convergence within ${migrateTimeoutMs / 1000} s: cancelled`);
      }
      if (timedOut && status === 'cancelling') {
        await sleep(pollMs);
        continue;
      }
      await sleep(pollMs);
    }
    let destinationStatus: string | null = null;
    try {
      destinationStatus = (await destinationClient.execute<{ status: string }>('query-status')).status;
    } catch {
      destinationStatus = null;
    }
    const guestReport = parseGuestLog(readFileSync(sourceSerial, 'latin1'), linesBefore);
    return {
      qemu: { version: `${version.qemu.major}.${version.qemu.minor}.${version.qemu.micro}`, package: version.package.trim(), binary: qemuBinary },
      accelerator,
      config: {
        workload: guest.spec,
        workloadParams: guest.params,
        bufferBytes: guest.bufferBytes,
        ramBytes,
        xbzrle,
        cacheBytes,
        maxBandwidthBps,
        downtimeLimitMs,
        autoConverge,
        kernel,
        cmdline,
      },
      capabilities,
      parameters,
      guest: guestReport,
      polls,
      final,
      destinationStatus,
      timedOut,
    };
  } catch (error) {
    if (error instanceof QemuRunError || error instanceof QemuSetupError) throw error;
    throw new QemuRunError(error instanceof Error ? error.message.split('\n')[0]! : String(error));
  } finally {
    for (const client of clients) client.close();
    await Promise.all(processes.map((qemu) => qemu.stop()));
    process.removeListener('exit', exitHook);
    if (!options.keepDir) rmSync(runDir, { recursive: true, force: true });
    else log(`run folder kept: ${runDir}`);
  }
}

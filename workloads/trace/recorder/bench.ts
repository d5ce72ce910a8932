/**
 * Cost of recording (`pagedelta trace bench-record`): a child of known size and dirty rate
 * (dirtier.c, built with gcc) is recorded at an interval, and the figures that matter are
 * measured in one run: snapshot time against a plain sequential read of the same memory
 * (the reference: what the kernel's /proc/PID/mem costs alone), the achieved interval, the
 * recorder's CPU and peak RSS; optionally Redis throughput under redis-benchmark with and
 * without the recorder, interleaved. Every process started is stopped by its pid.
 */
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, readFileSync, readSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { recordProcess } from '../recorder.js';
import type { IntervalStats } from './intervals.js';

export interface RecorderBenchOptions {
  mib?: number;
  /** Pages the child dirties per second. */
  rate?: number;
  intervalMs?: number;
  durationMs?: number;
  threads?: number;
  /** The recorder's shadows on transparent huge pages (default true). */
  hugePages?: boolean;
  /** Also measure Redis under redis-benchmark (needs redis-server and redis-benchmark). */
  redis?: boolean;
  redisPort?: number;
  rounds?: number;
  onProgress?: (message: string) => void;
}

export interface RecorderBenchResult {
  mib: number;
  rate: number;
  intervalMs: number;
  threads: number | undefined;
  hugePages: boolean;
  /** Median of `rounds` plain sequential reads of the child's memory (ms) and its GB/s. */
  plainReadMs: number;
  plainReadGBps: number;
  snapshotMs: { min: number; median: number; max: number };
  /** Scanned GB/s at the median snapshot. */
  scanGBps: number;
  intervals: IntervalStats | undefined;
  /** Recorder CPU over the recording, in cores (CPU seconds / wall seconds). */
  recorderCores: number;
  recorderMaxRssMiB: number;
  redis?: { setRps: number[]; setRpsRecorded: number[]; slowdown: number; recordedSnapshotMs: number };
}

function sourceOf(name: string): string {
  const here = fileURLToPath(import.meta.url);
  // dist/workloads/trace/recorder/bench.js -> workloads/trace/recorder/NAME (sources ship next to the repo)
  const candidates = [join(here, '..', name), join(here, '..', '..', '..', '..', '..', 'workloads', 'trace', 'recorder', name)];
  for (const candidate of candidates) {
    try {
      readFileSync(candidate);
      return candidate;
    } catch {
      // next
    }
  }
  throw new Error(`cannot find ${name} next to the recorder`);
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
}

async function startDirtier(binary: string, mib: number, rate: number): Promise<{ child: ChildProcess; address: number; pages: number }> {
  const child = spawn(binary, [String(mib), String(rate)], { stdio: ['ignore', 'pipe', 'inherit'] });
  const line = await new Promise<string>((resolve, reject) => {
    createInterface({ input: child.stdout! }).once('line', resolve);
    child.once('exit', () => reject(new Error('the benchmark child exited before it was ready')));
  });
  const [, address, pages] = line.split(' ');
  return { child, address: Number.parseInt(address!, 16), pages: Number(pages) };
}

function plainRead(pid: number, address: number, bytes: number): number {
  const buffer = Buffer.alloc(4 << 20);
  const fd = openSync(`/proc/${pid}/mem`, 'r');
  const start = performance.now();
  for (let done = 0; done < bytes; done += buffer.length) readSync(fd, buffer, 0, Math.min(buffer.length, bytes - done), address + done);
  const ms = performance.now() - start;
  closeSync(fd);
  return ms;
}

function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    child.once('exit', () => resolve());
    child.kill('SIGTERM');
  });
}

function redisBenchmark(port: number): number {
  const result = spawnSync('redis-benchmark', ['-h', '127.0.0.1', '-p', String(port), '-t', 'set', '-n', '100000', '-r', '200000', '-d', '512', '-c', '20', '--csv', '-q'], { encoding: 'utf8' });
  const line = result.stdout.split('\n').find((text) => text.startsWith('"SET"'));
  if (!line) throw new Error(`redis-benchmark gave no SET figure: ${(result.stderr || result.stdout).split('\n')[0]}`);
  return Number(line.split(',')[1]!.replaceAll('"', ''));
}

export async function benchmarkRecorder(options: RecorderBenchOptions = {}): Promise<RecorderBenchResult> {
  const mib = options.mib ?? 300;
  const rate = options.rate ?? 2000;
  const intervalMs = options.intervalMs ?? 100;
  const durationMs = options.durationMs ?? 5000;
  const rounds = options.rounds ?? 7;
  const directory = mkdtempSync(join(tmpdir(), 'pagedelta-bench-record-'));
  const children: ChildProcess[] = [];
  try {
    const binary = join(directory, 'dirtier');
    const built = spawnSync('gcc', ['-O2', '-o', binary, sourceOf('dirtier.c')], { encoding: 'utf8' });
    if (built.status !== 0) throw new Error(`cannot build the benchmark child with gcc: ${(built.stderr || String(built.error)).split('\n')[0]}`);
    const target = await startDirtier(binary, mib, rate);
    children.push(target.child);
    const bytes = target.pages * 4096;
    options.onProgress?.(`child ${target.child.pid}: ${mib} MiB, ${rate} pages/s`);
    const reads: number[] = [];
    for (let round = 0; round < rounds; round++) reads.push(plainRead(target.child.pid!, target.address, bytes));
    const plainReadMs = median(reads);
    const cpuBefore = process.cpuUsage();
    const wallBefore = performance.now();
    const recorded = await recordProcess({
      pid: target.child.pid!,
      out: join(directory, 'bench.pdt'),
      intervalMs,
      durationMs,
      mappings: { largest: 1 },
      ...(options.threads !== undefined ? { threads: options.threads } : {}),
      hugePages: options.hugePages ?? true,
    });
    const cpu = process.cpuUsage(cpuBefore);
    const wall = performance.now() - wallBefore;
    const result: RecorderBenchResult = {
      mib,
      rate,
      intervalMs,
      threads: options.threads,
      hugePages: options.hugePages ?? true,
      plainReadMs,
      plainReadGBps: bytes / plainReadMs / 1e6,
      snapshotMs: recorded.snapshotMs,
      scanGBps: bytes / recorded.snapshotMs.median / 1e6,
      intervals: recorded.intervals,
      recorderCores: (cpu.user + cpu.system) / 1000 / wall,
      recorderMaxRssMiB: process.resourceUsage().maxRSS / 1024,
    };
    await stop(target.child);
    if (options.redis) {
      const port = options.redisPort ?? 6399;
      const redis = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], { stdio: ['ignore', 'pipe', 'inherit'] });
      children.push(redis);
      await new Promise<void>((resolve, reject) => {
        createInterface({ input: redis.stdout! }).on('line', (line) => line.includes('Ready to accept connections') && resolve());
        redis.once('exit', () => reject(new Error(`redis-server exited (is port ${port} free?)`)));
      });
      redisBenchmark(port); // fill the keyspace once
      const plain: number[] = [];
      const withRecorder: number[] = [];
      const snapshotMedians: number[] = [];
      for (let round = 0; round < Math.max(3, Math.ceil(rounds / 2)); round++) {
        plain.push(redisBenchmark(port));
        const controller = new AbortController();
        let firstDone: () => void = () => {};
        const first = new Promise<void>((resolve) => (firstDone = resolve));
        const recording = recordProcess({ pid: redis.pid!, out: join(directory, `redis-${round}.pdt`), intervalMs, signal: controller.signal, hugePages: options.hugePages ?? true, onSnapshot: () => firstDone() });
        await first; // timed from after the first (full) snapshot
        withRecorder.push(redisBenchmark(port));
        controller.abort();
        snapshotMedians.push((await recording).snapshotMs.median);
        rmSync(join(directory, `redis-${round}.pdt`), { force: true });
        options.onProgress?.(`redis round ${round + 1}: ${plain.at(-1)} SET/s alone, ${withRecorder.at(-1)} SET/s recorded`);
      }
      result.redis = { setRps: plain, setRpsRecorded: withRecorder, slowdown: median(plain) / median(withRecorder), recordedSnapshotMs: median(snapshotMedians) };
      await stop(redis);
    }
    return result;
  } finally {
    await Promise.all(children.map((child) => stop(child)));
    rmSync(directory, { recursive: true, force: true });
  }
}

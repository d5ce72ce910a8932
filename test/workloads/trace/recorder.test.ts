import { spawn, spawnSync } from 'node:child_process';
import { closeSync, existsSync, mkdtempSync, openSync, readdirSync, readFileSync, readSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chooseDirtyTracking, parseMaps, RecorderError, recordProcess } from '../../../workloads/trace/recorder.js';
import { intervalStats } from '../../../workloads/trace/recorder/intervals.js';
import { findGuestRam, parseQemuMemory, qemuGuest, selectMappings } from '../../../workloads/trace/recorder/mappings.js';
import { splitTasks } from '../../../workloads/trace/recorder/scanner.js';
import { presentRuns, softDirtyRuns, softDirtyUnavailable } from '../../../workloads/trace/recorder/soft-dirty.js';
import { traceInfo } from '../../../workloads/trace/info.js';
import { readTrace } from '../../../workloads/trace/stream.js';
import { PAGE_XOR_LZ4, PAGE_ZERO, type TraceRegion } from '../../../workloads/trace/format.js';

const directory = mkdtempSync(join(tmpdir(), 'pagedelta-record-'));
afterAll(() => rmSync(directory, { recursive: true, force: true }));
const hasGcc = spawnSync('gcc', ['--version']).status === 0;

/**
 * The child, in lockstep with the test: 16 zeroed pages; it prints their address, then for
 * each line read on stdin does one round r (1..rounds): writes r at byte 100 and 0xA5 at
 * byte 101 of the even pages only. In round 5 it maps 8 new pages and fills byte 0 of each
 * with 0x5A; in round 10 it unmaps them. Odd page 15 gets 0x77 at byte 0 in round 3 and is
 * dropped (MADV_DONTNEED: the kernel then holds no data for it, it reads as zeros) in round
 * 8. It prints "round r" when a round is done, and exits
 * at the line after the last round (or at end of input).
 */
const PROGRAM = String.raw`
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/mman.h>
int main(int argc, char **argv) {
  int rounds = atoi(argv[1]);
  int pages = 16;
  char line[64];
  unsigned char *buf = aligned_alloc(4096, pages * 4096);
  memset(buf, 0, pages * 4096);
  printf("buf %lx\n", (unsigned long)buf);
  fflush(stdout);
  unsigned char *extra = 0;
  for (int r = 1; r <= rounds; r++) {
    if (!fgets(line, sizeof line, stdin)) return 0;
    for (int p = 0; p < pages; p += 2) { buf[p * 4096 + 100] = (unsigned char)r; buf[p * 4096 + 101] = 0xA5; }
    if (r == 5) {
      extra = mmap(0, 8 * 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
      for (int p = 0; p < 8; p++) extra[p * 4096] = 0x5A;
      printf("extra %lx\n", (unsigned long)extra);
    }
    if (r == 10) munmap(extra, 8 * 4096);
    if (r == 3) buf[15 * 4096] = 0x77;
    if (r == 8) madvise(buf + 15 * 4096, 4096, MADV_DONTNEED);
    printf("round %d\n", r);
    fflush(stdout);
  }
  fgets(line, sizeof line, stdin);
  return 0;
}
`;

let binary = '';
beforeAll(() => {
  if (!hasGcc) return;
  writeFileSync(join(directory, 'writer.c'), PROGRAM);
  binary = join(directory, 'writer');
  const result = spawnSync('gcc', ['-O0', '-o', binary, join(directory, 'writer.c')], { encoding: 'utf8' });
  if (result.status !== 0) throw new Error(`gcc failed: ${result.stderr}`);
});

/**
 * Starts the child. `step()` lets it do one round and resolves when it has printed
 * "round r" (or exited): passed as the recorder's onSnapshot, each snapshot sees one round.
 */
function startChild(rounds: number, command: string[] = [binary, String(rounds)]) {
  const child = spawn(command[0]!, command.slice(1), { stdio: ['pipe', 'pipe', 'inherit'] });
  const addresses = new Map<string, number>();
  const lines = createInterface({ input: child.stdout! });
  let waiting: (() => void) | undefined;
  let gone = false;
  const firstLine = new Promise<void>((resolve) => {
    lines.on('line', (line) => {
      const [name, value] = line.split(' ');
      if (name === 'round' || (name === 'buf' && waiting)) {
        if (name === 'buf') addresses.set(name, Number.parseInt(value!, 16));
        waiting?.();
        waiting = undefined;
        return;
      }
      addresses.set(name!, Number.parseInt(value!, 16));
      resolve();
    });
  });
  const exited = new Promise<void>((resolve) =>
    child.on('exit', () => {
      gone = true;
      waiting?.();
      resolve();
    }),
  );
  child.stdin!.on('error', () => {}); // the child may be gone when the last line is written
  const step = (): Promise<void> => {
    if (gone) return Promise.resolve();
    return new Promise<void>((resolve) => {
      waiting = resolve;
      child.stdin!.write('go\n');
    });
  };
  return { child, addresses, firstLine, exited, step };
}

function pageOf(regions: TraceRegion[], address: number): number {
  for (const region of regions) {
    const start = Number.parseInt(region.address!, 16);
    if (address >= start && address < start + region.pages * 4096) return region.firstPage + Math.floor((address - start) / 4096);
  }
  throw new Error(`no region holds 0x${address.toString(16)}`);
}

describe('parseMaps', () => {
  it('keeps readable writable mappings, skips the kernel ones', () => {
    const maps = [
      '55d4c9a00000-55d4c9a21000 rw-p 00000000 00:00 0                          [heap]',
      '7f0000000000-7f0000002000 r--p 00000000 08:01 1234                       /usr/lib/libc.so.6',
      '7f0000010000-7f0000011000 rw-p 00010000 08:01 1234                       /usr/lib/libc.so.6',
      '7f0000020000-7f0000030000 rw-s 00000000 00:05 99                         /dev/zero (deleted)',
      '7ffd00000000-7ffd00021000 rw-p 00000000 00:00 0                          [stack]',
      '7ffd00100000-7ffd00104000 r--p 00000000 00:00 0                          [vvar]',
      'ffffffffff600000-ffffffffff601000 --xp 00000000 00:00 0                  [vsyscall]',
      '7f0000040000-7f0000041000 rw-p 00000000 00:00 0 ',
    ].join('\n');
    expect(parseMaps(maps).map((mapping) => [mapping.start.toString(16), (mapping.end - mapping.start) / 4096, mapping.name])).toEqual([
      ['55d4c9a00000', 33, '[heap]'],
      ['7f0000010000', 1, '/usr/lib/libc.so.6'],
      ['7f0000020000', 16, '/dev/zero (deleted)'],
      ['7ffd00000000', 33, '[stack]'],
      ['7f0000040000', 1, ''],
    ]);
  });
});

describe.skipIf(!hasGcc)('recording a real process', () => {
  it('records the child\'s writes, its new mapping, and keeps the trace when it exits', async () => {
    const rounds = 16;
    const { child, addresses, firstLine, exited, step } = startChild(rounds);
    await firstLine;
    const out = join(directory, 'child.pdt');
    const notices: string[] = [];
    const result = await recordProcess({ pid: child.pid!, out, intervalMs: 5, durationMs: 60_000, onSnapshot: step, onNotice: (line) => notices.push(line) });
    await exited;
    expect(result.endedBy).toBe('exit');
    // One snapshot before round 1, one after each round; the exit is found by the next one.
    expect(result.snapshots).toBe(rounds + 1);
    expect(result.exited).toEqual([{ pid: child.pid, afterMs: expect.any(Number) }]);
    expect(notices.filter((line) => line.startsWith('dirty tracking: '))).toHaveLength(1);
    expect(notices.some((line) => line.startsWith(`process ${child.pid} exited after `) && line.endsWith('its epochs recorded so far are kept'))).toBe(true);
    expect(existsSync(out)).toBe(true);
    expect(readdirSync(directory).filter((name) => name.includes('.partial-'))).toEqual([]);

    // First pass: the regions (recorded as the mappings were met).
    const regionPass = await readTrace(out);
    for await (const _ of regionPass);
    const regions = regionPass.header.regions;
    const trace = await readTrace(out);
    expect(trace.header).toMatchObject({ kind: 'content', pageSize: 4096, complete: true });
    expect(trace.header.recorder).toMatchObject({ pid: child.pid, intervalMs: 5 });
    expect(String(trace.header.recorder.command)).toContain('writer');
    const buf = addresses.get('buf')!;
    const extra = addresses.get('extra')!;
    expect(extra).toBeGreaterThan(0);
    // Collect, per buffer page, the byte-100 values seen in each epoch where it changed.
    const seen = new Map<number, number[]>();
    const extraSeen = new Set<number>();
    const bufferPages = Array.from({ length: 16 }, (_, p) => pageOf(regions, buf + p * 4096));
    const extraPages = Array.from({ length: 8 }, (_, p) => pageOf(regions, extra + p * 4096));
    const dropped: string[] = [];
    let epochIndex = 0;
    for await (const epoch of trace) {
      epoch.pages.forEach((page, i) => {
        const p = bufferPages.indexOf(page);
        if (p === 15) {
          dropped.push(`${epochIndex}:${epoch.kinds![i]}:${epoch.content!(i)[0]}`);
        } else if (p >= 0) {
          const content = epoch.content!(i);
          (seen.get(p) ?? seen.set(p, []).get(p)!).push(content[100]!);
          expect(content[101]).toBe(0xa5);
          let others = 0;
          for (let offset = 0; offset < 4096; offset++) if (offset !== 100 && offset !== 101) others |= content[offset]!;
          expect(others).toBe(0);
        }
        if (extraPages.includes(page)) {
          expect(epoch.content!(i)[0]).toBe(0x5a);
          extraSeen.add(page);
        }
      });
      if (!epoch.continued) epochIndex++;
    }
    // Page 15: written in round 3 (seen by epoch 3), dropped in round 8: recorded as zeroed (kind 0) by epoch 8.
    expect(dropped).toEqual([`3:${PAGE_XOR_LZ4}:119`, `8:${PAGE_ZERO}:0`]);
    // Only even pages ever changed; each snapshot saw exactly one more round.
    expect([...seen.keys()].sort((a, b) => a - b)).toEqual([0, 2, 4, 6, 8, 10, 12, 14]);
    for (const values of seen.values()) expect(values).toEqual(Array.from({ length: rounds }, (_, i) => i + 1));
    // The mapping that appeared mid-recording was picked up (a region added while reading).
    expect(extraSeen.size).toBe(8);
    // trace info counts from the end record (the recorder's kinds, the dropped page's previous
    // bytes staged as its XOR) and gets what decoding every page gets.
    const info = await traceInfo(out);
    expect(info.contentFiguresFrom).toBe('end record');
    const decoded = await traceInfo(out, { decodePages: true });
    expect({ ...info, contentFiguresFrom: null }).toEqual({ ...decoded, contentFiguresFrom: null });
  });

  it('stops at --duration and kills nothing (the caller owns the process)', async () => {
    const { child, firstLine, exited } = startChild(400);
    await firstLine; // the child now waits for input: it is alive for the whole recording
    const out = join(directory, 'short.pdt');
    const result = await recordProcess({ pid: child.pid!, out, intervalMs: 20, durationMs: 300 });
    expect(result.endedBy).toBe('duration');
    expect(result.elapsedMs).toBeGreaterThanOrEqual(300);
    expect(result.elapsedMs).toBeLessThan(5000);
    expect(child.exitCode).toBeNull();
    child.kill();
    await exited;
    const trace = await readTrace(out);
    let epochs = 0;
    for await (const epoch of trace) if (!epoch.continued) epochs++;
    expect(epochs).toBe(result.epochs);
    expect(epochs).toBeGreaterThanOrEqual(3);
  });
});

describe.skipIf(!hasGcc)('recording across an exec', () => {
  it('follows the process into the program it execs (memory is reopened each snapshot)', async () => {
    // The shell takes the first line, then execs the writer, which takes the others.
    const { child, addresses, exited, step } = startChild(12, ['/bin/sh', '-c', `read line; exec ${binary} 12`]);
    const out = join(directory, 'exec.pdt');
    const result = await recordProcess({ pid: child.pid!, out, intervalMs: 5, durationMs: 60_000, onSnapshot: step });
    await exited;
    expect(result.endedBy).toBe('exit');
    const buf = addresses.get('buf')!;
    const regionPass = await readTrace(out);
    for await (const _ of regionPass);
    const page = pageOf(regionPass.header.regions, buf);
    const trace = await readTrace(out);
    const values: number[] = [];
    for await (const epoch of trace) epoch.pages.forEach((p, i) => p === page && values.push(epoch.content!(i)[100]!));
    expect(values).toEqual(Array.from({ length: 12 }, (_, i) => i + 1));
  });
});

describe('recorder errors', () => {
  it('a missing process is one clear line and leaves no file', async () => {
    const out = join(directory, 'none.pdt');
    await expect(recordProcess({ pid: 2 ** 22 + 12345, out })).rejects.toThrow(new RecorderError(`no process with pid ${2 ** 22 + 12345}`));
    expect(existsSync(out)).toBe(false);
  });

  it.skipIf(process.getuid?.() !== 0)('without ptrace access it says so', async () => {
    const out = join(directory, 'denied.pdt');
    process.seteuid!(65534);
    let error: unknown;
    try {
      await recordProcess({ pid: 1, out });
    } catch (caught) {
      error = caught;
    } finally {
      process.seteuid!(0);
    }
    expect((error as Error).message).toBe(
      'cannot read the memory of process 1 (/proc/1/mem: permission denied): recording needs ptrace access to it; run as root, or as its owner with kernel.yama.ptrace_scope=0',
    );
    expect(existsSync(out)).toBe(false);
  });
});

const hasQemu = spawnSync('qemu-system-x86_64', ['--version']).status === 0;

describe.skipIf(!hasQemu)('recording a QEMU guest (no disk: it sits in SeaBIOS)', () => {
  it('finds the RAM block (-m 64M) and numbers trace pages as guest-physical pages', async () => {
    const controller = new AbortController();
    let stopNext = false;
    // -qmp stdio: QEMU greets on stdout once the machine (and its RAM) exists: our signal to start.
    const qemu = spawn('qemu-system-x86_64', ['-m', '64M', '-display', 'none', '-nodefaults', '-accel', 'tcg', '-monitor', 'none', '-serial', 'none', '-qmp', 'stdio'], {
      stdio: ['pipe', 'pipe', 'inherit'],
    });
    const exited = new Promise<void>((resolve) => qemu.on('exit', () => resolve()));
    try {
      await new Promise<void>((resolve, reject) => {
        createInterface({ input: qemu.stdout! }).once('line', (line) => (line.includes('"QMP"') ? resolve() : reject(new Error(`unexpected QMP greeting: ${line}`))));
        qemu.once('exit', () => reject(new Error('qemu exited before its QMP greeting')));
      });
      const out = join(directory, 'qemu.pdt');
      // Stop once SeaBIOS has shadowed itself into RAM (the reset vector readable at guest-physical
      // 0xFFFF0, looked up in QEMU's 64 MiB mapping directly), at most 500 snapshots.
      const ram = parseMaps(readFileSync(`/proc/${qemu.pid}/maps`, 'latin1')).find((mapping) => mapping.end - mapping.start === 64 * 2 ** 20)!;
      const probe = Buffer.alloc(5);
      const shadowed = (): boolean => {
        const fd = openSync(`/proc/${qemu.pid}/mem`, 'r');
        try {
          readSync(fd, probe, 0, 5, ram.start + 0xffff0);
        } finally {
          closeSync(fd);
        }
        return probe.toString('hex') === 'ea5be000f0';
      };
      const result = await recordProcess({
        pid: qemu.pid!,
        out,
        intervalMs: 20,
        qemuGuest: true,
        onSnapshot: (count) => {
          if (count >= 500 || (count >= 2 && stopNext)) controller.abort();
          stopNext ||= shadowed();
        },
        signal: controller.signal,
      });
      expect(result.endedBy).toBe('signal');
      const trace = await readTrace(out);
      expect(trace.header.recorder.qemuGuest).toEqual([{ ramBytes: 64 * 2 ** 20, machine: 'pc', belowFourGiB: 64 * 2 ** 20 }]);
      // Guest-physical 0xFFFF0 (page 255, offset 0xFF0) holds the x86 reset vector SeaBIOS
      // shadows into RAM: a far jump to f000:e05b (ea 5b e0 00 f0).
      let resetVector = '';
      for await (const epoch of trace) {
        epoch.pages.forEach((page, i) => {
          if (page === 255) resetVector = Buffer.from(epoch.content!(i).subarray(0xff0, 0xff5)).toString('hex');
        });
      }
      expect(resetVector).toBe('ea5be000f0');
      expect(trace.header.regions).toEqual([{ firstPage: 0, pages: 16384, name: 'guest RAM below 4 GiB', address: `0x${ram.start.toString(16)}`, perms: 'rw-p' }]);
    } finally {
      qemu.kill('SIGKILL');
      await exited;
    }
  });
});

describe('recorder parts', () => {
  it('soft-dirty runs from crafted pagemap bytes: bit 55 only, adjacent pages merged', () => {
    const entries = 10;
    const bytes = new Uint8Array(entries * 8);
    const view = new DataView(bytes.buffer);
    const present = 1n << 63n;
    const softDirty = 1n << 55n;
    // pages 1, 2, 3 and 7, 9 soft-dirty; page 5 present only; page 6 has every other bit set
    const values = [present, present | softDirty, softDirty, present | softDirty | 0x1234n, 0n, present, (1n << 64n) - 1n - softDirty, softDirty, 0n, softDirty];
    values.forEach((value, index) => view.setBigUint64(index * 8, value, true));
    const runs = new Int32Array(entries * 2);
    const found = softDirtyRuns(bytes, entries, runs);
    expect([...runs.subarray(0, found * 2)]).toEqual([1, 3, 7, 1, 9, 1]);
    expect(softDirtyRuns(bytes, 0, runs)).toBe(0);
    expect(softDirtyRuns(bytes.subarray(8 * 3), 2, runs)).toBe(1);
    expect([...runs.subarray(0, 2)]).toEqual([0, 1]);
    // Pages holding data: present (bit 63) or swapped (bit 62); 2, 4, 7, 8, 9 hold none.
    view.setBigUint64(8 * 8, 1n << 62n, true);
    const held = presentRuns(bytes, entries, runs);
    expect([...runs.subarray(0, held * 2)]).toEqual([0, 2, 3, 1, 5, 2, 8, 1]);
  });

  it('this kernel: soft-dirty asked explicitly fails in one line when missing, auto says which method', () => {
    const missing = softDirtyUnavailable();
    if (missing === undefined) {
      expect(chooseDirtyTracking('auto').method).toBe('soft-dirty');
      return;
    }
    expect(missing).toBe('this kernel has no soft-dirty tracking (bit 55 of /proc/PID/pagemap stays clear after writes)');
    expect(() => chooseDirtyTracking('soft-dirty')).toThrow(new RecorderError(`--dirty-tracking soft-dirty: ${missing}; use --dirty-tracking content`));
    expect(chooseDirtyTracking('auto')).toEqual({ method: 'content', reason: `content diff (${missing}): every page read and compared with the previous snapshot` });
  });

  it('mapping selection by name, base name, brackets, anon and size', () => {
    const maps = parseMaps(
      [
        '1000-3000 rw-p 00000000 00:00 0          [heap]',
        '10000-11000 rw-p 00000000 08:01 1  /usr/lib/libc.so.6',
        '20000-60000 rw-s 00000000 00:05 2  /dev/shm/pool (deleted)',
        '70000-78000 rw-p 00000000 00:00 0 ',
      ].join('\n'),
    );
    const starts = (selection: Parameters<typeof selectMappings>[1]) => selectMappings(maps, selection).map((mapping) => mapping.start.toString(16));
    expect(starts({ names: ['heap'] })).toEqual(['1000']);
    expect(starts({ names: ['[heap]', 'libc.so.6'] })).toEqual(['1000', '10000']);
    expect(starts({ names: ['pool'] })).toEqual(['20000']);
    expect(starts({ names: ['anon'] })).toEqual(['70000']);
    expect(starts({ largest: 2 })).toEqual(['20000', '70000']);
    expect(starts({ names: ['heap', 'anon'], largest: 1 })).toEqual(['70000']);
  });

  it('QEMU geometry: -m forms, and RAM above 4 GiB for large pc and q35 guests', () => {
    expect(parseQemuMemory('64M')).toBe(64 * 2 ** 20);
    expect(parseQemuMemory('512')).toBe(512 * 2 ** 20);
    expect(parseQemuMemory('size=4G,slots=2,maxmem=8G')).toBe(4 * 2 ** 30);
    expect(qemuGuest(['qemu-system-x86_64', '-m', '3G'])).toEqual({ ramBytes: 3 * 2 ** 30, machine: 'pc', belowFourGiB: 3 * 2 ** 30 });
    expect(qemuGuest(['qemu-system-x86_64', '-m', '8G'])).toEqual({ ramBytes: 8 * 2 ** 30, machine: 'pc', belowFourGiB: 3 * 2 ** 30 });
    expect(qemuGuest(['qemu', '-machine', 'q35,accel=kvm', '-m', 'size=4G'])).toEqual({ ramBytes: 4 * 2 ** 30, machine: 'q35', belowFourGiB: 2 * 2 ** 30 });
    expect(qemuGuest(['qemu', '-M', 'pc-q35-8.2', '-m', '2G']).belowFourGiB).toBe(2 * 2 ** 30);
    expect(qemuGuest(['qemu']).ramBytes).toBe(128 * 2 ** 20);
    const mappings = parseMaps(['1000000-5000000 rw-p 00000000 00:00 0 ', '6000000-a000000 rw-s 00000000 00:05 9 /dev/shm/ram', 'b000000-b400000 rw-p 00000000 00:00 0 '].join('\n'));
    expect(findGuestRam(mappings, 64 * 2 ** 20)?.start).toBe(0x1000000); // anonymous preferred
    expect(findGuestRam(mappings, 32 * 2 ** 20)).toBeUndefined();
  });

  it('work is split between threads by pages, cutting tasks at page boundaries', () => {
    const tasks = [0x1000, 10, 0, 0, 0, 0, 0x100000, 2, 1, 0, 10, 1];
    expect(splitTasks(tasks, 2)).toEqual([
      [0x1000, 6, 0, 0, 0, 0],
      [0x1000 + 6 * 4096, 4, 0, 6 * 4096, 6, 0, 0x100000, 2, 1, 0, 10, 1],
    ]);
    expect(splitTasks(tasks, 1)).toEqual([tasks]);
  });

  it('achieved interval: min / median / max of the gaps', () => {
    expect(intervalStats([0, 100, 250, 300])).toEqual({ count: 3, minMs: 50, medianMs: 100, meanMs: 100, maxMs: 150 });
    expect(intervalStats([5])).toBeUndefined();
  });
});

describe.skipIf(!hasGcc)('recording several processes and failing writes', () => {
  it('several processes in one trace: each its own regions, each recorded in lockstep', async () => {
    const rounds = 6;
    const first = startChild(rounds);
    const second = startChild(rounds);
    await Promise.all([first.firstLine, second.firstLine]);
    const out = join(directory, 'two.pdt');
    const result = await recordProcess({
      pid: [first.child.pid!, second.child.pid!],
      out,
      intervalMs: 5,
      durationMs: 60_000,
      mappings: { names: ['heap'] },
      onSnapshot: () => Promise.all([first.step(), second.step()]).then(() => undefined),
    });
    await Promise.all([first.exited, second.exited]);
    expect(result.exited.map((entry) => entry.pid).sort()).toEqual([first.child.pid, second.child.pid].sort());
    const regionPass = await readTrace(out);
    for await (const _ of regionPass);
    const regions = regionPass.header.regions;
    expect(new Set(regions.map((region) => region.name))).toEqual(new Set(['[heap]']));
    expect(new Set(regions.map((region) => region.process))).toEqual(new Set([`pid ${first.child.pid}`, `pid ${second.child.pid}`]));
    for (const { child, addresses } of [first, second]) {
      const own = regions.filter((region) => region.process === `pid ${child.pid}`);
      const page = pageOf(own, addresses.get('buf')!);
      const trace = await readTrace(out);
      const values: number[] = [];
      for await (const epoch of trace) epoch.pages.forEach((p, i) => p === page && values.push(epoch.content!(i)[100]!));
      expect(values).toEqual(Array.from({ length: rounds }, (_, i) => i + 1));
    }
  });

  it('a full disk (here: a file size limit) keeps the epochs written so far and says so in one line', async () => {
    const dirtier = join(directory, 'dirtier');
    const built = spawnSync('gcc', ['-O2', '-o', dirtier, join(import.meta.dirname, '..', '..', '..', 'workloads', 'trace', 'recorder', 'dirtier.c')], { encoding: 'utf8' });
    expect(built.status, built.stderr).toBe(0);
    const target = spawn(dirtier, ['8', '20000'], { stdio: ['ignore', 'pipe', 'inherit'] });
    const targetExited = new Promise<void>((resolve) => target.on('exit', () => resolve()));
    try {
      await new Promise<void>((resolve) => createInterface({ input: target.stdout! }).once('line', () => resolve()));
      const out = join(directory, 'full.pdt');
      const cli = join(import.meta.dirname, '..', '..', '..', 'dist', 'cli', 'main.js');
      // 9000 KiB: the 8 MiB initial image fits, the epochs after it fill the rest.
      const recorder = spawn('/bin/bash', ['-c', `trap '' XFSZ; ulimit -f 9000; exec node ${cli} trace record --pid ${target.pid} --interval 50ms --duration 120s --out ${out}`], {
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let stderr = '';
      recorder.stderr!.on('data', (data: Buffer) => (stderr += data.toString()));
      const code = await new Promise<number | null>((resolve) => recorder.on('exit', (status) => resolve(status)));
      expect(code).toBe(1);
      const last = stderr.trim().split('\n').pop()!;
      const match = new RegExp(`^pagedelta: cannot write ${out}: file too large \\(EFBIG\\); the (\\d+) epochs recorded before are kept in ${out}$`).exec(last);
      expect(match, last).not.toBeNull();
      const trace = await readTrace(out);
      let epochs = 0;
      for await (const epoch of trace) if (!epoch.continued) epochs++;
      expect(trace.header.complete).toBe(true);
      expect(epochs).toBe(Number(match![1]));
      expect(epochs).toBeGreaterThanOrEqual(1);
      expect(readdirSync(directory).filter((name) => name.includes('.partial-'))).toEqual([]);
    } finally {
      target.kill('SIGKILL');
      await targetExited;
    }
  });
});

/**
 * The access-trace loader, the simulation harness and CLI command, the conflict-burst trace
 * and the seed-caches reproduction (deterministic parts: hit ratios and the table's shape).
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { collapseRepeats, simulateCache } from '../../../caches/registry.js';
import { splitSpecs } from '../../../caches/spec.js';
import { cachesCommand } from '../../../cli/commands/caches.js';
import { loadAccessKeys, loadTraceKeys, parseAccessKeys } from '../../../harness/cache/access-keys.js';
import { benchmarkCaches } from '../../../harness/cache/bench.js';
import { conflictBurstKeys } from '../../../harness/cache/conflict-trace.js';
import { workloadAccessKeys } from '../../../harness/cache/workload-keys.js';
import { zipfKeys } from '../../../harness/cache/zipf-keys.js';
import { writeTrace } from '../../../workloads/trace/writer.js';
import type { Workload } from '../../../workloads/workload.js';
import { CLOUDPHYSICS_TRACE, dataPath } from '../../../reference/data.js';
import { reproduceSeedCaches } from '../../../reproductions/seed-caches.js';
import { temporaryDirectory } from '../../temporary-directory.js';

const scratch = temporaryDirectory('pagedelta-caches-');

describe('access traces', () => {
  it('one key per line, with blank lines, comments, CRLF and keys past 2^32', () => {
    expect([...parseAccessKeys('1\n2\r\n\n# comment\n  4294967301 \n9007199254740991\n')]).toEqual([1, 2, 4294967301, 9007199254740991]);
  });

  it('time,page CSV with an optional header (the one text parser: integers only)', () => {
    expect([...parseAccessKeys('time,page\n5,7\n10 , 8\n2000, 7\n')]).toEqual([7, 8, 7]);
    expect([...parseAccessKeys('10,3\n11,4')]).toEqual([3, 4]);
    expect([...parseAccessKeys('page\n3\n4\n')]).toEqual([3, 4]);
  });

  it('malformed input: one-line errors naming the line', () => {
    expect(() => parseAccessKeys('1\n2\nabc\n', 't.keys')).toThrow(/^t\.keys line 3: expected a page number \(an integer 0 to 2\^53-1\), found "abc"$/);
    expect(() => parseAccessKeys('1\n-4\n', 't')).toThrow(/^t line 2: expected a page number .*found "-4"$/);
    expect(() => parseAccessKeys('1\n2.5\n', 't')).toThrow(/^t line 2: .*found "2.5"$/);
    expect(() => parseAccessKeys('9007199254740992\n', 't')).toThrow(/^t line 1: .*found "9007199254740992"$/);
    expect(() => parseAccessKeys('1\n2,3\n', 't')).toThrow(/^t line 2: expected "page" like the first line, found "2,3"$/);
    expect(() => parseAccessKeys('1,2\n3\n', 't')).toThrow(/^t line 2: expected "time,page" like the first line, found "3"$/);
    expect(() => parseAccessKeys('1,2\n3,4,5\n', 't')).toThrow(/^t line 2: expected "page" or "time,page" \(two integers at most\), found "3,4,5"$/);
    expect(() => parseAccessKeys('x,2\n', 't')).toThrow(/^t line 1: expected a page number .*found "x,2"$/);
    expect(() => parseAccessKeys('1,y\n', 't')).toThrow(/^t line 1: expected a page number \(an integer 0 to 2\^53-1\) after the time, found "1,y"$/);
    expect(() => loadAccessKeys(join(scratch, 'missing.keys'))).toThrow(/no such trace file/);
    expect(() => loadAccessKeys(scratch)).toThrow(/is a directory/);
  });

  it('the CloudPhysics trace: 113,872 requests, 48,974 distinct keys, 2,685 back-to-back repeats', () => {
    const keys = loadAccessKeys(dataPath(CLOUDPHYSICS_TRACE)); // shipped in data/, always present
    expect(keys.length).toBe(113_872);
    expect(new Set(keys).size).toBe(48_974);
    expect(keys.length - collapseRepeats(keys).length).toBe(2_685);
    // Deterministic figures, gateable: LRU at 1000 and 10000 pages.
    expect(simulateCache('lru', 1000, keys).hits).toBe(19_049);
    expect(simulateCache('lru', 10_000, keys).hits).toBe(34_434);
  });
});

describe('policy lists', () => {
  it("split on commas, keeping a spec's own parameters together", () => {
    expect(splitSpecs(['lru,lirs:hir=1%,nonres=2c,arc', 'set-assoc:ways=2'])).toEqual(['lru', 'lirs:hir=1%,nonres=2c', 'arc', 'set-assoc:ways=2']);
  });
});

describe('caches sim (CLI command)', () => {
  it('writes hits, misses, hit ratio and M requests/s for every policy x capacity', async () => {
    const trace = join(scratch, 'small.keys');
    writeFileSync(trace, `${Array.from({ length: 400 }, (_, i) => (i * 7) % 50).join('\n')}\n`);
    const out = join(scratch, 'sim.csv');
    await (cachesCommand.handler as (args: unknown) => Promise<void>)({
      action: 'sim',
      trace,
      policy: ['lru,lirs:hir=2,nonres=2c', 'opt'],
      capacity: ['10,50'],
      collapseRepeats: false,
      format: 'csv',
      out,
    });
    const lines = readFileSync(out, 'utf8').trim().split('\n');
    expect(lines[0]).toBe('trace,policy,capacity,requests,hits,misses,hitRatio,refused,mrps');
    expect(lines).toHaveLength(1 + 6);
    const lruAt40 = lines.find((line) => line.startsWith('small.keys,lru,50,'))!.split(',');
    expect(lruAt40.slice(3, 6)).toEqual(['400', '350', '50']); // 50 distinct keys, all fit
    expect(lines.some((line) => line.includes('"lirs:hir=2,nonres=2c"'))).toBe(true);
  });

  it('rejects bad input with one-line errors before running anything', async () => {
    const run = (args: Record<string, unknown>) =>
      (cachesCommand.handler as (args: unknown) => Promise<void>)({ action: 'sim', collapseRepeats: false, format: 'md', ...args });
    await expect(run({ policy: ['lru'], capacity: ['10'] })).rejects.toThrow(/needs one of --trace FILE or --workload SPEC/);
    await expect(run({ trace: 'x', policy: ['lru'], capacity: ['ten'] })).rejects.toThrow(/--capacity: "ten"/);
    await expect(run({ trace: 'x', policy: ['lfu'], capacity: ['10'] })).rejects.toThrow(/unknown cache policy "lfu"; valid:/);
    await expect(run({ trace: join(scratch, 'nope'), policy: ['lru'], capacity: ['10'] })).rejects.toThrow(/no such trace file/);
  });
});

describe('synthetic traces', () => {
  it('zipf keys: seeded, in range, skewed', () => {
    const keys = zipfKeys({ requests: 20_000, distinct: 1000, skew: 0.9, seed: 7 });
    expect(zipfKeys({ requests: 20_000, distinct: 1000, skew: 0.9, seed: 7 })).toEqual(keys);
    expect(keys.every((key) => key >= 0 && key < 1000 && Number.isInteger(key))).toBe(true);
    const counts = new Map<number, number>();
    for (const key of keys) counts.set(key, (counts.get(key) ?? 0) + 1);
    const sorted = [...counts.values()].sort((a, b) => b - a);
    // Zipf(0.9) over 1000 keys: the top key takes 1/H(1000, 0.9) (~9.5%) of requests.
    let harmonic = 0;
    for (let rank = 1; rank <= 1000; rank++) harmonic += rank ** -0.9;
    expect(Math.abs(sorted[0]! / keys.length - 1 / harmonic)).toBeLessThan(0.006);
  });

  it('conflict-burst trace: bursts are three fresh pages congruent mod c, each requested twice', () => {
    const capacity = 64;
    const keys = conflictBurstKeys({ capacity, requests: 50_000, seed: 1 });
    const background = Math.round(17.5 * capacity);
    let bursts = 0;
    for (let i = 0; i < keys.length; i++) {
      if (keys[i]! < background) continue;
      if (i + 6 > keys.length) break;
      const [a, b, c, a2, b2, c2] = keys.slice(i, i + 6);
      expect([b! - a!, c! - a!, a2, b2, c2]).toEqual([capacity, 2 * capacity, a, b, c]);
      bursts++;
      i += 5;
    }
    expect(bursts / (keys.length / 6)).toBeGreaterThan(0.08);
    expect(bursts / (keys.length / 6)).toBeLessThan(0.12);
  });
});

describe('seed-caches reproduction', () => {
  it("reproduces the 2011 table's shape (deterministic hit ratios) and states its inputs", async () => {
    const tables = await reproduceSeedCaches({ requests: 300_000, runs: 1, mrcCapacities: [1024] });
    const [seed, verdicts, others, curve] = tables;
    expect(seed!.rows.map((row) => row.policy)).toEqual(['set-assoc:ways=1', 'set-assoc:ways=2', 'set-assoc:ways=4', 'set-assoc:ways=8', 'lru']);
    expect(verdicts!.rows.slice(0, 3).map((row) => row.holds)).toEqual([true, true, true]);
    expect(seed!.notes!.join(' ')).toMatch(/seed 20110706/);
    expect(others!.rows.map((row) => row.policy)).toEqual(['fifo', 'clock', 'sieve', '2q', 'arc', 's3fifo', 'lirs', 'opt']);
    const opt = others!.rows.find((row) => row.policy === 'opt')!;
    for (const row of [...seed!.rows.map((r) => r.ourHit), ...others!.rows.map((r) => r.hitRatio)]) {
      expect(row as number).toBeLessThanOrEqual(opt.hitRatio as number);
    }
    expect(curve!.title).toMatch(/Miss-ratio curve/);
  });
});

describe('access traces from workloads', () => {
  /** A hot set of `hotPages` pages, each written once per `periodMs` (the QEMU age-rule commit's shape). */
  function hotLoop(hotPages: number, periodMs: number): Workload {
    let now = 0;
    return {
      spec: `test-hot:${hotPages}`,
      seed: 0,
      init: () => {},
      advance(memory, untilMs, dirty) {
        while (now + periodMs <= untilMs) {
          now += periodMs;
          for (let page = 0; page < hotPages; page++) {
            memory.chunks[0]![page * memory.pageSize] = now & 0xff;
            dirty.markDirty(page);
          }
        }
      },
      describe: () => ({ hotPages }),
    };
  }

  it('one round per sync, pages in order, generations at the round starts (age rule ~50% vs ~100%)', () => {
    const { keys, roundStarts } = workloadAccessKeys(hotLoop(512, 10), { pageCount: 1024, pageSize: 64, durationMs: 200, intervalMs: 10 });
    expect(keys.length).toBe(20 * 512);
    expect(roundStarts).toEqual(Array.from({ length: 20 }, (_, round) => round * 512));
    expect([...keys.slice(0, 3)]).toEqual([0, 1, 2]);
    const withRule = simulateCache('qemu', 256, keys, { generationStarts: roundStarts });
    expect(withRule.misses).toBe(512 + 19 * 256);
    expect(simulateCache('qemu-noage', 256, keys, { generationStarts: roundStarts }).misses).toBe(keys.length);
    expect(() => simulateCache('qemu', 256, keys, { generationStarts: [0, 5, 3] })).toThrow(/ascending/);
  });
});

describe('cache benchmark', () => {
  it('runs each policy over the same preloaded trace; hit ratios deterministic, rates positive', () => {
    const rows = benchmarkCaches({ policies: ['lru', 'set-assoc:ways=2', 'lirs'], requests: 20_000, distinct: 2_000, capacity: 200, runs: 2 });
    expect(rows.map((row) => row.policy)).toEqual(['lru', 'set-assoc:ways=2', 'lirs']);
    const keys = zipfKeys({ requests: 20_000, distinct: 2_000, skew: 0.9, seed: 20110706 });
    for (const row of rows) {
      expect(row.hits).toBe(simulateCache(row.policy, 200, keys).hits);
      expect(row.mrps).toBeGreaterThan(0);
      expect(row.cpuMrps).toBeGreaterThan(0);
    }
    expect(rows[0]!.vsLru).toBe(1);
  });
});

describe('caches sim inputs from the workloads layer', () => {
  const run = (args: Record<string, unknown>) =>
    (cachesCommand.handler as (args: unknown) => Promise<void>)({ action: 'sim', collapseRepeats: false, format: 'csv', pages: 65536, duration: '10s', interval: '100ms', ...args });

  it('--duration and --interval take durations with units (a bare number is ms), checked before work', async () => {
    await expect(run({ workload: 'idle', policy: ['lru'], capacity: ['8'], duration: 'soon' })).rejects.toThrow(/bad --duration "soon"/);
    await expect(run({ workload: 'idle', policy: ['lru'], capacity: ['8'], interval: '0ms' })).rejects.toThrow('--interval must be a positive duration, got "0ms"');
    const out = join(scratch, 'units.json');
    await run({ workload: 'uniform:rate=1000', policy: ['lru'], capacity: ['64'], pages: 256, duration: '1s', interval: 250, out, format: 'json' });
    // 1 s at 1000 writes/s, synced every 250 ms: 4 rounds, each looking up the pages dirtied in it.
    const { rows, notes } = JSON.parse(readFileSync(out, 'utf8')) as { rows: { requests: number }[]; notes: string[] };
    expect(notes.join(' ')).toMatch(/for 1 s, a dirty sync every 250 ms: .*\(4 rounds,/);
    expect(rows[0]!.requests).toBeGreaterThan(0);
  });

  it('--workload: QEMU age-test program, 2048 slots: ~50% misses with the age rule, 100% without', async () => {
    const out = join(scratch, 'age.json');
    await run({ workload: 'qemu-age-test', policy: ['qemu,qemu-noage'], capacity: ['2048'], pages: 4096, duration: '2s', out, format: 'json' });
    const [withRule, without] = JSON.parse(readFileSync(out, 'utf8')).rows as { policy: string; requests: number; hits: number; misses: number }[];
    expect(withRule!.policy).toBe('qemu');
    expect(withRule!.misses / withRule!.requests).toBeGreaterThan(0.48);
    expect(withRule!.misses / withRule!.requests).toBeLessThan(0.55);
    expect(without!.hits).toBe(0);
    await expect(run({ workload: 'qemu-age-test', trace: 'x', policy: ['qemu'], capacity: ['2048'] })).rejects.toThrow('caches sim takes --trace FILE or --workload SPEC, not both');
    await expect(run({ workload: 'nosuch', policy: ['qemu'], capacity: ['2048'] })).rejects.toThrow(/nosuch/);
  });

  it('--trace accepts a binary pagedelta access trace', async () => {
    const path = join(scratch, 'access.pdt');
    const keys = [5, 9, 5, 2 ** 20, 9, 5];
    await writeTrace(path, { kind: 'access', pageCount: 2 ** 20 + 1 }, (writer) => {
      keys.forEach((page, i) => writer.writeAccess(i, page));
    });
    expect([...(await loadTraceKeys(path))]).toEqual(keys);
    const out = join(scratch, 'binary.csv');
    await run({ trace: path, policy: ['lru'], capacity: ['2'], out });
    expect(readFileSync(out, 'utf8').trim().split('\n')[1]).toMatch(/^access\.pdt,lru,2,6,1,5,/);
  });
});

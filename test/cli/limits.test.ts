/** Absurd flag values: one line naming the flag and its range, exit 1, before any work. */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';

const CLI = fileURLToPath(new URL('../../dist/cli/main.js', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'pagedelta-limits-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function expectRefused(args: string[], pattern: RegExp): void {
  const result = spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8', timeout: 120_000 });
  expect(result.status, result.stderr).toBe(1);
  expect(result.stdout).toBe('');
  const lines = result.stderr.trim().split('\n');
  expect(lines).toHaveLength(1);
  expect(lines[0]).toMatch(pattern);
}

describe('bounded work: absurd flags are refused up front', () => {
  it('migrate', () => {
    expectRefused(['migrate', '--workload', 'idle', '--ram', '1e308'], /ram|size/);
    expectRefused(['migrate', '--workload', 'idle', '--ram', '64M', '--bandwidth', '1bit'], /bandwidth 0\.125 bytes\/s is outside the valid range/);
    expectRefused(['migrate', '--workload', 'idle', '--ram', '64M', '--bandwidth', '1e308'], /bandwidth .* is outside the valid range/);
    expectRefused(['migrate', '--workload', 'idle', '--ram', '64M', '--downtime', '1e308'], /downtime/);
    expectRefused(['migrate', '--workload', 'zipf:rate=1e308', '--ram', '64M'], /rate=1e308 must be <= 100000000/);
    expectRefused(['migrate', '--workload', 'zipf:rate=2000', '--ram', '16M', '--setup', '1e9'], /^pagedelta: setup time 1000000000 ms is outside the valid range 0 \.\. 60000 ms$/);
    expectRefused(['migrate', '--workload', 'zipf:rate=2000', '--ram', '16M', '--setup', '1e30'], /^pagedelta: setup time 1e\+30 ms is outside the valid range 0 \.\. 60000 ms$/);
    expectRefused(['migrate', '--workload', 'zipf:rate=2000', '--ram', '16M', '--background-dirty', '1e10'], /^pagedelta: background dirty rate 10000000000 must be <= 100000000$/);
  });

  it('trace synth: a guest beyond the machine, a duration or step that would never end', () => {
    const out = join(dir, 'x.pdt');
    expectRefused(['trace', 'synth', '--workload', 'idle', '--ram', '1T', '--out', out], /a 1024\.0 GiB guest image needs that much memory; this machine has/);
    expectRefused(['trace', 'synth', '--workload', 'idle', '--ram', '1M', '--duration', '99999999h', '--out', out], /beyond the limit of 30 simulated days/);
    expectRefused(['trace', 'synth', '--workload', 'idle', '--ram', '1M', '--step', '0.0001ms', '--out', out], /100000000 epochs, more than the limit of 1000000/);
    expectRefused(['trace', 'synth', '--workload', 'idle', '--ram', '1M', '--page-size', '3', '--out', out], /--page-size 3 bytes is outside the valid range 8 /);
    expectRefused(['trace', 'synth', '--workload', 'idle', '--ram', '1M', '--page-size', '12', '--out', out], /--page-size must be a power of two, got 12/);
    expect(existsSync(out)).toBe(false);
  });

  it('benchmarks and tables', () => {
    expectRefused(['workloads', 'bench', '--pages', '1e308'], /^pagedelta: --pages 1e\+308 pages is outside the valid range 1 \.\. 4194304 pages$/);
    expectRefused(['codecs', 'bench', '--pages', '1e308'], /--pages .* is outside the valid range/);
    expectRefused(['trace', 'info', join(dir, 'any'), '--buckets', '2.5'], /^pagedelta: --buckets must be a whole number, got 2\.5$/);
  });

  it('caches sim --workload: guest size, duration and sync rounds are bounded before the workload runs', () => {
    const sim = ['caches', 'sim', '--workload', 'zipf:rate=2000', '--policy', 'lru', '--capacity', '10'];
    expectRefused([...sim, '--pages', '1e9'], /^pagedelta: --pages 1000000000 pages is outside the valid range 1 \.\. 262144 pages$/);
    expectRefused([...sim, '--pages', '1e12'], /^pagedelta: --pages 1000000000000 pages is outside the valid range 1 \.\. 262144 pages$/);
    expectRefused([...sim, '--duration', '1e9s'], /^pagedelta: --duration 1000000000000 ms is beyond the limit of 30 simulated days$/);
    expectRefused([...sim, '--duration', '1e30'], /^pagedelta: --duration 1e\+30 ms is beyond the limit of 30 simulated days$/);
    expectRefused([...sim, '--interval', '1e-9'], /^pagedelta: --duration 10000 ms in --interval 1e-9 ms steps is 10000000000000 sync rounds, more than the limit of 65536 for 65536 pages: use a longer --interval$/);
    expectRefused([...sim, '--pages', '262144', '--interval', '1ms', '--duration', '17s'], /is 17000 sync rounds, more than the limit of 16384 for 262144 pages/);
  });

  it('caches --capacity: a size too large says the range (it was "must be an integer >= 1" or a failed allocation)', () => {
    expectRefused(['caches', 'sim', '--workload', 'zipf', '--policy', 'lru', '--capacity', '1e30'], /^pagedelta: --capacity 1e\+30 pages is outside the valid range 1 \.\. 1048576 pages$/);
    expectRefused(['caches', 'sim', '--workload', 'zipf', '--policy', 'lru', '--capacity', '1e9'], /^pagedelta: --capacity 1000000000 pages is outside the valid range 1 \.\. 1048576 pages$/);
    expectRefused(['caches', 'sim', '--workload', 'zipf', '--policy', 'lru', '--capacity', '0'], /^pagedelta: --capacity 0 pages is outside the valid range 1 \.\. 1048576 pages$/);
  });

  it('caches bench: trace length, key count and runs are bounded (1e12 requests was a raw "Invalid typed array length")', () => {
    const bench = ['caches', 'bench', '--policy', 'lru', '--capacity', '100'];
    expectRefused([...bench, '--requests', '1e12'], /^pagedelta: --requests 1000000000000 is outside the valid range 1 \.\. 16777216$/);
    expectRefused([...bench, '--requests', '1e9', '--runs', '1'], /^pagedelta: --requests 1000000000 is outside the valid range 1 \.\. 16777216$/);
    expectRefused([...bench, '--distinct', '1e9'], /^pagedelta: --distinct 1000000000 is outside the valid range 1 \.\. 4194304$/);
    expectRefused([...bench, '--runs', '1e9'], /^pagedelta: --runs 1000000000 is outside the valid range 1 \.\. 1000$/);
    expectRefused([...bench, '--runs', '0'], /^pagedelta: --runs 0 is outside the valid range 1 \.\. 1000$/);
    expectRefused(['caches', 'bench', '--store-data', '--capacity', '1M'], /^pagedelta: --capacity \(with --store-data\) 1000000 pages is outside the valid range 1 \.\. 262144 pages$/);
  });

  it('caches sim: --trace and --workload are exclusive, and the message says so', () => {
    expectRefused(['caches', 'sim', '--trace', join(dir, 'k.txt'), '--workload', 'zipf:rate=2000', '--policy', 'lru', '--capacity', '10'], /^pagedelta: caches sim takes --trace FILE or --workload SPEC, not both$/);
    expectRefused(['caches', 'sim', '--policy', 'lru', '--capacity', '10'], /^pagedelta: caches sim needs one of --trace FILE or --workload SPEC$/);
  });

  it('an empty list is an error, not silently the default', () => {
    expectRefused(['codecs', 'bench', '--codec', ''], /^pagedelta: --codec is empty/);
    expectRefused(['codecs', 'bench', '--scenario', ''], /^pagedelta: --scenario is empty/);
    expectRefused(['caches', 'sim', '--workload', 'zipf', '--capacity', ''], /^pagedelta: --capacity is empty/);
  });
});

describe('experiment files: every migration cell is checked before the first runs', () => {
  it('a grid with one absurd bandwidth fails naming that cell, and writes no rows', async () => {
    const { writeFileSync } = await import('node:fs');
    const grid = join(dir, 'bad.yaml');
    writeFileSync(grid, 'name: bad\nkinds: [migration]\ncodecs: [xbzrle]\ncaches: [qemu]\ncacheSizes: [4M]\nworkloads:\n  - { type: idle }\nguestSizes: [64M]\nbandwidths: [1Gbit, 1bit]\ndowntimeLimits: [300ms]\n');
    const out = join(dir, 'bad.jsonl');
    expectRefused(['run', grid, '--out', out], /^pagedelta: cell migration .*bandwidth 0\.125 bytes\/s is outside the valid range 125000 /);
    expect(existsSync(out)).toBe(false);
  });
});

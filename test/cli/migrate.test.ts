// `pagedelta migrate`: unit parsing, JSON output, and one-line errors for bad input.
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { parseDuration, parseRate, parseSize } from '../../harness/migration.js';

const CLI = fileURLToPath(new URL('../../dist/cli/main.js', import.meta.url));

function cli(...args: string[]): { status: number | null; stdout: string; stderr: string } {
  const result = spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8', timeout: 120_000 });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

function expectOneLineError(result: ReturnType<typeof cli>, pattern: RegExp): void {
  expect(result.status).toBe(1);
  expect(result.stdout).toBe('');
  const lines = result.stderr.trim().split('\n');
  expect(lines).toHaveLength(1);
  expect(lines[0]).toMatch(pattern);
}

describe('units', () => {
  it('sizes: bare and i prefixes are binary, xB is decimal', () => {
    expect(parseSize('4096')).toBe(4096);
    expect(parseSize('64K')).toBe(65536);
    expect(parseSize('64M')).toBe(64 * 2 ** 20);
    expect(parseSize('1G')).toBe(2 ** 30);
    expect(parseSize('1GiB')).toBe(2 ** 30);
    expect(parseSize('1.5GiB')).toBe(1.5 * 2 ** 30);
    expect(parseSize('1GB')).toBe(1e9);
    expect(() => parseSize('12 potatoes', '--ram')).toThrow(/bad --ram "12 potatoes"/);
  });
  it('rates: bits with decimal prefixes, bytes per second', () => {
    expect(parseRate('1Gbit')).toBe(1.25e8);
    expect(parseRate('1Gbit/s')).toBe(1.25e8);
    expect(parseRate('10Gbps')).toBe(1.25e9);
    expect(parseRate('100Mbit')).toBe(1.25e7);
    expect(parseRate('125MB/s')).toBe(1.25e8);
    expect(parseRate('128MiB/s')).toBe(128 * 2 ** 20);
    expect(parseRate('1000')).toBe(1000);
    expect(() => parseRate('fast')).toThrow(/bad rate "fast"/);
  });
  it('durations: us, ms, s, min; bare numbers are ms', () => {
    expect(parseDuration('300ms')).toBe(300);
    expect(parseDuration('0.3s')).toBe(300);
    expect(parseDuration('2min')).toBe(120_000);
    expect(parseDuration('500us')).toBe(0.5);
    expect(parseDuration('30')).toBe(30);
    expect(() => parseDuration('soon')).toThrow(/bad duration "soon"/);
  });
});

describe('pagedelta migrate', () => {
  it('prints one run as JSON with the issue’s fields', () => {
    const result = cli('migrate', '--workload', 'zipf:skew=0.9,rate=20000', '--ram', '16M', '--bandwidth', '1Gbit', '--downtime', '300ms',
      '--codec', 'xbzrle', '--cache', 'lirs', '--cache-size', '4M', '--mode', 'qemu', '--cpu', 'model', '--format', 'json');
    expect(result.stderr).toBe('');
    expect(result.status).toBe(0);
    const run = JSON.parse(result.stdout);
    for (const key of ['totalTimeMs', 'downtimeMs', 'rounds', 'wireBytes', 'converged', 'verified', 'stats', 'timeline']) expect(run).toHaveProperty(key);
    expect(run.stats.ram).toHaveProperty('duplicate');
    expect(run.stats['xbzrle-cache']).toHaveProperty('cache-miss-rate');
    expect(run.inputs.cache).toMatch(/^lirs/);
    expect(run.verified).toBe(true);
  });

  it('rounds a cache size that is not a power-of-two number of pages down, as QEMU does, and says so', () => {
    const result = cli('migrate', '--workload', 'idle', '--ram', '4M', '--cache', 'qemu', '--cache-size', '3M', '--format', 'json');
    expect(result.status).toBe(0);
    const run = JSON.parse(result.stdout);
    expect(run.stats['xbzrle-cache']['cache-size']).toBe(2 * 2 ** 20);
    expect(run.notes.join('\n')).toMatch(/3145728 bytes is not a power-of-two number of 4096-byte pages: rounded down to 512 pages \(2097152 bytes\)/);
  });

  it('prints Markdown tables', () => {
    const result = cli('migrate', '--workload', 'idle:content=random', '--ram', '4M');
    expect(result.status).toBe(0);
    expect(result.stdout).toContain('## Migration');
    expect(result.stdout).toContain('## Timeline');
    expect(result.stdout).toContain('| stop-and-copy |');
  });

  it.each([
    [['--bandwidth', '0'], /--bandwidth must be positive/],
    [['--bandwidth=-1Gbit'], /bad --bandwidth/],
    [['--cache-size', '1K'], /cache size 1024 bytes is smaller than one 4096-byte page/],
    [['--mode', 'xen'], /"xen" is not a valid mode; valid: qemu, qemu-2011/],
    [['--verify', 'some'], /"some" is not a valid verify; valid: auto, full, digest/],
    [['--cache-size', '8M'], /exceeds the guest's RAM/],
    [['--codec', 'none', '--cache', 'bogus'], /unknown cache policy "bogus"/],
    [['--ram', 'lots'], /bad --ram "lots"/],
    [['--ram', '1G', '--ram', '2G'], /--ram given more than once/],
    [['--downtime', 'short'], /bad --downtime/],
    [['--cpu', 'fast'], /"fast" is not a valid cpu; valid: model, measured/],
    // yargs strict listed the camel-case expansion too: "Unknown arguments: bogus-flag, bogusFlag".
    [['--bogus-flag', '1'], /^pagedelta: Unknown argument: bogus-flag$/],
    [['--bogus-flag', '1', '--other-one', '2', '--z'], /^pagedelta: Unknown arguments: bogus-flag, other-one, z$/],
    // A value after a space that starts with "-" (not a plain negative number) is read as flags: "Unknown arguments: 1, G".
    [['--ram', '-1G'], /^pagedelta: --ram -1G: a value starting with "-" after a space is read as flags; write --ram=-1G$/],
    [['--ram=-1G'], /^pagedelta: bad --ram "-1G"/],
  ])('rejects %o in one line', (args, pattern) => {
    const flags = args as string[];
    const ram = flags.some((flag) => flag === '--ram' || flag.startsWith('--ram=')) ? [] : ['--ram', '4M'];
    expectOneLineError(cli('migrate', '--workload', 'idle', ...ram, ...flags), pattern);
  });
});

describe('pagedelta migrate defaults and QEMU names', () => {
  it('without flags resolves the same inputs as simulateMigration with no options (one set of defaults)', async () => {
    const { simulateMigration } = await import('../../harness/migration/simulate.js');
    const result = cli('migrate', '--workload', 'idle', '--ram', '4M', '--format', 'json');
    expect(result.status).toBe(0);
    const library = simulateMigration({ workload: 'idle', ramBytes: 4 * 2 ** 20 });
    expect(JSON.parse(result.stdout).inputs).toEqual(library.inputs);
  });
  it("accepts QEMU's parameter names --downtime-limit and --xbzrle-cache-size", () => {
    const qemu = cli('migrate', '--workload', 'idle', '--ram', '4M', '--downtime-limit', '50ms', '--xbzrle-cache-size', '1M', '--format', 'json');
    const ours = cli('migrate', '--workload', 'idle', '--ram', '4M', '--downtime', '50ms', '--cache-size', '1M', '--format', 'json');
    expect(qemu.status).toBe(0);
    const inputs = JSON.parse(qemu.stdout).inputs;
    expect([inputs.downtimeLimitMs, inputs.cacheBytes]).toEqual([50, 2 ** 20]);
    expect(inputs).toEqual(JSON.parse(ours.stdout).inputs);
  });
});

describe('pagedelta scale', () => {
  it('runs each guest size in its own process and prints one JSON line per size', () => {
    const result = cli('scale', '8M,16M');
    expect(result.status).toBe(0);
    const rows = result.stdout.trim().split('\n').map((line) => JSON.parse(line));
    expect(rows.map((row) => [row.ramBytes, row.cacheBytes, row.verification])).toEqual([
      [8 * 2 ** 20, 2 ** 19, 'full'],
      [16 * 2 ** 20, 2 ** 20, 'full'],
    ]);
    for (const row of rows) expect(row.peakOverGuest).toBeCloseTo(row.peakRssBytes / row.ramBytes, 9);
  });
  it('checks every size before the first run', () => {
    expectOneLineError(cli('scale', '8M,12 potatoes'), /bad guest size "12 potatoes"/);
  });
  it('a size the simulator would refuse fails the command up front, before the other sizes run (it printed an error row and exited 0)', () => {
    expectOneLineError(cli('scale', '0'), /^pagedelta: guest size 0: ram size must be a positive number, got 0$/);
    expectOneLineError(cli('scale', '8M,1e30'), /^pagedelta: guest size 1e30: ram size 1e\+30 bytes is outside the valid range 8 \.\. 17592186044416 bytes$/);
    expectOneLineError(cli('scale', '8M,8K'), /^pagedelta: guest size 8K: cache size 512 bytes is smaller than one 4096-byte page$/);
  });
});

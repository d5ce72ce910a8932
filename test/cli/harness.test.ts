import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { parseResults, type ResultRow } from '../../results/rows.js';
import { temporaryDirectory } from '../temporary-directory.js';

const CLI = fileURLToPath(new URL('../../dist/cli/main.js', import.meta.url));
const tmp = (): string => temporaryDirectory('pagedelta-cli-harness-');

function run(...args: string[]): { status: number | null; stdout: string; stderr: string } {
  const result = spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8', timeout: 120_000 });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

function writeExperiment(dir: string, name: string, body: Record<string, unknown>): string {
  const path = join(dir, name);
  writeFileSync(path, JSON.stringify(body));
  return path;
}

const TINY = {
  kinds: ['codec'],
  codecs: ['xbzrle', 'xor-lz4', 'raw'],
  scenarios: ['SPARSE', 'DENSE'],
  settings: { codecPages: 32, codecTimeMs: 5 },
};

/** The fields of a row that must not depend on workers or timing. */
function deterministic(row: ResultRow): Record<string, unknown> {
  const { wallMs: _w, encodeMBps: _e, decodeMBps: _d, xorMBps: _x, encodeVsXor: _ex, decodeVsXor: _dx, ...rest } = row;
  return rest;
}

function byCell(rows: ResultRow[]): Record<string, Record<string, unknown>> {
  return Object.fromEntries(rows.map((row) => [row.cell, deterministic(row)]));
}

describe('pagedelta run / merge', () => {
  it('gives the same deterministic rows with 1 and 2 workers, prints nothing on stdout, plain progress off a TTY', () => {
    const dir = tmp();
    const experiment = writeExperiment(dir, 'grid.json', TINY);
    const one = run('run', experiment, '--workers', '1', '--out', join(dir, 'one.jsonl'));
    const two = run('run', experiment, '--workers', '2'); // default output: next to the experiment file
    for (const result of [one, two]) {
      expect(result.status).toBe(0);
      expect(result.stdout).toBe('');
      expect(result.stderr).toMatch(/^progress: 0\/6 cells/m);
      expect(result.stderr).toMatch(/^progress: 6\/6 cells \(100%\)/m);
      expect(result.stderr).not.toMatch(/\r/);
    }
    const rowsOne = parseResults(readFileSync(join(dir, 'one.jsonl'), 'utf8')).rows;
    const rowsTwo = parseResults(readFileSync(join(dir, 'grid.jsonl'), 'utf8')).rows;
    expect(rowsOne).toHaveLength(6);
    expect(byCell(rowsTwo)).toEqual(byCell(rowsOne));
    // --dry-run lists the cells without running them.
    const dry = run('run', experiment, '--dry-run');
    expect(dry.stdout.trim().split('\n').map((line) => JSON.parse(line).cell)).toEqual(rowsOne.map((row) => row.cell).sort((a, b) => rowsOne.find((r) => r.cell === a)!.index - rowsOne.find((r) => r.cell === b)!.index));
  });

  it('--stdout streams rows to stdout', () => {
    const dir = tmp();
    const experiment = writeExperiment(dir, 'grid.json', { ...TINY, codecs: ['xbzrle'], scenarios: ['SPARSE'] });
    const result = run('run', experiment, '--stdout', '--workers', '0');
    expect(result.status).toBe(0);
    const rows = parseResults(result.stdout);
    expect(rows.corrupt).toEqual([]);
    expect(rows.rows.map((row) => row.encodedBytes)).toEqual([59]);
  });

  it('shards cover the grid and merge back; --require-complete notices a missing shard', () => {
    const dir = tmp();
    const experiment = writeExperiment(dir, 'grid.json', TINY);
    expect(run('run', experiment, '--shard', '1/2', '--workers', '1').status).toBe(0);
    expect(run('run', experiment, '--shard', '2/2', '--workers', '1').status).toBe(0);
    const shard1 = join(dir, 'grid.shard-1-of-2.jsonl');
    const shard2 = join(dir, 'grid.shard-2-of-2.jsonl');
    expect(parseResults(readFileSync(shard1, 'utf8')).rows.every((row) => row.index % 2 === 0)).toBe(true);
    const merged = run('merge', shard2, shard1, '--experiment', experiment, '--require-complete');
    expect(merged.status).toBe(0);
    expect(merged.stderr).toMatch(/6\/6 cells of .* present, 0 missing/);
    const rows = parseResults(merged.stdout).rows;
    expect(rows.map((row) => row.index)).toEqual([...Array(6).keys()]);
    const partial = run('merge', shard1, '--experiment', experiment, '--require-complete', '--out', join(dir, 'partial.jsonl'));
    expect(partial.status).toBe(1);
    expect(partial.stderr).toMatch(/3 cells of .* are missing/);
  });

  it('SIGINT keeps the finished rows and a re-run completes the grid', async () => {
    const dir = tmp();
    const experiment = writeExperiment(dir, 'slow.json', { ...TINY, settings: { codecPages: 64, codecTimeMs: 60 } });
    const out = join(dir, 'slow.jsonl');
    const child = spawn(process.execPath, [CLI, 'run', experiment, '--workers', '2', '--out', out], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    const interrupted = await new Promise<number | null>((resolveExit) => {
      const poll = setInterval(() => {
        if (existsSync(out) && readFileSync(out, 'utf8').split('\n').length > 2) {
          clearInterval(poll);
          child.kill('SIGINT');
        }
      }, 20);
      child.on('exit', (code) => {
        clearInterval(poll);
        resolveExit(code);
      });
    });
    expect(interrupted).toBe(130);
    expect(stderr).toMatch(/interrupted/);
    const kept = parseResults(readFileSync(out, 'utf8'));
    expect(kept.corrupt).toEqual([]);
    expect(kept.rows.length).toBeGreaterThanOrEqual(2);
    expect(kept.rows.length).toBeLessThan(6);
    const resumed = run('run', experiment, '--workers', '2', '--out', out);
    expect(resumed.status).toBe(0);
    expect(resumed.stderr).toMatch(new RegExp(`${6 - kept.rows.length} cells run .* ${kept.rows.length} already done`));
    expect(new Set(parseResults(readFileSync(out, 'utf8')).rows.map((row) => row.cell)).size).toBe(6);
  });

  it('a cell failing at run time stops the run with one line naming the cell; finished rows stay', () => {
    const dir = tmp();
    writeFileSync(join(dir, 'good.txt'), '1\n2\n1\n');
    writeFileSync(join(dir, 'bad.txt'), '1\n2\nthree\n');
    const experiment = writeExperiment(dir, 'cache.json', { kinds: ['cache'], caches: ['lru'], cacheSizes: ['8K'], traces: ['good.txt', 'bad.txt'] });
    const result = run('run', experiment, '--workers', '1');
    expect(result.status).toBe(1);
    expect(result.stdout).toBe('');
    expect(result.stderr.trim().split('\n').pop()).toMatch(/^pagedelta: cell 1 \(cache cache=lru .*source=trace:bad\.txt.*\) failed: .*bad\.txt line 3: expected a page number \(an integer 0 to 2\^53-1\), found "three"/);
    const kept = parseResults(readFileSync(join(dir, 'cache.jsonl'), 'utf8')).rows;
    expect(kept.map((row) => [row.source, row.hits])).toEqual([['trace:good.txt', 1]]);
    const missing = writeExperiment(dir, 'missing.json', { kinds: ['cache'], caches: ['lru'], traces: ['nope.txt'] });
    expect(run('run', missing).stderr).toMatch(/missing\.json: traces\[0\]: no such file: .*nope\.txt/);
  });

  it('a bad experiment file is one line naming the bad key', () => {
    const dir = tmp();
    const path = join(dir, 'bad.yaml');
    writeFileSync(path, 'kinds: [codec]\ncodecs: [xbzrle]\nscenarios: []\nsettings: {codecPages: many}\n');
    const result = run('run', path);
    expect(result.status).toBe(1);
    expect(result.stdout).toBe('');
    const lines = result.stderr.trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/bad\.yaml: scenarios: empty list.*settings\.codecPages: expected a positive integer/);
    expect(run('run', join(dir, 'missing.yaml')).stderr).toMatch(/cannot read experiment file .*missing\.yaml: ENOENT/);
    const good = writeExperiment(dir, 'good.json', TINY);
    expect(run('run', good, '--shard', '3/2').stderr).toMatch(/--shard must be I\/N/);
    expect(run('run', good, '--workers', '-1').stderr).toMatch(/--workers must be a non-negative integer/);
  });
});

describe('pagedelta table / plot / report', () => {
  const dir = tmp();
  const experiment = writeExperiment(dir, 'grid.json', TINY);
  const results = join(dir, 'grid.jsonl');

  it('tabulates, warning about a corrupt line by number (an error with --strict)', () => {
    expect(run('run', experiment, '--workers', '2').status).toBe(0);
    const text = readFileSync(results, 'utf8').split('\n');
    text.splice(3, 0, '{"schema":1,"cell":"broken');
    writeFileSync(results, text.join('\n'));
    const table = run('table', results, '--metric', 'ratio', '--pivot', 'scenario', '--format', 'csv');
    expect(table.status).toBe(0);
    expect(table.stderr).toMatch(/grid\.jsonl:4: not valid JSON.*line skipped/);
    expect(table.stdout.split('\n')[0]).toBe('codec,ratio@DENSE,ratio@SPARSE');
    expect(table.stdout).toMatch(/^xbzrle,0\.22412109375,0\.014404296875$/m); // 918 and 59 bytes of 4096
    const strict = run('table', results, '--metric', 'ratio', '--strict');
    expect(strict.status).toBe(1);
    expect(strict.stderr).toMatch(/grid\.jsonl:4: not valid JSON/);
    expect(strict.stderr).not.toMatch(/skipped/); // --strict skips nothing
  });

  it('a binary file is refused in one line; many corrupt lines warn about the first few, then count', () => {
    const binary = join(dir, 'trace.pdt');
    expect(run('trace', 'synth', '--workload', 'zipf:rate=2000', '--ram', '1M', '--duration', '300ms', '--out', binary).status).toBe(0);
    for (const args of [['table', binary, '--metric', 'downtime'], ['merge', binary]]) {
      const result = run(...args);
      expect(result.status).toBe(1);
      expect(result.stderr.trim().split('\n')).toEqual([`pagedelta: ${binary} is not JSON Lines: binary data (not a results file)`]);
      expect(result.stdout).toBe('');
    }
    const noisy = join(dir, 'noisy.jsonl');
    writeFileSync(noisy, `${readFileSync(results, 'utf8')}${Array.from({ length: 40 }, (_, i) => `junk ${i}\n`).join('')}`);
    const table = run('table', noisy, '--metric', 'ratio');
    expect(table.status).toBe(0);
    const warnings = table.stderr.trim().split('\n');
    expect(warnings).toHaveLength(6);
    expect(warnings[5]).toMatch(/^warning: .*noisy\.jsonl: 36 more corrupt lines \(41 in all\), not listed/);
  });

  it('merge with no rows at all fails and writes nothing; --where that keeps no rows says so', () => {
    const empty = join(dir, 'empty.jsonl');
    writeFileSync(empty, '{"not":"a row"}\n');
    const out = join(dir, 'merged-empty.jsonl');
    const merge = run('merge', empty, '--out', out);
    expect(merge.status).toBe(1);
    expect(merge.stderr.trim().split('\n').pop()).toBe(`pagedelta: no result rows in ${empty}; nothing merged`);
    expect(existsSync(out)).toBe(false);
    const where = run('table', results, '--metric', 'ratio', '--where', 'codec=nosuch');
    expect(where.status).toBe(1);
    expect(where.stderr.trim().split('\n').pop()).toMatch(/^pagedelta: no result rows match --where codec=nosuch \(of \d+ rows\)$/);
  });

  it('plots SVG to stdout and PNG to a file', () => {
    const svg = run('plot', results, '--kind', 'ratio-vs-throughput');
    expect(svg.status).toBe(0);
    expect(svg.stdout).toMatch(/^<svg /);
    expect(svg.stdout).toContain('xbzrle');
    const png = join(dir, 'ratio.png');
    expect(run('plot', results, '--kind', 'ratio-vs-throughput', '--out', png).status).toBe(0);
    expect([...readFileSync(png).subarray(0, 8)]).toEqual([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
    // Only the extensions of what it writes: an SVG under a .bmp name would be a broken image.
    const bmp = join(dir, 'ratio.bmp');
    const wrong = run('plot', results, '--kind', 'ratio-vs-throughput', '--out', bmp);
    expect(wrong.status).toBe(1);
    expect(wrong.stderr.trim().split('\n')).toEqual([`pagedelta: --out ${bmp}: plot writes .svg, .png or .json (vega-lite) files, not .bmp`]);
    expect(existsSync(bmp)).toBe(false);
    expect(run('plot', results, '--kind', 'ratio-vs-throughput', '--out', join(dir, 'ratio.svg'), '--format', 'png').stderr.trim()).toMatch(/^pagedelta: --out .*ratio\.svg: --format png writes a \.png file, not \.svg$/);
    const none = run('plot', results, '--kind', 'downtime-vs-cache-size');
    expect(none.status).toBe(1);
    expect(none.stderr).toMatch(/no result rows to plot for downtime-vs-cache-size/);
  });

  it('writes a self-contained HTML report and a Markdown one', () => {
    const result = run('report', results, '--out', join(dir, 'report.html'), '--markdown', join(dir, 'report.md'));
    expect(result.status).toBe(0);
    const html = readFileSync(join(dir, 'report.html'), 'utf8');
    expect(html).toMatch(/^<!DOCTYPE html>/);
    expect(html).toContain('<svg');
    expect(html).not.toMatch(/<script|<link|src="http|href="http(?!:\/\/www\.w3\.org)/);
    expect((html.match(/<table>/g) ?? []).length).toBe(3);
    const markdown = readFileSync(join(dir, 'report.md'), 'utf8');
    expect(markdown).toContain('![Compression ratio vs encode throughput](report-files/ratio-vs-throughput.svg)');
    expect(readFileSync(join(dir, 'report-files', 'ratio-vs-throughput.svg'), 'utf8')).toMatch(/^<svg /);
  });

  it('report outputs are checked before any work: a folder as --markdown, one file for both, a file where the plots go', () => {
    const out = mkdtempSync(join(dir, 'bad-report-'));
    mkdirSync(join(out, 'folder'));
    const html = join(out, 'r.html');
    const refused = (args: string[], pattern: RegExp): void => {
      const result = run('report', results, ...args);
      expect(result.status).toBe(1);
      expect(result.stderr.trim().split('\n')).toEqual([expect.stringMatching(pattern)]);
    };
    refused(['--out', html, '--markdown', join(out, 'folder')], /^pagedelta: --markdown .*folder is a directory; only a regular file or a new path can be written$/);
    refused(['--out', join(out, 'r.md'), '--markdown', join(out, 'r.md')], /^pagedelta: the HTML and the Markdown report would both be .*r\.md/);
    writeFileSync(join(out, 'r-files'), '');
    refused(['--out', html, '--markdown', join(out, 'r.md')], /^pagedelta: report plot folder .*r-files: .*r-files is a regular file, not a folder$/);
    expect(readdirSync(out).sort()).toEqual(['folder', 'r-files']); // no report, no temporary file
    // The defaults beside RESULTS are checked too: here the Markdown report would be a folder.
    const copy = join(out, 'copy.jsonl');
    writeFileSync(copy, readFileSync(results));
    mkdirSync(join(out, 'copy.md'));
    const result = run('report', copy);
    expect(result.status).toBe(1);
    expect(result.stderr).toMatch(/^pagedelta: Markdown report .*copy\.md is a directory/);
    expect(readdirSync(out)).not.toContain('copy.html');
  });

  it('run checks its default results file before any cell runs', () => {
    const out = mkdtempSync(join(dir, 'bad-run-'));
    const grid = writeExperiment(out, 'grid.json', TINY);
    mkdirSync(join(out, 'grid.jsonl'));
    const result = run('run', grid, '--workers', '0');
    expect(result.status).toBe(1);
    expect(result.stderr.trim().split('\n')).toEqual([expect.stringMatching(/^pagedelta: results file .*grid\.jsonl is a directory/)]);
  });
});

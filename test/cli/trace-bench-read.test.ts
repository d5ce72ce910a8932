import { spawnSync } from 'node:child_process';
import { mkdtempSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { traceInfo } from '../../workloads/trace/info.js';

const CLI = fileURLToPath(new URL('../../dist/cli/main.js', import.meta.url));
const run = (...args: string[]) => spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8', timeout: 120_000 });

describe('trace bench-read', () => {
  it('reports the median pass over the file, in MB/s of file and entries/s, with the entries trace info counts', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'pagedelta-bench-read-'));
    const trace = join(dir, 'z.pdtrace');
    expect(run('trace', 'synth', '--workload', 'zipf:rate=5000', '--ram', '8M', '--duration', '1s', '--out', trace).status).toBe(0);
    const result = run('trace', 'bench-read', trace, '--rounds', '3');
    expect(result.status).toBe(0);
    const bench = JSON.parse(result.stdout) as { fileBytes: number; entries: number; passMs: number[]; medianMs: number; MBps: number; entriesPerSecond: number };
    expect(bench.fileBytes).toBe(statSync(trace).size);
    expect(bench.entries).toBe((await traceInfo(trace)).dirtyings);
    expect(bench.entries).toBeGreaterThan(0);
    expect(bench.passMs).toHaveLength(3);
    expect(bench.medianMs).toBe([...bench.passMs].sort((a, b) => a - b)[1]);
    expect(bench.MBps).toBeCloseTo(bench.fileBytes / 1e6 / (bench.medianMs / 1e3), 6);
    expect(bench.entriesPerSecond).toBeCloseTo(bench.entries / (bench.medianMs / 1e3), 6);
  });

  it('bad rounds and a missing file are one line each', () => {
    for (const [args, pattern] of [
      [['/nonexistent.pdtrace'], /^pagedelta: cannot open trace \/nonexistent\.pdtrace: ENOENT$/],
      [['/nonexistent.pdtrace', '--rounds', '0'], /^pagedelta: --rounds 0 is outside the valid range 1 \.\. 1000$/],
    ] as const) {
      const result = run('trace', 'bench-read', ...args);
      expect(result.status).toBe(1);
      expect(result.stderr.trim()).toMatch(pattern);
    }
  });
});

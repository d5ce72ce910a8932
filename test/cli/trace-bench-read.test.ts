import { spawnSync } from 'node:child_process';
import { readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { checksum } from '../../workloads/trace/format.js';
import { traceInfo } from '../../workloads/trace/info.js';
import { writeTrace } from '../../workloads/trace/writer.js';
import { temporaryDirectory } from '../temporary-directory.js';

const CLI = fileURLToPath(new URL('../../dist/cli/main.js', import.meta.url));
const run = (...args: string[]) => spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8', timeout: 120_000 });

describe('trace bench-read', () => {
  it('reports the median pass over the file, in MB/s of file and entries/s, with the entries trace info counts', async () => {
    const dir = temporaryDirectory('pagedelta-bench-read-');
    const trace = join(dir, 'z.pdtrace');
    expect(run('trace', 'synth', '--workload', 'zipf:rate=5000', '--ram', '8M', '--duration', '1s', '--out', trace).status).toBe(0);
    const result = run('trace', 'bench-read', trace, '--rounds', '3');
    expect(result.status).toBe(0);
    const bench = JSON.parse(result.stdout) as { mode: string; fileBytes: number; entries: number; passMs: number[]; medianMs: number; MBps: number; entriesPerSecond: number };
    expect(bench.mode).toBe('info');
    expect(bench.fileBytes).toBe(statSync(trace).size);
    expect(bench.entries).toBe((await traceInfo(trace)).dirtyings);
    expect(bench.entries).toBeGreaterThan(0);
    expect(bench.passMs).toHaveLength(3);
    expect(bench.medianMs).toBe([...bench.passMs].sort((a, b) => a - b)[1]);
    expect(bench.MBps).toBeCloseTo(bench.fileBytes / 1e6 / (bench.medianMs / 1e3), 6);
    expect(bench.entriesPerSecond).toBeCloseTo(bench.entries / (bench.medianMs / 1e3), 6);
  });

  it('--replay decodes every page entry into a guest, as a replay does', () => {
    const dir = temporaryDirectory('pagedelta-bench-read-');
    const trace = join(dir, 'z.pdtrace');
    const synth = run('trace', 'synth', '--workload', 'zipf:rate=5000', '--ram', '8M', '--duration', '1s', '--out', trace);
    expect(synth.status).toBe(0);
    const written = Number(/(\d+) page entries/.exec(synth.stdout)![1]);
    const result = run('trace', 'bench-read', trace, '--rounds', '2', '--replay');
    expect(result.status).toBe(0);
    const bench = JSON.parse(result.stdout) as { mode: string; entries: number; passMs: number[]; medianMs: number };
    expect(bench.mode).toBe('replay');
    expect(bench.entries).toBe(written); // the initial image's entries too
    expect(bench.passMs).toHaveLength(2);
    expect(bench.medianMs).toBeCloseTo((bench.passMs[0]! + bench.passMs[1]!) / 2, 9);
  });

  it('bad rounds, a missing file, --replay of an access list or of a vast guest are one line each', async () => {
    const dir = temporaryDirectory('pagedelta-bench-read-');
    const accessList = join(dir, 'pages.txt');
    writeFileSync(accessList, '1\n2\n3\n');
    // A content trace that declares 2^31 pages (8 TiB) and writes one.
    const vast = join(dir, 'vast.pdt');
    await writeTrace(vast, { kind: 'content', pageSize: 4096, pageCount: 2 ** 31, timeUnit: 'ms' }, (writer) => {
      writer.beginEpoch(0);
      writer.writePage(5, new Uint8Array(4096).fill(1));
      writer.endEpoch();
    });
    // A writer that never closed its file, with no page count in the preamble: its first
    // record, cut from a closed trace of 8 pages, names page 5.
    const closed = readFileSync(vast);
    const unclosed = join(dir, 'unclosed.pdt');
    const view = new DataView(closed.buffer, closed.byteOffset, closed.length);
    const head = Buffer.from(closed.subarray(0, 48 + view.getUint32(40, true)));
    const first = 48 + view.getUint32(40, true);
    const record = closed.subarray(first, first + 6 + view.getUint32(first + 2, true) + 4);
    head[11] = 0; // not complete
    head.fill(0, 16, 40); // no page, epoch or record counts
    const headView = new DataView(head.buffer, head.byteOffset, head.length);
    headView.setUint32(44, checksum(head.subarray(48), checksum(head.subarray(0, 44))), true);
    writeFileSync(unclosed, Buffer.concat([head, record]));
    for (const [args, pattern] of [
      [['/nonexistent.pdtrace'], /^pagedelta: cannot open trace \/nonexistent\.pdtrace: ENOENT$/],
      [['/nonexistent.pdtrace', '--rounds', '0'], /^pagedelta: --rounds 0 is outside the valid range 1 \.\. 1000$/],
      [[accessList, '--replay'], /^pagedelta: --replay reads content traces; .* is an access trace$/],
      [[vast, '--replay'], /^pagedelta: --replay needs a 2147483648-page guest \(8192\.0 GiB\), more than half of this machine's memory$/],
      [[unclosed, '--replay'], /^pagedelta: --replay: .*unclosed\.pdt was never closed by its writer and declares no page count, so the guest it needs is unknown$/],
      [[vast, '--replay', '--decode-pages'], /^pagedelta: --decode-pages is for info passes; a replay always decodes its pages$/],
    ] as const) {
      const result = run('trace', 'bench-read', ...args);
      expect(result.status).toBe(1);
      expect(result.stderr.trim()).toMatch(pattern);
    }
  });
});

import { spawnSync } from 'node:child_process';
import { readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readTrace } from '../../../workloads/trace/stream.js';
import { temporaryDirectory } from '../../temporary-directory.js';

const WRITER = join(import.meta.dirname, '..', '..', '..', 'dist', 'workloads', 'trace', 'writer.js');

describe('a trace writer that runs out of room (a file size limit)', () => {
  it('keeps the epochs before the one that failed even when the end record does not fit after the last of them', async () => {
    const dir = temporaryDirectory('pagedelta-salvage-');
    const out = join(dir, 'limited.pdt');
    // Epochs of one incompressible 4 KiB page each under a 200 KiB limit, then an end record of
    // more than 6 KB: after the last complete epoch there are at most 4 KiB left, so the end
    // record fits only once an epoch or two are given back.
    const script = join(dir, 'write.mjs');
    writeFileSync(
      script,
      `import { TraceWriter } from ${JSON.stringify(WRITER)};
const writer = TraceWriter.open(${JSON.stringify(out)}, { kind: 'content', pageSize: 4096, pageCount: 64, flushEachEpoch: true });
let state = 12345, written = 0;
const page = new Uint8Array(4096);
try {
  for (let epoch = 0; epoch < 1000; epoch++) {
    writer.beginEpoch(epoch);
    for (let i = 0; i < page.length; i++) { state = (state * 1103515245 + 12345) >>> 0; page[i] = state >>> 24; }
    writer.writePage(epoch % 64, page);
    writer.endEpoch();
    written++;
  }
  console.log(JSON.stringify({ error: null }));
} catch (error) {
  const kept = writer.salvage({ note: 'x'.repeat(6000) });
  console.log(JSON.stringify({ error: error.code, written, kept: kept ? kept.epochs : null }));
}
`,
    );
    const run = spawnSync('/bin/bash', ['-c', `trap '' XFSZ; ulimit -f 200; exec "${process.execPath}" "${script}"`], { encoding: 'utf8' });
    expect(run.status, run.stderr).toBe(0);
    const result = JSON.parse(run.stdout.trim()) as { error: string | null; written: number; kept: number | null };
    expect(result.error).toBe('EFBIG');
    expect(result.written).toBeGreaterThan(10);
    // Some epochs given back for the end record's room, not all of them.
    expect(result.kept).not.toBeNull();
    expect(result.kept!).toBeLessThan(result.written);
    expect(result.kept!).toBeGreaterThanOrEqual(result.written - 3);
    const trace = await readTrace(out);
    let epochs = 0;
    for await (const epoch of trace) if (!epoch.continued) epochs++;
    expect(trace.header.complete).toBe(true);
    expect(epochs).toBe(result.kept);
    expect(readdirSync(dir).filter((name) => name.includes('.partial-'))).toEqual([]);
  });
});

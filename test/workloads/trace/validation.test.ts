/**
 * Crafted traces with valid checksums that once hung `trace info` or threw a TypeError: each is
 * now a one-line TraceError naming the offset and the rule, found before any work.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TraceError } from '../../../workloads/trace/format.js';
import { traceInfo } from '../../../workloads/trace/info.js';
import { writeTrace } from '../../../workloads/trace/writer.js';
import { joinTrace, splitTrace, type TraceParts } from '../../fuzz/trace-parts.js';

const dir = mkdtempSync(join(tmpdir(), 'pagedelta-validate-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
let parts: TraceParts;

beforeAll(async () => {
  const path = join(dir, 'valid.pdt');
  const page = new Uint8Array(4096);
  await writeTrace(path, { kind: 'content', pageSize: 4096, pageCount: 16, timeUnit: 'ms' }, (writer) => {
    for (let epoch = 0; epoch < 3; epoch++) {
      writer.beginEpoch(epoch * 100);
      page[epoch] = epoch + 1;
      writer.writePage(epoch, page);
      writer.endEpoch();
    }
  });
  parts = splitTrace(new Uint8Array(readFileSync(path)));
});

function crafted(edit: (copy: TraceParts) => void): string {
  const copy: TraceParts = { preamble: parts.preamble.slice(), header: parts.header.slice(), records: parts.records.map((r) => ({ ...r, payload: r.payload.slice() })) };
  edit(copy);
  const path = join(dir, `crafted-${Math.random().toString(36).slice(2)}.pdt`);
  writeFileSync(path, joinTrace(copy));
  return path;
}

async function rejection(path: string): Promise<string> {
  try {
    await traceInfo(path);
  } catch (error) {
    expect(error).toBeInstanceOf(TraceError);
    expect((error as Error).message).not.toContain('\n');
    return (error as Error).message;
  }
  throw new Error('accepted');
}

describe('traces validated whole', () => {
  it('the untouched trace reads', async () => {
    expect((await traceInfo(crafted(() => {}))).epochs).toBe(3);
  });

  it("a closed trace's preamble page count bounds every entry, 0 included, and must equal the end record's", async () => {
    // Once read as 'unknown': a migration then dropped the pages beyond its guest without a word.
    expect(await rejection(crafted((c) => new DataView(c.preamble.buffer).setBigUint64(16, 0n, true)))).toMatch(/: expected entry 0: a page number below the preamble's page count of 0, found 0$/);
    expect(await rejection(crafted((c) => new DataView(c.preamble.buffer).setBigUint64(16, 8n, true)))).toMatch(/offset 16: expected the preamble's page count of 8 to match the end record's 16$/);
  });

  it('page counts of 2^40 and 2^53+1 are refused at the preamble (no scan of the page range)', async () => {
    expect(await rejection(crafted((c) => new DataView(c.preamble.buffer).setBigUint64(16, 2n ** 40n, true)))).toMatch(/offset 16: expected a page count up to 2\^32 \(content trace\), found 1099511627776/);
    expect(await rejection(crafted((c) => new DataView(c.preamble.buffer).setBigUint64(16, 2n ** 53n + 1n, true)))).toMatch(/offset 16: .*found 9007199254740993/);
  });

  it('an epoch time of Infinity, NaN, or one that goes back is refused', async () => {
    const setTime = (index: number, time: number) => (c: TraceParts) => new DataView(c.records[index]!.payload.buffer).setFloat64(0, time, true);
    expect(await rejection(crafted(setTime(1, Number.POSITIVE_INFINITY)))).toMatch(/expected a finite epoch time, found Infinity/);
    expect(await rejection(crafted(setTime(1, Number.NaN)))).toMatch(/expected a finite epoch time, found NaN/);
    expect(await rejection(crafted(setTime(2, 50)))).toMatch(/epoch times that do not decrease, found 50 after 100/);
  });

  it('a null, array or ill-typed header JSON is a TraceError, not a TypeError', async () => {
    for (const [json, pattern] of [
      ['null', /a JSON object as the header, found null/],
      ['[1]', /found an array/],
      ['{"regions":7}', /header field "regions" to be an object/],
      ['{"regions":[{"firstPage":14,"pages":5}]}', /a region inside the 16 pages of the trace, found pages 14\.\.18/],
      ['{"timeUnit":"parsec"}', /a time unit \(ns, us, ms, s\), found "parsec"/],
    ] as const) {
      expect(await rejection(crafted((c) => (c.header = new TextEncoder().encode(json))))).toMatch(pattern);
    }
  });

  it('unknown flag bits are refused, in the preamble and on records', async () => {
    expect(await rejection(crafted((c) => (c.preamble[11] = 0x81)))).toMatch(/offset 11: expected flags with only bit 0 \(complete\) defined, found 0x81/);
    expect(await rejection(crafted((c) => (c.records[0]!.flags = 0x04)))).toMatch(/only bit 0 \(continued\) flag bits on a E record, found 0x04/);
  });

  it("the end record's counts must match the records in the file and the preamble", async () => {
    const setTotals = (edit: (totals: Record<string, number>) => void) => (c: TraceParts) => {
      const end = c.records[c.records.length - 1]!;
      const totals = JSON.parse(new TextDecoder().decode(end.payload)) as Record<string, number>;
      edit(totals);
      end.payload = new TextEncoder().encode(JSON.stringify(totals));
    };
    expect(await rejection(crafted(setTotals((t) => (t.epochs = 4))))).toMatch(/end record's count of 4 epochs to match the 3 in the file/);
    expect(await rejection(crafted(setTotals((t) => (t.records = 9))))).toMatch(/end record's count of 9 records to match the 4 in the file/);
    // a record dropped, the end record left as it was
    expect(await rejection(crafted((c) => c.records.splice(1, 1)))).toMatch(/count of 4 records to match the 3 in the file/);
  });
});

describe('a replayed trace is validated to its end', () => {
  it('a corrupt tail fails a fast migration (that never replays it) as it fails a slow one', async () => {
    const { synthesizeTrace } = await import('../../../workloads/trace/synthesize.js');
    const { simulateMigration } = await import('../../../harness/migration.js');
    const path = join(dir, 'long.pdt');
    await synthesizeTrace({ out: path, spec: 'uniform:rate=200,content=random', pageCount: 1024, durationMs: 20_000, stepMs: 100 });
    const bytes = new Uint8Array(readFileSync(path));
    const options = { workload: `trace:${path}`, ramBytes: 1024 * 4096, bandwidthBps: 1.25e9, maxBandwidthBps: 0, codec: 'none' } as const;
    const clean = await simulateMigration(options);
    expect(clean.converged).toBe(true);
    expect(clean.totalTimeMs).toBeLessThan(1000); // stops long before the trace's 20 s
    // Flip a byte inside the last epoch record (its checksum no longer matches).
    const broken = join(dir, 'long-broken.pdt');
    const copy = bytes.slice();
    copy[copy.length - 200] ^= 0xff;
    writeFileSync(broken, copy);
    let failure: unknown;
    try {
      await simulateMigration({ ...options, workload: `trace:${broken}` });
    } catch (error) {
      failure = error;
    }
    expect(failure).toBeInstanceOf(TraceError);
    expect(String(failure)).toMatch(/long-broken\.pdt: corrupt at offset \d+: /);
  });
});

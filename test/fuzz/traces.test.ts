/**
 * Trace fuzzing, structure-aware: valid traces are cut into preamble, header JSON and records;
 * fields are set to edge values (page count 2^40, epoch time Infinity, a null header, unknown
 * flag bits, end-record counts that disagree) or payload bytes mutated, and every checksum is
 * recomputed so the mutation reaches the parser behind the CRCs. Reading the whole trace must
 * either succeed with finite figures or fail with a one-line TraceError: never another
 * exception, a hang or an unbounded allocation.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { TraceError } from '../../workloads/trace/format.js';
import { traceInfo } from '../../workloads/trace/info.js';
import { writeTrace } from '../../workloads/trace/writer.js';
import { joinTrace, splitTrace, type TraceParts } from './trace-parts.js';
import { type FuzzCounts, FuzzRandom, formatCounts, fuzzScale, fuzzSeed, mutateBytes } from './mutate.js';

const dir = mkdtempSync(join(tmpdir(), 'pagedelta-fuzz-trace-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const HEADERS = ['null', '[]', '"text"', '{"timeUnit":"parsec"}', '{"timeUnit":null}', '{"regions":{}}', '{"regions":[null]}', '{"regions":[{"firstPage":-1,"pages":2}]}', '{"regions":[{"firstPage":1e300,"pages":1}]}', '{"recorder":7}', '{"source":{}}', '{}'];
const BIG = [0, 1, 2 ** 32 - 1, 2 ** 32, 2 ** 40, 2 ** 53 + 1, 2 ** 63];
const TIMES = [Number.POSITIVE_INFINITY, Number.NaN, -1, -1e300, 1e300, Number.NEGATIVE_INFINITY];

function mutate(parts: TraceParts, random: FuzzRandom): TraceParts {
  const next: TraceParts = { preamble: parts.preamble.slice(), header: parts.header.slice(), records: parts.records.map((r) => ({ ...r, payload: r.payload.slice() })) };
  const view = new DataView(next.preamble.buffer);
  switch (random.int(9)) {
    case 0: // preamble counts
      view.setBigUint64(random.pick([16, 24, 32]), BigInt(Math.min(random.pick(BIG), 2 ** 64 - 1)), true);
      break;
    case 1: // page size, kind, flags
      if (random.int(2)) view.setUint32(12, random.pick([0, 3, 8, 1 << 24, 1 << 25, 2 ** 32 - 1]), true);
      else next.preamble[random.pick([10, 11])] = random.int(256);
      break;
    case 2:
      next.header = new TextEncoder().encode(random.pick(HEADERS));
      break;
    case 3: {
      // an epoch time
      const epochs = next.records.filter((r) => r.type === 0x45 && r.payload.length >= 12);
      if (epochs.length) new DataView(random.pick(epochs).payload.buffer).setFloat64(0, random.pick(TIMES), true);
      break;
    }
    case 4: {
      // epochs out of order
      const epochs = next.records.filter((r) => r.type === 0x45 && r.payload.length >= 12);
      if (epochs.length >= 2) new DataView(epochs[epochs.length - 1]!.payload.buffer).setFloat64(0, -5, true);
      break;
    }
    case 5: // record flags
      random.pick(next.records).flags = random.int(256);
      break;
    case 6: {
      // end record totals
      const end = next.records[next.records.length - 1]!;
      const totals = JSON.parse(new TextDecoder().decode(end.payload)) as Record<string, number>;
      const key = random.pick(Object.keys(totals));
      totals[key] = random.pick([0, -1, 1e300, (totals[key] ?? 0) + 1]);
      end.payload = new TextEncoder().encode(random.int(5) ? JSON.stringify(totals) : 'null');
      break;
    }
    case 7: {
      // drop or duplicate a record
      const at = random.int(next.records.length);
      if (random.int(2)) next.records.splice(at, 1);
      else next.records.splice(at, 0, next.records[at]!);
      break;
    }
    default: {
      const record = random.pick(next.records);
      record.payload = mutateBytes(record.payload, random);
    }
  }
  return next;
}

async function sample(kind: 'content' | 'access'): Promise<Uint8Array> {
  const path = join(dir, `${kind}.pdt`);
  const page = new Uint8Array(256);
  await writeTrace(path, { kind, pageSize: 256, pageCount: 64, timeUnit: 'ms', source: 'fuzz', regions: [{ firstPage: 0, pages: 64, name: 'all' }] }, (writer) => {
    if (kind === 'access') {
      for (let i = 0; i < 200; i++) writer.writeAccess(i * 3, (i * 7) % 64);
      return;
    }
    for (let epoch = 0; epoch < 6; epoch++) {
      writer.beginEpoch(epoch * 100);
      for (let p = epoch; p < 64; p += 5) {
        page.fill(0);
        for (let i = 0; i < 20; i++) page[(i * 13 + epoch) % 256] = (p + i + epoch) & 0xff;
        writer.writePage(p, page);
      }
      if (epoch === 3) writer.writePage(9, new Uint8Array(256)); // a page zeroed
      writer.endEpoch();
    }
  });
  const { readFileSync } = await import('node:fs');
  return new Uint8Array(readFileSync(path)); // a plain copy: Buffer.slice would alias, not copy
}

describe('trace fuzzing', () => {
  const iterations = 150 * fuzzScale();
  for (const kind of ['content', 'access'] as const) {
    it(`${kind} traces: ${iterations} structure-aware mutations, checksums recomputed`, async () => {
      const original = await sample(kind);
      const parts = splitTrace(original);
      expect(Buffer.compare(joinTrace(parts), original)).toBe(0); // split/join round trip is exact
      const random = new FuzzRandom(fuzzSeed() + (kind === 'content' ? 1 : 2));
      const counts: FuzzCounts = { inputs: 0, rejected: 0, accepted: 0 };
      const path = join(dir, `mutant-${kind}.pdt`);
      for (let iteration = 0; iteration < iterations; iteration++) {
        writeFileSync(path, joinTrace(mutate(parts, random)));
        counts.inputs++;
        try {
          const info = await traceInfo(path);
          for (const [key, value] of Object.entries(info)) {
            if (typeof value === 'number' && !Number.isFinite(value) && !Number.isNaN(value)) throw new Error(`iteration ${iteration}: accepted with ${key} = ${value}`);
          }
          counts.accepted++;
        } catch (error) {
          if (!(error instanceof TraceError)) throw new Error(`iteration ${iteration}: ${error instanceof Error ? `${error.name}: ${error.message} ${process.env.PAGEDELTA_FUZZ_VERBOSE ? error.stack : ""}` : String(error)} (not a TraceError)`);
          expect(error.message.includes('\n')).toBe(false);
          counts.rejected++;
          if (process.env.PAGEDELTA_FUZZ_VERBOSE) console.log(iteration, error.message.replace(/^\S+: /, ""));
        }
      }
      console.log(formatCounts(`${kind} traces`, counts));
      expect(counts.rejected).toBeGreaterThan(0);
      expect(counts.accepted).toBeGreaterThan(0);
    });
  }
});

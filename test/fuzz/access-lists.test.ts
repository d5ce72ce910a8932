/**
 * Text access-list fuzzing: valid lists (`page` or `time,page`, header, comments, blank lines,
 * BOM, CRLF) mutated byte by byte. The whole-file parser (parseAccessText, as `caches sim`
 * loads a list) and the streaming reader (TraceSource, as `trace info` and replay read it) must
 * agree: both reject with a one-line TraceError, or both accept the same pages, every one a whole
 * number in [0, 2^53).
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { TraceError } from '../../workloads/trace/format.js';
import { TraceSource } from '../../workloads/trace/source.js';
import { parseAccessText } from '../../workloads/trace/text.js';
import { type FuzzCounts, FuzzRandom, formatCounts, fuzzScale, fuzzSeed, mutateBytes } from './mutate.js';

const dir = mkdtempSync(join(tmpdir(), 'pagedelta-fuzz-text-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function validList(random: FuzzRandom): Uint8Array {
  const timed = random.int(2) === 0;
  const eol = random.int(3) === 0 ? '\r\n' : '\n';
  const lines: string[] = [];
  if (random.int(2)) lines.push(timed ? 'time,page' : 'page');
  let time = 0;
  for (let i = 0, n = 1 + random.int(30); i < n; i++) {
    if (random.int(8) === 0) lines.push(random.int(2) ? '' : '# a comment');
    time += random.int(1000);
    const page = random.int(5) === 0 ? random.int(2 ** 31) * 4096 : random.int(5000);
    lines.push(timed ? `${time}${random.pick([',', ' ', '\t'])}${page}` : `${page}`);
  }
  const text = (random.int(6) === 0 ? '\ufeff' : '') + lines.join(eol) + (random.int(2) ? eol : '');
  return new TextEncoder().encode(text);
}

type Outcome = { pages: number[] } | { error: string };

function wholeFile(bytes: Uint8Array): Outcome {
  try {
    return { pages: [...parseAccessText(bytes, 'list').pages] };
  } catch (error) {
    if (!(error instanceof TraceError)) throw error;
    return { error: error.message };
  }
}

function streamed(path: string): Outcome {
  let source: TraceSource | undefined;
  try {
    source = new TraceSource(path);
    if (source.header.format !== 'text') return { error: 'not read as text' };
    const pages: number[] = [];
    for (let batch = source.next(); batch !== null; batch = source.next()) for (let i = 0; i < batch.count; i++) pages.push(batch.pages[i]!);
    return { pages };
  } catch (error) {
    if (!(error instanceof TraceError)) throw error;
    return { error: error.message };
  } finally {
    source?.close();
  }
}

describe('text access-list fuzzing', () => {
  const iterations = 400 * fuzzScale();
  it(`${iterations} mutated lists: the whole-file parser and the streaming reader agree`, () => {
    const random = new FuzzRandom(fuzzSeed() + 3);
    const counts: FuzzCounts = { inputs: 0, rejected: 0, accepted: 0 };
    const path = join(dir, 'list.txt');
    for (let iteration = 0; iteration < iterations; iteration++) {
      const input = random.int(5) === 0 ? validList(random) : mutateBytes(validList(random), random);
      if (input.length === 0) continue;
      writeFileSync(path, input);
      counts.inputs++;
      const whole = wholeFile(input);
      const stream = streamed(path);
      if ('error' in stream && stream.error === 'not read as text') continue; // binary-looking bytes: the binary reader's business
      if ('pages' in whole) {
        for (const page of whole.pages) if (!Number.isSafeInteger(page) || page < 0) throw new Error(`iteration ${iteration}: accepted page ${page}`);
        expect('pages' in stream ? stream.pages : stream.error, `iteration ${iteration}: ${JSON.stringify(new TextDecoder().decode(input))}`).toEqual(whole.pages);
        counts.accepted++;
      } else {
        expect(whole.error).not.toContain('\n');
        expect('error' in stream, `iteration ${iteration}: streamed accepted what the whole-file parser rejects (${whole.error})`).toBe(true);
        counts.rejected++;
      }
    }
    console.log(formatCounts('text access lists', counts));
    expect(counts.rejected).toBeGreaterThan(0);
    expect(counts.accepted).toBeGreaterThan(0);
  });
});

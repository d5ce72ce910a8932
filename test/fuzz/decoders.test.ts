/**
 * Decoder fuzzing: valid encodings of seeded page pairs, mutated (bit flips, edge values,
 * truncation, duplication, random tails), decoded by every registered codec. A decoder may
 * reject (CodecError, page untouched) or accept; whatever it accepts, the reference decoder of
 * the format must accept with the same page. It must never throw anything else, write outside
 * the page, or touch the page when it rejects.
 */
import { describe, expect, it } from 'vitest';
import { CodecError } from '../../codecs/codec.js';
import { codecNames, getCodec } from '../../codecs/registry.js';
import { type FuzzCounts, FuzzRandom, formatCounts, fuzzScale, fuzzSeed, mutateBytes } from './mutate.js';
import { referenceDecode } from './reference-decoders.js';

const PAGE = 4096;
const GUARD = 64;

/** A page pair with a few changed runs, or (sometimes) unrelated random pages. */
function pagePair(random: FuzzRandom): [Uint8Array, Uint8Array] {
  const old = random.int(4) === 0 ? new Uint8Array(PAGE) : random.bytes(PAGE);
  const cur = old.slice();
  if (random.int(10) === 0) return [old, random.bytes(PAGE)];
  const runs = 1 + random.int(40);
  for (let r = 0; r < runs; r++) {
    const at = random.int(PAGE);
    const length = 1 + random.int(random.int(3) === 0 ? 300 : 8);
    for (let i = at; i < Math.min(PAGE, at + length); i++) cur[i] = random.int(256);
  }
  return [old, cur];
}

describe('decoder fuzzing', () => {
  const iterations = 600 * fuzzScale();
  for (const name of codecNames()) {
    it(`${name}: ${iterations} mutated encodings: clean rejections or the reference's result`, () => {
      const codec = getCodec(name);
      const random = new FuzzRandom(fuzzSeed() ^ [...name].reduce((hash, ch) => Math.imul(hash, 31) + ch.charCodeAt(0), 7));
      const out = new Uint8Array(PAGE * 2 + 64);
      const arena = new Uint8Array(GUARD + PAGE + GUARD);
      const page = arena.subarray(GUARD, GUARD + PAGE);
      const counts: FuzzCounts = { inputs: 0, rejected: 0, accepted: 0 };
      for (let iteration = 0; iteration < iterations; iteration++) {
        const [old, cur] = pagePair(random);
        const size = codec.encode(old, cur, out);
        const valid = size > 0 ? out.slice(0, size) : random.bytes(random.int(32));
        const input = mutateBytes(valid, random);
        arena.fill(0xa5);
        page.set(old);
        counts.inputs++;
        let rejected = false;
        try {
          codec.decode(input, page);
        } catch (error) {
          if (!(error instanceof CodecError)) throw new Error(`${name} iteration ${iteration}: ${String(error)} (not a CodecError)`);
          expect(error.message.includes('\n'), 'one-line message').toBe(false);
          rejected = true;
        }
        for (let i = 0; i < GUARD; i++) {
          if (arena[i] !== 0xa5 || arena[GUARD + PAGE + i] !== 0xa5) throw new Error(`${name} iteration ${iteration}: wrote outside the page`);
        }
        const reference = referenceDecode(name, input, old);
        if (rejected) {
          counts.rejected++;
          if (!page.every((byte, i) => byte === old[i])) throw new Error(`${name} iteration ${iteration}: a rejected decode changed the page`);
        } else {
          counts.accepted++;
          if (reference === null) throw new Error(`${name} iteration ${iteration}: accepted an input its reference rejects: ${Buffer.from(input).toString('hex').slice(0, 200)}`);
          if (!page.every((byte, i) => byte === reference[i])) throw new Error(`${name} iteration ${iteration}: accepted, but the page differs from the reference`);
        }
      }
      console.log(formatCounts(name, counts));
      expect(counts.inputs).toBe(iterations);
      // Both outcomes occur: the mutations reach the decoders' accept and reject paths.
      expect(counts.rejected).toBeGreaterThan(0);
      expect(counts.accepted).toBeGreaterThan(0);
    });
  }
});

/**
 * Seeded byte-level mutations for the fuzz suites. Same seed, same inputs: a failure is
 * reproduced by its seed and iteration number.
 */

/** A small seeded PRNG (mulberry32): fast and enough for choosing mutations. */
export class FuzzRandom {
  private state: number;
  constructor(seed: number) {
    this.state = seed >>> 0;
  }
  next(): number {
    this.state = (this.state + 0x6d2b79f5) >>> 0;
    let t = this.state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }
  int(bound: number): number {
    return Math.floor(this.next() * bound);
  }
  pick<T>(items: readonly T[]): T {
    return items[this.int(items.length)]!;
  }
  bytes(length: number): Uint8Array {
    const out = new Uint8Array(length);
    for (let i = 0; i < length; i++) out[i] = this.int(256);
    return out;
  }
}

/** Values that sit on the edges of length fields and flags. */
const INTERESTING = [0x00, 0x01, 0x7f, 0x80, 0x81, 0xfe, 0xff];

/** Returns a mutated copy of `input` (never the same object; may be empty or longer). */
export function mutateBytes(input: Uint8Array, random: FuzzRandom): Uint8Array {
  const rounds = 1 + random.int(3);
  let data = input.slice();
  for (let round = 0; round < rounds; round++) {
    const choice = random.int(8);
    if (data.length === 0 && choice < 5) {
      data = random.bytes(1 + random.int(8));
      continue;
    }
    const at = random.int(Math.max(1, data.length));
    switch (choice) {
      case 0: // flip one bit
        data[at] = data[at]! ^ (1 << random.int(8));
        break;
      case 1: // an edge value
        data[at] = random.pick(INTERESTING);
        break;
      case 2: // a random byte
        data[at] = random.int(256);
        break;
      case 3: // truncate
        data = data.slice(0, at);
        break;
      case 4: {
        // duplicate a span
        const end = Math.min(data.length, at + 1 + random.int(32));
        const span = data.slice(at, end);
        const grown = new Uint8Array(data.length + span.length);
        grown.set(data.subarray(0, end));
        grown.set(span, end);
        grown.set(data.subarray(end), end + span.length);
        data = grown;
        break;
      }
      case 5: {
        // append random bytes
        const tail = random.bytes(1 + random.int(16));
        const grown = new Uint8Array(data.length + tail.length);
        grown.set(data);
        grown.set(tail, data.length);
        data = grown;
        break;
      }
      case 6: {
        // delete a span
        const end = Math.min(data.length, at + 1 + random.int(16));
        const shrunk = new Uint8Array(data.length - (end - at));
        shrunk.set(data.subarray(0, at));
        shrunk.set(data.subarray(end), at);
        data = shrunk;
        break;
      }
      default:
        // entirely random input
        data = random.bytes(random.int(64));
    }
  }
  return data;
}

/** Fuzz size: small in `npm test`; `PAGEDELTA_FUZZ_SCALE=100 npx vitest run test/fuzz` for a long run. */
export function fuzzScale(): number {
  const raw = process.env.PAGEDELTA_FUZZ_SCALE;
  if (raw === undefined || raw === '') return 1;
  const scale = Number(raw);
  if (!Number.isInteger(scale) || scale < 1 || scale > 100_000) throw new Error(`PAGEDELTA_FUZZ_SCALE must be an integer 1..100000, got ${raw}`);
  return scale;
}

/** Seed of a fuzz run: fixed unless PAGEDELTA_FUZZ_SEED is set (to explore further). */
export function fuzzSeed(): number {
  const raw = process.env.PAGEDELTA_FUZZ_SEED;
  return raw === undefined || raw === '' ? 20261202 : Number(raw) >>> 0;
}

export interface FuzzCounts {
  inputs: number;
  rejected: number;
  accepted: number;
}

export function formatCounts(name: string, counts: FuzzCounts): string {
  return `fuzz ${name}: ${counts.inputs} inputs, ${counts.rejected} clean rejections, ${counts.accepted} accepted`;
}

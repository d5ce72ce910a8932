// The guest dirtier, compiled and run as a normal process (--test: parameters from argv, a
// fixed number of events, then the FNV-1a 64 of its buffer): its bytes must equal the
// project's own workload generators' bytes for the same spec and seed.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { buildDirtier } from '../../qemu/build.js';
import { resolveGuestWorkload } from '../../qemu/guest.js';
import { findExecutable } from '../../qemu/tools.js';
import { DirtyBitmap, GuestMemory } from '../../workloads/memory.js';
import { createWorkload } from '../../workloads/registry.js';

const gcc = findExecutable('gcc');
if (!gcc) console.log('skipping the dirtier tests: gcc is not installed (apt-get install gcc libc6-dev)');
const cacheDir = mkdtempSync(join(tmpdir(), 'pd-dirtier-test-'));
afterAll(() => rmSync(cacheDir, { recursive: true, force: true }));

/** FNV-1a 64 with the product kept in 16-bit limbs (exact, no BigInt per byte). */
function fnv1a64(bytes: Uint8Array): string {
  // hash as four 16-bit limbs, little-endian; prime 0x100000001b3 = 2^40 + 0x1b3
  let h0 = 0x2325, h1 = 0x8422, h2 = 0x9ce4, h3 = 0xcbf2;
  for (let i = 0; i < bytes.length; i++) {
    h0 ^= bytes[i]!;
    // (h * 0x1b3) + (h << 40)
    const a0 = h0 * 0x1b3, a1 = h1 * 0x1b3 + (a0 >>> 16), a2 = h2 * 0x1b3 + (a1 >>> 16), a3 = h3 * 0x1b3 + (a2 >>> 16);
    // h << 40: limb 2 gets h0 << 8, limb 3 gets (h0 >>> 8) | (h1 << 8)
    const b2 = (a2 & 0xffff) + ((h0 << 8) & 0xffff);
    const b3 = (a3 & 0xffff) + ((h0 >>> 8) | ((h1 << 8) & 0xffff)) + (b2 >>> 16);
    h0 = a0 & 0xffff;
    h1 = a1 & 0xffff;
    h2 = b2 & 0xffff;
    h3 = b3 & 0xffff;
  }
  return [h3, h2, h1, h0].map((limb) => limb.toString(16).padStart(4, '0')).join('');
}

/** The project's generator: `events` events on a buffer of `pages` pages. */
function expectedHash(spec: string, pages: number, events: number, seed = 1): string {
  const workload = createWorkload(spec, { pageCount: pages, seed });
  const memory = new GuestMemory(pages);
  workload.init(memory);
  const rate = Number(workload.describe().rate ?? 0);
  if (rate > 0) workload.advance(memory, (events / rate) * 1000, new DirtyBitmap(pages));
  return fnv1a64(memory.chunks[0]!);
}

function dirtierHash(binary: string, words: string[], events: number): { status: number | null; stdout: string } {
  const result = spawnSync(binary, ['--test', String(events), ...words], { encoding: 'utf8', timeout: 30000 });
  return { status: result.status, stdout: result.stdout.trim() };
}

describe.skipIf(!gcc)('guest dirtier', () => {
  it('the TypeScript FNV-1a 64 is the standard one', () => {
    expect(fnv1a64(new Uint8Array(0))).toBe('cbf29ce484222325');
    expect(fnv1a64(new TextEncoder().encode('a'))).toBe('af63dc4c8601ec8c');
    expect(fnv1a64(new TextEncoder().encode('foobar'))).toBe('85944171f73967e8');
  });

  it('is built once per source hash into the cache', () => {
    const first = buildDirtier(cacheDir);
    expect(buildDirtier(cacheDir)).toBe(first);
    expect(first).toMatch(/dirtier-[0-9a-f]{16}$/);
  });

  const cases: [string, number, number, number][] = [
    ['hotset:hot=30,content=random,rate=20000', 256, 5000, 1],
    ['hotset:hot=7,share=1,bytes=100,run=7,content=zero,rate=1000', 384, 3000, 9],
    ['uniform:content=mixed,rate=1000', 256, 2000, 1],
    ['uniform:bytes=page,content=text,rate=500', 256, 700, 3],
    ['qemu-age-test:mib=1,rate=2', 256, 300, 1],
    ['qemu-age-test:mib=0.5,stride=4000,content=random,rate=100', 128, 77, 5],
    ['idle:content=mixed,zero=0.1,text=0.3', 256, 0, 2],
  ];
  for (const [spec, pages, events, seed] of cases) {
    it(`writes the same bytes as the workload generator: ${spec}, seed ${seed}`, () => {
      const guest = resolveGuestWorkload(spec, pages * 4096, seed);
      const result = dirtierHash(buildDirtier(cacheDir), guest.cmdline, events);
      expect(result.status).toBe(0);
      expect(result.stdout).toBe(`pd: fnv1a64 ${expectedHash(spec, pages, events, seed)}`);
    });
  }

  it('the command line the harness builds names every resolved parameter as a plain number', () => {
    const guest = resolveGuestWorkload('hotset:hot=5%,rate=20k,bytes=page', 64 * 2 ** 20, 4);
    expect(guest.cmdline).toEqual([
      'pd.workload=hotset', 'pd.mib=64', 'pd.content=mixed', 'pd.zero=0.25', 'pd.text=0.5', 'pd.rate=20000', 'pd.hot=819', 'pd.share=0.9', 'pd.bytes=0', 'pd.seed=4',
    ]);
  });

  it('refuses a bad parameter with one "pd: error:" line (exit 2 in test mode; PID 1 would sleep)', () => {
    const binary = buildDirtier(cacheDir);
    expect(dirtierHash(binary, ['pd.workload=zipf'], 1)).toEqual({ status: 2, stdout: 'pd: error: pd.workload must be qemu-age-test, hotset, uniform or idle, got zipf' });
    expect(dirtierHash(binary, ['pd.workload=idle', 'pd.colour=red'], 1)).toEqual({ status: 2, stdout: 'pd: error: unknown parameter pd.colour' });
    expect(dirtierHash(binary, ['pd.workload=hotset', 'pd.mib=1', 'pd.hot=300'], 1).stdout).toMatch(/^pd: error: pd.hot must be between 1 and/);
    expect(dirtierHash(binary, ['pd.workload=idle', 'pd.rate=fast'], 1).stdout).toBe('pd: error: bad number for pd.rate');
  });
});

describe('guest workload resolution', () => {
  it('refuses workloads the dirtier does not run, and region=', () => {
    expect(() => resolveGuestWorkload('zipf:skew=0.9', 2 ** 20, 1)).toThrow(/^the guest dirtier runs qemu-age-test, hotset, uniform, idle; got workload "zipf"$/);
    expect(() => resolveGuestWorkload('hotset:region=0:10', 2 ** 20, 1)).toThrow(/region= is set by the harness/);
    expect(() => resolveGuestWorkload('hotset', 1000, 1)).toThrow(/not a positive whole number of 4096-byte pages/);
    expect(() => resolveGuestWorkload('hotset:hot=300', 2 ** 20, 1)).toThrow(/hot=300 pages is larger/);
  });
});

/**
 * The per-page codec calls as V8 fast API calls (codecs/addon/fast-calls.cc): V8 takes the
 * fast path only from optimised code, so a child node (with --allow-natives-syntax) optimises
 * its callers, then checks every result against the TypeScript codecs and that each of those
 * calls went through the fast path (the module's own count).
 */
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { deltaAddonStatus, deltaFastCalls } from '../../codecs/native.js';
import { temporaryDirectory } from '../temporary-directory.js';

const DIST_CODECS = join(import.meta.dirname, '..', '..', 'dist', 'codecs');

if (deltaFastCalls === null) console.log(`skipping the fast-call tests: ${deltaAddonStatus}`);

describe.skipIf(deltaFastCalls === null)('the codec calls as V8 fast API calls', () => {
  it('optimised callers take the fast path, with the TypeScript codecs\' results byte for byte; arguments it does not take get the ordinary path', () => {
    const dir = temporaryDirectory('pagedelta-fast-calls-');
    const script = join(dir, 'check.mjs');
    writeFileSync(
      script,
      `import { deltaFastCalls as fast } from ${JSON.stringify(join(DIST_CODECS, 'native.js'))};
import { XbzrleCodec } from ${JSON.stringify(join(DIST_CODECS, 'xbzrle.js'))};
import { XbrleCodec } from ${JSON.stringify(join(DIST_CODECS, 'xbrle.js'))};
import { allocatePages, isKernelVisible } from ${JSON.stringify(join(DIST_CODECS, 'page-memory.js'))};
const jsXbzrle = new XbzrleCodec({ kernel: 'js' });
const jsXbrle = new XbrleCodec({ kernel: 'js' });
function xbzrleEncode(old, cur, out) { return fast.xbzrleEncode(old, cur, out); }
function xbrleEncode(old, cur, out) { return fast.xbrleEncode(old, cur, out); }
function xbzrleDecode(encoded, page) { return fast.xbzrleDecode(encoded, page); }
const probe = new Uint8Array(64), probeOut = new Uint8Array(64);
for (const f of [xbzrleEncode, xbrleEncode]) {
  %PrepareFunctionForOptimization(f); f(probe, probe, probeOut); f(probe, probe, probeOut);
  %OptimizeFunctionOnNextCall(f); f(probe, probe, probeOut);
}
%PrepareFunctionForOptimization(xbzrleDecode); xbzrleDecode(probeOut.subarray(0, 0), probe); xbzrleDecode(probeOut.subarray(0, 0), probe);
%OptimizeFunctionOnNextCall(xbzrleDecode); xbzrleDecode(probeOut.subarray(0, 0), probe);
let state = 20261208;
const random = (n) => { state = (Math.imul(state, 1103515245) + 12345) >>> 0; return (state >>> 8) % n; };
const failures = [];
const start = fast.fastCallCount();
let calls = 0;
for (let c = 0; c < 400; c++) {
  const size = [64, 4096, 1 + random(5000)][c % 3];
  const offset = random(16);
  // Both pages and the output in one buffer at any alignment, as subarrays are; every other
  // case in kernel-visible memory (the simulator's pages), which must take the fast path too.
  const regionBytes = offset + 2 * size + 2 * size + 16;
  const region = c % 2 === 0 ? allocatePages(1, regionBytes) : new Uint8Array(regionBytes);
  if (isKernelVisible(region) !== (c % 2 === 0)) failures.push('case ' + c + ': not the kind of memory meant');
  const old = region.subarray(offset, offset + size);
  const cur = region.subarray(offset + size, offset + 2 * size);
  for (let i = 0; i < size; i++) old[i] = random(256);
  cur.set(old);
  for (let e = random(12); e > 0; e--) { const at = random(size), mask = random(256); for (let i = at; i < Math.min(size, at + 1 + random(300)); i++) cur[i] = old[i] ^ mask; }
  const limit = random(3) === 0 ? random(size) : 2 * size;
  const out = region.subarray(offset + 2 * size, offset + 2 * size + limit);
  const guard = region.subarray(offset + 2 * size + limit);
  for (const [encode, js, name] of [[xbzrleEncode, jsXbzrle, 'xbzrle'], [xbrleEncode, jsXbrle, 'xbrle']]) {
    guard.fill(0xa5);
    const expected = new Uint8Array(limit);
    const size0 = js.encode(old.slice(), cur.slice(), expected);
    const got = encode(old, cur, out); calls++;
    if (got !== size0) failures.push(name + ' encode case ' + c + ': ' + got + ' bytes, TypeScript ' + size0);
    else if (got > 0 && out.subarray(0, got).some((b, i) => b !== expected[i])) failures.push(name + ' encode case ' + c + ': bytes differ');
    if (guard.some((b) => b !== 0xa5)) failures.push(name + ' encode case ' + c + ': wrote past out');
  }
  // Decode: the delta applied to a copy of old gives cur; a corrupt one leaves the page alone.
  const delta = new Uint8Array(2 * size + 16);
  const n = jsXbzrle.encode(old.slice(), cur.slice(), delta);
  if (n > 0) {
    const page = region.subarray(offset, offset + size); // old, in place
    const saved = old.slice();
    if (xbzrleDecode(delta.subarray(0, n), page) !== 1 || page.some((b, i) => b !== cur[i])) failures.push('decode case ' + c + ': page differs');
    calls++;
    page.set(saved);
    const corrupt = delta.slice(0, n + 1); corrupt[n] = 0x80; // a truncated length at the end
    if (xbzrleDecode(corrupt, page) !== 0 || page.some((b, i) => b !== saved[i])) failures.push('decode case ' + c + ': corrupt delta not refused untouched');
    calls++;
  }
}
const fastCalls = fast.fastCallCount() - start;
// Memory the signature does not admit (a SharedArrayBuffer's) goes through the ordinary
// callback from the same optimised callers, with the same results (after the count: not in it).
const shared = new Uint8Array(new SharedArrayBuffer(3 * 4096));
const sharedOld = shared.subarray(0, 4096), sharedCur = shared.subarray(4096, 8192), sharedOut = shared.subarray(8192);
for (let i = 0; i < 4096; i++) sharedOld[i] = random(256);
sharedCur.set(sharedOld); sharedCur[100] ^= 1; sharedCur[3000] ^= 7;
const sharedExpected = new Uint8Array(4096);
const sharedSize = jsXbzrle.encode(sharedOld.slice(), sharedCur.slice(), sharedExpected);
if (xbzrleEncode(sharedOld, sharedCur, sharedOut) !== sharedSize || sharedOut.subarray(0, sharedSize).some((b, i) => b !== sharedExpected[i])) failures.push('shared memory: encode differs');
if (xbzrleDecode(sharedOut.subarray(0, sharedSize), sharedOld) !== 1 || sharedOld.some((b, i) => b !== sharedCur[i])) failures.push('shared memory: decode differs');
// Arguments the signature does not take go to the ordinary callback, which refuses them.
const refused = [xbzrleEncode(new Uint16Array(8), new Uint16Array(8), probeOut), xbzrleDecode([1, 2], probe), xbrleEncode(probe, probe.subarray(1), probeOut), fast.xbzrleEncode(probe)];
console.log(JSON.stringify({ failures: failures.slice(0, 5), calls, fastCalls, refused }));
`,
    );
    const run = spawnSync(process.execPath, ['--allow-natives-syntax', script], { encoding: 'utf8' });
    expect(run.status, run.stderr).toBe(0);
    const result = JSON.parse(run.stdout.trim()) as { failures: string[]; calls: number; fastCalls: number; refused: number[] };
    expect(result.failures).toEqual([]);
    expect(result.calls).toBeGreaterThan(1000);
    // Every call from the optimised callers went through the fast path.
    expect(result.fastCalls).toBe(result.calls);
    expect(result.refused).toEqual([-2, -2, -2, -2]);
  });
});

import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { XbrleCodec } from '../../codecs/xbrle.js';
import { XbzrleCodec } from '../../codecs/xbzrle.js';
import { type CompiledReference, compileCReference, CReferenceServer, dumpCEncodings, removeCompiled, writePairsFile } from '../../harness/c-reference.js';
import { canonicalOldPages, scenarioPages, SCENARIOS } from '../../workloads/scenarios.js';

const PAGES = 512;
const PAGE = 4096;

describe('the C reference (codecs/reference-c/xbzrle.c)', () => {
  let compiled: CompiledReference = { skipped: 'not compiled yet' };
  let pairsFile = '';
  const old = canonicalOldPages(PAGES, PAGE);
  const news = SCENARIOS.map((scenario) => scenarioPages(old, scenario, PAGE));

  beforeAll(() => {
    compiled = compileCReference();
    if ('dir' in compiled) {
      pairsFile = join(compiled.dir, 'pairs.bin');
      writePairsFile(pairsFile, PAGE, old, news);
    }
  });
  afterAll(() => removeCompiled(compiled));

  for (const [name, codecs] of [
    ['xbzrle', [new XbzrleCodec({ kernel: 'js' }), new XbzrleCodec({ kernel: 'wasm', native: false }), new XbzrleCodec()]],
    ['xbrle', [new XbrleCodec({ kernel: 'js' }), new XbrleCodec({ kernel: 'wasm', native: false }), new XbrleCodec()]],
  ] as const) {
    it(`${name}: the C encodings of the canonical pairs are byte-identical to the TypeScript and WebAssembly encoders' (limit: one page)`, (context) => {
      if ('skipped' in compiled) return context.skip(`no C compiler: ${compiled.skipped}`);
      const out = new Uint8Array(PAGE);
      const sizes: number[] = [];
      SCENARIOS.forEach((scenario, s) => {
        const c = dumpCEncodings((compiled as { executable: string }).executable, pairsFile, s, name);
        expect(c).toHaveLength(PAGES);
        let total = 0;
        for (let page = 0; page < PAGES; page++) {
          const oldPage = old.subarray(page * PAGE, (page + 1) * PAGE);
          const newPage = news[s]!.subarray(page * PAGE, (page + 1) * PAGE);
          for (const codec of codecs) {
            const size = codec.encode(oldPage, newPage, out);
            if (size !== c[page]!.size || Buffer.compare(Buffer.from(out.subarray(0, Math.max(size, 0))), Buffer.from(c[page]!.bytes)) !== 0) {
              throw new Error(`${name} ${codec.kernel} ${scenario.name} page ${page}: C ${c[page]!.size} bytes, ours ${size}`);
            }
          }
          total += c[page]!.size;
        }
        sizes.push(total / PAGES);
      });
      if (name === 'xbzrle') expect(sizes).toEqual([59, 215, 918, 1530]);
    });
  }

  it('serve mode answers one line of positive MB/s per scenario asked, and the child ends when stopped', async (context) => {
    if ('skipped' in compiled) return context.skip(`no C compiler: ${compiled.skipped}`);
    const server = new CReferenceServer((compiled as { executable: string }).executable, pairsFile);
    try {
      const pass = await server.measure(2);
      expect(pass.encodeMBps).toBeGreaterThan(0);
      expect(pass.decodeMBps).toBeGreaterThan(0);
      expect(pass.xbrleEncodeMBps).toBeGreaterThan(0);
      expect(pass.passes).toEqual([1, 1, 1]); // no minimum: one pass each
      // With a minimum of 40 ms, each kernel's passes took at least that long (its MB/s says
      // how long): passes x bytes / MB/s >= 0.04 s, whatever the machine's speed.
      const timed = await server.measure(2, 40);
      const poolBytes = PAGES * PAGE;
      const xbzrle = new XbzrleCodec({ kernel: 'js' });
      const scratch = new Uint8Array(PAGE);
      let withDelta = 0;
      for (let page = 0; page < PAGES; page++) if (xbzrle.encode(old.subarray(page * PAGE, (page + 1) * PAGE), news[2]!.subarray(page * PAGE, (page + 1) * PAGE), scratch) > 0) withDelta++;
      const decodedBytes = withDelta * PAGE;
      expect((timed.passes[0] * poolBytes) / 1e6 / timed.encodeMBps).toBeGreaterThanOrEqual(0.0399);
      expect((timed.passes[1] * decodedBytes) / 1e6 / timed.decodeMBps).toBeGreaterThanOrEqual(0.0399);
      expect((timed.passes[2] * poolBytes) / 1e6 / timed.xbrleEncodeMBps).toBeGreaterThanOrEqual(0.0399);
      await expect(server.measure(7)).rejects.toThrow(/answered "error scenario 7"/);
    } finally {
      server.stop();
    }
  });
});

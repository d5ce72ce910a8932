/**
 * A content trace of random page writes for tests that compare two ways of reading one: per
 * write, a page all zeroed, densely rewritten (every third byte), rewritten with its own bytes,
 * or changed in a few short runs; pages are named again and again. Returns the final pages.
 */
import { writeTrace } from '../../../workloads/trace/writer.js';

export async function writeRandomPages(path: string, options: { pages: number; epochs: number; writesPerEpoch: number; seed: number }): Promise<Uint8Array[]> {
  let state = options.seed;
  const next = (): number => (state = (Math.imul(state, 1103515245) + 12345) >>> 0) >>> 8;
  const pages = Array.from({ length: options.pages }, () => new Uint8Array(4096));
  await writeTrace(path, { kind: 'content', pageSize: 4096, pageCount: options.pages, timeUnit: 'ms' }, (writer) => {
    for (let epoch = 0; epoch < options.epochs; epoch++) {
      writer.beginEpoch(epoch * 100);
      for (let write = 0; write < options.writesPerEpoch; write++) {
        const page = next() % options.pages;
        const bytes = pages[page]!;
        const shape = next() % 5; // 0 zeroed, 1 dense, 2 rewritten unchanged, else sparse runs
        if (shape === 0) bytes.fill(0);
        else if (shape === 1) for (let k = 0; k < 4096; k++) bytes[k] = next() & (k % 3 === 0 ? 255 : 0);
        for (let run = 0; run < (shape >= 3 ? 1 + (next() % 4) : 0); run++) {
          const at = next() % 4000;
          for (let k = 0; k < 1 + (next() % 90); k++) bytes[at + k] = next() & 255;
        }
        writer.writePage(page, bytes);
      }
      writer.endEpoch();
    }
  });
  return pages;
}

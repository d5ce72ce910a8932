/**
 * Kernel soft-dirty tracking (the method CRIU's iterative pre-dump uses): writing `4` to
 * /proc/PID/clear_refs clears every page's soft-dirty bit and write-protects the pages; the
 * next write to a page sets bit 55 of its 64-bit entry in /proc/PID/pagemap. Kernels built
 * without CONFIG_MEM_SOFT_DIRTY accept the write to clear_refs but never set the bit, so
 * support is probed on a page of the recorder's own (clear, write, look), not assumed.
 */
import { closeSync, openSync, readSync, writeFileSync } from 'node:fs';

export const PAGEMAP_ENTRY_BYTES = 8;
/** Bits of the high 32-bit word of a pagemap entry. */
const SOFT_DIRTY_HIGH_BIT = 1 << (55 - 32);

/**
 * Runs of soft-dirty pages in `count` little-endian pagemap entries of `bytes`: writes
 * [first, length] pairs (entry indexes) into `runs` and returns the number of runs. Adjacent
 * dirty pages form one run, so that each run is one read of /proc/PID/mem.
 */
export function softDirtyRuns(bytes: Uint8Array, count: number, runs: Int32Array): number {
  return runsWithBits(bytes, count, runs, SOFT_DIRTY_HIGH_BIT);
}

/** Runs of entries whose high 32-bit word has any bit of `mask` set (both scans above and below). */
function runsWithBits(bytes: Uint8Array, count: number, runs: Int32Array, mask: number): number {
  const words = new Uint32Array(bytes.buffer, bytes.byteOffset, count * 2);
  let found = 0;
  let start = -1;
  for (let page = 0; page < count; page++) {
    if ((words[page * 2 + 1]! & mask) !== 0) {
      if (start < 0) start = page;
    } else if (start >= 0) {
      runs[found * 2] = start;
      runs[found * 2 + 1] = page - start;
      found++;
      start = -1;
    }
  }
  if (start >= 0) {
    runs[found * 2] = start;
    runs[found * 2 + 1] = count - start;
    found++;
  }
  return found;
}

const PRESENT_OR_SWAPPED_HIGH_BITS = (1 << (63 - 32)) | (1 << (62 - 32));

/**
 * Runs of pages that hold data (present in RAM, bit 63, or swapped out, bit 62) in `count`
 * pagemap entries, as [first, length] pairs like softDirtyRuns. The pages between them were
 * never touched or were dropped: they read as zeros, so a content diff need not read them.
 */
export function presentRuns(bytes: Uint8Array, count: number, runs: Int32Array): number {
  return runsWithBits(bytes, count, runs, PRESENT_OR_SWAPPED_HIGH_BITS);
}

/** Clears the soft-dirty bits of process `pid` (throws the fs error). */
export function clearSoftDirty(pid: number | 'self'): void {
  writeFileSync(`/proc/${pid}/clear_refs`, '4');
}

/** Reads the pagemap entries of `pages` pages from virtual address `address` into `into`; returns entries read. */
export function readPagemap(fd: number, address: number, pages: number, into: Uint8Array): number {
  const want = pages * PAGEMAP_ENTRY_BYTES;
  let done = 0;
  while (done < want) {
    const got = readSync(fd, into, done, want - done, (address / 4096) * PAGEMAP_ENTRY_BYTES + done);
    if (got === 0) break;
    done += got;
  }
  return Math.floor(done / PAGEMAP_ENTRY_BYTES);
}

/** Why soft-dirty tracking cannot be used here, or undefined when it works (probed on our own memory). */
export function softDirtyUnavailable(): string | undefined {
  const probe = new Uint8Array(1 << 20);
  try {
    clearSoftDirty('self');
  } catch (error) {
    return `cannot write /proc/self/clear_refs (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})`;
  }
  // Write every page of the probe, then look for any soft-dirty page among the recorder's own heap pages.
  probe.fill(1);
  let fd: number;
  try {
    fd = openSync('/proc/self/pagemap', 'r');
  } catch (error) {
    return `cannot read /proc/self/pagemap (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})`;
  }
  try {
    return anyDirtyWritableMapping(fd) ? undefined : 'this kernel has no soft-dirty tracking (bit 55 of /proc/PID/pagemap stays clear after writes)';
  } finally {
    closeSync(fd);
  }
}

/** True if some page of our own writable mappings is soft-dirty (we just wrote some). */
function anyDirtyWritableMapping(fd: number): boolean {
  const text = readSelfMaps();
  const entries = new Uint8Array(PAGEMAP_ENTRY_BYTES * 4096);
  const words = new Uint32Array(entries.buffer);
  let budget = 1 << 16; // pages looked at, at most
  for (const line of text.split('\n')) {
    const match = /^([0-9a-f]+)-([0-9a-f]+) rw/.exec(line);
    if (!match) continue;
    const start = Number.parseInt(match[1]!, 16);
    const end = Number.parseInt(match[2]!, 16);
    for (let address = start; address < end && budget > 0; address += 4096 * 4096) {
      const pages = Math.min(4096, (end - address) / 4096);
      const got = readPagemap(fd, address, pages, entries);
      budget -= pages;
      for (let i = 0; i < got; i++) if ((words[i * 2 + 1]! & SOFT_DIRTY_HIGH_BIT) !== 0) return true;
    }
  }
  return false;
}

function readSelfMaps(): string {
  const fd = openSync('/proc/self/maps', 'r');
  try {
    const chunks: Buffer[] = [];
    const buffer = Buffer.alloc(1 << 16);
    for (;;) {
      const got = readSync(fd, buffer, 0, buffer.length, null);
      if (got === 0) break;
      chunks.push(Buffer.from(buffer.subarray(0, got)));
    }
    return Buffer.concat(chunks).toString('latin1');
  } finally {
    closeSync(fd);
  }
}

/**
 * One scanning thread of the recorder (workloads/trace/recorder/scanner.ts): reads its share of a
 * snapshot from /proc/PID/mem in large chunks into one reused buffer, compares each chunk
 * with the shadow (the previous content, shared with the other thread and the main thread)
 * by one native compare, and only for a chunk that differs compares page by page. A changed
 * page's XOR against the shadow goes to this thread's staging area and its new bytes into the
 * shadow; when the staging area is full the thread hands it to the main thread (which
 * encodes it into the trace) and waits until it is drained. Nothing is allocated per page.
 */
import { closeSync, openSync, readSync } from 'node:fs';
import { parentPort } from 'node:worker_threads';
import type { ScanReply, ScanRequest, ShadowMessage, WorkerSetup } from './scan-protocol.js';
import { CHUNK_BYTES, ENTRY_CHANGED, ENTRY_REWRITTEN, ENTRY_ZERO, PAGE_BYTES, TASK_ABSENT, TASK_DIRTY, TASK_FIELDS } from './scan-protocol.js';

const port = parentPort!;
const PAGE_WORDS = PAGE_BYTES / 4;
const chunk = Buffer.alloc(CHUNK_BYTES);
const chunkWords = new Int32Array(chunk.buffer, chunk.byteOffset, CHUNK_BYTES / 4);
const zeros = Buffer.alloc(CHUNK_BYTES);
const shadows: Buffer[] = [];
const shadowWords: Int32Array[] = [];
let staging: Buffer;
let stagingWords: Int32Array;
let stagedPages: Float64Array;
let stagedKinds: Uint8Array;
let control: Int32Array;
let stagingPages = 0;

let fd = -1;
let staged = 0;
let bytesRead = 0;
let unreadablePages = 0;
let gone = false;

function errorCode(error: unknown): string | undefined {
  return (error as NodeJS.ErrnoException | undefined)?.code;
}

/** Reads `length` bytes at `address` into the chunk; returns bytes read (short at an unreadable page). */
function read(address: number, length: number, into: number): number {
  let done = 0;
  while (done < length) {
    let got: number;
    try {
      got = readSync(fd, chunk, into + done, length - done, address + done);
    } catch (error) {
      const code = errorCode(error);
      if (code === 'ESRCH') gone = true;
      if (code === 'EIO' || code === 'EFAULT' || code === 'ENOMEM' || code === 'ESRCH') return done;
      throw error;
    }
    if (got === 0) return done;
    done += got;
  }
  return done;
}

/** Hands the staged pages to the main thread and waits until it has encoded them. */
function flush(): void {
  if (staged === 0) return;
  Atomics.store(control, 0, 0);
  port.postMessage({ type: 'batch', count: staged } satisfies ScanReply);
  Atomics.wait(control, 0, 0);
  staged = 0;
}

function stage(page: number, kind: number): number {
  if (staged === stagingPages) flush();
  stagedPages[staged] = page;
  stagedKinds[staged] = kind;
  return staged++;
}

/** Compares page `index` of the chunk with the shadow at `shadowByte`; stages it if it changed (or always, when `dirty`). */
function comparePage(index: number, shadow: number, shadowByte: number, page: number, dirty: boolean): void {
  const offset = index * PAGE_BYTES;
  const target = shadows[shadow]!;
  if (chunk.compare(target, shadowByte, shadowByte + PAGE_BYTES, offset, offset + PAGE_BYTES) === 0) {
    if (dirty) stage(page, ENTRY_REWRITTEN);
    return;
  }
  const slot = stage(page, ENTRY_CHANGED);
  const words = shadowWords[shadow]!;
  const from = offset >>> 2;
  const to = shadowByte >>> 2;
  const out = slot * PAGE_WORDS;
  let content = 0;
  for (let word = 0; word < PAGE_WORDS; word++) {
    const value = chunkWords[from + word]!;
    stagingWords[out + word] = value ^ words[to + word]!;
    content |= value;
  }
  if (content === 0) stagedKinds[slot] = ENTRY_ZERO;
  chunk.copy(target, shadowByte, offset, offset + PAGE_BYTES);
}

/** One task: `pages` pages at `address`, shadowed at byte `shadowByte` of shadow `shadow`, trace pages from `firstPage`. */
function scanTask(address: number, pages: number, shadow: number, shadowByte: number, firstPage: number, dirty: boolean): void {
  const chunkPages = CHUNK_BYTES / PAGE_BYTES;
  const target = shadows[shadow]!;
  for (let done = 0; done < pages && !gone; done += chunkPages) {
    const count = Math.min(chunkPages, pages - done);
    const at = address + done * PAGE_BYTES;
    const base = shadowByte + done * PAGE_BYTES;
    const bytes = count * PAGE_BYTES;
    const got = read(at, bytes, 0);
    bytesRead += got;
    const readable = Math.floor(got / PAGE_BYTES);
    if (readable === count && !dirty && chunk.compare(target, base, base + bytes, 0, bytes) === 0) continue;
    for (let page = 0; page < readable; page++) comparePage(page, shadow, base + page * PAGE_BYTES, firstPage + done + page, dirty);
    // An unreadable page inside the chunk: the rest page by page, skipping holes.
    for (let page = readable; page < count && !gone; page++) {
      const one = read(at + page * PAGE_BYTES, PAGE_BYTES, page * PAGE_BYTES);
      bytesRead += one;
      if (one === PAGE_BYTES) comparePage(page, shadow, base + page * PAGE_BYTES, firstPage + done + page, dirty);
      else unreadablePages++;
    }
  }
}

/** Pages with no data in the kernel read as zeros: record those whose copy is not zero, and clear the copy. */
function absentTask(pages: number, shadow: number, shadowByte: number, firstPage: number): void {
  const target = shadows[shadow]!;
  const chunkPages = CHUNK_BYTES / PAGE_BYTES;
  for (let done = 0; done < pages; done += chunkPages) {
    const count = Math.min(chunkPages, pages - done);
    const base = shadowByte + done * PAGE_BYTES;
    if (target.compare(zeros, 0, count * PAGE_BYTES, base, base + count * PAGE_BYTES) === 0) continue;
    for (let page = 0; page < count; page++) {
      const at = base + page * PAGE_BYTES;
      if (target.compare(zeros, 0, PAGE_BYTES, at, at + PAGE_BYTES) === 0) continue;
      // The XOR of a page gone to zeros is its previous content (the writer counts its bytes).
      const slot = stage(firstPage + done + page, ENTRY_ZERO);
      target.copy(staging, slot * PAGE_BYTES, at, at + PAGE_BYTES);
      target.fill(0, at, at + PAGE_BYTES);
    }
  }
}

port.on('message', (message: WorkerSetup | ShadowMessage | ScanRequest) => {
  if (message.type === 'setup') {
    staging = Buffer.from(message.staging);
    stagingWords = new Int32Array(message.staging);
    stagingPages = message.staging.byteLength / PAGE_BYTES;
    stagedPages = new Float64Array(message.pages);
    stagedKinds = new Uint8Array(message.kinds);
    control = new Int32Array(message.control);
    port.postMessage({ type: 'ready' } satisfies ScanReply);
    return;
  }
  if (message.type === 'shadow') {
    shadows[message.index] = Buffer.from(message.buffer);
    shadowWords[message.index] = new Int32Array(message.buffer);
    return;
  }
  bytesRead = 0;
  unreadablePages = 0;
  gone = false;
  staged = 0;
  let error: string | undefined;
  try {
    fd = openSync(`/proc/${message.pid}/mem`, 'r');
  } catch {
    port.postMessage({ type: 'done', bytesRead: 0, unreadablePages: 0, gone: true } satisfies ScanReply);
    return;
  }
  try {
    const tasks = message.tasks;
    for (let i = 0; i + TASK_FIELDS <= tasks.length && !gone; i += TASK_FIELDS) {
      const mode = tasks[i + 5]!;
      if (mode === TASK_ABSENT) absentTask(tasks[i + 1]!, tasks[i + 2]!, tasks[i + 3]!, tasks[i + 4]!);
      else scanTask(tasks[i]!, tasks[i + 1]!, tasks[i + 2]!, tasks[i + 3]!, tasks[i + 4]!, mode === TASK_DIRTY);
    }
    flush();
  } catch (caught) {
    error = (caught as Error).message.split('\n')[0];
  } finally {
    closeSync(fd);
    fd = -1;
  }
  port.postMessage({ type: 'done', bytesRead, unreadablePages, gone, ...(error ? { error } : {}) } satisfies ScanReply);
});

/**
 * The recorder's scanning threads: a pool of worker threads (both cores by default) that
 * read a snapshot's pages from /proc/PID/mem and diff them against shared shadow buffers
 * (scan-worker.ts). The main thread only encodes the pages that changed, as each thread
 * hands over a batch of XOR deltas.
 */
import { deltaAddon } from '../../../codecs/native.js';
import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import { PAGE_BYTES, STAGING_PAGES, TASK_FIELDS, type ScanReply } from './scan-protocol.js';

export interface ScanTotals {
  bytesRead: number;
  unreadablePages: number;
  /** The process was gone (could not be opened or read). */
  gone: boolean;
}

/** Receives `count` staged entries: trace pages, kinds (scan-protocol ENTRY_*), XOR deltas page by page. */
export type EntrySink = (pages: Float64Array, kinds: Uint8Array, deltas: Buffer, count: number) => void;

function workerUrl(): URL {
  const here = new URL(import.meta.url);
  // Under vitest the sources run as .ts: the worker runs from the build.
  if (here.pathname.endsWith('.ts')) return new URL('../../../dist/workloads/trace/recorder/scan-worker.js', here);
  return new URL('./scan-worker.js', here);
}

interface Thread {
  worker: Worker;
  staging: Buffer;
  pages: Float64Array;
  kinds: Uint8Array;
  control: Int32Array;
  /** Settles when the thread has taken its setup message. */
  ready: Promise<void>;
}

export class Scanner {
  private readonly threads: Thread[] = [];
  private shadows = 0;

  /**
   * `hugePages` (default true, where the native addon was built): shadows backed by
   * transparent huge pages. A mapping whose pages are present only here and there then costs
   * up to 2 MiB of shadow per region touched rather than 4 KiB per page.
   */
  constructor(
    threadCount = Math.min(2, availableParallelism()),
    private readonly hugePages = true,
  ) {
    for (let i = 0; i < Math.max(1, threadCount); i++) {
      const staging = new SharedArrayBuffer(STAGING_PAGES * PAGE_BYTES);
      const pages = new SharedArrayBuffer(STAGING_PAGES * 8);
      const kinds = new SharedArrayBuffer(STAGING_PAGES);
      const control = new SharedArrayBuffer(4);
      const worker = new Worker(workerUrl());
      worker.unref();
      const ready = new Promise<void>((resolve, reject) => {
        worker.once('message', () => resolve());
        worker.once('error', reject);
      });
      ready.catch(() => {}); // reported by ready() or the first scan
      worker.postMessage({ type: 'setup', staging, pages, kinds, control });
      this.threads.push({ worker, staging: Buffer.from(staging), pages: new Float64Array(pages), kinds: new Uint8Array(kinds), control: new Int32Array(control), ready });
    }
  }

  /** Resolves once every thread has started (so the first snapshot is not timed with their start-up). */
  async ready(): Promise<void> {
    await Promise.all(this.threads.map((thread) => thread.ready));
  }

  get threadCount(): number {
    return this.threads.length;
  }

  /** A zero-filled shadow of `bytes` bytes shared with every thread; returns its index and main-thread view. */
  addShadow(bytes: number): { index: number; buffer: Buffer } {
    const shared = new SharedArrayBuffer(bytes);
    // Huge pages: the first snapshot writes every shadow page, and a fault per 4 KiB page was
    // most of its time (300 MiB child: first snapshot 1.1-1.3 s -> 0.6-0.9 s; Redis's RSS +5%).
    if (this.hugePages) deltaAddon?.adviseHugePages(new Uint8Array(shared));
    const index = this.shadows++;
    for (const thread of this.threads) thread.worker.postMessage({ type: 'shadow', index, buffer: shared });
    return { index, buffer: Buffer.from(shared) };
  }

  /**
   * Scans `tasks` (TASK_FIELDS numbers each, see scan-protocol.ts) of process `pid`, split
   * evenly by pages between the threads; `sink` gets the changed pages batch by batch.
   */
  async scan(pid: number, tasks: number[], sink: EntrySink): Promise<ScanTotals> {
    const shares = splitTasks(tasks, this.threads.length);
    const totals: ScanTotals = { bytesRead: 0, unreadablePages: 0, gone: false };
    let failure: unknown;
    await Promise.all(
      this.threads.map(
        (thread, index) =>
          new Promise<void>((resolve, reject) => {
            const onError = (error: Error) => {
              thread.worker.off('message', onMessage);
              reject(error);
            };
            const onMessage = (reply: ScanReply) => {
              if (reply.type === 'ready') return;
              if (reply.type === 'batch') {
                try {
                  sink(thread.pages, thread.kinds, thread.staging, reply.count);
                } catch (error) {
                  failure ??= error;
                }
                Atomics.store(thread.control, 0, 1);
                Atomics.notify(thread.control, 0);
                return;
              }
              thread.worker.off('message', onMessage);
              thread.worker.off('error', onError);
              totals.bytesRead += reply.bytesRead;
              totals.unreadablePages += reply.unreadablePages;
              totals.gone ||= reply.gone;
              if (reply.error) failure ??= new Error(reply.error);
              resolve();
            };
            thread.worker.on('message', onMessage);
            thread.worker.once('error', onError);
            thread.worker.postMessage({ type: 'scan', pid, tasks: shares[index]! });
          }),
      ),
    );
    if (failure !== undefined) throw failure;
    return totals;
  }

  async close(): Promise<void> {
    await Promise.all(this.threads.map((thread) => thread.worker.terminate()));
  }
}

/** Splits tasks into `parts` lists of about equal pages (cutting a task at a page boundary). */
export function splitTasks(tasks: number[], parts: number): number[][] {
  let total = 0;
  for (let i = 0; i < tasks.length; i += TASK_FIELDS) total += tasks[i + 1]!;
  const shares: number[][] = Array.from({ length: parts }, () => []);
  const quota = Math.ceil(total / parts);
  let part = 0;
  let room = quota;
  for (let i = 0; i < tasks.length; i += TASK_FIELDS) {
    let [address, pages, shadow, shadowByte, firstPage, dirty] = tasks.slice(i, i + TASK_FIELDS) as [number, number, number, number, number, number];
    while (pages > 0) {
      if (room === 0 && part < parts - 1) {
        part++;
        room = quota;
      }
      const take = part === parts - 1 ? pages : Math.min(pages, room);
      shares[part]!.push(address, take, shadow, shadowByte, firstPage, dirty);
      address += take * PAGE_BYTES;
      shadowByte += take * PAGE_BYTES;
      firstPage += take;
      pages -= take;
      room -= take;
    }
  }
  return shares;
}

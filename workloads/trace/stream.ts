/**
 * The async face of trace reading: `readTrace(path)` gives the header and an async iterator
 * of epochs (content traces) or access batches (access-only and text traces), streaming
 * (memory bounded by the trace's pages, never its length). `readAccessKeys(path)` gives the
 * page numbers of an access trace as one array, for cache studies.
 */
import { SparseImage } from '../sparse-image.js';
import { TIME_UNITS, TraceError, type TraceHeader } from './format.js';
import { SparseTarget } from './reader.js';
import { TraceSource, type TraceSourceOptions } from './source.js';

export interface TraceEpoch {
  kind: 'content' | 'access';
  /** 0-based index of the logical epoch (content) or batch (access). */
  index: number;
  /** File offset of the record (binary traces), -1 for text. */
  offset: number;
  /** Time in the trace's unit, and in milliseconds. */
  time: number;
  timeMs: number;
  /** Content: more batches of the same epoch (same time) follow; pages are split 1024 a record. */
  continued: boolean;
  /** Page numbers written (content) or accessed (access). */
  pages: Float64Array;
  /** Content: 0 zero page, 1 XOR+LZ4, 2 raw XOR, 3 written but unchanged. */
  kinds?: Uint8Array;
  /** Content with `changedBytes: true`: bytes that differ from the page's previous version. */
  changedBytes?: Int32Array;
  /** Access: each access's time in the trace's unit. */
  times?: Float64Array;
  /** Content: the new content of pages[i] (a view, valid until the next epoch is read). */
  content?(i: number): Uint8Array;
}

export interface ReadTraceOptions extends TraceSourceOptions {
  /** Count the changed bytes of each page (a pass over each decoded delta). */
  changedBytes?: boolean;
}

export interface TraceHandle extends AsyncIterable<TraceEpoch> {
  readonly header: TraceHeader;
  /** Pages held by the decoder's image (bytes): bounded by the trace's pages. */
  readonly imageBytes: number;
  /** Read buffer (bytes): bounded by the largest record. */
  readonly bufferBytes: number;
  close(): void;
}

/** How many batches to read between yields to the event loop. */
const YIELD_EVERY = 64;

/** Opens a trace (binary or text) for streaming: header now, epochs as you iterate. */
export async function readTrace(path: string, options: ReadTraceOptions = {}): Promise<TraceHandle> {
  const source = new TraceSource(path, options);
  const image = new SparseImage(source.header.pageSize, source.header.pageCount);
  const target = new SparseTarget(image);
  const unitMs = TIME_UNITS[source.header.timeUnit];
  let closed = false;
  const close = (): void => {
    if (!closed) {
      closed = true;
      source.close();
    }
  };
  async function* iterate(): AsyncGenerator<TraceEpoch> {
    try {
      let index = 0;
      let batches = 0;
      for (;;) {
        const batch = source.next(target, options.changedBytes ?? false);
        if (!batch) break;
        const count = batch.count;
        const pages = batch.pages.slice(0, count);
        const epoch: TraceEpoch = {
          kind: batch.kind,
          index,
          offset: batch.offset,
          time: batch.time,
          timeMs: batch.time * unitMs,
          continued: batch.continued,
          pages,
        };
        if (batch.kind === 'content') {
          epoch.kinds = batch.kinds!.slice(0, count);
          if (options.changedBytes) epoch.changedBytes = batch.changedBytes!.slice(0, count);
          epoch.content = (i: number) => image.page(pages[i]!);
        } else {
          epoch.times = batch.times!.slice(0, count);
        }
        if (!batch.continued) index++;
        yield epoch;
        if (++batches % YIELD_EVERY === 0) await new Promise<void>((resolve) => setImmediate(resolve));
      }
    } finally {
      close();
    }
  }
  return {
    header: source.header,
    get imageBytes() {
      return image.allocatedBytes;
    },
    get bufferBytes() {
      return source.bufferBytes;
    },
    close,
    [Symbol.asyncIterator]: iterate,
  };
}

/**
 * The page numbers (keys) of an access-only trace, in order: binary access traces, and text
 * lists (`page` or `time,page` per line) through the same streaming parser.
 */
export async function readAccessKeys(path: string): Promise<Float64Array> {
  const source = new TraceSource(path);
  try {
    if (source.header.kind !== 'access') throw new TraceError(`${path} is a content trace; access keys come from access-only traces`);
    let keys = new Float64Array(source.header.kind === 'access' && source.header.epochCount > 0 ? Math.min(source.header.epochCount, 1 << 20) : 1 << 16);
    let length = 0;
    for (;;) {
      const batch = source.next();
      if (!batch) break;
      if (length + batch.count > keys.length) {
        const grown = new Float64Array(Math.max(keys.length * 2, length + batch.count));
        grown.set(keys.subarray(0, length));
        keys = grown;
      }
      keys.set(batch.pages.subarray(0, batch.count), length);
      length += batch.count;
      if ((length & 0xfffff) < batch.count) await new Promise<void>((resolve) => setImmediate(resolve));
    }
    return keys.slice(0, length);
  } finally {
    source.close();
  }
}

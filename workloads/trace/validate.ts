/**
 * Reads a whole trace, decoding every record, only to check it: a replay reads only as far as
 * the simulated migration gets, and a corrupt tail must fail a fast migration as it fails a slow
 * one, not pass unseen. Memory is bounded by the trace's pages (a sparse image), never by its
 * length. Throws the reader's one-line TraceError.
 */
import { SparseImage } from '../sparse-image.js';
import { SparseTarget } from './reader.js';
import { TraceSource, type TraceSourceOptions } from './source.js';

export function validateTraceFile(path: string, options: TraceSourceOptions = {}): void {
  const source = new TraceSource(path, options);
  try {
    const target = new SparseTarget(new SparseImage(source.header.pageSize, source.header.pageCount));
    while (source.next(target) !== null) {
      // every record's framing, checksum and payload are checked as it is decoded
    }
  } finally {
    source.close();
  }
}

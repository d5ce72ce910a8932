/** Cuts a binary trace into its parts and joins them again with every length and checksum recomputed. */
import { checksum, PREAMBLE_BYTES, RECORD_CRC_BYTES, RECORD_HEADER_BYTES } from '../../workloads/trace/format.js';

export interface TraceParts {
  preamble: Uint8Array;
  header: Uint8Array;
  records: Array<{ type: number; flags: number; payload: Uint8Array }>;
}

export function splitTrace(file: Uint8Array): TraceParts {
  const view = new DataView(file.buffer, file.byteOffset, file.byteLength);
  const jsonLength = view.getUint32(40, true);
  const records: TraceParts['records'] = [];
  for (let at = PREAMBLE_BYTES + jsonLength; at < file.length; ) {
    const length = view.getUint32(at + 2, true);
    records.push({ type: file[at]!, flags: file[at + 1]!, payload: file.slice(at + RECORD_HEADER_BYTES, at + RECORD_HEADER_BYTES + length) });
    at += RECORD_HEADER_BYTES + length + RECORD_CRC_BYTES;
  }
  return { preamble: file.slice(0, PREAMBLE_BYTES), header: file.slice(PREAMBLE_BYTES, PREAMBLE_BYTES + jsonLength), records };
}

/** Joins the parts with every length and checksum made consistent again. */
export function joinTrace(parts: TraceParts): Uint8Array {
  const chunks: Uint8Array[] = [];
  const preamble = parts.preamble.slice();
  const view = new DataView(preamble.buffer);
  view.setUint32(40, parts.header.length, true);
  view.setUint32(44, checksum(parts.header, checksum(preamble.subarray(0, 44))), true);
  chunks.push(preamble, parts.header);
  for (const record of parts.records) {
    const framed = new Uint8Array(RECORD_HEADER_BYTES + record.payload.length + RECORD_CRC_BYTES);
    const frame = new DataView(framed.buffer);
    framed[0] = record.type;
    framed[1] = record.flags;
    frame.setUint32(2, record.payload.length, true);
    framed.set(record.payload, RECORD_HEADER_BYTES);
    frame.setUint32(framed.length - RECORD_CRC_BYTES, checksum(framed.subarray(0, framed.length - RECORD_CRC_BYTES)), true);
    chunks.push(framed);
  }
  return Buffer.concat(chunks);
}


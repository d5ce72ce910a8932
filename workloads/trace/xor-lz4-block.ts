/**
 * A page's XOR delta stored as an LZ4 block, applied straight to the page. A sparse delta (a
 * few changed bytes in a 4 KiB page) is mostly zero bytes, which LZ4 stores as a handful of
 * long matches; decoding the whole block and then XORing 4 KiB costs about 1 us a page, while
 * walking the block's sequences and touching only its non-zero bytes costs a few tens of ns.
 *
 * LZ4 block format (the public LZ4 block specification): a run of sequences, each a token
 * byte (high nibble: literal count, low nibble: match length - 4; a nibble of 15 continues in
 * following bytes, each added, until one below 255), the literals, then a 2-byte little-endian
 * offset back into the output and the match, copied byte by byte (it may overlap itself). The
 * last sequence has literals only.
 */

/**
 * XORs the delta in the LZ4 block `input[start, end)` into `bytes[base, base + pageSize)`.
 * `scratch` is pageSize bytes, all zero on entry and again on return: it holds the delta bytes
 * written so far, which later matches may copy. Returns the count of non-zero delta bytes, or
 * -1 when the block is not valid LZ4 of exactly `pageSize` bytes, parsing restrictions
 * included (the page is then untouched).
 */
export function xorLz4Block(input: Uint8Array, start: number, end: number, bytes: Uint8Array, base: number, pageSize: number, scratch: Uint8Array): number {
  // Pass 1: the structure only, so a bad block leaves the page as it was.
  let i = start;
  let d = 0;
  for (;;) {
    if (i >= end) return -1;
    const token = input[i++]!;
    let literals = token >>> 4;
    if (literals === 15) {
      let more = 255;
      while (more === 255) {
        if (i >= end) return -1;
        more = input[i++]!;
        literals += more;
      }
    }
    if (literals > end - i || literals > pageSize - d) return -1;
    i += literals;
    d += literals;
    if (i === end) break;
    if (end - i < 2) return -1;
    const offset = input[i]! | (input[i + 1]! << 8);
    i += 2;
    if (offset === 0 || offset > d) return -1;
    let match = (token & 15) + 4;
    if ((token & 15) === 15) {
      let more = 255;
      while (more === 255) {
        if (i >= end) return -1;
        more = input[i++]!;
        match += more;
      }
    }
    // The format's parsing restrictions, which the LZ4 library enforces: a match starts at
    // least 12 bytes before the end, and the last 5 bytes are literals.
    if (d > pageSize - 12 || match > pageSize - 5 - d) return -1;
    d += match;
  }
  if (d !== pageSize) return -1;

  // Pass 2: apply. Only non-zero delta bytes are written to scratch, and each run of them is
  // noted as a range [starts[r], ends[r]), in increasing order (output is written front to
  // back); every other delta byte is zero, so a match copies only where its source meets a
  // range. (A dense repeated run is one range that may hold zeros: copies skip those.)
  if (rangeStarts.length < (pageSize >>> 1) + 2) {
    rangeStarts = new Int32Array((pageSize >>> 1) + 2);
    rangeEnds = new Int32Array((pageSize >>> 1) + 2);
    periodAt = new Int32Array(pageSize);
  }
  const starts = rangeStarts;
  const ends = rangeEnds;
  let ranges = 0;
  let changed = 0;
  // The write of one non-zero byte (scratch, page, range) is spelled out in each loop below
  // that writes bytes one by one: as a shared function it measured 1.3-1.5x slower on a
  // recorded Redis trace.
  i = start;
  d = 0;
  for (;;) {
    const token = input[i++]!;
    let literals = token >>> 4;
    if (literals === 15) {
      let more = 255;
      while (more === 255) {
        more = input[i++]!;
        literals += more;
      }
    }
    for (let k = 0; k < literals; k++) {
      const value = input[i + k]!;
      if (value !== 0) {
        const at = d + k;
        scratch[at] = value;
        bytes[base + at] ^= value;
        changed++;
        if (ranges > 0 && ends[ranges - 1] === at) ends[ranges - 1] = at + 1;
        else {
          starts[ranges] = at;
          ends[ranges++] = at + 1;
        }
      }
    }
    i += literals;
    d += literals;
    if (i === end) break;
    const offset = input[i]! | (input[i + 1]! << 8);
    i += 2;
    let match = (token & 15) + 4;
    if ((token & 15) === 15) {
      let more = 255;
      while (more === 255) {
        more = input[i++]!;
        match += more;
      }
    }
    const source = d - offset;
    // The first range ending after the source starts (binary search).
    let lo = 0;
    let hi = ranges;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (ends[mid]! <= source) lo = mid + 1;
      else hi = mid;
    }
    if (offset >= match) {
      // Disjoint source: copy only the ranges' bytes inside [source, source + match). New
      // ranges land at d or later, past every range this loop visits.
      const sourceEnd = source + match;
      for (let r = lo; r < ranges && starts[r]! < sourceEnd; r++) {
        const from = starts[r]! > source ? starts[r]! : source;
        const to = ends[r]! < sourceEnd ? ends[r]! : sourceEnd;
        for (let q = from; q < to; q++) {
          const value = scratch[q]!;
          if (value === 0) continue; // inside a dense run's range
          const at = d + (q - source);
          scratch[at] = value;
          bytes[base + at] ^= value;
          changed++;
          if (ranges > 0 && ends[ranges - 1] === at) ends[ranges - 1] = at + 1;
          else {
            starts[ranges] = at;
            ends[ranges++] = at + 1;
          }
        }
      }
    } else if (lo < ranges && starts[lo]! < d) {
      // Overlapping match over non-zero bytes: the output repeats the `offset` bytes before d
      // (byte d + k is byte source + k % offset).
      let nonZero = 0;
      for (let k = 0; k < offset; k++) if (scratch[source + k] !== 0) periodAt[nonZero++] = k;
      if (4 * nonZero >= offset) {
        // A dense pattern (recorded Redis pages repeat one for thousands of bytes): copied and
        // XORed as one run, noted as one range that may hold zero bytes (counted apart).
        for (let k = 0; k < match; k++) {
          const value = scratch[source + k]!;
          scratch[d + k] = value;
          bytes[base + d + k] ^= value;
        }
        const periods = Math.floor(match / offset);
        changed += periods * nonZero;
        const rest = match - periods * offset;
        for (let j = 0; j < nonZero && periodAt[j]! < rest; j++) changed++;
        if (ranges > 0 && ends[ranges - 1] === d) ends[ranges - 1] = d + match;
        else {
          starts[ranges] = d;
          ends[ranges++] = d + match;
        }
      } else {
        // A sparse pattern: only its non-zero bytes, once per repetition, in increasing order.
        for (let period = 0; period < match; period += offset) {
          for (let j = 0; j < nonZero; j++) {
            const k = period + periodAt[j]!;
            if (k >= match) break;
            const value = scratch[source + periodAt[j]!]!;
            const at = d + k;
            scratch[at] = value;
            bytes[base + at] ^= value;
            changed++;
            if (ranges > 0 && ends[ranges - 1] === at) ends[ranges - 1] = at + 1;
            else {
              starts[ranges] = at;
              ends[ranges++] = at + 1;
            }
          }
        }
      }
    }
    d += match;
  }
  if (ranges > 0) scratch.fill(0, starts[0]!, ends[ranges - 1]!);
  return changed;
}

/** The ranges of non-zero delta bytes written so far (reused: no allocation per page). */
let rangeStarts = new Int32Array(0);
let rangeEnds = new Int32Array(0);
/** Positions of the non-zero bytes of an overlapping match's period (reused). */
let periodAt = new Int32Array(0);

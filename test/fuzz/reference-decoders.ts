/**
 * Slow, obviously-correct decoders written from the format descriptions in docs/codecs.md, for
 * the fuzz suite: whatever a codec accepts, its reference must accept with the same result.
 * Each returns the decoded page, or null when the input breaks the format.
 */

/** XBZRLE: (zero run, changed run + bytes) pairs of small ULEB128 lengths; see docs/codecs.md. */
export function referenceXbzrle(encoded: Uint8Array, old: Uint8Array): Uint8Array | null {
  const page = old.slice();
  let s = 0;
  let d = 0;
  const uleb = (): number | null => {
    if (s >= encoded.length) return null;
    const low = encoded[s++]!;
    if (low < 0x80) return low;
    if (s >= encoded.length) return null;
    const high = encoded[s++]!;
    if (high >= 0x80) return null;
    return (low & 0x7f) | (high << 7);
  };
  let first = true;
  while (s < encoded.length) {
    if (encoded.length - s < 2) return null;
    const zero = uleb();
    if (zero === null || (zero === 0 && !first)) return null;
    first = false;
    d += zero;
    if (d > page.length) return null;
    const changed = uleb();
    if (changed === null || changed === 0) return null;
    if (d + changed > page.length || s + changed > encoded.length) return null;
    for (let i = 0; i < changed; i++) page[d++] = encoded[s++]!;
  }
  return page;
}

/** XBRLE: (count 1..255, XOR byte) pairs covering the page exactly. */
export function referenceXbrle(encoded: Uint8Array, old: Uint8Array): Uint8Array | null {
  if (encoded.length === 0 || encoded.length % 2 !== 0) return null;
  const page = old.slice();
  let d = 0;
  for (let s = 0; s < encoded.length; s += 2) {
    const count = encoded[s]!;
    if (count === 0 || d + count > page.length) return null;
    for (let i = 0; i < count; i++) page[d++] ^= encoded[s + 1]!;
  }
  return d === page.length ? page : null;
}

/** An LZ4 block that must expand to exactly `length` bytes (lenient about the end-of-block rules). */
export function referenceLz4Block(encoded: Uint8Array, length: number): Uint8Array | null {
  const out = new Uint8Array(length);
  let s = 0;
  let d = 0;
  const extend = (value: number): number | null => {
    if (value !== 15) return value;
    for (;;) {
      if (s >= encoded.length) return null;
      const byte = encoded[s++]!;
      value += byte;
      if (byte !== 255) return value;
    }
  };
  while (s < encoded.length) {
    const token = encoded[s++]!;
    const literals = extend(token >>> 4);
    if (literals === null || s + literals > encoded.length || d + literals > length) return null;
    for (let i = 0; i < literals; i++) out[d++] = encoded[s++]!;
    if (s === encoded.length) break; // the last sequence has no match
    if (s + 2 > encoded.length) return null;
    const offset = encoded[s]! | (encoded[s + 1]! << 8);
    s += 2;
    if (offset === 0 || offset > d) return null;
    const match = extend(token & 15);
    if (match === null) return null;
    const matchLength = match + 4;
    if (d + matchLength > length) return null;
    for (let i = 0; i < matchLength; i++, d++) out[d] = out[d - offset]!;
  }
  return encoded.length > 0 && d === length ? out : null;
}

/** A Snappy raw block that must expand to exactly `length` bytes. */
export function referenceSnappy(encoded: Uint8Array, length: number): Uint8Array | null {
  let s = 0;
  let declared = 0;
  for (let shift = 0; ; shift += 7) {
    if (s >= encoded.length || shift > 28) return null;
    const byte = encoded[s++]!;
    declared += (byte & 0x7f) * 2 ** shift;
    if (byte < 0x80) break;
  }
  if (declared !== length) return null;
  const out = new Uint8Array(length);
  let d = 0;
  while (s < encoded.length) {
    const tag = encoded[s++]!;
    const type = tag & 3;
    if (type === 0) {
      let literal = tag >>> 2;
      if (literal >= 60) {
        const extra = literal - 59;
        if (s + extra > encoded.length) return null;
        literal = 0;
        for (let i = 0; i < extra; i++) literal += encoded[s + i]! * 2 ** (8 * i);
        s += extra;
      }
      literal += 1;
      if (s + literal > encoded.length || d + literal > length) return null;
      for (let i = 0; i < literal; i++) out[d++] = encoded[s++]!;
      continue;
    }
    let copy: number;
    let offset: number;
    if (type === 1) {
      if (s + 1 > encoded.length) return null;
      copy = 4 + ((tag >>> 2) & 7);
      offset = ((tag >>> 5) << 8) | encoded[s++]!;
    } else if (type === 2) {
      if (s + 2 > encoded.length) return null;
      copy = (tag >>> 2) + 1;
      offset = encoded[s]! | (encoded[s + 1]! << 8);
      s += 2;
    } else {
      if (s + 4 > encoded.length) return null;
      copy = (tag >>> 2) + 1;
      offset = (encoded[s]! | (encoded[s + 1]! << 8) | (encoded[s + 2]! << 16)) + encoded[s + 3]! * 2 ** 24;
      s += 4;
    }
    if (offset === 0 || offset > d || d + copy > length) return null;
    for (let i = 0; i < copy; i++, d++) out[d] = out[d - offset]!;
  }
  return d === length ? out : null;
}

/** The reference result of decoding `encoded` onto `old` with codec `name`, or null (reject). */
export function referenceDecode(name: string, encoded: Uint8Array, old: Uint8Array): Uint8Array | null {
  const xorOnto = (delta: Uint8Array | null): Uint8Array | null => {
    if (delta === null) return null;
    const page = old.slice();
    for (let i = 0; i < page.length; i++) page[i] ^= delta[i]!;
    return page;
  };
  switch (name) {
    case 'xbzrle':
      return referenceXbzrle(encoded, old);
    case 'xbrle':
      return referenceXbrle(encoded, old);
    case 'lz4':
      return referenceLz4Block(encoded, old.length);
    case 'xor-lz4':
      return xorOnto(referenceLz4Block(encoded, old.length));
    case 'snappy':
      return referenceSnappy(encoded, old.length);
    case 'xor-snappy':
      return xorOnto(referenceSnappy(encoded, old.length));
    case 'raw':
      return encoded.length === old.length ? encoded.slice() : null;
    default:
      throw new Error(`no reference decoder for codec ${name}`);
  }
}

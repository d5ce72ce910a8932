/** XOR delta, then Snappy (raw block format). */
import { type Codec, CodecError, checkDecodePage, checkEncodeArgs } from './codec.js';
import { SNAPPY_DECODE, SNAPPY_ENCODE, snappy } from './native.js';
import { Scratch } from './scratch.js';
import { xorInPlace, xorInto } from './words.js';

export class XorSnappyCodec implements Codec {
  readonly name = 'xor-snappy';
  readonly description = 'XOR delta compressed with Snappy';
  readonly kind = 'delta' as const;
  readonly maxPageSize = 1 << 30;
  private readonly delta = new Scratch();

  encode(old: Uint8Array | null, cur: Uint8Array, out: Uint8Array): number {
    checkEncodeArgs(this, old, cur, out);
    const delta = this.delta.get(cur.length);
    if (!xorInto(old as Uint8Array, cur, delta)) return 0;
    // The binding returns a fresh buffer per call; the library offers no caller-owned output.
    const compressed = snappy.compressSync(delta, SNAPPY_ENCODE);
    if (compressed.length > out.length) return -1;
    out.set(compressed);
    return compressed.length;
  }

  decode(encoded: Uint8Array, page: Uint8Array): void {
    checkDecodePage(this, page, encoded);
    const delta = snappyDecode(this.name, encoded, page.length);
    xorInPlace(page, delta);
  }
}

/** Decodes a Snappy block that must expand to exactly `pageLength` bytes. */
export function snappyDecode(codec: string, encoded: Uint8Array, pageLength: number): Uint8Array {
  if (encoded.length === 0) throw new CodecError(codec, 'corrupt Snappy block: empty input');
  // The block starts with its decoded length: check it before the library allocates that much.
  let declared = 0;
  for (let i = 0, shift = 0; ; i++, shift += 7) {
    if (i >= encoded.length || i >= 5) throw new CodecError(codec, 'corrupt Snappy block: bad length prefix');
    declared += (encoded[i]! & 0x7f) * 2 ** shift;
    if (encoded[i]! < 0x80) break;
  }
  if (declared !== pageLength) throw new CodecError(codec, `corrupt Snappy block: declares ${declared} bytes, the page has ${pageLength}`);
  let decoded: Uint8Array;
  try {
    decoded = snappy.uncompressSync(encoded, SNAPPY_DECODE);
  } catch (error) {
    throw new CodecError(codec, `corrupt Snappy block: ${(error as Error).message}`);
  }
  if (decoded.length !== pageLength) {
    throw new CodecError(codec, `corrupt Snappy block: decodes to ${decoded.length} bytes, the page has ${pageLength}`);
  }
  return decoded;
}

/** XOR delta, then one LZ4 block (the native LZ4_compress_default). */
import { type Codec, CodecError, checkDecodePage, checkEncodeArgs } from './codec.js';
import { lz4 } from './native.js';
import { Scratch } from './scratch.js';
import { xorInPlace, xorInto } from './words.js';

export class XorLz4Codec implements Codec {
  readonly name = 'xor-lz4';
  readonly description = 'XOR delta compressed as one LZ4 block';
  readonly kind = 'delta' as const;
  readonly maxPageSize = 1 << 30;
  private readonly delta = new Scratch();

  encode(old: Uint8Array | null, cur: Uint8Array, out: Uint8Array): number {
    checkEncodeArgs(this, old, cur, out);
    const delta = this.delta.get(cur.length);
    if (!xorInto(old as Uint8Array, cur, delta)) return 0;
    if (out.length === 0) return -1;
    const encodedBytes = lz4.encodeBlock(delta, out);
    return encodedBytes > 0 ? encodedBytes : -1;
  }

  decode(encoded: Uint8Array, page: Uint8Array): void {
    checkDecodePage(this, page, encoded);
    if (encoded.length === 0) throw new CodecError(this.name, 'corrupt block: empty input');
    const delta = this.delta.get(page.length);
    const decodedBytes = lz4.decodeBlock(encoded, delta);
    if (decodedBytes < 0) throw new CodecError(this.name, `corrupt LZ4 block (decoder stopped at input byte ${-decodedBytes - 1})`);
    if (decodedBytes !== page.length) {
      throw new CodecError(this.name, `corrupt LZ4 block: decodes to ${decodedBytes} bytes, the page has ${page.length}`);
    }
    xorInPlace(page, delta);
  }
}

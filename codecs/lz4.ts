/** The whole new page as one LZ4 block: no cache needed (the thread's "why not compress everything?"). */
import { type Codec, CodecError, checkDecodePage, checkEncodeArgs } from './codec.js';
import { lz4 } from './native.js';
import { Scratch } from './scratch.js';
import { pagesEqual } from './words.js';

export class Lz4Codec implements Codec {
  readonly name = 'lz4';
  readonly description = 'whole page compressed as one LZ4 block (no cache)';
  readonly kind = 'whole' as const;
  readonly maxPageSize = 1 << 30;
  private readonly decoded = new Scratch();

  encode(old: Uint8Array | null, cur: Uint8Array, out: Uint8Array): number {
    checkEncodeArgs(this, old, cur, out);
    if (old !== null && pagesEqual(old, cur)) return 0;
    if (out.length === 0) return -1;
    const encodedBytes = lz4.encodeBlock(cur, out);
    return encodedBytes > 0 ? encodedBytes : -1;
  }

  decode(encoded: Uint8Array, page: Uint8Array): void {
    checkDecodePage(this, page, encoded);
    if (encoded.length === 0) throw new CodecError(this.name, 'corrupt block: empty input');
    // Decode aside, so a corrupt block leaves the page untouched.
    const decoded = this.decoded.get(page.length);
    const decodedBytes = lz4.decodeBlock(encoded, decoded);
    if (decodedBytes < 0) throw new CodecError(this.name, `corrupt LZ4 block (decoder stopped at input byte ${-decodedBytes - 1})`);
    if (decodedBytes !== page.length) {
      throw new CodecError(this.name, `corrupt LZ4 block: decodes to ${decodedBytes} bytes, the page has ${page.length}`);
    }
    page.set(decoded);
  }
}

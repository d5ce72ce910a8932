/** The page as is: the baseline every other codec is measured against. */
import { type Codec, CodecError, checkDecodePage, checkEncodeArgs } from './codec.js';
import { pagesEqual } from './words.js';

export class RawCodec implements Codec {
  readonly name = 'raw';
  readonly description = 'the page sent as is (baseline)';
  readonly kind = 'whole' as const;
  readonly maxPageSize = 1 << 30;

  encode(old: Uint8Array | null, cur: Uint8Array, out: Uint8Array): number {
    checkEncodeArgs(this, old, cur, out);
    if (old !== null && pagesEqual(old, cur)) return 0;
    if (out.length < cur.length) return -1;
    out.set(cur);
    return cur.length;
  }

  decode(encoded: Uint8Array, page: Uint8Array): void {
    checkDecodePage(this, page, encoded);
    if (encoded.length !== page.length) {
      throw new CodecError(this.name, `corrupt page: ${encoded.length} bytes, expected ${page.length}`);
    }
    page.set(encoded);
  }
}

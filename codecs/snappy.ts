/** The whole new page compressed with Snappy: no cache needed. */
import { type Codec, checkDecodePage, checkEncodeArgs } from './codec.js';
import { SNAPPY_ENCODE, snappy } from './native.js';
import { pagesEqual } from './words.js';
import { snappyDecode } from './xor-snappy.js';

export class SnappyCodec implements Codec {
  readonly name = 'snappy';
  readonly description = 'whole page compressed with Snappy (no cache)';
  readonly kind = 'whole' as const;
  readonly maxPageSize = 1 << 30;

  encode(old: Uint8Array | null, cur: Uint8Array, out: Uint8Array): number {
    checkEncodeArgs(this, old, cur, out);
    if (old !== null && pagesEqual(old, cur)) return 0;
    const compressed = snappy.compressSync(cur, SNAPPY_ENCODE);
    if (compressed.length > out.length) return -1;
    out.set(compressed);
    return compressed.length;
  }

  decode(encoded: Uint8Array, page: Uint8Array): void {
    checkDecodePage(this, page, encoded);
    page.set(snappyDecode(this.name, encoded, page.length));
  }
}

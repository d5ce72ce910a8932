/**
 * The contract every page codec honours.
 *
 * A codec turns a page (`cur`) into bytes for the wire, given the copy the receiver already
 * holds (`old`, the sender's cached copy). `decode` turns the receiver's copy into the new
 * content in place. Delta codecs need `old`; whole-page codecs (lz4, snappy, raw) ignore
 * it for the encoding itself and accept `null` there, meaning "the receiver's copy is
 * unknown": then they always encode.
 */
export interface Codec {
  /** Registry name, e.g. `xbzrle`. */
  readonly name: string;
  /** One line for tables and `--help`. */
  readonly description: string;
  /** `delta` codecs encode `old XOR cur` and need a cache; `whole` codecs send the page itself. */
  readonly kind: 'delta' | 'whole';
  /** Largest page size the format can express (XBZRLE: 16384 with 2-byte ULEB lengths). */
  readonly maxPageSize: number;
  /**
   * Encodes `cur` against `old` into `out`; `out.length` is the limit.
   * Returns the encoded byte count, 0 when the pages are identical (nothing to send), or -1
   * when the encoding does not fit in `out` (overflow). Never writes past `out`.
   */
  encode(old: Uint8Array | null, cur: Uint8Array, out: Uint8Array): number;
  /**
   * Applies `encoded` to `page` (the receiver's old copy) in place.
   * Throws a {@link CodecError} on corrupt or truncated input.
   */
  decode(encoded: Uint8Array, page: Uint8Array): void;
}

/** Raised for corrupt encoded input or a misuse of a codec (length mismatch, empty page). */
export class CodecError extends Error {
  constructor(
    readonly codec: string,
    message: string,
  ) {
    super(`${codec}: ${message}`);
    this.name = 'CodecError';
  }
}

/** Validates the page arguments of `encode`; shared by every codec. */
function describeValue(value: unknown): string {
  if (value === null) return 'null';
  if (typeof value !== 'object') return typeof value;
  return (value as object).constructor?.name ?? 'an object';
}

/** Throws a CodecError naming `what` unless `value` is a Uint8Array (a Buffer is one). */
export function checkBytes(codec: Codec, what: string, value: unknown): void {
  if (!(value instanceof Uint8Array)) throw new CodecError(codec.name, `${what} must be a Uint8Array, got ${describeValue(value)}`);
}

export function checkEncodeArgs(codec: Codec, old: Uint8Array | null, cur: Uint8Array, out?: Uint8Array): void {
  checkBytes(codec, 'the new page (cur)', cur);
  if (out !== undefined) checkBytes(codec, 'the output (out)', out);
  if (old !== null) checkBytes(codec, 'the old page (old)', old);
  if (cur.length === 0) throw new CodecError(codec.name, 'empty page');
  if (cur.length > codec.maxPageSize) {
    throw new CodecError(codec.name, `page of ${cur.length} bytes exceeds the format's limit of ${codec.maxPageSize}`);
  }
  if (old === null) {
    if (codec.kind === 'delta') throw new CodecError(codec.name, 'a delta codec needs the old page');
    return;
  }
  if (old.length !== cur.length) {
    throw new CodecError(codec.name, `page length mismatch: old ${old.length} bytes, new ${cur.length} bytes`);
  }
}

/** Validates the page argument of `decode`. */
export function checkDecodePage(codec: Codec, page: Uint8Array, encoded?: Uint8Array): void {
  checkBytes(codec, 'the page', page);
  if (encoded !== undefined) checkBytes(codec, 'the encoded input', encoded);
  if (page.length === 0) throw new CodecError(codec.name, 'empty page');
  if (page.length > codec.maxPageSize) {
    throw new CodecError(codec.name, `page of ${page.length} bytes exceeds the format's limit of ${codec.maxPageSize}`);
  }
}

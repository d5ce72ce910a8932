/** Codec names -> implementations. Adding a codec: one file, one line here. */
import type { Codec } from './codec.js';
import { Lz4Codec } from './lz4.js';
import { RawCodec } from './raw.js';
import { SnappyCodec } from './snappy.js';
import { XbrleCodec } from './xbrle.js';
import { XbzrleCodec } from './xbzrle.js';
import { XorLz4Codec } from './xor-lz4.js';
import { XorSnappyCodec } from './xor-snappy.js';

const CODECS: Readonly<Record<string, () => Codec>> = {
  xbzrle: () => new XbzrleCodec(),
  xbrle: () => new XbrleCodec(),
  'xor-lz4': () => new XorLz4Codec(),
  'xor-snappy': () => new XorSnappyCodec(),
  lz4: () => new Lz4Codec(),
  snappy: () => new SnappyCodec(),
  raw: () => new RawCodec(),
};

/** The registered codec names, in table order. */
export function codecNames(): string[] {
  return Object.keys(CODECS);
}

/** A new instance of the named codec (each instance owns its scratch buffers). */
export function getCodec(name: string): Codec {
  const make = Object.hasOwn(CODECS, name) ? CODECS[name] : undefined;
  if (make === undefined) {
    throw new Error(`unknown codec "${name}"; valid codecs: ${codecNames().join(', ')}`);
  }
  return make();
}

/**
 * The two compression libraries, loaded once. Both are CommonJS packages with native code:
 * `lz4` builds its addon on install (node-gyp), `snappy` ships a prebuilt N-API binary.
 */
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);

interface Lz4Module {
  /** LZ4_compress_default(src, dst): compressed size, 0 when it does not fit in `dst`. */
  encodeBlock(src: Uint8Array, dst: Uint8Array): number;
  /** LZ4_decompress_safe(src, dst): decoded size, negative on corrupt input. */
  decodeBlock(src: Uint8Array, dst: Uint8Array): number;
  encodeBound(size: number): number;
}

interface SnappyModule {
  compressSync(input: Uint8Array, options: { copyOutputData: boolean }): Uint8Array;
  uncompressSync(input: Uint8Array, options: { asBuffer: true; copyOutputData: boolean }): Uint8Array;
}

export const lz4 = require('lz4') as Lz4Module;
export const snappy = require('snappy') as SnappyModule;

/** The native addon object behind `lz4.encodeBlock`, to prove the C encoder is in use. */
export function lz4NativeAddon(): { compress: unknown; uncompress: unknown } {
  return require('lz4/build/Release/lz4.node') as { compress: unknown; uncompress: unknown };
}

/** The package's pure-JavaScript block codec: an independent LZ4 implementation for cross-checks. */
export function lz4JavaScriptBlock(): {
  compress(src: Uint8Array, dst: Uint8Array): number;
  uncompress(src: Uint8Array, dst: Uint8Array): number;
} {
  return require('lz4/lib/binding') as ReturnType<typeof lz4JavaScriptBlock>;
}

// snappy's default output path hands V8 external memory that is never reclaimed: always copy.
export const SNAPPY_ENCODE = { copyOutputData: true } as const;
export const SNAPPY_DECODE = { asBuffer: true, copyOutputData: true } as const;

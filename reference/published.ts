/** Published figures from the origin thread (described in docs/reference.md). */

/** Our codec standing in for each 2011 column (LZ4 replaces LZO). */
export const SEED_CODEC_COLUMNS = [
  { published: 'xblzo', ours: 'xor-lz4' },
  { published: 'xbsnappy', ours: 'xor-snappy' },
  { published: 'xbrle', ours: 'xbrle' },
  { published: 'xbzrle', ours: 'xbzrle' },
] as const;

export interface PublishedCodecFigure {
  encodeMBps: number;
  sizePercent: number;
  decodeMBps: number;
}

/** scenario -> published codec column -> figures (2011, one core, Linux 2.6.35). */
export const SEED_CODEC_TABLE: Record<string, Record<string, PublishedCodecFigure>> = {
  SPARSE: {
    xblzo: { encodeMBps: 997, sizePercent: 2.82, decodeMBps: 1462 },
    xbsnappy: { encodeMBps: 1122, sizePercent: 6.14, decodeMBps: 1225 },
    xbrle: { encodeMBps: 221, sizePercent: 3.08, decodeMBps: 630 },
    xbzrle: { encodeMBps: 2142, sizePercent: 3.55, decodeMBps: 2817 },
  },
  MEDIUM: {
    xblzo: { encodeMBps: 820, sizePercent: 6.34, decodeMBps: 1492 },
    xbsnappy: { encodeMBps: 912, sizePercent: 9.27, decodeMBps: 1189 },
    xbrle: { encodeMBps: 219, sizePercent: 10.31, decodeMBps: 610 },
    xbzrle: { encodeMBps: 1994, sizePercent: 8.37, decodeMBps: 2809 },
  },
  DENSE: {
    xblzo: { encodeMBps: 502, sizePercent: 21.37, decodeMBps: 1116 },
    xbsnappy: { encodeMBps: 426, sizePercent: 22.8, decodeMBps: 953 },
    xbrle: { encodeMBps: 212, sizePercent: 41.44, decodeMBps: 553 },
    xbzrle: { encodeMBps: 1666, sizePercent: 31.92, decodeMBps: 2441 },
  },
  'VERY-DENSE': {
    xblzo: { encodeMBps: 366, sizePercent: 32.29, decodeMBps: 866 },
    xbsnappy: { encodeMBps: 304, sizePercent: 33.46, decodeMBps: 762 },
    xbrle: { encodeMBps: 208, sizePercent: 72.78, decodeMBps: 486 },
    xbzrle: { encodeMBps: 1730, sizePercent: 54.92, decodeMBps: 2167 },
  },
};

/** XBZRLE encoded sizes of the canonical page pairs, exactly (bytes per 4096-byte page). */
export const CANONICAL_XBZRLE_BYTES: Record<string, number> = {
  SPARSE: 59,
  MEDIUM: 215,
  DENSE: 918,
  'VERY-DENSE': 1530,
};

/** QEMU's own C encoder on this machine class (GB/s), for the speed targets. */
export const QEMU_C_XBZRLE_GBPS: Record<string, { encode: number; decode: number }> = {
  SPARSE: { encode: 4.0, decode: 15 },
  MEDIUM: { encode: 3.7, decode: 9.5 },
  DENSE: { encode: 2.7, decode: 3.5 },
  'VERY-DENSE': { encode: 2.1, decode: 3.7 },
};

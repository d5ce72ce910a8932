/**
 * Codec names -> definitions. Adding a codec: one file with the Codec class, one line in
 * CODECS (or registerCodec at run time); docs/extending.md has the checklist.
 */
import { addDefinition, type Definition } from '../registry/definition.js';
import type { Codec } from './codec.js';
import { Lz4Codec } from './lz4.js';
import { RawCodec } from './raw.js';
import { SnappyCodec } from './snappy.js';
import { type CodecThroughput, flatThroughput, measureThroughput, scaledFrom2011, XBZRLE_THROUGHPUT } from './throughput.js';
import { XbrleCodec } from './xbrle.js';
import { XbzrleCodec } from './xbzrle.js';
import { XorLz4Codec } from './xor-lz4.js';
import { XorSnappyCodec } from './xor-snappy.js';

/** Codecs take no spec parameters today; `params` documents any a future one takes. */
export interface CodecDefinition extends Definition<string> {
  readonly kind: Codec['kind'];
  /**
   * What `--cpu model` charges per page class (docs/migration.md). A codec without figures is
   * measured once per process and page size (measureThroughput), so runs with it are not
   * reproducible across machines.
   */
  readonly cpuModel?: CodecThroughput;
  /** A new instance (each owns its scratch buffers). */
  create(): Codec;
}

/** A definition read off the class itself (name, description and kind said once). */
export function defineCodec(create: () => Codec, extra: { cpuModel?: CodecThroughput; params?: Readonly<Record<string, string>> } = {}): CodecDefinition {
  const probe = create();
  return { name: probe.name, description: probe.description, kind: probe.kind, params: extra.params ?? {}, create, ...(extra.cpuModel ? { cpuModel: extra.cpuModel } : {}) };
}

const CODECS: CodecDefinition[] = [
  defineCodec(() => new XbzrleCodec(), { cpuModel: XBZRLE_THROUGHPUT }),
  // xblzo in the 2011 table stands for xor-lz4.
  defineCodec(() => new XbrleCodec(), { cpuModel: scaledFrom2011('xbrle') }),
  defineCodec(() => new XorLz4Codec(), { cpuModel: scaledFrom2011('xblzo') }),
  defineCodec(() => new XorSnappyCodec(), { cpuModel: scaledFrom2011('xbsnappy') }),
  // The lz4 project's published lzbench figures: LZ4 1.9 default, Snappy 1.1.4.
  defineCodec(() => new Lz4Codec(), { cpuModel: flatThroughput(780, 4970) }),
  defineCodec(() => new SnappyCodec(), { cpuModel: flatThroughput(565, 1950) }),
  // A page copy: nominal memcpy.
  defineCodec(() => new RawCodec(), { cpuModel: flatThroughput(10_000, 10_000) }),
];

/** The registered codec names, in table order (the default list of every bench and the gate). */
export function codecNames(): string[] {
  return CODECS.map((definition) => definition.name);
}

export function getCodecDefinition(name: string): CodecDefinition {
  const definition = CODECS.find((candidate) => candidate.name === name);
  if (definition === undefined) throw new Error(`unknown codec "${name}"; valid codecs: ${codecNames().join(', ')}`);
  return definition;
}

/** A new instance of the named codec (each instance owns its scratch buffers). */
export function getCodec(name: string): Codec {
  return getCodecDefinition(name).create();
}

/**
 * Adds a codec at run time (a plug-in, a test). It is known in this thread only: experiment
 * workers load the registry afresh, so run such experiments with `workers: 0`.
 */
export function registerCodec(definition: CodecDefinition): void {
  addDefinition(CODECS, definition, 'codec');
}

const measured = new Map<string, CodecThroughput>();

/** The codec's declared model throughput, or (once per process and page size) its measured one. */
export function codecThroughput(name: string, pageSize: number): { throughput: CodecThroughput; source: 'declared' | 'measured' } {
  const definition = getCodecDefinition(name);
  if (definition.cpuModel !== undefined) return { throughput: definition.cpuModel, source: 'declared' };
  const key = `${name}/${pageSize}`;
  let throughput = measured.get(key);
  if (throughput === undefined) {
    throughput = measureThroughput(definition.create, pageSize);
    measured.set(key, throughput);
  }
  return { throughput, source: 'measured' };
}

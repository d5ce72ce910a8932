// docs/extending.md, proved: a codec, a cache policy and a workload defined in this file and
// added through the registries' public register functions run through the codec bench, the
// cache simulator, a migration (under --cpu model, which measures a codec without figures) and
// an experiment, with figures computable by hand.
import { describe, expect, it } from 'vitest';
import { BaseCache, type ResolvedCacheOptions } from '../../caches/base.js';
import { cacheNames, createCache, registerCachePolicy } from '../../caches/registry.js';
import type { PolicyDefinition } from '../../caches/spec.js';
import { type Codec, CodecError, checkDecodePage, checkEncodeArgs } from '../../codecs/codec.js';
import { codecNames, codecThroughput, defineCodec, getCodec, registerCodec } from '../../codecs/registry.js';
import { benchmarkCodecs } from '../../harness/codec-bench.js';
import { simulateCaches } from '../../harness/cache/sim.js';
import { parseExperiment } from '../../harness/experiment/experiment.js';
import { runExperiment } from '../../harness/experiment/runner.js';
import { simulateMigration } from '../../harness/migration/simulate.js';
import { COMMON_PARAMS, readCommon, validKeys, type WorkloadDefinition } from '../../workloads/definition.js';
import { Generator } from '../../workloads/generator.js';
import type { DirtyTracker, GuestMemory } from '../../workloads/memory.js';
import { createWorkload, registerWorkload, workloadNames } from '../../workloads/registry.js';
import { canonicalOldPages, getScenario, scenarioPages } from '../../workloads/scenarios.js';

/** Delta codec: (u16 offset little-endian, new byte) per changed byte; 3 bytes per change. */
class ChangedBytesCodec implements Codec {
  readonly name = 'test-changed-bytes';
  readonly description = 'test codec: offset and value of each changed byte';
  readonly kind = 'delta' as const;
  readonly maxPageSize = 65536;
  encode(old: Uint8Array | null, cur: Uint8Array, out: Uint8Array): number {
    checkEncodeArgs(this, old, cur);
    let size = 0;
    for (let i = 0; i < cur.length; i++) {
      if (cur[i] === old![i]) continue;
      if (size + 3 > out.length) return -1;
      out[size] = i & 0xff;
      out[size + 1] = i >>> 8;
      out[size + 2] = cur[i]!;
      size += 3;
    }
    return size;
  }
  decode(encoded: Uint8Array, page: Uint8Array): void {
    checkDecodePage(this, page);
    if (encoded.length % 3 !== 0) throw new CodecError(this.name, 'truncated entry');
    for (let at = 0; at < encoded.length; at += 3) {
      const offset = encoded[at]! | (encoded[at + 1]! << 8);
      if (offset >= page.length) throw new CodecError(this.name, `offset ${offset} beyond the page`);
      page[offset] = encoded[at + 2]!;
    }
  }
}

/** Direct-mapped cache: key k lives in slot k mod capacity. */
class ModuloCache extends BaseCache {
  private readonly keyOf: Float64Array;
  constructor(spec: string, options: ResolvedCacheOptions) {
    super(spec, options);
    this.keyOf = new Float64Array(options.capacityPages).fill(-1);
  }
  protected lookupKey(key: number): number {
    const slot = key % this.capacityPages;
    return this.keyOf[slot] === key ? slot : -1;
  }
  protected insertKey(key: number): number {
    const slot = key % this.capacityPages;
    if (this.keyOf[slot]! >= 0) this.evictions++;
    this.keyOf[slot] = key;
    return slot;
  }
}

const moduloPolicy: PolicyDefinition = {
  name: 'test-modulo',
  description: 'test policy: direct-mapped, slot = page mod capacity',
  params: {},
  create: (spec, options) => new ModuloCache(spec, options),
};

/** Writes byte 0 of pages 0, stride, 2 x stride, ... of its region, wrapping. */
class Stride extends Generator {
  private next = 0;
  constructor(
    setup: ConstructorParameters<typeof Generator>[0],
    private readonly stride: number,
  ) {
    super(setup);
  }
  protected override reset(): void {
    this.next = 0;
  }
  protected apply(memory: GuestMemory, count: number, dirty: DirtyTracker): void {
    const { first, count: pages } = this.region;
    for (let event = 0; event < count; event++) {
      const page = first + this.next;
      this.next = (this.next + this.stride) % pages;
      memory.chunks[page >>> memory.chunkShift]![(page & memory.chunkMask) * this.pageSize]! += 1;
      dirty.markDirty(page);
    }
  }
}

const strideWorkload: WorkloadDefinition = {
  name: 'test-stride',
  description: 'test workload: one byte of every stride-th page, in order',
  params: { rate: 'page writes per second (default 1000)', stride: 'pages between writes (default 7)', ...COMMON_PARAMS },
  create(params, context) {
    const common = readCommon(params, context, 'zero');
    const rate = params.rate(1000);
    const stride = params.number('stride', 7, { min: 1, integer: true });
    params.done(validKeys(strideWorkload));
    return new Stride({ spec: params.spec(), seed: common.seed, region: common.region, content: common.content, pageSize: context.pageSize, rate, params: params.resolved }, stride);
  },
};

registerCodec(defineCodec(() => new ChangedBytesCodec()));
registerCachePolicy(moduloPolicy);
registerWorkload(strideWorkload);

describe('extending: one definition, one register call', () => {
  it('the three are listed, and a taken or malformed name is refused in one line', () => {
    expect(codecNames()).toContain('test-changed-bytes');
    expect(cacheNames()).toContain('test-modulo');
    expect(workloadNames()).toContain('test-stride');
    expect(() => registerCodec(defineCodec(() => new ChangedBytesCodec()))).toThrow('codec "test-changed-bytes" is already registered');
    expect(() => registerCachePolicy({ ...moduloPolicy, name: 'LRU two' })).toThrow(/cache policy name "LRU two" must be lower-case/);
    expect(() => registerWorkload(strideWorkload)).toThrow('workload "test-stride" is already registered');
  });

  it('the spec grammar and its errors are those of the built-ins', () => {
    expect(() => createCache('test-modulo:ways=2', { capacityPages: 4 })).toThrow('test-modulo: unknown parameter "ways"; valid: test-modulo takes no parameters');
    expect(() => createWorkload('test-stride:stride=0', { pageCount: 64 })).toThrow('workload "test-stride": stride=0 must be >= 1');
    expect(() => createWorkload('test-stride:stride=2,stride=3', { pageCount: 64 })).toThrow('workload "test-stride": parameter "stride" given twice');
    expect(createWorkload('test-stride:stride=3', { pageCount: 64 }).spec).toMatch(/^test-stride:.*stride=3/);
  });

  it('codec bench: 3 bytes per changed byte of each canonical pair, every page decoded back', async () => {
    const { rows } = await benchmarkCodecs({ codecs: ['test-changed-bytes'], scenarios: ['SPARSE', 'DENSE'], pages: 16, timeMs: 5, batchPages: 16 });
    expect(rows.map((row) => [row.scenario, row.verified])).toEqual([
      ['SPARSE', true],
      ['DENSE', true],
    ]);
    // The same pool the bench builds; a written byte may equal the old one, so count differences.
    const old = canonicalOldPages(16, 4096);
    for (const row of rows) {
      const cur = scenarioPages(old, getScenario(row.scenario), 4096);
      let changed = 0;
      for (let i = 0; i < old.length; i++) if (old[i] !== cur[i]) changed++;
      expect(row.encodedBytes).toBeCloseTo((3 * changed) / 16, 9);
    }
  });

  it('cache sim: direct-mapped hits counted by hand', async () => {
    // Capacity 4: 0,1,0,1 -> 2 hits; 0 and 4 share slot 0 -> 4,0,4 all miss.
    const keys = Float64Array.from([0, 1, 0, 1, 4, 0, 4]);
    const rows = await simulateCaches({ keys, traceName: 'hand', policies: ['test-modulo', 'lru'], capacities: [4] });
    expect(rows.map((row) => [row.policy, row.hits, row.misses])).toEqual([
      ['test-modulo', 2, 5],
      ['lru', 4, 3],
    ]);
  });

  it('migrate under --cpu model: the codec without figures is measured, not refused, and the run verifies', () => {
    // A slow link and a tight limit: several passes, so pages sent once (cached) are sent again.
    const result = simulateMigration({
      workload: 'test-stride:rate=2000,stride=5,content=random',
      ramBytes: 2 ** 20,
      bandwidthBps: 20e6 / 8,
      downtimeLimitMs: 10,
      maxRounds: 8,
      codec: 'test-changed-bytes',
      cache: 'test-modulo',
      cacheBytes: 2 ** 20,
      cpu: 'model',
      maxBandwidthBps: 0,
      wireHeaders: false,
    });
    expect(result.verified).toBe(true);
    // Each page is re-sent with only byte 0 changed since its cached copy: 3 bytes of delta,
    // plus the 3-byte encoding header (flag, 16-bit length) QEMU puts before every delta page.
    expect(result.wire.delta.pages).toBeGreaterThan(0);
    expect(result.wire.delta.bytes).toBe((3 + 3) * result.wire.delta.pages);
    expect(result.wire.delta).toEqual(result.wire.xbzrle);
    expect(codecThroughput('test-changed-bytes', 4096).source).toBe('measured');
    expect(codecThroughput('xbzrle', 4096).source).toBe('declared');
    expect(result.timeline.find((entry) => entry.pagesDelta > 0)).toBeDefined();
    expect(getCodec('test-changed-bytes')).toBeInstanceOf(ChangedBytesCodec);
  });

  it('an experiment (in this thread) runs migration, codec and cache cells with all three', async () => {
    const experiment = parseExperiment({
      name: 'extending',
      kinds: ['migration', 'codec', 'cache'],
      codecs: ['test-changed-bytes'],
      caches: ['test-modulo'],
      cacheSizes: ['256K'],
      workloads: ['test-stride:rate=2000,stride=5'],
      guestSizes: ['1M'],
      scenarios: ['SPARSE'],
      settings: { cpu: 'model', maxRounds: 10, codecPages: 16, codecTimeMs: 5, cacheDuration: '200ms' },
    });
    const summary = await runExperiment(experiment, { workers: 0 });
    const kinds = summary.rows.map((row) => (row as unknown as { kind: string }).kind).sort();
    expect(kinds).toEqual(['cache', 'codec', 'migration']);
    for (const row of summary.rows) expect(JSON.stringify(row)).not.toMatch(/"error"/);
  });
});

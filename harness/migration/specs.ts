/** Spec strings -> workload and cache instances, through the registries of workloads/ and caches/. */
import type { PageCache } from '../../caches/cache.js';
import { createCache } from '../../caches/registry.js';
import type { Workload } from '../../workloads/workload.js';
import { createWorkload } from '../../workloads/registry.js';
import type { ResolvedOptions } from './options.js';

export function resolveWorkload(workload: string | Workload, options: ResolvedOptions): Workload {
  if (typeof workload === 'object') return workload;
  return createWorkload(workload, { pageCount: options.pageCount, pageSize: options.pageSize, seed: options.seed });
}

/** The cache holds cacheBytes / pageSize pages (QEMU: cache-size / page size slots), with their contents. */
export function resolveCache(spec: string, options: ResolvedOptions): PageCache {
  return createCache(spec, { capacityPages: Math.floor(options.cacheBytes / options.pageSize), pageSize: options.pageSize, storeData: true });
}

/** A cache spec given with a codec that uses no cache is still checked, so a typo is not silently ignored. */
export function checkCacheSpec(spec: string): void {
  createCache(spec, { capacityPages: 1, pageSize: 8, storeData: false });
}

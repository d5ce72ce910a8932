/** Spec strings -> workload and cache instances, through the registries of workloads/ and caches/. */
import type { PageCache } from '../../caches/cache.js';
import type { Workload } from '../../workloads/workload.js';
import type { ResolvedOptions } from './options.js';

export function resolveWorkload(workload: string | Workload, _options: ResolvedOptions): Workload {
  if (typeof workload === 'object') return workload;
  throw new Error(`workload specs need the workload registry (not merged yet): ${workload}`);
}

export function resolveCache(spec: string, _options: ResolvedOptions): PageCache {
  throw new Error(`cache specs need the cache registry (not merged yet): ${spec}`);
}

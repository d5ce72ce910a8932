/** The simulated pre-copy live migration (harness/migration/*): the public entry points. */
export { simulateMigration } from './migration/simulate.js';
export {
  DEFAULTS as MIGRATION_DEFAULTS,
  MIGRATION_MODES,
  type MigrationMode,
  type MigrationOptions,
  type RoundEntry,
} from './migration/options.js';
export type { MigrationResult, WireCount } from './migration/stats.js';
export { CPU_MODEL_TABLE, CPU_MODES, type CodecThroughput, type CpuMode } from './migration/cpu.js';
export { MigrationVerificationError, type VerifyMode } from './migration/destination.js';
export { formatBytes, parseDuration, parseRate, parseSize } from '../units/quantities.js';
export {
  buildPlacement,
  defaultPlacement,
  explicitPlacement,
  GUEST_PROGRAM_WORKLOADS,
  invertPlacement,
  type Placement,
  parsePlacement,
  placeAround,
  slotsUsed,
} from './migration/placement.js';

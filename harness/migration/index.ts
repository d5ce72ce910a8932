/** `pagedelta/migration`: the simulated pre-copy live migration, its options, defaults and report. */
export { simulateMigration } from './simulate.js';
export {
  DEFAULT_FLAGS as MIGRATION_DEFAULT_FLAGS,
  DEFAULTS as MIGRATION_DEFAULTS,
  MIGRATION_MODES,
  type MigrationMode,
  type MigrationOptions,
  type RoundEntry,
} from './options.js';
export type { MigrationResult, WireCount } from './stats.js';
export { CPU_MODEL_TABLE, CPU_MODES, type CodecThroughput, type CpuMode, CpuModel } from './cpu.js';
export { MigrationVerificationError, type VerifyMode } from './destination.js';
export { migrationTables } from './report.js';
export { formatBytes, parseDuration, parseRate, parseSize } from '../../units/quantities.js';
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
} from './placement.js';

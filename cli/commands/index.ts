/** Every CLI command, one module each. Adding a command: one file, one line here. */
import type { CommandModule } from 'yargs';
import { cachesCommand } from './caches.js';
import { codecsCommand } from './codecs.js';
import { migrateCommand } from './migrate.js';
import { reproduceCommand } from './reproduce.js';
import { scaleCommand } from './scale.js';
import { traceCommand } from './trace.js';
import { workloadsCommand } from './workloads.js';
import { qemuCommand } from './qemu.js';
// harness (issue #6)
import { gateCommand } from './gate.js';
import { mergeCommand } from './merge.js';
import { plotCommand } from './plot.js';
import { reportCommand } from './report.js';
import { runCommand } from './run.js';
import { tableCommand } from './table.js';

// biome-ignore lint: yargs command modules differ in their argument types
export const commands: CommandModule<any, any>[] = [
  codecsCommand,
  reproduceCommand,
  cachesCommand,
  traceCommand,
  workloadsCommand,
  migrateCommand,
  scaleCommand,
  qemuCommand,
  // harness (issue #6)
  runCommand,
  mergeCommand,
  tableCommand,
  plotCommand,
  reportCommand,
  gateCommand,
];

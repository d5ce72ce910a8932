/** Every CLI command, one module each. Adding a command: one file, one line here. */
import type { CommandModule } from 'yargs';
import { cachesCommand } from './caches.js';
import { codecsCommand } from './codecs.js';
import { migrateCommand } from './migrate.js';
import { reproduceCommand } from './reproduce.js';
import { traceCommand } from './trace.js';
import { workloadsCommand } from './workloads.js';

// biome-ignore lint: yargs command modules differ in their argument types
export const commands: CommandModule<any, any>[] = [codecsCommand, reproduceCommand, cachesCommand, traceCommand, workloadsCommand, migrateCommand];

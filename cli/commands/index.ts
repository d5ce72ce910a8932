/** Every CLI command, one module each. Adding a command: one file, one line here. */
import type { Argv, CommandModule } from 'yargs';
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

/** Examples shown by each command's --help, by command name (the first word of `command`). */
const EXAMPLES: Readonly<Record<string, readonly [string, string][]>> = {
  codecs: [
    ['pagedelta codecs list', 'the registered codecs'],
    ['pagedelta codecs bench --codec xbzrle,xor-lz4 --scenario SPARSE,DENSE', 'sizes and throughput on the canonical pairs'],
  ],
  reproduce: [
    ['pagedelta reproduce seed-codecs', 'the 2011 codec table beside ours, with verdicts'],
    ['pagedelta reproduce convergence-map --quick --format json', 'a quick run as JSON rows'],
  ],
  caches: [
    ['pagedelta caches list', 'policies and their parameters'],
    ['pagedelta caches sim --workload zipf:skew=0.9 --policy lru,qemu --capacity 4096 --duration 5s', 'hit ratios on a workload'],
  ],
  trace: [
    ['pagedelta trace synth --workload zipf:rate=20000 --ram 64M --duration 10s --out z.pdtrace', 'write a synthetic trace'],
    ['pagedelta trace info z.pdtrace', 'what a trace holds'],
  ],
  workloads: [
    ['pagedelta workloads list', 'generators and their parameters'],
    ['pagedelta workloads bench --workload zipf:rate=100000', 'generator cost'],
  ],
  migrate: [
    ['pagedelta migrate --workload zipf:skew=0.9,rate=20000 --ram 1G', 'one migration with QEMU defaults'],
    ['pagedelta migrate --workload hotset:hot=2048 --codec xor-lz4 --downtime-limit 100ms --xbzrle-cache-size 32M', "QEMU's parameter names work too"],
  ],
  scale: [['pagedelta scale 256M,1G', 'memory use per guest size']],
  qemu: [
    ['pagedelta qemu check', 'what the harness finds (QEMU, gcc, kernel, accelerator)'],
    ['pagedelta qemu compare --workload hotset:hot=8192,rate=20000,content=random --xbzrle --cache-size 32M --accel tcg', 'one real migration beside the simulator'],
    ['pagedelta qemu validate --accel tcg --markdown docs/validation.md', 'regenerate the validation table'],
  ],
  run: [
    ['pagedelta run experiments/example.yaml', 'every cell, rows appended to experiments/example.jsonl'],
    ['pagedelta run grid.yaml --shard 2/8', 'one slice of eight'],
  ],
  merge: [['pagedelta merge a.jsonl b.jsonl --out all.jsonl', 'shards back into one results file']],
  table: [['pagedelta table grid.jsonl --metric downtime --pivot cacheBytes', 'a metric, one column per cache size']],
  plot: [['pagedelta plot grid.jsonl --kind downtime-vs-cache-size --out downtime.png', 'one figure (needs the optional plotting packages)']],
  report: [['pagedelta report grid.jsonl --out report.html', 'tables and plots in one page']],
  gate: [
    ['pagedelta gate --baseline results/baseline.json', 'compare with the committed baseline'],
    ['pagedelta gate --update --baseline results/baseline.json', 'record a new baseline'],
  ],
};

export const EPILOG = 'Docs: README.md and docs/ (shipped in the package): units.md, migration.md, qemu.md, validation.md, experiments.md, extending.md.';

/** Each command with its examples added to its builder (kept here so command files stay flag-only). */
function withExamples(command: CommandModule<any, any>): CommandModule<any, any> {
  const name = String(command.command ?? '').split(' ')[0]!;
  const examples = EXAMPLES[name] ?? [];
  const builder = command.builder;
  return {
    ...command,
    builder: (yargs: Argv) => {
      let built = (typeof builder === 'function' ? builder(yargs) : builder ? yargs.options(builder) : yargs) as Argv;
      for (const [example, meaning] of examples) built = built.example(example, meaning);
      return built.epilog(EPILOG);
    },
  };
}

/** Command names that have examples (tests check every command has some). */
export const EXAMPLE_COMMANDS = Object.keys(EXAMPLES);

// biome-ignore lint: yargs command modules differ in their argument types
const allCommands: CommandModule<any, any>[] = [
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

// biome-ignore lint: yargs command modules differ in their argument types
export const commands: CommandModule<any, any>[] = allCommands.map(withExamples);

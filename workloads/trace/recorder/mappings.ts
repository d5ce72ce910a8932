/**
 * Which address ranges of a process the recorder reads: /proc/PID/maps parsed into the
 * readable, writable mappings (private and shared), narrowed by name, path or size, and the
 * guest RAM block of a QEMU process laid out at guest-physical page numbers.
 */

export interface Mapping {
  start: number;
  end: number;
  perms: string;
  name: string;
}

/** Parses /proc/PID/maps text into the readable, writable mappings worth recording (shared ones included). */
export function parseMaps(text: string): Mapping[] {
  const mappings: Mapping[] = [];
  for (const line of text.split('\n')) {
    const match = /^([0-9a-f]+)-([0-9a-f]+)\s+(\S{4})\s+\S+\s+\S+\s+\d+\s*(.*)$/.exec(line);
    if (!match) continue;
    const perms = match[3]!;
    const name = match[4]!.trim();
    if (perms[0] !== 'r' || perms[1] !== 'w') continue;
    if (name === '[vvar]' || name === '[vvar_vclock]' || name === '[vsyscall]') continue;
    const start = Number.parseInt(match[1]!, 16);
    const end = Number.parseInt(match[2]!, 16);
    if (!(end > start) || end > Number.MAX_SAFE_INTEGER) continue;
    mappings.push({ start, end, perms, name });
  }
  return mappings;
}

export interface MappingSelection {
  /** Keep mappings whose name is one of these: exact (`[heap]`, `/dev/shm/x`), without brackets (`heap`), or a path's base name (`libc.so.6`). */
  names?: string[];
  /** Keep the N largest (after `names`). */
  largest?: number;
}

function nameMatches(mapping: Mapping, wanted: string): boolean {
  const name = mapping.name;
  if (name === wanted) return true;
  if (wanted === 'anon' && name === '') return true;
  if (name.startsWith('[') && name.slice(1, -1) === wanted) return true;
  const base = name.slice(name.lastIndexOf('/') + 1);
  return base === wanted || base === `${wanted} (deleted)`;
}

/** The mappings the selection keeps, in address order. */
export function selectMappings(mappings: Mapping[], selection: MappingSelection): Mapping[] {
  let kept = mappings;
  if (selection.names && selection.names.length > 0) kept = kept.filter((mapping) => selection.names!.some((wanted) => nameMatches(mapping, wanted)));
  if (selection.largest !== undefined) {
    const largest = [...kept].sort((a, b) => b.end - b.start - (a.end - a.start) || a.start - b.start).slice(0, selection.largest);
    kept = kept.filter((mapping) => largest.includes(mapping));
  }
  return kept;
}

/** Parses a QEMU `-m` value (`64M`, `2G`, `size=4G,maxmem=8G`, `512`: MiB) into bytes. */
export function parseQemuMemory(value: string): number | undefined {
  const size = /(?:^|,)(?:size=)?([0-9]+(?:\.[0-9]+)?)([kmgt]?)b?(?:,|$)/i.exec(value.trim());
  if (!size) return undefined;
  const unit = size[2]!.toLowerCase();
  const scale = unit === '' || unit === 'm' ? 2 ** 20 : unit === 'k' ? 2 ** 10 : unit === 'g' ? 2 ** 30 : 2 ** 40;
  return Math.round(Number(size[1]) * scale);
}

export interface QemuGuest {
  ramBytes: number;
  machine: string;
  /** Guest RAM below the 4 GiB boundary; the rest sits from 4 GiB up. */
  belowFourGiB: number;
}

/**
 * The guest geometry from a QEMU command line (argv). RAM defaults to 128 MiB. x86 pc
 * machines put RAM at guest-physical 0 up to a "low memory" limit and the rest from 4 GiB:
 * i440fx (`pc`, the default) keeps all RAM low below 3.5 GiB and otherwise 3 GiB low;
 * q35 keeps all RAM low below 2.75 GiB and otherwise 2 GiB low.
 */
export function qemuGuest(argv: string[]): QemuGuest {
  let ramBytes = 128 * 2 ** 20;
  let machine = 'pc';
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    const value = (flag: string): string | undefined => {
      if (arg === flag || arg === `-${flag}`) return argv[i + 1];
      for (const prefix of [`${flag}=`, `-${flag}=`]) if (arg.startsWith(prefix)) return arg.slice(prefix.length);
      return undefined;
    };
    const memory = value('-m');
    if (memory !== undefined) ramBytes = parseQemuMemory(memory) ?? ramBytes;
    const type = value('-M') ?? value('-machine');
    if (type !== undefined) machine = /(?:^|,)(?:type=)?([^,=]+)(?:,|$)/.exec(type)?.[1] ?? machine;
  }
  const q35 = /q35/.test(machine);
  const limit = q35 ? (ramBytes >= 0xb0000000 ? 0x80000000 : ramBytes) : ramBytes >= 0xe0000000 ? 0xc0000000 : ramBytes;
  return { ramBytes, machine, belowFourGiB: Math.min(ramBytes, limit) };
}

/**
 * The guest RAM block of a QEMU process: the largest writable mapping exactly the guest's
 * RAM size (anonymous, or a memory backend file), or undefined.
 */
export function findGuestRam(mappings: Mapping[], ramBytes: number): Mapping | undefined {
  let best: Mapping | undefined;
  for (const mapping of mappings) {
    if (mapping.end - mapping.start !== ramBytes) continue;
    if (!best || (best.name !== '' && mapping.name === '')) best = mapping;
  }
  return best;
}

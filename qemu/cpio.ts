/**
 * A minimal cpio "newc" archive writer and reader: the format the Linux kernel unpacks as an
 * initramfs. Each entry is a 110-byte ASCII header (magic 070701, then 13 eight-digit hex
 * fields), the NUL-terminated name, padding to 4 bytes, the data, padding to 4 bytes; the
 * archive ends with an entry named TRAILER!!!.
 */

export interface CpioEntry {
  name: string;
  /** File type and permission bits, e.g. 0o100755 (regular file), 0o040755 (directory), 0o020600 (char device). */
  mode: number;
  data?: Uint8Array;
  /** Device numbers of a character or block device node. */
  rdevMajor?: number;
  rdevMinor?: number;
}

export const CPIO_TRAILER = 'TRAILER!!!';
const HEADER_BYTES = 110;
const pad4 = (length: number): number => (4 - (length % 4)) % 4;
const hex8 = (value: number): string => value.toString(16).padStart(8, '0');

/** The archive of `entries` (in order), with the trailer appended. */
export function writeCpio(entries: readonly CpioEntry[]): Uint8Array {
  const parts: Uint8Array[] = [];
  const encoder = new TextEncoder();
  const all = [...entries, { name: CPIO_TRAILER, mode: 0 }];
  all.forEach((entry, index) => {
    const data = entry.data ?? new Uint8Array(0);
    const name = encoder.encode(`${entry.name}\0`);
    const fields = [
      index + 1, // inode
      entry.mode,
      0, // uid
      0, // gid
      (entry.mode & 0o170000) === 0o040000 ? 2 : 1, // nlink
      0, // mtime: fixed, so the archive depends only on its contents
      data.length,
      0, // dev major
      0, // dev minor
      entry.rdevMajor ?? 0,
      entry.rdevMinor ?? 0,
      name.length,
      0, // checksum (unused by newc)
    ];
    const header = encoder.encode(`070701${fields.map(hex8).join('')}`);
    parts.push(header, name, new Uint8Array(pad4(HEADER_BYTES + name.length)), data, new Uint8Array(pad4(data.length)));
  });
  const total = parts.reduce((sum, part) => sum + part.length, 0);
  const archive = new Uint8Array(total);
  let offset = 0;
  for (const part of parts) {
    archive.set(part, offset);
    offset += part.length;
  }
  return archive;
}

/** Parses a newc archive (the trailer is not returned). Throws one line on a malformed archive. */
export function readCpio(archive: Uint8Array): CpioEntry[] {
  const decoder = new TextDecoder();
  const entries: CpioEntry[] = [];
  let offset = 0;
  for (;;) {
    if (offset + HEADER_BYTES > archive.length) throw new Error(`cpio archive truncated at byte ${offset} (no ${CPIO_TRAILER})`);
    const header = decoder.decode(archive.subarray(offset, offset + HEADER_BYTES));
    if (!header.startsWith('070701')) throw new Error(`cpio entry at byte ${offset} has magic "${header.slice(0, 6)}", expected 070701`);
    const field = (index: number): number => Number.parseInt(header.slice(6 + index * 8, 14 + index * 8), 16);
    const mode = field(1);
    const size = field(6);
    const nameLength = field(11);
    const nameStart = offset + HEADER_BYTES;
    const name = decoder.decode(archive.subarray(nameStart, nameStart + nameLength - 1));
    const dataStart = nameStart + nameLength + pad4(HEADER_BYTES + nameLength);
    if (name === CPIO_TRAILER) return entries;
    if (dataStart + size > archive.length) throw new Error(`cpio entry "${name}" runs past the end of the archive`);
    entries.push({ name, mode, data: archive.slice(dataStart, dataStart + size), rdevMajor: field(9), rdevMinor: field(10) });
    offset = dataStart + size + pad4(size);
  }
}

/** The initramfs of the harness: /dev/console (so /init has a console), /proc, and /init. */
export function initramfsEntries(init: Uint8Array): CpioEntry[] {
  return [
    { name: 'dev', mode: 0o040755 },
    { name: 'dev/console', mode: 0o020600, rdevMajor: 5, rdevMinor: 1 },
    { name: 'proc', mode: 0o040555 },
    { name: 'init', mode: 0o100755, data: init },
  ];
}

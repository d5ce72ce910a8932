// The initramfs: a cpio newc archive the kernel can unpack (byte layout checked by hand on a
// small archive, and round trip through the reader) with /dev/console, /proc and /init.
import { describe, expect, it } from 'vitest';
import { initramfsEntries, readCpio, writeCpio } from '../../qemu/cpio.js';

const text = (bytes: Uint8Array): string => new TextDecoder('latin1').decode(bytes);

describe('cpio newc', () => {
  it('lays out a one-file archive exactly: header, name, padding, data, padding, trailer', () => {
    const archive = writeCpio([{ name: 'a', mode: 0o100644, data: new TextEncoder().encode('xyz') }]);
    // 110-byte header + "a\0" = 112 (aligned), data 3 + 1 pad = 4, trailer header 110 + 11 name = 121 + 3 pad = 124.
    expect(archive.length).toBe(112 + 4 + 124);
    const header = text(archive.subarray(0, 110));
    expect(header).toBe(
      `070701${['00000001', '000081a4', '00000000', '00000000', '00000001', '00000000', '00000003', '00000000', '00000000', '00000000', '00000000', '00000002', '00000000'].join('')}`,
    );
    expect(text(archive.subarray(110, 112))).toBe('a\0');
    expect(text(archive.subarray(112, 116))).toBe('xyz\0');
    expect(text(archive.subarray(116, 116 + 6))).toBe('070701');
    expect(text(archive.subarray(116 + 110, 116 + 121))).toBe('TRAILER!!!\0');
    expect(archive.length % 4).toBe(0);
  });

  it('round-trips the initramfs entries (device numbers, modes, data)', () => {
    const init = Uint8Array.from({ length: 1001 }, (_, i) => (i * 7) & 0xff);
    const entries = readCpio(writeCpio(initramfsEntries(init)));
    expect(entries.map((entry) => [entry.name, entry.mode.toString(8)])).toEqual([
      ['dev', '40755'],
      ['dev/console', '20600'],
      ['proc', '40555'],
      ['init', '100755'],
    ]);
    expect(entries[1]).toMatchObject({ rdevMajor: 5, rdevMinor: 1 });
    expect(entries[3]!.data).toEqual(init);
  });

  it('the same contents give the same archive (no time stamps)', () => {
    const init = new Uint8Array([1, 2, 3]);
    expect(writeCpio(initramfsEntries(init))).toEqual(writeCpio(initramfsEntries(init)));
  });

  it('refuses a truncated or foreign archive with one line', () => {
    const archive = writeCpio(initramfsEntries(new Uint8Array(10)));
    expect(() => readCpio(archive.subarray(0, 200))).toThrow(/^cpio (archive truncated|entry ".*" runs past)/);
    const foreign = archive.slice();
    foreign[5] = 0x32; // 070702: the checksummed variant
    expect(() => readCpio(foreign)).toThrow(/^cpio entry at byte 0 has magic "070702", expected 070701$/);
  });
});

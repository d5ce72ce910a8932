import { describe, expect, it } from 'vitest';
import { allocatePages } from '../../codecs/page-memory.js';
import { byteOffsetOf } from '../../codecs/view-fields.js';

describe('view-fields: byteOffset through the getter', () => {
  it('agree with the properties on plain, pooled, kernel-visible and sub-views', () => {
    const plain = new Uint8Array(64);
    const pooled = Buffer.from('pagedelta'); // a slice of Node's shared pool: byteOffset is usually not 0
    const visible = allocatePages(2, 4096);
    for (const view of [plain, plain.subarray(5, 9), pooled, pooled.subarray(2), visible, visible.subarray(4096, 8192), new Uint8Array(0)]) {
      expect(byteOffsetOf(view)).toBe(view.byteOffset);
    }
    expect(byteOffsetOf(visible.subarray(4096))).toBe(visible.byteOffset + 4096);
  });

  it('refuse what is not a typed array, as the properties would not answer', () => {
    expect(() => byteOffsetOf({} as Uint8Array)).toThrow(TypeError);
    expect(() => byteOffsetOf(new DataView(new ArrayBuffer(8)) as unknown as Uint8Array)).toThrow(TypeError);
  });
});

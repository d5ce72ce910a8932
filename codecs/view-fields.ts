/**
 * A typed array's `byteOffset`, read through the prototype's getter called directly. Node 20's
 * optimising compiler does not inline the property read (a generic property-load call, 16 ns
 * on a hot view here) but does inline a direct call of the built-in getter (6 ns): the codecs
 * read it for every kernel-visible page. (`buffer` has no such shortcut: its getter is a call
 * into the C++ runtime, which is why page-memory.ts tags arenas' views by class instead.)
 */
const typedArrayPrototype = Object.getPrototypeOf(Uint8Array.prototype) as object;
const byteOffsetGetter = Object.getOwnPropertyDescriptor(typedArrayPrototype, 'byteOffset')!.get!;

/** `view.byteOffset`. */
export function byteOffsetOf(view: Uint8Array): number {
  return byteOffsetGetter.call(view) as number;
}

/** A reusable byte buffer with cached exact-length views, so codecs never allocate per page. */
export class Scratch {
  private bytes = new Uint8Array(0);
  private view = new Uint8Array(0);

  /** A view of exactly `length` bytes; its contents are whatever was last written. */
  get(length: number): Uint8Array {
    if (this.view.length === length) return this.view;
    if (this.bytes.length < length) this.bytes = new Uint8Array(Math.max(length, 4096));
    this.view = this.bytes.subarray(0, length);
    return this.view;
  }
}

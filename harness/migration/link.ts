/**
 * The migration link and QEMU's rate window.
 *
 * `Link`: a serial byte pipe of `bandwidthBps`. Times are ms of simulated time. While the link
 * stays busy, completion times are computed from one anchor (anchor time + bytes since the
 * anchor / rate), so that a saturated link's times carry no accumulated rounding: an idle
 * guest's total time is exactly bytes / rate.
 *
 * `RateWindow`: QEMU's max-bandwidth and bandwidth estimate, both on the sender's side
 * (bytes put into the migration stream, not bytes leaving the wire). A window opens at a
 * counter update; its quota is max-bandwidth x 100 ms; once more than the quota has been put
 * in, the sender waits until the window is 100 ms old. At the first counter update at least
 * 100 ms after the window opened, the bandwidth estimate becomes the window's bytes / its
 * length, the stop threshold becomes estimate x downtime limit, and a new window opens.
 * Before the first update the estimate, hence the threshold, is 0.
 */

/** QEMU's rate-limit and bandwidth-measurement period (BUFFER_DELAY). */
export const WINDOW_MS = 100;

export class Link {
  /** Bytes per ms. */
  private readonly bytesPerMs: number;
  private anchorMs = 0;
  private bytesSinceAnchor = 0;
  /** When the last byte queued so far leaves. */
  busyUntilMs = 0;
  /** Every byte ever sent. */
  totalBytes = 0;

  constructor(bandwidthBps: number) {
    this.bytesPerMs = bandwidthBps / 1000;
  }

  /** Queues `bytes` that are ready to go at `readyMs`; returns when their last byte has left. */
  send(bytes: number, readyMs: number): number {
    if (readyMs > this.busyUntilMs) {
      this.anchorMs = readyMs;
      this.bytesSinceAnchor = 0;
    }
    this.bytesSinceAnchor += bytes;
    const doneMs = this.anchorMs + this.bytesSinceAnchor / this.bytesPerMs;
    this.busyUntilMs = doneMs;
    this.totalBytes += bytes;
    return doneMs;
  }
}

export class RateWindow {
  /** Max-bandwidth quota per window, bytes (Infinity: no cap). */
  private readonly quota: number;
  private startMs = 0;
  private startBytes = 0;
  private startPages = 0;
  private used = 0;
  /** Bandwidth estimate of the last closed window, bytes per ms (0 before the first). */
  bytesPerMs = 0;
  /** Pages per second of the last closed window (QEMU's pages-per-second). */
  pagesPerSecond = 0;
  /** Mbit/s of the last closed window. */
  mbps = 0;

  constructor(maxBandwidthBps: number) {
    this.quota = Number.isFinite(maxBandwidthBps) && maxBandwidthBps > 0 ? (maxBandwidthBps * WINDOW_MS) / 1000 : Infinity;
  }

  /** Opens a window at `nowMs`, with the run's byte and page totals at that time. */
  start(nowMs: number, totalBytes: number, totalPages: number): void {
    this.startMs = nowMs;
    this.startBytes = totalBytes;
    this.startPages = totalPages;
    this.used = 0;
  }

  /** Bytes put into the stream. */
  add(bytes: number): void {
    this.used += bytes;
  }

  /** More than the window's quota has been put in (QEMU's qemu_file_rate_limit). */
  limited(): boolean {
    return this.used > this.quota;
  }

  /** When the sender may go on after a used-up quota. */
  endMs(): number {
    return this.startMs + WINDOW_MS;
  }

  /** A counter update is due (the window is at least 100 ms old). */
  due(nowMs: number): boolean {
    return nowMs >= this.startMs + WINDOW_MS;
  }

  /** Stop threshold in bytes. */
  thresholdBytes(downtimeLimitMs: number): number {
    return this.bytesPerMs * downtimeLimitMs;
  }

  /** Closes the window at `nowMs` (a counter update) and opens the next; returns the bytes it carried. */
  close(nowMs: number, totalBytes: number, totalPages: number): number {
    const elapsed = nowMs - this.startMs;
    const transferred = totalBytes - this.startBytes;
    if (elapsed > 0) {
      this.bytesPerMs = transferred / elapsed;
      this.mbps = (transferred * 8) / (elapsed / 1000) / 1e6;
      this.pagesPerSecond = (totalPages - this.startPages) / (elapsed / 1000);
    }
    this.start(nowMs, totalBytes, totalPages);
    return transferred;
  }
}

/**
 * The migration link: a serial byte pipe of `bandwidthBps`, optionally rate-limited the way
 * QEMU enforces max-bandwidth (a byte quota per 100 ms window; once a window's quota is used
 * the sender waits for the next window), and QEMU's bandwidth estimate (bytes sent / time
 * over periods of at least 100 ms) from which the stop threshold is computed.
 *
 * Times are ms of simulated time. While the link stays busy, completion times are computed
 * from one anchor (anchor time + bytes since the anchor / rate), so that a saturated link's
 * times carry no accumulated rounding: an idle guest's total time is exactly bytes / rate.
 */

/** QEMU's rate-limit and bandwidth-measurement period (BUFFER_DELAY). */
export const WINDOW_MS = 100;

export class Link {
  /** Bytes per ms. */
  private readonly bytesPerMs: number;
  /** Max-bandwidth quota per window (Infinity: no cap). */
  private readonly windowQuota: number;
  private anchorMs = 0;
  private bytesSinceAnchor = 0;
  /** When the last byte queued so far leaves. */
  busyUntilMs = 0;
  private quotaWindow = 0;
  private quotaUsed = 0;
  /** Bandwidth estimate (bytes per ms) of the last completed measuring period; 0 before one. */
  measuredBytesPerMs = 0;
  private periodStartMs = 0;
  private periodBytes = 0;
  /** Every byte ever sent. */
  totalBytes = 0;

  constructor(bandwidthBps: number, maxBandwidthBps: number) {
    this.bytesPerMs = bandwidthBps / 1000;
    this.windowQuota = Number.isFinite(maxBandwidthBps) && maxBandwidthBps > 0 ? (maxBandwidthBps * WINDOW_MS) / 1000 : Infinity;
  }

  /** Bytes per second the link can carry at most (link speed and cap). */
  get effectiveBps(): number {
    return Math.min(this.bytesPerMs * 1000, (this.windowQuota * 1000) / WINDOW_MS);
  }

  /** Queues `bytes` that are ready to go at `readyMs`; returns when their last byte has left. */
  send(bytes: number, readyMs: number): number {
    let startMs = this.busyUntilMs;
    if (readyMs > startMs) {
      startMs = readyMs;
      this.anchorMs = startMs;
      this.bytesSinceAnchor = 0;
    }
    if (this.windowQuota !== Infinity) {
      const window = Math.floor(startMs / WINDOW_MS);
      if (window !== this.quotaWindow) {
        this.quotaWindow = window;
        this.quotaUsed = 0;
      }
      if (this.quotaUsed >= this.windowQuota) {
        // Quota used up: wait for the next window.
        this.quotaWindow = window + 1;
        this.quotaUsed = 0;
        startMs = this.quotaWindow * WINDOW_MS;
        this.anchorMs = startMs;
        this.bytesSinceAnchor = 0;
      }
      this.quotaUsed += bytes;
    }
    this.bytesSinceAnchor += bytes;
    const doneMs = this.anchorMs + this.bytesSinceAnchor / this.bytesPerMs;
    this.busyUntilMs = doneMs;
    this.totalBytes += bytes;
    this.periodBytes += bytes;
    if (doneMs - this.periodStartMs >= WINDOW_MS) {
      this.measuredBytesPerMs = this.periodBytes / (doneMs - this.periodStartMs);
      this.periodStartMs = doneMs;
      this.periodBytes = 0;
    }
    return doneMs;
  }

  /** QEMU's bandwidth estimate; before the first 100 ms period ends, the estimate so far. */
  bandwidthEstimateBytesPerMs(nowMs: number): number {
    if (this.measuredBytesPerMs > 0) return this.measuredBytesPerMs;
    const elapsed = nowMs - this.periodStartMs;
    return elapsed > 0 ? this.periodBytes / elapsed : 0;
  }
}

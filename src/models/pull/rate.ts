/** Download speed over a sliding window, and the time left at that speed. */

/** Default window: long enough to smooth TCP bursts, short enough to follow a real change of speed. */
const DEFAULT_WINDOW_MS = 5000;

export class RateMeter {
  private readonly samples: { at: number; bytes: number }[] = [];

  /** `windowMs`: how far back the speed looks. Default 5 s. */
  constructor(private readonly windowMs = DEFAULT_WINDOW_MS) {}

  /** Records that `bytes` have been received in total by time `at` (ms). */
  record(bytes: number, at: number): void {
    const last = this.samples[this.samples.length - 1];
    // A restart from zero (the server ignored the range) makes older samples meaningless.
    if (last && bytes < last.bytes) this.samples.length = 0;
    this.samples.push({ at, bytes });
    while (this.samples.length > 2 && (this.samples[1]?.at ?? at) <= at - this.windowMs) this.samples.shift();
  }

  /** Bytes per second over the window; 0 until two samples are at least 200 ms apart. */
  bytesPerSecond(): number {
    const first = this.samples[0];
    const last = this.samples[this.samples.length - 1];
    if (!first || !last || last.at - first.at < 200) return 0;
    return ((last.bytes - first.bytes) * 1000) / (last.at - first.at);
  }

  /** Seconds until `total` at the current speed; null when the total or the speed is unknown. */
  etaSeconds(total: number | null): number | null {
    const last = this.samples[this.samples.length - 1];
    const speed = this.bytesPerSecond();
    if (total === null || !last || speed <= 0) return null;
    return Math.max(0, Math.ceil((total - last.bytes) / speed));
  }
}

/**
 * Budgets for costly or guessable attempts, answered 429 at once when spent rather than queued:
 *
 * - {@link AttemptWindow}: at most N attempts per key per window (the setup code: 5 a minute per address,
 *   verify and setup together);
 * - {@link HashBudget}: password hashing (scrypt, 32 MiB and ~100 ms of a core each) with bounded
 *   concurrency, a global budget per minute and a per-address one, so a burst of wrong sign-ins from many
 *   addresses cannot take the box's CPU and memory from the requests it serves.
 */
import { ChaiboxError } from "../errors.js";

/** Fixed windows per key: simple, and enough to bound guessing. */
export class AttemptWindow {
  private readonly windows = new Map<string, { start: number; count: number }>();

  constructor(
    private readonly max: number,
    private readonly windowMs: number,
    private readonly now: () => number = Date.now,
  ) {}

  /** Counts an attempt for `key`; throws `rate_limited` (with Retry-After) when the window is spent. */
  take(key: string, what: string): void {
    const now = this.now();
    if (this.windows.size > 10_000) this.sweep(now);
    let window = this.windows.get(key);
    if (!window || now - window.start >= this.windowMs) {
      window = { start: now, count: 0 };
      this.windows.set(key, window);
    }
    if (window.count >= this.max) {
      const retryAfterSeconds = Math.max(1, Math.ceil((window.start + this.windowMs - now) / 1000));
      throw new ChaiboxError("rate_limited", `Too many ${what}: try again in ${retryAfterSeconds} seconds.`, { retryAfterSeconds });
    }
    window.count++;
  }

  private sweep(now: number): void {
    for (const [key, window] of this.windows) if (now - window.start >= this.windowMs) this.windows.delete(key);
  }
}

export interface HashBudgetOptions {
  /** Hashes running at once; more are refused, not queued. Default 1. */
  concurrency?: number;
  /** Hashes a minute from all addresses together. Default 20. */
  perMinute?: number;
  /** Hashes a minute from one address. Default 5. */
  perAddressPerMinute?: number;
  now?: () => number;
}

export class HashBudget {
  private running = 0;
  private readonly concurrency: number;
  private readonly global: AttemptWindow;
  private readonly perAddress: AttemptWindow;

  constructor(options: HashBudgetOptions = {}) {
    const now = options.now ?? Date.now;
    this.concurrency = options.concurrency ?? 1;
    this.global = new AttemptWindow(options.perMinute ?? 20, 60_000, now);
    this.perAddress = new AttemptWindow(options.perAddressPerMinute ?? 5, 60_000, now);
  }

  /** Runs `work` (which hashes a password) within the budgets; throws `rate_limited` at once when spent. */
  async run<T>(address: string, work: () => Promise<T>): Promise<T> {
    if (this.running >= this.concurrency) {
      throw new ChaiboxError("rate_limited", "The box is checking another password right now: try again in a second.", { retryAfterSeconds: 1 });
    }
    this.perAddress.take(address, "password attempts from this address");
    this.global.take("*", "password attempts");
    this.running++;
    try {
      return await work();
    } finally {
      this.running--;
    }
  }
}

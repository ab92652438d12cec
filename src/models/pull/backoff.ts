/** When a failed download attempt is retried: exponential backoff with jitter, and which answers qualify. */

export interface RetryPolicy {
  /** Retries after attempts that made no progress; an attempt that received bytes resets the count. Default 5. */
  retries: number;
  /** Delay before the first retry, doubled each time. Default 1000 ms. */
  baseDelayMs: number;
  /** Upper bound of one delay. Default 30 000 ms. */
  maxDelayMs: number;
}

export const defaultRetryPolicy: RetryPolicy = { retries: 5, baseDelayMs: 1000, maxDelayMs: 30_000 };

/**
 * The delay before retry number `retry` (0-based): half of `base * 2^retry` (capped) plus a random share of
 * the other half, so many boxes cut off by the same outage do not come back in lockstep yet each still
 * waits a predictable minimum. A server's `Retry-After` (in ms) raises the delay, up to `maxDelayMs`.
 */
export function backoffDelay(retry: number, policy: RetryPolicy, retryAfterMs?: number, random: () => number = Math.random): number {
  const ceiling = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** Math.max(0, retry));
  const delay = ceiling / 2 + random() * (ceiling / 2);
  const floor = retryAfterMs !== undefined ? Math.min(retryAfterMs, policy.maxDelayMs) : 0;
  return Math.round(Math.max(delay, floor));
}

/** Whether an HTTP status is worth retrying: server errors, 429 Too Many Requests, 408 Request Timeout. */
export function isRetryableStatus(status: number): boolean {
  return status >= 500 || status === 429 || status === 408;
}

/** A `Retry-After` header (seconds or an HTTP date) in milliseconds, or undefined. */
export function parseRetryAfter(value: string | null, now = Date.now()): number | undefined {
  if (value === null || value.trim() === "") return undefined;
  const seconds = Number(value);
  if (Number.isFinite(seconds)) return Math.max(0, seconds * 1000);
  const date = Date.parse(value);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}

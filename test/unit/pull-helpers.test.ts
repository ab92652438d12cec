import { describe, expect, it } from "vitest";
import { isLoopback } from "../../src/auth/loopback.js";
import { formatDuration } from "../../src/cli/progress.js";
import { backoffDelay, isRetryableStatus, parseRetryAfter } from "../../src/models/pull/backoff.js";
import { formatBytes } from "../../src/format-bytes.js";
import { parseContentRange } from "../../src/models/pull/fetch-range.js";
import { RateMeter } from "../../src/models/pull/rate.js";

describe("download helpers", () => {
  it("backs off exponentially with jitter, capped, honouring Retry-After", () => {
    const policy = { retries: 5, baseDelayMs: 1000, maxDelayMs: 30_000 };
    expect(backoffDelay(0, policy, undefined, () => 0)).toBe(500);
    expect(backoffDelay(0, policy, undefined, () => 1)).toBe(1000);
    expect(backoffDelay(3, policy, undefined, () => 0)).toBe(4000);
    expect(backoffDelay(10, policy, undefined, () => 1)).toBe(30_000);
    expect(backoffDelay(0, policy, 7000, () => 0)).toBe(7000);
    expect(backoffDelay(0, policy, 600_000, () => 0)).toBe(30_000);
    expect(parseRetryAfter("3")).toBe(3000);
    expect(parseRetryAfter(new Date(10_000).toUTCString(), 4000)).toBe(6000);
    expect(parseRetryAfter(null)).toBeUndefined();
    expect([500, 503, 429, 408].every(isRetryableStatus)).toBe(true);
    expect([400, 401, 403, 404, 416].some(isRetryableStatus)).toBe(false);
  });

  it("measures speed over a window and estimates the time left", () => {
    const meter = new RateMeter(5000);
    expect(meter.bytesPerSecond()).toBe(0);
    meter.record(0, 0);
    meter.record(1_000_000, 1000);
    expect(meter.bytesPerSecond()).toBe(1_000_000);
    expect(meter.etaSeconds(5_000_000)).toBe(4);
    expect(meter.etaSeconds(null)).toBeNull();
    for (let t = 2000; t <= 10_000; t += 1000) meter.record(1_000_000 + (t - 1000) * 2000, t);
    expect(meter.bytesPerSecond()).toBe(2_000_000);
    meter.record(10, 11_000);
    expect(meter.bytesPerSecond()).toBe(0);
  });

  it("parses Content-Range and formats sizes and durations", () => {
    expect(parseContentRange("bytes 100-199/1000")).toEqual({ start: 100, total: 1000 });
    expect(parseContentRange("bytes */1000")).toEqual({ total: 1000 });
    expect(parseContentRange("bytes 0-9/*")).toEqual({ start: 0 });
    expect(parseContentRange(null)).toEqual({});
    expect(formatBytes(4_700_000_000)).toBe("4.7 GB");
    expect(formatBytes(1_048_576)).toBe("1.0 MB");
    expect(formatBytes(512)).toBe("512 B");
    expect(formatDuration(42)).toBe("42s");
    expect(formatDuration(65)).toBe("1m05s");
    expect(formatDuration(7380)).toBe("2h03m");
  });

  it("tells loopback addresses", () => {
    for (const address of ["127.0.0.1", "127.255.0.9", "::1", "::ffff:127.0.0.1", "0:0:0:0:0:0:0:1"]) expect(isLoopback(address), address).toBe(true);
    for (const address of ["10.0.0.1", "192.168.1.2", "::ffff:10.0.0.1", "fe80::1", "::2", "128.0.0.1", undefined]) expect(isLoopback(address), String(address)).toBe(false);
  });
});

/** The systemd watchdog's pure parts: its interval from the environment, and pings only while healthy. */
import { afterEach, describe, expect, it, vi } from "vitest";
import { formatNotification } from "../../src/platform/sd-notify.js";
import { startWatchdog, watchdogIntervalMs } from "../../src/platform/watchdog.js";

afterEach(() => {
  vi.useRealTimers();
});

describe("watchdog", () => {
  it("pings at half of WATCHDOG_USEC, only for the process WATCHDOG_PID names", () => {
    expect(watchdogIntervalMs({ WATCHDOG_USEC: "30000000" }, 10)).toBe(15_000);
    expect(watchdogIntervalMs({ WATCHDOG_USEC: "30000000", WATCHDOG_PID: "10" }, 10)).toBe(15_000);
    expect(watchdogIntervalMs({ WATCHDOG_USEC: "30000000", WATCHDOG_PID: "11" }, 10)).toBeUndefined();
    expect(watchdogIntervalMs({}, 10)).toBeUndefined();
    expect(watchdogIntervalMs({ WATCHDOG_USEC: "0" }, 10)).toBeUndefined();
  });

  it("withholds the ping while the self-check fails or throws, and stops on request", async () => {
    vi.useFakeTimers({ toFake: ["setInterval", "clearInterval", "performance"] });
    let health: "ok" | "bad" | "throws" = "ok";
    const pings: number[] = [];
    const failures: string[] = [];
    const stop = startWatchdog({
      intervalMs: 100,
      check: () => {
        if (health === "throws") throw new Error("database locked");
        return health === "ok";
      },
      ping: () => pings.push(performance.now()),
      onFailure: (reason) => failures.push(reason),
    });
    await vi.advanceTimersByTimeAsync(300);
    expect(pings).toHaveLength(3);
    health = "bad";
    await vi.advanceTimersByTimeAsync(100);
    health = "throws";
    await vi.advanceTimersByTimeAsync(100);
    expect(pings).toHaveLength(3);
    expect(failures).toEqual(["the self-check failed", "the self-check failed: database locked"]);
    health = "ok";
    await vi.advanceTimersByTimeAsync(100);
    expect(pings).toHaveLength(4);
    stop();
    await vi.advanceTimersByTimeAsync(500);
    expect(pings).toHaveLength(4);
  });

  it("formats one KEY=value line per field, values on one line", () => {
    expect(formatNotification({ READY: 1, STATUS: "serving\nnow" })).toBe("READY=1\nSTATUS=serving now");
  });
});

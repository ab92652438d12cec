/** Speed figures in SQLite: the moving average, measured vs live rows, and persistence across a reopen. */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { openStateDatabase, stateDatabasePath } from "../../src/state/db.js";
import { LIVE_AVERAGE_WEIGHT, movingAverage, PerformanceStore } from "../../src/models/performance/performance-store.js";

const dirs: string[] = [];
afterAll(async () => {
  for (const dir of dirs) await rm(dir, { recursive: true, force: true });
});

const sha = "a".repeat(64);

describe("movingAverage", () => {
  it("takes the first value as is, then moves by the weight; absent or non-finite figures change nothing", () => {
    const first = movingAverage(undefined, { generationTokensPerSecond: 20 });
    expect(first).toEqual({ generationTokensPerSecond: 20, promptTokensPerSecond: null, timeToFirstTokenMs: null });
    const second = movingAverage(first, { generationTokensPerSecond: 30, timeToFirstTokenMs: 100 });
    expect(second.generationTokensPerSecond).toBeCloseTo(20 + LIVE_AVERAGE_WEIGHT * 10);
    expect(second.timeToFirstTokenMs).toBe(100);
    expect(movingAverage(second, { generationTokensPerSecond: Number.NaN })).toEqual(second);
  });
});

describe("PerformanceStore", () => {
  it("keeps measured and live figures apart, per file, and both survive a reopen", async () => {
    const dir = await mkdtemp(join(tmpdir(), "chaibox-perf-"));
    dirs.push(dir);
    const times = ["2026-03-01T10:00:00.000Z", "2026-03-01T10:01:00.000Z", "2026-03-01T10:02:00.000Z"];
    const db = openStateDatabase(stateDatabasePath(dir));
    const store = new PerformanceStore(db, () => new Date(times.shift() ?? "2026-03-01T11:00:00.000Z"));
    expect(store.get(sha)).toEqual({});
    store.saveMeasured(sha, "m", { generationTokensPerSecond: 30, promptTokensPerSecond: 400, timeToFirstTokenMs: 90 });
    expect(store.addLiveSample(sha, "m", {})).toBeUndefined();
    store.addLiveSample(sha, "m", { generationTokensPerSecond: 20 });
    const live = store.addLiveSample(sha, "m", { generationTokensPerSecond: 10, promptTokensPerSecond: 250 });
    expect(live).toMatchObject({ source: "live", samples: 2, generationTokensPerSecond: 18, promptTokensPerSecond: 250 });
    db.close();

    const reopened = new PerformanceStore(openStateDatabase(stateDatabasePath(dir)));
    expect(reopened.get(sha)).toEqual({
      measured: { source: "measured", modelId: "m", generationTokensPerSecond: 30, promptTokensPerSecond: 400, timeToFirstTokenMs: 90, samples: 1, measuredAt: "2026-03-01T10:00:00.000Z" },
      live: { source: "live", modelId: "m", generationTokensPerSecond: 18, promptTokensPerSecond: 250, timeToFirstTokenMs: null, samples: 2, measuredAt: "2026-03-01T10:02:00.000Z" },
    });
    expect(reopened.get("b".repeat(64))).toEqual({});
  });

  it("replaces a benchmark with the next one", () => {
    const store = new PerformanceStore(openStateDatabase(":memory:"));
    store.saveMeasured(sha, "m", { generationTokensPerSecond: 30, promptTokensPerSecond: null, timeToFirstTokenMs: null });
    store.saveMeasured(sha, "m2", { generationTokensPerSecond: 31, promptTokensPerSecond: 5, timeToFirstTokenMs: 6 });
    expect(store.get(sha).measured).toMatchObject({ modelId: "m2", generationTokensPerSecond: 31, promptTokensPerSecond: 5 });
  });
});

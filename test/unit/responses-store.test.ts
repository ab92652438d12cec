/** The Responses API's SQLite store: round trip, delete, retention with an injected clock, migrations once. */
import { afterEach, describe, expect, it } from "vitest";
import { loadConfig, resolveConfig } from "../../src/config/load.js";
import { durationMs } from "../../src/config/schema.js";
import { openStateDatabase, type StateDatabase } from "../../src/state/db.js";
import { ResponsesStore, type StoredResponse } from "../../src/state/responses-store.js";

const DAY = 86_400_000;
let db: StateDatabase;
afterEach(() => db?.close());

function record(id: string, createdAt: number): StoredResponse {
  return {
    id,
    model: "tiny",
    createdAt,
    previousResponseId: null,
    response: { id, object: "response", status: "completed", output: [] },
    conversation: [
      { role: "user", content: "hi" },
      { role: "assistant", content: "", toolCalls: [{ id: "call_1", name: "f", arguments: "{}" }] },
    ],
  };
}

describe("responses store", () => {
  it("keeps a response and its conversation, and deletes it once", () => {
    db = openStateDatabase(":memory:");
    const store = new ResponsesStore(db, { retentionMs: 30 * DAY });
    const saved = { ...record("resp_a", Date.now()), previousResponseId: "resp_0" };
    store.save(saved);
    expect(store.get("resp_a")).toEqual(saved);
    expect(store.get("resp_b")).toBeUndefined();
    expect(store.delete("resp_a")).toBe(true);
    expect(store.delete("resp_a")).toBe(false);
    expect(store.get("resp_a")).toBeUndefined();
  });

  it("forgets responses older than the retention at once, and purges them", () => {
    db = openStateDatabase(":memory:");
    let now = 100 * DAY;
    const store = new ResponsesStore(db, { retentionMs: 30 * DAY, now: () => now });
    store.save(record("resp_old", now));
    store.save(record("resp_new", now + 10 * DAY));
    now += 30 * DAY + 1;
    // Expired but not yet purged: already gone for readers and deleters.
    expect(store.get("resp_old")).toBeUndefined();
    expect(store.delete("resp_old")).toBe(false);
    expect(store.get("resp_new")).toBeDefined();
    expect(store.purge()).toBe(1);
    expect(db.prepare("SELECT id FROM responses").all()).toEqual([{ id: "resp_new" }]);
    now += 10 * DAY;
    expect(store.purge()).toBe(1);
    expect(store.purge()).toBe(0);
  });

  it("purges at start, and keeps everything with an infinite retention", () => {
    db = openStateDatabase(":memory:");
    const kept = new ResponsesStore(db, { retentionMs: Infinity, now: () => 1000 * DAY });
    kept.save(record("resp_ancient", 0));
    expect(kept.purge()).toBe(0);
    expect(kept.get("resp_ancient")).toBeDefined();

    // A second store on the same database: its migrations are not applied twice.
    const strict = new ResponsesStore(db, { retentionMs: DAY, now: () => 1000 * DAY });
    strict.start(60_000);
    strict.stop();
    expect(kept.get("resp_ancient")).toBeUndefined();
    expect(db.prepare("SELECT COUNT(*) AS n FROM responses").get()).toEqual({ n: 0 });
    expect(db.prepare("SELECT name FROM migrations WHERE name LIKE 'responses-%'").all()).toEqual([{ name: "responses-1-create" }, { name: "responses-2-owner" }]);
  });

  it("is configured by responses.retention: 30 days unless set, in days or any other duration", async () => {
    expect(durationMs(resolveConfig({}, "test", {}).responses.retention)).toBe(30 * DAY);
    expect(durationMs(resolveConfig({ responses: { retention: "7d" } }, "test", {}).responses.retention)).toBe(7 * DAY);
    const fromEnv = await loadConfig({ env: { CHAIBOX_RESPONSES_RETENTION: "12h" } });
    expect(durationMs(fromEnv.responses.retention)).toBe(12 * 3_600_000);
    expect(durationMs("forever")).toBe(Infinity);
    expect(() => resolveConfig({ responses: { retention: "3 weeks" } }, "test", {})).toThrow(/responses\.retention/);
  });
});

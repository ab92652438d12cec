/** The usage ledger on a real SQLite database: per token, provider and month, budgets, and what a restart keeps. */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { UsageLedger, monthOf } from "../../src/budgets/usage-ledger.js";
import { openStateDatabase, stateDatabasePath, type StateDatabase } from "../../src/state/db.js";
import { priceList } from "../../src/budgets/price-list.js";
import type { ChaiModel } from "../../src/models/description/model-description.js";

const dirs: string[] = [];
afterAll(async () => {
  for (const dir of dirs) await rm(dir, { recursive: true, force: true });
});

async function openDb(): Promise<{ path: string; db: StateDatabase }> {
  const dir = await mkdtemp(join(tmpdir(), "chaibox-ledger-"));
  dirs.push(dir);
  const path = stateDatabasePath(dir);
  return { path, db: openStateDatabase(path) };
}

/** A clock the test moves. */
function clock(iso: string) {
  let now = Date.parse(iso);
  return { now: () => now, set: (to: string) => (now = Date.parse(to)) };
}

describe("usage ledger", () => {
  it("keeps usage per app token (the owner under ''), per provider and per month, and a restart keeps it", async () => {
    const { path, db } = await openDb();
    const time = clock("2026-11-30T23:59:00Z");
    const ledger = new UsageLedger(db, time.now);
    ledger.record({ tokenId: "tok_a", provider: "", promptTokens: 10, completionTokens: 5, costMicros: 0 });
    ledger.record({ tokenId: "tok_a", provider: "acme", promptTokens: 1000, completionTokens: 100, costMicros: 13_000 });
    ledger.record({ tokenId: "tok_a", provider: "acme", promptTokens: 1000, completionTokens: 0, costMicros: 10_000 });
    ledger.record({ tokenId: "", provider: "acme", promptTokens: 7, completionTokens: 1, costMicros: 100 });
    // Seen at once, before anything is written.
    expect(ledger.standing("tok_a")).toEqual({ month: "2026-11", budgetUsd: null, spentUsd: 0.023, remainingUsd: null });
    expect(db.prepare("SELECT count(*) AS n FROM usage_ledger").get()).toEqual({ n: 0 });
    // The month rolls over at midnight UTC: December starts from nothing, November keeps its figures.
    time.set("2026-12-01T00:00:01Z");
    ledger.record({ tokenId: "tok_a", provider: "acme", promptTokens: 100, completionTokens: 0, costMicros: 1_000 });
    expect(ledger.standing("tok_a")).toMatchObject({ month: "2026-12", spentUsd: 0.001 });
    expect(ledger.stop()).toBe(true);
    db.close();

    const reopened = openStateDatabase(path);
    const again = new UsageLedger(reopened, time.now);
    expect(again.standing("tok_a").spentUsd).toBe(0.001);
    expect(again.usage("2026-11")).toEqual([
      { tokenId: "", costMicros: 100, providers: [{ provider: "acme", promptTokens: 7, completionTokens: 1, requests: 1, costMicros: 100 }] },
      {
        tokenId: "tok_a",
        costMicros: 23_000,
        providers: [
          { provider: "", promptTokens: 10, completionTokens: 5, requests: 1, costMicros: 0 },
          { provider: "acme", promptTokens: 2000, completionTokens: 100, requests: 2, costMicros: 23_000 },
        ],
      },
    ]);
    expect(again.usage()).toEqual([{ tokenId: "tok_a", costMicros: 1_000, providers: [{ provider: "acme", promptTokens: 100, completionTokens: 0, requests: 1, costMicros: 1_000 }] }]);
    expect(again.usage("2026-10")).toEqual([]);
    reopened.close();
  });

  it("keeps each app's monthly budget, and what is left of it after the stored and the unwritten spending", async () => {
    const { db } = await openDb();
    const time = clock("2026-12-15T12:00:00Z");
    const first = new UsageLedger(db, time.now);
    first.record({ tokenId: "tok_b", provider: "acme", promptTokens: 0, completionTokens: 0, costMicros: 250_000 });
    first.stop();
    // A later ledger (a restart) starts from what is stored, then moves with each call.
    const ledger = new UsageLedger(db, time.now);
    expect(ledger.budget("tok_b")).toBeNull();
    ledger.setBudget("tok_b", 1);
    expect(ledger.standing("tok_b")).toEqual({ month: "2026-12", budgetUsd: 1, spentUsd: 0.25, remainingUsd: 0.75 });
    ledger.record({ tokenId: "tok_b", provider: "acme", promptTokens: 0, completionTokens: 0, costMicros: 900_000 });
    expect(ledger.standing("tok_b")).toEqual({ month: "2026-12", budgetUsd: 1, spentUsd: 1.15, remainingUsd: 0 });
    // Other apps are not touched; a budget of 0 is a budget; null clears it.
    expect(ledger.standing("tok_c")).toEqual({ month: "2026-12", budgetUsd: null, spentUsd: 0, remainingUsd: null });
    ledger.setBudget("tok_c", 0);
    expect(ledger.standing("tok_c").remainingUsd).toBe(0);
    ledger.setBudget("tok_b", null);
    expect(ledger.standing("tok_b")).toMatchObject({ budgetUsd: null, remainingUsd: null });
    expect(() => ledger.setBudget("tok_b", -1)).toThrow(RangeError);
    // Next month the budget is whole again.
    ledger.setBudget("tok_b", 1);
    time.set("2027-01-01T00:00:00Z");
    expect(ledger.standing("tok_b")).toEqual({ month: "2027-01", budgetUsd: 1, spentUsd: 0, remainingUsd: 1 });
    ledger.stop();
    db.close();
  });

  it("keeps unwritten calls when the database refuses the write, and writes them on the next try", async () => {
    const { db } = await openDb();
    const ledger = new UsageLedger(db, () => Date.parse("2026-12-02T00:00:00Z"));
    ledger.record({ tokenId: "tok_d", provider: "", promptTokens: 3, completionTokens: 2, costMicros: 0 });
    db.exec("CREATE TRIGGER refuse BEFORE INSERT ON usage_ledger BEGIN SELECT RAISE(ABORT, 'disk full'); END");
    expect(ledger.flushQuietly()).toBe(false);
    // Still counted while unwritten.
    expect(ledger.usage()[0]?.providers[0]).toMatchObject({ promptTokens: 3, completionTokens: 2, requests: 1 });
    db.exec("DROP TRIGGER refuse");
    expect(ledger.flushQuietly()).toBe(true);
    expect(db.prepare("SELECT token_id, prompt_tokens, requests FROM usage_ledger").all()).toEqual([{ token_id: "tok_d", prompt_tokens: 3, requests: 1 }]);
    ledger.stop();
    db.close();
  });

  it("names months in UTC", () => {
    expect(monthOf(Date.parse("2026-01-31T23:30:00-05:00"))).toBe("2026-02");
  });
});

describe("price list", () => {
  const priced = (id: string, input: number): ChaiModel =>
    ({ id, chai: { pricing: { input_per_million_tokens: input, output_per_million_tokens: 2 * input, currency: "USD" } } }) as ChaiModel;

  it("reads the directory's prices at most once per interval, and again after a failed read", async () => {
    let reads = 0;
    let fail = false;
    let now = 0;
    const lookup = priceList(
      () => {
        reads++;
        return fail ? Promise.reject(new Error("down")) : Promise.resolve([priced("local", 0), priced("acme/big", 3)]);
      },
      5_000,
      () => now,
    );
    expect(await Promise.all([lookup("acme/big"), lookup("local"), lookup("missing")])).toEqual([
      { inputPerMillion: 3, outputPerMillion: 6, currency: "USD" },
      { inputPerMillion: 0, outputPerMillion: 0, currency: "USD" },
      undefined,
    ]);
    expect(reads).toBe(1);
    now = 5_000;
    fail = true;
    await expect(lookup("local")).rejects.toThrow("down");
    fail = false;
    expect(await lookup("acme/big")).toMatchObject({ inputPerMillion: 3 });
    expect(reads).toBe(3);
    // A model the list does not name is looked for in a fresh read, at most once a second.
    expect(await lookup("acme/new")).toBeUndefined();
    expect(reads).toBe(3);
    now += 1_000;
    expect(await lookup("acme/new")).toBeUndefined();
    expect(await lookup("acme/new")).toBeUndefined();
    expect(reads).toBe(4);
  });
});

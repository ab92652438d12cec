/**
 * The usage ledger: prompt and completion tokens, requests and cost (micro-USD) per app token, provider and
 * calendar month (UTC), and each app's monthly budget, in the state database. The inference pipeline's budget
 * step records every call here and asks where an app stands before a priced call.
 *
 * Counts are written in batches, like the app tokens' usage (auth/tokens.ts): at most one write every 10 s
 * for all apps, off the request's path, so a busy box does not write the SD card once per request; a crash
 * loses at most the last 10 s, no more than the token counts do. Budget checks must see spending at once, so
 * the ledger keeps a running total per token and month in memory, read once from the database and then
 * moved by every recorded call, written or not yet.
 */
import type { BudgetStanding, UsageRecord } from "../engine/pipeline/budget.js";
import { migrate, type StateDatabase } from "../state/db.js";
import { budgetMigrations } from "./migrations.js";

/** Counts are written in a batch at most this often. 10 s, as the app tokens' usage. */
const WRITE_EVERY_MS = 10_000;

/** The calendar month (UTC) of a time, `YYYY-MM`. */
export function monthOf(ms: number): string {
  return new Date(ms).toISOString().slice(0, 7);
}

/** One app's usage of one provider in one month. */
export interface ProviderUsage {
  /** '' for this box's own models. */
  provider: string;
  promptTokens: number;
  completionTokens: number;
  requests: number;
  costMicros: number;
}

/** One app's usage in one month, per provider (by provider id). */
export interface AppUsage {
  /** '' for calls without an app token. */
  tokenId: string;
  providers: ProviderUsage[];
  costMicros: number;
}

interface LedgerRow {
  token_id: string;
  provider: string;
  prompt_tokens: number;
  completion_tokens: number;
  requests: number;
  cost_micros: number;
}

type Pending = Omit<UsageRecord, "tokenId" | "provider"> & { tokenId: string; provider: string; month: string; requests: number };

const key = (...parts: string[]) => parts.join("\u0000");

export class UsageLedger {
  /** Calls recorded since the last write, per token, month and provider. */
  private readonly pending = new Map<string, Pending>();
  /** Micro-USD spent per token and month, written or not: what budget checks read. */
  private readonly spent = new Map<string, number>();
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly db: StateDatabase,
    private readonly now: () => number = Date.now,
  ) {
    migrate(db, budgetMigrations);
  }

  /** This calendar month (UTC), `YYYY-MM`. */
  currentMonth(): string {
    return monthOf(this.now());
  }

  /** Adds one call: counted at once for budget checks, written with the next batch. Never throws. */
  record(usage: UsageRecord): void {
    const month = monthOf(this.now());
    const rowKey = key(usage.tokenId, month, usage.provider);
    let row = this.pending.get(rowKey);
    if (!row) {
      row = { tokenId: usage.tokenId, provider: usage.provider, month, promptTokens: 0, completionTokens: 0, requests: 0, costMicros: 0 };
      this.pending.set(rowKey, row);
    }
    row.promptTokens += usage.promptTokens;
    row.completionTokens += usage.completionTokens;
    row.requests++;
    row.costMicros += usage.costMicros;
    const totalKey = key(usage.tokenId, month);
    const total = this.spent.get(totalKey);
    if (total !== undefined) this.spent.set(totalKey, total + usage.costMicros);
    if (this.timer === undefined) {
      this.timer = setTimeout(() => {
        this.timer = undefined;
        this.flushQuietly();
      }, WRITE_EVERY_MS);
      this.timer.unref();
    }
  }

  /** Micro-USD the token spent in `month`, the calls not written yet included. */
  private spentMicros(tokenId: string, month: string): number {
    const totalKey = key(tokenId, month);
    let total = this.spent.get(totalKey);
    if (total === undefined) {
      // A new month starts from what is stored; the months before are no longer asked about.
      if (![...this.spent.keys()].some((k) => k.endsWith(month))) this.spent.clear();
      const stored = this.db
        .prepare<[string, string], { micros: number }>("SELECT coalesce(sum(cost_micros), 0) AS micros FROM usage_ledger WHERE token_id = ? AND month = ?")
        .get(tokenId, month);
      total = stored?.micros ?? 0;
      for (const row of this.pending.values()) if (row.tokenId === tokenId && row.month === month) total += row.costMicros;
      this.spent.set(totalKey, total);
    }
    return total;
  }

  /** The token's monthly budget in USD; null when it has none. */
  budget(tokenId: string): number | null {
    const row = this.db.prepare<[string], { monthly_usd: number | null }>("SELECT monthly_usd FROM app_budgets WHERE token_id = ?").get(tokenId);
    return row?.monthly_usd ?? null;
  }

  /** Sets (a number ≥ 0) or clears (null) the token's monthly budget in USD. */
  setBudget(tokenId: string, monthlyUsd: number | null): void {
    if (monthlyUsd !== null && !(Number.isFinite(monthlyUsd) && monthlyUsd >= 0)) throw new RangeError("a monthly budget is a finite number ≥ 0");
    if (monthlyUsd === null) this.db.prepare<[string]>("DELETE FROM app_budgets WHERE token_id = ?").run(tokenId);
    else
      this.db
        .prepare<[string, number]>("INSERT INTO app_budgets (token_id, monthly_usd) VALUES (?, ?) ON CONFLICT (token_id) DO UPDATE SET monthly_usd = excluded.monthly_usd")
        .run(tokenId, monthlyUsd);
  }

  /** Where the token stands this month (UTC): its budget, what it spent (up to the last call), what is left. */
  standing(tokenId: string): BudgetStanding {
    const month = monthOf(this.now());
    const budgetUsd = this.budget(tokenId);
    const spentUsd = this.spentMicros(tokenId, month) / 1e6;
    return { month, budgetUsd, spentUsd, remainingUsd: budgetUsd === null ? null : Math.max(0, budgetUsd - spentUsd) };
  }

  /** Every app's usage in `month` (`YYYY-MM`; default this month), per provider, the unwritten calls included. */
  usage(month = this.currentMonth()): AppUsage[] {
    this.flushQuietly();
    const rows = this.db
      .prepare<[string], LedgerRow>(
        "SELECT token_id, provider, prompt_tokens, completion_tokens, requests, cost_micros FROM usage_ledger WHERE month = ? ORDER BY token_id, provider",
      )
      .all(month);
    // What a failed write left pending still counts.
    const merged = new Map<string, ProviderUsage & { tokenId: string }>();
    const add = (tokenId: string, u: ProviderUsage) => {
      const k = key(tokenId, u.provider);
      const seen = merged.get(k);
      if (!seen) merged.set(k, { tokenId, ...u });
      else Object.assign(seen, { promptTokens: seen.promptTokens + u.promptTokens, completionTokens: seen.completionTokens + u.completionTokens, requests: seen.requests + u.requests, costMicros: seen.costMicros + u.costMicros });
    };
    for (const r of rows) add(r.token_id, { provider: r.provider, promptTokens: r.prompt_tokens, completionTokens: r.completion_tokens, requests: r.requests, costMicros: r.cost_micros });
    for (const p of this.pending.values()) if (p.month === month) add(p.tokenId, p);
    const apps = new Map<string, AppUsage>();
    for (const { tokenId, provider, promptTokens, completionTokens, requests, costMicros } of merged.values()) {
      const app = apps.get(tokenId) ?? { tokenId, providers: [], costMicros: 0 };
      app.providers.push({ provider, promptTokens, completionTokens, requests, costMicros });
      app.costMicros += costMicros;
      apps.set(tokenId, app);
    }
    return [...apps.values()];
  }

  /**
   * Writes the calls not yet written, in one transaction (every 10 s, before listing, on shutdown).
   * @throws the database's error (a full disk: SQLITE_FULL); the calls are kept for the next try.
   */
  flush(): void {
    if (this.pending.size === 0) return;
    const upsert = this.db.prepare<[string, string, string, number, number, number, number]>(
      `INSERT INTO usage_ledger (token_id, month, provider, prompt_tokens, completion_tokens, requests, cost_micros) VALUES (?, ?, ?, ?, ?, ?, ?)
       ON CONFLICT (token_id, month, provider) DO UPDATE SET prompt_tokens = prompt_tokens + excluded.prompt_tokens,
         completion_tokens = completion_tokens + excluded.completion_tokens, requests = requests + excluded.requests,
         cost_micros = cost_micros + excluded.cost_micros`,
    );
    const batch = [...this.pending];
    this.db.transaction(() => {
      for (const [, p] of batch) upsert.run(p.tokenId, p.month, p.provider, p.promptTokens, p.completionTokens, p.requests, p.costMicros);
    })();
    for (const [k, p] of batch) if (this.pending.get(k) === p) this.pending.delete(k);
  }

  /** {@link flush}, best effort: bookkeeping never fails a request; a full disk keeps the calls for later. */
  flushQuietly(): boolean {
    try {
      this.flush();
      return true;
    } catch {
      return false;
    }
  }

  /** Stops the batch timer and writes what is pending (shutdown). */
  stop(): boolean {
    clearTimeout(this.timer);
    this.timer = undefined;
    return this.flushQuietly();
  }
}

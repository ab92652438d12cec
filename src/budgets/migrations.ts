/**
 * The tables of budgets (src/budgets/): usage and cost per app token, provider and month, and each app's
 * monthly budget. Keyed by the token's id without a foreign key: the ledger keeps a revoked app's spending
 * (the month's figures stay true), and calls without a token are kept under ''.
 *
 * The rule for SQL (state/db.ts): each domain owns its tables' SQL and migrations, next to the code that
 * queries them; state/db.ts runs them.
 */
import type { Migration } from "../state/db.js";

export const budgetMigrations: readonly Migration[] = [
  {
    name: "budgets-1-create",
    sql: `
      CREATE TABLE usage_ledger (
        token_id TEXT NOT NULL,
        provider TEXT NOT NULL,
        month TEXT NOT NULL,
        prompt_tokens INTEGER NOT NULL DEFAULT 0,
        completion_tokens INTEGER NOT NULL DEFAULT 0,
        requests INTEGER NOT NULL DEFAULT 0,
        cost_micros REAL NOT NULL DEFAULT 0,
        PRIMARY KEY (token_id, month, provider)
      );
      CREATE TABLE app_budgets (
        token_id TEXT PRIMARY KEY,
        monthly_usd REAL CHECK (monthly_usd IS NULL OR monthly_usd >= 0)
      );
    `,
  },
];

/**
 * The tables of authentication (src/auth/): the admin account and setup code, admin sessions, app tokens and
 * pairing requests. Secrets that only need checking (session ids, app tokens, device codes) are stored as
 * SHA-256 hashes, the admin password as an scrypt hash; only the setup code is kept as is, because
 * `chaibox setup-code` must be able to print it, and it is deleted once setup is done.
 *
 * The rule for SQL (state/db.ts): each domain owns its tables' SQL and migrations, next to the code that
 * queries them — auth's here, the speed figures' in models/performance/performance-store.ts; state/db.ts
 * runs them.
 */
import type { Migration } from "../state/db.js";

export const authMigrations: readonly Migration[] = [
  {
    name: "auth-1-create",
    sql: `
      CREATE TABLE auth_settings (key TEXT PRIMARY KEY, value TEXT NOT NULL);
      CREATE TABLE admin_sessions (
        id_hash TEXT PRIMARY KEY,
        csrf_token TEXT NOT NULL,
        created_at INTEGER NOT NULL,
        expires_at INTEGER NOT NULL
      );
      CREATE TABLE app_tokens (
        id TEXT PRIMARY KEY,
        name TEXT NOT NULL,
        scope TEXT NOT NULL CHECK (scope IN ('inference', 'admin')),
        source TEXT NOT NULL,
        token_hash TEXT NOT NULL UNIQUE,
        created_at INTEGER NOT NULL,
        last_used_at INTEGER,
        revoked_at INTEGER,
        requests INTEGER NOT NULL DEFAULT 0
      );
      CREATE TABLE pairings (
        id TEXT PRIMARY KEY,
        device_code_hash TEXT NOT NULL UNIQUE,
        user_code TEXT NOT NULL,
        app_name TEXT NOT NULL,
        app_id TEXT,
        client_address TEXT,
        status TEXT NOT NULL CHECK (status IN ('pending', 'approved', 'denied', 'issued')),
        created_at INTEGER NOT NULL,
        expires_at INTEGER NOT NULL,
        interval_s INTEGER NOT NULL,
        last_poll_at INTEGER,
        token_id TEXT REFERENCES app_tokens (id)
      );
      CREATE INDEX pairings_user_code ON pairings (user_code);
    `,
  },
  {
    name: "auth-2-token-usage",
    sql: `
      ALTER TABLE app_tokens ADD COLUMN prompt_tokens INTEGER NOT NULL DEFAULT 0;
      ALTER TABLE app_tokens ADD COLUMN completion_tokens INTEGER NOT NULL DEFAULT 0;
    `,
  },
  {
    // A token with the 'models' scope: its scope column says 'inference' (the CHECK above) and this flag is 1.
    name: "auth-3-models-scope",
    sql: "ALTER TABLE app_tokens ADD COLUMN manage_models INTEGER NOT NULL DEFAULT 0;",
  },
];

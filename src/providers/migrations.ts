/**
 * The providers' table (src/providers/): the upstreams this box uses, with their keys. The keys are kept
 * as given, because they must be sent: the database file is readable by the service's user alone (see
 * state/db.ts), and nothing reads a key but the upstream client (provider-store.ts).
 */
import type { Migration } from "../state/db.js";

export const providerMigrations: readonly Migration[] = [
  {
    name: "providers-1-create",
    sql: `
      CREATE TABLE providers (
        id TEXT PRIMARY KEY,
        kind TEXT NOT NULL CHECK (kind IN ('chai', 'openai')),
        name TEXT NOT NULL,
        url TEXT NOT NULL,
        api_key TEXT,
        input_price REAL,
        output_price REAL,
        source TEXT NOT NULL CHECK (source IN ('config', 'admin')),
        created_at INTEGER NOT NULL
      );
    `,
  },
];

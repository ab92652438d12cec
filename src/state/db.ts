/**
 * chaibox's SQLite state (`<dataDir>/state.db`, better-sqlite3): one database, opened once by the
 * composition root and handed to the modules that keep state, and the migration runner. The rule for SQL:
 * each domain owns its tables, their SQL and their migrations, in its own folder next to the code that
 * queries them (auth/, models/performance/); state/ holds this database, the runner, and the stores of what
 * belongs to the box as a whole (its identity, serving settings, stored responses). Migrations are applied
 * in order and recorded by name, so modules never have to coordinate on a global schema version. WAL mode: a reader never blocks the writer, and a crash loses at most the transaction in
 * flight.
 */
import Database from "better-sqlite3";
import { chmodSync, closeSync, mkdirSync, openSync } from "node:fs";
import { dirname, join } from "node:path";

export type StateDatabase = Database.Database;

/** One schema step of a module: applied once, inside a transaction, in the order given. */
export interface Migration {
  /** Unique across chaibox, prefixed by the owning module: `responses-1-create`. */
  name: string;
  sql: string;
}

/** `<dataDir>/state.db`. */
export function stateDatabasePath(dataDir: string): string {
  return join(dataDir, "state.db");
}

/** Opens (creating) the database at `path`; `:memory:` gives a private in-memory one for tests. */
export function openStateDatabase(path: string): StateDatabase {
  if (path !== ":memory:") {
    mkdirSync(dirname(path), { recursive: true });
    // It holds password and token hashes and the setup code: owner-only, whatever the umask (outside
    // systemd's UMask=0077 the default would make it world-readable). SQLite gives its -wal and -shm files
    // the database file's mode.
    closeSync(openSync(path, "a", 0o600));
    chmodSync(path, 0o600);
  }
  const db = new Database(path);
  db.pragma("journal_mode = WAL");
  // NORMAL under WAL: durable across an application crash; only a power cut may lose the last commits.
  db.pragma("synchronous = NORMAL");
  db.pragma("foreign_keys = ON");
  db.pragma("busy_timeout = 5000");
  db.exec("CREATE TABLE IF NOT EXISTS migrations (name TEXT PRIMARY KEY, applied_at TEXT NOT NULL)");
  return db;
}

/** Whether the database answers a query: the health check that systemd's watchdog pings rely on. */
export function databaseAnswers(db: StateDatabase): boolean {
  return db.prepare("SELECT 1 AS ok").get() !== undefined;
}

/** Applies the migrations of one module that have not run yet, each in its own transaction. */
export function migrate(db: StateDatabase, migrations: readonly Migration[]): void {
  const applied = db.prepare<[string], { name: string }>("SELECT name FROM migrations WHERE name = ?");
  const record = db.prepare<[string, string]>("INSERT INTO migrations (name, applied_at) VALUES (?, ?)");
  for (const migration of migrations) {
    if (applied.get(migration.name)) continue;
    db.transaction(() => {
      db.exec(migration.sql);
      record.run(migration.name, new Date().toISOString());
    })();
  }
}

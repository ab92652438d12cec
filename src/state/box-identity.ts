/**
 * The box's identity: a random id generated the first time a data dir's state is opened and kept in SQLite
 * from then on, so apps (discovery document, mDNS `id=`) recognise the same box across restarts, renames and
 * address changes. A new data dir is a new box.
 */
import { randomUUID } from "node:crypto";
import { migrate, type Migration, type StateDatabase } from "./db.js";

const migrations: readonly Migration[] = [
  { name: "box-1-create", sql: "CREATE TABLE box_identity (key TEXT PRIMARY KEY, value TEXT NOT NULL)" },
];

/**
 * The box id (a random UUID), created on first use. Safe when two processes on one data dir ask at once:
 * the first insert wins and both read the same id back.
 */
export function boxId(db: StateDatabase): string {
  migrate(db, migrations);
  db.prepare<[string]>("INSERT OR IGNORE INTO box_identity (key, value) VALUES ('id', ?)").run(randomUUID());
  const row = db.prepare<[], { value: string }>("SELECT value FROM box_identity WHERE key = 'id'").get();
  if (!row) throw new Error("the box id could not be stored");
  return row.value;
}

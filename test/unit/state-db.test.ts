/** The SQLite state database: migrations applied once, in order, per module; data survives a reopen. */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { migrate, openStateDatabase, stateDatabasePath } from "../../src/state/db.js";

const dirs: string[] = [];
afterAll(async () => {
  for (const dir of dirs) await rm(dir, { recursive: true, force: true });
});

describe("state database", () => {
  it("applies each migration once and keeps the data across a reopen", async () => {
    const dir = await mkdtemp(join(tmpdir(), "chaibox-state-"));
    dirs.push(dir);
    const path = stateDatabasePath(join(dir, "data"));
    const migrations = [
      { name: "test-1-create", sql: "CREATE TABLE things (id TEXT PRIMARY KEY)" },
      { name: "test-2-column", sql: "ALTER TABLE things ADD COLUMN size INTEGER NOT NULL DEFAULT 0" },
    ];
    const first = openStateDatabase(path);
    migrate(first, migrations);
    first.prepare("INSERT INTO things (id, size) VALUES (?, ?)").run("a", 3);
    first.close();

    const second = openStateDatabase(path);
    migrate(second, migrations);
    expect(second.prepare("SELECT id, size FROM things").all()).toEqual([{ id: "a", size: 3 }]);
    expect(second.prepare("SELECT name FROM migrations ORDER BY name").all()).toEqual([{ name: "test-1-create" }, { name: "test-2-column" }]);
    expect(second.pragma("journal_mode", { simple: true })).toBe("wal");
    second.close();
  });

  it("rolls back a migration that fails, leaving it to run again", () => {
    const db = openStateDatabase(":memory:");
    expect(() => migrate(db, [{ name: "bad-1", sql: "CREATE TABLE t (a); SELECT nonsense FROM nowhere" }])).toThrow(/no such table/);
    expect(db.prepare("SELECT count(*) AS n FROM migrations").get()).toEqual({ n: 0 });
    expect(db.prepare("SELECT name FROM sqlite_master WHERE name = 't'").get()).toBeUndefined();
    db.close();
  });
});

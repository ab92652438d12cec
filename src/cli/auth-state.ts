/** Opens the authentication state of a data dir for a CLI command (the same SQLite file `serve` uses). */
import { openAuth, type AuthService } from "../auth/service.js";
import type { Config } from "../config/schema.js";
import { openStateDatabase, stateDatabasePath } from "../state/db.js";

/** Runs `use` with the data dir's auth stores and closes the database after it. */
export function withAuthState<T>(config: Config, use: (auth: AuthService) => T): T {
  const db = openStateDatabase(stateDatabasePath(config.dataDir));
  try {
    return use(openAuth(db));
  } finally {
    db.close();
  }
}

/** Everything authentication keeps in the state database, opened together over one database. */
import { authMigrations } from "./migrations.js";
import { migrate, type StateDatabase } from "../state/db.js";
import { AdminAccount } from "./account.js";
import { Pairings, type PairingOptions } from "./pairing.js";
import { Sessions } from "./sessions.js";
import { AppTokens } from "./tokens.js";

export interface AuthService {
  account: AdminAccount;
  sessions: Sessions;
  tokens: AppTokens;
  pairings: Pairings;
}

/** Applies the auth migrations and opens the stores. */
export function openAuth(db: StateDatabase, options: { pairing?: PairingOptions } = {}): AuthService {
  migrate(db, authMigrations);
  const tokens = new AppTokens(db);
  return { account: new AdminAccount(db), sessions: new Sessions(db), tokens, pairings: new Pairings(db, tokens, options.pairing) };
}

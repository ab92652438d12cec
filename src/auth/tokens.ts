/**
 * App tokens: bearer tokens for apps and scripts (`chaibox token create`, pairing, the admin page). The token
 * is shown once; the database keeps its SHA-256 hash, its name and scope, when it was last used, how many
 * requests it made, and when it was revoked.
 */
import { ChaiboxError } from "../errors.js";
import type { StateDatabase } from "../state/db.js";
import { randomId, randomSecret, sha256 } from "./secrets.js";

/**
 * `inference`: the Chai/OpenAI and Ollama APIs and /metrics. `models`: those, and installing, pulling,
 * deleting, copying and creating models (granted on purpose by the owner). `admin`: all of it and `/admin`.
 */
export type TokenScope = "inference" | "models" | "admin";
export const tokenScopes: readonly TokenScope[] = ["inference", "models", "admin"];

/** Where a token came from: the CLI, a pairing, or the admin page. */
export type TokenSource = "cli" | "pairing" | "admin";

/** Last use and usage are written in a batch at most this often (one write per request would be wasted I/O). 10 s. */
const TOUCH_EVERY_MS = 10_000;

export interface TokenRecord {
  id: string;
  name: string;
  scope: TokenScope;
  source: TokenSource;
  createdAt: string;
  lastUsedAt: string | null;
  revokedAt: string | null;
  /** Requests authenticated with the token. */
  requests: number;
  /** Prompt tokens of the chats and embeddings it asked for (as the models counted them). */
  promptTokens: number;
  /** Tokens generated for it. */
  completionTokens: number;
}

interface TokenRow {
  id: string;
  name: string;
  scope: TokenScope;
  source: TokenSource;
  created_at: number;
  last_used_at: number | null;
  revoked_at: number | null;
  requests: number;
  prompt_tokens: number;
  completion_tokens: number;
  manage_models: number;
}

const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());

function record(row: TokenRow): TokenRecord {
  return {
    id: row.id,
    name: row.name,
    // The first migration's CHECK allows only inference and admin (SQLite cannot change a CHECK in place), so
    // the models grant is a column beside an 'inference' scope.
    scope: row.scope === "inference" && row.manage_models === 1 ? "models" : row.scope,
    source: row.source,
    createdAt: new Date(row.created_at).toISOString(),
    lastUsedAt: iso(row.last_used_at),
    revokedAt: iso(row.revoked_at),
    requests: row.requests,
    promptTokens: row.prompt_tokens,
    completionTokens: row.completion_tokens,
  };
}

export class AppTokens {
  /** Requests and model usage counted since the last write, per token id. */
  private readonly pending = new Map<string, { count: number; lastUsedAt: number; promptTokens: number; completionTokens: number }>();
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly db: StateDatabase,
    private readonly now: () => number = Date.now,
  ) {}

  /** Creates a token; the returned `token` is the only time its value exists outside the app. */
  create(name: string, scope: TokenScope, source: TokenSource): TokenRecord & { token: string } {
    const token = randomSecret("chai_");
    const id = randomId("tok_");
    this.db
      .prepare<[string, string, string, number, string, string, number]>(
        "INSERT INTO app_tokens (id, name, scope, manage_models, source, token_hash, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
      )
      .run(id, name, scope === "admin" ? "admin" : "inference", scope === "models" ? 1 : 0, source, sha256(token), this.now());
    return { ...this.require(id), token };
  }

  /** The live (not revoked) token with this value, or undefined. */
  verify(token: string): TokenRecord | undefined {
    const row = this.db.prepare<[string], TokenRow>("SELECT * FROM app_tokens WHERE token_hash = ? AND revoked_at IS NULL").get(sha256(token));
    return row && record(row);
  }

  private entry(id: string) {
    let entry = this.pending.get(id);
    if (!entry) {
      entry = { count: 0, lastUsedAt: 0, promptTokens: 0, completionTokens: 0 };
      this.pending.set(id, entry);
    }
    // Bookkeeping is written in batches, off the request's path: at most one write every 10 s for all tokens.
    if (this.timer === undefined) {
      this.timer = setTimeout(() => {
        this.timer = undefined;
        this.flushQuietly();
      }, TOUCH_EVERY_MS);
      this.timer.unref();
    }
    return entry;
  }

  /** Counts a request made with the token and its last use; written with the next batch. Never throws. */
  touch(id: string): void {
    const entry = this.entry(id);
    entry.count++;
    entry.lastUsedAt = this.now();
  }

  /** Adds a request's model usage to the token; written with the next batch. Never throws. */
  addUsage(id: string, promptTokens: number, completionTokens: number): void {
    const entry = this.entry(id);
    entry.promptTokens += promptTokens;
    entry.completionTokens += completionTokens;
  }

  /**
   * Writes the counts not yet written, in one transaction (on shutdown, before listing, and every 10 s).
   * @throws the database's error (a full disk: SQLITE_FULL); the counts are kept for the next try.
   */
  flush(): void {
    if (this.pending.size === 0) return;
    const update = this.db.prepare<[number, number, number, number, string]>(
      "UPDATE app_tokens SET last_used_at = max(coalesce(last_used_at, 0), ?), requests = requests + ?, prompt_tokens = prompt_tokens + ?, completion_tokens = completion_tokens + ? WHERE id = ?",
    );
    const batch = [...this.pending];
    this.db.transaction(() => {
      for (const [id, e] of batch) update.run(e.lastUsedAt, e.count, e.promptTokens, e.completionTokens, id);
    })();
    for (const [id, e] of batch) if (this.pending.get(id) === e) this.pending.delete(id);
  }

  /** {@link flush}, best effort: bookkeeping never fails a request; a full disk keeps the counts for later. */
  flushQuietly(): boolean {
    try {
      this.flush();
      return true;
    } catch {
      return false;
    }
  }

  /** Every token, newest first, revoked ones included (with `revokedAt`). */
  list(): TokenRecord[] {
    this.flushQuietly();
    return this.db.prepare<[], TokenRow>("SELECT * FROM app_tokens ORDER BY created_at DESC, id").all().map(record);
  }

  /** @throws ChaiboxError `token_not_found`. */
  require(id: string): TokenRecord {
    const row = this.db.prepare<[string], TokenRow>("SELECT * FROM app_tokens WHERE id = ?").get(id);
    if (!row) throw new ChaiboxError("token_not_found", `No app token has the id '${id}'.`);
    return record(row);
  }

  /** Changes a live token's scope, e.g. grants `models` to an app that paired with `inference`. */
  setScope(id: string, scope: TokenScope): TokenRecord {
    this.require(id);
    this.db
      .prepare<[string, number, string]>("UPDATE app_tokens SET scope = ?, manage_models = ? WHERE id = ?")
      .run(scope === "admin" ? "admin" : "inference", scope === "models" ? 1 : 0, id);
    return this.require(id);
  }

  /** Revokes a token: requests with it fail from now on. Revoking twice is not an error. */
  revoke(id: string): TokenRecord {
    this.require(id);
    this.db.prepare<[number, string]>("UPDATE app_tokens SET revoked_at = coalesce(revoked_at, ?) WHERE id = ?").run(this.now(), id);
    return this.require(id);
  }
}

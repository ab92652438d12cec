/**
 * Admin sessions: a random session id in an HttpOnly, SameSite=Strict cookie, stored as its SHA-256 hash,
 * each with its own CSRF token (the synchronizer-token pattern: the page reads it from the sign-in answer or
 * `GET /admin/session` and sends it as `X-CSRF-Token` on every state-changing request).
 */
import type { StateDatabase } from "../state/db.js";
import { randomSecret, sha256 } from "./secrets.js";

/** How long a session lasts from sign-in. Default 7 days. */
export const SESSION_TTL_MS = 7 * 24 * 3600 * 1000;

export interface Session {
  /** The cookie value; only its hash is stored. */
  id: string;
  csrfToken: string;
  expiresAt: number;
}

export class Sessions {
  constructor(
    private readonly db: StateDatabase,
    private readonly ttlMs = SESSION_TTL_MS,
    private readonly now: () => number = Date.now,
  ) {}

  create(): Session {
    const session = { id: randomSecret("s_"), csrfToken: randomSecret("c_"), expiresAt: this.now() + this.ttlMs };
    this.db.prepare("DELETE FROM admin_sessions WHERE expires_at <= ?").run(this.now());
    this.db
      .prepare<[string, string, number, number]>("INSERT INTO admin_sessions (id_hash, csrf_token, created_at, expires_at) VALUES (?, ?, ?, ?)")
      .run(sha256(session.id), session.csrfToken, this.now(), session.expiresAt);
    return session;
  }

  /** The live session with this cookie value, or undefined (unknown, signed out, or expired). */
  get(id: string): Session | undefined {
    const row = this.db
      .prepare<[string, number], { csrf_token: string; expires_at: number }>("SELECT csrf_token, expires_at FROM admin_sessions WHERE id_hash = ? AND expires_at > ?")
      .get(sha256(id), this.now());
    return row && { id, csrfToken: row.csrf_token, expiresAt: row.expires_at };
  }

  delete(id: string): void {
    this.db.prepare<[string]>("DELETE FROM admin_sessions WHERE id_hash = ?").run(sha256(id));
  }

  /** Ends every session but `keep` (after a password change, other signed-in browsers must sign in again). */
  deleteOthers(keep?: string): void {
    this.db.prepare<[string]>("DELETE FROM admin_sessions WHERE id_hash != ?").run(keep === undefined ? "" : sha256(keep));
  }
}

/**
 * Pairing: the device authorization flow of RFC 8628, adapted to Chai (docs/chai-v1.md §7). An app asks for
 * a pairing and gets a device code (its secret, stored hashed) and a user code (shown to the person); the
 * owner approves or denies the request on the box's page; the app polls with its device code and, once
 * approved, receives an `inference` token, exactly once.
 */
import { ChaiboxError } from "../errors.js";
import type { StateDatabase } from "../state/db.js";
import { humanCode, randomId, randomSecret, sha256, USER_CODE_ALPHABET } from "./secrets.js";
import type { AppTokens } from "./tokens.js";

export interface PairingOptions {
  /** How long a request waits for the owner, in seconds. Default 600. */
  expiresInSeconds?: number;
  /** The polling interval apps are given, in seconds. Default 5 (RFC 8628's default). */
  intervalSeconds?: number;
  /** Pending requests at most; more are refused with `rate_limited`, so apps cannot flood the owner. Default 20. */
  maxPending?: number;
  /** Pending requests from one address at most, so one address cannot block every other app. Default 3. */
  maxPendingPerAddress?: number;
  now?: () => number;
}

export interface PairingGrant {
  id: string;
  deviceCode: string;
  userCode: string;
  expiresIn: number;
  interval: number;
}

export interface PendingPairing {
  id: string;
  appName: string;
  appId: string | null;
  userCode: string;
  clientAddress: string | null;
  createdAt: string;
  expiresAt: string;
}

interface PairingRow {
  id: string;
  user_code: string;
  app_name: string;
  app_id: string | null;
  client_address: string | null;
  status: "pending" | "approved" | "denied" | "issued";
  created_at: number;
  expires_at: number;
  interval_s: number;
  last_poll_at: number | null;
}

/** RFC 8628 §3.5: each `slow_down` adds 5 seconds to the interval. */
const SLOW_DOWN_STEP_S = 5;
/** Answered pairings are kept this long after they expire, then deleted. Default 1 day. */
const KEEP_MS = 24 * 3600 * 1000;

export class Pairings {
  private readonly expiresInS: number;
  private readonly intervalS: number;
  private readonly maxPending: number;
  private readonly maxPerAddress: number;
  private readonly now: () => number;

  constructor(
    private readonly db: StateDatabase,
    private readonly tokens: AppTokens,
    options: PairingOptions = {},
  ) {
    this.expiresInS = options.expiresInSeconds ?? 600;
    this.intervalS = options.intervalSeconds ?? 5;
    this.maxPending = options.maxPending ?? 20;
    this.maxPerAddress = options.maxPendingPerAddress ?? 3;
    this.now = options.now ?? Date.now;
  }

  /** An app's request to pair. */
  request(app: { name: string; id?: string | undefined; address?: string | undefined }): PairingGrant {
    const now = this.now();
    this.db.prepare("DELETE FROM pairings WHERE expires_at < ?").run(now - KEEP_MS);
    const pending = this.pending();
    if (app.address !== undefined && pending.filter((p) => p.clientAddress === app.address).length >= this.maxPerAddress) {
      throw new ChaiboxError("rate_limited", `This address already has ${this.maxPerAddress} pairing requests waiting; try again once the owner has answered them.`, {
        retryAfterSeconds: 60,
      });
    }
    if (pending.length >= this.maxPending) {
      throw new ChaiboxError("rate_limited", "Too many apps are waiting for approval; try again once the owner has answered them.", {
        retryAfterSeconds: 60,
      });
    }
    const grant = { id: randomId("pair_"), deviceCode: randomSecret("dc_"), userCode: humanCode(USER_CODE_ALPHABET), expiresIn: this.expiresInS, interval: this.intervalS };
    this.db
      .prepare<[string, string, string, string, string | null, string | null, number, number, number]>(
        `INSERT INTO pairings (id, device_code_hash, user_code, app_name, app_id, client_address, status, created_at, expires_at, interval_s)
         VALUES (?, ?, ?, ?, ?, ?, 'pending', ?, ?, ?)`,
      )
      .run(grant.id, sha256(grant.deviceCode), grant.userCode, app.name, app.id ?? null, app.address ?? null, now, now + grant.expiresIn * 1000, grant.interval);
    return grant;
  }

  /**
   * An app's poll. Returns the token once the owner approved (and never again); otherwise throws the RFC 8628
   * answer as a ChaiboxError: `authorization_pending`, `slow_down`, `access_denied`, `expired_token`, or
   * `invalid_grant` (unknown device code, or the token was already issued).
   */
  poll(deviceCode: string): { token: string; tokenId: string; scope: "inference" } {
    const now = this.now();
    const row = this.db.prepare<[string], PairingRow>("SELECT * FROM pairings WHERE device_code_hash = ?").get(sha256(deviceCode));
    if (!row || row.status === "issued") throw new ChaiboxError("invalid_grant", "Unknown device code, or its token was already issued: start a new pairing.");
    if (row.status === "denied") throw new ChaiboxError("access_denied", "The box's owner denied this app.");
    if (now >= row.expires_at) throw new ChaiboxError("expired_token", "The pairing request expired before the owner approved it: start a new pairing.");
    // Half a second of slack: an app that sleeps exactly `interval` between polls must not be told off for timer jitter.
    const tooSoon = row.last_poll_at !== null && now - row.last_poll_at < row.interval_s * 1000 - 500;
    this.db.prepare<[number, number, string]>("UPDATE pairings SET last_poll_at = ?, interval_s = ? WHERE id = ?").run(now, tooSoon ? row.interval_s + SLOW_DOWN_STEP_S : row.interval_s, row.id);
    if (tooSoon) {
      throw new ChaiboxError("slow_down", `Polled too often: wait ${row.interval_s + SLOW_DOWN_STEP_S} seconds between polls.`, {
        interval: row.interval_s + SLOW_DOWN_STEP_S,
      });
    }
    if (row.status === "pending") throw new ChaiboxError("authorization_pending", "Waiting for the box's owner to approve this app.");
    return this.db.transaction(() => {
      const created = this.tokens.create(row.app_name, "inference", "pairing");
      this.db.prepare<[string, string]>("UPDATE pairings SET status = 'issued', token_id = ? WHERE id = ?").run(created.id, row.id);
      return { token: created.token, tokenId: created.id, scope: "inference" as const };
    })();
  }

  /**
   * An app withdraws its request (docs/chai-v1.md §7): it leaves the owner's list at once instead of waiting
   * there until it expires. @throws ChaiboxError `invalid_grant` for an unknown or already issued device code.
   */
  cancel(deviceCode: string): void {
    const result = this.db.prepare<[string]>("DELETE FROM pairings WHERE device_code_hash = ? AND status != 'issued'").run(sha256(deviceCode));
    if (result.changes === 0) throw new ChaiboxError("invalid_grant", "Unknown device code, or its token was already issued.");
  }

  /** The requests waiting for the owner, oldest first. */
  pending(): PendingPairing[] {
    return this.db
      .prepare<[number], PairingRow>("SELECT * FROM pairings WHERE status = 'pending' AND expires_at > ? ORDER BY created_at, id")
      .all(this.now())
      .map((row) => ({
        id: row.id,
        appName: row.app_name,
        appId: row.app_id,
        userCode: row.user_code,
        clientAddress: row.client_address,
        createdAt: new Date(row.created_at).toISOString(),
        expiresAt: new Date(row.expires_at).toISOString(),
      }));
  }

  /** The owner's answer to a pending request. @throws ChaiboxError `pairing_not_found`. */
  answer(id: string, approve: boolean): void {
    const result = this.db
      .prepare<[string, string, number]>("UPDATE pairings SET status = ? WHERE id = ? AND status = 'pending' AND expires_at > ?")
      .run(approve ? "approved" : "denied", id, this.now());
    if (result.changes === 0) throw new ChaiboxError("pairing_not_found", `No pending pairing request has the id '${id}' (answered, expired, or unknown).`);
  }
}

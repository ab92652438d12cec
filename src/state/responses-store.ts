/**
 * Stored responses of the Responses API (`store: true`, the default): what `GET /v1/responses/{id}` returns
 * and what `previous_response_id` continues. Each row keeps the response object as served and the whole
 * conversation up to and including its output, so a continuation is one lookup and stays possible when an
 * earlier response of the chain has been deleted or has expired. Rows older than the retention are purged
 * at start and periodically, and are never returned in between.
 */
import type { ChatMessage } from "../engine/contract.js";
import { migrate, type Migration, type StateDatabase } from "./db.js";
import type { ResponseRecord } from "./response-record.js";

export const responsesMigrations: readonly Migration[] = [
  {
    name: "responses-1-create",
    sql: `
      CREATE TABLE responses (
        id TEXT PRIMARY KEY,
        model TEXT NOT NULL,
        created_at INTEGER NOT NULL,
        previous_response_id TEXT,
        response TEXT NOT NULL,
        conversation TEXT NOT NULL
      );
      CREATE INDEX responses_created_at ON responses (created_at);
    `,
  },
  {
    // Who made the response: an app token's id, or '' for the owner's session, the local CLI and open APIs.
    name: "responses-2-owner",
    sql: "ALTER TABLE responses ADD COLUMN owner TEXT NOT NULL DEFAULT '';",
  },
];

/** One stored response: the record the Responses routes save and read. */
export type StoredResponse = ResponseRecord;

export interface ResponsesStoreOptions {
  /** How long a response is kept, in ms; `Infinity` keeps it until deleted. */
  retentionMs: number;
  /** Milliseconds since the epoch. Default `Date.now`; tests inject a clock. */
  now?: () => number;
}

interface Row {
  id: string;
  model: string;
  created_at: number;
  previous_response_id: string | null;
  response: string;
  conversation: string;
}

/** Default purge interval: hourly is fine-grained enough for retentions counted in days. */
export const DEFAULT_PURGE_INTERVAL_MS = 3_600_000;

export class ResponsesStore {
  private readonly retentionMs: number;
  private readonly now: () => number;
  private timer: NodeJS.Timeout | undefined;
  private readonly insert;
  private readonly select;
  private readonly remove;
  private readonly expire;

  /** Applies this module's migrations to `db`. */
  constructor(db: StateDatabase, options: ResponsesStoreOptions) {
    migrate(db, responsesMigrations);
    this.retentionMs = options.retentionMs;
    this.now = options.now ?? Date.now;
    this.insert = db.prepare<[string, string, number, string | null, string, string, string]>(
      "INSERT OR REPLACE INTO responses (id, model, created_at, previous_response_id, response, conversation, owner) VALUES (?, ?, ?, ?, ?, ?, ?)",
    );
    this.select = db.prepare<[string, string, number], Row>("SELECT * FROM responses WHERE id = ? AND owner = ? AND created_at >= ?");
    this.remove = db.prepare<[string, string, number]>("DELETE FROM responses WHERE id = ? AND owner = ? AND created_at >= ?");
    this.expire = db.prepare<[number]>("DELETE FROM responses WHERE created_at < ?");
  }

  /** Oldest creation time still kept; rows before it count as gone even before the purge removes them. */
  private cutoff(): number {
    // SQLite cannot bind -Infinity as an integer; the smallest safe integer keeps everything.
    return Number.isFinite(this.retentionMs) ? this.now() - this.retentionMs : Number.MIN_SAFE_INTEGER;
  }

  /** Keeps a response for `owner` (an app token's id, or '' for the owner's session, the CLI and open APIs). */
  save(record: StoredResponse, owner = ""): void {
    const { id, model, createdAt, previousResponseId, response, conversation } = record;
    this.insert.run(id, model, createdAt, previousResponseId, JSON.stringify(response), JSON.stringify(conversation), owner);
  }

  /** The response, unless unknown, deleted, older than the retention, or made by another owner. */
  get(id: string, owner = ""): StoredResponse | undefined {
    const row = this.select.get(id, owner, this.cutoff());
    if (!row) return undefined;
    return {
      id: row.id,
      model: row.model,
      createdAt: row.created_at,
      previousResponseId: row.previous_response_id,
      response: JSON.parse(row.response) as object,
      conversation: JSON.parse(row.conversation) as ChatMessage[],
    };
  }

  /** Deletes one response of `owner`; false when it had none with this id. */
  delete(id: string, owner = ""): boolean {
    return this.remove.run(id, owner, this.cutoff()).changes > 0;
  }

  /** Removes every response older than the retention; returns how many. */
  purge(): number {
    if (!Number.isFinite(this.retentionMs)) return 0;
    return this.expire.run(this.cutoff()).changes;
  }

  /**
   * Purges now and then every `intervalMs` (default hourly) until {@link stop}. The timer does not keep the
   * process alive; a failed periodic purge (a busy database) goes to `onError` and is retried next time.
   */
  start(intervalMs: number = DEFAULT_PURGE_INTERVAL_MS, onError: (error: unknown) => void = () => undefined): void {
    this.purge();
    this.stop();
    this.timer = setInterval(() => {
      try {
        this.purge();
      } catch (error) {
        onError(error);
      }
    }, intervalMs);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }
}

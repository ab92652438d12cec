/**
 * The lean token path: a fast model produces thousands of tokens a second, and one IPC message per token
 * (JSON, a socket write, a parse and an SSE frame in the API process) costs more than the token itself.
 * The runner therefore joins the text deltas that arrive close together into one event: a delta that comes
 * after a quiet interval goes out at once (the first token is never delayed), later ones wait at most
 * `intervalMs` or until `maxChars` have gathered. A slow model (one token per interval or slower) sends
 * every token as it comes, exactly as before.
 */
import type { ChatEvent } from "../../contract.js";

/** How long joined deltas may wait (default 15 ms: below what a reader or a speech pipeline notices). */
export const COALESCE_INTERVAL_MS = 15;
/** Joined text that is sent at once, however soon (default 4096 characters). */
export const COALESCE_MAX_CHARS = 4096;

type DeltaEvent = Extract<ChatEvent, { type: "text" | "reasoning" }>;

/** Joins consecutive deltas of one request; every other event flushes them first and passes unchanged. */
export class EventCoalescer {
  private pending: DeltaEvent | undefined;
  private timer: NodeJS.Timeout | undefined;
  private lastSentAt = -Infinity;

  constructor(
    private readonly send: (event: ChatEvent) => void,
    private readonly intervalMs = COALESCE_INTERVAL_MS,
    private readonly maxChars = COALESCE_MAX_CHARS,
    private readonly now: () => number = () => performance.now(),
  ) {}

  /** Takes the request's next event. */
  push(event: ChatEvent): void {
    if (event.type !== "text" && event.type !== "reasoning") {
      this.flush();
      this.send(event);
      return;
    }
    if (this.pending !== undefined && this.pending.type !== event.type) this.flush();
    if (this.pending === undefined && this.now() - this.lastSentAt >= this.intervalMs) {
      this.lastSentAt = this.now();
      this.send(event);
      return;
    }
    const joined: DeltaEvent = this.pending === undefined ? { ...event } : { type: event.type, text: this.pending.text + event.text };
    this.pending = joined;
    if (joined.text.length >= this.maxChars) {
      this.flush();
      return;
    }
    this.timer ??= setTimeout(() => this.flush(), Math.max(0, this.lastSentAt + this.intervalMs - this.now()));
  }

  /** Sends the joined deltas now (nothing when there are none). */
  flush(): void {
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
    const pending = this.pending;
    if (pending === undefined) return;
    this.pending = undefined;
    this.lastSentAt = this.now();
    this.send(pending);
  }

  /** Drops what is pending: the request ended without `done` (failed or cancelled). */
  discard(): void {
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
    this.pending = undefined;
  }
}

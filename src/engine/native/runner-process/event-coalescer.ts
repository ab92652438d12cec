/**
 * The lean token path: a fast model produces thousands of tokens a second, and one IPC message per token
 * (JSON, a socket write, a parse and an SSE frame in the API process) costs more than the token itself.
 * The runner therefore joins the text deltas that arrive close together into one event: a delta that comes
 * `intervalMs` or more after the last message goes out at once, with whatever waited before it (the first
 * token is never delayed); one that comes sooner waits for the next delta, or `maxWaitMs` at most when no
 * other comes, or until `maxChars` have gathered. A slow model (one token per interval or slower) sends
 * every token as it comes.
 *
 * Each message wakes the API process, and the API wakes the client: on a small box those wakes take the
 * cores that the next decode needs, however little work each one does. So the interval is not only for fast
 * models: at ~20 tok/s (a 0.5B model on 2 cores) 50 ms joins two tokens a message. And joined text goes out
 * with the next token, in the runner's turn between two decodes, not on a timer of its own: a timer fires
 * during a decode, and with several streams each one's timer fired apart from the others, so the API woke
 * more often than with no joining at all (docs/performance.md). The timer is only for a stream that stalls.
 */
import type { ChatEvent } from "../../contract.js";

/** A delta this long after the last message goes at once (default 50 ms: ~20 messages a second at most). */
export const COALESCE_INTERVAL_MS = 50;
/**
 * How long a joined delta waits at most when no other delta follows (default 100 ms: below what a reader
 * notices, and a speech pipeline waits for whole sentences anyway).
 */
export const COALESCE_MAX_WAIT_MS = 100;
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
    private readonly maxWaitMs = COALESCE_MAX_WAIT_MS,
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
    const joined: DeltaEvent = this.pending === undefined ? { ...event } : { type: event.type, text: this.pending.text + event.text };
    this.pending = joined;
    if (this.now() - this.lastSentAt >= this.intervalMs || joined.text.length >= this.maxChars) {
      this.flush();
      return;
    }
    this.timer ??= setTimeout(() => this.flush(), this.maxWaitMs);
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

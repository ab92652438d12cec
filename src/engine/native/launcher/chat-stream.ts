/**
 * The API-side end of one chat: events arrive over the runner's socket (socket-runner-client.ts) and are
 * pulled by the consumer's `for await`. A failure is delivered after the events that came before it, so a
 * streaming client keeps the text it already received and then sees the error; an abort is delivered at once.
 */
import type { ChatEvent } from "../../contract.js";

type Waiter = { resolve: (result: IteratorResult<ChatEvent>) => void; reject: (error: unknown) => void };

/** The event queue of one chat, read as an async iterator by exactly one consumer. */
export class ChatStream implements AsyncIterator<ChatEvent> {
  private readonly queue: ChatEvent[] = [];
  private waiter: Waiter | undefined;
  /** Set once nothing more will be queued: a `done` event, a failure, an abort or a close. */
  private settled = false;
  private failure: { error: unknown } | undefined;
  private readonly onSettle: (() => void)[] = [];

  /** Whether the stream still expects events from the runner. */
  get active(): boolean {
    return !this.settled;
  }

  /** Registers a callback run once when the stream settles (for cleanup). */
  whenSettled(callback: () => void): void {
    if (this.settled) callback();
    else this.onSettle.push(callback);
  }

  /** Queues an event; a `done` event settles the stream. */
  push(event: ChatEvent): void {
    if (this.settled) return;
    if (event.type === "done") this.settle();
    if (this.waiter !== undefined) {
      const waiter = this.waiter;
      this.waiter = undefined;
      waiter.resolve({ done: false, value: event });
    } else {
      this.queue.push(event);
    }
  }

  /** Ends the stream with an error, delivered after the events already queued. */
  fail(error: unknown): void {
    if (this.settled) return;
    this.failure = { error };
    this.settle();
    this.flushWaiter();
  }

  /** Ends the stream with an error delivered before anything still queued (the consumer gave up). */
  abort(error: unknown): void {
    this.queue.length = 0;
    if (this.settled && this.failure === undefined) {
      // Already complete: a later next() still reports the abort the consumer asked for.
      this.failure = { error };
      return;
    }
    this.failure ??= { error };
    this.settle();
    this.flushWaiter();
  }

  /** Ends the stream quietly (the consumer stopped iterating). */
  close(): void {
    this.queue.length = 0;
    this.failure = undefined;
    this.settle();
    this.flushWaiter();
  }

  next(): Promise<IteratorResult<ChatEvent>> {
    const event = this.queue.shift();
    if (event !== undefined) return Promise.resolve({ done: false, value: event });
    if (this.failure !== undefined) {
      const { error } = this.failure;
      return Promise.reject(error instanceof Error ? error : new Error(String(error)));
    }
    if (this.settled) return Promise.resolve({ done: true, value: undefined });
    return new Promise((resolve, reject) => {
      this.waiter = { resolve, reject };
    });
  }

  private settle(): void {
    if (this.settled) return;
    this.settled = true;
    for (const callback of this.onSettle.splice(0)) callback();
  }

  private flushWaiter(): void {
    const waiter = this.waiter;
    if (waiter === undefined) return;
    this.waiter = undefined;
    if (this.failure !== undefined) {
      const { error } = this.failure;
      waiter.reject(error instanceof Error ? error : new Error(String(error)));
    } else {
      waiter.resolve({ done: true, value: undefined });
    }
  }
}

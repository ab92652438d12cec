import type { ChatEvent, ChatTimings, FinishReason, ToolCall, Usage } from "./contract.js";

/** A whole generation, gathered from its events (for non-streaming replies in any dialect). */
export interface CollectedChat {
  text: string;
  /** The model's thinking (its `reasoning` events); empty when it emitted none. */
  reasoning: string;
  toolCalls: ToolCall[];
  finishReason: FinishReason;
  usage: Usage;
  /** Where the time went, when the runner measured it. */
  timings?: ChatTimings;
}

/** Drains a chat event stream into one result. Errors thrown by the stream propagate unchanged. */
export async function collectChat(events: AsyncIterable<ChatEvent> | AsyncIterator<ChatEvent>): Promise<CollectedChat> {
  const iterator = Symbol.asyncIterator in events ? events[Symbol.asyncIterator]() : events;
  let text = "";
  let reasoning = "";
  const toolCalls: ToolCall[] = [];
  for (;;) {
    const step = await iterator.next();
    if (step.done) break;
    const event = step.value;
    if (event.type === "text") text += event.text;
    else if (event.type === "reasoning") reasoning += event.text;
    else if (event.type === "tool_calls") toolCalls.push(...event.calls);
    else if (event.type === "done") {
      const { finishReason, usage, timings } = event;
      return { text, reasoning, toolCalls, finishReason, usage, ...(timings !== undefined && { timings }) };
    }
  }
  throw new Error("the chat stream ended without a done event");
}

/**
 * Pulls the first event before anything is written to the client, so that admission errors (unknown model,
 * queue full, prompt too long) still become a plain HTTP error instead of a broken stream. Returns an
 * iterator that replays that event, then the rest.
 */
export async function primeChat(events: AsyncIterable<ChatEvent>): Promise<AsyncGenerator<ChatEvent, void, undefined>> {
  const iterator = events[Symbol.asyncIterator]();
  const first = await iterator.next();
  async function* replay(): AsyncGenerator<ChatEvent, void, undefined> {
    try {
      if (first.done) return;
      yield first.value;
      for (;;) {
        const step = await iterator.next();
        if (step.done) return;
        yield step.value;
      }
    } finally {
      // A consumer that stops early (client gone) must release the sequence upstream.
      await iterator.return?.();
    }
  }
  return replay();
}

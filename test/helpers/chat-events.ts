/** Drains a runner's chat event stream for tests, keeping the failure instead of throwing it. */
import type { ChatEvent } from "../../src/engine/contract.js";

export interface ChatResult {
  events: ChatEvent[];
  text: string;
  deltas: string[];
  done: Extract<ChatEvent, { type: "done" }> | undefined;
  error: unknown;
}

export async function collectEvents(stream: AsyncIterable<ChatEvent>, onEvent?: (event: ChatEvent) => void): Promise<ChatResult> {
  const result: ChatResult = { events: [], text: "", deltas: [], done: undefined, error: undefined };
  try {
    for await (const event of stream) {
      result.events.push(event);
      if (event.type === "text") {
        result.deltas.push(event.text);
        result.text += event.text;
      }
      if (event.type === "done") result.done = event;
      onEvent?.(event);
    }
  } catch (error) {
    result.error = error;
  }
  return result;
}

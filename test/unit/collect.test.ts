// Draining a chat event stream into one result, as non-streaming replies do in every dialect.
import { describe, expect, it } from "vitest";
import { collectChat } from "../../src/engine/collect.js";
import type { ChatEvent } from "../../src/engine/contract.js";

async function* stream(events: ChatEvent[]): AsyncGenerator<ChatEvent> {
  for (const event of events) yield await Promise.resolve(event);
}

describe("collectChat", () => {
  it("gathers thinking apart from the answer and keeps the timings of done", async () => {
    const usage = { promptTokens: 5, completionTokens: 4 };
    const timings = { promptMs: 12.5, generationMs: 30 };
    const collected = await collectChat(
      stream([
        { type: "reasoning", text: "Let me " },
        { type: "reasoning", text: "think." },
        { type: "text", text: "Hello" },
        { type: "text", text: "!" },
        { type: "done", finishReason: "stop", usage, timings },
      ]),
    );
    expect(collected).toEqual({ text: "Hello!", reasoning: "Let me think.", toolCalls: [], finishReason: "stop", usage, timings });
  });

  it("has empty reasoning and no timings when the runner sent none", async () => {
    const usage = { promptTokens: 1, completionTokens: 1 };
    const collected = await collectChat(stream([{ type: "text", text: "a" }, { type: "done", finishReason: "length", usage }]));
    expect(collected).toEqual({ text: "a", reasoning: "", toolCalls: [], finishReason: "length", usage });
  });

  it("throws when the stream ends without done", async () => {
    await expect(collectChat(stream([{ type: "reasoning", text: "hm" }]))).rejects.toThrow("without a done event");
  });
});

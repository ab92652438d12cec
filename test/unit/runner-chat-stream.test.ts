import { describe, expect, it } from "vitest";
import type { ChatEvent } from "../../src/engine/contract.js";
import { ChatStream } from "../../src/engine/native/launcher/chat-stream.js";

const text = (t: string): ChatEvent => ({ type: "text", text: t });
const done: ChatEvent = { type: "done", finishReason: "stop", usage: { promptTokens: 1, completionTokens: 2 } };

async function drain(stream: ChatStream): Promise<{ events: ChatEvent[]; error: unknown }> {
  const events: ChatEvent[] = [];
  try {
    for (;;) {
      const result = await stream.next();
      if (result.done === true) return { events, error: undefined };
      events.push(result.value);
    }
  } catch (error) {
    return { events, error };
  }
}

describe("chat stream", () => {
  it("delivers events in order and ends after done", async () => {
    const stream = new ChatStream();
    const pending = drain(stream);
    stream.push(text("a"));
    stream.push(text("b"));
    stream.push(done);
    stream.push(text("ignored"));
    expect(await pending).toEqual({ events: [text("a"), text("b"), done], error: undefined });
    expect(stream.active).toBe(false);
  });

  it("delivers a failure after the events received before it", async () => {
    const stream = new ChatStream();
    stream.push(text("partial"));
    const crash = new Error("crashed");
    stream.fail(crash);
    expect(await drain(stream)).toEqual({ events: [text("partial")], error: crash });
  });

  it("delivers an abort at once, before queued events, also to a waiting consumer", async () => {
    const stream = new ChatStream();
    stream.push(text("queued"));
    const reason = new Error("aborted");
    stream.abort(reason);
    expect(await drain(stream)).toEqual({ events: [], error: reason });

    const waiting = new ChatStream();
    const pending = waiting.next();
    waiting.abort(reason);
    await expect(pending).rejects.toBe(reason);
  });

  it("runs settle callbacks once, and ends quietly on close", async () => {
    const stream = new ChatStream();
    let settled = 0;
    stream.whenSettled(() => settled++);
    const pending = stream.next();
    stream.close();
    stream.fail(new Error("late"));
    expect(await pending).toEqual({ done: true, value: undefined });
    expect(settled).toBe(1);
    stream.whenSettled(() => settled++);
    expect(settled).toBe(2);
  });
});

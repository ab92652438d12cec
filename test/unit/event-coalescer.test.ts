import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import type { ChatEvent } from "../../src/engine/contract.js";
import { EventCoalescer } from "../../src/engine/native/runner-process/event-coalescer.js";

describe("EventCoalescer", () => {
  let clock = 0;
  let sent: ChatEvent[];
  let coalescer: EventCoalescer;
  beforeEach(() => {
    vi.useFakeTimers();
    clock = 0;
    sent = [];
    coalescer = new EventCoalescer((event) => sent.push(event), 15, 8, () => clock);
  });
  afterEach(() => vi.useRealTimers());

  const text = (value: string): ChatEvent => ({ type: "text", text: value });

  it("sends the first delta at once and joins the ones that follow within the interval", () => {
    coalescer.push(text("a"));
    expect(sent).toEqual([text("a")]);
    clock = 2;
    coalescer.push(text("b"));
    clock = 4;
    coalescer.push(text("c"));
    expect(sent).toHaveLength(1);
    clock = 15;
    vi.advanceTimersByTime(15);
    expect(sent).toEqual([text("a"), text("bc")]);
  });

  it("sends every delta of a slow stream as it comes", () => {
    for (const [at, value] of [[0, "a"], [20, "b"], [40, "c"]] as const) {
      clock = at;
      coalescer.push(text(value));
    }
    expect(sent).toEqual([text("a"), text("b"), text("c")]);
  });

  it("flushes joined text before any other event, at the size budget, and keeps kinds apart", () => {
    coalescer.push(text("a"));
    coalescer.push({ type: "reasoning", text: "r" });
    expect(sent).toEqual([text("a")]);
    // Text after reasoning sends the reasoning; 8 characters reach the budget and go at once.
    coalescer.push(text("12345678"));
    expect(sent).toEqual([text("a"), { type: "reasoning", text: "r" }, text("12345678")]);
    clock = 1;
    coalescer.push(text("9"));
    const done: ChatEvent = { type: "done", finishReason: "stop", usage: { promptTokens: 1, completionTokens: 3 } };
    coalescer.push(done);
    expect(sent).toEqual([text("a"), { type: "reasoning", text: "r" }, text("12345678"), text("9"), done]);
  });

  it("drops what is pending when the request fails", () => {
    coalescer.push(text("a"));
    coalescer.push(text("b"));
    coalescer.discard();
    vi.advanceTimersByTime(100);
    expect(sent).toEqual([text("a")]);
  });
});

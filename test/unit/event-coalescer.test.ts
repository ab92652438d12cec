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
    // Interval 15 ms, 30 ms at most for a delta that no other follows, 8 characters.
    coalescer = new EventCoalescer((event) => sent.push(event), 15, 30, 8, () => clock);
  });
  afterEach(() => vi.useRealTimers());

  const text = (value: string): ChatEvent => ({ type: "text", text: value });
  const at = (ms: number, value: string): void => {
    clock = ms;
    coalescer.push(text(value));
  };

  it("sends the first delta at once, and those that follow within the interval with the first delta after it", () => {
    at(0, "a");
    expect(sent).toEqual([text("a")]);
    at(2, "b");
    at(4, "c");
    expect(sent).toHaveLength(1);
    at(15, "d");
    expect(sent).toEqual([text("a"), text("bcd")]);
  });

  it("sends on the deltas' own turns while they flow, never on a timer", () => {
    at(0, "a");
    at(10, "b");
    expect(vi.getTimerCount()).toBe(1);
    at(20, "c");
    expect(vi.getTimerCount()).toBe(0);
    at(30, "d");
    at(40, "e");
    expect(vi.getTimerCount()).toBe(0);
    expect(sent).toEqual([text("a"), text("bc"), text("de")]);
  });

  it("sends a joined delta that no other follows after the longest wait", () => {
    at(0, "a");
    at(2, "b");
    vi.advanceTimersByTime(29);
    expect(sent).toEqual([text("a")]);
    vi.advanceTimersByTime(1);
    expect(sent).toEqual([text("a"), text("b")]);
  });

  it("sends every delta of a slow stream as it comes", () => {
    for (const [ms, value] of [[0, "a"], [20, "b"], [40, "c"]] as const) at(ms, value);
    expect(sent).toEqual([text("a"), text("b"), text("c")]);
    expect(vi.getTimerCount()).toBe(0);
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

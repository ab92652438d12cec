import { describe, expect, it } from "vitest";
import { MIN_PROMPT_SIMILARITY, pickSequence, reusablePrefix } from "../../src/engine/native/runner-process/sequence-slots.js";
import type { Token } from "node-llama-cpp";

const t = (...ids: number[]): Token[] => ids as Token[];

describe("reusablePrefix", () => {
  it("is the common prefix, always leaving the prompt's last token to decode", () => {
    expect(reusablePrefix(t(1, 2, 3, 9), t(1, 2, 3, 4, 5))).toBe(3);
    expect(reusablePrefix(t(1, 2, 3), t(1, 2, 3))).toBe(2);
    expect(reusablePrefix(t(1, 2, 3, 4, 5), t(1, 2, 3))).toBe(2);
    expect(reusablePrefix(t(), t(1, 2))).toBe(0);
    expect(reusablePrefix(t(7), t(1, 2))).toBe(0);
    expect(reusablePrefix(t(1), t(1))).toBe(0);
  });
});

describe("pickSequence", () => {
  interface Slot {
    name: string;
    tokens: Token[];
    used: number;
  }
  const pick = (free: Slot[], prompt: Token[]) =>
    pickSequence(free, (s) => s.tokens, (s) => s.used, prompt)?.name;

  it("takes the sequence with the longest common prefix", () => {
    const free = [
      { name: "a", tokens: t(1, 2, 9, 9), used: 1 },
      { name: "b", tokens: t(1, 2, 3, 4, 9), used: 2 },
      { name: "c", tokens: t(), used: 0 },
    ];
    expect(pick(free, t(1, 2, 3, 4, 5, 6))).toBe("b");
  });

  it("takes the least recently used one when no sequence holds enough of the prompt", () => {
    const prompt = t(1, 2, 3, 4, 5, 6, 7, 8, 9, 10);
    const share = Math.ceil(MIN_PROMPT_SIMILARITY * prompt.length) - 1;
    const free = [
      { name: "short-match", tokens: prompt.slice(0, share), used: 5 },
      { name: "oldest", tokens: t(42), used: 3 },
      { name: "newer", tokens: t(43), used: 4 },
    ];
    expect(pick(free, prompt)).toBe("oldest");
    expect(pick([{ name: "only", tokens: t(1), used: 9 }], prompt)).toBe("only");
    expect(pick([], prompt)).toBeUndefined();
  });
});

/** The budget step around a fake stage (a pure part): refusals with the figures, free models always, recording. */
import { describe, expect, it } from "vitest";
import { collectChat } from "../../src/engine/collect.js";
import type { ChatEvent, ChatRequest } from "../../src/engine/contract.js";
import { budgetStep, costMicros, minimumChatTokens, minimumEmbedTokens, type BudgetPorts, type BudgetStanding, type ModelPrice, type UsageRecord } from "../../src/engine/pipeline/budget.js";
import type { CallContext, InferenceStage } from "../../src/engine/pipeline/index.js";
import { ChaiboxError } from "../../src/errors.js";

/** 60 characters: at most 10 tokens at 6 characters each. */
const request: ChatRequest = { messages: [{ role: "user", content: "x".repeat(60) }], sampling: {} };
const paid: ModelPrice = { inputPerMillion: 10, outputPerMillion: 30, currency: "USD" };

/** A stage that streams three deltas and a done, or stops after `failAfter` deltas with an error. */
function fakeStage(failAfter?: number) {
  const reached: string[] = [];
  const stage: InferenceStage = {
    async *chat(model): AsyncGenerator<ChatEvent> {
      reached.push(`chat ${model}`);
      for (let i = 0; i < 3; i++) {
        if (failAfter === i) throw new ChaiboxError("runner_crashed", "gone");
        yield await Promise.resolve({ type: "text", text: `w${i}` } as const);
      }
      yield { type: "done", finishReason: "stop", usage: { promptTokens: 12, completionTokens: 3 } };
    },
    embed: (model) => (reached.push(`embed ${model}`), Promise.resolve({ embeddings: [[1]], promptTokens: 4 })),
    preload: (model) => (reached.push(`preload ${model}`), Promise.resolve()),
  };
  return { stage, reached };
}

function ports(standing: Partial<BudgetStanding> = {}, prices: Record<string, ModelPrice> = { cloud: paid }) {
  const recorded: UsageRecord[] = [];
  const all: BudgetPorts = {
    price: (model) => Promise.resolve(prices[model]),
    provider: (model) => (model === "cloud" ? "acme" : ""),
    record: (usage) => recorded.push(usage),
    standing: () => ({ month: "2026-12", budgetUsd: null, spentUsd: 0, remainingUsd: null, ...standing }),
  };
  return { all, recorded };
}

const context = (tokenId?: string): CallContext => ({ caller: tokenId === undefined ? {} : { tokenId }, signal: new AbortController().signal });

describe("budget step", () => {
  it("estimates a prompt's minimum from its characters and prices tokens in micro-dollars", () => {
    expect(minimumChatTokens(request)).toBe(10);
    expect(minimumChatTokens({ messages: [], rawPrompt: "abcdefg", sampling: {} })).toBe(2);
    expect(minimumEmbedTokens({ inputs: ["x".repeat(12), [1, 2, 3]] })).toBe(2 + 3);
    // 1000 prompt tokens at 10 USD and 100 completion tokens at 30 USD per million: 10,000 + 3,000 micro-USD.
    expect(costMicros(paid, 1000, 100)).toBe(13_000);
    expect(costMicros(undefined, 1000, 100)).toBe(0);
  });

  it("refuses a priced chat the remaining budget cannot cover, with the figures, before it reaches the engine", async () => {
    const { stage, reached } = fakeStage();
    // 10 tokens at 10 USD per million cost 100 micro-USD; 50 are left.
    const p = ports({ budgetUsd: 1, spentUsd: 0.99995, remainingUsd: 0.00005 });
    const wrapped = budgetStep(p.all).wrap(stage);
    const error = await collectChat(wrapped.chat("cloud", request, context("tok"))).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ChaiboxError);
    expect((error as ChaiboxError).code).toBe("budget_exceeded");
    expect((error as ChaiboxError).status).toBe(402);
    expect((error as ChaiboxError).details.budget).toEqual({ month: "2026-12", budget_usd: 1, spent_usd: 0.99995, remaining_usd: 0.00005, estimated_cost_usd: 0.0001, currency: "USD" });
    expect((error as ChaiboxError).message).toMatch(/monthly budget of 1 USD for 2026-12 .* 0\.99995 USD spent, 0\.00005 USD left, .* at least 0\.0001 USD/);
    const embedError = await wrapped.embed("cloud", { inputs: ["x".repeat(60)] }, context("tok")).catch((e: unknown) => e);
    expect((embedError as ChaiboxError).code).toBe("budget_exceeded");
    expect(reached).toEqual([]);
    expect(p.recorded).toEqual([]);
  });

  it("lets a priced chat through while the budget covers its minimum, and records its cost against the token and provider", async () => {
    const { stage } = fakeStage();
    const p = ports({ budgetUsd: 1, spentUsd: 0.5, remainingUsd: 0.5 });
    const chat = await collectChat(budgetStep(p.all).wrap(stage).chat("cloud", request, context("tok")));
    expect(chat.text).toBe("w0w1w2");
    // 12 × 10 + 3 × 30 micro-USD.
    expect(p.recorded).toEqual([{ tokenId: "tok", provider: "acme", promptTokens: 12, completionTokens: 3, costMicros: 210 }]);
  });

  it("always allows free (local) models and callers without a token, whatever the budget, and records them too", async () => {
    const { stage, reached } = fakeStage();
    const p = ports({ budgetUsd: 0, spentUsd: 0, remainingUsd: 0 });
    const wrapped = budgetStep(p.all).wrap(stage);
    await collectChat(wrapped.chat("local", request, context("tok")));
    await wrapped.embed("local", { inputs: ["hello"] }, context("tok"));
    // The owner (no app token) has no budget: even a priced model runs, and its cost is kept under ''.
    await collectChat(wrapped.chat("cloud", request, context()));
    await wrapped.preload("cloud", context("tok"));
    expect(reached).toEqual(["chat local", "embed local", "chat cloud", "preload cloud"]);
    expect(p.recorded).toEqual([
      { tokenId: "tok", provider: "", promptTokens: 12, completionTokens: 3, costMicros: 0 },
      { tokenId: "tok", provider: "", promptTokens: 4, completionTokens: 0, costMicros: 0 },
      { tokenId: "", provider: "acme", promptTokens: 12, completionTokens: 3, costMicros: 210 },
    ]);
  });

  it("records a chat aborted after generating: the prompt at its minimum, each delta as a token", async () => {
    const { stage } = fakeStage();
    const p = ports();
    const events = budgetStep(p.all).wrap(stage).chat("cloud", request, context("tok"))[Symbol.asyncIterator]();
    await events.next();
    await events.next();
    // The client went away: the dialect stops reading.
    await events.return?.();
    expect(p.recorded).toEqual([{ tokenId: "tok", provider: "acme", promptTokens: 10, completionTokens: 2, costMicros: 10 * 10 + 2 * 30 }]);

    // A failure after generating counts the same way; one before any output costs nothing.
    const failing = ports();
    await collectChat(budgetStep(failing.all).wrap(fakeStage(1).stage).chat("cloud", request, context("tok"))).catch(() => undefined);
    await collectChat(budgetStep(failing.all).wrap(fakeStage(0).stage).chat("cloud", request, context("tok"))).catch(() => undefined);
    expect(failing.recorded).toEqual([{ tokenId: "tok", provider: "acme", promptTokens: 10, completionTokens: 1, costMicros: 130 }]);
  });

  it("never fails a request for its bookkeeping: a failing price lookup counts as free, a failing ledger is ignored", async () => {
    const { stage } = fakeStage();
    const broken: BudgetPorts = {
      price: () => Promise.reject(new Error("directory down")),
      provider: () => "",
      record: () => {
        throw new Error("disk full");
      },
      standing: () => ({ month: "2026-12", budgetUsd: 0, spentUsd: 0, remainingUsd: 0 }),
    };
    expect((await collectChat(budgetStep(broken).wrap(stage).chat("cloud", request, context("tok")))).text).toBe("w0w1w2");
  });
});

/** The inference pipeline's steps, in order, around a fake engine: a pure part, so no model is needed. */
import { describe, expect, it } from "vitest";
import { collectChat } from "../../src/engine/collect.js";
import type { AdmissionOptions, ChatEvent, ChatRequest, InferenceService } from "../../src/engine/contract.js";
import { inferencePipeline, pipelineSteps, type Caller, type PipelinePorts, type UsageRecord } from "../../src/engine/pipeline/index.js";

const request: ChatRequest = { messages: [{ role: "user", content: "hi" }], sampling: {} };

/** An engine that records what reached it and answers every chat with one word. */
function fakeEngine() {
  const seen: { kind: string; model: string; admission: AdmissionOptions | undefined; maxTokens?: number | undefined }[] = [];
  const engine: InferenceService = {
    async *chat(model, chat, _signal, admission): AsyncGenerator<ChatEvent> {
      seen.push({ kind: "chat", model, admission, maxTokens: chat.sampling.maxTokens });
      yield await Promise.resolve({ type: "text", text: "hello" } as const);
      yield { type: "done", finishReason: "stop", usage: { promptTokens: 5, completionTokens: 1 } };
    },
    embed: (model, _embed, _signal, admission) => {
      seen.push({ kind: "embed", model, admission });
      return Promise.resolve({ embeddings: [[1]], promptTokens: 3 });
    },
    preload: (model, _signal, admission) => {
      seen.push({ kind: "preload", model, admission });
      return Promise.resolve();
    },
  };
  return { engine, seen };
}

function ports(overrides: Partial<PipelinePorts> = {}) {
  const usage: [string, number, number][] = [];
  const generated: [string, number][] = [];
  const timed: string[] = [];
  const costs: UsageRecord[] = [];
  let requests = 0;
  const all: PipelinePorts = {
    budget: {
      price: () => Promise.resolve({ inputPerMillion: 1, outputPerMillion: 2, currency: "USD" }),
      provider: () => "",
      record: (usage) => costs.push(usage),
      standing: () => ({ month: "2026-01", budgetUsd: null, spentUsd: 0, remainingUsd: null }),
    },
    usage: (tokenId, prompt, completion) => usage.push([tokenId, prompt, completion]),
    metrics: { firstToken: () => undefined, generated: (model, tokens) => generated.push([model, tokens]) },
    limits: { maxTokens: 64, timeoutMs: Infinity },
    liveSpeed: { isReady: () => true, timed: (model) => timed.push(model), onRequest: () => (requests++, () => undefined) },
    ...overrides,
  };
  return { all, usage, generated, timed, costs, requests: () => requests };
}

const signal = new AbortController().signal;

describe("inference pipeline", () => {
  it("names its steps in the order they run", () => {
    expect(pipelineSteps(ports().all).map((step) => step.name)).toEqual(["routing", "admission", "budget", "usage", "metrics", "request limits", "live speed"]);
  });

  it("runs a chat through every step: the caller owns its queue turn and its usage, limits apply, it is measured and timed", async () => {
    const { engine, seen } = fakeEngine();
    const p = ports();
    const run = inferencePipeline(engine, p.all);
    const chat = await run({ kind: "chat", model: "m", request, caller: { tokenId: "tok1" }, signal, admission: { keepAliveMs: 0 } });
    expect(chat.model).toBe("m");
    expect((await collectChat(chat.events)).text).toBe("hello");
    expect(seen).toEqual([{ kind: "chat", model: "m", admission: { keepAliveMs: 0, owner: "tok1" }, maxTokens: 64 }]);
    expect(p.usage).toEqual([["tok1", 5, 1]]);
    // 5 prompt tokens at 1 and 1 completion token at 2 per million: 7 micro-dollars.
    expect(p.costs).toEqual([{ tokenId: "tok1", provider: "", promptTokens: 5, completionTokens: 1, costMicros: 7 }]);
    expect(p.generated).toEqual([["m", 1]]);
    expect(p.timed).toEqual(["m"]);
  });

  it("counts embeds for the caller, and nothing for a caller without an app token", async () => {
    const { engine, seen } = fakeEngine();
    const p = ports();
    const run = inferencePipeline(engine, p.all);
    await run({ kind: "embed", model: "e", request: { inputs: ["x"] }, caller: { tokenId: "tok2" }, signal });
    await run({ kind: "preload", model: "e", caller: {}, signal });
    expect(seen).toEqual([
      { kind: "embed", model: "e", admission: { owner: "tok2" } },
      { kind: "preload", model: "e", admission: undefined },
    ]);
    expect(p.usage).toEqual([["tok2", 3, 0]]);
    expect(p.requests()).toBe(2);
  });

  it("resolves model auto only where the dialect offers it and a chooser is wired", async () => {
    const { engine, seen } = fakeEngine();
    const asked: [boolean, Caller][] = [];
    const chooseModel = (_chat: ChatRequest, streaming: boolean, caller: Caller) => (asked.push([streaming, caller]), Promise.resolve("picked"));
    const run = inferencePipeline(engine, ports({ chooseModel }).all);
    expect((await run({ kind: "chat", model: "auto", auto: true, streaming: true, request, caller: { tokenId: "tok3" }, signal })).model).toBe("picked");
    expect((await run({ kind: "chat", model: "auto", request, caller: {}, signal })).model).toBe("auto");
    const unwired = inferencePipeline(engine, ports().all);
    expect((await unwired({ kind: "chat", model: "auto", auto: true, request, caller: {}, signal })).model).toBe("auto");
    // The chooser knows who asks: it leaves out what the caller's budget cannot afford.
    expect(asked).toEqual([[true, { tokenId: "tok3" }]]);
    // The events are lazy: nothing reached the engine before they were read.
    expect(seen).toEqual([]);
  });
});

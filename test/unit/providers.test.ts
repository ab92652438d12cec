/** The pure parts of providers: ids and URLs, describing a provider's models, mapping chats, routing. */
import type { ChatCompletionChunk } from "openai/resources";
import { describe, expect, it } from "vitest";
import type { ChatEvent, ChatRequest } from "../../src/engine/contract.js";
import { ChaiboxError } from "../../src/errors.js";
import { describeProviderModel, UNKNOWN_CONTEXT_LENGTH } from "../../src/providers/provider-models.js";
import { leastBusy, type Place } from "../../src/providers/provider-routing.js";
import { apiBase, checkProviderId, normalizeProviderUrl, splitModelId, type ProviderSpec } from "../../src/providers/provider-spec.js";
import { chatEventsFrom, upstreamChatBody } from "../../src/providers/upstream-chat.js";
import { scrub, upstreamError } from "../../src/providers/upstream.js";

const spec: ProviderSpec = { id: "study", kind: "openai", name: "Study", url: "http://study.local:8000/v1", apiKey: "sk-secret-key", source: "admin" };

describe("provider ids and URLs", () => {
  it("takes short lower-case ids only", () => {
    expect(checkProviderId("study-box")).toBe("study-box");
    for (const bad of ["", "Study", "a/b", "-x", "x".repeat(33)]) expect(() => checkProviderId(bad)).toThrow(ChaiboxError);
  });

  it("keeps a Chai box's origin and an API's base URL, and refuses keys in URLs", () => {
    expect(normalizeProviderUrl("http://study.local:8080/some/page", "chai")).toBe("http://study.local:8080");
    expect(normalizeProviderUrl("https://api.example.com/v1/", "openai")).toBe("https://api.example.com/v1");
    expect(() => normalizeProviderUrl("http://user:pw@host/v1", "openai")).toThrow(/api_key/);
    expect(() => normalizeProviderUrl("ftp://host", "openai")).toThrow(/http/);
    expect(() => normalizeProviderUrl("not a url", "chai")).toThrow(/not a URL/);
    expect(apiBase({ kind: "chai", url: "http://study.local:8080" })).toBe("http://study.local:8080/v1");
  });

  it("splits <provider>/<model> at the first slash", () => {
    expect(splitModelId("study/org/model:q4")).toEqual({ provider: "study", model: "org/model:q4" });
    expect(splitModelId("tiny")).toBeUndefined();
  });
});

describe("a provider's models as Chai describes them", () => {
  it("claims only what a plain OpenAI server reports, with the owner's prices", () => {
    const model = describeProviderModel({ ...spec, prices: { inputPerMillion: 2, outputPerMillion: 8 } }, { id: "llama", created: 1700000000, max_model_len: 32768 }, true);
    expect(model.id).toBe("study/llama");
    expect(model.chai).toMatchObject({
      context_length: 32768,
      capabilities: { tools: false, json_schema: false, reasoning: false, embeddings: false, streaming: true },
      pricing: { input_per_million_tokens: 2, output_per_million_tokens: 8, currency: "USD" },
      state: "available",
      provider: { id: "study", kind: "openai", name: "Study" },
    });
    expect(describeProviderModel(spec, { id: "x" }, false).chai).toMatchObject({ context_length: UNKNOWN_CONTEXT_LENGTH, state: "unavailable" });
  });

  it("keeps a Chai box's own description and prefers this box's measured speed", () => {
    const own = describeProviderModel({ ...spec, id: "b", kind: "chai" }, { id: "tiny" }, true).chai;
    const entry = { id: "tiny", chai: { ...own, capabilities: { ...own.capabilities, tools: true }, context_length: 2048, max_context_length: 2048, provider: { id: "c", kind: "chai", name: "C" } } };
    const model = describeProviderModel({ ...spec, id: "b", kind: "chai", prices: undefined }, entry, true, { generationTokensPerSecond: 42.04, timeToFirstTokenMs: 80, measuredAt: "2026-12-07T00:00:00.000Z" });
    expect(model.chai.capabilities.tools).toBe(true);
    expect(model.chai.context_length).toBe(2048);
    expect(model.chai.provider).toEqual({ id: "b", kind: "chai", name: "Study" });
    expect(model.chai.performance).toMatchObject({ generation_tokens_per_second: 42, source: "live" });
  });
});

describe("chats to a provider", () => {
  const request: ChatRequest = {
    messages: [
      { role: "system", content: "Be brief." },
      { role: "assistant", content: "", toolCalls: [{ id: "c1", name: "lookup", arguments: '{"q":1}' }] },
      { role: "tool", toolCallId: "c1", content: "42" },
    ],
    tools: [{ name: "lookup", parameters: { type: "object" } }],
    toolChoice: { type: "function", name: "lookup" },
    responseFormat: { type: "json_schema", name: "answer", schema: { type: "object" }, strict: true },
    sampling: { maxTokens: 10, temperature: 0.2, stop: ["\n"], tokenBias: { "5": -100 } },
  };

  it("maps the contract's request to Chat Completions, always streamed with usage", () => {
    const body = upstreamChatBody("llama", request);
    expect(body).toMatchObject({
      model: "llama",
      stream: true,
      stream_options: { include_usage: true },
      max_tokens: 10,
      temperature: 0.2,
      stop: ["\n"],
      logit_bias: { "5": -100 },
      tool_choice: { type: "function", function: { name: "lookup" } },
      response_format: { type: "json_schema", json_schema: { name: "answer", strict: true } },
    });
    expect(body.messages[1]).toMatchObject({ role: "assistant", tool_calls: [{ id: "c1", type: "function", function: { name: "lookup", arguments: '{"q":1}' } }] });
    expect(body.messages[2]).toEqual({ role: "tool", tool_call_id: "c1", content: "42" });
    expect(() => upstreamChatBody("llama", { messages: [], sampling: {}, rawPrompt: "x" })).toThrow(/raw prompt/);
  });

  const chunk = (delta: object, finish: string | null = null, usage?: object): ChatCompletionChunk =>
    ({ id: "x", object: "chat.completion.chunk", created: 0, model: "m", choices: [{ index: 0, delta, finish_reason: finish, logprobs: null }], ...(usage && { usage }) }) as ChatCompletionChunk;
  async function* from(chunks: ChatCompletionChunk[]) {
    yield* chunks;
  }
  const collect = async (chunks: ChatCompletionChunk[]) => {
    const events: ChatEvent[] = [];
    for await (const event of chatEventsFrom(from(chunks), request)) events.push(event);
    return events;
  };

  it("turns chunks into events: reasoning, text, tool calls gathered from pieces, usage", async () => {
    const events = await collect([
      chunk({ reasoning_content: "hmm" }),
      chunk({ content: "Hi" }),
      chunk({ tool_calls: [{ index: 0, id: "t1", function: { name: "look", arguments: '{"a"' } }] }),
      chunk({ tool_calls: [{ index: 0, function: { name: "up", arguments: ":1}" } }] }),
      chunk({}, "tool_calls"),
      { id: "x", object: "chat.completion.chunk", created: 0, model: "m", choices: [], usage: { prompt_tokens: 7, completion_tokens: 3, total_tokens: 10 } },
    ]);
    expect(events).toEqual([
      { type: "reasoning", text: "hmm" },
      { type: "text", text: "Hi" },
      { type: "tool_calls", calls: [{ id: "t1", name: "lookup", arguments: '{"a":1}' }] },
      { type: "done", finishReason: "tool_calls", usage: { promptTokens: 7, completionTokens: 3 } },
    ]);
  });

  it("counts usage itself when the provider sends none, and fails an answer that never finished", async () => {
    const events = await collect([chunk({ content: "a" }), chunk({ content: "b" }, "length")]);
    expect(events.at(-1)).toMatchObject({ type: "done", finishReason: "length", usage: { completionTokens: 2 } });
    await expect(collect([chunk({ content: "a" })])).rejects.toMatchObject({ code: "provider_error" });
  });
});

describe("a provider's errors", () => {
  const apiError = (status: number, message: string, code?: string) => Object.assign(new Error(`${status} ${message}`), { status, code });

  it("maps them to chaibox's codes and never repeats the key", () => {
    expect(upstreamError(apiError(401, "Incorrect API key provided: sk-secret-key"), spec)).toMatchObject({ code: "provider_error" });
    expect((upstreamError(apiError(401, "Incorrect API key provided: sk-secret-key"), spec) as Error).message).not.toContain("sk-secret-key");
    expect(upstreamError(apiError(500, "boom sk-secret-key"), spec)).toMatchObject({ code: "provider_error", message: expect.not.stringContaining("sk-secret-key") as unknown });
    expect(upstreamError(apiError(404, "no such model"), spec)).toMatchObject({ code: "model_not_found" });
    // Another Chai server's own codes keep their meaning.
    expect(upstreamError(apiError(400, "a chat model", "wrong_model_kind"), spec)).toMatchObject({ code: "wrong_model_kind" });
    expect(upstreamError(apiError(400, "odd", "not_a_chaibox_code"), spec)).toMatchObject({ code: "invalid_request" });
    expect(upstreamError(apiError(400, "too long", "context_length_exceeded"), spec)).toMatchObject({ code: "context_length_exceeded" });
    expect(upstreamError(apiError(429, "slow down"), spec)).toMatchObject({ code: "provider_unavailable" });
    expect(upstreamError(new Error("Connection error."), spec)).toMatchObject({ code: "provider_unavailable" });
    expect(scrub("a sk-secret-key b", "sk-secret-key")).toBe("a [redacted] b");
  });
});

describe("routing between places", () => {
  const place = (modelId: string, load: number, tokensPerSecond: number | null, price = 0, local = false): Place => ({ modelId, load, tokensPerSecond, price, local });

  it("prefers the least busy, then this box, then the fastest; only among the cheapest", () => {
    expect(leastBusy([place("tiny", 1, 90, 0, true), place("b/tiny", 0, 10)])?.modelId).toBe("b/tiny");
    expect(leastBusy([place("tiny", 0, 10, 0, true), place("b/tiny", 0, 90)])?.modelId).toBe("tiny");
    expect(leastBusy([place("b/tiny", 0, null), place("c/tiny", 0, 20)])?.modelId).toBe("c/tiny");
    expect(leastBusy([place("tiny", 5, 10, 0, true), place("cloud/tiny", 0, 500, 3)])?.modelId).toBe("tiny");
    expect(leastBusy([])).toBeUndefined();
  });
});

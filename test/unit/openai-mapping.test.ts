import { describe, expect, it } from "vitest";
import type { ChatCompletionBody } from "../../src/api/openai/chat-schema.js";
import { chunkObject, completionObject, toChatRequest, toolCallsDelta, usageChunkObject } from "../../src/api/openai/mapping.js";
import { normalizeError, openAiError, paramFromPointer } from "../../src/api/errors.js";
import { ChaiboxError } from "../../src/errors.js";

const base = (extra: Partial<ChatCompletionBody> = {}): ChatCompletionBody => ({
  model: "m",
  messages: [{ role: "user", content: "hi" }],
  ...extra,
});

function codeOf(fn: () => unknown): { code: string; param: string | undefined } {
  try {
    fn();
  } catch (error) {
    if (error instanceof ChaiboxError) return { code: error.code, param: error.details.param };
    throw error;
  }
  throw new Error("did not throw");
}

describe("OpenAI chat mapping", () => {
  it("maps roles, text parts and sampling", () => {
    const request = toChatRequest(
      base({
        messages: [
          { role: "developer", content: "be brief" },
          { role: "system", content: [{ type: "text", text: "a" }, { type: "text", text: "b" }] },
          { role: "user", content: "hi" },
        ],
        max_tokens: 10,
        max_completion_tokens: 20,
        temperature: 0.2,
        top_p: 0.9,
        seed: 7,
        stop: "END",
        presence_penalty: 0.5,
        frequency_penalty: -0.5,
        logit_bias: { "42": 5 },
      }),
    );
    expect(request.messages).toEqual([
      { role: "system", content: "be brief" },
      { role: "system", content: "ab" },
      { role: "user", content: "hi" },
    ]);
    expect(request.sampling).toEqual({
      repeatPenalty: 1,
      maxTokens: 20,
      temperature: 0.2,
      topP: 0.9,
      seed: 7,
      stop: ["END"],
      presencePenalty: 0.5,
      frequencyPenalty: -0.5,
      tokenBias: { "42": 5 },
    });
  });

  it("maps tools, tool choice, tool calls and tool results", () => {
    const request = toChatRequest(
      base({
        messages: [
          { role: "user", content: "weather?" },
          { role: "assistant", content: null, tool_calls: [{ id: "call_1", type: "function", function: { name: "get", arguments: '{"city":"Oslo"}' } }] },
          { role: "tool", tool_call_id: "call_1", content: "sunny" },
        ],
        tools: [{ type: "function", function: { name: "get", description: "weather", parameters: { type: "object" } } }],
        tool_choice: { type: "function", function: { name: "get" } },
      }),
    );
    expect(request.messages[1]).toEqual({ role: "assistant", content: "", toolCalls: [{ id: "call_1", name: "get", arguments: '{"city":"Oslo"}' }] });
    expect(request.messages[2]).toEqual({ role: "tool", toolCallId: "call_1", content: "sunny" });
    expect(request.tools).toEqual([{ name: "get", description: "weather", parameters: { type: "object" } }]);
    expect(request.toolChoice).toEqual({ type: "function", name: "get" });
  });

  it("maps response formats", () => {
    const schema = { type: "object", properties: { a: { type: "integer" } } };
    expect(toChatRequest(base({ response_format: { type: "json_object" } })).responseFormat).toEqual({ type: "json_object" });
    expect(toChatRequest(base({ response_format: { type: "json_schema", json_schema: { name: "x", schema, strict: true } } })).responseFormat).toEqual({
      type: "json_schema",
      name: "x",
      schema,
      strict: true,
    });
    expect(codeOf(() => toChatRequest(base({ response_format: { type: "json_schema", json_schema: { name: "x" } } })))).toEqual({
      code: "invalid_request",
      param: "response_format.json_schema.schema",
    });
  });

  it("refuses what it does not serve, naming the parameter", () => {
    expect(codeOf(() => toChatRequest(base({ n: 2 })))).toEqual({ code: "unsupported_parameter", param: "n" });
    expect(codeOf(() => toChatRequest(base({ logprobs: true })))).toEqual({ code: "unsupported_parameter", param: "logprobs" });
    expect(codeOf(() => toChatRequest(base({ top_logprobs: 3 })))).toEqual({ code: "unsupported_parameter", param: "top_logprobs" });
    expect(codeOf(() => toChatRequest(base({ modalities: ["text", "audio"] })))).toEqual({ code: "unsupported_parameter", param: "modalities" });
    expect(codeOf(() => toChatRequest(base({ functions: [] })))).toEqual({ code: "unsupported_parameter", param: "functions" });
    expect(
      codeOf(() => toChatRequest(base({ messages: [{ role: "user", content: [{ type: "image_url" }] }] }))),
    ).toEqual({ code: "unsupported_parameter", param: "messages[0].content[0].type" });
    // Harmless values are accepted.
    expect(() => toChatRequest(base({ n: 1, logprobs: false, modalities: ["text"], user: "u", store: false }))).not.toThrow();
  });

  it("checks tool choice and tool results against the conversation", () => {
    expect(codeOf(() => toChatRequest(base({ tool_choice: "required" })))).toEqual({ code: "invalid_request", param: "tool_choice" });
    expect(
      codeOf(() =>
        toChatRequest(base({ tools: [{ type: "function", function: { name: "a" } }], tool_choice: { type: "function", function: { name: "b" } } })),
      ),
    ).toEqual({ code: "invalid_request", param: "tool_choice" });
    expect(codeOf(() => toChatRequest(base({ messages: [{ role: "tool", tool_call_id: "nope", content: "x" }] })))).toEqual({
      code: "invalid_request",
      param: "messages[0].tool_call_id",
    });
    expect(codeOf(() => toChatRequest(base({ messages: [{ role: "tool", content: "x" }] })))).toEqual({
      code: "invalid_request",
      param: "messages[0].tool_call_id",
    });
  });

  it("renders completions, chunks and usage in OpenAI's shape", () => {
    const meta = { id: "chatcmpl-1", created: 1, model: "m" };
    const usage = { promptTokens: 5, completionTokens: 3 };
    const done = completionObject(meta, { text: "", toolCalls: [{ id: "call_1", name: "f", arguments: "{}" }], finishReason: "tool_calls", usage });
    expect(done.choices[0]?.message).toEqual({
      role: "assistant",
      content: null,
      refusal: null,
      tool_calls: [{ id: "call_1", type: "function", function: { name: "f", arguments: "{}" } }],
    });
    expect(done.usage).toEqual({ prompt_tokens: 5, completion_tokens: 3, total_tokens: 8, prompt_tokens_details: { cached_tokens: 0 } });
    const cached = completionObject(meta, { text: "", toolCalls: [], finishReason: "stop", usage: { ...usage, cachedPromptTokens: 4 } });
    expect(cached.usage.prompt_tokens_details).toEqual({ cached_tokens: 4 });
    expect(chunkObject(meta, { content: "x" }, null, true)).toMatchObject({ object: "chat.completion.chunk", usage: null });
    expect(chunkObject(meta, { content: "x" }, null, false)).not.toHaveProperty("usage");
    expect(toolCallsDelta([{ id: "c", name: "f", arguments: "{}" }]).tool_calls?.[0]).toMatchObject({ index: 0, id: "c" });
    expect(usageChunkObject(meta, usage)).toMatchObject({ choices: [], usage: { total_tokens: 8 } });
  });
});

describe("error envelopes", () => {
  it("names params the way OpenAI does", () => {
    expect(paramFromPointer("/messages/0/content")).toBe("messages[0].content");
    expect(paramFromPointer("")).toBeNull();
  });

  it("maps domain errors to status, type and code", () => {
    const full = normalizeError(new ChaiboxError("queue_full", "busy", { retryAfterSeconds: 3 }));
    expect(full).toMatchObject({ status: 503, retryAfterSeconds: 3 });
    expect(openAiError(full).error).toMatchObject({ type: "server_error", code: "queue_full" });
    const ctx = openAiError(normalizeError(new ChaiboxError("context_length_exceeded", "too long", { param: "messages" })));
    expect(ctx.error).toEqual({ message: "too long", type: "invalid_request_error", param: "messages", code: "context_length_exceeded" });
    const bug = normalizeError(new Error("secret detail"));
    expect(bug.status).toBe(500);
    expect(openAiError(bug).error.message).not.toContain("secret");
  });
});

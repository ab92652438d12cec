/** The Responses API's pure mapping and event sequencing: request + prior conversation → ChatRequest, events → wire. */
import type OpenAI from "openai";
import { describe, expect, it } from "vitest";
import type { ChatMessage } from "../../src/engine/contract.js";
import type { NormalizedError } from "../../src/api/errors.js";
import { ChaiboxError } from "../../src/errors.js";
import type { ResponseCreateBody } from "../../src/api/openai/responses-schema.js";
import {
  conversationAfter,
  refuseUnserved,
  responseEcho,
  responseId,
  toChatRequest,
  toConversation,
  type ResponseMeta,
  type ResponseObject,
} from "../../src/api/openai/responses-mapping.js";
import { ResponseEventBuilder, type ResponseStreamEvent } from "../../src/api/openai/responses-stream.js";

const base = (extra: Partial<ResponseCreateBody> = {}): ResponseCreateBody => ({ model: "m", input: "hi", ...extra });
/** Input items as a client sends them; the schema declares only their `type`, the mapping checks the rest. */
const items = (...list: unknown[]) => list as ResponseCreateBody["input"];

function errorOf(fn: () => unknown): { code: string; param: string | undefined } {
  try {
    fn();
  } catch (error) {
    if (error instanceof ChaiboxError) return { code: error.code, param: error.details.param };
    throw error;
  }
  throw new Error("did not throw");
}

const weather = { type: "function", name: "get_weather", parameters: { type: "object", properties: { city: { type: "string" } } } };

describe("Responses request mapping", () => {
  it("maps a string input to one user message and instructions to a leading system message", () => {
    const body = base({ instructions: "be brief", max_output_tokens: 20, temperature: 0.3, top_p: 0.9 });
    const conversation = toConversation(body, []);
    expect(conversation).toEqual([{ role: "user", content: "hi" }]);
    expect(toChatRequest(body, conversation)).toEqual({
      messages: [
        { role: "system", content: "be brief" },
        { role: "user", content: "hi" },
      ],
      sampling: { repeatPenalty: 1, maxTokens: 20, temperature: 0.3, topP: 0.9 },
    });
  });

  it("maps message items, text parts, developer as system, and a function call round trip", () => {
    const body = base({
      input: items(
        { role: "developer", content: "rules" },
        { type: "message", role: "user", content: [{ type: "input_text", text: "Weather " }, { type: "input_text", text: "in Oslo?" }] },
        { type: "function_call", call_id: "call_1", name: "get_weather", arguments: '{"city":"Oslo"}', id: "fc_1", status: "completed" },
        { type: "function_call", call_id: "call_2", name: "get_weather", arguments: '{"city":"Bergen"}' },
        { type: "function_call_output", call_id: "call_1", output: '{"t":21}' },
        { type: "function_call_output", call_id: "call_2", output: [{ type: "input_text", text: "rain" }] },
        { type: "message", role: "assistant", id: "msg_1", status: "completed", content: [{ type: "output_text", text: "Warm." }] },
      ),
    });
    expect(toConversation(body, [])).toEqual([
      { role: "system", content: "rules" },
      { role: "user", content: "Weather in Oslo?" },
      {
        role: "assistant",
        content: "",
        toolCalls: [
          { id: "call_1", name: "get_weather", arguments: '{"city":"Oslo"}' },
          { id: "call_2", name: "get_weather", arguments: '{"city":"Bergen"}' },
        ],
      },
      { role: "tool", toolCallId: "call_1", content: '{"t":21}' },
      { role: "tool", toolCallId: "call_2", content: "rain" },
      { role: "assistant", content: "Warm." },
    ]);
  });

  it("continues a prior conversation: a function_call_output answers the prior turn's call, the prior is untouched", () => {
    const prior: ChatMessage[] = [
      { role: "user", content: "Weather?" },
      { role: "assistant", content: "", toolCalls: [{ id: "call_9", name: "get_weather", arguments: "{}" }] },
    ];
    const copy = structuredClone(prior);
    const body = base({ input: items({ type: "function_call_output", call_id: "call_9", output: "sunny" }), instructions: "new rules" });
    const conversation = toConversation(body, prior);
    expect(conversation).toEqual([...prior, { role: "tool", toolCallId: "call_9", content: "sunny" }]);
    // Instructions apply to this response only; they are not part of the conversation that is stored.
    expect(toChatRequest(body, conversation).messages[0]).toEqual({ role: "system", content: "new rules" });
    expect(prior).toEqual(copy);

    const more = toConversation(base({ input: items({ type: "function_call", call_id: "call_10", name: "f", arguments: "{}" }) }), prior);
    expect(more[1]).toEqual({
      role: "assistant",
      content: "",
      toolCalls: [
        { id: "call_9", name: "get_weather", arguments: "{}" },
        { id: "call_10", name: "f", arguments: "{}" },
      ],
    });
    expect(prior).toEqual(copy);
  });

  it("refuses items it cannot serve, naming them", () => {
    const outputOf = (input: unknown[]) => errorOf(() => toConversation(base({ input: items(...input) }), []));
    expect(outputOf([{ type: "function_call_output", call_id: "call_x", output: "1" }])).toEqual({ code: "invalid_request", param: "input[0].call_id" });
    expect(outputOf([{ type: "function_call", name: "f", arguments: "{}" }])).toEqual({ code: "invalid_request", param: "input[0].call_id" });
    expect(outputOf([{ role: "user", content: [{ type: "input_image", image_url: "x" }] }])).toEqual({
      code: "unsupported_parameter",
      param: "input[0].content[0].type",
    });
    expect(outputOf([{ role: "user", content: "a" }, { type: "item_reference", id: "msg_1" }])).toEqual({ code: "unsupported_parameter", param: "input[1].type" });
    expect(outputOf([{ role: "robot", content: "a" }])).toMatchObject({ code: "invalid_request", param: "input[0].role" });
    expect(outputOf([])).toEqual({ code: "invalid_request", param: "input" });
  });

  it("maps tools, tool_choice and text.format", () => {
    const body = base({
      tools: [{ ...weather, description: "Weather", strict: true }],
      tool_choice: { type: "function", name: "get_weather" },
      text: { format: { type: "json_schema", name: "w", schema: { type: "object" }, strict: true } },
    });
    const request = toChatRequest(body, toConversation(body, []));
    expect(request.tools).toEqual([{ name: "get_weather", description: "Weather", parameters: weather.parameters }]);
    expect(request.toolChoice).toEqual({ type: "function", name: "get_weather" });
    expect(request.responseFormat).toEqual({ type: "json_schema", name: "w", schema: { type: "object" }, strict: true });
    expect(toChatRequest(base({ text: { format: { type: "json_object" } } }), []).responseFormat).toEqual({ type: "json_object" });
    expect(toChatRequest(base({ tools: [weather], tool_choice: "required" }), []).toolChoice).toEqual({ type: "required" });

    expect(errorOf(() => toChatRequest(base({ tools: [weather], tool_choice: { type: "function", name: "nope" } }), []))).toEqual({
      code: "invalid_request",
      param: "tool_choice",
    });
    expect(errorOf(() => toChatRequest(base({ tool_choice: "required" }), []))).toEqual({ code: "invalid_request", param: "tool_choice" });
    expect(errorOf(() => toChatRequest(base({ tools: [weather], tool_choice: { type: "web_search_preview" } }), []))).toEqual({
      code: "unsupported_parameter",
      param: "tool_choice",
    });
    expect(errorOf(() => toChatRequest(base({ text: { format: { type: "json_schema", name: "w" } } }), []))).toEqual({
      code: "invalid_request",
      param: "text.format.schema",
    });
  });

  it("refuses parameters whose effect it does not provide", () => {
    const refused = (extra: Partial<ResponseCreateBody>) => errorOf(() => refuseUnserved(base(extra)));
    expect(refused({ background: true })).toEqual({ code: "unsupported_parameter", param: "background" });
    expect(refused({ include: ["message.output_text.logprobs"] })).toEqual({ code: "unsupported_parameter", param: "include" });
    expect(refused({ tools: [{ type: "web_search" }] })).toEqual({ code: "unsupported_parameter", param: "tools[0].type" });
    expect(refused({ tools: [{ type: "function" }] })).toEqual({ code: "invalid_request", param: "tools[0].name" });
    expect(refused({ reasoning: { effort: "high" } })).toEqual({ code: "unsupported_parameter", param: "reasoning" });
    expect(refused({ truncation: "auto" })).toEqual({ code: "unsupported_parameter", param: "truncation" });
    expect(refused({ top_logprobs: 3 })).toEqual({ code: "unsupported_parameter", param: "top_logprobs" });
    expect(refused({ conversation: "conv_1" })).toEqual({ code: "unsupported_parameter", param: "conversation" });
    expect(refused({ text: { verbosity: "low" } })).toEqual({ code: "unsupported_parameter", param: "text.verbosity" });
    // Defaults and no-op values pass.
    expect(() => refuseUnserved(base({ background: false, include: [], reasoning: null, truncation: "disabled", top_logprobs: 0, text: { verbosity: "medium" } }))).not.toThrow();
  });

  it("echoes the request with OpenAI's defaults", () => {
    expect(responseEcho(base())).toEqual({
      instructions: null,
      max_output_tokens: null,
      metadata: {},
      parallel_tool_calls: true,
      previous_response_id: null,
      store: true,
      temperature: null,
      text: { format: { type: "text" } },
      tool_choice: "auto",
      tools: [],
      top_p: null,
    });
    const echo = responseEcho(base({ tools: [weather], tool_choice: { type: "function", name: "get_weather" }, store: false, user: "u", previous_response_id: "resp_1" }));
    expect(echo).toMatchObject({
      store: false,
      user: "u",
      previous_response_id: "resp_1",
      tool_choice: { type: "function", name: "get_weather" },
      tools: [{ type: "function", name: "get_weather", description: null, parameters: weather.parameters, strict: true }],
    });
  });

  it("appends the model's turn to the conversation", () => {
    const call = { id: "call_1", name: "f", arguments: "{}" };
    expect(conversationAfter([{ role: "user", content: "q" }], "a", [])).toEqual([
      { role: "user", content: "q" },
      { role: "assistant", content: "a" },
    ]);
    expect(conversationAfter([], "", [call]).at(-1)).toEqual({ role: "assistant", content: "", toolCalls: [call] });
  });
});

const meta = (): ResponseMeta => ({ id: responseId(), createdAt: 1_700_000_000, model: "m", echo: responseEcho(base()) });
const usage = { promptTokens: 7, completionTokens: 3 };

function run(builder: ResponseEventBuilder, events: Parameters<ResponseEventBuilder["push"]>[0][]): ResponseStreamEvent[] {
  return [...builder.start(), ...events.flatMap((e) => builder.push(e))];
}

describe("Responses event sequence", () => {
  it("streams a text response in OpenAI's order with increasing sequence numbers", () => {
    const builder = new ResponseEventBuilder(meta(), () => 1_700_000_005_000);
    const events = run(builder, [{ type: "text", text: "Hel" }, { type: "text", text: "lo" }, { type: "done", finishReason: "stop", usage }]);
    expect(events.map((e) => e.type)).toEqual([
      "response.created",
      "response.in_progress",
      "response.output_item.added",
      "response.content_part.added",
      "response.output_text.delta",
      "response.output_text.delta",
      "response.output_text.done",
      "response.content_part.done",
      "response.output_item.done",
      "response.completed",
    ]);
    expect(events.map((e) => e.sequence_number)).toEqual(events.map((_, i) => i));
    const created = events[0];
    if (!created || !("response" in created)) throw new Error("expected response.created first");
    expect(created.response).toMatchObject({ status: "in_progress", output: [], usage: null });

    const response = builder.result;
    expect(response).toMatchObject({
      object: "response",
      status: "completed",
      created_at: 1_700_000_000,
      completed_at: 1_700_000_005,
      incomplete_details: null,
      error: null,
      usage: { input_tokens: 7, output_tokens: 3, total_tokens: 10, input_tokens_details: { cached_tokens: 0 }, output_tokens_details: { reasoning_tokens: 0 } },
    });
    expect(response?.id).toMatch(/^resp_[0-9a-f]{48}$/);
    expect(response?.output).toEqual([
      { id: expect.stringMatching(/^msg_/) as string, type: "message", status: "completed", role: "assistant", content: [{ type: "output_text", text: "Hello", annotations: [], logprobs: [] }] },
    ]);
    expect(events.find((e) => e.type === "response.output_text.done")).toMatchObject({ text: "Hello", output_index: 0, content_index: 0 });
    // Every event's snapshot is its own: the created event still shows an empty response.
    expect(created.response.output).toEqual([]);

    // The shapes are OpenAI's own types, checked by the compiler. Two differences are the SDK's: it adds
    // output_text itself, and the wire's `usage: null` (before the end) is typed as an absent field.
    const typed = (r: ResponseObject): OpenAI.Responses.Response => ({ ...r, usage: r.usage ?? undefined, output_text: "" });
    const typedEvents: OpenAI.Responses.ResponseStreamEvent[] = events.map((e) => ("response" in e ? { ...e, response: typed(e.response) } : e));
    expect(typed(response!).output).toHaveLength(1);
    expect(typedEvents).toHaveLength(10);
  });

  it("ends at the token limit as incomplete with its reason", () => {
    const builder = new ResponseEventBuilder(meta());
    const events = run(builder, [{ type: "text", text: "a" }, { type: "done", finishReason: "length", usage }]);
    expect(events.at(-1)?.type).toBe("response.incomplete");
    expect(builder.result).toMatchObject({ status: "incomplete", incomplete_details: { reason: "max_output_tokens" }, completed_at: null });
    expect(builder.result?.output[0]).toMatchObject({ type: "message", status: "incomplete" });
  });

  it("streams function calls as function_call items with their arguments", () => {
    const builder = new ResponseEventBuilder(meta());
    const call = { id: "call_abc", name: "get_weather", arguments: '{"city":"Oslo"}' };
    const events = run(builder, [{ type: "tool_calls", calls: [call] }, { type: "done", finishReason: "tool_calls", usage }]);
    expect(events.map((e) => e.type)).toEqual([
      "response.created",
      "response.in_progress",
      "response.output_item.added",
      "response.function_call_arguments.delta",
      "response.function_call_arguments.done",
      "response.output_item.done",
      "response.completed",
    ]);
    expect(events[2]).toMatchObject({ item: { type: "function_call", status: "in_progress", arguments: "", call_id: "call_abc" } });
    expect(events[4]).toMatchObject({ name: "get_weather", arguments: call.arguments });
    expect(builder.result?.output).toEqual([
      { id: expect.stringMatching(/^fc_/) as string, type: "function_call", status: "completed", call_id: "call_abc", name: "get_weather", arguments: call.arguments },
    ]);
    expect(builder.toolCalls).toEqual([call]);
  });

  it("closes the text message before the calls that follow it, and says something when nothing was generated", () => {
    const builder = new ResponseEventBuilder(meta());
    const call = { id: "call_1", name: "f", arguments: "{}" };
    run(builder, [{ type: "text", text: "Let me check." }, { type: "tool_calls", calls: [call] }, { type: "done", finishReason: "tool_calls", usage }]);
    expect(builder.result?.output.map((item) => item.type)).toEqual(["message", "function_call"]);

    const empty = new ResponseEventBuilder(meta());
    const events = run(empty, [{ type: "done", finishReason: "stop", usage }]);
    expect(events.map((e) => e.type)).toContain("response.content_part.done");
    expect(empty.result?.output).toMatchObject([{ type: "message", content: [{ type: "output_text", text: "" }] }]);
  });

  it("ends a failed stream with an error event and response.failed", () => {
    const builder = new ResponseEventBuilder(meta());
    const events = [...builder.start(), ...builder.push({ type: "text", text: "par" })];
    const error: NormalizedError = { status: 502, code: "runner_crashed", message: "the runner crashed", param: null, internal: false };
    const tail = builder.fail(error);
    expect(tail.map((e) => e.type)).toEqual(["error", "response.failed"]);
    expect(tail[0]).toMatchObject({ code: "runner_crashed", message: "the runner crashed", param: null, sequence_number: events.length });
    expect(builder.result).toMatchObject({ status: "failed", error: { code: "server_error", message: "the runner crashed" } });
    expect(builder.result?.output[0]).toMatchObject({ status: "incomplete", content: [{ text: "par" }] });
  });
});

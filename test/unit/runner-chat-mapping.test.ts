// The runner's pure mapping parts: chat history, tool modes, sampling, JSON checks and grammar schemas. These modules
// only use node-llama-cpp's types, so no native code loads here; the integration test runs them for real.
import { describe, expect, it } from "vitest";
import type { LlamaChatResponseChunk, LlamaModel, Token } from "node-llama-cpp";
import type { ChatEvent, ChatMessage, ChatRequest } from "../../src/engine/contract.js";
import { responseChunkHandler } from "../../src/engine/native/runner-process/chat.js";
import { toChatHistory, withInstruction, withoutOldestTurn } from "../../src/engine/native/runner-process/history.js";
import {
  compileJsonCheck,
  findNonFiniteNumber,
  parseChecked,
  toGrammarSchema,
} from "../../src/engine/native/runner-process/json-output.js";
import { DEFAULT_TEMPERATURE, toSamplingSettings } from "../../src/engine/native/runner-process/sampling.js";
import { forcedCallGrammarSchema, parseForcedCall, resolveToolMode } from "../../src/engine/native/runner-process/tools.js";
import { ChaiboxError } from "../../src/errors.js";

function codeOf(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (error) {
    return error instanceof ChaiboxError ? error.code : "not a ChaiboxError";
  }
  return undefined;
}

describe("dropping the oldest turn of a conversation too long for the context", () => {
  it("drops the first exchange, keeps every system message and the last turn, and stops there", () => {
    const history = toChatHistory([
      { role: "system", content: "rules" },
      { role: "user", content: "one" },
      { role: "assistant", content: "first answer" },
      { role: "user", content: "two" },
      { role: "assistant", content: "", toolCalls: [{ id: "c", name: "f", arguments: "{}" }] },
      { role: "tool", toolCallId: "c", content: "ok" },
      { role: "system", content: "later rule" },
      { role: "user", content: "three" },
    ]);
    const once = withoutOldestTurn(history);
    expect(once?.map((item) => item.type)).toEqual(["system", "user", "model", "system", "user", "model"]);
    expect(once?.[1]).toEqual({ type: "user", text: "two" });
    const twice = withoutOldestTurn(once ?? []);
    expect(twice).toEqual([{ type: "system", text: "rules" }, { type: "system", text: "later rule" }, { type: "user", text: "three" }, { type: "model", response: [] }]);
    expect(withoutOldestTurn(twice ?? [])).toBeUndefined();
  });
});

describe("chat history", () => {
  it("maps roles and ends with an empty model response after a user turn", () => {
    const messages: ChatMessage[] = [
      { role: "system", content: "Be brief." },
      { role: "user", content: "Hi" },
      { role: "assistant", content: "Hello!" },
      { role: "user", content: "Weather?" },
    ];
    expect(toChatHistory(messages)).toEqual([
      { type: "system", text: "Be brief." },
      { type: "user", text: "Hi" },
      { type: "model", response: ["Hello!"] },
      { type: "user", text: "Weather?" },
      { type: "model", response: [] },
    ]);
  });

  it("turns tool calls and their results into function calls, matched by id", () => {
    const weatherCall = (params: unknown, result: unknown, startsNewChunk: boolean): unknown => ({
      type: "functionCall",
      name: "weather",
      params,
      result,
      startsNewChunk,
    });
    const history = toChatHistory([
      { role: "user", content: "Weather in Paris and Rome?" },
      {
        role: "assistant",
        content: "",
        toolCalls: [
          { id: "a", name: "weather", arguments: '{"city":"Paris"}' },
          { id: "b", name: "weather", arguments: "not json" },
        ],
      },
      { role: "tool", toolCallId: "b", content: "sunny" },
      { role: "tool", toolCallId: "a", content: '{"temp":21}' },
    ]);
    // The generation continues the model turn that holds the calls.
    expect(history).toHaveLength(2);
    expect(history[1]).toEqual({
      type: "model",
      response: [
        weatherCall({ city: "Paris" }, { temp: 21 }, true),
        weatherCall("not json", "sunny", false),
      ],
    });
  });

  it("rejects an empty conversation and tool messages that answer nothing", () => {
    expect(codeOf(() => toChatHistory([]))).toBe("invalid_request");
    expect(codeOf(() => toChatHistory([{ role: "tool", toolCallId: "x", content: "1" }]))).toBe("invalid_request");
    expect(
      codeOf(() =>
        toChatHistory([
          { role: "assistant", content: "", toolCalls: [{ id: "a", name: "f", arguments: "{}" }] },
          { role: "tool", toolCallId: "other", content: "1" },
        ]),
      ),
    ).toBe("invalid_request");
  });

  it("inserts an instruction right before the final model response", () => {
    const history = withInstruction(toChatHistory([{ role: "user", content: "Hi" }]), "Use a tool.");
    expect(history.map((item) => item.type)).toEqual(["user", "system", "model"]);
  });
});

describe("tool modes", () => {
  const tools = [{ name: "a" }, { name: "b", parameters: { type: "object", properties: { x: { type: "number" } } } }];
  const request = (extra: Partial<ChatRequest>): ChatRequest => ({ messages: [], sampling: {}, ...extra });

  it("defaults to auto with tools and none without", () => {
    expect(resolveToolMode(request({ tools })).kind).toBe("auto");
    expect(resolveToolMode(request({})).kind).toBe("none");
    expect(resolveToolMode(request({ tools, toolChoice: { type: "none" } })).kind).toBe("none");
  });

  it("forces all tools for required and one for a named function", () => {
    expect(resolveToolMode(request({ tools, toolChoice: { type: "required" } }))).toEqual({ kind: "forced", tools });
    expect(resolveToolMode(request({ tools, toolChoice: { type: "function", name: "b" } }))).toEqual({
      kind: "forced",
      tools: [tools[1]],
    });
  });

  it("rejects impossible choices and invalid schemas", () => {
    expect(codeOf(() => resolveToolMode(request({ toolChoice: { type: "required" } })))).toBe("invalid_request");
    const unknownTool = request({ tools, toolChoice: { type: "function", name: "c" } });
    expect(codeOf(() => resolveToolMode(unknownTool))).toBe("invalid_request");
    expect(codeOf(() => resolveToolMode(request({ tools: [{ name: "a" }, { name: "a" }] })))).toBe("invalid_request");
    const badSchema = request({ tools: [{ name: "a", parameters: { type: 12 } }] });
    expect(codeOf(() => resolveToolMode(badSchema))).toBe("invalid_request");
  });

  it("builds a grammar schema with one alternative per tool, name first", () => {
    expect(forcedCallGrammarSchema(tools)).toEqual({
      oneOf: [
        { type: "object", properties: { name: { const: "a" }, arguments: { type: "object", properties: {} } } },
        { type: "object", properties: { name: { const: "b" }, arguments: tools[1]!.parameters } },
      ],
    });
  });

  it("accepts a forced call only with a known name and valid arguments", () => {
    const ok = parseForcedCall('{"name":"b","arguments":{"x":1.5}}', tools);
    expect(ok.ok && ok.call).toEqual({
      id: expect.stringMatching(/^call_[0-9a-f]{24}$/) as unknown,
      name: "b",
      arguments: '{"x":1.5}',
    });
    expect(parseForcedCall('{"name":"c","arguments":{}}', tools).ok).toBe(false);
    expect(parseForcedCall('{"name":"b","arguments":{"x":"1"}}', tools).ok).toBe(false);
    expect(parseForcedCall('{"name":"b","arguments":{"x":1e999}}', tools)).toEqual({
      ok: false,
      reason: 'arguments for "b": number at /x is not finite',
    });
    expect(parseForcedCall('{"name":"b","arguments":', tools).ok).toBe(false);
  });
});

describe("sampling", () => {
  // Without a token bias the mapping never reads the model.
  const model = {} as LlamaModel;

  it("passes top-k through, 0 included (disabled, as in llama.cpp), and leaves it to node-llama-cpp when absent", () => {
    expect(toSamplingSettings(model, { topK: 20 })).toEqual({ temperature: DEFAULT_TEMPERATURE, topK: 20 });
    expect(toSamplingSettings(model, { topK: 0 }).topK).toBe(0);
    expect(toSamplingSettings(model, {})).toEqual({ temperature: DEFAULT_TEMPERATURE });
  });

  it("combines the repeat penalty with the presence and frequency penalties in one", () => {
    expect(toSamplingSettings(model, { repeatPenalty: 1.3 }).repeatPenalty).toEqual({ penalty: 1.3, presencePenalty: 0, frequencyPenalty: 0 });
    expect(toSamplingSettings(model, { repeatPenalty: 1, presencePenalty: 0.5 }).repeatPenalty).toEqual({
      penalty: 1,
      presencePenalty: 0.5,
      frequencyPenalty: 0,
    });
    // Without a repeat penalty, node-llama-cpp's default (1.1) stays in force next to the others.
    expect(toSamplingSettings(model, { frequencyPenalty: 0.2 }).repeatPenalty).toEqual({ presencePenalty: 0, frequencyPenalty: 0.2 });
    expect(toSamplingSettings(model, {}).repeatPenalty).toBeUndefined();
  });

  it("turns the penalty off where nothing is penalized (the OpenAI formats' default)", () => {
    expect(toSamplingSettings(model, { repeatPenalty: 1 }).repeatPenalty).toBe(false);
    expect(toSamplingSettings(model, { repeatPenalty: 1, presencePenalty: 0, frequencyPenalty: 0 }).repeatPenalty).toBe(false);
    expect(toSamplingSettings(model, { repeatPenalty: 1, frequencyPenalty: 0.3 }).repeatPenalty).toEqual({ penalty: 1, presencePenalty: 0, frequencyPenalty: 0.3 });
  });

  it("refuses a top-k or repeat penalty llama.cpp would misread", () => {
    expect(codeOf(() => toSamplingSettings(model, { topK: -1 }))).toBe("invalid_request");
    expect(codeOf(() => toSamplingSettings(model, { topK: 2.5 }))).toBe("invalid_request");
    expect(codeOf(() => toSamplingSettings(model, { repeatPenalty: 0 }))).toBe("invalid_request");
    expect(codeOf(() => toSamplingSettings(model, { repeatPenalty: Number.NaN }))).toBe("invalid_request");
  });
});

describe("response chunks", () => {
  const tokens = [1 as Token];
  const thought = (text: string, chunkTokens = tokens): LlamaChatResponseChunk =>
    ({ type: "segment", segmentType: "thought", text, tokens: chunkTokens });

  it("sends thoughts as reasoning events, never the answer or other segments, and marks the first token", () => {
    const events: ChatEvent[] = [];
    let marks = 0;
    const handle = responseChunkHandler({ token: () => marks++ }, (event) => events.push(event));
    handle(thought("", [])); // a segment's start, announced without tokens
    expect(marks).toBe(0);
    handle(thought("Let me see"));
    handle({ type: "segment", segmentType: "comment", text: "aside", tokens });
    handle({ type: undefined, segmentType: undefined, text: "Answer", tokens });
    expect(events).toEqual([{ type: "reasoning", text: "Let me see" }]);
    expect(marks).toBe(3);
  });

  it("only marks tokens when nothing is streamed (validated outputs)", () => {
    let marks = 0;
    responseChunkHandler({ token: () => marks++ })(thought("hidden"));
    expect(marks).toBe(1);
  });
});

describe("JSON checks", () => {
  it("finds numbers that overflowed to Infinity", () => {
    expect(findNonFiniteNumber(JSON.parse('{"a":[1,{"b/c":69E22453}]}'))).toBe("/a/1/b~1c");
    expect(findNonFiniteNumber({ a: [1, 2.5, -3e10] })).toBeUndefined();
    expect(findNonFiniteNumber(-Infinity)).toBe("/");
  });

  it("validates against the client's schema: lengths, integers, required", () => {
    const check = compileJsonCheck(
      {
        $schema: "http://json-schema.org/draft-07/schema#",
        type: "object",
        properties: { n: { type: "integer" }, s: { type: "string", maxLength: 3 } },
        required: ["n", "s"],
      },
      "response_format",
    );
    expect(parseChecked('{"n":1,"s":"abc"}', check)).toEqual({ ok: true, value: { n: 1, s: "abc" } });
    // An exponent in an integer is still an integer when its value is one.
    expect(parseChecked('{"n":1E2,"s":""}', check).ok).toBe(true);
    expect(parseChecked('{"n":1.5,"s":""}', check).ok).toBe(false);
    expect(parseChecked('{"n":1,"s":"abcd"}', check).ok).toBe(false);
    expect(parseChecked('{"n":1}', check).ok).toBe(false);
    expect(parseChecked('{"n":1e400,"s":""}', check)).toEqual({ ok: false, reason: "number at /n is not finite" });
  });

  it("reports an invalid schema as invalid_request with the parameter", () => {
    try {
      compileJsonCheck({ type: "object", properties: { a: { type: "nope" } } }, "response_format");
      expect.unreachable();
    } catch (error) {
      expect((error as ChaiboxError).code).toBe("invalid_request");
      expect((error as ChaiboxError).details.param).toBe("response_format");
    }
  });
});

describe("grammar schemas", () => {
  it("rewrites anyOf, definitions and nullable objects into what the grammar generator reads", () => {
    expect(
      toGrammarSchema({
        $schema: "x",
        title: "T",
        definitions: { p: { type: "string" } },
        type: "object",
        properties: { anyOf: { $ref: "#/definitions/p" }, q: { anyOf: [{ type: "string" }, { type: "null" }] } },
      }),
    ).toEqual({
      $defs: { p: { type: "string" } },
      type: "object",
      properties: { anyOf: { $ref: "#/$defs/p" }, q: { oneOf: [{ type: "string" }, { type: "null" }] } },
    });
    expect(toGrammarSchema({ type: ["object", "null"], properties: { a: { type: "string" } } })).toEqual({
      oneOf: [{ type: "object", properties: { a: { type: "string" } } }, { type: "null" }],
    });
  });

  it("turns small bounded integer ranges into enums", () => {
    expect(toGrammarSchema({ type: "integer", minimum: 1, maximum: 4 })).toEqual({ enum: [1, 2, 3, 4] });
    expect(toGrammarSchema({ type: "integer", exclusiveMinimum: 0, exclusiveMaximum: 10, multipleOf: 3 })).toEqual({
      enum: [3, 6, 9],
    });
    expect(toGrammarSchema({ type: "integer", minimum: 0, maximum: 100_000 })).toEqual({
      type: "integer",
      minimum: 0,
      maximum: 100_000,
    });
    expect(toGrammarSchema({ type: "integer", minimum: 0 })).toEqual({ type: "integer", minimum: 0 });
  });
});

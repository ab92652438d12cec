/** The Ollama dialect's pure parts: keep_alive, options, messages and tool results, pull statuses, listings. */
import { describe, expect, it } from "vitest";
import { chatRequestOf, generateRequestOf, ollamaToolCall, parseKeepAlive, toMessages, toSampling } from "../../src/api/ollama/mapping.js";
import { pullStatuses } from "../../src/api/ollama/pull.js";
import { doneStats } from "../../src/api/ollama/stats.js";
import { modelInfoOf, parameterSize } from "../../src/api/ollama/views.js";
import type { PullStatus } from "../../src/models/pull/pull-status.js";
import { ChaiboxError } from "../../src/errors.js";

describe("keep_alive", () => {
  it("reads numbers as seconds, Go durations, bare numeric strings, and negatives as forever", () => {
    expect(parseKeepAlive(30)).toBe(30_000);
    expect(parseKeepAlive(0)).toBe(0);
    expect(parseKeepAlive(-1)).toBe(Infinity);
    expect(parseKeepAlive("5m")).toBe(300_000);
    expect(parseKeepAlive("1h30m")).toBe(5_400_000);
    expect(parseKeepAlive("1.5s")).toBe(1500);
    expect(parseKeepAlive("250ms")).toBe(250);
    expect(parseKeepAlive("-1")).toBe(Infinity);
    expect(parseKeepAlive("-5m")).toBe(Infinity);
    expect(parseKeepAlive("0")).toBe(0);
    expect(parseKeepAlive("600")).toBe(600_000);
  });

  it("refuses what is not a duration, naming keep_alive", () => {
    for (const bad of ["soon", "5 minutes", "m5", ""]) {
      expect(() => parseKeepAlive(bad)).toThrow(ChaiboxError);
      try {
        parseKeepAlive(bad);
      } catch (error) {
        expect((error as ChaiboxError).details.param).toBe("keep_alive");
      }
    }
  });
});

describe("options", () => {
  it("maps Ollama's options to sampling, num_predict -1 and -2 meaning no limit", () => {
    expect(
      toSampling({ num_predict: 20, temperature: 0.2, top_p: 0.9, top_k: 40, seed: 7, stop: "\n", repeat_penalty: 1.1, presence_penalty: 0.5, frequency_penalty: 0.3 }),
    ).toEqual({ maxTokens: 20, temperature: 0.2, topP: 0.9, topK: 40, seed: 7, stop: ["\n"], repeatPenalty: 1.1, presencePenalty: 0.5, frequencyPenalty: 0.3 });
    expect(toSampling({ num_predict: -1 })).toEqual({});
    expect(toSampling({ num_predict: -2, num_ctx: 8192 })).toEqual({});
    expect(() => toSampling({ num_predict: 0 })).toThrow(/num_predict/);
  });
});

describe("messages", () => {
  const call = { function: { name: "turn_on", arguments: { area: "kitchen" } } };

  it("pairs tool results with the preceding calls in order, by tool_name, or by tool_call_id", () => {
    const messages = toMessages("m", [
      { role: "user", content: "lights" },
      { role: "assistant", content: "", tool_calls: [call, { id: "x", function: { name: "turn_off", arguments: {} } }] },
      { role: "tool", content: "off", tool_name: "turn_off" },
      { role: "tool", content: "on" },
    ]);
    expect(messages[1]).toEqual({
      role: "assistant",
      content: "",
      toolCalls: [
        { id: "call_1_0", name: "turn_on", arguments: '{"area":"kitchen"}' },
        { id: "x", name: "turn_off", arguments: "{}" },
      ],
    });
    expect(messages[2]).toEqual({ role: "tool", toolCallId: "x", content: "off" });
    expect(messages[3]).toEqual({ role: "tool", toolCallId: "call_1_0", content: "on" });
    const byId = toMessages("m", [
      { role: "assistant", content: "", tool_calls: [call, { id: "b", function: { name: "turn_on", arguments: {} } }] },
      { role: "tool", content: "second", tool_call_id: "b" },
    ]);
    expect(byId[1]).toEqual({ role: "tool", toolCallId: "b", content: "second" });
  });

  it("refuses a tool result that answers no pending call, and images", () => {
    expect(() => toMessages("m", [{ role: "user", content: "hi" }, { role: "tool", content: "x" }])).toThrow(/answers no pending tool call/);
    expect(() =>
      toMessages("m", [
        { role: "assistant", content: "", tool_calls: [call] },
        { role: "tool", content: "x", tool_name: "other" },
      ]),
    ).toThrow(/a call to 'other'/);
    expect(() => toMessages("m", [{ role: "user", content: "what is this", images: ["aGk="] }])).toThrow(/cannot take images/);
    // An empty images list (some clients send one) is no image.
    expect(toMessages("m", [{ role: "user", content: "hi", images: [] }])).toEqual([{ role: "user", content: "hi" }]);
  });

  it("builds a chat request with tools, tool_choice, format and think", () => {
    const request = chatRequestOf(
      {
        model: "m",
        messages: [{ role: "user", content: "hi" }],
        tools: [{ type: "function", function: { name: "turn_on", parameters: { type: "object" } } }],
        tool_choice: { type: "function", function: { name: "turn_on" } },
        format: "json",
        think: "high",
      },
      "m",
    );
    expect(request.tools).toEqual([{ name: "turn_on", parameters: { type: "object" } }]);
    expect(request.toolChoice).toEqual({ type: "function", name: "turn_on" });
    expect(request.responseFormat).toEqual({ type: "json_object" });
    expect(request.think).toBe(true);
    const schema = { type: "object", properties: { a: { type: "string" } } };
    expect(chatRequestOf({ model: "m", messages: [{ role: "user", content: "hi" }], format: schema }, "m").responseFormat).toEqual({
      type: "json_schema",
      name: "format",
      schema,
      strict: true,
    });
    expect(() => chatRequestOf({ model: "m", messages: [], tool_choice: { type: "function", function: { name: "nope" } } }, "m")).toThrow(/not among the tools/);
    expect(() => chatRequestOf({ model: "m", messages: [], think: "max" }, "m")).toThrow(/think must be/);
  });

  it("builds a generate request: templated from system and prompt, or raw", () => {
    expect(generateRequestOf({ model: "m", prompt: "hi", system: "be brief" }, "m").messages).toEqual([
      { role: "system", content: "be brief" },
      { role: "user", content: "hi" },
    ]);
    const raw = generateRequestOf({ model: "m", prompt: "<|im_start|>user", raw: true }, "m");
    expect(raw).toMatchObject({ messages: [], rawPrompt: "<|im_start|>user" });
    expect(() => generateRequestOf({ model: "m", prompt: "a", suffix: "b" }, "m")).toThrow(/suffix/);
    expect(() => generateRequestOf({ model: "m", prompt: "a", images: ["aGk="] }, "m")).toThrow(/images/);
  });

  it("sends tool call arguments as objects", () => {
    expect(ollamaToolCall({ id: "c", name: "f", arguments: '{"a":1}' }, 0)).toEqual({ id: "c", function: { index: 0, name: "f", arguments: { a: 1 } } });
  });
});

describe("statistics and listings", () => {
  it("reports durations in nanoseconds", () => {
    expect(doneStats(1500, 200, { promptTokens: 10, completionTokens: 5 }, { promptMs: 300, generationMs: 900.5 })).toEqual({
      total_duration: 1_500_000_000,
      load_duration: 200_000_000,
      prompt_eval_count: 10,
      prompt_eval_duration: 300_000_000,
      eval_count: 5,
      eval_duration: 900_500_000,
    });
  });

  it("prints parameter counts as Ollama does", () => {
    expect(parameterSize(494_032_768)).toBe("494.03M");
    expect(parameterSize(3_212_749_888)).toBe("3.2B");
    expect(parameterSize(12_000)).toBe("12K");
  });

  it("hides big arrays of the GGUF metadata unless verbose, and never repeats the template", () => {
    const metadata = { "general.architecture": "llama", "tokenizer.ggml.tokens": ["a", "b"], "tokenizer.chat_template": "{{x}}", big: 2n ** 60n };
    expect(modelInfoOf(metadata, false)).toEqual({ "general.architecture": "llama", "tokenizer.ggml.tokens": null, big: 2 ** 60 });
    expect(modelInfoOf(metadata, true)["tokenizer.ggml.tokens"]).toEqual(["a", "b"]);
  });

  it("turns pull events into Ollama's statuses", () => {
    const pull: PullStatus = {
      id: "abc",
      ref: "tiny",
      url: "http://x/tiny.gguf",
      modelId: "tiny",
      state: "downloading",
      receivedBytes: 50,
      totalBytes: 100,
      resumedFromBytes: 0,
      bytesPerSecond: 10,
      etaSeconds: 5,
      sha256: "f".repeat(64),
      retries: 0,
      retryReason: null,
      createdAt: "",
      finishedAt: null,
      error: null,
      model: null,
    };
    expect(pullStatuses({ type: "progress", pull })).toEqual([{ status: "pulling ffffffffffff", digest: `sha256:${"f".repeat(64)}`, total: 100, completed: 50 }]);
    const verifying = { ...pull, state: "verifying" as const, receivedBytes: 100 };
    expect(pullStatuses({ type: "state", pull: verifying })).toEqual([
      { status: "pulling ffffffffffff", digest: `sha256:${"f".repeat(64)}`, total: 100, completed: 100 },
      { status: "verifying sha256 digest" },
    ]);
    expect(pullStatuses({ type: "done", pull: { ...pull, state: "done" } })).toEqual([{ status: "writing manifest" }, { status: "success" }]);
    const failed = { ...pull, state: "failed" as const, error: { code: "download_failed" as const, message: "the server answered 404" } };
    expect(pullStatuses({ type: "error", pull: failed })).toEqual([{ error: "the server answered 404" }]);
    expect(pullStatuses({ type: "state", pull: { ...pull, state: "queued" } })).toEqual([]);
  });
});

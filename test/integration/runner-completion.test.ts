// Raw completions and the newer chat options end to end at the runner: a real runner child process, real
// llama.cpp, the generated tiny model (one printable ASCII character per token; it never ends a reply on its
// own, so every request sets maxTokens).
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Ajv2020 } from "ajv/dist/2020.js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { ChatRequest, JsonSchema, SamplingOptions } from "../../src/engine/contract.js";
import { ChildProcessLauncher } from "../../src/engine/native/client.js";
import type { RunnerClient } from "../../src/engine/runner-client.js";
import { ChaiboxError } from "../../src/errors.js";
import { collectEvents as collect, type ChatResult } from "../helpers/chat-events.js";
import { testModelPath } from "../helpers/models.js";

const quiet = { debug: () => {}, info: () => {}, warn: () => {}, error: () => {} };
const neverAborted = new AbortController().signal;
const CONTEXT = 512;


function raw(prompt: string, sampling: SamplingOptions = {}): ChatRequest {
  return { messages: [], rawPrompt: prompt, sampling: { temperature: 0, ...sampling } };
}

function user(content: string, sampling: SamplingOptions = {}): ChatRequest {
  return { messages: [{ role: "user", content }], sampling: { temperature: 0, ...sampling } };
}

function errorOf(result: ChatResult, code: string): ChaiboxError {
  expect(result.error).toBeInstanceOf(ChaiboxError);
  expect((result.error as ChaiboxError).code).toBe(code);
  return result.error as ChaiboxError;
}

let runtimeDir: string;
let runner: RunnerClient;

beforeAll(async () => {
  runtimeDir = await mkdtemp(join(tmpdir(), "chaibox-runner-completion-"));
  const launcher = new ChildProcessLauncher({ runtimeDir, logger: quiet });
  runner = await launcher.launch("tiny", { modelPath: testModelPath("tiny"), contextSize: CONTEXT, parallel: 1, threads: 1, gpuLayers: 0 });
});

afterAll(async () => {
  await runner?.stop();
  await rm(runtimeDir, { recursive: true, force: true });
});

describe("raw completions", () => {
  it("continue the prompt as is, reading its special-token text as tokens, with usage and timings", async () => {
    const prompt = "<|im_start|>user\nTell me a story<|im_end|>\n<|im_start|>assistant\n";
    const result = await collect(runner.chat(raw(prompt, { maxTokens: 16 }), neverAborted));
    expect(result.error).toBeUndefined();
    expect(result.text).toHaveLength(16);
    expect(result.deltas.length).toBeGreaterThan(1);
    expect(result.done).toMatchObject({ finishReason: "length", usage: { completionTokens: 16 } });
    expect(result.done?.timings?.promptMs).toBeGreaterThan(0);
    expect(result.done?.timings?.generationMs).toBeGreaterThanOrEqual(0);
    // <|im_start|> and <|im_end|> are one token each, not 12 byte tokens: the beginning-of-sequence token,
    // 3 control tokens, 2 newlines after them and the words' characters with SentencePiece's space prefix.
    const single = await collect(runner.chat(raw("<|im_start|>", { maxTokens: 1 }), neverAborted));
    expect(single.done?.usage.promptTokens).toBe(2);

    // The prompt the ChatML template renders for the same message makes the same greedy reply as the chat.
    const chat = await collect(runner.chat(user("Tell me a story", { maxTokens: 16 }), neverAborted));
    expect(result.done?.usage.promptTokens).toBe(chat.done?.usage.promptTokens);
    expect(result.text).toBe(chat.text);
  });

  it("stops before a stop string and applies the sampling options", async () => {
    const plain = await collect(runner.chat(raw("Once upon a time", { maxTokens: 30 }), neverAborted));
    const stop = plain.text.slice(10, 13);
    const stopped = await collect(runner.chat(raw("Once upon a time", { maxTokens: 30, stop: [stop] }), neverAborted));
    expect(stopped.text).toBe(plain.text.slice(0, plain.text.indexOf(stop)));
    expect(stopped.done?.finishReason).toBe("stop");
    // Top-k 1 leaves only the most likely token: sampling at temperature 1 is then greedy.
    const topK = await collect(runner.chat(raw("Once upon a time", { maxTokens: 30, temperature: 1, topK: 1, seed: 3 }), neverAborted));
    expect(topK.text).toBe(plain.text);
  });

  it("returns schema-valid JSON for json_schema", async () => {
    const schema: JsonSchema = {
      type: "object",
      properties: { name: { type: "string", maxLength: 8 }, ok: { type: "boolean" } },
      required: ["name", "ok"],
      additionalProperties: false,
    };
    const request: ChatRequest = {
      ...raw("JSON: ", { maxTokens: 200, temperature: 0.8, seed: 1 }),
      responseFormat: { type: "json_schema", name: "thing", schema, strict: true },
    };
    const result = await collect(runner.chat(request, neverAborted));
    expect(result.error).toBeUndefined();
    expect(result.deltas).toHaveLength(1);
    expect(new Ajv2020().compile(schema)(JSON.parse(result.text))).toBe(true);
    expect(result.done?.finishReason).toBe("stop");
    expect(result.done?.timings?.promptMs).toBeGreaterThan(0);
  });

  it("refuses messages or tools next to a raw prompt", async () => {
    const withMessages: ChatRequest = { ...raw("Hi"), messages: [{ role: "user", content: "Hi" }] };
    expect(errorOf(await collect(runner.chat(withMessages, neverAborted)), "invalid_request").details.param).toBe("messages");
    const withTools: ChatRequest = { ...raw("Hi"), tools: [{ name: "get_time" }] };
    expect(errorOf(await collect(runner.chat(withTools, neverAborted)), "invalid_request").details.param).toBe("tools");
  });

  it("rejects a prompt that leaves no room with context_length_exceeded, and caps maxTokens to the room left", async () => {
    const long = await collect(runner.chat(raw("x".repeat(CONTEXT), { maxTokens: 5 }), neverAborted));
    const error = errorOf(long, "context_length_exceeded");
    expect(error.details).toMatchObject({ param: "prompt", contextSize: CONTEXT });
    expect(long.events).toEqual([]);

    const capped = await collect(runner.chat(raw("y".repeat(400), { maxTokens: 1000 }), neverAborted));
    expect(capped.done?.finishReason).toBe("length");
    const { promptTokens, completionTokens } = capped.done!.usage;
    // The whole prompt was kept: the space prefix, 400 characters and the beginning-of-sequence token.
    expect(promptTokens).toBe(402);
    expect(promptTokens + completionTokens).toBe(CONTEXT - 1);
  });

  it("frees the sequence on abort: the next request runs on the one sequence", async () => {
    const controller = new AbortController();
    const aborted = await collect(runner.chat(raw("Go on", { maxTokens: 400 }), controller.signal), (event) => {
      if (event.type === "text") controller.abort(new Error("client gone"));
    });
    expect(aborted.error).toEqual(new Error("client gone"));
    const next = await collect(runner.chat(raw("Again", { maxTokens: 3 }), neverAborted));
    expect(next.text).toHaveLength(3);
  });
});

describe("chat options", () => {
  it("applies a repeat penalty: off (1) and strong give other replies", async () => {
    const off = await collect(runner.chat(user("Count", { maxTokens: 40, repeatPenalty: 1 }), neverAborted));
    const strong = await collect(runner.chat(user("Count", { maxTokens: 40, repeatPenalty: 50 }), neverAborted));
    expect(off.error).toBeUndefined();
    expect(strong.error).toBeUndefined();
    expect(strong.text).not.toBe(off.text);
  });

  it("serves think: false on a model without a thought segment as a plain chat, with no reasoning events", async () => {
    const plain = await collect(runner.chat(user("Hi", { maxTokens: 8 }), neverAborted));
    const result = await collect(runner.chat({ ...user("Hi", { maxTokens: 8 }), think: false }, neverAborted));
    expect(result.error).toBeUndefined();
    expect(result.text).toBe(plain.text);
    expect(result.events.some((event) => event.type === "reasoning")).toBe(false);
  });
});

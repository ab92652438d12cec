/**
 * Bounded generation over real HTTP with real inference: a constrained reply (JSON schema, forced tool call)
 * cut by the token limit is a normal 200 with finish_reason "length" (Ollama: done_reason "length"), never a
 * 5xx the SDK would retry; `inference.maxTokens` is the default limit; `inference.requestTimeout` ends a long
 * generation on time with finish_reason "length".
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import OpenAI from "openai";
import { Ollama } from "ollama";
import { startTestServer, type TestServer } from "../helpers/server.js";

let server: TestServer;
let limited: TestServer;
let client: OpenAI;

const schema = { type: "object", properties: { city: { type: "string" }, days: { type: "integer" } }, required: ["city", "days"], additionalProperties: false };

beforeAll(async () => {
  server = await startTestServer({ models: { tiny: "tiny" } });
  limited = await startTestServer({ models: { tiny: "tiny" }, inference: { maxTokens: 5, requestTimeout: "1s" } });
  client = new OpenAI({ baseURL: server.baseURL, apiKey: "unused", maxRetries: 0 });
  // Loaded before the tests: the 1 s wall-clock limit counts a request's wait for its model too.
  await limited.scheduler.preload("tiny", new AbortController().signal);
});
afterAll(async () => Promise.all([server.dispose(), limited.dispose()]));

describe("constrained replies cut by the token limit", () => {
  it("answers a json_schema reply cut by max_tokens 200 with finish_reason length and what it produced", async () => {
    const started = performance.now();
    const completion = await client.chat.completions.create({
      model: "tiny",
      messages: [{ role: "user", content: "Plan a trip." }],
      response_format: { type: "json_schema", json_schema: { name: "trip", schema, strict: true } },
      max_tokens: 3,
    });
    expect(completion.choices[0]?.finish_reason).toBe("length");
    expect(completion.usage?.completion_tokens).toBeLessThanOrEqual(3);
    expect(performance.now() - started).toBeLessThan(20_000);
  });

  it("answers a forced tool call cut by max_tokens 200 with finish_reason length", async () => {
    const completion = await client.chat.completions.create({
      model: "tiny",
      messages: [{ role: "user", content: "Weather in Oslo?" }],
      tools: [{ type: "function", function: { name: "get_weather", parameters: schema } }],
      tool_choice: { type: "function", function: { name: "get_weather" } },
      max_tokens: 2,
    });
    expect(completion.choices[0]?.finish_reason).toBe("length");
    expect(completion.choices[0]?.message.tool_calls ?? []).toEqual([]);
    // The budget is shared by every try: no hidden retries beyond it.
    expect(completion.usage?.completion_tokens).toBeLessThanOrEqual(2);
  });

  it("answers Ollama's structured format cut by num_predict with done_reason length", async () => {
    const ollama = new Ollama({ host: server.url });
    const reply = await ollama.chat({ model: "tiny", messages: [{ role: "user", content: "Plan a trip." }], format: schema, options: { num_predict: 3 }, stream: false });
    expect(reply.done_reason).toBe("length");
  });
});

describe("default limits", () => {
  it("caps a request without max_tokens at inference.maxTokens", async () => {
    const own = new OpenAI({ baseURL: limited.baseURL, apiKey: "unused", maxRetries: 0 });
    const completion = await own.chat.completions.create({ model: "tiny", messages: [{ role: "user", content: "Tell me everything." }] });
    expect(completion.usage?.completion_tokens).toBeLessThanOrEqual(5);
  });

  it("ends a generation at inference.requestTimeout with finish_reason length", async () => {
    const own = new OpenAI({ baseURL: limited.baseURL, apiKey: "unused", maxRetries: 0 });
    const started = performance.now();
    const stream = await own.chat.completions.create({ model: "tiny", messages: [{ role: "user", content: "Tell me everything." }], max_tokens: 100_000, stream: true });
    let finish: string | null | undefined;
    for await (const chunk of stream) finish = chunk.choices[0]?.finish_reason ?? finish;
    const elapsed = performance.now() - started;
    expect(finish).toBe("length");
    expect(elapsed).toBeLessThan(5_000);
  });
});

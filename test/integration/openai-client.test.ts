/** The official `openai` npm client against a listening chaibox serving a generated model. */
import { Ajv } from "ajv";
import OpenAI, { APIError } from "openai";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestServer, type TestServer } from "../helpers/server.js";

let server: TestServer;
let client: OpenAI;

beforeAll(async () => {
  server = await startTestServer({ models: { tiny: "tiny", demo: "demo" } });
  client = new OpenAI({ baseURL: server.baseURL, apiKey: "test", maxRetries: 0 });
});
afterAll(async () => server?.dispose());

const ask = [{ role: "user" as const, content: "Say something." }];

describe("openai client", () => {
  it("lists the installed models", async () => {
    const ids = [];
    for await (const model of client.models.list()) ids.push(model.id);
    expect(ids.sort()).toEqual(["demo", "tiny"]);
    const one = await client.models.retrieve("tiny");
    expect(one).toMatchObject({ id: "tiny", object: "model", owned_by: "chaibox" });
  });

  it("answers a non-streamed chat with real token counts", async () => {
    const reply = await client.chat.completions.create({ model: "demo", messages: ask, max_tokens: 12, seed: 3 });
    expect(reply.object).toBe("chat.completion");
    expect(reply.id).toMatch(/^chatcmpl-/);
    const choice = reply.choices[0];
    expect(choice?.message.role).toBe("assistant");
    expect(typeof choice?.message.content).toBe("string");
    expect(["stop", "length"]).toContain(choice?.finish_reason);
    expect(reply.usage?.prompt_tokens).toBeGreaterThan(3);
    expect(reply.usage?.completion_tokens).toBeGreaterThan(0);
    expect(reply.usage?.completion_tokens).toBeLessThanOrEqual(12);
    expect(reply.usage?.total_tokens).toBe((reply.usage?.prompt_tokens ?? 0) + (reply.usage?.completion_tokens ?? 0));
  });

  it("streams with include_usage, the same text as the whole reply for the same seed", async () => {
    const params = { model: "demo", messages: ask, max_tokens: 16, seed: 11, temperature: 0.7 };
    const whole = await client.chat.completions.create(params);
    const stream = await client.chat.completions.create({ ...params, stream: true, stream_options: { include_usage: true } });
    const chunks = [];
    for await (const chunk of stream) chunks.push(chunk);
    expect(chunks[0]?.choices[0]?.delta.role).toBe("assistant");
    const last = chunks.at(-1);
    expect(last?.choices).toEqual([]);
    expect(last?.usage).toEqual(whole.usage);
    const choiceChunks = chunks.filter((c) => c.choices.length > 0);
    expect(choiceChunks.at(-1)?.choices[0]?.finish_reason).toBe(whole.choices[0]?.finish_reason);
    expect(choiceChunks.slice(0, -1).every((c) => c.choices[0]?.finish_reason === null)).toBe(true);
    const text = choiceChunks.map((c) => c.choices[0]?.delta.content ?? "").join("");
    expect(text).toBe(whole.choices[0]?.message.content);
  });

  it("returns json_schema replies that parse and validate", async () => {
    const schema = {
      type: "object",
      properties: { name: { type: "string", maxLength: 20 }, age: { type: "integer", minimum: 0, maximum: 150 } },
      required: ["name", "age"],
      additionalProperties: false,
    };
    const reply = await client.chat.completions.create({
      model: "tiny",
      messages: [{ role: "user", content: "A person as JSON." }],
      response_format: { type: "json_schema", json_schema: { name: "person", schema, strict: true } },
      max_tokens: 200,
      seed: 5,
    });
    const parsed: unknown = JSON.parse(reply.choices[0]?.message.content ?? "");
    expect(new Ajv().validate(schema, parsed)).toBe(true);
  });

  it("completes a tool-call round trip", async () => {
    const tools = [
      {
        type: "function" as const,
        function: {
          name: "get_weather",
          description: "Current weather for a city",
          parameters: { type: "object", properties: { city: { type: "string", maxLength: 30 } }, required: ["city"] },
        },
      },
    ];
    const messages: OpenAI.Chat.ChatCompletionMessageParam[] = [{ role: "user", content: "Weather in Oslo?" }];
    const first = await client.chat.completions.create({
      model: "tiny",
      messages,
      tools,
      tool_choice: { type: "function", function: { name: "get_weather" } },
      max_tokens: 100,
    });
    const choice = first.choices[0];
    expect(choice?.finish_reason).toBe("tool_calls");
    const call = choice?.message.tool_calls?.[0];
    if (call?.type !== "function") throw new Error("expected a function tool call");
    expect(call.id).toBeTruthy();
    expect(call.function.name).toBe("get_weather");
    const args = JSON.parse(call.function.arguments) as { city: unknown };
    expect(typeof args.city).toBe("string");

    const withoutResult = await client.chat.completions.create({ model: "tiny", messages, tools, tool_choice: "none", max_tokens: 1 });
    messages.push(choice!.message, { role: "tool", tool_call_id: call.id, content: '{"temperature": 21}' });
    const second = await client.chat.completions.create({ model: "tiny", messages, tools, tool_choice: "none", max_tokens: 8 });
    expect(second.choices[0]?.message.role).toBe("assistant");
    expect(second.choices[0]?.finish_reason).not.toBe("tool_calls");
    // The call and its result are part of the prompt the model continues from.
    expect(second.usage?.prompt_tokens).toBeGreaterThan((withoutResult.usage?.prompt_tokens ?? 0) + 10);
  });

  it("frees the sequence within 100 ms when the client aborts mid-stream", async () => {
    const controller = new AbortController();
    const stream = await client.chat.completions.create(
      // tiny never ends a reply by itself, so the stream is still running when the client goes.
      { model: "tiny", messages: ask, max_tokens: 1500, stream: true },
      { signal: controller.signal },
    );
    let received = 0;
    // The client ends the iteration quietly once it has aborted.
    for await (const _chunk of stream) {
      if (++received === 3) {
        expect(server.scheduler.stats("tiny").active).toBe(1);
        controller.abort();
      }
    }
    expect(received).toBeGreaterThanOrEqual(3);
    expect(received).toBeLessThan(100);
    const abortedAt = Date.now();
    while (server.scheduler.stats("tiny").active !== 0) {
      if (Date.now() - abortedAt > 100) throw new Error(`sequence still held ${Date.now() - abortedAt} ms after abort`);
      await new Promise((r) => setTimeout(r, 5));
    }
    const after = await client.chat.completions.create({ model: "tiny", messages: ask, max_tokens: 4 });
    expect(after.choices[0]?.message.content).toBeTypeOf("string");
  });
});

describe("openai client errors", () => {
  async function apiError(promise: Promise<unknown>): Promise<APIError> {
    const error = await promise.then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(APIError);
    return error as APIError;
  }

  it("404 model_not_found for an unknown model", async () => {
    const error = await apiError(client.chat.completions.create({ model: "nope", messages: ask }));
    expect(error.status).toBe(404);
    expect(error.type).toBe("invalid_request_error");
    expect(error.code).toBe("model_not_found");
    expect(error.param).toBe("model");
    expect(error.message).toContain("tiny");
  });

  it("400 naming the param for a schema violation", async () => {
    const error = await apiError(client.chat.completions.create({ model: "tiny", messages: ask, temperature: 5 }));
    expect(error.status).toBe(400);
    expect(error.type).toBe("invalid_request_error");
    expect(error.code).toBe("invalid_value");
    expect(error.param).toBe("temperature");
    const missing = await apiError(client.chat.completions.create({ model: "tiny" } as never));
    expect(missing.code).toBe("missing_required_parameter");
    expect(missing.param).toBe("messages");
  });

  it("400 unsupported_parameter for n > 1 and logprobs", async () => {
    const n = await apiError(client.chat.completions.create({ model: "tiny", messages: ask, n: 2 }));
    expect([n.status, n.type, n.code, n.param]).toEqual([400, "invalid_request_error", "unsupported_parameter", "n"]);
    const logprobs = await apiError(client.chat.completions.create({ model: "tiny", messages: ask, logprobs: true }));
    expect(logprobs.param).toBe("logprobs");
  });

  it("400 context_length_exceeded for a prompt longer than the context", async () => {
    const long = "word ".repeat(6000);
    const error = await apiError(client.chat.completions.create({ model: "demo", messages: [{ role: "user", content: long }] }));
    expect(error.status).toBe(400);
    expect(error.type).toBe("invalid_request_error");
    expect(error.code).toBe("context_length_exceeded");
    const streamed = await apiError(client.chat.completions.create({ model: "demo", messages: [{ role: "user", content: long }], stream: true }));
    expect(streamed.code).toBe("context_length_exceeded");
  });

  it("400 for malformed JSON and 413 for a body over the limit", async () => {
    const bad = await fetch(`${server.baseURL}/chat/completions`, { method: "POST", headers: { "content-type": "application/json" }, body: '{"model": "tiny", ' });
    expect(bad.status).toBe(400);
    const badBody = (await bad.json()) as { error: { type: string; code: unknown; message: string } };
    expect(badBody.error.type).toBe("invalid_request_error");
    expect(badBody.error.code).toBeNull();
    expect(badBody.error.message).toMatch(/JSON/);

    const huge = JSON.stringify({ model: "tiny", messages: [{ role: "user", content: "x".repeat(9 * 1024 * 1024) }] });
    const tooLarge = await fetch(`${server.baseURL}/chat/completions`, { method: "POST", headers: { "content-type": "application/json" }, body: huge });
    expect(tooLarge.status).toBe(413);
    expect(((await tooLarge.json()) as { error: { code: string } }).error.code).toBe("request_too_large");
  });

  it("keeps serving after every error above", async () => {
    const reply = await client.chat.completions.create({ model: "tiny", messages: ask, max_tokens: 4 });
    expect(reply.choices).toHaveLength(1);
    const health = (await (await fetch(`${server.url}/health`)).json()) as { status: string };
    expect(health.status).toBe("ok");
  });
});

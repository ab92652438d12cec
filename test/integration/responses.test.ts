/** `POST /v1/responses` and its stored responses, through the official `openai` client against a listening chaibox. */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
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

async function apiError(promise: Promise<unknown>): Promise<APIError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(APIError);
  return error as APIError;
}

const tools: OpenAI.Responses.FunctionTool[] = [
  {
    type: "function",
    name: "get_weather",
    description: "Current weather for a city",
    parameters: { type: "object", properties: { city: { type: "string", maxLength: 30 } }, required: ["city"] },
    strict: true,
  },
];

describe("responses", () => {
  it("answers a non-streamed response with an output message and real token counts", async () => {
    // Greedy decoding of the demo model ends this reply by itself, well inside the limit.
    const reply = await client.responses.create({ model: "demo", input: "Say something.", instructions: "Be brief.", temperature: 0, max_output_tokens: 200 });
    expect(reply.id).toMatch(/^resp_/);
    expect(reply).toMatchObject({ object: "response", status: "completed", model: "demo", error: null, incomplete_details: null, instructions: "Be brief." });
    expect(reply.output).toHaveLength(1);
    const message = reply.output[0];
    if (message?.type !== "message") throw new Error("expected a message");
    expect(message).toMatchObject({ role: "assistant", status: "completed" });
    expect(message.id).toMatch(/^msg_/);
    expect(message.content[0]?.type).toBe("output_text");
    expect(reply.output_text.length).toBeGreaterThan(0);
    const usage = reply.usage!;
    expect(usage.input_tokens).toBeGreaterThan(5);
    expect(usage.output_tokens).toBeGreaterThan(0);
    expect(usage.output_tokens).toBeLessThan(200);
    expect(usage.total_tokens).toBe(usage.input_tokens + usage.output_tokens);
  });

  it("stops at max_output_tokens as incomplete", async () => {
    // tiny never ends a reply by itself.
    const reply = await client.responses.create({ model: "tiny", input: "Say something.", max_output_tokens: 5 });
    expect(reply.status).toBe("incomplete");
    expect(reply.incomplete_details).toEqual({ reason: "max_output_tokens" });
    expect(reply.usage?.output_tokens).toBe(5);
    expect(reply.output[0]).toMatchObject({ type: "message", status: "incomplete" });
  });

  it("streams OpenAI's event sequence, numbered, with the same text as the whole response", async () => {
    const params = { model: "demo", input: "Say something.", temperature: 0, max_output_tokens: 200 };
    const whole = await client.responses.create(params);
    const stream = await client.responses.create({ ...params, stream: true });
    const events: OpenAI.Responses.ResponseStreamEvent[] = [];
    for await (const event of stream) events.push(event);

    const types = events.map((e) => e.type);
    const deltas = types.filter((t) => t === "response.output_text.delta").length;
    expect(deltas).toBeGreaterThan(0);
    expect(types).toEqual([
      "response.created",
      "response.in_progress",
      "response.output_item.added",
      "response.content_part.added",
      ...Array<string>(deltas).fill("response.output_text.delta"),
      "response.output_text.done",
      "response.content_part.done",
      "response.output_item.done",
      "response.completed",
    ]);
    const numbers = events.map((e) => e.sequence_number);
    expect(numbers).toEqual(numbers.map((_, i) => numbers[0]! + i));

    const text = events.flatMap((e) => (e.type === "response.output_text.delta" ? [e.delta] : [])).join("");
    expect(text).toBe(whole.output_text);
    const done = events.find((e) => e.type === "response.output_text.done");
    expect(done?.type === "response.output_text.done" && done.text).toBe(text);
    const completed = events.at(-1);
    if (completed?.type !== "response.completed") throw new Error("expected response.completed last");
    expect(completed.response.status).toBe("completed");
    const { input_tokens_details: streamedDetails, ...streamedUsage } = completed.response.usage ?? {};
    const { input_tokens_details: wholeDetails, ...wholeUsage } = whole.usage ?? {};
    expect(streamedUsage).toEqual(wholeUsage);
    // The same input a second time: the prompt cache holds all of it but the last token, decoded again.
    expect(streamedDetails?.cached_tokens).toBe((whole.usage?.input_tokens ?? 0) - 1);
    expect(wholeDetails?.cached_tokens).toBeLessThan(streamedDetails?.cached_tokens ?? 0);
    // A streamed response is stored like any other.
    const stored = await client.responses.retrieve(completed.response.id);
    expect(stored.output).toEqual(completed.response.output);
  });

  it("completes a function-call round trip, by previous_response_id or by resending the items", async () => {
    const input = "Weather in Oslo?";
    const first = await client.responses.create({
      model: "tiny",
      input,
      tools,
      tool_choice: { type: "function", name: "get_weather" },
      max_output_tokens: 100,
    });
    expect(first.status).toBe("completed");
    const call = first.output.find((item) => item.type === "function_call");
    if (call?.type !== "function_call") throw new Error("expected a function_call item");
    expect(call.id).toMatch(/^fc_/);
    expect(call.call_id).toMatch(/^call_/);
    expect(call.name).toBe("get_weather");
    expect(typeof (JSON.parse(call.arguments) as { city: unknown }).city).toBe("string");

    const baseline = await client.responses.create({ model: "tiny", input, tools, tool_choice: "none", max_output_tokens: 1, store: false });
    const result: OpenAI.Responses.ResponseInputItem = { type: "function_call_output", call_id: call.call_id, output: '{"temperature": 21}' };
    const continued = await client.responses.create({
      model: "tiny",
      previous_response_id: first.id,
      input: [result],
      tools,
      tool_choice: "none",
      max_output_tokens: 8,
    });
    expect(continued.previous_response_id).toBe(first.id);
    expect(continued.output.every((item) => item.type === "message")).toBe(true);
    // The call and its result are part of the prompt the model continues from.
    expect(continued.usage!.input_tokens).toBeGreaterThan(baseline.usage!.input_tokens + 10);

    const resent = await client.responses.create({
      model: "tiny",
      input: [{ role: "user", content: input }, ...(first.output as OpenAI.Responses.ResponseInputItem[]), result],
      tools,
      tool_choice: "none",
      max_output_tokens: 8,
    });
    expect(resent.usage!.input_tokens).toBe(continued.usage!.input_tokens);
  });

  it("streams a function call as function_call events", async () => {
    const stream = await client.responses.create({
      model: "tiny",
      input: "Weather in Oslo?",
      tools,
      tool_choice: { type: "function", name: "get_weather" },
      max_output_tokens: 100,
      stream: true,
    });
    const events: OpenAI.Responses.ResponseStreamEvent[] = [];
    for await (const event of stream) events.push(event);
    expect(events.map((e) => e.type)).toEqual([
      "response.created",
      "response.in_progress",
      "response.output_item.added",
      "response.function_call_arguments.delta",
      "response.function_call_arguments.done",
      "response.output_item.done",
      "response.completed",
    ]);
    const done = events[4];
    if (done?.type !== "response.function_call_arguments.done") throw new Error("expected function_call_arguments.done");
    expect(done.name).toBe("get_weather");
    expect(events[5]).toMatchObject({ item: { type: "function_call", status: "completed", arguments: done.arguments } });
  });

  it("retrieves and deletes a stored response; store: false is not kept", async () => {
    const created = await client.responses.create({ model: "tiny", input: "Hi", max_output_tokens: 3 });
    const retrieved = await client.responses.retrieve(created.id);
    expect(retrieved).toEqual(created);
    const replay = await fetch(`${server.baseURL}/responses/${created.id}?stream=true`);
    expect(replay.status).toBe(400);
    expect(((await replay.json()) as { error: { code: string; param: string } }).error).toMatchObject({ code: "unsupported_parameter", param: "stream" });

    const deleted = await fetch(`${server.baseURL}/responses/${created.id}`, { method: "DELETE" });
    expect(deleted.status).toBe(200);
    expect(await deleted.json()).toEqual({ id: created.id, object: "response", deleted: true });
    const gone = await apiError(client.responses.retrieve(created.id));
    expect([gone.status, gone.type, gone.code]).toEqual([404, "invalid_request_error", "response_not_found"]);
    expect((await apiError(client.responses.delete(created.id))).status).toBe(404);

    const unstored = await client.responses.create({ model: "tiny", input: "Hi", max_output_tokens: 3, store: false });
    expect(unstored).toMatchObject({ store: false });
    expect((await apiError(client.responses.retrieve(unstored.id))).code).toBe("response_not_found");
    const cannotContinue = await apiError(client.responses.create({ model: "tiny", input: "More", previous_response_id: unstored.id }));
    expect([cannotContinue.status, cannotContinue.code, cannotContinue.param]).toEqual([404, "previous_response_not_found", "previous_response_id"]);
  });
});

describe("responses errors", () => {
  it("404 for an unknown previous_response_id, in OpenAI's envelope", async () => {
    const error = await apiError(client.responses.create({ model: "tiny", input: "Hi", previous_response_id: "resp_unknown" }));
    expect([error.status, error.type, error.code, error.param]).toEqual([404, "invalid_request_error", "previous_response_not_found", "previous_response_id"]);
    expect(error.message).toContain("resp_unknown");
  });

  it("400 unsupported_parameter for what it does not serve, unknown_parameter for what it does not know", async () => {
    const webSearch = await apiError(client.responses.create({ model: "tiny", input: "Hi", tools: [{ type: "web_search" }] }));
    expect([webSearch.status, webSearch.type, webSearch.code, webSearch.param]).toEqual([400, "invalid_request_error", "unsupported_parameter", "tools[0].type"]);
    const background = await apiError(client.responses.create({ model: "tiny", input: "Hi", background: true }));
    expect([background.code, background.param]).toEqual(["unsupported_parameter", "background"]);
    const include = await apiError(client.responses.create({ model: "tiny", input: "Hi", include: ["message.output_text.logprobs"] }));
    expect([include.code, include.param]).toEqual(["unsupported_parameter", "include"]);
    const unknown = await apiError(client.responses.create({ model: "tiny", input: "Hi", n: 2 } as never));
    expect([unknown.status, unknown.code, unknown.param]).toEqual([400, "unknown_parameter", "n"]);
    const model = await apiError(client.responses.create({ model: "nope", input: "Hi" }));
    expect([model.status, model.code]).toEqual([404, "model_not_found"]);
  });
});

describe("responses across a restart", () => {
  let dataDir: string;
  beforeAll(async () => {
    dataDir = await mkdtemp(join(tmpdir(), "chaibox-responses-"));
  });
  afterAll(async () => rm(dataDir, { recursive: true, force: true }));

  it("continues a stored conversation with previous_response_id after chaibox restarts", async () => {
    const first = await startTestServer({ models: { demo: "demo" }, dataDir });
    const before = new OpenAI({ baseURL: first.baseURL, apiKey: "test", maxRetries: 0 });
    const turn1 = await before.responses.create({ model: "demo", input: "My name is Ada. Remember it.", instructions: "You are a parrot.", max_output_tokens: 12 });
    const turn2 = await before.responses.create({ model: "demo", input: "And I live in Oslo.", previous_response_id: turn1.id, max_output_tokens: 12 });
    await first.dispose();

    const second = await startTestServer({ models: { demo: "demo" }, dataDir });
    try {
      const after = new OpenAI({ baseURL: second.baseURL, apiKey: "test", maxRetries: 0 });
      expect(await after.responses.retrieve(turn2.id)).toEqual(turn2);
      const question = "What is my name?";
      const alone = await after.responses.create({ model: "demo", input: question, max_output_tokens: 4, store: false });
      const turn3 = await after.responses.create({ model: "demo", input: question, previous_response_id: turn2.id, max_output_tokens: 4 });
      // Both earlier turns (their inputs and outputs) are in the prompt; turn 1's instructions are not carried over.
      const earlier = turn2.usage!.input_tokens + turn2.usage!.output_tokens;
      expect(turn3.usage!.input_tokens).toBeGreaterThanOrEqual(alone.usage!.input_tokens + earlier - 2);
      expect(turn3.instructions).toBeNull();
    } finally {
      await second.dispose();
    }
  });
});

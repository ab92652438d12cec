// The OpenAI dialects leave a model's thinking out of the answer: `reasoning` events are neither text nor the
// end of the stream. A fake inference service stands in for the engine (no model of ours thinks).
import Fastify from "fastify";
import { describe, expect, it } from "vitest";
import { chatCompletionsRoutes } from "../../src/api/openai/chat-completions.js";
import { responseEcho } from "../../src/api/openai/responses-mapping.js";
import { ResponseEventBuilder } from "../../src/api/openai/responses-stream.js";
import type { ChatEvent, InferenceService } from "../../src/engine/contract.js";
import { inferencePipeline } from "../../src/engine/pipeline/index.js";

const usage = { promptTokens: 3, completionTokens: 2 };
const events: ChatEvent[] = [
  { type: "reasoning", text: "The user greets me." },
  { type: "text", text: "Hi" },
  { type: "reasoning", text: " (late thought)" },
  { type: "text", text: "!" },
  { type: "done", finishReason: "stop", usage, timings: { promptMs: 1, generationMs: 2 } },
];

const engine: InferenceService = {
  async *chat() {
    for (const event of events) yield await Promise.resolve(event);
  },
  embed: () => Promise.reject(new Error("not used")),
  preload: () => Promise.resolve(),
};
// The real pipeline around the fake engine, its steps writing nowhere.
const inference = inferencePipeline(engine, {
  budget: {
    price: () => Promise.resolve(undefined),
    provider: () => "",
    record: () => undefined,
    standing: () => ({ month: "2026-01", budgetUsd: null, spentUsd: 0, remainingUsd: null }),
  },
  usage: () => undefined,
  metrics: { firstToken: () => undefined, generated: () => undefined },
  limits: { timeoutMs: Infinity },
  liveSpeed: { isReady: () => false, timed: () => undefined },
});

async function post(stream: boolean): Promise<string> {
  const app = Fastify();
  // What the auth guard records on every request of the real app: here nobody signed in.
  app.decorateRequest("auth", null as never);
  app.addHook("onRequest", async (request) => {
    request.auth = { kind: "anonymous" };
  });
  await app.register(chatCompletionsRoutes, { inference });
  const body = { model: "m", messages: [{ role: "user", content: "Hello" }], stream };
  const reply = await app.inject({ method: "POST", url: "/v1/chat/completions", payload: body });
  await app.close();
  expect(reply.statusCode).toBe(200);
  return reply.body;
}

describe("reasoning events in the OpenAI dialects", () => {
  it("chat completions: only the text in a whole reply", async () => {
    const reply = JSON.parse(await post(false)) as { choices: { message: { content: string }; finish_reason: string }[] };
    expect(reply.choices[0]?.message.content).toBe("Hi!");
    expect(reply.choices[0]?.finish_reason).toBe("stop");
  });

  it("chat completions: a stream with the text deltas and one finish, ended by [DONE] once", async () => {
    const chunks = (await post(true))
      .split("\n\n")
      .filter((frame) => frame.startsWith("data: "))
      .map((frame) => frame.slice("data: ".length));
    expect(chunks.filter((data) => data === "[DONE]")).toHaveLength(1);
    const parsed = chunks.filter((data) => data !== "[DONE]").map((data) => JSON.parse(data) as { choices: { delta: { content?: string }; finish_reason: string | null }[] });
    expect(parsed.map((chunk) => chunk.choices[0]?.delta.content ?? "").join("")).toBe("Hi!");
    expect(parsed.filter((chunk) => chunk.choices[0]?.finish_reason !== null)).toHaveLength(1);
  });

  it("responses: no stream events for thoughts, the text alone in the output", () => {
    const builder = new ResponseEventBuilder({ id: "resp_1", createdAt: 1, model: "m", echo: responseEcho({ model: "m", input: "hi" }) });
    expect(builder.push({ type: "reasoning", text: "hmm" })).toEqual([]);
    for (const event of events) builder.push(event);
    expect(builder.text).toBe("Hi!");
    expect(builder.result?.status).toBe("completed");
  });
});

/**
 * Fair sharing over real HTTP: a busy model's queue is served round robin by app token, so an app that
 * queued many requests cannot make another app wait behind all of them.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import OpenAI from "openai";
import { startTestServer, type TestServer } from "../helpers/server.js";

let server: TestServer;

beforeAll(async () => {
  server = await startTestServer({ auth: true, models: { tiny: "tiny" }, inference: { parallel: 1 } });
  await server.scheduler.preload("tiny", new AbortController().signal);
});
afterAll(async () => server.dispose());

describe("the queue", () => {
  it("serves a second app's request before the first app's backlog", async () => {
    const greedy = new OpenAI({ baseURL: server.baseURL, apiKey: server.auth.tokens.create("greedy", "inference", "cli").token, maxRetries: 0 });
    const polite = new OpenAI({ baseURL: server.baseURL, apiKey: server.auth.tokens.create("polite", "inference", "cli").token, maxRetries: 0 });
    const order: string[] = [];
    const ask = (client: OpenAI, name: string) =>
      client.chat.completions.create({ model: "tiny", messages: [{ role: "user", content: "count" }], max_tokens: 40 }).then(() => order.push(name));
    const backlog = Array.from({ length: 6 }, (_, i) => ask(greedy, `greedy ${i}`));
    // Let the backlog reach the queue first.
    for (let i = 0; i < 100 && (server.scheduler.loaded()[0]?.queued ?? 0) < 5; i++) await new Promise((resolve) => setTimeout(resolve, 20));
    const other = ask(polite, "polite");
    await Promise.all([...backlog, other]);
    // FIFO would serve it last (7th); round robin serves it right after the request running when it came.
    expect(order.indexOf("polite")).toBeLessThanOrEqual(2);
  });
});

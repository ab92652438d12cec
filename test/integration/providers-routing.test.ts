/**
 * Providers from the YAML configuration, and routing: a model served on this box and by a provider under
 * the same id goes to the idle place under load; embeddings, select and Ollama's chat reach a provider's
 * models; and a provider that hangs never slows this box's own models (its requests end at the request
 * timeout with a 503, listing never waits on it).
 */
import { createServer, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { Ollama } from "ollama";
import OpenAI from "openai";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestServer, type TestServer } from "../helpers/server.js";

let a: TestServer;
let b: TestServer;
let tokenIdOnB: string;
let hanging: Server;
const held: ServerResponse[] = [];
let client: OpenAI;

/** A provider that lists a model and never answers a chat: the slow upstream. */
async function hangingProvider(): Promise<string> {
  hanging = createServer((request, response) => {
    if (request.url === "/v1/models") {
      response.setHeader("content-type", "application/json");
      response.end(JSON.stringify({ object: "list", data: [{ id: "slowpoke", object: "model", created: 0, owned_by: "x" }] }));
      return;
    }
    held.push(response);
  });
  await new Promise<void>((resolve) => hanging.listen(0, "127.0.0.1", resolve));
  return `http://127.0.0.1:${(hanging.address() as AddressInfo).port}/v1`;
}

const requestsOnB = () => {
  b.auth.tokens.flush();
  return b.auth.tokens.require(tokenIdOnB).requests;
};

async function until(what: string, probe: () => Promise<boolean>, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await probe())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

beforeAll(async () => {
  b = await startTestServer({ auth: true, models: { tiny: "tiny", emb: "embed" } });
  const token = b.auth.tokens.create("box A", "inference", "cli");
  tokenIdOnB = token.id;
  const slowUrl = await hangingProvider();
  a = await startTestServer({
    models: { tiny: "tiny" },
    inference: { requestTimeout: "10s", parallel: 2 },
    config: {
      providers: [
        { id: "b", kind: "chai", url: b.url, api_key: token.token },
        { id: "slow", kind: "openai", url: slowUrl, name: "Slow server" },
      ],
    },
  });
  client = new OpenAI({ baseURL: a.baseURL, apiKey: "unused", maxRetries: 0 });
  await until("both providers to be ready", async () => {
    const { data } = (await (await fetch(`${a.url}/admin/providers`)).json()) as { data: { status: string }[] };
    return data.length === 2 && data.every((p) => p.status === "ready");
  });
  // Both models loaded: the request timeout below measures the provider, not a model's load.
  await client.chat.completions.create({ model: "b/tiny", messages: [{ role: "user", content: "Hi" }], max_tokens: 2 });
  await client.chat.completions.create({ model: "tiny", messages: [{ role: "user", content: "Hi" }], max_tokens: 2 });
});

afterAll(async () => {
  for (const response of held) response.destroy();
  hanging?.close();
  await a?.dispose();
  await b?.dispose();
});

describe("providers from the configuration", () => {
  it("are listed with their source, and cannot be removed through the API", async () => {
    const { data } = (await (await fetch(`${a.url}/admin/providers`)).json()) as { data: Record<string, unknown>[] };
    expect(data.map((p) => [p.id, p.source, p.has_api_key])).toEqual([
      ["b", "config", true],
      ["slow", "config", false],
    ]);
    const refused = await fetch(`${a.url}/admin/providers/b`, { method: "DELETE" });
    expect(refused.status).toBe(400);
    expect(((await refused.json()) as { error: { message: string } }).error.message).toMatch(/configuration file/);
  });
});

describe("routing between places that serve the same model", () => {
  it("sends the bare id to this box while it is idle", async () => {
    const before = requestsOnB();
    const answer = await client.chat.completions.create({ model: "tiny", messages: [{ role: "user", content: "Hi" }], max_tokens: 4 });
    expect(answer.model).toBe("tiny");
    expect(requestsOnB()).toBe(before);
  });

  it("sends it to the idle provider while this box's model is busy", async () => {
    const before = requestsOnB();
    const busy = await client.chat.completions.create({ model: "tiny", messages: [{ role: "user", content: "Go on and on" }], max_tokens: 1500, stream: true });
    const iterator = busy[Symbol.asyncIterator]();
    await iterator.next();
    expect(a.scheduler.stats("tiny").active).toBe(1);
    const routed = await client.chat.completions.create({ model: "tiny", messages: [{ role: "user", content: "Hi" }], max_tokens: 4 });
    expect(routed.choices[0]?.message.content?.length).toBeGreaterThan(0);
    expect(requestsOnB()).toBe(before + 1);
    busy.controller.abort();
  });

  it("keeps it on this box while the provider is the busy one", async () => {
    await until("A's model to be idle", async () => a.scheduler.stats("tiny").active === 0);
    const before = requestsOnB();
    const busy = await client.chat.completions.create({ model: "b/tiny", messages: [{ role: "user", content: "Go on and on" }], max_tokens: 1500, stream: true });
    const iterator = busy[Symbol.asyncIterator]();
    await iterator.next();
    await client.chat.completions.create({ model: "tiny", messages: [{ role: "user", content: "Hi" }], max_tokens: 4 });
    expect(requestsOnB()).toBe(before + 1);
    busy.controller.abort();
  });
});

describe("a provider's models through every door", () => {
  it("embeds with a provider's embedding model", async () => {
    const answer = await client.embeddings.create({ model: "b/emb", input: ["one text", "another"] });
    expect(answer.data).toHaveLength(2);
    expect(answer.data[0]?.embedding.length).toBeGreaterThan(8);
    expect(answer.usage.prompt_tokens).toBeGreaterThan(0);
  });

  it("ranks a provider's models with this box's in select", async () => {
    const response = await fetch(`${a.url}/chai/v1/select`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ requirements: { capabilities: ["streaming"] } }) });
    const { data } = (await response.json()) as { data: { model: string }[] };
    expect(data.map((c) => c.model)).toEqual(expect.arrayContaining(["tiny", "b/tiny", "slow/slowpoke"]));
  });

  it("chats through Ollama's API", async () => {
    const ollama = new Ollama({ host: a.url });
    const answer = await ollama.chat({ model: "b/tiny", messages: [{ role: "user", content: "Hi" }], options: { num_predict: 4 } });
    expect(answer.message.content.length).toBeGreaterThan(0);
    expect(answer.done).toBe(true);
  });
});

describe("a provider that hangs", () => {
  it("answers its model with 503 at the request timeout (10 s here), while this box's model and the listing stay quick", async () => {
    const stuck = client.chat.completions.create({ model: "slow/slowpoke", messages: [{ role: "user", content: "Hi" }], max_tokens: 4 }).catch((error: unknown) => error);
    const started = Date.now();
    const models = await client.models.list();
    expect(models.data.map((m) => m.id)).toContain("slow/slowpoke");
    await client.chat.completions.create({ model: "tiny", messages: [{ role: "user", content: "Hi" }], max_tokens: 4 });
    expect(Date.now() - started).toBeLessThan(2_500);
    const failure = (await stuck) as InstanceType<typeof OpenAI.APIError>;
    expect(failure).toBeInstanceOf(OpenAI.APIError);
    expect(failure.status).toBe(503);
    expect(Date.now() - started).toBeLessThan(15_000);
  });
});

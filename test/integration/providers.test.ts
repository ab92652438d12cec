/**
 * Past one box (README: Providers): a second real chaibox, B, is added to A as a Chai provider, paired
 * through B's own pairing flow and approved with B's admin API. An app with A's token then chats with B's
 * model through A with the official openai client; B killed with SIGKILL answers 503 at once while A keeps
 * serving its own model, and B back on its address is used again. Its key never shows anywhere.
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import OpenAI from "openai";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ModelStore } from "../../src/models/store.js";
import { testModelPath } from "../helpers/models.js";
import { startTestServer, type TestServer } from "../helpers/server.js";
import { startServe, type ServeChild } from "../reliability/serve-child.js";

let a: TestServer;
let b: ServeChild;
let bDir: string;
let bPort: number;
let ownerOfA: Record<string, string>;
let app: OpenAI;
let appTokenId: string;
const logs: Record<string, unknown>[] = [];

async function json<T>(url: string, init: RequestInit = {}): Promise<{ status: number; body: T }> {
  const response = await fetch(url, init);
  return { status: response.status, body: (await response.json()) as T };
}

async function until<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 40_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

interface ProviderView {
  id: string;
  status: string;
  models: string[];
  has_api_key: boolean;
  pairing: { user_code: string } | null;
}

const providerOnA = async () => (await json<ProviderView>(`${a.url}/admin/providers/b`, { headers: ownerOfA })).body;

beforeAll(async () => {
  bDir = await mkdtemp(join(tmpdir(), "chaibox-provider-b-"));
  const store = await ModelStore.open(bDir);
  await store.add(testModelPath("tiny"), { id: "tiny", source: { type: "generated", ref: "tiny" } });
  // B polls every second for pairings: its apps may ask that often.
  b = await startServe(bDir, { CHAIBOX_INFERENCE_CONTEXT_SIZE: "2048" });
  bPort = Number(new URL(b.url).port);
  a = await startTestServer({ auth: true, models: { "own-model": "tiny" }, logs });
  ownerOfA = { authorization: `Bearer ${a.auth.tokens.create("owner", "admin", "cli").token}`, "content-type": "application/json" };
  const token = a.auth.tokens.create("notes app", "inference", "admin");
  appTokenId = token.id;
  app = new OpenAI({ baseURL: a.baseURL, apiKey: token.token, maxRetries: 0 });
});

afterAll(async () => {
  b?.child.kill("SIGKILL");
  await a?.dispose();
  await rm(bDir, { recursive: true, force: true });
});

describe("another Chai box as a provider", () => {
  it("pairs with B through B's pairing flow, approved with B's admin API", async () => {
    const added = await json<ProviderView>(`${a.url}/admin/providers`, { method: "POST", headers: ownerOfA, body: JSON.stringify({ id: "b", kind: "chai", url: b.url, name: "Study box" }) });
    expect(added.status).toBe(201);
    expect(added.body).toMatchObject({ id: "b", status: "pairing", has_api_key: false });
    const code = added.body.pairing?.user_code;
    expect(code).toMatch(/\S/);

    const bAdmin = { authorization: `Bearer ${b.key}`, "content-type": "application/json" };
    const pending = (await json<{ data: { id: string; user_code: string; app_name: string }[] }>(`${b.url}/admin/pairings`, { headers: bAdmin })).body.data;
    const request = pending.find((p) => p.user_code === code);
    expect(request?.app_name).toMatch(/^chaibox \(/);
    expect((await fetch(`${b.url}/admin/pairings/${request?.id}/approve`, { method: "POST", headers: bAdmin, body: "{}" })).status).toBe(200);

    const ready = await until("B to be paired and checked", async () => {
      const view = await providerOnA();
      return view.status === "ready" ? view : undefined;
    });
    expect(ready).toMatchObject({ has_api_key: true, models: ["b/tiny"], pairing: null });
  });

  it("lists B's model as b/tiny with its chai object and chai.provider", async () => {
    const models = await app.models.list();
    const ids = models.data.map((m) => m.id);
    expect(ids).toEqual(expect.arrayContaining(["own-model", "b/tiny"]));
    const remote = models.data.find((m) => m.id === "b/tiny") as unknown as { chai: Record<string, unknown> };
    expect(remote.chai).toMatchObject({ provider: { id: "b", kind: "chai", name: "Study box" }, capabilities: { streaming: true } });
    expect(["loaded", "available"]).toContain(remote.chai.state);
    expect((remote.chai.context_length as number) > 0).toBe(true);
    const own = models.data.find((m) => m.id === "own-model") as unknown as { chai: Record<string, unknown> };
    expect(own.chai.provider).toBeUndefined();
    const tags = (await json<{ models: { name: string }[] }>(`${a.url}/api/tags`, { headers: { authorization: `Bearer ${app.apiKey}` } })).body;
    expect(tags.models.map((m) => m.name)).toEqual(expect.arrayContaining(["b/tiny:latest"]));
  });

  it("chats with B's model through A, whole and streamed, and counts the usage under the app on A", async () => {
    const whole = await app.chat.completions.create({ model: "b/tiny", messages: [{ role: "user", content: "Hello there" }], max_tokens: 8 });
    expect(whole.model).toBe("b/tiny");
    expect(whole.choices[0]?.message.content?.length).toBeGreaterThan(0);
    expect(whole.usage?.completion_tokens).toBeGreaterThan(0);

    const stream = await app.chat.completions.create({ model: "b/tiny", messages: [{ role: "user", content: "Tell me more" }], max_tokens: 8, stream: true, stream_options: { include_usage: true } });
    let text = "";
    let completion = 0;
    for await (const chunk of stream) {
      text += chunk.choices[0]?.delta.content ?? "";
      completion = chunk.usage?.completion_tokens ?? completion;
    }
    expect(text.length).toBeGreaterThan(0);
    expect(completion).toBeGreaterThan(0);

    const responses = await app.responses.create({ model: "b/tiny", input: "One more", max_output_tokens: 8 });
    expect(responses.output_text.length).toBeGreaterThan(0);
    let streamedResponse = "";
    for await (const event of await app.responses.create({ model: "b/tiny", input: "And another", max_output_tokens: 8, stream: true })) {
      if (event.type === "response.output_text.delta") streamedResponse += event.delta;
    }
    expect(streamedResponse.length).toBeGreaterThan(0);

    // Nothing is left counted as under way there once the answers are done.
    expect(((await providerOnA()) as ProviderView & { in_flight: number }).in_flight).toBe(0);
    a.auth.tokens.flush();
    const usage = a.auth.tokens.require(appTokenId);
    expect(usage.completionTokens).toBeGreaterThanOrEqual((whole.usage?.completion_tokens ?? 0) + completion);
    expect(usage.promptTokens).toBeGreaterThan(0);
    // The owner's Apps screen shows it under the provider, at no cost (B's models are free).
    const apps = (await json<{ data: { id: string; usage_by_provider: { provider: string; requests: number; completion_tokens: number; cost_usd: number }[] }[] }>(`${a.url}/admin/apps`, { headers: ownerOfA })).body;
    const fromB = apps.data.find((entry) => entry.id === appTokenId)?.usage_by_provider.find((u) => u.provider === "b");
    expect(fromB).toMatchObject({ requests: 4, cost_usd: 0 });
    expect(fromB?.completion_tokens).toBeGreaterThanOrEqual((whole.usage?.completion_tokens ?? 0) + completion);
  });

  it("answers 503 quickly for B's model when B is killed, and keeps serving its own", async () => {
    b.child.kill("SIGKILL");
    await b.exited;
    const started = Date.now();
    const failure = await app.chat.completions.create({ model: "b/tiny", messages: [{ role: "user", content: "Hi" }], max_tokens: 4 }).catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(OpenAI.APIError);
    expect((failure as InstanceType<typeof OpenAI.APIError>).status).toBe(503);
    expect((failure as InstanceType<typeof OpenAI.APIError>).code).toBe("provider_unavailable");
    expect(Date.now() - started).toBeLessThan(3_000);

    // Marked down: the next one is refused without a try, and the listing says so.
    const again = Date.now();
    await expect(app.chat.completions.create({ model: "b/tiny", messages: [{ role: "user", content: "Hi" }], max_tokens: 4 })).rejects.toMatchObject({ status: 503 });
    expect(Date.now() - again).toBeLessThan(500);
    const listed = (await app.models.list()).data.find((m) => m.id === "b/tiny") as unknown as { chai: { state: string } };
    expect(listed.chai.state).toBe("unavailable");
    const selection = (await (await fetch(`${a.url}/chai/v1/select`, { method: "POST", headers: { authorization: `Bearer ${app.apiKey}`, "content-type": "application/json" }, body: "{}" })).json()) as {
      data: { model: string }[];
      rejected: { model: string; failed: string[] }[];
    };
    expect(selection.data.map((c) => c.model)).not.toContain("b/tiny");
    expect(selection.rejected.find((r) => r.model === "b/tiny")?.failed).toEqual([expect.stringMatching(/^state: unavailable/)]);

    const own = await app.chat.completions.create({ model: "own-model", messages: [{ role: "user", content: "Still there?" }], max_tokens: 4 });
    expect(own.choices[0]?.message.content?.length).toBeGreaterThan(0);
  });

  it("uses B again once it is back", async () => {
    b = await startServe(bDir, { CHAIBOX_INFERENCE_CONTEXT_SIZE: "2048" }, bPort);
    await until("A to find B again", async () => ((await providerOnA()).status === "ready" ? true : undefined));
    const back = await app.chat.completions.create({ model: "b/tiny", messages: [{ role: "user", content: "Welcome back" }], max_tokens: 4 });
    expect(back.choices[0]?.message.content?.length).toBeGreaterThan(0);
  });

  it("never shows B's key: not in /v1/models, /admin answers, errors or logs", async () => {
    const key = (a.db.prepare("SELECT api_key FROM providers WHERE id = 'b'").get() as { api_key: string }).api_key;
    expect(key).toMatch(/^chai_/);
    const seen: string[] = [];
    for (const path of ["/v1/models", "/api/tags", "/admin/providers", "/admin/providers/b", "/admin/status", "/admin/apps", "/admin/settings"]) {
      seen.push(await (await fetch(`${a.url}${path}`, { headers: ownerOfA })).text());
    }
    // An error naming the provider: an unknown model there.
    seen.push(await (await fetch(`${a.baseURL}/chat/completions`, { method: "POST", headers: ownerOfA, body: JSON.stringify({ model: "b/nope", messages: [{ role: "user", content: "x" }] }) })).text());
    seen.push(JSON.stringify(logs));
    expect(seen.join("\n").length).toBeGreaterThan(1000);
    for (const text of seen) expect(text).not.toContain(key);
  });
});

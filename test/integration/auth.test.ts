/**
 * Authentication on a real, listening chaibox with `auth.required`: bearer tokens on every protected route in
 * its dialect's envelope, the first run behind the setup code, admin sessions with CSRF, rate limits, and
 * tokens stored only as hashes.
 */
import { readFile } from "node:fs/promises";
import { createHash } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import OpenAI from "openai";
import { Ollama } from "ollama";
import { startTestServer, type TestServer } from "../helpers/server.js";

let server: TestServer;
let token: string;

beforeAll(async () => {
  server = await startTestServer({ auth: true, models: { tiny: "tiny" } });
  token = server.auth.tokens.create("tests", "inference", "cli").token;
});
afterAll(async () => server.dispose());

interface Probe {
  method: "GET" | "POST";
  url: string;
  body?: unknown;
}

/** Every protected route, one call each, with a body that would be valid. */
const protectedRoutes: Probe[] = [
  { method: "GET", url: "/v1/models" },
  { method: "GET", url: "/v1/models/tiny" },
  { method: "POST", url: "/v1/chat/completions", body: { model: "tiny", messages: [{ role: "user", content: "hi" }], max_tokens: 1 } },
  { method: "POST", url: "/v1/responses", body: { model: "tiny", input: "hi", max_output_tokens: 1 } },
  { method: "POST", url: "/v1/embeddings", body: { model: "tiny", input: "hi" } },
  { method: "POST", url: "/chai/v1/select", body: {} },
  { method: "GET", url: "/metrics" },
  { method: "GET", url: "/openapi.json" },
  { method: "GET", url: "/api/version" },
  { method: "GET", url: "/api/tags" },
  { method: "GET", url: "/api/ps" },
  { method: "POST", url: "/api/show", body: { model: "tiny" } },
  { method: "POST", url: "/api/chat", body: { model: "tiny", messages: [{ role: "user", content: "hi" }], stream: false } },
  { method: "POST", url: "/api/generate", body: { model: "tiny", prompt: "hi", stream: false } },
  { method: "POST", url: "/api/embed", body: { model: "tiny", input: "hi" } },
  { method: "POST", url: "/api/pull", body: { model: "nothing-here" } },
  { method: "DELETE" as "POST", url: "/api/delete", body: { model: "nothing-here" } },
];

async function call(probe: Probe, headers: Record<string, string> = {}) {
  const response = await fetch(`${server.url}${probe.url}`, {
    method: probe.method,
    headers: { ...headers, ...(probe.body !== undefined && { "content-type": "application/json" }) },
    ...(probe.body !== undefined && { body: JSON.stringify(probe.body) }),
  });
  const text = await response.text();
  // /metrics answers Prometheus text, every other route JSON.
  const json = (response.headers.get("content-type") ?? "").includes("json") && text !== "";
  return { status: response.status, headers: response.headers, body: (json ? JSON.parse(text) : undefined) as Record<string, unknown> };
}

function expectRejected(probe: Probe, result: Awaited<ReturnType<typeof call>>) {
  expect(result.status, `${probe.method} ${probe.url}`).toBe(401);
  expect(result.headers.get("www-authenticate")).toMatch(/^Bearer/);
  if (probe.url.startsWith("/api/")) {
    // Ollama's envelope: {"error": "<message>"}
    expect(Object.keys(result.body), probe.url).toEqual(["error"]);
    expect(typeof result.body.error).toBe("string");
  } else {
    expect(result.body.error, probe.url).toMatchObject({ type: "invalid_request_error", code: "invalid_api_key", param: null });
    expect((result.body.error as { message: string }).message).toMatch(/token/i);
  }
}

describe("bearer tokens", () => {
  it("every protected route rejects a missing, a wrong and a revoked token, in its dialect's envelope", async () => {
    const revoked = server.auth.tokens.create("old app", "inference", "cli");
    server.auth.tokens.revoke(revoked.id);
    for (const probe of protectedRoutes) {
      expectRejected(probe, await call(probe));
      expectRejected(probe, await call(probe, { authorization: "Bearer chai_not-a-token" }));
      expectRejected(probe, await call(probe, { authorization: `Bearer ${revoked.token}` }));
      expectRejected(probe, await call(probe, { authorization: token })); // no "Bearer" scheme
    }
  });

  it("lets a valid token through every protected route", async () => {
    for (const probe of protectedRoutes) {
      const result = await call(probe, { authorization: `Bearer ${token}` });
      expect(result.status, `${probe.method} ${probe.url}`).not.toBe(401);
    }
    expect((await call({ method: "GET", url: "/v1/models" }, { authorization: `bearer ${token}` })).status).toBe(200);
  });

  it("keeps health, discovery, sign-in status and the pairing request public", async () => {
    expect((await fetch(`${server.url}/health`)).status).toBe(200);
    const discovery = (await (await fetch(`${server.url}/.well-known/chai`)).json()) as { auth: { required: boolean; pairing_endpoint: string } };
    expect(discovery.auth).toEqual({ scheme: "bearer", required: true, pairing_endpoint: "/chai/v1/pairings" });
    expect((await fetch(`${server.url}/admin/session`)).status).toBe(200);
    const pairing = await fetch(`${server.url}/chai/v1/pairings`, { method: "POST", headers: { "content-type": "application/json" }, body: '{"app_name":"probe"}' });
    expect(pairing.status).toBe(200);
    // The UI's pages are public; an unknown page is a plain 404, not a 401.
    expect((await fetch(`${server.url}/some/page`)).status).toBe(404);
  });

  it("works with the official openai and ollama clients", async () => {
    const openai = new OpenAI({ baseURL: server.baseURL, apiKey: token, maxRetries: 0 });
    expect((await openai.models.list()).data.map((m) => m.id)).toContain("tiny");
    const wrong = new OpenAI({ baseURL: server.baseURL, apiKey: "chai_wrong", maxRetries: 0 });
    await expect(wrong.models.list()).rejects.toBeInstanceOf(OpenAI.AuthenticationError);

    const ollama = new Ollama({ host: server.url, headers: { authorization: `Bearer ${token}` } });
    expect((await ollama.list()).models.map((m) => m.name)).toContain("tiny:latest");
    await expect(new Ollama({ host: server.url }).list()).rejects.toMatchObject({ status_code: 401 });
  });

  it("stores tokens only as hashes and tracks their last use", async () => {
    const created = server.auth.tokens.create("hash check", "inference", "cli");
    expect((await call({ method: "GET", url: "/v1/models" }, { authorization: `Bearer ${created.token}` })).status).toBe(200);
    server.auth.tokens.flush();
    const rows = server.db.prepare("SELECT * FROM app_tokens").all() as Record<string, unknown>[];
    for (const row of rows) for (const value of Object.values(row)) expect(String(value)).not.toContain(created.token.slice(5));
    const row = rows.find((r) => r.id === created.id);
    expect(row?.token_hash).toBe(createHash("sha256").update(created.token).digest("hex"));
    // Nor anywhere in the database files, the write-ahead log included.
    server.db.pragma("wal_checkpoint(TRUNCATE)");
    for (const file of ["state.db", "state.db-wal"]) {
      const bytes = await readFile(`${server.paths.dataDir}/${file}`).catch(() => Buffer.alloc(0));
      expect(bytes.includes(created.token.slice(5)), file).toBe(false);
    }
    const listed = server.auth.tokens.list().find((t) => t.id === created.id);
    expect(listed?.lastUsedAt).not.toBeNull();
    expect(listed?.requests).toBe(1);
  });

  it("counts the tokens each app token used, in every dialect, streamed or not", async () => {
    const app = server.auth.tokens.create("usage app", "inference", "cli");
    const headers = { authorization: `Bearer ${app.token}` };
    const openai = new OpenAI({ baseURL: server.baseURL, apiKey: app.token, maxRetries: 0 });
    const whole = await openai.chat.completions.create({ model: "tiny", messages: [{ role: "user", content: "hi" }], max_tokens: 3 });
    const stream = await openai.chat.completions.create({ model: "tiny", messages: [{ role: "user", content: "hi" }], max_tokens: 2, stream: true, stream_options: { include_usage: true } });
    let streamed = { prompt_tokens: 0, completion_tokens: 0 };
    for await (const chunk of stream) if (chunk.usage) streamed = chunk.usage;
    const ollama = (await (await fetch(`${server.url}/api/chat`, {
      method: "POST",
      headers,
      body: JSON.stringify({ model: "tiny", messages: [{ role: "user", content: "hi" }], stream: false, options: { num_predict: 2 } }),
    })).json()) as { prompt_eval_count: number; eval_count: number };
    // Another token's and an anonymous health check's requests count elsewhere, or nowhere.
    await openai.withOptions({ apiKey: token }).chat.completions.create({ model: "tiny", messages: [{ role: "user", content: "hi" }], max_tokens: 1 });

    const listed = server.auth.tokens.list().find((t) => t.id === app.id);
    expect(listed?.promptTokens).toBe(whole.usage!.prompt_tokens + streamed.prompt_tokens + ollama.prompt_eval_count);
    expect(listed?.completionTokens).toBe(whole.usage!.completion_tokens + streamed.completion_tokens + ollama.eval_count);
    expect(listed?.requests).toBe(3);
  });

  it("does not let an inference token use /admin; an admin token may", async () => {
    const inference = await call({ method: "GET", url: "/admin/apps" }, { authorization: `Bearer ${token}` });
    expect(inference.status).toBe(403);
    expect(inference.body.error).toMatchObject({ code: "forbidden" });
    const admin = server.auth.tokens.create("admin script", "admin", "cli").token;
    const listed = await call({ method: "GET", url: "/admin/apps" }, { authorization: `Bearer ${admin}` });
    expect(listed.status).toBe(200);
    // Bearer requests carry no ambient credential, so they need no CSRF token.
    const created = await call({ method: "POST", url: "/admin/apps", body: { name: "made by script" } }, { authorization: `Bearer ${admin}` });
    expect(created.status).toBe(201);
    expect(created.body.token).toMatch(/^chai_/);
    expect((await call({ method: "GET", url: "/v1/models" }, { authorization: `Bearer ${String(created.body.token)}` })).status).toBe(200);
  });
});

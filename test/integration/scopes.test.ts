/**
 * Scopes on model management, in every dialect: an inference token (what pairing gives) cannot pull, delete
 * or copy models through the Ollama routes either; a `models` token the owner granted can. Stored responses
 * belong to the app token that made them. Real HTTP to a listening server.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import OpenAI from "openai";
import { Ollama } from "ollama";
import { startTestServer, type TestServer } from "../helpers/server.js";

let server: TestServer;
let inference: string;
let models: string;

beforeAll(async () => {
  server = await startTestServer({ auth: true, models: { tiny: "tiny", spare: "tiny" } });
  inference = server.auth.tokens.create("paired app", "inference", "pairing").token;
  models = server.auth.tokens.create("model manager", "models", "cli").token;
});
afterAll(async () => server.dispose());

const call = (path: string, token: string, method: string, body?: unknown) =>
  fetch(`${server.url}${path}`, { method, headers: { authorization: `Bearer ${token}`, "content-type": "application/json" }, ...(body !== undefined && { body: JSON.stringify(body) }) });

describe("model management needs the models or admin scope", () => {
  it("answers an inference token 403 in Ollama's envelope on pull, delete, copy and create", async () => {
    for (const [path, method, body] of [
      ["/api/pull", "POST", { model: "http://127.0.0.1:9/x.gguf" }],
      ["/api/delete", "DELETE", { model: "spare" }],
      ["/api/copy", "POST", { source: "tiny", destination: "copy" }],
      ["/api/create", "POST", { model: "made" }],
    ] as const) {
      const response = await call(path, inference, method, body);
      expect(response.status, path).toBe(403);
      const answer = (await response.json()) as { error: unknown };
      expect(typeof answer.error, path).toBe("string");
      expect(String(answer.error)).toContain("'models'");
    }
    // The model is still there.
    expect((await call("/api/tags", inference, "GET").then((r) => r.json()) as { models: { name: string }[] }).models.map((m) => m.name)).toContain("spare:latest");
  });

  it("answers an inference token 403 on the admin model routes", async () => {
    expect((await call("/admin/models/spare", inference, "DELETE")).status).toBe(403);
    expect((await call("/admin/models/pulls", inference, "POST", { ref: "http://127.0.0.1:9/x.gguf" })).status).toBe(403);
  });

  it("lets a models token delete a model through the Ollama client, and nothing else of /admin", async () => {
    const ollama = new Ollama({ host: server.url, headers: { authorization: `Bearer ${models}` } });
    await ollama.delete({ model: "spare" });
    expect((await ollama.list()).models.map((m) => m.name)).not.toContain("spare:latest");
    expect((await call("/admin/apps", models, "GET")).status).toBe(403);
  });

  it("lets the owner grant models to a paired app's token, and take it back", async () => {
    const created = server.auth.tokens.create("grant me", "inference", "pairing");
    const admin = server.auth.tokens.create("owner", "admin", "cli").token;
    const granted = await call(`/admin/apps/${created.id}`, admin, "PATCH", { scope: "models" });
    expect(granted.status).toBe(200);
    expect(((await granted.json()) as { scope: string }).scope).toBe("models");
    expect((await call("/api/delete", created.token, "DELETE", { model: "no-such-model" })).status).toBe(404);
    await call(`/admin/apps/${created.id}`, admin, "PATCH", { scope: "inference" });
    expect((await call("/api/delete", created.token, "DELETE", { model: "no-such-model" })).status).toBe(403);
  });
});

describe("stored responses belong to the token that made them", () => {
  it("hides another app's stored response: get, delete and previous_response_id answer 404", async () => {
    const mine = new OpenAI({ baseURL: server.baseURL, apiKey: inference, maxRetries: 0 });
    const other = new OpenAI({ baseURL: server.baseURL, apiKey: models, maxRetries: 0 });
    const created = await mine.responses.create({ model: "tiny", input: "hello", max_output_tokens: 2 });
    expect((await mine.responses.retrieve(created.id)).id).toBe(created.id);
    await expect(other.responses.retrieve(created.id)).rejects.toMatchObject({ status: 404, code: "response_not_found" });
    await expect(other.responses.delete(created.id)).rejects.toMatchObject({ status: 404 });
    await expect(other.responses.create({ model: "tiny", input: "more", previous_response_id: created.id, max_output_tokens: 1 })).rejects.toMatchObject({ status: 404 });
    expect((await mine.responses.retrieve(created.id)).id).toBe(created.id);
  });
});

describe("--no-auth keeps model management on this machine", () => {
  let open: TestServer;
  beforeAll(async () => {
    open = await startTestServer({ auth: false, models: { tiny: "tiny" } });
  });
  afterAll(async () => open.dispose());

  it("answers a LAN client 403 on pull and delete, in Ollama's envelope, and lets loopback through", async () => {
    for (const [url, method] of [["/api/pull", "POST"], ["/api/delete", "DELETE"]] as const) {
      const lan = await open.app.inject({ url, method, remoteAddress: "192.168.1.50", payload: { model: "tiny" } });
      expect(lan.statusCode, url).toBe(403);
      expect(typeof lan.json<{ error: unknown }>().error).toBe("string");
    }
    const local = await fetch(`${open.url}/api/delete`, { method: "DELETE", body: JSON.stringify({ model: "no-such" }) });
    expect(local.status).toBe(404);
  });
});

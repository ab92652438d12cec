/**
 * The admin API for models on a real, listening chaibox: pulls started, followed over SSE and cancelled
 * over HTTP; a loaded model deleted (unloaded first) over HTTP and through `chaibox models rm`; and the
 * loopback-only guard.
 */
import { execFile } from "node:child_process";
import { readdir, readFile } from "node:fs/promises";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { sha256Of, startFileServer, type FileServer } from "../helpers/file-server.js";
import { testModelPath } from "../helpers/models.js";
import { startTestServer, type TestServer } from "../helpers/server.js";

/** `expect.stringMatching`, typed so that it can sit in an object literal. */
const matching = (pattern: RegExp): unknown => expect.stringMatching(pattern);

const root = new URL("../..", import.meta.url).pathname;

interface SseEvent {
  event: string;
  data: Record<string, unknown>;
}

/** Reads a whole SSE response into its events. */
async function readEvents(url: string): Promise<{ status: number; contentType: string | null; events: SseEvent[] }> {
  const response = await fetch(url);
  const text = await response.text();
  const events = text
    .split("\n\n")
    .filter((frame) => frame.trim() !== "")
    .map((frame) => {
      const event = /^event: (.*)$/m.exec(frame)?.[1] ?? "message";
      const data = JSON.parse(/^data: (.*)$/m.exec(frame)?.[1] ?? "null") as Record<string, unknown>;
      return { event, data };
    });
  return { status: response.status, contentType: response.headers.get("content-type"), events };
}

interface ApiBody {
  id?: string;
  state?: string;
  data?: { id: string }[];
  [key: string]: unknown;
}

async function api(method: string, path: string, body?: unknown): Promise<{ status: number; body: ApiBody }> {
  const response = await fetch(`${chaibox.url}${path}`, {
    method,
    ...(body !== undefined && { headers: { "content-type": "application/json" }, body: JSON.stringify(body) }),
  });
  return { status: response.status, body: (await response.json()) as ApiBody };
}

let chaibox: TestServer;
let files: FileServer;
let tiny: Buffer;

beforeAll(async () => {
  tiny = await readFile(testModelPath("tiny"));
  files = await startFileServer({ "/tiny.gguf": { body: tiny }, "/slow/demo.gguf": { body: await readFile(testModelPath("demo")), bytesPerSecond: 500_000 } });
  chaibox = await startTestServer({ models: { resident: "tiny" }, modelsConfig: { allowHosts: ["127.0.0.1"] } });
});
afterAll(async () => {
  await chaibox?.dispose();
  await files?.close();
});

describe("admin API: models", () => {
  it("starts a pull (202), streams its progress as SSE ending in done, and lists the model", async () => {
    const started = await api("POST", "/admin/models/pulls", { ref: files.url("/tiny.gguf"), id: "pulled" });
    expect(started.status).toBe(202);
    expect(started.body).toMatchObject({ id: matching(/^pull-/), modelId: "pulled", ref: files.url("/tiny.gguf") });
    expect(["queued", "downloading", "verifying", "done"]).toContain(started.body.state);
    const again = await api("POST", "/admin/models/pulls", { ref: files.url("/tiny.gguf") });
    expect(again.body.id).toBe(started.body.id);

    const stream = await readEvents(`${chaibox.url}/admin/models/pulls/${started.body.id ?? ""}/events`);
    expect(stream.status).toBe(200);
    expect(stream.contentType).toMatch(/^text\/event-stream/);
    const last = stream.events.at(-1)!;
    expect(last.event).toBe("done");
    expect(last.data).toMatchObject({ type: "done", state: "done", receivedBytes: tiny.length, model: { id: "pulled", sha256: sha256Of(tiny) } });
    expect(files.gets("/tiny.gguf")).toHaveLength(1);

    // A client that connects after the end gets the final state at once.
    const late = await readEvents(`${chaibox.url}/admin/models/pulls/${started.body.id ?? ""}/events`);
    expect(late.events.map((e) => e.event)).toEqual(["done"]);
    expect((await api("GET", `/admin/models/pulls/${started.body.id ?? ""}`)).body.state).toBe("done");
    expect((await api("GET", "/admin/models/pulls")).body.data?.map((p) => p.id)).toContain(started.body.id);
    expect((await api("GET", "/v1/models")).body.data?.map((m) => m.id)).toContain("pulled");
  });

  it("cancels a pull with DELETE: its events end with an error event, and nothing is installed", async () => {
    const started = await api("POST", "/admin/models/pulls", { ref: files.url("/slow/demo.gguf") });
    expect(started.status).toBe(202);
    const events = readEvents(`${chaibox.url}/admin/models/pulls/${started.body.id ?? ""}/events`);
    await new Promise((resolve) => setTimeout(resolve, 300));
    const cancelled = await api("DELETE", `/admin/models/pulls/${started.body.id ?? ""}`);
    expect(cancelled.status).toBe(200);
    expect(cancelled.body).toMatchObject({ state: "cancelled", error: { code: "pull_cancelled" } });
    const last = (await events).events.at(-1)!;
    expect(last).toMatchObject({ event: "error", data: { state: "cancelled" } });
    expect(await readdir(join(chaibox.paths.dataDir, "downloads"))).toEqual([]);
    expect(await chaibox.store.get("demo")).toBeUndefined();
  });

  it("reports bad requests, unknown pulls and failed downloads in the OpenAI envelope", async () => {
    const noRef = await api("POST", "/admin/models/pulls", {});
    expect(noRef).toMatchObject({ status: 400, body: { error: { code: "missing_required_parameter", param: "ref" } } });
    const badRef = await api("POST", "/admin/models/pulls", { ref: "not a ref" });
    expect(badRef).toMatchObject({ status: 400, body: { error: { code: "invalid_request", param: "ref" } } });
    const badId = await api("POST", "/admin/models/pulls", { ref: files.url("/tiny.gguf"), id: "../x" });
    expect(badId).toMatchObject({ status: 400, body: { error: { code: "invalid_model_id" } } });
    const unknown = await api("GET", "/admin/models/pulls/pull-000000000000");
    expect(unknown).toMatchObject({ status: 404, body: { error: { code: "pull_not_found", type: "invalid_request_error" } } });
    expect((await api("GET", "/admin/models/pulls/pull-000000000000/events")).status).toBe(404);

    const missing = await api("POST", "/admin/models/pulls", { ref: files.url("/missing.gguf") });
    expect(missing.status).toBe(202);
    const stream = await readEvents(`${chaibox.url}/admin/models/pulls/${missing.body.id ?? ""}/events`);
    expect(stream.events.at(-1)).toMatchObject({ event: "error", data: { state: "failed", error: { code: "download_failed" } } });
  });

  it("deletes a loaded model: unloads it first, then frees the disk; unknown ids get 404", async () => {
    const chat = await api("POST", "/v1/chat/completions", { model: "resident", messages: [{ role: "user", content: "hi" }], max_tokens: 2 });
    expect(chat.status).toBe(200);
    expect(chaibox.scheduler.loaded().map((m) => m.modelId)).toEqual(["resident"]);
    const dir = (await chaibox.store.require("resident")).dir;

    const deleted = await api("DELETE", "/admin/models/resident");
    expect(deleted).toMatchObject({ status: 200, body: { id: "resident", object: "model", deleted: true } });
    expect(chaibox.scheduler.loaded()).toEqual([]);
    expect(await chaibox.store.get("resident")).toBeUndefined();
    await expect(readdir(dir)).rejects.toMatchObject({ code: "ENOENT" });

    const again = await api("DELETE", "/admin/models/resident");
    expect(again).toMatchObject({ status: 404, body: { error: { code: "model_not_found" } } });
  });

  it("lets `chaibox models rm` go through the running server, which unloads the model", async () => {
    await chaibox.store.add(testModelPath("tiny"), { id: "cli-rm" });
    await api("POST", "/v1/chat/completions", { model: "cli-rm", messages: [{ role: "user", content: "hi" }], max_tokens: 2 });
    expect(chaibox.scheduler.loaded().map((m) => m.modelId)).toContain("cli-rm");
    const { stdout } = await promisify(execFile)(
      process.execPath,
      ["--import", "tsx", join(root, "src/cli/main.ts"), "models", "rm", "cli-rm", "--data-dir", chaibox.paths.dataDir],
      { cwd: root },
    );
    expect(stdout).toMatch(/Removed cli-rm \(unloaded by the server at http:\/\/127\.0\.0\.1:\d+\)/);
    expect(chaibox.scheduler.loaded().map((m) => m.modelId)).not.toContain("cli-rm");
    expect(await chaibox.store.get("cli-rm")).toBeUndefined();
  });

  it("answers loopback clients only", async () => {
    const remote = await chaibox.app.inject({ method: "GET", url: "/admin/models/pulls", remoteAddress: "192.168.1.20" });
    expect(remote.statusCode).toBe(403);
    expect(remote.json()).toMatchObject({ error: { code: "forbidden", type: "permission_error", message: matching(/only on this machine/) } });
    const mapped = await chaibox.app.inject({ method: "DELETE", url: "/admin/models/x", remoteAddress: "::ffff:10.0.0.2" });
    expect(mapped.statusCode).toBe(403);
    expect((await chaibox.app.inject({ method: "GET", url: "/admin/hardware", remoteAddress: "10.1.2.3" })).statusCode).toBe(403);
    expect((await chaibox.app.inject({ method: "GET", url: "/admin/hardware" })).statusCode).toBe(200);
    for (const address of ["127.0.0.1", "127.8.9.10", "::1", "::ffff:127.0.0.1"]) {
      const local = await chaibox.app.inject({ method: "GET", url: "/admin/models/pulls", remoteAddress: address });
      expect(local.statusCode, address).toBe(200);
    }
    const server = await chaibox.app.inject({ method: "GET", url: "/admin/server" });
    expect(server.json()).toMatchObject({ pid: process.pid, dataDir: chaibox.paths.dataDir });
  });
});

/**
 * The web UI's summaries and settings over real HTTP: the dashboard status, the recommendations with the
 * hardware in words, how apps connect, and keep-alive/parallel stored across a restart.
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { testCatalogEntry, writeTestCatalog } from "../helpers/catalog.js";
import { startTestServer, type TestServer } from "../helpers/server.js";

let dir: string;
let catalogFile: string;
let server: TestServer;

async function call(method: string, path: string, body?: unknown): Promise<{ status: number; json: Record<string, unknown> }> {
  const response = await fetch(`${server.url}${path}`, {
    method,
    ...(body !== undefined && { headers: { "content-type": "application/json" }, body: JSON.stringify(body) }),
  });
  return { status: response.status, json: (await response.json()) as Record<string, unknown> };
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "chaibox-overview-"));
  catalogFile = await writeTestCatalog(dir, [testCatalogEntry([{ quant: "Q8_0", uri: "hf:test/tiny-chat/tiny.gguf", sizeBytes: 150_000 }])]);
  server = await startTestServer({ dataDir: join(dir, "data"), modelsConfig: { catalogFile } });
});

afterAll(async () => {
  await server.dispose();
  await rm(dir, { recursive: true, force: true });
});

describe("admin summaries for the web UI", () => {
  it("GET /admin/status: the box, each model with its speed, memory and disk", async () => {
    const { status, json } = await call("GET", "/admin/status");
    expect(status).toBe(200);
    expect(json.box).toMatchObject({ version: expect.any(String) as string });
    expect(json.models).toEqual([expect.objectContaining({ id: "tiny", loaded: null, tokens_per_second: expect.any(Number) as number })]);
    expect((json.hardware as string[]).join("\n")).toMatch(/CPU/);
    const memory = json.memory as { totalBytes: number; availableBytes: number };
    expect(memory.totalBytes).toBeGreaterThanOrEqual(memory.availableBytes);
    expect((json.disk as { freeBytes: number }).freeBytes).toBeGreaterThan(0);
  });

  it("GET /admin/recommendations: the catalog model that fits, with what to pull", async () => {
    const { status, json } = await call("GET", "/admin/recommendations");
    expect(status).toBe(200);
    expect((json.hardware as string[]).length).toBeGreaterThan(0);
    const choices = json.choices as { ref: string; description: string | null; installed: boolean; tokens_per_second: number }[];
    expect(choices).toContainEqual(expect.objectContaining({ ref: "tiny-chat:Q8_0", description: "a generated test model", installed: false }));
  });

  it("GET /admin/connect: the address the browser used, the mDNS names and a QR code of the address", async () => {
    const { json } = await call("GET", "/admin/connect");
    expect(json.url).toBe(server.url);
    expect(json.api_base).toBe(`${server.url}/v1`);
    // Test servers do not advertise: no responder, so no host name is claimed.
    expect(json.mdns).toMatchObject({ type: "_chai._tcp", responder: "none", host: null });
    expect(json.qr_svg).toMatch(/^<svg /);
  });

  it("PATCH /admin/settings: keep-alive and parallel are validated, applied and kept across a restart", async () => {
    expect((await call("PATCH", "/admin/settings", { keep_alive: "soon" })).json).toMatchObject({ error: { param: "keep_alive" } });
    expect((await call("PATCH", "/admin/settings", { parallel: 0 })).status).toBe(400);
    const changed = await call("PATCH", "/admin/settings", { keep_alive: "1h", parallel: 1 });
    expect(changed.json).toMatchObject({ keep_alive: "1h", parallel: 1 });

    // The next load uses one sequence.
    await fetch(`${server.baseURL}/chat/completions`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ model: "tiny", messages: [{ role: "user", content: "hi" }], max_tokens: 2 }) });
    expect(server.scheduler.loaded()[0]?.info.parallel).toBe(1);

    await server.dispose();
    server = await startTestServer({ dataDir: join(dir, "data"), modelsConfig: { catalogFile } });
    expect((await call("GET", "/admin/settings")).json).toMatchObject({ keep_alive: "1h", parallel: 1 });
  });
});

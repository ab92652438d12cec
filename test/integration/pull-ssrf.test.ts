/**
 * Pulls cannot be used to look around: the box itself, loopback and link-local sources are refused unless
 * `models.allowHosts` lists them, errors quote nothing fetched and do not tell an open port from a closed
 * one, and redirects go only to https or allowed hosts. Real HTTP through the Ollama client and the admin API.
 */
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Ollama } from "ollama";
import { startTestServer, type TestServer } from "../helpers/server.js";

let box: TestServer;
let mirror: TestServer;
let probe: Server;
let port: number;

beforeAll(async () => {
  // A local service that answers JSON, like the box's own /health, and a redirect to another local name.
  probe = createServer((request, response) => {
    if (request.url === "/hop") {
      response.writeHead(302, { location: `http://localhost:${port}/health` }).end();
      return;
    }
    response.writeHead(200, { "content-type": "application/json" }).end('{"status":"ok","secret":"s3cr3t"}');
  });
  await new Promise<void>((resolve) => probe.listen(0, "127.0.0.1", resolve));
  port = (probe.address() as AddressInfo).port;
  box = await startTestServer({ models: { tiny: "tiny" } });
  mirror = await startTestServer({ models: { tiny: "tiny" }, modelsConfig: { allowHosts: ["127.0.0.1"] } });
});
afterAll(async () => {
  await Promise.all([box.dispose(), mirror.dispose()]);
  await new Promise((resolve) => probe.close(resolve));
});

async function pullError(server: TestServer, model: string): Promise<{ status: number; error: string }> {
  const response = await fetch(`${server.url}/api/pull`, { method: "POST", body: JSON.stringify({ model, stream: false }) });
  return { status: response.status, error: ((await response.json()) as { error: string }).error };
}

describe("pull sources", () => {
  it("refuses loopback, the box's own port and link-local sources, the same way for open and closed ports", async () => {
    const open = await pullError(box, `http://127.0.0.1:${port}/health`);
    const closed = await pullError(box, "http://127.0.0.1:9/health");
    const own = await pullError(box, `${box.url}/health`);
    const metadata = await pullError(box, "http://169.254.169.254/latest/meta-data/");
    for (const answer of [open, closed, own, metadata]) {
      expect(answer.status).toBe(403);
      expect(answer.error).toMatch(/is refused: it is a loopback, link-local or unspecified address.*models\.allowHosts/);
      expect(answer.error).not.toContain("status");
    }
    expect(open.error.replace(String(port), "PORT")).toBe(closed.error.replace("9", "PORT"));
  });

  it("with the host allowed, says in words that the file is not GGUF and quotes nothing of it", async () => {
    const ollama = new Ollama({ host: mirror.url });
    const failure = await ollama.pull({ model: `http://127.0.0.1:${port}/health`, stream: false }).catch((error: unknown) => error as Error);
    expect(failure).toBeInstanceOf(Error);
    expect((failure as Error).message).toContain("is not a GGUF file (it does not start with the GGUF signature)");
    expect((failure as Error).message).not.toMatch(/status|s3cr3t|\{/);
  });

  it("follows a redirect only to https or an allowed host", async () => {
    const answer = await pullError(mirror, `http://127.0.0.1:${port}/hop`);
    expect(answer.status).toBe(403);
    expect(answer.error).toContain("Pulling from localhost is refused: a redirect is followed only to https or to an allowed host");
  });

  it("refuses the same through the admin API, in OpenAI's envelope", async () => {
    const response = await fetch(`${box.url}/admin/models/pulls`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ ref: `http://[::1]:${port}/x.gguf` }) });
    const started = (await response.json()) as { id?: string; error?: { code: string } };
    // The pull starts, then fails with the refusal: read its final state.
    const id = started.id ?? "";
    let state: { state: string; error: { code: string; message: string } | null } = { state: "queued", error: null };
    for (let i = 0; i < 100 && !["failed", "done"].includes(state.state); i++) {
      await new Promise((resolve) => setTimeout(resolve, 50));
      state = (await (await fetch(`${box.url}/admin/models/pulls/${id}`)).json()) as typeof state;
    }
    expect(state.state).toBe("failed");
    expect(state.error?.code).toBe("pull_source_refused");
  });
});

/** A runner killed mid-stream, and a model whose queue overflows: the service keeps serving, nothing leaks. */
import OpenAI, { APIError } from "openai";
import { afterEach, describe, expect, it } from "vitest";
import { startTestServer, type TestServer } from "../helpers/server.js";

let server: TestServer | undefined;
afterEach(async () => {
  await server?.dispose();
  server = undefined;
});

const ask = [{ role: "user" as const, content: "Go on." }];

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

describe("a runner killed with SIGKILL", () => {
  it("delivers an error chunk to the stream, keeps the API up and restarts on the next request", async () => {
    // tiny never ends a reply by itself, so a generation is always running when the runner is killed.
    server = await startTestServer({ models: { tiny: "tiny" } });
    const client = new OpenAI({ baseURL: server.baseURL, apiKey: "test", maxRetries: 0 });
    const stream = await client.chat.completions.create({ model: "tiny", messages: ask, max_tokens: 4000, stream: true });
    const pid = server.scheduler.loaded()[0]?.pid;
    expect(pid).toBeTypeOf("number");

    let text = "";
    const error = await (async () => {
      for await (const chunk of stream) {
        text += chunk.choices[0]?.delta.content ?? "";
        if (text.length > 0 && isAlive(pid!)) process.kill(pid!, "SIGKILL");
      }
    })().then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(APIError);
    expect((error as APIError).code).toBe("runner_crashed");
    expect(text.length).toBeGreaterThan(0);

    // A waiting (non-streamed) client gets an OpenAI error too.
    const waiting = client.chat.completions.create({ model: "tiny", messages: ask, max_tokens: 4000 });
    const scheduler = server.scheduler;
    const waitingPid = await (async () => {
      for (let i = 0; i < 400; i++) {
        const status = scheduler.loaded()[0];
        if (status?.pid && status.pid !== pid && status.active > 0) return status.pid;
        await new Promise((r) => setTimeout(r, 25));
      }
      throw new Error("no runner picked up the request");
    })();
    await new Promise((r) => setTimeout(r, 100));
    process.kill(waitingPid, "SIGKILL");
    const waitingError = await waiting.then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(waitingError).toBeInstanceOf(APIError);
    expect((waitingError as APIError).status).toBe(502);
    expect((waitingError as APIError).code).toBe("runner_crashed");

    const health = await fetch(`${server.url}/health`);
    expect(health.status).toBe(200);
    const next = await client.chat.completions.create({ model: "tiny", messages: ask, max_tokens: 4 });
    expect(next.choices[0]?.message.content).toBeTypeOf("string");
    const fresh = server.scheduler.loaded()[0]?.pid;
    expect(fresh).not.toBe(pid);
    expect(fresh).not.toBe(waitingPid);
  });
});

describe("the queue limit", () => {
  it("answers 10 of 20 concurrent requests 503 with Retry-After at once and completes the other 10", async () => {
    server = await startTestServer({ models: { tiny: "tiny" }, inference: { parallel: 2, queueSize: 8 } });
    const url = `${server.baseURL}/chat/completions`;
    const body = JSON.stringify({ model: "tiny", messages: ask, max_tokens: 64 });
    const started = Date.now();
    const results = await Promise.all(
      Array.from({ length: 20 }, async () => {
        const response = await fetch(url, { method: "POST", headers: { "content-type": "application/json" }, body });
        return { status: response.status, retryAfter: response.headers.get("retry-after"), body: (await response.json()) as Record<string, unknown>, at: Date.now() - started };
      }),
    );
    const rejected = results.filter((r) => r.status === 503);
    const completed = results.filter((r) => r.status === 200);
    expect(rejected).toHaveLength(10);
    expect(completed).toHaveLength(10);
    for (const r of rejected) {
      expect(Number(r.retryAfter)).toBeGreaterThanOrEqual(1);
      expect(r.body).toMatchObject({ error: { type: "server_error", code: "queue_full" } });
    }
    // "At once": every rejection came before the first completion.
    const firstCompletion = Math.min(...completed.map((r) => r.at));
    expect(Math.max(...rejected.map((r) => r.at))).toBeLessThanOrEqual(firstCompletion);

    const status = server.scheduler.loaded();
    expect(status).toHaveLength(1);
    expect(status[0]).toMatchObject({ active: 0, queued: 0 });
    // The runner still has both sequences: two more requests run side by side.
    const again = await Promise.all([0, 1].map(() => fetch(url, { method: "POST", headers: { "content-type": "application/json" }, body })));
    expect(again.map((r) => r.status)).toEqual([200, 200]);
  });
});

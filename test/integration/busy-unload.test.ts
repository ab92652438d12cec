/**
 * Unloading or deleting a busy model waits a bounded time (`inference.unloadWait`) and says what happened,
 * over real HTTP: Ollama's keep_alive 0 answers 409 `model_busy` instead of hanging for the whole generation,
 * and a delete answers with `unloaded: false` while the running reply goes on to its end.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestServer, type TestServer } from "../helpers/server.js";

let server: TestServer;

beforeAll(async () => {
  server = await startTestServer({ models: { tiny: "tiny", spare: "tiny" }, inference: { parallel: 1, unloadWait: "200ms" } });
});
afterAll(async () => server.dispose());

/**
 * Starts a long streamed generation on `model`; resolves with its done_reason once it ends. The tiny model
 * writes 1,800 tokens in 1–2 s on an idle 2-core machine: well past the 200 ms unload wait, so the model is
 * still busy when the test asks to unload it.
 */
async function longGeneration(model: string): Promise<{ firstChunk: Promise<void>; done: Promise<string | undefined> }> {
  const response = await fetch(`${server.url}/api/generate`, { method: "POST", body: JSON.stringify({ model, prompt: "Tell me everything.", options: { num_predict: 1800 } }) });
  if (!response.body) throw new Error("no body");
  const reader = response.body.getReader() as ReadableStreamDefaultReader<Uint8Array>;
  let first: () => void = () => undefined;
  const firstChunk = new Promise<void>((resolve) => (first = resolve));
  const done = (async () => {
    let text = "";
    for (;;) {
      const { value, done: end } = await reader.read();
      if (end) break;
      first();
      text += new TextDecoder().decode(value);
    }
    const last = text.trim().split("\n").pop() ?? "{}";
    return (JSON.parse(last) as { done_reason?: string }).done_reason;
  })();
  return { firstChunk, done };
}

describe("unloading a busy model", () => {
  it("answers keep_alive 0 with 409 model_busy after the bounded wait, in Ollama's envelope", async () => {
    const running = await longGeneration("tiny");
    await running.firstChunk;
    const started = performance.now();
    const response = await fetch(`${server.url}/api/generate`, { method: "POST", body: JSON.stringify({ model: "tiny", keep_alive: 0 }) });
    expect(performance.now() - started).toBeLessThan(5_000);
    expect(response.status).toBe(409);
    expect(((await response.json()) as { error: string }).error).toContain("unloads as soon as they finish");
    expect(await running.done).toMatch(/^(stop|length)$/);
  });

  it("deletes a busy model at once, says it is still unloading, and lets the reply finish", async () => {
    const running = await longGeneration("spare");
    await running.firstChunk;
    const response = await fetch(`${server.url}/admin/models/spare`, { method: "DELETE" });
    expect(response.status).toBe(200);
    expect(await response.json()).toMatchObject({ id: "spare", deleted: true, unloaded: false });
    expect(await running.done).toMatch(/^(stop|length)$/);
    expect((await server.store.list()).map((m) => m.id)).not.toContain("spare");
  });
});

/**
 * Chai select and `model: "auto"` on a real server with a chat model, a smaller chat model and an
 * embedding model: the ranking, the rejections with reasons, and auto-chosen models serving real requests.
 */
import OpenAI from "openai";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { SelectResult } from "../../src/models/selection/select-ranking.js";
import { ensureTestModels } from "../helpers/models.js";
import { startTestServer, type TestServer } from "../helpers/server.js";

let server: TestServer;
let client: OpenAI;

async function select(body: unknown): Promise<{ status: number; body: SelectResult & { preference?: string; error?: { code: string; param: string } } }> {
  const response = await fetch(`${server.url}/chai/v1/select`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body) });
  return { status: response.status, body: (await response.json()) as SelectResult & { preference?: string; error?: { code: string; param: string } } };
}

beforeAll(async () => {
  await ensureTestModels([{ preset: "embed" }]);
  server = await startTestServer({ models: { demo: "demo", tiny: "tiny", embedder: "embed" } });
  client = new OpenAI({ baseURL: server.baseURL, apiKey: "unused", maxRetries: 0 });
}, 120_000);
afterAll(async () => {
  await server?.dispose();
});

describe("POST /chai/v1/select", () => {
  it("ranks the chat models by quality, and rejects the embedding model saying why", async () => {
    const { status, body } = await select({ requirements: { capabilities: ["json_schema", "streaming"], output_modalities: ["text"] } });
    expect(status).toBe(200);
    expect(body.preference).toBe("quality");
    expect(body.data.map((c) => [c.model, c.rank])).toEqual([
      ["demo", 1],
      ["tiny", 2],
    ]);
    expect(body.data[0]?.reason).toMatch(/parameters, .*-token context, free, (available|loaded) \(ranked by quality/);
    expect(body.rejected).toEqual([
      { model: "embedder", failed: ["capabilities: no json_schema", "capabilities: no streaming", "output_modalities: no text output"] },
    ]);
  });

  it("finds the embedding model, and rejects everything for a context no model serves", async () => {
    expect((await select({ requirements: { output_modalities: ["embedding"] } })).body.data.map((c) => c.model)).toEqual(["embedder"]);
    const none = await select({ requirements: { min_context_length: 1_000_000 }, preference: "speed" });
    expect(none.body.data).toEqual([]);
    expect(none.body.rejected.map((r) => r.model).sort()).toEqual(["demo", "embedder", "tiny"]);
    for (const r of none.body.rejected) expect(r.failed[0]).toMatch(/^min_context_length: serves \d+ tokens, 1000000 needed$/);
  });

  it("refuses an unknown requirement in OpenAI's envelope", async () => {
    const { status, body } = await select({ requirements: { gpu: true } });
    expect(status).toBe(400);
    expect(body.error?.code).toBe("unknown_parameter");
  });
});

describe('model "auto"', () => {
  it("serves a chat completion with the best chat model, and says which", async () => {
    const reply = await client.chat.completions.create({ model: "auto", messages: [{ role: "user", content: "Hi" }], max_tokens: 4 });
    expect(reply.model).toBe("demo");
    expect(reply.usage?.completion_tokens).toBeGreaterThan(0);
  });

  it("serves a response the same way", async () => {
    const response = await client.responses.create({ model: "auto", input: "Hi", max_output_tokens: 4, store: false });
    expect(response.model).toBe("demo");
  });

  it("answers model_not_found with the reasons when no model can serve the request", async () => {
    const error = await client.chat.completions
      .create({ model: "auto", messages: [{ role: "user", content: "x".repeat(40_000) }], max_tokens: 4 })
      .then(() => undefined, (e: unknown) => e);
    expect(error).toBeInstanceOf(OpenAI.NotFoundError);
    const apiError = error as InstanceType<typeof OpenAI.NotFoundError>;
    expect(apiError.code).toBe("model_not_found");
    expect(apiError.param).toBe("model");
    expect(apiError.message).toMatch(/no installed model meets this request's needs: .*demo \(min_context_length: serves \d+ tokens, \d+ needed\)/);
  });
});

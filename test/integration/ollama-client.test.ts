/**
 * The Ollama dialect through the official `ollama` npm client against a listening chaibox serving generated
 * models: listing, chat (streamed, whole, with tools), generate, embed, pull from a local file server,
 * delete and keep-alive.
 */
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Ollama, type Tool } from "ollama";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { testCatalogEntry, writeTestCatalog } from "../helpers/catalog.js";
import { sha256Of, startFileServer, type FileServer } from "../helpers/file-server.js";
import { ensureTestModels, testModelPath } from "../helpers/models.js";
import { startTestServer, type TestServer } from "../helpers/server.js";

let server: TestServer;
let files: FileServer;
let client: Ollama;
let catalogDir: string;
const logs: Record<string, unknown>[] = [];

/** A catalog with one generated model, served by the local file server, known to Ollama as `tinychat:1m`. */
async function writeCatalog(tiny: Buffer): Promise<string> {
  const file = { quant: "Q8_0", uri: "hf:test/tiny-chat/tiny.gguf", sizeBytes: tiny.length, sha256: sha256Of(tiny) };
  return writeTestCatalog(catalogDir, [testCatalogEntry([file], { ollama: ["tinychat:1m"] })]);
}

// maxLength keeps a random-weight model's forced argument short (the client's type does not list it).
const lightTool = {
  type: "function",
  function: {
    name: "turn_on_light",
    description: "Turns on a light",
    parameters: { type: "object", properties: { area: { type: "string", description: "the room", maxLength: 30 } }, required: ["area"] },
  },
} as Tool;

beforeAll(async () => {
  await ensureTestModels([{ preset: "embed" }]);
  const tiny = await readFile(testModelPath("tiny"));
  files = await startFileServer();
  files.files.set("/test/tiny-chat/resolve/main/tiny.gguf", { body: tiny, bytesPerSecond: 400_000 });
  catalogDir = await mkdtemp(join(tmpdir(), "chaibox-ollama-"));
  server = await startTestServer({
    models: { tiny: "tiny", demo: "demo", embed: "embed" },
    modelsConfig: { catalogFile: await writeCatalog(tiny), hfEndpoint: files.origin },
    logs,
  });
  client = new Ollama({ host: server.url });
});
afterAll(async () => {
  await server?.dispose();
  await files?.close();
  await rm(catalogDir, { recursive: true, force: true });
});

const ask = [{ role: "user", content: "Say something." }];

describe("ollama client: models", () => {
  it("lists the installed models with details and capabilities", async () => {
    const { models } = await client.list();
    expect(models.map((m) => m.name).sort()).toEqual(["demo:latest", "embed:latest", "tiny:latest"]);
    const demo = models.find((m) => m.name === "demo:latest");
    expect(demo).toMatchObject({ model: "demo:latest", details: { format: "gguf", family: "llama", quantization_level: "Q8_0" } });
    expect(demo?.size).toBeGreaterThan(1000);
    expect(demo?.digest).toMatch(/^[0-9a-f]{64}$/);
    expect(Date.parse(String(demo?.modified_at))).not.toBeNaN();
    expect((demo?.details as unknown as { context_length: number }).context_length).toBe(2048);
    expect((demo as unknown as { capabilities: string[] }).capabilities).toEqual(["completion"]);
    const embed = models.find((m) => m.name === "embed:latest") as unknown as { capabilities: string[] };
    expect(embed.capabilities).toEqual(["embedding"]);
  });

  it("shows a model's GGUF metadata, template and capabilities", async () => {
    const shown = await client.show({ model: "demo" });
    expect(shown.details.format).toBe("gguf");
    // JSON, whatever the client's type says (a Map).
    const info = shown.model_info as unknown as Record<string, unknown>;
    expect(info["general.architecture"]).toBe("llama");
    expect(info["llama.context_length"]).toBeGreaterThan(0);
    expect(info["tokenizer.ggml.tokens"]).toBeNull();
    expect(shown.template).toContain("im_start");
    expect(shown.capabilities).toEqual(["completion"]);
    await expect(client.show({ model: "nope" })).rejects.toMatchObject({ status_code: 404, error: 'model "nope" not found, try pulling it first' });
  });

  it("reports its version", async () => {
    expect((await client.version()).version).toMatch(/^\d+\.\d+\.\d+$/);
  });
});

describe("ollama client: chat and generate", () => {
  it("answers a whole chat with Ollama's statistics", async () => {
    const reply = await client.chat({ model: "demo", messages: ask, stream: false, options: { num_predict: 12, seed: 3 } });
    expect(reply.message.role).toBe("assistant");
    expect(typeof reply.message.content).toBe("string");
    expect(reply.done).toBe(true);
    expect(["stop", "length"]).toContain(reply.done_reason);
    expect(reply.eval_count).toBeGreaterThan(0);
    expect(reply.eval_count).toBeLessThanOrEqual(12);
    expect(reply.prompt_eval_count).toBeGreaterThan(3);
    expect(reply.prompt_eval_duration).toBeGreaterThan(0);
    expect(reply.total_duration).toBeGreaterThanOrEqual(reply.prompt_eval_duration + reply.eval_duration);
  });

  it("streams NDJSON chunks whose text equals the whole reply for the same seed", async () => {
    const params = { model: "demo:latest", messages: ask, options: { num_predict: 16, seed: 11, temperature: 0.7 } };
    const whole = await client.chat({ ...params, stream: false });
    const chunks = [];
    for await (const chunk of await client.chat({ ...params, stream: true })) chunks.push(chunk);
    const last = chunks.at(-1);
    expect(last?.done).toBe(true);
    expect(last?.eval_count).toBe(whole.eval_count);
    expect(chunks.slice(0, -1).every((c) => !c.done)).toBe(true);
    expect(chunks.map((c) => c.message.content).join("")).toBe(whole.message.content);
  });

  it("drops the oldest turns of a conversation longer than the context, as Ollama does", async () => {
    const long = "lamp ".repeat(1500);
    const messages = [
      { role: "system", content: "Be brief." },
      { role: "user", content: long },
      { role: "assistant", content: long },
      { role: "user", content: "And now?" },
    ];
    const reply = await client.chat({ model: "demo", messages, stream: false, options: { num_predict: 4 } });
    expect(reply.done).toBe(true);
    expect(reply.prompt_eval_count).toBeLessThan(100);
  });

  it("makes a forced tool call with object arguments, then continues after the tool result", async () => {
    const messages = [{ role: "user", content: "Turn on the kitchen light." }];
    const call = await client.chat({
      model: "demo",
      messages,
      tools: [lightTool],
      stream: false,
      options: { num_predict: 100 },
      // chaibox accepts OpenAI's tool_choice: Ollama's API has no way to force a call.
      ...({ tool_choice: "required" } as object),
    });
    const toolCall = call.message.tool_calls?.[0];
    expect(toolCall?.function.name).toBe("turn_on_light");
    expect(typeof toolCall?.function.arguments.area).toBe("string");
    const next = await client.chat({
      model: "demo",
      messages: [...messages, call.message, { role: "tool", content: JSON.stringify({ success: true }), tool_name: "turn_on_light" }],
      tools: [lightTool],
      stream: false,
      options: { num_predict: 8 },
    });
    expect(next.done).toBe(true);
    expect(next.eval_count).toBeGreaterThan(0);
  });

  it("follows a JSON schema given as format", async () => {
    const format = { type: "object", properties: { answer: { type: "string", maxLength: 20 } }, required: ["answer"], additionalProperties: false };
    const reply = await client.chat({ model: "demo", messages: ask, format, stream: false, options: { num_predict: 60, seed: 5 } });
    const parsed = JSON.parse(reply.message.content) as { answer: unknown };
    expect(typeof parsed.answer).toBe("string");
  });

  it("generates from a prompt, templated and raw", async () => {
    const templated = await client.generate({ model: "demo", prompt: "Hello", system: "Be brief.", stream: false, options: { num_predict: 6 } });
    expect(templated.done).toBe(true);
    expect(templated.eval_count).toBeGreaterThan(0);
    const raw = await client.generate({ model: "tiny", prompt: "once upon a time", raw: true, stream: false, options: { num_predict: 5 } });
    expect(raw.eval_count).toBe(5);
    expect(raw.done_reason).toBe("length");
    // The raw prompt is evaluated as sent: no chat template adds tokens around it.
    expect(raw.prompt_eval_count).toBeLessThan(templated.prompt_eval_count);
    const parts = [];
    for await (const part of await client.generate({ model: "tiny", prompt: "hi", stream: true, options: { num_predict: 4 } })) parts.push(part);
    expect(parts.at(-1)).toMatchObject({ done: true, eval_count: 4 });
  });

  it("embeds with /api/embed and the legacy /api/embeddings", async () => {
    const { embeddings, prompt_eval_count } = await client.embed({ model: "embed", input: ["a lamp", "a kitchen"] });
    expect(embeddings).toHaveLength(2);
    expect(embeddings[0]).toHaveLength(128);
    expect(Math.hypot(...(embeddings[0] ?? []))).toBeCloseTo(1, 4);
    expect(prompt_eval_count).toBeGreaterThan(2);
    const legacy = await client.embeddings({ model: "embed", prompt: "a lamp" });
    expect(legacy.embedding).toHaveLength(128);
    // Over-long input is cut to the context, as Ollama does by default.
    const long = await client.embed({ model: "embed", input: "word ".repeat(5000) });
    expect(long.embeddings[0]).toHaveLength(128);
  });
});

describe("ollama client: keep-alive, pull and delete", () => {
  it("unloads a model with keep_alive 0, as ps shows, and keeps it with -1", async () => {
    await client.chat({ model: "tiny", messages: ask, stream: false, keep_alive: -1, options: { num_predict: 2 } });
    const loaded = (await client.ps()).models.find((m) => m.name === "tiny:latest");
    expect(loaded).toBeDefined();
    expect(new Date(String(loaded?.expires_at)).getTime()).toBeGreaterThan(Date.now() + 300 * 86_400_000);
    expect((loaded as unknown as { context_length: number }).context_length).toBe(2048);
    expect(loaded?.size_vram).toBe(0);
    // Ollama's way to unload: an empty chat with keep_alive 0.
    const unloaded = await client.chat({ model: "tiny", messages: [], keep_alive: 0, stream: false });
    expect(unloaded).toMatchObject({ done: true, done_reason: "unload" });
    expect((await client.ps()).models.map((m) => m.name)).not.toContain("tiny:latest");
    // And to preload: an empty chat with a keep_alive.
    expect(await client.chat({ model: "tiny", messages: [], keep_alive: "10m", stream: false })).toMatchObject({ done_reason: "load" });
    const preloaded = (await client.ps()).models.find((m) => m.name === "tiny:latest");
    const expires = new Date(String(preloaded?.expires_at)).getTime() - Date.now();
    expect(expires).toBeGreaterThan(9 * 60_000);
    expect(expires).toBeLessThanOrEqual(10 * 60_000);
  });

  it("pulls a catalog model by its Ollama name with progress, then serves and deletes it", async () => {
    const progress = [];
    for await (const part of await client.pull({ model: "tinychat:1m", stream: true })) progress.push(part);
    const statuses = progress.map((p) => p.status);
    expect(statuses[0]).toBe("pulling manifest");
    expect(statuses.at(-1)).toBe("success");
    expect(statuses).toContain("verifying sha256 digest");
    const bytes = progress.filter((p) => p.total > 0);
    expect(bytes.length).toBeGreaterThan(1);
    expect(bytes.at(-1)?.completed).toBe(bytes.at(-1)?.total);
    expect(bytes[0]?.digest).toMatch(/^sha256:[0-9a-f]{64}$/);
    expect((await client.list()).models.map((m) => m.name)).toContain("tinychat:1m");
    const reply = await client.chat({ model: "tinychat:1m", messages: ask, stream: false, options: { num_predict: 3 } });
    expect(reply.eval_count).toBe(3);
    // Pulling what is installed succeeds at once.
    expect(await client.pull({ model: "tinychat:1m" })).toMatchObject({ status: "success" });

    await client.delete({ model: "tinychat:1m" });
    expect((await client.list()).models.map((m) => m.name)).not.toContain("tinychat:1m");
    await expect(client.delete({ model: "tinychat:1m" })).rejects.toMatchObject({ status_code: 404 });
    await expect(client.pull({ model: "no-such-model:7b" })).rejects.toMatchObject({ status_code: 404 });
  });
});

describe("ollama dialect: errors", () => {
  const post = (path: string, body: string) =>
    fetch(`${server.url}/api/${path}`, { method: "POST", headers: { "content-type": "application/json" }, body });

  it("answers an unknown model with 404 and the hint to pull it", async () => {
    await expect(client.chat({ model: "llama9", messages: ask })).rejects.toMatchObject({
      status_code: 404,
      error: 'model "llama9" not found, try pulling it first',
    });
  });

  it("answers malformed JSON and invalid fields with 400 in Ollama's envelope", async () => {
    const broken = await post("chat", '{"model": "demo", "messages": [');
    expect(broken.status).toBe(400);
    expect(Object.keys((await broken.json()) as object)).toEqual(["error"]);
    const badKeepAlive = await post("chat", JSON.stringify({ model: "demo", messages: ask, keep_alive: "soon" }));
    expect(badKeepAlive.status).toBe(400);
    expect(((await badKeepAlive.json()) as { error: string }).error).toContain("keep_alive");
  });

  it("reads the body as JSON whatever its Content-Type, as Ollama does for `curl -d`", async () => {
    const form = await fetch(`${server.url}/api/show`, {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded" },
      body: JSON.stringify({ model: "tiny" }),
    });
    expect(form.status).toBe(200);
    expect(((await form.json()) as { details: { format: string } }).details.format).toBe("gguf");
    const plain = await fetch(`${server.url}/api/show`, { method: "POST", body: "{not json" });
    expect(plain.status).toBe(400);
    expect(((await plain.json()) as { error: string }).error).toContain("invalid JSON");
  });

  it("refuses images for a text model, clearly", async () => {
    await expect(client.chat({ model: "demo", messages: [{ role: "user", content: "what is this?", images: ["aGVsbG8="] }] })).rejects.toMatchObject({
      status_code: 400,
      error: expect.stringContaining("cannot take images") as unknown,
    });
  });

  it("refuses think for a model that does not reason", async () => {
    await expect(client.chat({ model: "demo", messages: ask, think: true, stream: false })).rejects.toMatchObject({
      status_code: 400,
      error: '"demo" does not support thinking',
    });
  });

  it("ends a stream whose runner was killed with an error line, and serves the next request", async () => {
    const stream = await client.chat({ model: "tiny", messages: ask, stream: true, options: { num_predict: 1500 } });
    const seen: string[] = [];
    const consume = async (): Promise<void> => {
      for await (const part of stream) {
        seen.push(part.message.content);
        if (seen.length === 1) {
          const pid = server.scheduler.loaded().find((m) => m.modelId === "tiny")?.pid;
          if (pid !== undefined) process.kill(pid, "SIGKILL");
        }
      }
    };
    await expect(consume()).rejects.toThrow(/runner/);
    expect(seen.length).toBeGreaterThan(0);
    const next = await client.chat({ model: "tiny", messages: ask, stream: false, options: { num_predict: 2 } });
    expect(next.eval_count).toBe(2);
  });

  it("clamps num_ctx larger than the model's context, with a warning in the log", async () => {
    logs.length = 0;
    const reply = await client.chat({ model: "demo", messages: ask, stream: false, options: { num_ctx: 65536, num_predict: 2 } });
    expect(reply.done).toBe(true);
    expect(logs.some((line) => line.num_ctx === 65536 && line.context_length === 2048 && line.level === 40)).toBe(true);
  });
});

describe("ollama dialect: a full queue", () => {
  let busy: TestServer;
  beforeAll(async () => {
    busy = await startTestServer({ models: { tiny: "tiny" }, inference: { parallel: 1, queueSize: 0 } });
  });
  afterAll(async () => busy?.dispose());

  it("answers 503 with Retry-After in Ollama's envelope, and frees the slot when the client goes away", async () => {
    const controller = new AbortController();
    const long = await fetch(`${busy.url}/api/chat`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ model: "tiny", messages: ask, options: { num_predict: 1500 } }),
      signal: controller.signal,
    });
    expect(long.status).toBe(200);
    const reader = (long.body as ReadableStream<Uint8Array>).getReader();
    await reader.read();
    const refused = await fetch(`${busy.url}/api/chat`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ model: "tiny", messages: ask, stream: false }),
    });
    expect(refused.status).toBe(503);
    expect(Number(refused.headers.get("retry-after"))).toBeGreaterThan(0);
    expect(Object.keys((await refused.json()) as object)).toEqual(["error"]);
    // The client of the long stream disconnects: its sequence is freed and the next request runs.
    controller.abort();
    await reader.cancel().catch(() => undefined);
    const busyClient = new Ollama({ host: busy.url });
    let reply: Awaited<ReturnType<typeof busyClient.chat>> | undefined;
    for (let attempt = 0; attempt < 20 && reply === undefined; attempt++) {
      reply = await busyClient.chat({ model: "tiny", messages: ask, stream: false, options: { num_predict: 2 } }).catch(async () => {
        await new Promise((resolve) => setTimeout(resolve, 50));
        return undefined;
      });
    }
    expect(reply?.eval_count).toBe(2);
  });
});

/**
 * A model file that does not load (a tampered GGUF header): `models add` refuses it, and one that reaches the
 * store anyway (a disk corruption) answers 422 model_load_failed in every dialect, with the reason and no
 * path, and without starting a runner again for the same file.
 */
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Ollama } from "ollama";
import OpenAI from "openai";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { presetSpec } from "../../src/gguf/presets.js";
import { ggufValue, writeGguf } from "../../src/gguf/writer.js";
import { runCli } from "../helpers/cli.js";
import { startFileServer } from "../helpers/file-server.js";
import { startTestServer, type TestServer } from "../helpers/server.js";

let dir: string;

/** The tiny test model with one header field changed, written by the project's own GGUF writer. */
async function tampered(name: string, key: string, value: number, path = join(dir, `${name}.gguf`)): Promise<string> {
  const spec = presetSpec("tiny", "q8_0", 1);
  await writeGguf(path, { ...spec, metadata: { ...spec.metadata, [key]: ggufValue.uint32(value) } });
  return path;
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "chaibox-load-failure-"));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe("models add", () => {
  it("refuses a file that does not load (block_count 1000) and installs nothing", async () => {
    const file = await tampered("blocks", "llama.block_count", 1000);
    const dataDir = join(dir, "add-data");
    const added = await runCli(["models", "add", file, "--data-dir", dataDir]);
    expect(added.code).not.toBe(0);
    expect(added.stderr).toContain("Model 'blocks' does not load:");
    expect(added.stderr).toMatch(/GGML_ASSERT|n_layer/);
    expect(added.stderr).not.toContain(dir);
    expect(added.stderr).not.toContain("/home/");
    const listed = await runCli(["models", "list", "--json", "--data-dir", dataDir]);
    expect(listed.code).toBe(0);
    expect(JSON.parse(listed.stdout)).toEqual([]);
  }, 120_000);
});

describe("a pull", () => {
  it("refuses a downloaded file that does not load with model_load_failed, and installs nothing", async () => {
    const file = await tampered("pulled", "llama.block_count", 1000);
    const files = await startFileServer({ "/blocks.gguf": { body: await readFile(file) } });
    const server = await startTestServer({ models: {}, modelsConfig: { allowHosts: ["127.0.0.1"] } });
    try {
      const started = await fetch(`${server.url}/admin/models/pulls`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ ref: files.url("/blocks.gguf"), id: "pulled" }),
      });
      expect(started.status).toBe(202);
      const { id } = (await started.json()) as { id: string };
      let pull: { state: string; error?: { code: string; message: string } } = { state: "queued" };
      for (let i = 0; i < 600 && ["queued", "downloading", "verifying"].includes(pull.state); i++) {
        await new Promise((resolve) => setTimeout(resolve, 100));
        pull = (await (await fetch(`${server.url}/admin/models/pulls/${id}`)).json()) as typeof pull;
      }
      expect(pull.state).toBe("failed");
      expect(pull.error?.code).toBe("model_load_failed");
      expect(pull.error?.message).toMatch(/Model 'pulled' does not load: .+/);
      expect(pull.error?.message).not.toMatch(/\/(tmp|home|work)\//);
      expect(await server.store.list()).toEqual([]);
    } finally {
      await server.dispose();
      await files.close();
    }
  }, 120_000);
});

describe("an installed model whose file no longer loads", () => {
  let server: TestServer;
  let modelFile: string;

  async function loadFailures(): Promise<number> {
    const text = await (await fetch(`${server.url}/metrics`)).text();
    const line = text.split("\n").find((l) => l.startsWith('chaibox_runner_load_failures_total{model="tiny"}'));
    return line === undefined ? 0 : Number(line.split(" ").at(-1));
  }

  beforeAll(async () => {
    server = await startTestServer({ models: { tiny: "tiny" } });
    modelFile = (await server.store.require("tiny")).path;
    // Measured while intact (as a model installed long ago is), then corrupted in place.
    const models = await fetch(`${server.baseURL}/models`);
    expect(models.status).toBe(200);
    await tampered("store", "llama.block_count", 1000, modelFile);
  }, 120_000);
  afterAll(async () => {
    await server.dispose();
  });

  it("answers model_load_failed in the OpenAI envelope, without the path, and starts no runner the second time", async () => {
    const openai = new OpenAI({ baseURL: server.baseURL, apiKey: "unused", maxRetries: 0 });
    const ask = () => openai.chat.completions.create({ model: "tiny", messages: [{ role: "user", content: "hi" }], max_tokens: 4 });
    const first = await ask().then(() => undefined, (error: unknown) => error);
    expect(first).toBeInstanceOf(OpenAI.APIError);
    const apiError = first as InstanceType<typeof OpenAI.APIError>;
    expect(apiError.status).toBe(422);
    expect(apiError.code).toBe("model_load_failed");
    expect(apiError.message).toMatch(/Model 'tiny' failed to load: .+/);
    expect(apiError.message).not.toContain(server.paths.dataDir);
    expect(apiError.message).not.toMatch(/\/(tmp|home|work)\//);
    expect(await loadFailures()).toBe(1);

    const started = performance.now();
    const second = (await ask().then(() => undefined, (error: unknown) => error)) as InstanceType<typeof OpenAI.APIError>;
    expect(second.status).toBe(422);
    expect(second.code).toBe("model_load_failed");
    expect(second.message).toBe(apiError.message);
    expect(await loadFailures()).toBe(1);
    // Answered from memory: no runner start (which takes seconds).
    expect(performance.now() - started).toBeLessThan(1000);
  }, 120_000);

  it("answers model_load_failed in the Ollama envelope, twice, without the path", async () => {
    const ollama = new Ollama({ host: server.url });
    for (let i = 0; i < 2; i++) {
      const failure = (await ollama.chat({ model: "tiny", messages: [{ role: "user", content: "hi" }] }).then(
        () => undefined,
        (error: unknown) => error,
      )) as { status_code?: number; error?: string };
      expect(failure.status_code).toBe(422);
      expect(failure.error).toMatch(/Model 'tiny' failed to load: .+/);
      expect(failure.error).not.toMatch(/\/(tmp|home|work)\//);
    }
    const raw = await fetch(`${server.url}/api/chat`, { method: "POST", body: JSON.stringify({ model: "tiny", messages: [{ role: "user", content: "hi" }] }) });
    expect(raw.status).toBe(422);
    expect(Object.keys((await raw.json()) as object)).toEqual(["error"]);
    expect(await loadFailures()).toBe(1);
  }, 60_000);

  it("loads again once the file changes back", async () => {
    await writeGguf(modelFile, presetSpec("tiny", "q8_0", 1));
    const openai = new OpenAI({ baseURL: server.baseURL, apiKey: "unused", maxRetries: 0 });
    const reply = await openai.chat.completions.create({ model: "tiny", messages: [{ role: "user", content: "hi" }], max_tokens: 4 });
    expect(reply.choices[0]?.message.role).toBe("assistant");
  }, 120_000);
});

describe("an installed model with context_length 0", () => {
  it("serves, and never answers with the model file's path", async () => {
    const server = await startTestServer({ models: { tiny: "tiny" } });
    try {
      const modelFile = (await server.store.require("tiny")).path;
      await tampered("ctx0", "llama.context_length", 0, modelFile);
      const response = await fetch(`${server.baseURL}/chat/completions`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ model: "tiny", messages: [{ role: "user", content: "hi" }], max_tokens: 4 }),
      });
      const body = await response.text();
      expect(body).not.toContain(server.paths.dataDir);
      expect(body).not.toMatch(/\/(tmp|home|work)\//);
      // llama.cpp loads it (the context size is chaibox's own choice), so it serves.
      expect(response.status).toBe(200);
      expect((JSON.parse(body) as { object: string }).object).toBe("chat.completion");
    } finally {
      await server.dispose();
    }
  }, 120_000);
});

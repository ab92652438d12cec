/**
 * `inference.contextSize: auto` and the context a request asks for (Ollama's `num_ctx`): auto gives a chat
 * model the largest context that fits, up to 32768 tokens or its trained length; a request for more reloads
 * the model with it where it fits, is clamped to the trained length beyond it, and is refused with the memory
 * figures where it does not fit. `context_length` in discovery and `/api/ps` says what is really served.
 */
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Ollama } from "ollama";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { ChaiModel } from "../../src/models/description/model-description.js";
import { InsightsProbe } from "../../src/engine/native/launcher/insights-probe.js";
import { loadHardwareSnapshot } from "../../src/hardware/load.js";
import type { HardwareSnapshot } from "../../src/hardware/snapshot.js";
import { insightsEstimator, RUNNER_OVERHEAD_BYTES } from "../../src/models/planning/estimate.js";
import { defaultFitPolicy } from "../../src/models/planning/fit.js";
import { repoRoot } from "../helpers/cli.js";
import { sha256Of } from "../helpers/file-server.js";
import { ensureTestModels, testModelPath } from "../helpers/models.js";
import { startTestServer, type TestServer } from "../helpers/server.js";

const PARALLEL = 2;
const ask = [{ role: "user", content: "Hi" }];

let workDir: string;

async function served(server: TestServer): Promise<Record<string, { context: number; trained: number }>> {
  const { data } = (await (await fetch(`${server.baseURL}/models`)).json()) as { data: ChaiModel[] };
  return Object.fromEntries(data.map((m) => [m.id, { context: m.chai.context_length, trained: m.chai.max_context_length }]));
}

async function psContext(server: TestServer, name: string): Promise<number | undefined> {
  const { models } = (await (await fetch(`${server.url}/api/ps`)).json()) as { models: { model: string; context_length: number }[] };
  return models.find((m) => m.model === name)?.context_length;
}

beforeAll(async () => {
  await ensureTestModels([{ preset: "tiny-64k" }]);
  workDir = await mkdtemp(join(tmpdir(), "chaibox-context-"));
}, 120_000);
afterAll(async () => {
  await rm(workDir, { recursive: true, force: true });
});

describe("contextSize auto on a box with memory to spare", () => {
  let server: TestServer;
  let client: Ollama;
  beforeAll(async () => {
    server = await startTestServer({ models: { tiny: "tiny", "tiny-64k": "tiny-64k" }, inference: { contextSize: "auto", parallel: PARALLEL } });
    client = new Ollama({ host: server.url });
  });
  afterAll(async () => {
    await server?.dispose();
  });

  it("gives each model its trained context up to 32768 tokens, and says so before and after loading", async () => {
    expect(await served(server)).toEqual({ tiny: { context: 4096, trained: 4096 }, "tiny-64k": { context: 32_768, trained: 65_536 } });
    await client.chat({ model: "tiny-64k", messages: ask, stream: false, keep_alive: -1, options: { num_predict: 2 } });
    expect(await psContext(server, "tiny-64k:latest")).toBe(32_768);
    expect(server.scheduler.loaded().find((m) => m.modelId === "tiny-64k")?.info).toMatchObject({ sequenceContextSize: 32_768, parallel: PARALLEL });
  });

  it("reloads a model with the larger context a request asks for, once, and clamps at the trained length", async () => {
    const reply = await client.chat({ model: "tiny-64k", messages: ask, stream: false, keep_alive: -1, options: { num_ctx: 65_536, num_predict: 2 } });
    expect(reply.eval_count).toBe(2);
    expect(await psContext(server, "tiny-64k:latest")).toBe(65_536);
    expect((await served(server))["tiny-64k"]?.context).toBe(65_536);
    const loadedAt = server.scheduler.loaded().find((m) => m.modelId === "tiny-64k")?.loadedAt;
    // Asking again, or for more than the model was trained for, runs on the same runner.
    await client.chat({ model: "tiny-64k", messages: ask, stream: false, options: { num_ctx: 65_536, num_predict: 2 } });
    const beyond = await client.chat({ model: "tiny-64k", messages: ask, stream: false, options: { num_ctx: 200_000, num_predict: 2 } });
    expect(beyond.done).toBe(true);
    expect(server.scheduler.loaded().find((m) => m.modelId === "tiny-64k")?.loadedAt).toBe(loadedAt);
    expect(await psContext(server, "tiny-64k:latest")).toBe(65_536);
  });
});

describe("contextSize auto on a box short of memory", () => {
  let server: TestServer;
  let need: (contextSize: number) => number;
  beforeAll(async () => {
    const path = testModelPath("tiny-64k");
    const estimator = insightsEstimator(await new InsightsProbe(join(workDir, "cache")).measure(path, sha256Of(await readFile(path))));
    need = (contextSize) => estimator.model(0).ramBytes + estimator.context(contextSize, PARALLEL, 0).ramBytes + RUNNER_OVERHEAD_BYTES;
    const pi: HardwareSnapshot = await loadHardwareSnapshot(join(repoRoot, "test/fixtures/hardware/raspberry-pi-5-8gb.json"));
    // Room for the model with 8192 tokens per sequence, not with 16384.
    const availableBytes = Math.round(defaultFitPolicy.reserveRamBytes + (need(8192) + need(16_384)) / 2);
    const hardwareFile = join(workDir, "small-box.json");
    await writeFile(hardwareFile, JSON.stringify({ ...pi, source: "a box with room for 8192 tokens", memory: { ...pi.memory, availableBytes } }));
    server = await startTestServer({ models: { "tiny-64k": "tiny-64k" }, hardwareFile, inference: { contextSize: "auto", parallel: PARALLEL } });
  }, 120_000);
  afterAll(async () => {
    await server?.dispose();
  });

  it("gives the largest context that fits, and refuses a num_ctx that does not fit with the figures", async () => {
    expect(need(16_384)).toBeGreaterThan(need(8192));
    expect((await served(server))["tiny-64k"]?.context).toBe(8192);
    const response = await fetch(`${server.url}/api/chat`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ model: "tiny-64k", messages: ask, stream: false, options: { num_ctx: 65_536, num_predict: 2 } }),
    });
    expect(response.status).toBe(400);
    const { error } = (await response.json()) as { error: string };
    expect(error).toMatch(/^A 65536-token context for 'tiny-64k' does not fit in this box's memory: too big: needs [\d.]+ [MG]B .*65536-token context; [\d.]+ [MG]B available\. The most it can have here now is 8192 tokens\.$/);
    expect(server.scheduler.loaded()).toEqual([]);
    // Within what fits, the same request is served.
    const ok = await fetch(`${server.url}/api/chat`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ model: "tiny-64k", messages: ask, stream: false, options: { num_ctx: 8192, num_predict: 2 } }),
    });
    expect(ok.status).toBe(200);
    expect(await psContext(server, "tiny-64k:latest")).toBe(8192);
  });
});

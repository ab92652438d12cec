/**
 * A model pulled over HTTP runs the way fit sizes it for the hardware: on a box (a saved snapshot) whose
 * memory holds the model with a 2048-token context but not with 4096, the runner gets 2048; on a box with
 * less, the model is refused with insufficient_memory before any runner starts.
 */
import { readFile, rm, writeFile } from "node:fs/promises";
import { mkdtemp } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import OpenAI from "openai";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { InsightsProbe } from "../../src/engine/native/launcher/insights-probe.js";
import { loadHardwareSnapshot } from "../../src/hardware/load.js";
import type { HardwareSnapshot } from "../../src/hardware/snapshot.js";
import { insightsEstimator, RUNNER_OVERHEAD_BYTES } from "../../src/models/planning/estimate.js";
import { defaultFitPolicy } from "../../src/models/planning/fit.js";
import { repoRoot } from "../helpers/cli.js";
import { sha256Of, startFileServer, type FileServer } from "../helpers/file-server.js";
import { testModelPath } from "../helpers/models.js";
import { startTestServer, type TestServer } from "../helpers/server.js";

const PARALLEL = 2;
const MB = 1024 * 1024;

let files: FileServer;
let workDir: string;
/** RAM the demo model needs at a context size (the same estimate the server makes). */
let need: (contextSize: number) => number;
let pi: HardwareSnapshot;

async function boxWithAvailable(name: string, availableBytes: number): Promise<string> {
  const snapshot: HardwareSnapshot = { ...pi, source: name, memory: { ...pi.memory, availableBytes: Math.round(availableBytes) } };
  const file = join(workDir, `${name}.json`);
  await writeFile(file, JSON.stringify(snapshot));
  return file;
}

async function pull(server: TestServer, ref: string, id: string): Promise<void> {
  const response = await fetch(`${server.url}/admin/models/pulls`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ ref, id }),
  });
  expect(response.status).toBe(202);
  const { id: pullId } = (await response.json()) as { id: string };
  const events = await (await fetch(`${server.url}/admin/models/pulls/${pullId}/events`)).text();
  expect(events).toMatch(/^event: done$/m);
}

beforeAll(async () => {
  const demo = await readFile(testModelPath("demo"));
  files = await startFileServer({ "/models/demo.gguf": { body: demo } });
  workDir = await mkdtemp(join(tmpdir(), "chaibox-pull-fit-"));
  const cacheDir = process.env.CACHE_DIRECTORY ?? join(workDir, "cache");
  const estimator = insightsEstimator(await new InsightsProbe(cacheDir).measure(testModelPath("demo"), sha256Of(demo)));
  need = (contextSize) => estimator.model(0).ramBytes + estimator.context(contextSize, PARALLEL, 0).ramBytes + RUNNER_OVERHEAD_BYTES;
  pi = await loadHardwareSnapshot(join(repoRoot, "test/fixtures/hardware/raspberry-pi-5-8gb.json"));
}, 120_000);

afterAll(async () => {
  await files?.close();
  await rm(workDir, { recursive: true, force: true });
});

describe("a pulled model is loaded with fit's settings", () => {
  it("gets the context that fits this box, on the CPU, and answers a chat", async () => {
    expect(need(4096) - need(2048)).toBeGreaterThan(1 * MB);
    const available = defaultFitPolicy.reserveRamBytes + (need(2048) + need(4096)) / 2;
    const server = await startTestServer({
      models: {},
      hardwareFile: await boxWithAvailable("a box with room for 2048 tokens", available),
      inference: { contextSize: "auto", parallel: PARALLEL },
      modelsConfig: { allowHosts: ["127.0.0.1"] },
    });
    try {
      await pull(server, files.url("/models/demo.gguf"), "demo-pulled");
      const client = new OpenAI({ baseURL: server.baseURL, apiKey: "unused", maxRetries: 0 });
      const reply = await client.chat.completions.create({
        model: "demo-pulled",
        messages: [{ role: "user", content: "Say something." }],
        max_tokens: 8,
        seed: 1,
      });
      expect(reply.choices[0]?.message.content?.trim().length).toBeGreaterThan(0);

      const listed = (await (await fetch(`${server.url}/admin/models`)).json()) as { data: { id: string; loaded: Record<string, unknown> | null }[] };
      const loaded = listed.data.find((m) => m.id === "demo-pulled")?.loaded;
      expect(loaded).toMatchObject({ contextSize: 2048, parallel: PARALLEL, gpuLayers: 0, gpu: false, threads: 1 });
    } finally {
      await server.dispose();
    }
  });

  it("refuses a model that cannot fit with insufficient_memory and the numbers, starting no runner", async () => {
    const available = defaultFitPolicy.reserveRamBytes + need(2048) / 2;
    const server = await startTestServer({
      models: {},
      hardwareFile: await boxWithAvailable("a box too small", available),
      inference: { contextSize: "auto", parallel: PARALLEL },
      modelsConfig: { allowHosts: ["127.0.0.1"] },
    });
    try {
      await pull(server, files.url("/models/demo.gguf"), "demo-pulled");
      const client = new OpenAI({ baseURL: server.baseURL, apiKey: "unused", maxRetries: 0 });
      const error = await client.chat.completions
        .create({ model: "demo-pulled", messages: [{ role: "user", content: "Hi" }], max_tokens: 4 })
        .then(() => undefined, (e: unknown) => e);
      expect(error).toBeInstanceOf(OpenAI.APIError);
      const apiError = error as InstanceType<typeof OpenAI.APIError>;
      expect(apiError.status).toBe(507);
      expect(apiError.code).toBe("insufficient_memory");
      expect(apiError.message).toMatch(/Model 'demo-pulled' cannot be loaded on this box: too big: needs [\d.]+ GB .* available/);
      expect(server.scheduler.loaded()).toEqual([]);
      // The service stays up and the model stays installed.
      expect((await client.models.list()).data.map((m) => m.id)).toContain("demo-pulled");
    } finally {
      await server.dispose();
    }
  });
});

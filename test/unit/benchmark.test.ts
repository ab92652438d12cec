/** The fixed benchmark's workload and arithmetic, and the background benchmarks' rules, on a fake engine. */
import { setTimeout as sleep } from "node:timers/promises";
import { describe, expect, it } from "vitest";
import type { ChatEvent, ChatRequest, EmbedRequest, EmbedResult } from "../../src/engine/contract.js";
import type { LoadedModelStatus } from "../../src/engine/scheduler-types.js";
import { ChaiboxError } from "../../src/errors.js";
import { BackgroundBenchmarks } from "../../src/models/performance/background-bench.js";
import { GENERATION_TOKENS, median, runBenchmark, TTFT_RUNS } from "../../src/models/performance/benchmark.js";
import type { ModelTraits } from "../../src/engine/native/model-traits.js";
import type { StoredModel } from "../../src/models/store.js";

/** One token per word of the prompt; the first token after `firstMs`, then one every `tokenMs`. */
class FakeEngine {
  readonly requests: ChatRequest[] = [];
  maxPromptTokens = Infinity;
  loaded: LoadedModelStatus[] = [];
  unloaded: string[] = [];
  constructor(
    private readonly firstMs = 20,
    private readonly tokenMs = 2,
  ) {}

  async *chat(_modelId: string, request: ChatRequest, signal: AbortSignal): AsyncGenerator<ChatEvent> {
    this.requests.push(request);
    const promptTokens = request.messages.reduce((sum, m) => sum + m.content.split(/\s+/).length, 0);
    if (promptTokens > this.maxPromptTokens) throw new ChaiboxError("context_length_exceeded", "too long");
    const tokens = request.sampling.maxTokens ?? 16;
    await sleep(this.firstMs, undefined, { signal });
    for (let i = 0; i < tokens; i++) {
      if (i > 0) await sleep(this.tokenMs, undefined, { signal });
      yield { type: "text", text: "w " };
    }
    yield { type: "done", finishReason: "length", usage: { promptTokens, completionTokens: tokens } };
  }

  async embed(_modelId: string, request: EmbedRequest, signal: AbortSignal): Promise<EmbedResult> {
    const promptTokens = request.inputs.reduce<number>((sum, input) => sum + String(input).split(/\s+/).length, 0);
    await sleep(promptTokens / 10, undefined, { signal });
    return { embeddings: [[1, 0]], promptTokens };
  }

  unload(modelId: string): Promise<void> {
    this.unloaded.push(modelId);
    return Promise.resolve();
  }
}

describe("runBenchmark", () => {
  it("runs the fixed workload at temperature 0 with the end tokens banned, and derives the three figures", async () => {
    const engine = new FakeEngine(20, 2);
    const steps: string[] = [];
    const result = await runBenchmark(engine, "m", { endTokens: [2, 7], progress: (s) => steps.push(s) });
    expect(steps).toHaveLength(4);
    expect(engine.requests).toHaveLength(1 + TTFT_RUNS + 1 + 1);
    for (const request of engine.requests) {
      expect(request.sampling).toMatchObject({ temperature: 0, seed: 1, tokenBias: { "2": -100, "7": -100 } });
    }
    expect(engine.requests.at(-1)?.sampling.maxTokens).toBe(GENERATION_TOKENS);
    // Every prompt is unique, so nothing evaluated before can be reused.
    expect(new Set(engine.requests.map((r) => JSON.stringify(r.messages))).size).toBe(engine.requests.length);
    expect(result.ttftRunsMs).toHaveLength(TTFT_RUNS);
    expect(result.timeToFirstTokenMs).toBeGreaterThanOrEqual(19);
    expect(result.timeToFirstTokenMs).toBeLessThan(200);
    // About 400 prompt tokens (one per word here), at about promptTokens / 20 ms.
    expect(result.promptTokens).toBeGreaterThan(300);
    expect(result.promptTokens).toBeLessThan(500);
    expect(result.promptTokensPerSecond).toBeLessThan((result.promptTokens * 1000) / 19);
    expect(result.generatedTokens).toBe(GENERATION_TOKENS);
    expect(result.generationTokensPerSecond).toBeLessThan(501);
    expect(result.generationTokensPerSecond).toBeGreaterThan(50);
  });

  it("shrinks the long prompt to what the context takes", async () => {
    const engine = new FakeEngine(1, 0);
    engine.maxPromptTokens = 150;
    const result = await runBenchmark(engine, "m");
    expect(result.promptTokens).toBeLessThanOrEqual(150);
    expect(result.promptTokens).toBeGreaterThan(50);
  });

  it("measures an embedding model's prompt speed only", async () => {
    const result = await runBenchmark(new FakeEngine(), "e", { kind: "embedding" });
    expect(result.generationTokensPerSecond).toBeNull();
    expect(result.timeToFirstTokenMs).toBeNull();
    expect(result.promptTokensPerSecond).toBeGreaterThan(0);
    expect(result.promptTokens).toBeGreaterThan(300);
  });

  it("takes the median of finite values", () => {
    expect(median([3, Number.NaN, 1, 2])).toBe(2);
    expect(median([4, 1])).toBe(2.5);
    expect(median([])).toBeNaN();
  });
});

const traits: ModelTraits = { architecture: "llama", pooling: null, embeddings: false, chatTemplate: true, chatWrapper: "ChatML", tools: false, reasoning: false, endTokens: [2] };

function model(id: string): StoredModel {
  return { id, file: "model.gguf", sizeBytes: 1, sha256: id.padEnd(64, "0"), addedAt: "2026-01-01T00:00:00Z", source: { type: "file" }, gguf: { architecture: "llama", parameters: 1, chatTemplate: true }, path: "", dir: "" };
}

function background(engine: FakeEngine, clock: { now: number }, saved: string[], measured = new Set<string>()) {
  return new BackgroundBenchmarks({
    engine: { chat: engine.chat.bind(engine), loaded: () => engine.loaded, unload: (id) => engine.unload(id) },
    maxLoadedModels: 1,
    models: () => Promise.resolve([model("a"), model("b")]),
    traits: () => Promise.resolve(traits),
    measured: (m) => measured.has(m.id),
    save: (m) => saved.push(m.id),
    quietMs: 1000,
    now: () => clock.now,
  });
}

describe("BackgroundBenchmarks", () => {
  it("waits for quiet, benchmarks models without figures one by one, and unloads what it loaded", async () => {
    const engine = new FakeEngine(1, 0);
    const clock = { now: 0 };
    const saved: string[] = [];
    const bench = background(engine, clock, saved, new Set(["a"]));
    await bench.check();
    expect(engine.requests).toHaveLength(0);
    clock.now = 1000;
    await bench.check();
    expect(saved).toEqual(["b"]);
    expect(engine.unloaded).toEqual(["b"]);
    await bench.check();
    expect(saved).toEqual(["b"]);
  });

  it("never evicts a loaded model to make room, and waits while any model is busy", async () => {
    const engine = new FakeEngine(1, 0);
    const clock = { now: 0 };
    const saved: string[] = [];
    const bench = background(engine, clock, saved, new Set(["a"]));
    clock.now = 5000;
    const status = (modelId: string, active: number): LoadedModelStatus => ({
      modelId,
      info: { kind: "chat", embeddingLength: 1, contextSize: 1, sequenceContextSize: 1, trainContextSize: 1, parallel: 1, threads: 1, gpuLayers: 0, gpu: false },
      pid: 1,
      active,
      queued: 0,
      expiresAt: null,
      loadedAt: 0,
    });
    engine.loaded = [status("a", 0)];
    await bench.check();
    expect(saved).toEqual([]);
    engine.loaded = [status("b", 1)];
    await bench.check();
    expect(saved).toEqual([]);
    engine.loaded = [status("b", 0)];
    await bench.check();
    expect(saved).toEqual(["b"]);
    // It was loaded before: it stays loaded.
    expect(engine.unloaded).toEqual([]);
  });

  it("abandons its benchmark the moment a user request arrives, and tries again at the next quiet time", async () => {
    const engine = new FakeEngine(50, 5);
    const clock = { now: 0 };
    const saved: string[] = [];
    const bench = background(engine, clock, saved, new Set(["a"]));
    clock.now = 5000;
    const running = bench.check();
    await sleep(20);
    expect(bench.current).toBe("b");
    const end = bench.onRequest();
    await running;
    expect(bench.current).toBeUndefined();
    expect(saved).toEqual([]);
    // Not unloaded: the user who arrived may be using it.
    expect(engine.unloaded).toEqual([]);
    end();
    await bench.check();
    expect(saved).toEqual([]);
    clock.now += 1000;
    await bench.check();
    expect(saved).toEqual(["b"]);
  });
});

/** The `chai` object of each model: assembled from the manifest, the file's traits, fit or the runner, and SQLite. */
import { Value } from "@sinclair/typebox/value";
import { describe, expect, it } from "vitest";
import { ChaiModelInfoSchema } from "../../src/models/description/model-description.js";
import type { LoadedModelInfo } from "../../src/engine/contract.js";
import type { LoadedModelStatus } from "../../src/engine/scheduler-types.js";
import type { Catalog } from "../../src/models/catalog.js";
import type { GgufInsightsTable } from "../../src/engine/native/insights-table.js";
import type { ModelPlan } from "../../src/models/planning/load-plan.js";
import { describeModel, ModelInfoDirectory, type ModelInfoSources } from "../../src/models/description/model-info.js";
import type { ModelTraits } from "../../src/engine/native/model-traits.js";
import type { StoredModel } from "../../src/models/store.js";
import type { StoredSpeed } from "../../src/models/performance/performance-store.js";

const chatTraits: ModelTraits = {
  architecture: "qwen3",
  pooling: null,
  embeddings: false,
  chatTemplate: true,
  chatWrapper: "Qwen",
  tools: true,
  reasoning: true,
  endTokens: [1, 2],
};
const embedTraits: ModelTraits = { ...chatTraits, architecture: "bert", pooling: "mean", embeddings: true, chatTemplate: false, chatWrapper: "General", tools: false, reasoning: false };

function stored(id: string, sha: string, extra: Partial<StoredModel["gguf"]> = {}, source: StoredModel["source"] = { type: "file" }): StoredModel {
  return {
    id,
    file: "model.gguf",
    sizeBytes: 2_500_000_000,
    sha256: sha.repeat(64),
    addedAt: "2026-01-02T03:04:05.000Z",
    source,
    gguf: { architecture: "qwen3", parameters: 4e9, chatTemplate: true, fileType: "Q4_K_M", contextLength: 32768, ...extra },
    path: `/models/${id}/model.gguf`,
    dir: `/models/${id}`,
  };
}

function table(traits: ModelTraits, trainContextSize = 32768): GgufInsightsTable {
  return { version: 2, sha256: "a".repeat(64), totalLayers: 37, trainContextSize, modelSize: 1, parameters: 4e9, model: [], contextSizes: [], context: [], traits };
}

const loadedInfo: LoadedModelInfo = { kind: "chat", embeddingLength: 2560, contextSize: 8192, sequenceContextSize: 4096, trainContextSize: 32768, parallel: 2, threads: 2, gpuLayers: 0, gpu: false };
const measured: StoredSpeed = { source: "measured", modelId: "m", generationTokensPerSecond: 21.345, promptTokensPerSecond: 310.06, timeToFirstTokenMs: 140.44, samples: 1, measuredAt: "2026-02-01T00:00:00.000Z" };
const live: StoredSpeed = { ...measured, source: "live", generationTokensPerSecond: 19, samples: 7, measuredAt: "2026-02-02T00:00:00.000Z" };

const valid = (info: unknown): void => expect([...Value.Errors(ChaiModelInfoSchema, info)]).toEqual([]);

describe("describeModel", () => {
  it("describes a chat model that is not loaded from fit's plan, with fit's speed estimate", () => {
    const model = describeModel({ model: stored("m", "a"), insights: table(chatTraits), plan: { contextSize: 4096, tokensPerSecond: 12.34 }, speed: {} });
    expect(model).toMatchObject({ id: "m", object: "model", created: Date.parse("2026-01-02T03:04:05Z") / 1000, owned_by: "chaibox" });
    expect(model.chai).toEqual({
      context_length: 4096,
      max_context_length: 32768,
      modalities: { input: ["text"], output: ["text"] },
      capabilities: { tools: true, json_schema: true, reasoning: true, embeddings: false, streaming: true },
      performance: { generation_tokens_per_second: 12.3, prompt_tokens_per_second: null, time_to_first_token_ms: null, source: "estimated", measured_at: null },
      pricing: { input_per_million_tokens: 0, output_per_million_tokens: 0, currency: "USD" },
      state: "available",
      size_bytes: 2_500_000_000,
      quantization: "Q4_K_M",
      parameters: 4e9,
      family: "qwen3",
    });
    valid(model.chai);
  });

  it("takes a loaded model's context from its runner, and measured figures over live ones", () => {
    const model = describeModel({ model: stored("m", "a"), insights: table(chatTraits), loaded: loadedInfo, speed: { measured, live } });
    expect(model.chai.state).toBe("loaded");
    expect(model.chai.context_length).toBe(4096);
    expect(model.chai.performance).toEqual({
      generation_tokens_per_second: 21.3,
      prompt_tokens_per_second: 310.1,
      time_to_first_token_ms: 140.4,
      source: "measured",
      measured_at: "2026-02-01T00:00:00.000Z",
    });
    const liveOnly = describeModel({ model: stored("m", "a"), insights: table(chatTraits), loaded: loadedInfo, speed: { live } });
    expect(liveOnly.chai.performance).toMatchObject({ source: "live", generation_tokens_per_second: 19, measured_at: live.measuredAt });
    valid(liveOnly.chai);
  });

  it("describes an embedding model: embedding output, no chat capabilities, no generation speed", () => {
    const model = describeModel({
      model: stored("e", "b", { architecture: "bert", fileType: "F16", contextLength: 512 }),
      insights: table(embedTraits, 512),
      plan: { contextSize: 512, tokensPerSecond: 500 },
      speed: {},
    });
    expect(model.chai.modalities).toEqual({ input: ["text"], output: ["embedding"] });
    expect(model.chai.capabilities).toEqual({ tools: false, json_schema: false, reasoning: false, embeddings: true, streaming: false });
    expect(model.chai.performance.generation_tokens_per_second).toBeNull();
    expect(model.chai.max_context_length).toBe(512);
    valid(model.chai);
  });

  it("claims nothing for a file whose traits could not be read, and a model that fits nowhere keeps a valid context", () => {
    const model = describeModel({ model: stored("x", "c", { contextLength: undefined, fileType: undefined }), speed: {} });
    expect(model.chai.capabilities).toEqual({ tools: false, json_schema: false, reasoning: false, embeddings: false, streaming: false });
    expect(model.chai.quantization).toBeNull();
    expect(model.chai.context_length).toBeGreaterThan(0);
    expect(model.chai.family).toBe("qwen3");
    valid(model.chai);
  });
});

describe("ModelInfoDirectory", () => {
  function sources(overrides: Partial<ModelInfoSources> = {}, loaded: LoadedModelStatus[] = []): ModelInfoSources {
    const plan = (id: string): Promise<ModelPlan> =>
      id === "big"
        ? Promise.reject(new Error("insufficient_memory"))
        : Promise.resolve({ options: { modelPath: "", contextSize: 2048, parallel: 1, threads: 1, gpuLayers: 0 }, choice: { contextSize: 2048, tokensPerSecond: 30 } as ModelPlan["choice"] });
    return {
      models: () => Promise.resolve([stored("big", "d"), stored("m", "a", {}, { type: "catalog", ref: "m-4b:Q4_K_M" })]),
      insights: () => Promise.resolve(table(chatTraits)),
      plan,
      loaded: () => loaded,
      speed: () => ({}),
      ...overrides,
    };
  }
  const catalog = { version: 1, models: [{ id: "m-4b", family: "m-family", files: [{ quant: "Q4_K_M" }] }] } as unknown as Catalog;

  it("lists every model, with the catalog's family for catalog models and a valid chai object for one that does not fit", async () => {
    const models = await new ModelInfoDirectory(sources({ catalog: () => Promise.resolve(catalog) })).list();
    expect(models.map((m) => [m.id, m.chai.family, m.chai.context_length])).toEqual([
      ["big", "qwen3", 2048],
      ["m", "m-family", 2048],
    ]);
    expect(models[0]?.chai.performance.generation_tokens_per_second).toBeNull();
    for (const model of models) valid(model.chai);
  });

  it("keeps fit's estimate for a model once it is loaded, and still lists a model whose file cannot be read", async () => {
    let loaded: LoadedModelStatus[] = [];
    const warnings: string[] = [];
    const directory = new ModelInfoDirectory(
      sources({
        loaded: () => loaded,
        insights: (path) => (path.includes("big") ? Promise.reject(new Error("bad file")) : Promise.resolve(table(chatTraits))),
        warn: (_object, message) => warnings.push(message),
      }),
    );
    expect((await directory.list())[1]?.chai.performance.generation_tokens_per_second).toBe(30);
    loaded = [{ modelId: "m", info: loadedInfo, pid: 1, active: 0, queued: 0, expiresAt: null, loadedAt: 0 }];
    const [big, m] = await directory.list();
    expect(m?.chai).toMatchObject({ state: "loaded", context_length: 4096, performance: { generation_tokens_per_second: 30, source: "estimated" } });
    expect(big?.chai.capabilities.json_schema).toBe(false);
    expect(warnings).toContain("cannot read the model file's traits");
  });
});

/** Fit candidates from the catalog and the installed models (pure). */
import { describe, expect, it } from "vitest";
import { buildCandidates, type InstalledModel } from "../../src/models/planning/candidates.js";
import type { Catalog } from "../../src/models/catalog.js";
import type { GgufInsightsTable } from "../../src/engine/native/insights-table.js";
import type { ModelManifest } from "../../src/models/manifest.js";

const catalog: Catalog = {
  version: 1,
  models: [
    {
      id: "m-4b",
      name: "M 4B",
      family: "m",
      description: "test",
      kind: "chat",
      parameters: 4e9,
      license: "apache-2.0",
      capabilities: { tools: true, reasoning: false, embeddings: false, vision: false },
      contextLength: 32768,
      architecture: { layers: 36, embeddingLength: 2560, headCount: 32, headCountKv: 8, headDim: 128, vocabularySize: 151_936 },
      files: [
        { quant: "Q8_0", uri: "hf:o/r/m-Q8_0.gguf", sizeBytes: 4.28e9 },
        { quant: "Q4_K_M", uri: "hf:o/r/m-Q4_K_M.gguf", sizeBytes: 2.5e9 },
      ],
    },
  ],
};

const table: GgufInsightsTable = {
  version: 2,
  sha256: "a".repeat(64),
  totalLayers: 37,
  trainContextSize: 32768,
  modelSize: 2_497_000_000,
  parameters: 4e9,
  model: Array.from({ length: 38 }, (_, g) => ({ ramBytes: 2_497_000_000 - g * 60e6, vramBytes: g * 60e6 })),
  contextSizes: [512, 4096],
  context: [[300e6, 900e6]],
  traits: { architecture: "qwen3", pooling: null, embeddings: false, chatTemplate: true, chatWrapper: "Qwen", tools: true, reasoning: true, endTokens: [151643, 151645] },
};

function installed(id: string, source: ModelManifest["source"], architecture = "qwen3"): InstalledModel {
  return {
    manifest: {
      id,
      file: "model.gguf",
      sizeBytes: 2_497_000_000,
      sha256: "a".repeat(64),
      addedAt: "2026-01-01T00:00:00Z",
      source,
      gguf: { architecture, parameters: 4e9, chatTemplate: true, fileType: "Q4_K_M", contextLength: 32768 },
    },
    insights: table,
  };
}

describe("fit candidates", () => {
  it("marks a catalog file that is installed and estimates it from its GGUF header", () => {
    const [entry] = buildCandidates(catalog, [installed("m-4b:q4_k_m", { type: "catalog", ref: "m-4b:Q4_K_M" })]);
    expect(entry?.files.map((f) => [f.quant, f.installedId, f.estimator.basis])).toEqual([
      ["Q8_0", undefined, "catalog"],
      ["Q4_K_M", "m-4b:q4_k_m", "gguf"],
    ]);
    expect(entry?.files[1]?.estimator.model(10)).toEqual({ ramBytes: 2_497_000_000 - 600e6, vramBytes: 600e6 });
  });

  it("adds installed models from elsewhere as their own candidates, embedding ones by architecture, and never the generated demo", () => {
    const candidates = buildCandidates(catalog, [
      installed("mine", { type: "file", ref: "/tmp/mine.gguf" }),
      installed("embedder", { type: "url", ref: "https://example.com/e.gguf" }, "nomic-bert"),
      installed("chaibox-demo", { type: "generated", ref: "demo" }),
      { manifest: installed("unmeasured", { type: "file" }).manifest },
    ]);
    expect(candidates.map((c) => [c.id, c.kind])).toEqual([
      ["mine", "chat"],
      ["embedder", "embedding"],
      ["m-4b", "chat"],
    ]);
    expect(candidates[0]?.files[0]).toMatchObject({ quant: "Q4_K_M", installedId: "mine", sizeBytes: 2_497_000_000 });
  });
});

/**
 * The two memory estimators agree: fit's catalog formula (used before a download) against GgufInsights'
 * figures for the real file (measured in a child process by InsightsProbe), on a generated model in the
 * shape of Qwen2.5-0.5B. If they drift apart, recommendations made from the catalog stop matching what
 * the box does once the file is installed.
 */
import { createHash } from "node:crypto";
import { createReadStream } from "node:fs";
import { mkdtemp, rm, stat } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { InsightsProbe } from "../../src/engine/native/launcher/insights-probe.js";
import { presets } from "../../src/gguf/presets.js";
import type { CatalogEntry } from "../../src/models/catalog.js";
import { catalogEstimator, insightsEstimator, type FileEstimator } from "../../src/models/planning/estimate.js";
import type { GgufInsightsTable } from "../../src/engine/native/insights-table.js";
import { ensureTestModels } from "../helpers/models.js";

async function sha256(path: string): Promise<string> {
  const hash = createHash("sha256");
  for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
  return hash.digest("hex");
}

function within(actual: number, expected: number, tolerance: number): void {
  expect(Math.abs(actual - expected) / expected, `${actual} vs ${expected}`).toBeLessThanOrEqual(tolerance);
}

describe("memory estimates", () => {
  let cacheDir: string;
  let table: GgufInsightsTable;
  let fromHeader: FileEstimator;
  let fromCatalog: FileEstimator;

  beforeAll(async () => {
    const [path = ""] = await ensureTestModels([{ preset: "0.5b" }]);
    cacheDir = await mkdtemp(join(tmpdir(), "chaibox-insights-"));
    const hash = await sha256(path);
    table = await new InsightsProbe(cacheDir).measure(path, hash);
    fromHeader = insightsEstimator(table);
    const shape = presets["0.5b"];
    const entry: CatalogEntry = {
      id: "qwen2.5-0.5b-shape",
      name: "0.5b",
      family: "test",
      description: "test",
      kind: "chat",
      parameters: table.parameters,
      license: "apache-2.0",
      capabilities: { tools: false, reasoning: false, embeddings: false, vision: false },
      contextLength: shape.contextLength,
      architecture: {
        layers: shape.blockCount,
        embeddingLength: shape.embeddingLength,
        headCount: shape.headCount,
        headCountKv: shape.headCountKv,
        vocabularySize: shape.vocabSize ?? 0,
      },
      files: [{ quant: "Q8_0", uri: "hf:o/r/f.gguf", sizeBytes: (await stat(path)).size }],
    };
    fromCatalog = catalogEstimator(entry, entry.files[0] as CatalogEntry["files"][number]);
  }, 120_000);

  afterAll(async () => {
    await rm(cacheDir, { recursive: true, force: true });
  });

  it("measures the real file with GgufInsights and caches the table by hash", async () => {
    expect(table.totalLayers).toBe(presets["0.5b"].blockCount + 1);
    expect(table.model).toHaveLength(table.totalLayers + 1);
    expect(table.model[0]?.vramBytes).toBe(0);
    expect(table.model.at(-1)?.vramBytes).toBeGreaterThan(0);
    // A second ask is answered from the cache file without a child process.
    const started = performance.now();
    const again = await new InsightsProbe(cacheDir).measure("/nonexistent.gguf", table.sha256);
    expect(again).toEqual(table);
    expect(performance.now() - started).toBeLessThan(500);
  });

  it("agrees with the catalog formula on the weights, on and off the GPU", () => {
    within(fromCatalog.model(0).ramBytes, fromHeader.model(0).ramBytes, 0.05);
    const full = fromCatalog.totalLayers;
    expect(full).toBe(fromHeader.totalLayers);
    within(fromCatalog.model(full).vramBytes, fromHeader.model(full).vramBytes, 0.05);
    const half = Math.floor(full / 2);
    within(fromCatalog.model(half).vramBytes, fromHeader.model(half).vramBytes, 0.15);
    within(fromCatalog.model(full).ramBytes, fromHeader.model(full).ramBytes, 0.1);
  });

  it("agrees with the catalog formula on the context, across sizes and sequences", () => {
    for (const [size, sequences] of [
      [2048, 1],
      [4096, 1],
      [4096, 4],
      [16384, 2],
    ] as const) {
      const header = fromHeader.context(size, sequences, 0);
      const catalog = fromCatalog.context(size, sequences, 0);
      within(catalog.ramBytes, header.ramBytes, 0.15);
    }
  });
});

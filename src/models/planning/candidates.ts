/**
 * Fit candidates from what chaibox knows: the catalog's entries (estimated from their architecture numbers)
 * and the installed models (estimated from their GGUF header by GgufInsights). An installed file that came
 * from the catalog replaces the catalog's estimate for that file. Pure.
 */
import type { Catalog, CatalogEntry } from "../catalog.js";
import { catalogEstimator, insightsEstimator, type FileEstimator } from "./estimate.js";
import type { GgufInsightsTable } from "../../engine/native/insights-table.js";
import type { FitCandidate, FitCandidateFile } from "./fit.js";
import type { ModelManifest } from "../manifest.js";

export interface InstalledModel {
  manifest: ModelManifest;
  /** GgufInsights' table for the file; without it the model is left out (nothing to estimate from). */
  insights?: GgufInsightsTable;
}

/** GGUF architectures that only embed (no chat). */
const EMBEDDING_ARCHITECTURES = new Set(["bert", "nomic-bert", "nomic-bert-moe", "jina-bert-v2", "t5encoder", "modern-bert"]);

/** `qwen3-4b:Q4_K_M` → the catalog entry and quant a catalog-sourced model was installed from. */
export function catalogOrigin(manifest: ModelManifest, catalog: Catalog): { entry: CatalogEntry; quant: string } | undefined {
  if (manifest.source.type !== "catalog" || manifest.source.ref === undefined) return undefined;
  const [id, quant] = manifest.source.ref.split(":");
  const entry = catalog.models.find((m) => m.id === id);
  const file = quant === undefined ? entry?.files[0] : entry?.files.find((f) => f.quant.toLowerCase() === quant.toLowerCase());
  return entry && file ? { entry, quant: file.quant } : undefined;
}

/** A candidate for one installed model on its own (for loading it, or when it is not from the catalog). */
export function installedCandidate(model: InstalledModel & { insights: GgufInsightsTable }): FitCandidate {
  const { manifest, insights } = model;
  return {
    id: manifest.id,
    name: manifest.gguf.name ?? manifest.id,
    kind: EMBEDDING_ARCHITECTURES.has(manifest.gguf.architecture) ? "embedding" : "chat",
    parameters: manifest.gguf.parameters,
    trainContextSize: manifest.gguf.contextLength ?? insights.trainContextSize,
    files: [
      {
        quant: manifest.gguf.fileType ?? "unknown",
        sizeBytes: manifest.sizeBytes,
        estimator: insightsEstimator(insights),
        installedId: manifest.id,
      },
    ],
  };
}

/**
 * A model with random weights (the demo, the test presets), however it was installed: generated, or added
 * from its file. Such a model answers nonsense, so it is never recommended.
 */
export function isTestModel(manifest: ModelManifest): boolean {
  return manifest.source.type === "generated" || /random weights|^chaibox (random|tiny|demo)\b/i.test(manifest.gguf.name ?? "");
}

/**
 * Every catalog entry plus every installed model that is not from the catalog. Generated models (the demo
 * model's random weights) are never recommended.
 */
export function buildCandidates(catalog: Catalog, installed: InstalledModel[]): FitCandidate[] {
  const fromCatalog = new Map<string, { id: string; estimator: FileEstimator }>();
  const candidates: FitCandidate[] = [];
  for (const model of installed) {
    if (isTestModel(model.manifest)) continue;
    const origin = catalogOrigin(model.manifest, catalog);
    if (origin && model.insights) {
      fromCatalog.set(`${origin.entry.id}:${origin.quant}`, { id: model.manifest.id, estimator: insightsEstimator(model.insights) });
    } else if (!origin && model.insights) {
      candidates.push(installedCandidate({ ...model, insights: model.insights }));
    }
  }
  for (const entry of catalog.models) {
    const files: FitCandidateFile[] = entry.files.map((file) => {
      const local = fromCatalog.get(`${entry.id}:${file.quant}`);
      return {
        quant: file.quant,
        sizeBytes: file.sizeBytes,
        estimator: local?.estimator ?? catalogEstimator(entry, file),
        ...(local && { installedId: local.id }),
      };
    });
    candidates.push({
      id: entry.id,
      name: entry.name,
      kind: entry.kind,
      parameters: entry.parameters,
      trainContextSize: entry.contextLength,
      files,
    });
  }
  return candidates;
}

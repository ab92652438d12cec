/**
 * The GGUF insights probe's wire format: the table engine/native/runner-process/insights.ts measures with
 * GgufInsights for one model file, prints as JSON, and the API process caches by the file's SHA-256
 * (launcher/insights-probe.ts). Fit's estimators (models/planning/estimate.ts) read it.
 */
import type { ModelTraits } from "./model-traits.js";

/** The current {@link GgufInsightsTable} layout; cached tables of another version are measured again. */
export const INSIGHTS_TABLE_VERSION = 2;

/** GgufInsights' figures for one installed file, as runner-process/insights.ts measures and caches them. */
export interface GgufInsightsTable {
  version: typeof INSIGHTS_TABLE_VERSION;
  /** SHA-256 of the file measured. */
  sha256: string;
  totalLayers: number;
  trainContextSize: number;
  modelSize: number;
  parameters: number;
  /** `estimateModelResourceRequirements` for every gpuLayers from 0 to totalLayers, index = gpuLayers. */
  model: { ramBytes: number; vramBytes: number }[];
  /**
   * `estimateContextResourceRequirementsV2` with the model on the CPU (the total a context needs, wherever it
   * lives): per sequence count (1-based index − 1), the bytes at each context size in `contextSizes`.
   */
  contextSizes: number[];
  context: number[][];
  /** What the file can do (embeddings, tools, reasoning), read from the file and its chat wrapper. */
  traits: ModelTraits;
}

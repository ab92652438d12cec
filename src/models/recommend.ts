/**
 * The models that fit a box, best first: the catalog and the installed models through fit. Shared by
 * `chaibox models recommend` and `GET /admin/models/recommended` (the setup page's model step).
 */
import type { InferenceConfig } from "../config/schema.js";
import type { HardwareSnapshot } from "../hardware/snapshot.js";
import { buildCandidates, type InstalledModel } from "./candidates.js";
import type { Catalog } from "./catalog-schema.js";
import { fitModels, type FitResult } from "./fit.js";
import type { GgufInsightsTable } from "./estimate.js";
import { policyFromConfig } from "./load-plan.js";
import type { StoredModel } from "./store.js";

export interface RecommendSources {
  catalog: Catalog;
  installed: StoredModel[];
  /** GgufInsights of an installed file (cached by the probe). */
  insights: (path: string, sha256: string) => Promise<GgufInsightsTable>;
  snapshot: HardwareSnapshot;
  inference: InferenceConfig;
}

/** Fit's choices for this hardware. An installed file GgufInsights cannot read gets no recommendation. */
export async function recommendModels(sources: RecommendSources): Promise<FitResult> {
  const installed: InstalledModel[] = [];
  for (const model of sources.installed) {
    const insights = await sources.insights(model.path, model.sha256).catch(() => undefined);
    installed.push({ manifest: model, ...(insights && { insights }) });
  }
  return fitModels(buildCandidates(sources.catalog, installed), sources.snapshot, policyFromConfig(sources.inference, sources.snapshot));
}

/**
 * The models that fit a box, best first: the catalog's and the installed ones, sized by fit for a hardware
 * snapshot. `chaibox models recommend` prints it; the setup page and the Models screen show it.
 */
import type { InferenceConfig } from "../../config/schema.js";
import type { GgufInsightsTable } from "../../engine/native/insights-table.js";
import type { HardwareSnapshot } from "../../hardware/snapshot.js";
import { buildCandidates, type InstalledModel } from "./candidates.js";
import type { Catalog } from "../catalog.js";
import { fitModels, type FitChoice, type FitResult } from "./fit.js";
import { policyFromConfig } from "./load-plan.js";
import type { StoredModel } from "../store.js";

export interface RecommendDeps {
  catalog: Catalog;
  installed: StoredModel[];
  /** GGUF insights of an installed file; a file that cannot be read gets no recommendation. */
  insights: (path: string, sha256: string) => Promise<GgufInsightsTable>;
  snapshot: HardwareSnapshot;
  inference: InferenceConfig;
}

/** Runs fit over the catalog and the installed models. */
export async function recommendModels(deps: RecommendDeps): Promise<FitResult> {
  const installed: InstalledModel[] = [];
  for (const model of deps.installed) {
    const insights = await deps.insights(model.path, model.sha256).catch(() => undefined);
    installed.push({ manifest: model, ...(insights && { insights }) });
  }
  return fitModels(buildCandidates(deps.catalog, installed), deps.snapshot, policyFromConfig(deps.inference, deps.snapshot));
}

/** What `models pull` takes to install a choice; an installed choice's own id. */
export function choiceRef(choice: FitChoice): string {
  return choice.installedId ?? `${choice.modelId}:${choice.quant}`;
}

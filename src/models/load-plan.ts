/**
 * How an installed model is loaded: fit sizes its GPU layers and context for the hardware as it is now, and
 * the user's settings (a fixed context size or GPU layer count) go on top. A model that cannot fit gets an
 * `insufficient_memory` error with the numbers before any runner starts, instead of a crash mid-load.
 */
import type { InferenceConfig } from "../config/schema.js";
import type { LoadOptions } from "../engine/contract.js";
import { ChaiboxError, isChaiboxError } from "../errors.js";
import { clearLoadFailure } from "../engine/load-failures.js";
import type { HardwareSnapshot } from "../hardware/snapshot.js";
import { installedCandidate } from "./candidates.js";
import type { GgufInsightsTable } from "../engine/native/insights-table.js";
import { defaultFitPolicy, fitModels, type FitChoice, type FitPolicy } from "./fit.js";
import type { StoredModel } from "./store.js";

const MB = 1024 * 1024;

/** `inference.parallel: auto`: a sequence per CPU core, at most 4 (more rarely helps a home box). */
export function autoParallel(snapshot: HardwareSnapshot): number {
  return Math.max(1, Math.min(4, snapshot.cpu.physicalCores));
}

/** The fit policy that `inference` settings describe on this hardware. */
export function policyFromConfig(inference: InferenceConfig, snapshot: HardwareSnapshot): FitPolicy {
  return {
    ...defaultFitPolicy,
    reserveRamBytes: inference.memoryReserve * MB,
    reserveVramBytes: inference.vramReserve * MB,
    parallel: inference.parallel === "auto" ? autoParallel(snapshot) : inference.parallel,
    ...(inference.contextSize !== "auto" && { contextSize: inference.contextSize }),
    ...(inference.gpuLayers !== "auto" && { gpuLayers: inference.gpuLayers }),
  };
}

export interface LoadPlanDeps {
  /** The installed model by id; throws model_not_found. */
  model: (id: string) => Promise<StoredModel>;
  insights: (path: string, sha256: string) => Promise<GgufInsightsTable>;
  /** The hardware now (memory figures fresh), or the simulated snapshot. */
  hardware: () => Promise<HardwareSnapshot>;
  inference: InferenceConfig;
}

/** Fit's plan for one installed model: the runner settings, and fit's choice they come from. */
export interface ModelPlan {
  options: LoadOptions;
  choice: FitChoice;
}

/** The scheduler's `resolveModel`: model id → runner settings sized by fit. */
export function loadPlanner(deps: LoadPlanDeps): (modelId: string) => Promise<LoadOptions> {
  const plan = modelPlanner(deps);
  return async (modelId) => (await plan(modelId)).options;
}

/**
 * Model id → fit's plan for loading it now (also what `/v1/models` reports for a model that is not loaded).
 * @throws ChaiboxError `insufficient_memory` when it cannot fit, `model_not_found`, `model_load_failed` when the
 * file cannot even be measured.
 */
export function modelPlanner(deps: LoadPlanDeps): (modelId: string) => Promise<ModelPlan> {
  return async (modelId) => {
    const model = await deps.model(modelId);
    const [insights, snapshot] = await Promise.all([
      deps.insights(model.path, model.sha256).catch((error: unknown) => {
        throw isChaiboxError(error) && error.code === "model_load_failed" ? clearLoadFailure(modelId, error) : error;
      }),
      deps.hardware(),
    ]);
    const policy = policyFromConfig(deps.inference, snapshot);
    const result = fitModels([installedCandidate({ manifest: model, insights })], snapshot, policy);
    const choice = result.choices[0];
    if (!choice) {
      const why = result.skipped[0]?.reason ?? result.message ?? "it does not fit";
      throw new ChaiboxError("insufficient_memory", `Model '${modelId}' cannot be loaded on this box: ${why}.`, {
        model: modelId,
        availableRamBytes: result.budget.ramBytes,
        availableVramBytes: result.budget.vramBytes,
      });
    }
    const options: LoadOptions = {
      modelPath: model.path,
      contextSize: choice.contextSize,
      parallel: policy.parallel,
      threads: deps.inference.threads,
      gpuLayers: choice.gpuLayers,
      summary: choice.reason,
      estimatedRamBytes: choice.estimate.ramBytes,
    };
    return { options, choice };
  };
}

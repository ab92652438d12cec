/**
 * How an installed model is loaded: fit sizes its GPU layers and context for the hardware as it is now, and
 * the user's settings (a fixed context size or GPU layer count) go on top. A model that cannot fit gets an
 * `insufficient_memory` error with the numbers before any runner starts, instead of a crash mid-load.
 */
import type { InferenceConfig } from "../../config/schema.js";
import type { LoadOptions } from "../../engine/contract.js";
import { ChaiboxError, isChaiboxError } from "../../errors.js";
import { clearLoadFailure } from "../../engine/load-failures.js";
import type { HardwareSnapshot } from "../../hardware/snapshot.js";
import { installedCandidate } from "./candidates.js";
import type { GgufInsightsTable } from "../../engine/native/insights-table.js";
import { defaultFitPolicy, fitModels, growContext, type FitChoice, type FitPolicy } from "./fit.js";
import type { StoredModel } from "../store.js";

const MB = 1024 * 1024;

/**
 * `inference.contextSize: auto` gives a chat model the largest context per sequence that fits the memory and
 * its trained length, up to this many tokens (Home Assistant asks for 8192 and long tool-laden prompts).
 */
export const AUTO_CONTEXT_LIMIT = 32_768;

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
  /**
   * The smallest context per sequence a client asked for, per model id (Ollama's `num_ctx`): later loads of
   * that model give it at least this much (capped at its trained length). Absent: none asked.
   */
  contextWanted?: Map<string, number>;
}

/** What one planning call adds to the installed model and the hardware now. */
export interface PlanAsk {
  /** Plan exactly this context per sequence (capped at the trained length), then grow it where auto allows. */
  contextSize?: number;
  /** RAM that a reload frees before it loads (the model's running runner): counted as available. */
  freedRamBytes?: number;
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
export function modelPlanner(deps: LoadPlanDeps): (modelId: string, ask?: PlanAsk) => Promise<ModelPlan> {
  return async (modelId, ask = {}) => {
    const model = await deps.model(modelId);
    const [insights, measured] = await Promise.all([
      deps.insights(model.path, model.sha256).catch((error: unknown) => {
        throw isChaiboxError(error) && error.code === "model_load_failed" ? clearLoadFailure(modelId, error) : error;
      }),
      deps.hardware(),
    ]);
    const freed = ask.freedRamBytes ?? 0;
    const snapshot = freed > 0 ? { ...measured, memory: { ...measured.memory, availableBytes: measured.memory.availableBytes + freed } } : measured;
    const candidate = installedCandidate({ manifest: model, insights });
    const auto = deps.inference.contextSize === "auto";
    const base = policyFromConfig(deps.inference, snapshot);
    let wanted = ask.contextSize ?? (auto ? deps.contextWanted?.get(modelId) : undefined);
    const policyFor = (tokens: number | undefined): FitPolicy => (tokens === undefined ? base : { ...base, contextSize: Math.min(tokens, candidate.trainContextSize) });
    let policy = policyFor(wanted);
    let result = fitModels([candidate], snapshot, policy);
    if (result.choices.length === 0 && ask.contextSize === undefined && wanted !== undefined) {
      // What a client once asked for no longer fits (memory is shorter now): load with what does.
      wanted = undefined;
      policy = base;
      result = fitModels([candidate], snapshot, policy);
    }
    const fitted = result.choices[0];
    if (!fitted) {
      const why = result.skipped[0]?.reason ?? result.message ?? "it does not fit";
      throw new ChaiboxError("insufficient_memory", `Model '${modelId}' cannot be loaded on this box: ${why}.`, {
        model: modelId,
        availableRamBytes: result.budget.ramBytes,
        availableVramBytes: result.budget.vramBytes,
      });
    }
    // Fit sized the model for a comfortable context; auto then gives a chat model all the context that fits.
    const upTo = Math.min(candidate.trainContextSize, Math.max(AUTO_CONTEXT_LIMIT, wanted ?? 0));
    const choice = auto && fitted.kind === "chat" ? growContext(candidate, fitted, upTo, result.budget, policy) : fitted;
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

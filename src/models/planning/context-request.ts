/**
 * A request that asks for a context size (Ollama's `num_ctx`, which Home Assistant sets to 8192): with
 * `inference.contextSize: auto` the model gets at least that much, capped at its trained length, when it fits
 * the memory (a model already running with less is then reloaded); when it does not fit, the request is
 * refused with the figures. A context size the owner set is used as is.
 */
import { ChaiboxError, isChaiboxError } from "../../errors.js";
import { insightsEstimator, RUNNER_OVERHEAD_BYTES } from "./estimate.js";
import { modelPlanner, type LoadPlanDeps } from "./load-plan.js";

/** How a model runs now: its runner's memory is freed by a reload, so the plan may count it. */
export interface RunningLayout {
  /** Context per sequence. */
  contextSize: number;
  parallel: number;
  gpuLayers: number;
}

/**
 * The context per sequence `modelId` is to run with for a request that asks for `tokens`. With auto, the ask
 * is remembered (capped at the trained length), so the model's next load gives it. @throws ChaiboxError
 * `context_length_exceeded` (400) with the memory figures when such a context cannot fit.
 */
export type ContextRequest = (modelId: string, tokens: number, running?: RunningLayout) => Promise<number>;

export function contextRequests(deps: LoadPlanDeps & { contextWanted: Map<string, number> }): ContextRequest {
  const plan = modelPlanner(deps);
  return async (modelId, tokens, running) => {
    const configured = deps.inference.contextSize;
    if (configured !== "auto") return configured;
    // Already running with at least that much: nothing to plan.
    if (running && running.contextSize >= tokens) return running.contextSize;
    const model = await deps.model(modelId);
    const insights = await deps.insights(model.path, model.sha256);
    const wanted = Math.min(tokens, model.gguf.contextLength ?? insights.trainContextSize);
    if (running && running.contextSize >= wanted) return running.contextSize;
    let freedRamBytes = 0;
    if (running) {
      const estimator = insightsEstimator(insights);
      const context = estimator.context(running.contextSize, running.parallel, running.gpuLayers);
      freedRamBytes = estimator.model(running.gpuLayers).ramBytes + context.ramBytes + RUNNER_OVERHEAD_BYTES;
    }
    try {
      const { choice } = await plan(modelId, { contextSize: wanted, freedRamBytes });
      deps.contextWanted.set(modelId, wanted);
      return choice.contextSize;
    } catch (error) {
      if (!isChaiboxError(error) || error.code !== "insufficient_memory") throw error;
      const most = await plan(modelId, { freedRamBytes }).then(
        ({ choice }) => ` The most it can have here now is ${choice.contextSize} tokens.`,
        () => "",
      );
      const why = error.message.replace(/^Model '[^']*' cannot be loaded on this box: /, "").replace(/\.$/, "");
      throw new ChaiboxError(
        "context_length_exceeded",
        `A ${wanted}-token context for '${modelId}' does not fit in this box's memory: ${why}.${most}`,
        { param: "options.num_ctx", contextSize: running?.contextSize ?? wanted },
      );
    }
  };
}

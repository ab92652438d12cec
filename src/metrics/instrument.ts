/** Wrappers that feed {@link ChaiboxMetrics} from the inference service and the runner launcher, unchanged otherwise. */
import { isChaiboxError } from "../errors.js";
import type { ChatEvent, InferenceService } from "../engine/contract.js";
import type { RunnerHandle, RunnerLauncher } from "../engine/runner-handle.js";
import type { ChaiboxMetrics } from "./registry.js";

/** Counts runner starts, failed loads, crashes (an exit nobody asked for with `stop`) and restarts after a crash. */
export function instrumentLauncher(launcher: RunnerLauncher, metrics: ChaiboxMetrics): RunnerLauncher {
  const crashed = new Set<string>();
  return {
    async launch(modelId, options, signal) {
      const handle = await launcher.launch(modelId, options, signal).catch((error: unknown) => {
        if (isChaiboxError(error) && error.code === "model_load_failed") metrics.runnerLoadFailures.inc({ model: modelId });
        throw error;
      });
      metrics.runnerStarts.inc({ model: modelId });
      if (crashed.delete(modelId)) metrics.runnerRestarts.inc({ model: modelId });
      let stopping = false;
      void handle.exited.then(() => {
        if (stopping) return;
        metrics.runnerCrashes.inc({ model: modelId });
        crashed.add(modelId);
      });
      const stop = handle.stop.bind(handle);
      // The handle is the launcher's own object: stop() is wrapped in place so identity checks still hold.
      (handle as { stop: RunnerHandle["stop"] }).stop = (deadlineMs) => {
        stopping = true;
        return stop(deadlineMs);
      };
      return handle;
    },
  };
}

async function* measured(events: AsyncIterable<ChatEvent>, modelId: string, metrics: ChaiboxMetrics): AsyncIterable<ChatEvent> {
  const startedAt = performance.now();
  let first = true;
  for await (const event of events) {
    if (first && (event.type === "text" || event.type === "reasoning" || event.type === "tool_calls")) {
      first = false;
      metrics.timeToFirstToken.observe({ model: modelId }, (performance.now() - startedAt) / 1000);
    }
    if (event.type === "done") metrics.tokensGenerated.inc({ model: modelId }, event.usage.completionTokens);
    yield event;
  }
}

/** Observes time to first token and counts generated tokens of every chat. */
export function instrumentInference(inference: InferenceService, metrics: ChaiboxMetrics): InferenceService {
  return {
    chat: (modelId, request, signal, admission) => measured(inference.chat(modelId, request, signal, admission), modelId, metrics),
    embed: (modelId, request, signal, admission) => inference.embed(modelId, request, signal, admission),
    preload: (modelId, signal, admission) => inference.preload(modelId, signal, admission),
  };
}

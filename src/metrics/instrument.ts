/** What feeds {@link ChaiboxMetrics} from the inference pipeline and the runner launcher (which it wraps, unchanged otherwise). */
import { isChaiboxError } from "../errors.js";
import type { InferenceMetricsSink } from "../engine/pipeline/index.js";
import type { RunnerClient, RunnerLauncher } from "../engine/runner-client.js";
import type { ChaiboxMetrics } from "./registry.js";

/** Counts runner starts, failed loads, crashes (an exit nobody asked for with `stop`) and restarts after a crash. */
export function instrumentLauncher(launcher: RunnerLauncher, metrics: ChaiboxMetrics): RunnerLauncher {
  const crashed = new Set<string>();
  return {
    async launch(modelId, options, signal) {
      const client = await launcher.launch(modelId, options, signal).catch((error: unknown) => {
        if (isChaiboxError(error) && error.code === "model_load_failed") metrics.runnerLoadFailures.inc({ model: modelId });
        throw error;
      });
      metrics.runnerStarts.inc({ model: modelId });
      if (crashed.delete(modelId)) metrics.runnerRestarts.inc({ model: modelId });
      let stopping = false;
      void client.exited.then(() => {
        if (stopping) return;
        metrics.runnerCrashes.inc({ model: modelId });
        crashed.add(modelId);
      });
      const stop = client.stop.bind(client);
      // The client is the launcher's own object: stop() is wrapped in place so identity checks still hold.
      (client as { stop: RunnerClient["stop"] }).stop = (deadlineMs) => {
        stopping = true;
        return stop(deadlineMs);
      };
      return client;
    },
  };
}

/** The pipeline's metrics step writes here: time to first token and generated tokens of every chat. */
export function inferenceMetrics(metrics: ChaiboxMetrics): InferenceMetricsSink {
  return {
    firstToken: (modelId, seconds) => metrics.timeToFirstToken.observe({ model: modelId }, seconds),
    generated: (modelId, tokens) => metrics.tokensGenerated.inc({ model: modelId }, tokens),
  };
}

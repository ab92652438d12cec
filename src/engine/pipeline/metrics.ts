/**
 * The metrics step: time to first token and generated tokens of every chat. The step measures; what the
 * figures feed (Prometheus' registry, in metrics/) is a port the wiring fills, since engine/ sits below it.
 */
import type { ChatEvent } from "../contract.js";
import type { InferenceStep } from "./types.js";

/** Where the chat figures go. */
export interface InferenceMetricsSink {
  /** Seconds from the call to the model's first output (text, reasoning or tool calls). */
  firstToken(modelId: string, seconds: number): void;
  /** Tokens one chat generated, as its `done` reports them. */
  generated(modelId: string, tokens: number): void;
}

async function* measured(events: AsyncIterable<ChatEvent>, modelId: string, sink: InferenceMetricsSink): AsyncIterable<ChatEvent> {
  const startedAt = performance.now();
  let first = true;
  for await (const event of events) {
    if (first && (event.type === "text" || event.type === "reasoning" || event.type === "tool_calls")) {
      first = false;
      sink.firstToken(modelId, (performance.now() - startedAt) / 1000);
    }
    if (event.type === "done") sink.generated(modelId, event.usage.completionTokens);
    yield event;
  }
}

/** Observes every chat into `sink`; embeds and preloads pass unmeasured. */
export function metricsStep(sink: InferenceMetricsSink): InferenceStep {
  return {
    name: "metrics",
    wrap: (next) => ({
      chat: (modelId, request, context) => measured(next.chat(modelId, request, context), modelId, sink),
      embed: (modelId, request, context) => next.embed(modelId, request, context),
      preload: (modelId, context) => next.preload(modelId, context),
    }),
  };
}

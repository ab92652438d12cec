/**
 * Bounds on every generation, whatever the client asked: a default token limit (`inference.maxTokens`; else
 * the room left in the model's context) and a wall-clock limit (`inference.requestTimeout`). A generation
 * that reaches the wall-clock limit ends like one that reached its token limit: the reply so far, with
 * finish reason `length`; one still waiting for a slot then is refused 503 `queue_full` with Retry-After.
 * A step of the inference pipeline: embeds and preloads pass through.
 */
import { ChaiboxError } from "../../errors.js";
import type { ChatEvent, ChatRequest } from "../contract.js";
import type { CallContext, InferenceStage, InferenceStep } from "./types.js";

export interface RequestLimits {
  /** Tokens generated at most when the request names no limit. Default: none (the context's room). */
  maxTokens?: number | undefined;
  /** Wall-clock time of one generation, queue wait included, in ms; Infinity for none. */
  timeoutMs: number;
}

class Timeout extends Error {}

/** Applies `limits` to every chat. */
export function requestLimitsStep(limits: RequestLimits): InferenceStep {
  return { name: "request limits", wrap: (next) => ({ ...next, chat: (modelId, request, context) => bounded(next, limits, modelId, request, context) }) };
}

async function* bounded(next: InferenceStage, limits: RequestLimits, modelId: string, request: ChatRequest, context: CallContext): AsyncGenerator<ChatEvent> {
  const capped: ChatRequest =
    request.sampling.maxTokens === undefined && limits.maxTokens !== undefined ? { ...request, sampling: { ...request.sampling, maxTokens: limits.maxTokens } } : request;
  if (!Number.isFinite(limits.timeoutMs)) {
    yield* next.chat(modelId, capped, context);
    return;
  }
  const timer = new AbortController();
  const handle = setTimeout(() => timer.abort(new Timeout()), limits.timeoutMs);
  const started = performance.now();
  let firstAt: number | undefined;
  let generated = 0;
  try {
    for await (const event of next.chat(modelId, capped, { ...context, signal: AbortSignal.any([context.signal, timer.signal]) })) {
      if (event.type === "text" || event.type === "reasoning") {
        firstAt ??= performance.now();
        generated++;
      }
      yield event;
    }
  } catch (error) {
    if (!timer.signal.aborted || context.signal.aborted) throw error;
    const seconds = Math.round(limits.timeoutMs / 1000);
    if (firstAt === undefined) {
      throw new ChaiboxError("queue_full", `The model did not start this reply within inference.requestTimeout (${seconds} s); try again later.`, { retryAfterSeconds: 5 });
    }
    // The runner reports usage only in its own `done`: here each streamed delta counts as one token.
    const endedAt = performance.now();
    yield { type: "done", finishReason: "length", usage: { promptTokens: 0, completionTokens: generated }, timings: { promptMs: firstAt - started, generationMs: endedAt - firstAt } };
  } finally {
    clearTimeout(handle);
  }
}

/**
 * Bounds on every generation, whatever the client asked: a default token limit (`inference.maxTokens`; else
 * the room left in the model's context) and a wall-clock limit (`inference.requestTimeout`). A generation
 * that reaches the wall-clock limit ends like one that reached its token limit: the reply so far, with
 * finish reason `length`; one still waiting for a slot then is refused 503 `queue_full` with Retry-After.
 * A proxy over the inference service, as withTokenUsage is: every other method passes through.
 */
import { ChaiboxError } from "../errors.js";
import type { AdmissionOptions, ChatEvent, ChatRequest, InferenceService } from "./contract.js";

export interface RequestLimits {
  /** Tokens generated at most when the request names no limit. Default: none (the context's room). */
  maxTokens?: number | undefined;
  /** Wall-clock time of one generation, queue wait included, in ms; Infinity for none. */
  timeoutMs: number;
}

class Timeout extends Error {}

/** `service` with `limits` applied to every chat. */
export function withRequestLimits<T extends InferenceService>(service: T, limits: RequestLimits): T {
  async function* chat(modelId: string, request: ChatRequest, signal: AbortSignal, admission?: AdmissionOptions): AsyncGenerator<ChatEvent> {
    const bounded: ChatRequest =
      request.sampling.maxTokens === undefined && limits.maxTokens !== undefined ? { ...request, sampling: { ...request.sampling, maxTokens: limits.maxTokens } } : request;
    if (!Number.isFinite(limits.timeoutMs)) {
      yield* service.chat(modelId, bounded, signal, admission);
      return;
    }
    const timer = new AbortController();
    const handle = setTimeout(() => timer.abort(new Timeout()), limits.timeoutMs);
    const started = performance.now();
    let firstAt: number | undefined;
    let generated = 0;
    try {
      for await (const event of service.chat(modelId, bounded, AbortSignal.any([signal, timer.signal]), admission)) {
        if (event.type === "text" || event.type === "reasoning") {
          firstAt ??= performance.now();
          generated++;
        }
        yield event;
      }
    } catch (error) {
      if (!timer.signal.aborted || signal.aborted) throw error;
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
  return new Proxy(service, {
    get(target, property) {
      if (property === "chat") return chat;
      const value: unknown = Reflect.get(target, property, target);
      // Bound to the service itself: its methods use private state that a proxy receiver would not reach.
      return typeof value === "function" ? (value as (...args: unknown[]) => unknown).bind(target) : value;
    },
  });
}

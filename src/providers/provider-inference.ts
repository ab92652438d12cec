/**
 * Inference on a provider's models (`<provider>/<model>`): the inference contract over the provider's
 * OpenAI-compatible API. Bounded on every side: a provider marked down is answered 503 at once, at most
 * {@link MAX_IN_FLIGHT} requests of this box go to one provider, a connection that fails before the answer
 * began is tried once more and then marks the provider down, and the upstream client bounds each wait.
 */
import type { AdmissionOptions, ChatEvent, ChatRequest, EmbedRequest, EmbedResult, InferenceService } from "../engine/contract.js";
import { ChaiboxError } from "../errors.js";
import type { ProviderRegistry, ProviderState } from "./provider-registry.js";
import { chatEventsFrom, upstreamChatBody } from "./upstream-chat.js";

/** Requests of this box in flight to one provider; more are refused (503) rather than piled up there. */
export const MAX_IN_FLIGHT = 16;
/** The pause before the one retry of a connection that failed. */
const RETRY_AFTER_MS = 250;

function unavailable(state: ProviderState): ChaiboxError {
  const why = state.status === "pairing" ? "is waiting for its owner to approve the pairing" : state.status === "pairing_failed" ? "is not paired" : "cannot be reached";
  return new ChaiboxError("provider_unavailable", `The provider '${state.spec.id}' ${why}${state.error ? ` (${state.error})` : ""}.`, {
    retryAfterSeconds: 5,
    provider: state.spec.id,
  });
}

/** A failure to connect, as the upstream client reports it: nothing reached the provider, so a retry is safe. */
const unreachable = (error: unknown) => error instanceof ChaiboxError && error.code === "provider_unavailable" && / cannot be reached: /.test(error.message);

export class ProviderInference implements InferenceService {
  constructor(private readonly registry: ProviderRegistry) {}

  /** Whether `modelId` names a provider's model (`<provider>/<model>` of a provider this box has). */
  owns(modelId: string): boolean {
    return this.registry.lookup(modelId) !== undefined;
  }

  chat(modelId: string, request: ChatRequest, signal: AbortSignal, _admission?: AdmissionOptions): AsyncIterable<ChatEvent> {
    return this.run(modelId, request, signal);
  }

  async embed(modelId: string, request: EmbedRequest, signal: AbortSignal): Promise<EmbedResult> {
    const { state, model } = this.admit(modelId);
    try {
      const answer = await this.retrying(state, () =>
        state.upstream.embed({ model, input: request.inputs as string[] | number[][], encoding_format: "float", ...(request.dimensions !== undefined && { dimensions: request.dimensions }) }, signal),
      );
      return { embeddings: answer.data.sort((a, b) => a.index - b.index).map((d) => d.embedding), promptTokens: answer.usage.prompt_tokens };
    } finally {
      this.release(state, model);
    }
  }

  /** A provider's models run there: there is nothing to load here. */
  async preload(modelId: string): Promise<void> {
    const { state, model } = this.admit(modelId);
    this.release(state, model);
  }

  /** Load this box has put on one provider model (its requests in flight), for routing. */
  load(state: ProviderState, model: string): number {
    return state.inflight.get(model) ?? 0;
  }

  private admit(modelId: string): { state: ProviderState; model: string } {
    const found = this.registry.lookup(modelId);
    if (!found) throw new ChaiboxError("model_not_found", `The model '${modelId}' does not exist.`, { param: "model" });
    const { state, model } = found;
    if (state.status !== "ready") throw unavailable(state);
    const total = [...state.inflight.values()].reduce((a, b) => a + b, 0);
    if (total >= MAX_IN_FLIGHT) {
      throw new ChaiboxError("provider_unavailable", `The provider '${state.spec.id}' has ${total} requests of this box under way already; retry shortly.`, { retryAfterSeconds: 2, provider: state.spec.id });
    }
    state.inflight.set(model, (state.inflight.get(model) ?? 0) + 1);
    return found;
  }

  private release(state: ProviderState, model: string): void {
    const left = (state.inflight.get(model) ?? 1) - 1;
    if (left <= 0) state.inflight.delete(model);
    else state.inflight.set(model, left);
  }

  /** `attempt`, once more after a failed connection; a second failure marks the provider down. */
  private async retrying<T>(state: ProviderState, attempt: () => Promise<T>): Promise<T> {
    try {
      return await attempt();
    } catch (error) {
      if (!unreachable(error)) throw error;
      await new Promise((resolve) => setTimeout(resolve, RETRY_AFTER_MS));
      try {
        return await attempt();
      } catch (again) {
        if (unreachable(again)) this.registry.markDown(state, (again as Error).message);
        throw again;
      }
    }
  }

  private async *run(modelId: string, request: ChatRequest, signal: AbortSignal): AsyncGenerator<ChatEvent> {
    const { state, model } = this.admit(modelId);
    // Released at `done`, before it is handed on: a consumer may stop there without ending this generator,
    // and a request that finished must not count as load on the provider.
    let released = false;
    const release = () => {
      if (!released) this.release(state, model);
      released = true;
    };
    try {
      const body = upstreamChatBody(model, request);
      const started = performance.now();
      // The first event is awaited inside the retry: a connection that fails before the answer begins is
      // safe to try again, with a new request; after that, a failure ends the answer.
      const open = () => chatEventsFrom(state.upstream.chat(body, signal), request)[Symbol.asyncIterator]();
      // Lazy: no request goes out before the first next().
      let iterator = open();
      let attempts = 0;
      let first = await this.retrying(state, () => {
        if (attempts++ > 0) iterator = open();
        return iterator.next();
      });
      let firstTokenAt: number | undefined;
      while (!first.done) {
        const event = first.value;
        if (firstTokenAt === undefined && (event.type === "text" || event.type === "reasoning")) firstTokenAt = performance.now();
        if (event.type === "done" && firstTokenAt !== undefined) {
          const generationMs = performance.now() - firstTokenAt;
          if (event.usage.completionTokens > 1 && generationMs > 0) {
            this.registry.recordSpeed(state, model, { generationTokensPerSecond: ((event.usage.completionTokens - 1) * 1000) / generationMs, timeToFirstTokenMs: firstTokenAt - started });
          }
        }
        if (event.type === "done") release();
        yield event;
        first = await iterator.next();
      }
    } finally {
      release();
    }
  }
}

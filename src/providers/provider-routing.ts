/**
 * Where a model runs when several places serve it, and the engine that sends each call there. A model id
 * names the same model wherever it is served (`tiny` on this box and on the study's box, listed there as
 * `study/tiny`). A request that names the bare id may go to any of them; one that names `<provider>/<model>`
 * goes to that provider alone. Only the cheapest places are candidates (this box's models are free, so a
 * paid provider is used only when an app names it or a selection picks it), and among them the least busy
 * wins (see {@link leastBusy}).
 */
import type { AdmissionOptions, ChatEvent, ChatRequest, EmbedRequest, EmbedResult, InferenceService } from "../engine/contract.js";
import type { ProviderInference } from "./provider-inference.js";
import type { ProviderRegistry } from "./provider-registry.js";

/** One place that serves a model. */
export interface Place {
  /** The id that reaches it: the local id, or `<provider>/<model>`. */
  modelId: string;
  /** Requests under way and queued there (a provider's: those of this box). */
  load: number;
  /** Generation speed of one stream, tok/s; null when unknown. */
  tokensPerSecond: number | null;
  /** Input plus output price per million tokens. */
  price: number;
  /** This box's own model. */
  local: boolean;
}

/**
 * The least busy of the cheapest places, pure: the fewest requests under way; among those, this box (no
 * network, nothing leaves the house), then the fastest measured provider (an unknown speed loses). Load
 * comes before speed because speeds measured here and through a provider are not alike: a provider's
 * include the network, which dwarfs a small model's per-token time, while one more request on a busy
 * place waits for certain.
 */
export function leastBusy(places: readonly Place[]): Place | undefined {
  if (places.length === 0) return undefined;
  const cheapest = Math.min(...places.map((p) => p.price));
  const speed = (p: Place) => (p.tokensPerSecond !== null && p.tokensPerSecond > 0 ? p.tokensPerSecond : 0);
  const better = (a: Place, b: Place) => {
    if (a.load !== b.load) return a.load < b.load;
    if (a.local !== b.local) return a.local;
    return speed(a) > speed(b);
  };
  return places.filter((p) => p.price === cheapest).reduce((best, p) => (better(p, best) ? p : best));
}

/** What routing reads of this box's own models. */
export interface LocalPlaces {
  /** The local model's place, or undefined when this box does not have `modelId`. */
  place(modelId: string): Promise<Place | undefined>;
}

/** The routing step's port: the place for `modelId` among this box and the providers. */
export function providerRouter(registry: ProviderRegistry, inference: ProviderInference, local: LocalPlaces): (modelId: string) => Promise<string> {
  return async (modelId) => {
    if (inference.owns(modelId)) return modelId;
    const remote = registry.servingModel(modelId);
    if (remote.length === 0) return modelId;
    const places: Place[] = [];
    const own = await local.place(modelId);
    if (own) places.push(own);
    for (const state of remote) {
      const described = registry.models().find((m) => m.id === `${state.spec.id}/${modelId}`);
      places.push({
        modelId: `${state.spec.id}/${modelId}`,
        load: inference.load(state, modelId),
        tokensPerSecond: described?.chai.performance.generation_tokens_per_second ?? null,
        price: described ? described.chai.pricing.input_per_million_tokens + described.chai.pricing.output_per_million_tokens : 0,
        local: false,
      });
    }
    return leastBusy(places)?.modelId ?? modelId;
  };
}

/** The engine at the bottom of the pipeline: providers' models to their providers, the rest to the scheduler. */
export function placedInference(local: InferenceService, providers: ProviderInference): InferenceService {
  return {
    chat: (modelId: string, request: ChatRequest, signal: AbortSignal, admission?: AdmissionOptions): AsyncIterable<ChatEvent> =>
      (providers.owns(modelId) ? providers : local).chat(modelId, request, signal, admission),
    embed: (modelId: string, request: EmbedRequest, signal: AbortSignal, admission?: AdmissionOptions): Promise<EmbedResult> =>
      (providers.owns(modelId) ? providers : local).embed(modelId, request, signal, admission),
    preload: (modelId: string, signal: AbortSignal, admission?: AdmissionOptions): Promise<void> =>
      (providers.owns(modelId) ? providers : local).preload(modelId, signal, admission),
  };
}

/**
 * The routing step: where a chat or embedding runs. A model served in several places (this box and a
 * provider, or two providers, under the same model id) goes to the least busy of them; the choice itself
 * (providers/provider-routing.ts) knows the providers and comes in as a port. The steps below see the place
 * chosen (`<provider>/<model>` or the local id), so usage and budgets count where the work was done.
 */
import type { InferenceStep } from "./types.js";

/** The model id of the place that serves `modelId` now: itself, or a provider's `<provider>/<model>`. */
export type RouteModel = (modelId: string) => Promise<string>;

/** Sends each call to the place `route` chooses. Preloads are not routed: they load this box's model. */
export function routingStep(route: RouteModel): InferenceStep {
  return {
    name: "routing",
    wrap: (next) => ({
      async *chat(modelId, request, context) {
        yield* next.chat(await route(modelId), request, context);
      },
      embed: async (modelId, request, context) => next.embed(await route(modelId), request, context),
      preload: (modelId, context) => next.preload(modelId, context),
    }),
  };
}

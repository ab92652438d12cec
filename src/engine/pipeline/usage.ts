/**
 * The usage step: each chat's and embedding's reported tokens are added to the calling app token. The step
 * knows only the caller's token id; where the counts go (the token store) is a port the wiring fills.
 */
import type { InferenceStep } from "./types.js";

/** Where usage goes: the token store's `addUsage`. */
export type UsageSink = (tokenId: string, promptTokens: number, completionTokens: number) => void;

/** Counts each call's tokens against its caller's app token; calls without one are not counted. */
export function usageStep(sink: UsageSink): InferenceStep {
  const add = (tokenId: string | undefined, promptTokens: number, completionTokens: number): void => {
    if (tokenId === undefined) return;
    try {
      sink(tokenId, promptTokens, completionTokens);
    } catch {
      // Counting is best effort: it must never fail the request it counts.
    }
  };
  return {
    name: "usage",
    wrap: (next) => ({
      async *chat(modelId, request, context) {
        for await (const event of next.chat(modelId, request, context)) {
          if (event.type === "done") add(context.caller.tokenId, event.usage.promptTokens, event.usage.completionTokens);
          yield event;
        }
      },
      async embed(modelId, request, context) {
        const result = await next.embed(modelId, request, context);
        add(context.caller.tokenId, result.promptTokens, 0);
        return result;
      },
      preload: (modelId, context) => next.preload(modelId, context),
    }),
  };
}

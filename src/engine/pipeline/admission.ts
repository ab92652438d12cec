/**
 * The admission step: the caller's app token takes its turn in a busy model's queue, so one app cannot
 * starve the others (the scheduler serves owners round robin). Requests without a token share one turn.
 */
import type { AdmissionOptions } from "../contract.js";
import type { CallContext, InferenceStep } from "./types.js";

/** `context` with the caller as the queue's owner. */
function withOwner(context: CallContext): CallContext {
  const tokenId = context.caller.tokenId;
  if (tokenId === undefined) return context;
  const admission: AdmissionOptions = { ...context.admission, owner: tokenId };
  return { ...context, admission };
}

/** Sets each call's queue owner from its caller. */
export const admissionStep: InferenceStep = {
  name: "admission",
  wrap: (next) => ({
    chat: (modelId, request, context) => next.chat(modelId, request, withOwner(context)),
    embed: (modelId, request, context) => next.embed(modelId, request, withOwner(context)),
    preload: (modelId, context) => next.preload(modelId, withOwner(context)),
  }),
};

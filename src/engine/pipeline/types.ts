/**
 * The types of the inference pipeline (see index.ts): who calls, what one call carries down the steps, and
 * the shape every step has. Plain data and functions, so a step is tested with a fake stage and no model.
 */
import type { AdmissionOptions, ChatEvent, ChatRequest, EmbedRequest, EmbedResult } from "../contract.js";

/**
 * Who asks. An ordinary argument of every call, filled by the dialect from its request's credential, so
 * usage and fair queueing need no ambient request state.
 */
export interface Caller {
  /** The app token that made the request; undefined for the owner's session, the local CLI and open APIs. */
  tokenId?: string | undefined;
}

/** What travels with one inference through the steps, besides the model and the request. */
export interface CallContext {
  caller: Caller;
  /** Aborting it cancels the work still queued or running for the call. */
  signal: AbortSignal;
  /** How the request is admitted; the admission step adds the caller as the queue's owner. Default: none. */
  admission?: AdmissionOptions | undefined;
}

/**
 * One level of the pipeline: the engine at the bottom, each step above it. A step overrides what it acts on
 * and hands the rest to the stage below unchanged.
 */
export interface InferenceStage {
  /** Lazy, as the contract's `chat`: admission happens on the first `next()`. */
  chat(modelId: string, request: ChatRequest, context: CallContext): AsyncIterable<ChatEvent>;
  embed(modelId: string, request: EmbedRequest, context: CallContext): Promise<EmbedResult>;
  preload(modelId: string, context: CallContext): Promise<void>;
}

/** A named step: it wraps the stage below it. The name is for readers and the pipeline's order check. */
export interface InferenceStep {
  name: string;
  wrap(next: InferenceStage): InferenceStage;
}

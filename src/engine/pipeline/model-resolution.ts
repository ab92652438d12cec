/**
 * Model resolution, the pipeline's first step: the model a chat names is the model that serves it, except
 * `auto`, which asks chaibox to choose by the request's needs. The choice itself (select's ranking over the
 * described models) lives above engine/ and comes in as a port.
 */
import type { ChatRequest } from "../contract.js";
import type { Caller } from "./types.js";

/** The model name that asks chaibox to choose. */
export const AUTO_MODEL = "auto";

/**
 * Chooses the model for a chat that named `auto`, among those `caller` may use (a priced model is left out
 * when the caller's budget is spent); throws `model_not_found` when none fits.
 */
export type ModelChooser = (request: ChatRequest, streaming: boolean, caller: Caller) => Promise<string>;

/** How one chat names its model. */
export interface ModelRequest {
  /** The model the client named. */
  model: string;
  /** The reply streams to the client (an `auto` choice then needs a model that streams). Default false. */
  streaming?: boolean;
  /**
   * Whether this dialect offers `auto` (OpenAI's Chat Completions and Responses). Ollama's names are
   * installed models' names only, so it leaves this false. Default false.
   */
  auto?: boolean;
}

/**
 * The id of the model that serves `request`: the named one, or `choose`'s pick for `auto`. Without a
 * chooser "auto" is an unknown model like any other.
 */
export async function resolveModel(named: ModelRequest, request: ChatRequest, caller: Caller, choose: ModelChooser | undefined): Promise<string> {
  if (named.auto !== true || named.model !== AUTO_MODEL || choose === undefined) return named.model;
  return choose(request, named.streaming === true, caller);
}

/**
 * `model: "auto"`: the request itself says what it needs — tool calling when it offers tools, schema-bound
 * output when it asks for JSON, a context that holds its prompt and its answer — and select's top choice
 * for those needs, by quality, serves it. The inference pipeline's model resolution (engine/pipeline) calls
 * {@link chooseModel} through the port the wiring fills. Works on the inference contract's ChatRequest, so every dialect
 * that maps to it (Chat Completions, Responses) gets the same choice.
 */
import type { ChatRequest } from "../../engine/contract.js";
import type { BudgetStanding } from "../../engine/pipeline/index.js";
import { ChaiboxError } from "../../errors.js";
import type { ChaiModelDirectory } from "../description/model-description.js";
import { selectModels, type Capability, type SelectRequirements } from "./select-ranking.js";

/** Tokens assumed for the answer when the request sets no limit. */
const DEFAULT_ANSWER_TOKENS = 256;
/** A conservative characters-per-token ratio: it overestimates the prompt rather than overflow the context. */
const CHARS_PER_TOKEN = 3;

/** What a chat request needs of a model. */
export function requirementsOf(chat: ChatRequest, streaming: boolean): SelectRequirements {
  const capabilities: Capability[] = [];
  if (chat.tools && chat.tools.length > 0 && chat.toolChoice?.type !== "none") capabilities.push("tools");
  if (chat.responseFormat && chat.responseFormat.type !== "text") capabilities.push("json_schema");
  if (streaming) capabilities.push("streaming");
  // The tools' definitions go into the prompt too (as the wrapper's function documentation).
  const toolCharacters = chat.tools && chat.tools.length > 0 ? JSON.stringify(chat.tools).length : 0;
  const characters = chat.messages.reduce((sum, m) => sum + m.content.length, 0) + toolCharacters;
  return {
    capabilities,
    input_modalities: ["text"],
    output_modalities: ["text"],
    min_context_length: Math.ceil(characters / CHARS_PER_TOKEN) + (chat.sampling.maxTokens ?? DEFAULT_ANSWER_TOKENS),
  };
}

/**
 * The id of the best model for `chat`, or a clear `model_not_found` saying why none fits. With the caller's
 * `budget`, priced models it cannot afford are left out (as `select` does). Default: no budget.
 */
export async function chooseModel(models: ChaiModelDirectory, chat: ChatRequest, streaming: boolean, budget?: BudgetStanding): Promise<string> {
  const requirements = requirementsOf(chat, streaming);
  const result = selectModels(await models.list(), requirements, "quality", budget);
  const best = result.data[0];
  if (best) return best.model;
  const why = result.rejected.map((r) => `${r.model} (${r.failed.join("; ")})`).join(", ");
  throw new ChaiboxError(
    "model_not_found",
    `model "auto": no installed model meets this request's needs${why === "" ? " (no models are installed)" : `: ${why}`}.`,
    { param: "model" },
  );
}

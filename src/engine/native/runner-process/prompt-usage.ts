/**
 * A request's usage from node-llama-cpp's token meter and the prompt cache's reuse.
 */
import type { TokenMeterState } from "node-llama-cpp";
import type { Usage } from "../../contract.js";

/**
 * The usage of one request: `promptTokens` as rendered, `cachedTokens` the lease reused, and the meter's
 * difference over the request. The meter counts a decoded token as output when its logits were read: the
 * prompt's last token and every sampled token fed back, so its output count is the tokens the model sampled
 * (over all attempts: the work the request cost), and its input count plus that one prompt token is what
 * the prompt cost to evaluate.
 */
export function promptUsage(promptTokens: number, cachedTokens: number, meter: TokenMeterState): Usage {
  return {
    promptTokens,
    completionTokens: meter.usedOutputTokens,
    cachedPromptTokens: cachedTokens,
    evaluatedPromptTokens: Math.min(promptTokens, meter.usedInputTokens + 1),
  };
}

/**
 * Maps the contract's sampling options to node-llama-cpp generation options.
 */
import { TokenBias, type LLamaChatGenerateResponseOptions, type LlamaModel, type Token } from "node-llama-cpp";
import { NO_REPEAT_PENALTY, type SamplingOptions } from "../../contract.js";
import { ChaiboxError } from "../../../errors.js";

/** Temperature used when a request gives none, as documented on {@link SamplingOptions}. */
export const DEFAULT_TEMPERATURE = 0.8;

/** The generation options a request's sampling settles; the rest (grammar, functions, limits) come later. */
export type SamplingSettings = Pick<
  LLamaChatGenerateResponseOptions,
  "temperature" | "topK" | "topP" | "seed" | "customStopTriggers" | "repeatPenalty" | "tokenBias"
>;

/** The number of tokens in the model's vocabulary, from its GGUF metadata (0 when it lists none). */
export function vocabularySize(model: LlamaModel): number {
  const metadata = model.fileInfo.metadata as { tokenizer?: { ggml?: { tokens?: readonly unknown[] } } };
  return metadata.tokenizer?.ggml?.tokens?.length ?? 0;
}

/**
 * Builds the token bias of a request. OpenAI's `logit_bias` adds to the logit; -100 means "never", which
 * node-llama-cpp applies as a ban. Token ids are checked against the vocabulary: llama.cpp aborts the
 * process on an out-of-range id instead of reporting an error.
 */
function toTokenBias(model: LlamaModel, bias: Record<string, number>): TokenBias | undefined {
  const entries = Object.entries(bias);
  if (entries.length === 0) return undefined;
  const size = vocabularySize(model);
  const tokenBias = new TokenBias(model.tokenizer);
  for (const [key, value] of entries) {
    const token = Number(key);
    if (!Number.isInteger(token) || token < 0 || (size > 0 && token >= size) || !Number.isFinite(value)) {
      throw new ChaiboxError("invalid_request", `invalid token bias entry ${key}: ${value} (vocabulary size ${size})`, {
        param: "logit_bias",
      });
    }
    // Token ids are numbers on the wire; node-llama-cpp brands them as Token.
    tokenBias.set(token as Token, value <= -100 ? "never" : { logit: value });
  }
  return tokenBias;
}

/**
 * Refuses the values llama.cpp would not report but misbehave on: a fractional or negative top-k, a repeat
 * penalty that is not a positive number (it divides logits).
 */
function checkSampling({ topK, repeatPenalty }: SamplingOptions): void {
  if (topK !== undefined && (!Number.isInteger(topK) || topK < 0)) {
    throw new ChaiboxError("invalid_request", `top_k must be a whole number, 0 or more; got ${topK}`, { param: "top_k" });
  }
  if (repeatPenalty !== undefined && !(Number.isFinite(repeatPenalty) && repeatPenalty > 0)) {
    const message = `repeat_penalty must be a positive number; got ${repeatPenalty}`;
    throw new ChaiboxError("invalid_request", message, { param: "repeat_penalty" });
  }
}

/**
 * Resolves sampling options. Defaults: temperature {@link DEFAULT_TEMPERATURE}, node-llama-cpp's top-k (40)
 * and repeat penalty (1.1 over the last 64 tokens), the request's repeat penalty and OpenAI's
 * presence/frequency penalties applied together over those tokens when given (none at all when they are
 * all neutral), no stop strings, no token bias, a random seed.
 */
export function toSamplingSettings(model: LlamaModel, sampling: SamplingOptions): SamplingSettings {
  checkSampling(sampling);
  const settings: SamplingSettings = { temperature: sampling.temperature ?? DEFAULT_TEMPERATURE };
  if (sampling.topK !== undefined) settings.topK = sampling.topK;
  if (sampling.topP !== undefined) settings.topP = sampling.topP;
  if (sampling.seed !== undefined) settings.seed = sampling.seed;
  const stop = (sampling.stop ?? []).filter((text) => text !== "");
  if (stop.length > 0) settings.customStopTriggers = stop;
  const { repeatPenalty, presencePenalty, frequencyPenalty } = sampling;
  if (repeatPenalty === NO_REPEAT_PENALTY && !presencePenalty && !frequencyPenalty) {
    // Off, not a penalty of 1: node-llama-cpp would still gather the last tokens for it at every token.
    settings.repeatPenalty = false;
  } else if (repeatPenalty !== undefined || presencePenalty !== undefined || frequencyPenalty !== undefined) {
    // One penalty over the same last tokens: llama.cpp's penalties sampler applies all three at once.
    settings.repeatPenalty = {
      ...(repeatPenalty !== undefined && { penalty: repeatPenalty }),
      presencePenalty: presencePenalty ?? 0,
      frequencyPenalty: frequencyPenalty ?? 0,
    };
  }
  const tokenBias = toTokenBias(model, sampling.tokenBias ?? {});
  if (tokenBias !== undefined) settings.tokenBias = tokenBias;
  return settings;
}

/**
 * The seed of retry `attempt` (0 = the first try): the request's seed (or a random one) shifted, so that a
 * retry samples differently but a seeded request stays reproducible.
 */
export function seedForAttempt(baseSeed: number | undefined, attempt: number): number | undefined {
  if (attempt === 0) return baseSeed;
  return ((baseSeed ?? Math.floor(Math.random() * 0x7fffffff)) + attempt * 7919) % 0x7fffffff;
}

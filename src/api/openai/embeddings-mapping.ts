/**
 * Pure mapping between OpenAI's Embeddings API and the inference contract. No I/O: the route feeds it the
 * parsed body and the engine's result, and sends what it returns.
 */
import type { EmbedInput, EmbedRequest, EmbedResult } from "../../engine/contract.js";
import { float32Base64 } from "../../engine/float32.js";
import { ChaiboxError } from "../../errors.js";
import type { EmbeddingsBody } from "./embeddings-schema.js";

/** Inputs one request may carry, as OpenAI allows (2048). */
export const MAX_EMBEDDING_INPUTS = 2048;

function invalid(param: string, message: string): ChaiboxError {
  return new ChaiboxError("invalid_request", message, { param });
}

/** The inputs of `input`: one text, texts, one token-id array, or token-id arrays — never a mix. */
function toInputs(input: EmbeddingsBody["input"]): EmbedInput[] {
  if (typeof input === "string") {
    if (input === "") throw invalid("input", "'input' is an empty string; send text to embed.");
    return [input];
  }
  if (input.length === 0) throw invalid("input", "'input' is an empty array; send at least one input.");
  if (input.length > MAX_EMBEDDING_INPUTS) {
    throw invalid("input", `'input' has ${input.length} items; at most ${MAX_EMBEDDING_INPUTS} are allowed per request.`);
  }
  if (input.every((item) => typeof item === "number")) return [input];
  const inputs: EmbedInput[] = [];
  input.forEach((item, i) => {
    if (typeof item === "number") {
      throw invalid(`input[${i}]`, "'input' mixes token ids with texts or token arrays; send one kind of input.");
    }
    if (item.length === 0) throw invalid(`input[${i}]`, `'input[${i}]' is empty; every input needs content.`);
    inputs.push(item);
  });
  return inputs;
}

/** OpenAI request → the inference contract. Throws `invalid_request` naming the param. */
export function toEmbedRequest(body: EmbeddingsBody): EmbedRequest {
  const request: EmbedRequest = { inputs: toInputs(body.input) };
  if (body.dimensions != null) request.dimensions = body.dimensions;
  return request;
}

/** How vectors go on the wire: JSON numbers, or base64 of little-endian float32 bytes. Default `float`. */
export type EncodingFormat = "float" | "base64";

/** The `list` of `embedding` objects, in input order, with the prompt's token counts. */
export function embeddingsObject(model: string, result: EmbedResult, format: EncodingFormat = "float") {
  return {
    object: "list" as const,
    data: result.embeddings.map((vector, index) => ({
      object: "embedding" as const,
      index,
      embedding: format === "base64" ? float32Base64(vector) : vector,
    })),
    model,
    usage: { prompt_tokens: result.promptTokens, total_tokens: result.promptTokens },
  };
}

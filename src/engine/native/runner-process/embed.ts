/**
 * Embeddings on a runner's embedding context: a contract {@link EmbedRequest} in, one unit vector per input
 * out. Every input is tokenized and checked before the first one is evaluated, so a bad input costs nothing.
 */
import type { LlamaEmbeddingContext, LlamaModel, Token } from "node-llama-cpp";
import type { EmbedInput, EmbedRequest, EmbedResult } from "../../contract.js";
import { ChaiboxError } from "../../../errors.js";
import { vocabularySize } from "./sampling.js";

/** What an embedding needs from the loaded model. */
export interface EmbedEnvironment {
  model: LlamaModel;
  context: LlamaEmbeddingContext;
  /** Tokens one input may take, with the tokens the model adds (beginning of sequence). */
  contextSize: number;
}

/**
 * Scales a vector to unit length and rounds it to float32, as OpenAI's embeddings are: clients take the dot
 * product as the cosine similarity, and the float and base64 encodings then carry the same numbers.
 * A zero vector stays zero; a vector with a non-finite value is a model fault.
 */
export function unitVector(values: ArrayLike<number>): number[] {
  let sum = 0;
  for (let i = 0; i < values.length; i++) sum += (values[i] ?? 0) ** 2;
  const norm = Math.sqrt(sum);
  if (!Number.isFinite(norm)) throw new ChaiboxError("internal_error", "the model produced an embedding with a non-finite value");
  const scale = norm === 0 ? 0 : 1 / norm;
  return Array.from(values, (value) => Math.fround(value * scale));
}

/**
 * The tokens of one input. Token ids are checked against the vocabulary, because llama.cpp fails the whole
 * evaluation on an id it does not know. Empty inputs are refused: they have no vector.
 */
export function inputTokens(model: LlamaModel, input: EmbedInput, index: number, vocabulary: number): Token[] {
  const param = `input[${index}]`;
  if (typeof input === "string") {
    if (input === "") throw new ChaiboxError("invalid_request", `${param} is empty; an empty text has no embedding.`, { param });
    // Special-token text in the input stays plain text: a client's text must not inject control tokens.
    return model.tokenize(input, false);
  }
  if (input.length === 0) throw new ChaiboxError("invalid_request", `${param} is an empty token list.`, { param });
  const bad = input.findIndex((id) => !Number.isInteger(id) || id < 0 || (vocabulary > 0 && id >= vocabulary));
  if (bad !== -1) {
    const message = `${param}[${bad}] = ${input[bad]} is not a token id of this model (vocabulary size ${vocabulary}).`;
    throw new ChaiboxError("invalid_request", message, { param });
  }
  // Token ids are numbers on the wire; node-llama-cpp brands them as Token.
  return input as Token[];
}

/**
 * Cuts an input's tokens from the end until what the context evaluates — the tokens plus the
 * beginning/end-of-sequence tokens it adds (see `calculateInputLength`) — fits: at most `contextSize - 1`
 * tokens, since node-llama-cpp refuses an input that fills the whole context. Measured again after each cut,
 * because a cut can change what is added (a list that ended in its own end token gets one added).
 */
export function truncateToFit(tokens: Token[], contextSize: number, inputLength: (tokens: Token[]) => number): Token[] {
  let kept = tokens;
  for (let length = inputLength(kept); length >= contextSize && kept.length > 0; length = inputLength(kept)) {
    kept = kept.slice(0, Math.max(0, kept.length - (length - (contextSize - 1))));
  }
  return kept;
}

/**
 * Embeds the request's inputs one after the other (node-llama-cpp's embedding context holds one sequence).
 * An input longer than the context is cut to fit when `request.truncate` is set (default false: it fails).
 * Throws `unsupported_parameter` for other `dimensions`, `context_length_exceeded` naming `input[i]` for an
 * input longer than the context, or the signal's reason once aborted.
 */
export async function runEmbed(env: EmbedEnvironment, request: EmbedRequest, signal: AbortSignal): Promise<EmbedResult> {
  const { model, context, contextSize } = env;
  const length = model.embeddingVectorSize;
  if (request.dimensions !== undefined && request.dimensions !== length) {
    const message = `This model's embeddings have ${length} dimensions; it cannot make ${request.dimensions}-dimensional ones.`;
    throw new ChaiboxError("unsupported_parameter", message, { param: "dimensions" });
  }
  if (request.inputs.length === 0) throw new ChaiboxError("invalid_request", "input is empty.", { param: "input" });
  const vocabulary = vocabularySize(model);
  const inputLength = (list: Token[]): number => context.calculateInputLength(list);
  let tokens = request.inputs.map((input, i) => inputTokens(model, input, i, vocabulary));
  if (request.truncate === true) tokens = tokens.map((list) => truncateToFit(list, contextSize, inputLength));
  const counts = tokens.map(inputLength);
  counts.forEach((count, i) => {
    // node-llama-cpp refuses an input that fills the whole context.
    if (count >= contextSize) {
      const message = `input[${i}] takes ${count} tokens; this model embeds at most ${contextSize - 1} tokens per input.`;
      throw new ChaiboxError("context_length_exceeded", message, { param: `input[${i}]`, promptTokens: count, contextSize });
    }
  });
  const embeddings: number[][] = [];
  for (const list of tokens) {
    signal.throwIfAborted();
    const embedding = await context.getEmbeddingFor(list);
    embeddings.push(unitVector(embedding.vector));
  }
  signal.throwIfAborted();
  return { embeddings, promptTokens: counts.reduce((sum, count) => sum + count, 0) };
}

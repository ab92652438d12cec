/**
 * Raw completions (Ollama's `/api/generate` with `raw: true`): the request's prompt is evaluated as is,
 * without the chat template, and the model continues the text. node-llama-cpp's `LlamaCompletion` generates
 * on the acquired sequence; limits, events, usage and timings are those of a chat (runner-process/chat.ts).
 */
import {
  LlamaCompletion,
  LlamaVocabularyType,
  type LlamaCompletionGenerationOptions,
  type LlamaModel,
  type Token,
} from "node-llama-cpp";
import type { ChatRequest } from "../../contract.js";
import { ChaiboxError } from "../../../errors.js";
import type { ChatEnvironment, EmitEvent } from "./chat-environment.js";
import { GenerationClock, generateValidated, generationLimit } from "./generation.js";
import { createSchemaGrammar, getJsonGrammar, jsonTextAcceptor } from "./json-output.js";
import { promptUsage } from "./prompt-usage.js";
import { seedForAttempt, toSamplingSettings } from "./sampling.js";
import type { SequenceLease } from "./sequence-slots.js";

/**
 * Whether LlamaCompletion puts a beginning-of-sequence token before the prompt: its rule (node-llama-cpp's
 * `resolveBeginningTokenToPrepend`, after llama.cpp's tokenizer), repeated here because that token counts
 * against the context and the rule is not exported.
 */
function prependsBos(model: LlamaModel): boolean {
  const type = model.vocabularyType;
  if (type === LlamaVocabularyType.rwkv || type === LlamaVocabularyType.ugm) return false;
  if (type === LlamaVocabularyType.wpm) return model.tokens.bos !== null;
  return model.tokens.shouldPrependBosToken && model.tokens.bos !== null;
}

/** Refuses what a raw prompt cannot be combined with: it has no turns, so no messages and no tools. */
function checkRawRequest(request: ChatRequest): void {
  const refuse = (param: string, what: string): never => {
    throw new ChaiboxError("invalid_request", `${what} cannot be combined with a raw prompt`, { param });
  };
  if (request.messages.length > 0) refuse("messages", "messages");
  if ((request.tools?.length ?? 0) > 0) refuse("tools", "tools");
  const choice = request.toolChoice?.type;
  if (choice === "required" || choice === "function") refuse("tool_choice", `tool_choice "${choice}"`);
}

/**
 * Runs one raw completion on `sequence` and emits its events: text deltas (the whole text at once for a
 * `json_schema` format, once validated), then `done` with finish reason `length` at maxTokens, else `stop`.
 * Special-token text in the prompt is read as those tokens, as llama.cpp's server reads a raw prompt.
 * Throws `invalid_request` for messages or tools next to it, `context_length_exceeded` (param `prompt`)
 * when the prompt leaves no room to generate, or the signal's reason when aborted. The sequence comes from
 * `lease` (the one with the longest cached prefix); the caller releases it.
 */
export async function runCompletion(
  env: ChatEnvironment,
  lease: SequenceLease,
  request: ChatRequest,
  signal: AbortSignal,
  emit: EmitEvent,
): Promise<void> {
  checkRawRequest(request);
  const { model } = env;
  const tokens: Token[] = model.tokenize(request.rawPrompt ?? "", true);
  const promptTokens = tokens.length + (prependsBos(model) ? 1 : 0);
  if (promptTokens === 0) throw new ChaiboxError("invalid_request", "the raw prompt is empty", { param: "prompt" });
  const maxTokens = generationLimit(promptTokens, lease.contextSize, request.sampling.maxTokens, "prompt");
  const settings = toSamplingSettings(model, request.sampling);
  const format = request.responseFormat ?? { type: "text" };

  const bos = prependsBos(model) && model.tokens.bos !== null ? [model.tokens.bos] : [];
  const sequence = await lease.acquire([...bos, ...tokens]);
  const completion = new LlamaCompletion({ contextSequence: sequence });
  try {
    const meterStart = sequence.tokenMeter.getState();
    const usage = () => promptUsage(promptTokens, lease.cachedTokens, sequence.tokenMeter.diff(meterStart));
    const options = (clock: GenerationClock, attempt = 0): LlamaCompletionGenerationOptions => ({
      ...settings,
      seed: seedForAttempt(settings.seed, attempt),
      maxTokens,
      signal,
      onToken: clock.token,
      // LlamaCompletion keeps at most contextSize - contextShiftSize prompt tokens (default 10 % less),
      // dropping the start silently; the limit above already guarantees the prompt and the output fit.
      contextShiftSize: 1,
    });

    if (format.type === "json_schema") {
      const accept = jsonTextAcceptor(format.schema, "response_format");
      const grammar = await createSchemaGrammar(env.llama, format.schema, "response_format");
      const clock = new GenerationClock();
      const generate = async (attempt: number, budget: number) => {
        const response = await completion.generateCompletionWithMeta(tokens, { ...options(clock, attempt), maxTokens: budget, grammar });
        return { text: response.response, reachedMaxTokens: response.metadata.stopReason === "maxTokens" };
      };
      const spent = () => sequence.tokenMeter.diff(meterStart).usedOutputTokens;
      const result = await generateValidated({ temperature: settings.temperature, maxTokens, spent }, generate, accept, "JSON output");
      // Cut by the token limit: the reply as it stood, finish reason `length` (never an error).
      const text = result.ok ? result.value : result.text;
      if (text !== "") emit({ type: "text", text });
      emit({ type: "done", finishReason: result.ok ? "stop" : "length", usage: usage(), timings: clock.timings() });
      return;
    }

    const grammar = format.type === "json_object" ? await getJsonGrammar(env.llama) : undefined;
    const clock = new GenerationClock();
    const response = await completion.generateCompletionWithMeta(tokens, {
      ...options(clock),
      grammar,
      onTextChunk: (text) => {
        if (text !== "") emit({ type: "text", text });
      },
    });
    const finishReason = response.metadata.stopReason === "maxTokens" ? "length" : "stop";
    emit({ type: "done", finishReason, usage: usage(), timings: clock.timings() });
  } finally {
    completion.dispose({ disposeSequence: false });
  }
}

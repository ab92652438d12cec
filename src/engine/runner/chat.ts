/**
 * One chat on one context sequence: a contract {@link ChatRequest} in, {@link ChatEvent}s out. Uses the
 * lower-level `LlamaChat` rather than a chat session, so that function calls come back to the client instead
 * of being executed.
 */
import {
  LlamaChat,
  type ChatHistoryItem,
  type ChatWrapper,
  type ChatModelFunctions,
  type LLamaChatGenerateResponseOptions,
  type Llama,
  type LlamaContextSequence,
  type LlamaGrammar,
  type LlamaModel,
} from "node-llama-cpp";
import type { ChatEvent, ChatRequest, FinishReason, ToolCall, Usage } from "../contract.js";
import { ChaiboxError } from "../../errors.js";
import { toChatHistory, withInstruction } from "./history.js";
import { compileJsonCheck, createSchemaGrammar, getJsonGrammar, parseChecked, type JsonCheck } from "./json-output.js";
import { seedForAttempt, toSamplingSettings, type SamplingSettings } from "./sampling.js";
import {
  forcedCallGrammarSchema,
  forcedCallInstruction,
  parseForcedCall,
  resolveToolMode,
  toChatFunctions,
  toToolCall,
} from "./tools.js";

/** What a chat needs from the loaded model. */
export interface ChatEnvironment {
  llama: Llama;
  model: LlamaModel;
  /** Resolved once per model: resolving it per chat renders the model's template repeatedly (~0.4 s). */
  chatWrapper: ChatWrapper;
}

/** Receives a chat's events in order. */
export type EmitEvent = (event: ChatEvent) => void;

/**
 * Tries at a validated output (JSON schema, forced tool call): the first plus 2 retries with other seeds.
 * Greedy sampling (temperature 0) gets one try, since a retry would produce the same output.
 */
export const VALIDATED_OUTPUT_ATTEMPTS = 3;

/** The options every generation of a request shares; grammar and functions are added per strategy. */
type CommonOptions = Pick<
  LLamaChatGenerateResponseOptions,
  "temperature" | "topP" | "seed" | "customStopTriggers" | "repeatPenalty" | "tokenBias" | "maxTokens" | "signal"
>;

/** The settled plan of a generation: the history as rendered, its size and the generation limits. */
interface Plan {
  history: ChatHistoryItem[];
  functions: ChatModelFunctions | undefined;
  promptTokens: number;
  maxTokens: number;
  settings: SamplingSettings;
  signal: AbortSignal;
}

/**
 * Counts the prompt as the chat wrapper renders it and settles the token limit: the request's maxTokens,
 * capped to what is left of the sequence's context after the prompt. Throws `context_length_exceeded`
 * when not even one generated token fits, because otherwise node-llama-cpp would silently drop history.
 */
function plan(
  chat: LlamaChat,
  model: LlamaModel,
  history: ChatHistoryItem[],
  functions: ChatModelFunctions | undefined,
  request: ChatRequest,
  signal: AbortSignal,
): Plan {
  const { contextText } = chat.chatWrapper.generateContextState({
    chatHistory: history,
    availableFunctions: functions,
    documentFunctionParams: true,
  });
  const promptTokens = contextText.tokenize(model.tokenizer).length;
  const contextSize = chat.sequence.contextSize;
  // llama.cpp keeps one cell free and LlamaChat shifts the context once the sequence reaches its last
  // cell, so a generation fits while prompt + generated tokens stay below contextSize - 1.
  const room = contextSize - promptTokens - 1;
  if (room < 1) {
    throw new ChaiboxError(
      "context_length_exceeded",
      `the prompt takes ${promptTokens} tokens and leaves no room to generate in a context of ${contextSize} tokens`,
      { param: "messages", promptTokens, contextSize },
    );
  }
  const requested = request.sampling.maxTokens;
  const maxTokens = Math.max(1, Math.min(requested ?? room, room));
  return { history, functions, promptTokens, maxTokens, settings: toSamplingSettings(model, request.sampling), signal };
}

function baseOptions(p: Plan, attempt = 0): CommonOptions {
  return { ...p.settings, seed: seedForAttempt(p.settings.seed, attempt), maxTokens: p.maxTokens, signal: p.signal };
}

/** Free text (optionally under the JSON grammar, optionally with callable functions), streamed as generated. */
async function streamText(
  chat: LlamaChat,
  p: Plan,
  grammar: LlamaGrammar | undefined,
  emit: EmitEvent,
  toCall: (name: string, params: unknown) => ToolCall,
): Promise<FinishReason> {
  const onTextChunk = (text: string): void => {
    if (text !== "") emit({ type: "text", text });
  };
  if (p.functions === undefined) {
    const response = await chat.generateResponse(p.history, { ...baseOptions(p), grammar, onTextChunk });
    return response.metadata.stopReason === "maxTokens" ? "length" : "stop";
  }
  const response = await chat.generateResponse<ChatModelFunctions>(p.history, {
    ...baseOptions(p),
    functions: p.functions,
    documentFunctionParams: true,
    onTextChunk,
  });
  const calls = response.functionCalls ?? [];
  if (calls.length > 0) {
    emit({ type: "tool_calls", calls: calls.map((call) => toCall(call.functionName, call.params)) });
    return "tool_calls";
  }
  return response.metadata.stopReason === "maxTokens" ? "length" : "stop";
}

/**
 * Generates under a grammar and accepts the output only when `accept` does, retrying with other seeds. The
 * output is buffered: nothing reaches the client until it is known to be valid.
 */
async function generateValidated<T>(
  chat: LlamaChat,
  p: Plan,
  grammar: LlamaGrammar,
  accept: (text: string) => { ok: true; value: T } | { ok: false; reason: string },
  what: string,
): Promise<T> {
  const attempts = p.settings.temperature === 0 ? 1 : VALIDATED_OUTPUT_ATTEMPTS;
  let reason = "";
  for (let attempt = 0; attempt < attempts; attempt++) {
    const response = await chat.generateResponse(p.history, { ...baseOptions(p, attempt), grammar });
    const result = accept(response.response.trim());
    if (result.ok) return result.value;
    reason =
      response.metadata.stopReason === "maxTokens"
        ? `the output reached the token limit (${p.maxTokens}) before it was complete`
        : result.reason;
  }
  const message = `the model's ${what} is invalid after ${attempts} attempt(s): ${reason}`;
  throw new ChaiboxError("invalid_model_output", message, { attempts, reason });
}

/**
 * Runs one chat on `sequence` and emits its events: text deltas, at most one `tool_calls`, then `done`.
 * Throws a {@link ChaiboxError} on a request the model cannot serve, or the signal's reason when aborted.
 * The caller owns the sequence (and disposes it).
 */
export async function runChat(
  env: ChatEnvironment,
  sequence: LlamaContextSequence,
  request: ChatRequest,
  signal: AbortSignal,
  emit: EmitEvent,
): Promise<void> {
  const toolMode = resolveToolMode(request);
  const format = request.responseFormat ?? { type: "text" };
  if (toolMode.kind === "auto" && format.type !== "text") {
    const message = "response_format cannot be combined with callable tools (tool_choice auto)";
    throw new ChaiboxError("unsupported_parameter", message, { param: "response_format" });
  }
  let history = toChatHistory(request.messages);
  if (toolMode.kind === "forced") history = withInstruction(history, forcedCallInstruction(toolMode.tools));
  const functions = toolMode.kind === "auto" ? toChatFunctions(toolMode.tools) : undefined;

  const chat = new LlamaChat({ contextSequence: sequence, chatWrapper: env.chatWrapper });
  try {
    const meterStart = sequence.tokenMeter.getState();
    const p = plan(chat, env.model, history, functions, request, signal);
    // Tokens the model sampled, over all attempts: the work the request cost.
    const usage = (): Usage => ({
      promptTokens: p.promptTokens,
      completionTokens: sequence.tokenMeter.diff(meterStart).usedOutputTokens,
    });

    if (toolMode.kind === "forced") {
      const grammar = await createSchemaGrammar(env.llama, forcedCallGrammarSchema(toolMode.tools), "tools");
      const call = await generateValidated(chat, p, grammar, (text) => {
        const parsed = parseForcedCall(text, toolMode.tools);
        return parsed.ok ? { ok: true, value: parsed.call } : parsed;
      }, "tool call");
      emit({ type: "tool_calls", calls: [call] });
      emit({ type: "done", finishReason: "tool_calls", usage: usage() });
      return;
    }

    if (format.type === "json_schema") {
      const check: JsonCheck = compileJsonCheck(format.schema, "response_format");
      const grammar = await createSchemaGrammar(env.llama, format.schema, "response_format");
      const text = await generateValidated(chat, p, grammar, (output) => {
        const parsed = parseChecked(output, check);
        return parsed.ok ? { ok: true, value: output } : parsed;
      }, "JSON output");
      emit({ type: "text", text });
      emit({ type: "done", finishReason: "stop", usage: usage() });
      return;
    }

    const grammar = format.type === "json_object" ? await getJsonGrammar(env.llama) : undefined;
    const tools = toolMode.kind === "auto" ? toolMode.tools : [];
    const finishReason = await streamText(chat, p, grammar, emit, (name, params) => toToolCall(tools, name, params));
    emit({ type: "done", finishReason, usage: usage() });
  } finally {
    chat.dispose({ disposeSequence: false });
  }
}

/**
 * One chat on one context sequence: a contract {@link ChatRequest} in, {@link ChatEvent}s out. Uses the
 * lower-level `LlamaChat` rather than a chat session, so that function calls come back to the client instead
 * of being executed. A raw prompt (no chat template) goes to runner-process/completion.ts instead.
 */
import {
  LlamaChat,
  type ChatHistoryItem,
  type ChatWrapper,
  type ChatModelFunctions,
  type LLamaChatGenerateResponseOptions,
  type LlamaChatResponseChunk,
  type LlamaGrammar,
  type LlamaModel,
  type Token,
} from "node-llama-cpp";
import type { ChatRequest, FinishReason, ToolCall, Usage } from "../../contract.js";
import { ChaiboxError } from "../../../errors.js";
import type { ChatEnvironment, EmitEvent } from "./chat-environment.js";
import { runCompletion } from "./completion.js";
import { GenerationClock, generateValidated, generationLimit, type Acceptance, type Validated } from "./generation.js";
import { toChatHistory, withInstruction, withoutOldestTurn } from "./history.js";
import { createSchemaGrammar, getJsonGrammar, jsonTextAcceptor } from "./json-output.js";
import { promptUsage } from "./prompt-usage.js";
import { seedForAttempt, toSamplingSettings, type SamplingSettings } from "./sampling.js";
import type { SequenceLease } from "./sequence-slots.js";
import {
  forcedCallGrammarSchema,
  forcedCallInstruction,
  parseForcedCall,
  resolveToolMode,
  toChatFunctions,
  toToolCall,
} from "./tools.js";


/** The options every generation of a request shares; grammar, functions and callbacks are added per strategy. */
type CommonOptions = Pick<
  LLamaChatGenerateResponseOptions,
  "temperature" | "topK" | "topP" | "seed" | "customStopTriggers" | "repeatPenalty" | "tokenBias" | "maxTokens" | "signal" | "budgets" | "onResponseChunk"
>;

/** The settled plan of a generation: the history as rendered, its tokens and the generation limits. */
interface Plan {
  history: ChatHistoryItem[];
  functions: ChatModelFunctions | undefined;
  /** The prompt as the chat wrapper renders it: what picks the sequence with the longest cached prefix. */
  tokens: Token[];
  promptTokens: number;
  maxTokens: number;
  settings: SamplingSettings;
  /** `think: false`: no thought tokens at all. */
  skipThinking: boolean;
  signal: AbortSignal;
}

/**
 * Counts the prompt as the chat wrapper renders it and settles the token limit: the request's maxTokens,
 * capped to what is left of the sequence's context after the prompt (`context_length_exceeded` when nothing
 * is left, see {@link generationLimit}).
 */
function plan(
  chatWrapper: ChatWrapper,
  contextSize: number,
  model: LlamaModel,
  history: ChatHistoryItem[],
  functions: ChatModelFunctions | undefined,
  request: ChatRequest,
  signal: AbortSignal,
): Plan {
  const render = (items: ChatHistoryItem[]): Token[] => {
    const { contextText } = chatWrapper.generateContextState({ chatHistory: items, availableFunctions: functions, documentFunctionParams: true });
    return contextText.tokenize(model.tokenizer);
  };
  let tokens = render(history);
  let promptTokens = tokens.length;
  if (request.truncateHistory) {
    // Room to answer: what the request asks for, at most a quarter of the context.
    const reserve = Math.max(1, Math.min(request.sampling.maxTokens ?? Infinity, Math.floor(contextSize / 4)));
    for (let shorter = withoutOldestTurn(history); shorter && contextSize - promptTokens - 1 < reserve; shorter = withoutOldestTurn(history)) {
      history = shorter;
      tokens = render(history);
      promptTokens = tokens.length;
    }
  }
  const maxTokens = generationLimit(promptTokens, contextSize, request.sampling.maxTokens, "messages");
  const settings = toSamplingSettings(model, request.sampling);
  return { history, functions, tokens, promptTokens, maxTokens, settings, skipThinking: request.think === false, signal };
}

/** The generation options of one attempt; `emit` (when streaming) receives the thoughts. */
function baseOptions(p: Plan, clock: GenerationClock, attempt = 0, emit?: EmitEvent): CommonOptions {
  return {
    ...p.settings,
    seed: seedForAttempt(p.settings.seed, attempt),
    maxTokens: p.maxTokens,
    signal: p.signal,
    onResponseChunk: responseChunkHandler(clock, emit),
    ...(p.skipThinking && { budgets: { thoughtTokens: 0 } }),
  };
}

/**
 * Handles every chunk a generation streams, thoughts included (`onTextChunk` and `onToken` see the answer
 * only): marks the first token on `clock` and, given `emit`, sends thought segments as `reasoning` events.
 * Other segments (comments) are not sent.
 */
export function responseChunkHandler(clock: Pick<GenerationClock, "token">, emit?: EmitEvent): (chunk: LlamaChatResponseChunk) => void {
  return (chunk) => {
    if (chunk.tokens.length > 0) clock.token();
    if (emit && chunk.type === "segment" && chunk.segmentType === "thought" && chunk.text !== "") {
      emit({ type: "reasoning", text: chunk.text });
    }
  };
}

/** Free text (optionally under the JSON grammar, optionally with callable functions), streamed as generated. */
async function streamText(
  chat: LlamaChat,
  p: Plan,
  clock: GenerationClock,
  grammar: LlamaGrammar | undefined,
  emit: EmitEvent,
  toCall: (name: string, params: unknown) => ToolCall,
): Promise<FinishReason> {
  const onTextChunk = (text: string): void => {
    if (text !== "") emit({ type: "text", text });
  };
  const streaming = { ...baseOptions(p, clock, 0, emit), onTextChunk };
  if (p.functions === undefined) {
    const response = await chat.generateResponse(p.history, { ...streaming, grammar });
    return response.metadata.stopReason === "maxTokens" ? "length" : "stop";
  }
  const response = await chat.generateResponse<ChatModelFunctions>(p.history, {
    ...streaming,
    functions: p.functions,
    documentFunctionParams: true,
    // A call's tokens reach no onResponseChunk: they are the first tokens of a reply that starts with a call.
    onFunctionCallParamsChunk: clock.token,
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
function validatedChat<T>(
  chat: LlamaChat,
  p: Plan,
  clock: GenerationClock,
  grammar: LlamaGrammar,
  accept: (text: string) => Acceptance<T>,
  what: string,
  spent: () => number,
): Promise<Validated<T>> {
  const generate = async (attempt: number, maxTokens: number) => {
    const response = await chat.generateResponse(p.history, { ...baseOptions(p, clock, attempt), maxTokens, grammar });
    return { text: response.response, reachedMaxTokens: response.metadata.stopReason === "maxTokens" };
  };
  return generateValidated({ temperature: p.settings.temperature, maxTokens: p.maxTokens, spent }, generate, accept, what);
}

/**
 * Runs one chat on a sequence of `lease` and emits its events: reasoning and text deltas, at most one
 * `tool_calls`, then `done` with the usage (cached prompt tokens included) and timings. The sequence is
 * acquired once the prompt is rendered, so that the one with the longest cached prefix serves it. A request
 * with a raw prompt is run as a completion instead. Throws a {@link ChaiboxError} on a request the model
 * cannot serve, or the signal's reason when aborted. The caller releases the lease.
 */
export async function runChat(
  env: ChatEnvironment,
  lease: SequenceLease,
  request: ChatRequest,
  signal: AbortSignal,
  emit: EmitEvent,
): Promise<void> {
  if (request.rawPrompt !== undefined) return runCompletion(env, lease, request, signal, emit);
  const toolMode = resolveToolMode(request);
  const format = request.responseFormat ?? { type: "text" };
  if (toolMode.kind === "auto" && format.type !== "text") {
    const message = "response_format cannot be combined with callable tools (tool_choice auto)";
    throw new ChaiboxError("unsupported_parameter", message, { param: "response_format" });
  }
  let history = toChatHistory(request.messages);
  if (toolMode.kind === "forced") history = withInstruction(history, forcedCallInstruction(toolMode.tools));
  const functions = toolMode.kind === "auto" ? toChatFunctions(toolMode.tools) : undefined;

  const p = plan(env.chatWrapper, lease.contextSize, env.model, history, functions, request, signal);
  const sequence = await lease.acquire(p.tokens);
  const chat = new LlamaChat({ contextSequence: sequence, chatWrapper: env.chatWrapper });
  try {
    const meterStart = sequence.tokenMeter.getState();
    // Tokens the model sampled, over all attempts: the work the request cost.
    const spent = (): number => sequence.tokenMeter.diff(meterStart).usedOutputTokens;
    const usage = (): Usage => promptUsage(p.promptTokens, lease.cachedTokens, sequence.tokenMeter.diff(meterStart));
    // A constrained reply the token limit cut is answered as it stood, with finish reason `length`.
    const cutAtLength = (text: string, clock: GenerationClock): void => {
      if (text !== "") emit({ type: "text", text });
      emit({ type: "done", finishReason: "length", usage: usage(), timings: clock.timings() });
    };

    if (toolMode.kind === "forced") {
      const grammar = await createSchemaGrammar(env.llama, forcedCallGrammarSchema(toolMode.tools), "tools");
      const clock = new GenerationClock();
      const call = await validatedChat(chat, p, clock, grammar, (text) => {
        const parsed = parseForcedCall(text, toolMode.tools);
        return parsed.ok ? { ok: true, value: parsed.call } : parsed;
      }, "tool call", spent);
      if (!call.ok) return cutAtLength(call.text, clock);
      emit({ type: "tool_calls", calls: [call.value] });
      emit({ type: "done", finishReason: "tool_calls", usage: usage(), timings: clock.timings() });
      return;
    }

    // json_object is json_schema with the empty schema: one whole JSON value, invalid_model_output, or, when the
    // token limit cut it off, the text so far with finish reason "length" (docs/chai-v1.md §3-5).
    if (format.type === "json_schema" || format.type === "json_object") {
      const schema = format.type === "json_schema" ? format.schema : {};
      const accept = jsonTextAcceptor(schema, "response_format");
      const grammar = format.type === "json_schema" ? await createSchemaGrammar(env.llama, schema, "response_format") : await getJsonGrammar(env.llama);
      const clock = new GenerationClock();
      const text = await validatedChat(chat, p, clock, grammar, accept, "JSON output", spent);
      if (!text.ok) return cutAtLength(text.text, clock);
      emit({ type: "text", text: text.value });
      emit({ type: "done", finishReason: "stop", usage: usage(), timings: clock.timings() });
      return;
    }

    const tools = toolMode.kind === "auto" ? toolMode.tools : [];
    const clock = new GenerationClock();
    const finishReason = await streamText(chat, p, clock, undefined, emit, (name, params) => toToolCall(tools, name, params));
    emit({ type: "done", finishReason, usage: usage(), timings: clock.timings() });
  } finally {
    chat.dispose({ disposeSequence: false });
  }
}

/**
 * Pure mapping between OpenAI Chat Completions and the inference contract. No I/O: the route feeds it the
 * parsed body and the engine's events, and writes what it returns.
 */
import { randomBytes } from "node:crypto";
import { NO_REPEAT_PENALTY, type ChatMessage, type ChatRequest, type FinishReason, type ResponseFormat, type ToolCall, type ToolChoice, type Usage } from "../../engine/contract.js";
import { ChaiboxError } from "../../errors.js";
import type { ChatCompletionBody, ChatCompletionMessage } from "./chat-schema.js";

function unsupported(param: string, message: string): ChaiboxError {
  return new ChaiboxError("unsupported_parameter", message, { param });
}

function invalid(param: string, message: string): ChaiboxError {
  return new ChaiboxError("invalid_request", message, { param });
}

/** Refuses OpenAI parameters whose requested effect chaibox does not provide, rather than ignoring them. */
function refuseUnserved(body: ChatCompletionBody): void {
  if (body.n != null && body.n !== 1) throw unsupported("n", "Only n=1 is supported: send one request per completion.");
  if (body.logprobs === true) throw unsupported("logprobs", "logprobs are not supported by this server.");
  if (body.top_logprobs != null && body.top_logprobs > 0) throw unsupported("top_logprobs", "top_logprobs are not supported by this server.");
  if (body.modalities != null && body.modalities.some((m) => m !== "text")) {
    throw unsupported("modalities", "Only the text output modality is supported.");
  }
  for (const key of ["audio", "prediction", "reasoning_effort", "verbosity", "web_search_options"] as const) {
    if (body[key] !== undefined && body[key] !== null) throw unsupported(key, `'${key}' is not supported by this server.`);
  }
  if (body.functions !== undefined || body.function_call !== undefined) {
    const param = body.functions !== undefined ? "functions" : "function_call";
    throw unsupported(param, "The deprecated 'functions' API is not supported: use 'tools' and 'tool_choice'.");
  }
}

function textOf(message: ChatCompletionMessage, index: number): string {
  const content = message.content;
  if (content === undefined || content === null) return "";
  if (typeof content === "string") return content;
  return content
    .map((part, p) => {
      if (part.type === "text" && "text" in part && typeof part.text === "string") return part.text;
      throw unsupported(`messages[${index}].content[${p}].type`, `Content parts of type '${part.type}' are not supported by this model; send text.`);
    })
    .join("");
}

function mapMessage(message: ChatCompletionMessage, index: number): ChatMessage {
  const content = textOf(message, index);
  switch (message.role) {
    case "system":
    case "developer":
      return { role: "system", content };
    case "user":
      return { role: "user", content };
    case "assistant": {
      const toolCalls = message.tool_calls?.map((c) => ({ id: c.id, name: c.function.name, arguments: c.function.arguments }));
      return toolCalls && toolCalls.length > 0 ? { role: "assistant", content, toolCalls } : { role: "assistant", content };
    }
    case "tool":
      if (!message.tool_call_id) throw invalid(`messages[${index}].tool_call_id`, "A message with role 'tool' needs a 'tool_call_id'.");
      return { role: "tool", toolCallId: message.tool_call_id, content };
  }
}

/** Checks that every tool result answers a call made earlier in the conversation. */
function checkToolResults(messages: ChatMessage[]): void {
  const called = new Set<string>();
  messages.forEach((m, i) => {
    if (m.role === "assistant") m.toolCalls?.forEach((c) => called.add(c.id));
    if (m.role === "tool" && !called.has(m.toolCallId)) {
      throw invalid(`messages[${i}].tool_call_id`, `No assistant message before it made a tool call with id '${m.toolCallId}'.`);
    }
  });
}

function mapToolChoice(body: ChatCompletionBody): ToolChoice | undefined {
  const choice = body.tool_choice;
  if (choice === undefined) return undefined;
  const tools = body.tools ?? [];
  if (typeof choice === "string") {
    if (choice !== "none" && tools.length === 0) throw invalid("tool_choice", `tool_choice '${choice}' needs at least one tool in 'tools'.`);
    return { type: choice };
  }
  if (!tools.some((t) => t.function.name === choice.function.name)) {
    throw invalid("tool_choice", `tool_choice names '${choice.function.name}', which is not in 'tools'.`);
  }
  return { type: "function", name: choice.function.name };
}

function mapResponseFormat(body: ChatCompletionBody): ResponseFormat | undefined {
  const format = body.response_format;
  if (!format || format.type === "text") return format;
  if (format.type === "json_object") return format;
  const schema = format.json_schema.schema;
  if (!schema) throw invalid("response_format.json_schema.schema", "A json_schema response format needs a 'schema'.");
  return { type: "json_schema", name: format.json_schema.name, schema, strict: format.json_schema.strict ?? false };
}

/** OpenAI request → the inference contract. Throws `invalid_request`/`unsupported_parameter` naming the param. */
export function toChatRequest(body: ChatCompletionBody): ChatRequest {
  refuseUnserved(body);
  const messages = body.messages.map(mapMessage);
  checkToolResults(messages);
  const maxTokens = body.max_completion_tokens ?? body.max_tokens ?? undefined;
  const stop = typeof body.stop === "string" ? [body.stop] : (body.stop ?? undefined);
  const request: ChatRequest = {
    messages,
    sampling: {
      repeatPenalty: NO_REPEAT_PENALTY,
      ...(maxTokens !== undefined && { maxTokens }),
      ...(body.temperature != null && { temperature: body.temperature }),
      ...(body.top_p != null && { topP: body.top_p }),
      ...(body.seed != null && { seed: body.seed }),
      ...(stop && stop.length > 0 && { stop }),
      ...(body.presence_penalty != null && { presencePenalty: body.presence_penalty }),
      ...(body.frequency_penalty != null && { frequencyPenalty: body.frequency_penalty }),
      ...(body.logit_bias != null && { tokenBias: body.logit_bias }),
    },
  };
  if (body.tools && body.tools.length > 0) {
    request.tools = body.tools.map((t) => ({
      name: t.function.name,
      ...(t.function.description !== undefined && { description: t.function.description }),
      ...(t.function.parameters !== undefined && { parameters: t.function.parameters }),
    }));
  }
  const toolChoice = mapToolChoice(body);
  if (toolChoice) request.toolChoice = toolChoice;
  const responseFormat = mapResponseFormat(body);
  if (responseFormat) request.responseFormat = responseFormat;
  return request;
}

export function completionId(): string {
  return `chatcmpl-${randomBytes(12).toString("base64url")}`;
}

export function usageOf(usage: Usage) {
  return {
    prompt_tokens: usage.promptTokens,
    completion_tokens: usage.completionTokens,
    total_tokens: usage.promptTokens + usage.completionTokens,
    // Prompt tokens the prompt cache already held (OpenAI's field for its own prompt caching).
    prompt_tokens_details: { cached_tokens: usage.cachedPromptTokens ?? 0 },
  };
}

function wireToolCalls(calls: ToolCall[]) {
  return calls.map((c) => ({ id: c.id, type: "function" as const, function: { name: c.name, arguments: c.arguments } }));
}

/** Identifies a completion on the wire; every chunk of a stream carries the same one. */
export interface CompletionMeta {
  id: string;
  created: number;
  model: string;
}

export interface CompletionResult {
  text: string;
  toolCalls: ToolCall[];
  finishReason: FinishReason;
  usage: Usage;
}

/** The non-streaming `chat.completion` object. */
export function completionObject(meta: CompletionMeta, result: CompletionResult) {
  const hasCalls = result.toolCalls.length > 0;
  return {
    id: meta.id,
    object: "chat.completion" as const,
    created: meta.created,
    model: meta.model,
    choices: [
      {
        index: 0,
        message: {
          role: "assistant" as const,
          content: hasCalls && result.text === "" ? null : result.text,
          refusal: null,
          ...(hasCalls && { tool_calls: wireToolCalls(result.toolCalls) }),
        },
        logprobs: null,
        finish_reason: result.finishReason,
      },
    ],
    usage: usageOf(result.usage),
    system_fingerprint: null,
  };
}

type Delta = { role?: "assistant"; content?: string; tool_calls?: ReturnType<typeof wireToolCalls> extends (infer C)[] ? (C & { index: number })[] : never };

/** One `chat.completion.chunk`. With include_usage every chunk carries `usage: null` until the last one. */
export function chunkObject(meta: CompletionMeta, delta: Delta, finishReason: FinishReason | null, includeUsage: boolean) {
  return {
    id: meta.id,
    object: "chat.completion.chunk" as const,
    created: meta.created,
    model: meta.model,
    system_fingerprint: null,
    choices: [{ index: 0, delta, logprobs: null, finish_reason: finishReason }],
    ...(includeUsage && { usage: null }),
  };
}

export function toolCallsDelta(calls: ToolCall[]): Delta {
  return { tool_calls: wireToolCalls(calls).map((c, index) => ({ ...c, index })) };
}

/** The closing usage chunk of a stream with `stream_options.include_usage`: no choices, only usage. */
export function usageChunkObject(meta: CompletionMeta, usage: Usage) {
  return { id: meta.id, object: "chat.completion.chunk" as const, created: meta.created, model: meta.model, system_fingerprint: null, choices: [], usage: usageOf(usage) };
}

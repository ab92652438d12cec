/**
 * Pure mapping between OpenAI's Responses API and the inference contract: a request plus the stored
 * conversation it continues become a {@link ChatRequest}; a generation's result becomes output items and the
 * `response` object. No I/O: the route looks up the prior conversation and writes what these return. The
 * stream's event sequencing lives in responses-stream.ts.
 */
import { randomBytes } from "node:crypto";
import { Value } from "@sinclair/typebox/value";
import type { TSchema, Static } from "@sinclair/typebox";
import { NO_REPEAT_PENALTY, type ChatMessage, type ChatRequest, type ResponseFormat, type ToolCall, type ToolChoice, type Usage } from "../../engine/contract.js";
import { ChaiboxError } from "../../errors.js";
import { paramFromPointer } from "../errors.js";
import { FunctionCallItem, FunctionCallOutputItem, MessageItem, type ResponseCreateBody } from "./responses-schema.js";

function unsupported(param: string, message: string): ChaiboxError {
  return new ChaiboxError("unsupported_parameter", message, { param });
}

function invalid(param: string, message: string): ChaiboxError {
  return new ChaiboxError("invalid_request", message, { param });
}

/** OpenAI-shaped ids: a prefix and 48 hex digits. Tool call ids (`call_…`) come from the runner. */
function newId(prefix: "resp" | "msg" | "fc"): string {
  return `${prefix}_${randomBytes(24).toString("hex")}`;
}

export const responseId = (): string => newId("resp");
export const messageItemId = (): string => newId("msg");
export const functionCallItemId = (): string => newId("fc");

/** Refuses Responses parameters whose requested effect chaibox does not provide, rather than ignoring them. */
export function refuseUnserved(body: ResponseCreateBody): void {
  if (body.background === true) throw unsupported("background", "Background responses are not supported by this server: send the request and wait, or stream it.");
  if (body.include != null && body.include.length > 0) {
    throw unsupported("include", `'include' values are not supported by this server (got '${body.include.join("', '")}').`);
  }
  if (body.top_logprobs != null && body.top_logprobs > 0) throw unsupported("top_logprobs", "top_logprobs are not supported by this server.");
  if (body.truncation === "auto") {
    throw unsupported("truncation", "truncation 'auto' is not supported: a conversation longer than the context is refused with context_length_exceeded.");
  }
  for (const key of ["reasoning", "conversation", "prompt", "context_management", "moderation"] as const) {
    const value = body[key];
    const empty = value === undefined || value === null || (typeof value === "object" && Object.values(value).every((v) => v == null));
    if (!empty) throw unsupported(key, `'${key}' is not supported by this server.`);
  }
  const verbosity = body.text?.verbosity;
  if (verbosity != null && verbosity !== "medium") throw unsupported("text.verbosity", "text.verbosity is not supported by this server.");
  body.tools?.forEach((tool, i) => {
    if (tool.type !== "function") {
      throw unsupported(`tools[${i}].type`, `Tools of type '${tool.type}' are not supported by this server; only 'function' tools are.`);
    }
    if (tool.name === undefined) throw invalid(`tools[${i}].name`, "A function tool needs a 'name'.");
  });
}

/** Checks one input item against its schema; the error names the field in the client's own terms. */
function checked<T extends TSchema>(schema: T, item: unknown, index: number): Static<T> {
  if (Value.Check(schema, item)) return item;
  const error = Value.Errors(schema, item).First();
  const param = paramFromPointer(`/input/${index}${error?.path ?? ""}`) ?? "input";
  throw invalid(param, `Invalid '${param}': ${(error?.message ?? "invalid value").toLowerCase()}.`);
}

/** Joins text parts; any other part type is refused naming it. */
function textOf(content: string | { type: string; text?: string | undefined }[], param: string): string {
  if (typeof content === "string") return content;
  return content
    .map((part, p) => {
      if ((part.type === "input_text" || part.type === "output_text") && typeof part.text === "string") return part.text;
      throw unsupported(`${param}[${p}].type`, `Content parts of type '${part.type}' are not supported by this model; send input_text.`);
    })
    .join("");
}

/** The call ids a `tool` message may answer next: those of the last assistant turn, if only results followed it. */
function openCallIds(conversation: readonly ChatMessage[]): Set<string> {
  const open = new Set<string>();
  for (const message of conversation) {
    if (message.role === "assistant") {
      open.clear();
      message.toolCalls?.forEach((c) => open.add(c.id));
    } else if (message.role !== "tool") open.clear();
  }
  return open;
}

/**
 * The conversation this request continues with: the stored one of `previous_response_id` (empty without
 * one) followed by the request's input items. Instructions are not part of it: as at OpenAI, they apply to
 * one response and are not carried over. Throws `invalid_request`/`unsupported_parameter` naming the item.
 */
export function toConversation(body: ResponseCreateBody, prior: readonly ChatMessage[]): ChatMessage[] {
  const conversation = [...prior];
  if (typeof body.input === "string") return [...conversation, { role: "user", content: body.input }];
  const open = openCallIds(conversation);
  body.input.forEach((item, i) => {
    const type = item.type ?? "message";
    if (type === "message") {
      const message = checked(MessageItem, item, i);
      const content = textOf(message.content, `input[${i}].content`);
      const role = message.role === "developer" ? "system" : message.role;
      conversation.push({ role, content });
      open.clear();
    } else if (type === "function_call") {
      const call = checked(FunctionCallItem, item, i);
      const toolCall: ToolCall = { id: call.call_id, name: call.name, arguments: call.arguments };
      const last = conversation.at(-1);
      // Calls of one turn arrive as consecutive items; they belong to one assistant message (a new object:
      // the prior conversation's messages are not ours to change).
      if (last?.role === "assistant") conversation[conversation.length - 1] = { ...last, toolCalls: [...(last.toolCalls ?? []), toolCall] };
      else {
        conversation.push({ role: "assistant", content: "", toolCalls: [toolCall] });
        open.clear();
      }
      open.add(call.call_id);
    } else if (type === "function_call_output") {
      const result = checked(FunctionCallOutputItem, item, i);
      if (!open.has(result.call_id)) {
        throw invalid(`input[${i}].call_id`, `No function_call with call_id '${result.call_id}' directly precedes this function_call_output.`);
      }
      conversation.push({ role: "tool", toolCallId: result.call_id, content: textOf(result.output, `input[${i}].output`) });
    } else {
      throw unsupported(`input[${i}].type`, `Input items of type '${type}' are not supported by this server; send message, function_call and function_call_output items.`);
    }
  });
  if (conversation.length === 0) throw invalid("input", "The input is empty: send at least one item.");
  return conversation;
}

function toolChoiceOf(body: ResponseCreateBody): ToolChoice | undefined {
  const choice = body.tool_choice;
  if (choice === undefined) return undefined;
  const names = (body.tools ?? []).map((t) => t.name);
  if (typeof choice === "string") {
    if (choice !== "none" && names.length === 0) throw invalid("tool_choice", `tool_choice '${choice}' needs at least one tool in 'tools'.`);
    return { type: choice };
  }
  if (choice.type !== "function") throw unsupported("tool_choice", `tool_choice of type '${choice.type}' is not supported; use auto, none, required or a function.`);
  if (choice.name === undefined || !names.includes(choice.name)) {
    throw invalid("tool_choice", `tool_choice names '${choice.name ?? ""}', which is not a function in 'tools'.`);
  }
  return { type: "function", name: choice.name };
}

function responseFormatOf(body: ResponseCreateBody): ResponseFormat | undefined {
  const format = body.text?.format;
  if (!format || format.type === "text") return undefined;
  if (format.type === "json_object") return { type: "json_object" };
  if (format.name === undefined) throw invalid("text.format.name", "A json_schema text format needs a 'name'.");
  if (!format.schema) throw invalid("text.format.schema", "A json_schema text format needs a 'schema'.");
  return { type: "json_schema", name: format.name, schema: format.schema, strict: format.strict ?? false };
}

/** Request + the conversation from {@link toConversation} → the inference contract. */
export function toChatRequest(body: ResponseCreateBody, conversation: ChatMessage[]): ChatRequest {
  const messages: ChatMessage[] = body.instructions ? [{ role: "system", content: body.instructions }, ...conversation] : conversation;
  const request: ChatRequest = {
    messages,
    sampling: {
      repeatPenalty: NO_REPEAT_PENALTY,
      ...(body.max_output_tokens != null && { maxTokens: body.max_output_tokens }),
      ...(body.temperature != null && { temperature: body.temperature }),
      ...(body.top_p != null && { topP: body.top_p }),
    },
  };
  const tools = body.tools ?? [];
  if (tools.length > 0) {
    request.tools = tools.map((t) => ({
      name: t.name ?? "",
      ...(t.description != null && { description: t.description }),
      ...(t.parameters != null && { parameters: t.parameters }),
    }));
  }
  const toolChoice = toolChoiceOf(body);
  if (toolChoice) request.toolChoice = toolChoice;
  const responseFormat = responseFormatOf(body);
  if (responseFormat) request.responseFormat = responseFormat;
  return request;
}

/** The conversation after this response: what it continued from plus the model's turn. */
export function conversationAfter(conversation: readonly ChatMessage[], text: string, toolCalls: readonly ToolCall[]): ChatMessage[] {
  const turn: ChatMessage = toolCalls.length > 0 ? { role: "assistant", content: text, toolCalls: [...toolCalls] } : { role: "assistant", content: text };
  return [...conversation, turn];
}

// --- The response object, as OpenAI shapes it (node_modules/openai/resources/responses/responses.d.ts). ---

export type ItemStatus = "in_progress" | "completed" | "incomplete";
export type ResponseStatus = "in_progress" | "completed" | "incomplete" | "failed";

export type OutputText = { type: "output_text"; text: string; annotations: never[]; logprobs: never[] };
export type MessageOutputItem = { id: string; type: "message"; status: ItemStatus; role: "assistant"; content: OutputText[] };
export type FunctionCallOutputItemWire = { id: string; type: "function_call"; status: ItemStatus; call_id: string; name: string; arguments: string };
export type OutputItem = MessageOutputItem | FunctionCallOutputItemWire;

export type ResponseUsage = {
  input_tokens: number;
  input_tokens_details: { cached_tokens: number; cache_write_tokens: number };
  output_tokens: number;
  output_tokens_details: { reasoning_tokens: number };
  total_tokens: number;
};

type WireToolChoice = "auto" | "none" | "required" | { type: "function"; name: string };
type WireTool = { type: "function"; name: string; description: string | null; parameters: Record<string, unknown> | null; strict: boolean };
type WireTextFormat =
  | { type: "text" }
  | { type: "json_object" }
  | { type: "json_schema"; name: string; schema: Record<string, unknown>; strict: boolean; description?: string };

/** The fields of a response that echo its request. */
export type ResponseEcho = {
  instructions: string | null;
  max_output_tokens: number | null;
  metadata: Record<string, string>;
  parallel_tool_calls: boolean;
  previous_response_id: string | null;
  store: boolean;
  temperature: number | null;
  text: { format: WireTextFormat };
  tool_choice: WireToolChoice;
  tools: WireTool[];
  top_p: number | null;
  user?: string;
};

export type ResponseObject = {
  id: string;
  object: "response";
  created_at: number;
  status: ResponseStatus;
  background: false;
  completed_at: number | null;
  error: ResponseError | null;
  incomplete_details: { reason: "max_output_tokens" } | null;
  model: string;
  output: OutputItem[];
  reasoning: { effort: null; summary: null };
  truncation: "disabled";
  usage: ResponseUsage | null;
} & ResponseEcho;

/** What identifies a response; every stream event's response snapshot shares it. */
export interface ResponseMeta {
  id: string;
  /** Unix seconds. */
  createdAt: number;
  model: string;
  echo: ResponseEcho;
}

function textFormatEcho(body: ResponseCreateBody): WireTextFormat {
  const format = body.text?.format;
  if (!format || format.type !== "json_schema") return { type: format?.type ?? "text" } as WireTextFormat;
  return {
    type: "json_schema",
    name: format.name ?? "",
    schema: format.schema ?? {},
    strict: format.strict ?? false,
    ...(format.description !== undefined && { description: format.description }),
  };
}

/** The request-derived fields, with OpenAI's defaults for what the request left out. */
export function responseEcho(body: ResponseCreateBody): ResponseEcho {
  const choice = body.tool_choice;
  return {
    instructions: body.instructions ?? null,
    max_output_tokens: body.max_output_tokens ?? null,
    metadata: body.metadata ?? {},
    parallel_tool_calls: body.parallel_tool_calls ?? true,
    previous_response_id: body.previous_response_id ?? null,
    store: body.store ?? true,
    temperature: body.temperature ?? null,
    text: { format: textFormatEcho(body) },
    tool_choice: choice === undefined ? "auto" : typeof choice === "string" ? choice : { type: "function", name: choice.name ?? "" },
    tools: (body.tools ?? []).map((t) => ({
      type: "function" as const,
      name: t.name ?? "",
      description: t.description ?? null,
      parameters: t.parameters ?? null,
      // Arguments are always checked against the schema, so every function behaves as strict.
      strict: t.strict ?? true,
    })),
    top_p: body.top_p ?? null,
    ...(body.user !== undefined && { user: body.user }),
  };
}

export function usageOf(usage: Usage): ResponseUsage {
  return {
    input_tokens: usage.promptTokens,
    input_tokens_details: { cached_tokens: usage.cachedPromptTokens ?? 0, cache_write_tokens: 0 },
    output_tokens: usage.completionTokens,
    output_tokens_details: { reasoning_tokens: 0 },
    total_tokens: usage.promptTokens + usage.completionTokens,
  };
}

export function outputText(text: string): OutputText {
  return { type: "output_text", text, annotations: [], logprobs: [] };
}

export function messageItem(id: string, status: ItemStatus, text: string | undefined): MessageOutputItem {
  return { id, type: "message", status, role: "assistant", content: text === undefined ? [] : [outputText(text)] };
}

export function functionCallItem(id: string, status: ItemStatus, call: ToolCall, args: string): FunctionCallOutputItemWire {
  return { id, type: "function_call", status, call_id: call.id, name: call.name, arguments: args };
}

/**
 * A failed response's `error`. OpenAI's codes are a closed set, so chaibox's own code travels in the stream's
 * `error` event and the response says only whose fault it was.
 */
export type ResponseError = { code: "server_error" | "invalid_prompt"; message: string };

/** The state of a response that changes while it is generated. */
export interface ResponseState {
  status: ResponseStatus;
  output: OutputItem[];
  usage: Usage | null;
  error?: ResponseError;
  /** Unix seconds; set once the response is completed. */
  completedAt?: number;
}

/** The `response` object, in OpenAI's field order. */
export function responseObject(meta: ResponseMeta, state: ResponseState): ResponseObject {
  const { instructions, max_output_tokens, metadata, parallel_tool_calls, previous_response_id, store, temperature, text, tool_choice, tools, top_p, user } = meta.echo;
  return {
    id: meta.id,
    object: "response",
    created_at: meta.createdAt,
    status: state.status,
    background: false,
    completed_at: state.completedAt ?? null,
    error: state.error ?? null,
    incomplete_details: state.status === "incomplete" ? { reason: "max_output_tokens" } : null,
    instructions,
    max_output_tokens,
    model: meta.model,
    output: state.output,
    parallel_tool_calls,
    previous_response_id,
    reasoning: { effort: null, summary: null },
    store,
    temperature,
    text,
    tool_choice,
    tools,
    top_p,
    truncation: "disabled",
    usage: state.usage ? usageOf(state.usage) : null,
    ...(user !== undefined && { user }),
    metadata,
  };
}

/**
 * Pure mapping between Ollama's `/api/chat` and `/api/generate` and the inference contract. No I/O: the
 * routes feed it the parsed body and the engine's events, and write what it returns.
 */
import type { ChatMessage, ChatRequest, ResponseFormat, SamplingOptions, ToolCall, ToolChoice, ToolDefinition } from "../../engine/contract.js";
import { ChaiboxError } from "../../errors.js";
import type { ChatBody, GenerateBody, ModelOptions, OllamaMessage, OllamaTool } from "./schemas.js";

function invalid(param: string, message: string): ChaiboxError {
  return new ChaiboxError("invalid_request", message, { param });
}

const GO_DURATION_UNITS: Record<string, number> = { ns: 1e-6, us: 1e-3, "µs": 1e-3, ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

/**
 * `keep_alive` in milliseconds, as Ollama reads it: a number is seconds, a string is a Go duration (`5m`,
 * `1h30m`, `300ms`) or a bare number of seconds; anything negative means "keep loaded" (Infinity).
 */
export function parseKeepAlive(value: string | number): number {
  if (typeof value === "number") {
    if (!Number.isFinite(value)) throw invalid("keep_alive", `invalid keep_alive: ${value}`);
    return value < 0 ? Infinity : value * 1000;
  }
  const text = value.trim();
  if (/^-?\d+(\.\d+)?$/.test(text)) return parseKeepAlive(Number(text));
  const match = /^(-?)((?:\d+(?:\.\d+)?(?:ns|us|µs|ms|s|m|h))+)$/.exec(text);
  if (!match) throw invalid("keep_alive", `invalid keep_alive '${value}': use a duration such as 5m or 1h, seconds, 0 or -1`);
  if (match[1] === "-") return Infinity;
  let ms = 0;
  for (const [, amount, unit] of (match[2] ?? "").matchAll(/(\d+(?:\.\d+)?)(ns|us|µs|ms|s|m|h)/g)) {
    ms += Number(amount) * (GO_DURATION_UNITS[unit ?? "s"] ?? 1000);
  }
  return ms;
}

/** Ollama's `options` as contract sampling. `num_predict` -1 (unbounded) and -2 (fill the context) mean no limit. */
export function toSampling(options: ModelOptions | undefined): SamplingOptions {
  const sampling: SamplingOptions = {};
  if (!options) return sampling;
  if (options.num_predict !== undefined) {
    if (options.num_predict === 0 || options.num_predict < -2) throw invalid("options.num_predict", "num_predict must be positive, -1 (no limit) or -2 (fill the context)");
    if (options.num_predict > 0) sampling.maxTokens = options.num_predict;
  }
  if (options.temperature !== undefined) sampling.temperature = options.temperature;
  if (options.top_p !== undefined) sampling.topP = options.top_p;
  if (options.top_k !== undefined) sampling.topK = options.top_k;
  if (options.seed !== undefined) sampling.seed = options.seed;
  if (options.stop !== undefined) sampling.stop = typeof options.stop === "string" ? [options.stop] : options.stop;
  if (options.repeat_penalty !== undefined) sampling.repeatPenalty = options.repeat_penalty;
  if (options.presence_penalty !== undefined) sampling.presencePenalty = options.presence_penalty;
  if (options.frequency_penalty !== undefined) sampling.frequencyPenalty = options.frequency_penalty;
  return sampling;
}

/** `format`: `"json"` is any JSON object, a schema is enforced; `""` or none is free text. */
export function toResponseFormat(format: ChatBody["format"]): ResponseFormat | undefined {
  if (format === undefined || format === "") return undefined;
  if (format === "json") return { type: "json_object" };
  return { type: "json_schema", name: "format", schema: format, strict: true };
}

/** Refuses images: chaibox serves text models, and a reply that silently ignored a picture would mislead. */
export function refuseImages(model: string, images: readonly string[] | null | undefined, param: string): void {
  if (images && images.length > 0) {
    throw new ChaiboxError("unsupported_parameter", `model '${model}' reads text only and cannot take images; send the request without images`, { param });
  }
}

function argumentsText(value: unknown): string {
  if (value === undefined || value === null) return "{}";
  return typeof value === "string" ? value : JSON.stringify(value);
}

/**
 * Ollama's messages as contract messages. Ollama has no call ids: a tool result answers the calls of the
 * assistant message before it in order, or the call named by `tool_name` (`tool_call_id`, which newer
 * clients send, wins when it matches).
 */
export function toMessages(model: string, messages: readonly OllamaMessage[]): ChatMessage[] {
  const out: ChatMessage[] = [];
  let open: { calls: ToolCall[]; answered: Set<string> } | undefined;
  messages.forEach((message, index) => {
    refuseImages(model, message.images, `messages[${index}].images`);
    const content = message.content ?? "";
    switch (message.role) {
      case "system":
      case "user":
        open = undefined;
        out.push({ role: message.role, content });
        return;
      case "assistant": {
        const calls: ToolCall[] = (message.tool_calls ?? []).map((call, c) => ({
          id: call.id ?? `call_${index}_${c}`,
          name: call.function.name,
          arguments: argumentsText(call.function.arguments),
        }));
        open = calls.length > 0 ? { calls, answered: new Set() } : undefined;
        out.push(calls.length > 0 ? { role: "assistant", content, toolCalls: calls } : { role: "assistant", content });
        return;
      }
      case "tool": {
        const pending = open?.calls.filter((call) => !open?.answered.has(call.id)) ?? [];
        const match =
          pending.find((call) => call.id === message.tool_call_id) ??
          pending.find((call) => message.tool_name !== undefined && call.name === message.tool_name) ??
          (message.tool_name === undefined ? pending[0] : undefined);
        if (!open || !match) {
          const what = message.tool_name !== undefined ? `a call to '${message.tool_name}'` : "a tool call";
          throw invalid(`messages[${index}]`, `this tool message answers no pending tool call: put it right after the assistant message with ${what}`);
        }
        open.answered.add(match.id);
        out.push({ role: "tool", toolCallId: match.id, content });
        return;
      }
    }
  });
  return out;
}

export function toTools(tools: readonly OllamaTool[] | null | undefined): ToolDefinition[] | undefined {
  if (!tools || tools.length === 0) return undefined;
  return tools.map((tool) => {
    const { name, description, parameters } = tool.function;
    return { name, ...(description !== undefined && { description }), ...(parameters !== undefined && { parameters }) };
  });
}

function toToolChoice(choice: ChatBody["tool_choice"], tools: ToolDefinition[] | undefined): ToolChoice | undefined {
  if (choice === undefined) return undefined;
  if (typeof choice === "string") return { type: choice };
  if (!tools?.some((tool) => tool.name === choice.function.name)) {
    throw invalid("tool_choice", `tool_choice names '${choice.function.name}', which is not among the tools`);
  }
  return { type: "function", name: choice.function.name };
}

/** `think`: a boolean, or one of Ollama's effort levels (which all mean "think"). */
export function thinkOf(think: boolean | string | undefined): boolean | undefined {
  if (think === undefined || typeof think === "boolean") return think;
  if (["low", "medium", "high"].includes(think)) return true;
  throw invalid("think", `think must be true, false, "low", "medium" or "high", not '${think}'`);
}

/** An `/api/chat` body (with at least one message) as a contract request. */
export function chatRequestOf(body: ChatBody, model: string): ChatRequest {
  const tools = toTools(body.tools);
  // Like Ollama, a conversation longer than the context loses its oldest turns rather than failing.
  const request: ChatRequest = { messages: toMessages(model, body.messages ?? []), sampling: toSampling(body.options), truncateHistory: true };
  if (tools) request.tools = tools;
  const toolChoice = toToolChoice(body.tool_choice, tools);
  if (toolChoice) request.toolChoice = toolChoice;
  const format = toResponseFormat(body.format);
  if (format) request.responseFormat = format;
  const think = thinkOf(body.think);
  if (think !== undefined) request.think = think;
  return request;
}

/**
 * An `/api/generate` body as a contract request: `system` and `prompt` become a conversation rendered with
 * the model's chat template, or with `raw` the prompt is evaluated exactly as sent.
 */
export function generateRequestOf(body: GenerateBody, model: string): ChatRequest {
  refuseImages(model, body.images, "images");
  if (body.suffix !== undefined && body.suffix !== "") {
    throw new ChaiboxError("unsupported_parameter", "suffix (fill-in-the-middle) is not supported by this server", { param: "suffix" });
  }
  if (body.template !== undefined && body.template !== "") {
    throw new ChaiboxError("unsupported_parameter", "a custom template is not supported: send raw: true with the prompt already formatted", { param: "template" });
  }
  const request: ChatRequest = { messages: [], sampling: toSampling(body.options) };
  if (body.raw === true) request.rawPrompt = body.prompt ?? "";
  else {
    if (body.system !== undefined && body.system !== "") request.messages.push({ role: "system", content: body.system });
    request.messages.push({ role: "user", content: body.prompt ?? "" });
  }
  const format = toResponseFormat(body.format);
  if (format) request.responseFormat = format;
  const think = thinkOf(body.think);
  if (think !== undefined) request.think = think;
  return request;
}

/** A tool call as Ollama sends it: arguments as an object, not JSON text. */
export function ollamaToolCall(call: ToolCall, index: number): { id: string; function: { index: number; name: string; arguments: unknown } } {
  let args: unknown;
  try {
    args = JSON.parse(call.arguments) as unknown;
  } catch {
    args = {};
  }
  return { id: call.id, function: { index, name: call.name, arguments: args } };
}

/**
 * A chat of the inference contract as a provider's Chat Completions request, and the provider's streamed
 * chunks back as the contract's events. Pure. Always streamed from the provider, whatever the client asked:
 * the dialect gathers a whole answer itself, and a stream is what lets a slow provider be cut off in time.
 */
import type { ChatCompletionChunk, ChatCompletionCreateParamsStreaming, ChatCompletionMessageParam } from "openai/resources";
import type { ChatEvent, ChatMessage, ChatRequest, FinishReason, ToolCall, Usage } from "../engine/contract.js";
import { ChaiboxError } from "../errors.js";

function messageOf(message: ChatMessage): ChatCompletionMessageParam {
  switch (message.role) {
    case "assistant":
      return {
        role: "assistant",
        content: message.content,
        ...(message.toolCalls &&
          message.toolCalls.length > 0 && {
            tool_calls: message.toolCalls.map((call) => ({ id: call.id, type: "function" as const, function: { name: call.name, arguments: call.arguments } })),
          }),
      };
    case "tool":
      return { role: "tool", tool_call_id: message.toolCallId, content: message.content };
    default:
      return { role: message.role, content: message.content };
  }
}

/** The provider's request for `request` on its model `model`. */
export function upstreamChatBody(model: string, request: ChatRequest): ChatCompletionCreateParamsStreaming {
  if (request.rawPrompt !== undefined) {
    throw new ChaiboxError("unsupported_parameter", "A raw prompt (Ollama's raw: true) is served by this box's own models only, not by a provider's.", { param: "raw" });
  }
  const { sampling } = request;
  const body: ChatCompletionCreateParamsStreaming = {
    model,
    messages: request.messages.map(messageOf),
    stream: true,
    stream_options: { include_usage: true },
  };
  if (request.tools && request.tools.length > 0) {
    body.tools = request.tools.map((tool) => ({
      type: "function" as const,
      function: { name: tool.name, ...(tool.description !== undefined && { description: tool.description }), parameters: tool.parameters ?? { type: "object", properties: {} } },
    }));
  }
  const choice = request.toolChoice;
  if (choice) body.tool_choice = choice.type === "function" ? { type: "function", function: { name: choice.name } } : choice.type;
  const format = request.responseFormat;
  if (format && format.type === "json_object") body.response_format = { type: "json_object" };
  if (format && format.type === "json_schema") body.response_format = { type: "json_schema", json_schema: { name: format.name, schema: format.schema, strict: format.strict } };
  if (sampling.maxTokens !== undefined) body.max_tokens = sampling.maxTokens;
  if (sampling.temperature !== undefined) body.temperature = sampling.temperature;
  if (sampling.topP !== undefined) body.top_p = sampling.topP;
  if (sampling.seed !== undefined) body.seed = sampling.seed;
  if (sampling.stop !== undefined && sampling.stop.length > 0) body.stop = sampling.stop;
  if (sampling.presencePenalty !== undefined) body.presence_penalty = sampling.presencePenalty;
  if (sampling.frequencyPenalty !== undefined) body.frequency_penalty = sampling.frequencyPenalty;
  if (sampling.tokenBias !== undefined) body.logit_bias = sampling.tokenBias;
  return body;
}

const finishReasons: Record<string, FinishReason> = { stop: "stop", length: "length", tool_calls: "tool_calls", function_call: "tool_calls", content_filter: "stop" };

/** Fields some servers add to a delta for the model's thinking (vLLM, llama-server: `reasoning_content`). */
type ReasoningDelta = { reasoning_content?: string | null; reasoning?: string | null };

/**
 * The contract's events from a provider's chunks: text and reasoning as they come, the tool calls gathered
 * (a provider sends their arguments in pieces) and given once, then `done` with the provider's usage. A
 * provider that sends no usage gets it counted here: each text chunk as one token, the prompt at four
 * characters a token (most servers send it; a rough count beats none for budgets).
 */
export async function* chatEventsFrom(chunks: AsyncIterable<ChatCompletionChunk>, request: ChatRequest): AsyncGenerator<ChatEvent> {
  const calls = new Map<number, ToolCall>();
  let finish: FinishReason | undefined;
  let usage: Usage | undefined;
  let textChunks = 0;
  for await (const chunk of chunks) {
    if (chunk.usage) {
      const cached = chunk.usage.prompt_tokens_details?.cached_tokens;
      usage = { promptTokens: chunk.usage.prompt_tokens, completionTokens: chunk.usage.completion_tokens, ...(typeof cached === "number" && { cachedPromptTokens: cached }) };
    }
    const choice = chunk.choices[0];
    if (!choice) continue;
    const delta = choice.delta as typeof choice.delta & ReasoningDelta;
    const reasoning = delta.reasoning_content ?? delta.reasoning;
    if (typeof reasoning === "string" && reasoning !== "") yield { type: "reasoning", text: reasoning };
    if (typeof delta.content === "string" && delta.content !== "") {
      textChunks++;
      yield { type: "text", text: delta.content };
    }
    for (const piece of delta.tool_calls ?? []) {
      const call = calls.get(piece.index) ?? { id: "", name: "", arguments: "" };
      if (piece.id) call.id = piece.id;
      if (piece.function?.name) call.name += piece.function.name;
      if (piece.function?.arguments) call.arguments += piece.function.arguments;
      calls.set(piece.index, call);
    }
    if (choice.finish_reason) finish = finishReasons[choice.finish_reason] ?? "stop";
  }
  if (finish === undefined) throw new ChaiboxError("provider_error", "The provider ended its answer without finishing it.");
  if (calls.size > 0) yield { type: "tool_calls", calls: [...calls.entries()].sort(([a], [b]) => a - b).map(([, call]) => call) };
  const promptCharacters = request.messages.reduce((sum, m) => sum + m.content.length, 0);
  yield { type: "done", finishReason: finish, usage: usage ?? { promptTokens: Math.ceil(promptCharacters / 4), completionTokens: textChunks } };
}

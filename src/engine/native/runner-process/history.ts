/**
 * Maps the contract's chat messages to node-llama-cpp's chat history. An assistant message's tool calls and
 * the `tool` messages that answer them (matched by call id) become `functionCall` items carrying their
 * results, so the chat wrapper renders them in the model's own function-calling syntax.
 */
import type { ChatHistoryItem, ChatModelFunctionCall, ChatModelResponse } from "node-llama-cpp";
import type { ChatMessage } from "../../contract.js";
import { ChaiboxError } from "../../../errors.js";

/** Parses JSON text when it is JSON, else keeps the text: arguments and results are usually JSON text. */
function jsonOrText(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return text;
  }
}

/**
 * Converts messages to a chat history that ends with a model response, the item the generation continues:
 * an empty one after a user turn, or the last assistant turn itself (a prefix to continue, or tool calls
 * whose results just came back).
 *
 * Throws `invalid_request` for an empty conversation or a `tool` message that answers no preceding call.
 */
export function toChatHistory(messages: readonly ChatMessage[]): ChatHistoryItem[] {
  if (messages.length === 0) {
    throw new ChaiboxError("invalid_request", "messages must not be empty", { param: "messages" });
  }
  const history: ChatHistoryItem[] = [];
  let index = 0;
  while (index < messages.length) {
    const message = messages[index]!;
    switch (message.role) {
      case "system":
        history.push({ type: "system", text: message.content });
        index++;
        break;
      case "user":
        history.push({ type: "user", text: message.content });
        index++;
        break;
      case "assistant": {
        const response: ChatModelResponse["response"] = message.content === "" ? [] : [message.content];
        index++;
        const calls = message.toolCalls ?? [];
        // The tool messages answering these calls follow the assistant message directly.
        const results = new Map<string, string>();
        while (index < messages.length) {
          const next = messages[index]!;
          if (next.role !== "tool") break;
          if (!calls.some((call) => call.id === next.toolCallId)) {
            const message = `tool message answers unknown tool call id "${next.toolCallId}"`;
            throw new ChaiboxError("invalid_request", message, { param: `messages[${index}]` });
          }
          results.set(next.toolCallId, next.content);
          index++;
        }
        calls.forEach((call, callIndex) => {
          const result = results.get(call.id);
          const item: ChatModelFunctionCall = {
            type: "functionCall",
            name: call.name,
            params: jsonOrText(call.arguments),
            result: result === undefined ? null : jsonOrText(result),
            startsNewChunk: callIndex === 0,
          };
          response.push(item);
        });
        history.push({ type: "model", response });
        break;
      }
      case "tool":
        throw new ChaiboxError("invalid_request", "a tool message must follow an assistant message with tool calls", {
          param: `messages[${index}]`,
        });
    }
  }
  if (history.at(-1)?.type !== "model") history.push({ type: "model", response: [] });
  return history;
}

/**
 * Inserts a system message right before the final model response: the instruction then sits next to the
 * turn it is about, after whatever the conversation said.
 */
export function withInstruction(history: readonly ChatHistoryItem[], text: string): ChatHistoryItem[] {
  const result = history.slice();
  result.splice(result.length - 1, 0, { type: "system", text });
  return result;
}

/**
 * The history without its oldest turn: the first user message that is not the last one, and the answers
 * that followed it up to the next user message. System messages stay wherever they are. Undefined when only
 * the last turn is left.
 */
export function withoutOldestTurn(history: readonly ChatHistoryItem[]): ChatHistoryItem[] | undefined {
  const users = history.flatMap((item, index) => (item.type === "user" ? [index] : []));
  const next = users[1];
  if (next === undefined) return undefined;
  // Answers before the first user message (a conversation that starts with the model) go with it.
  return history.filter((item, index) => item.type === "system" || index >= next);
}

/**
 * Tool calling. `auto` hands the tools to node-llama-cpp as chat functions, so the model may call one in its
 * own syntax; the calls are returned to the client, never executed here. `required` and a named function
 * force a call deterministically: the model generates `{"name": …, "arguments": …}` under a JSON-schema
 * grammar that only admits the allowed tools and their parameter schemas.
 */
import { randomBytes } from "node:crypto";
import type { ChatModelFunctions, GbnfJsonSchema } from "node-llama-cpp";
import type { ChatRequest, JsonSchema, ToolCall, ToolDefinition } from "../../contract.js";
import { ChaiboxError } from "../../../errors.js";
import { compileJsonCheck, parseChecked, toGrammarSchema } from "./json-output.js";

/** How a request uses its tools. */
export type ToolMode =
  | { kind: "none" }
  | { kind: "auto"; tools: ToolDefinition[] }
  | { kind: "forced"; tools: ToolDefinition[] };

/** A new tool call id, `call_` plus 24 random hex digits, as OpenAI clients expect them. */
export function newToolCallId(): string {
  return `call_${randomBytes(12).toString("hex")}`;
}

/**
 * Settles the tool mode. Defaults: `auto` when tools are given, else `none`. Throws `invalid_request` for a
 * forced choice without tools or naming an unknown tool, or for duplicate tool names.
 */
export function resolveToolMode(request: ChatRequest): ToolMode {
  const tools = request.tools ?? [];
  const names = new Set<string>();
  for (const [index, tool] of tools.entries()) {
    if (names.has(tool.name)) {
      throw new ChaiboxError("invalid_request", `duplicate tool name "${tool.name}"`, { param: `tools[${index}]` });
    }
    names.add(tool.name);
    // Surfaces an invalid parameters schema as a request error, before anything is generated.
    compileJsonCheck(argumentsSchema(tool), `tools[${index}]`);
  }
  const choice = request.toolChoice ?? (tools.length > 0 ? { type: "auto" } : { type: "none" });
  switch (choice.type) {
    case "none":
      return { kind: "none" };
    case "auto":
      return tools.length > 0 ? { kind: "auto", tools } : { kind: "none" };
    case "required":
      if (tools.length === 0) {
        const message = 'tool_choice "required" needs at least one tool';
        throw new ChaiboxError("invalid_request", message, { param: "tool_choice" });
      }
      return { kind: "forced", tools };
    case "function": {
      const tool = tools.find((candidate) => candidate.name === choice.name);
      if (tool === undefined) {
        const message = `tool_choice names unknown tool "${choice.name}"`;
        throw new ChaiboxError("invalid_request", message, { param: "tool_choice" });
      }
      return { kind: "forced", tools: [tool] };
    }
  }
}

/** The schema of a tool's arguments; a tool without parameters takes an empty object. */
function argumentsSchema(tool: ToolDefinition): JsonSchema {
  return tool.parameters ?? { type: "object", properties: {} };
}

/** The tools as node-llama-cpp chat functions (for `auto`). */
export function toChatFunctions(tools: readonly ToolDefinition[]): ChatModelFunctions {
  return Object.fromEntries(
    tools.map((tool) => [
      tool.name,
      {
        ...(tool.description === undefined ? {} : { description: tool.description }),
        ...(tool.parameters === undefined ? {} : { params: toGrammarSchema(tool.parameters) as GbnfJsonSchema }),
      },
    ]),
  );
}

/**
 * Turns a call node-llama-cpp parsed in `auto` mode into a contract tool call, checking its arguments against
 * the client's schema (the function grammar has the same gaps as any JSON-schema grammar). Throws
 * `invalid_model_output` when they do not conform.
 */
export function toToolCall(tools: readonly ToolDefinition[], name: string, params: unknown): ToolCall {
  const tool = tools.find((candidate) => candidate.name === name);
  if (tool === undefined) {
    throw new ChaiboxError("invalid_model_output", `the model called unknown tool "${name}"`);
  }
  const args = params ?? {};
  const reason = compileJsonCheck(argumentsSchema(tool), "tools")(args);
  if (reason !== undefined) {
    throw new ChaiboxError("invalid_model_output", `the model's arguments for "${name}" are invalid: ${reason}`);
  }
  return { id: newToolCallId(), name, arguments: JSON.stringify(args) };
}

/** The grammar schema of a forced call: one alternative per allowed tool, the name first. */
export function forcedCallGrammarSchema(tools: readonly ToolDefinition[]): GbnfJsonSchema {
  const alternatives = tools.map((tool) => ({
    type: "object",
    properties: { name: { const: tool.name }, arguments: toGrammarSchema(argumentsSchema(tool)) },
  }));
  return (alternatives.length === 1 ? alternatives[0] : { oneOf: alternatives }) as GbnfJsonSchema;
}

/**
 * The instruction that tells the model which tools it must choose from. The grammar enforces the shape;
 * this text lets a real model pick sensible arguments.
 */
export function forcedCallInstruction(tools: readonly ToolDefinition[]): string {
  const list = tools
    .map((tool) => {
      const description = tool.description === undefined ? "" : `\n  ${tool.description}`;
      return `- ${tool.name}${description}\n  arguments schema: ${JSON.stringify(argumentsSchema(tool))}`;
    })
    .join("\n");
  return (
    "Respond only with a JSON object that calls one of these tools, in the form " +
    `{"name": <tool name>, "arguments": <arguments object>}.\nTools:\n${list}`
  );
}

/**
 * Parses and checks a forced call's output. Returns the call, or the reason it is not acceptable (the
 * caller may retry).
 */
export function parseForcedCall(
  text: string,
  tools: readonly ToolDefinition[],
): { ok: true; call: ToolCall } | { ok: false; reason: string } {
  const parsed = parseChecked(text, (value) =>
    typeof value === "object" && value !== null && !Array.isArray(value) ? undefined : "output is not an object",
  );
  if (!parsed.ok) return parsed;
  const { name, arguments: args } = parsed.value as { name?: unknown; arguments?: unknown };
  const tool = tools.find((candidate) => candidate.name === name);
  if (tool === undefined) return { ok: false, reason: `unknown tool ${JSON.stringify(name)}` };
  const reason = compileJsonCheck(argumentsSchema(tool), "tools")(args);
  if (reason !== undefined) return { ok: false, reason: `arguments for "${tool.name}": ${reason}` };
  return { ok: true, call: { id: newToolCallId(), name: tool.name, arguments: JSON.stringify(args) } };
}

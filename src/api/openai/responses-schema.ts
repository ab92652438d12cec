/**
 * The request body of `POST /v1/responses`, as OpenAI documents it. Unknown top-level arguments are refused,
 * as OpenAI does; arguments OpenAI has but chaibox does not serve are declared so that responses-mapping.ts
 * can refuse them with a clear `unsupported_parameter` naming them instead of ignoring them.
 *
 * Input items are declared loosely here and checked per item type in the mapping: a union of item schemas
 * would make ajv report the first arm's complaint (a missing `role` on a function call output), which names
 * the wrong problem.
 */
import { Type, type Static, type TSchema } from "@sinclair/typebox";

const Nullable = <T extends TSchema>(t: T) => Type.Optional(Type.Union([t, Type.Null()]));

/** A content part (`input_text`, `output_text`, `refusal`, …); which types are served is the mapping's call. */
export const ContentPart = Type.Object({ type: Type.String(), text: Type.Optional(Type.String()) });

/** A message item: `EasyInputMessage`, an input `Message`, or an assistant output message sent back. */
export const MessageItem = Type.Object({
  type: Type.Optional(Type.Literal("message")),
  role: Type.Union([Type.Literal("user"), Type.Literal("assistant"), Type.Literal("system"), Type.Literal("developer")]),
  content: Type.Union([Type.String(), Type.Array(ContentPart)]),
  id: Type.Optional(Type.String()),
  status: Type.Optional(Type.String()),
});

/** A call the model made in an earlier turn, sent back as part of the conversation. */
export const FunctionCallItem = Type.Object({
  type: Type.Literal("function_call"),
  call_id: Type.String({ minLength: 1 }),
  name: Type.String({ minLength: 1 }),
  arguments: Type.String(),
  id: Type.Optional(Type.String()),
  status: Type.Optional(Type.String()),
});

/** The client's result of a function call, answering the call with the same `call_id`. */
export const FunctionCallOutputItem = Type.Object({
  type: Type.Literal("function_call_output"),
  call_id: Type.String({ minLength: 1 }),
  output: Type.Union([Type.String(), Type.Array(ContentPart)]),
  id: Nullable(Type.String()),
  status: Nullable(Type.String()),
});

const InputItem = Type.Object({ type: Type.Optional(Type.String()) });

/** A tool entry: only `function` tools are served; others (web_search, file_search, mcp, …) are refused by type. */
const ToolSchema = Type.Object({
  type: Type.String(),
  name: Type.Optional(Type.String({ pattern: "^[a-zA-Z0-9_-]{1,64}$" })),
  description: Nullable(Type.String()),
  parameters: Nullable(Type.Object({}, { additionalProperties: true })),
  strict: Nullable(Type.Boolean()),
});

const ToolChoiceSchema = Type.Union([
  Type.Literal("auto"),
  Type.Literal("none"),
  Type.Literal("required"),
  // `{type: "function", name}` is served; hosted-tool and allowed_tools choices are refused in the mapping.
  Type.Object({ type: Type.String(), name: Type.Optional(Type.String()) }),
]);

const TextFormat = Type.Object({
  type: Type.Union([Type.Literal("text"), Type.Literal("json_object"), Type.Literal("json_schema")]),
  name: Type.Optional(Type.String({ pattern: "^[a-zA-Z0-9_-]{1,64}$" })),
  description: Type.Optional(Type.String()),
  schema: Type.Optional(Type.Object({}, { additionalProperties: true })),
  strict: Nullable(Type.Boolean()),
});

export const ResponseCreateBody = Type.Object(
  {
    model: Type.String({ minLength: 1 }),
    // The array first: ajv reports the first arm's complaint, and a malformed item is the likelier mistake.
    input: Type.Union([Type.Array(InputItem), Type.String()]),
    instructions: Nullable(Type.String()),
    previous_response_id: Nullable(Type.String({ minLength: 1 })),
    store: Nullable(Type.Boolean()),
    stream: Nullable(Type.Boolean()),
    stream_options: Nullable(Type.Object({ include_obfuscation: Type.Optional(Type.Boolean()) })),
    max_output_tokens: Nullable(Type.Integer({ minimum: 1 })),
    temperature: Nullable(Type.Number({ minimum: 0, maximum: 2 })),
    top_p: Nullable(Type.Number({ minimum: 0, maximum: 1 })),
    tools: Type.Optional(Type.Array(ToolSchema)),
    tool_choice: Type.Optional(ToolChoiceSchema),
    parallel_tool_calls: Nullable(Type.Boolean()),
    text: Type.Optional(Type.Object({ format: Type.Optional(TextFormat), verbosity: Nullable(Type.String()) })),
    // Accepted and without effect on a local box: identification, caching and billing hints.
    metadata: Nullable(Type.Record(Type.String(), Type.String())),
    user: Type.Optional(Type.String()),
    safety_identifier: Nullable(Type.String()),
    service_tier: Nullable(Type.String()),
    prompt_cache_key: Nullable(Type.String()),
    prompt_cache_retention: Nullable(Type.String()),
    prompt_cache_options: Type.Optional(Type.Unknown()),
    truncation: Nullable(Type.Union([Type.Literal("auto"), Type.Literal("disabled")])),
    // Known to OpenAI, not served: responses-mapping.ts refuses values that would change the result.
    background: Nullable(Type.Boolean()),
    include: Nullable(Type.Array(Type.String())),
    top_logprobs: Nullable(Type.Integer({ minimum: 0 })),
    reasoning: Type.Optional(Type.Unknown()),
    conversation: Type.Optional(Type.Unknown()),
    prompt: Type.Optional(Type.Unknown()),
    context_management: Type.Optional(Type.Unknown()),
    moderation: Type.Optional(Type.Unknown()),
  },
  { additionalProperties: false },
);

export type ResponseCreateBody = Static<typeof ResponseCreateBody>;
export type MessageItem = Static<typeof MessageItem>;
export type FunctionCallItem = Static<typeof FunctionCallItem>;
export type FunctionCallOutputItem = Static<typeof FunctionCallOutputItem>;

/** `GET`/`DELETE /v1/responses/{id}`. */
export const ResponseIdParams = Type.Object({ id: Type.String({ minLength: 1 }) });

/** `GET /v1/responses/{id}` query: OpenAI can replay a response's stream; chaibox refuses `stream=true`. */
export const RetrieveQuery = Type.Object({ stream: Type.Optional(Type.String()) });

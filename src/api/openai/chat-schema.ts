/**
 * The request body of `POST /v1/chat/completions`, as OpenAI documents it. Unknown top-level arguments are
 * rejected, as OpenAI does; arguments that OpenAI has but chaibox does not serve are declared here so that
 * mapping.ts can reject them with a clear `unsupported_parameter` error instead of ignoring them.
 */
import { Type, type Static, type TSchema } from "@sinclair/typebox";

const TextPart = Type.Object({ type: Type.Literal("text"), text: Type.String() });
/** Any other part type (image_url, input_audio, file) is refused in mapping with a clear reason. */
const OtherPart = Type.Object({ type: Type.String() });
const Content = Type.Union([Type.String(), Type.Array(Type.Union([TextPart, OtherPart])), Type.Null()]);

const ToolCallSchema = Type.Object({
  id: Type.String(),
  type: Type.Literal("function"),
  function: Type.Object({ name: Type.String({ minLength: 1 }), arguments: Type.String() }),
});

export const MessageSchema = Type.Object({
  role: Type.Union([
    Type.Literal("system"),
    Type.Literal("developer"),
    Type.Literal("user"),
    Type.Literal("assistant"),
    Type.Literal("tool"),
  ]),
  content: Type.Optional(Content),
  name: Type.Optional(Type.String()),
  tool_calls: Type.Optional(Type.Array(ToolCallSchema)),
  tool_call_id: Type.Optional(Type.String()),
  refusal: Type.Optional(Type.Union([Type.String(), Type.Null()])),
});

const FunctionTool = Type.Object({
  type: Type.Literal("function"),
  function: Type.Object({
    name: Type.String({ pattern: "^[a-zA-Z0-9_-]{1,64}$" }),
    description: Type.Optional(Type.String()),
    parameters: Type.Optional(Type.Object({}, { additionalProperties: true })),
    strict: Type.Optional(Type.Union([Type.Boolean(), Type.Null()])),
  }),
});

const ToolChoiceSchema = Type.Union([
  Type.Literal("auto"),
  Type.Literal("none"),
  Type.Literal("required"),
  Type.Object({ type: Type.Literal("function"), function: Type.Object({ name: Type.String() }) }),
]);

const ResponseFormatSchema = Type.Union([
  Type.Object({ type: Type.Literal("text") }),
  Type.Object({ type: Type.Literal("json_object") }),
  Type.Object({
    type: Type.Literal("json_schema"),
    json_schema: Type.Object({
      name: Type.String({ pattern: "^[a-zA-Z0-9_-]{1,64}$" }),
      description: Type.Optional(Type.String()),
      schema: Type.Optional(Type.Object({}, { additionalProperties: true })),
      strict: Type.Optional(Type.Union([Type.Boolean(), Type.Null()])),
    }),
  }),
]);

const Nullable = <T extends TSchema>(t: T) => Type.Optional(Type.Union([t, Type.Null()]));

export const ChatCompletionBody = Type.Object(
  {
    model: Type.String({ minLength: 1 }),
    messages: Type.Array(MessageSchema, { minItems: 1 }),
    stream: Type.Optional(Type.Union([Type.Boolean(), Type.Null()])),
    stream_options: Type.Optional(Type.Union([Type.Object({ include_usage: Type.Optional(Type.Boolean()) }), Type.Null()])),
    max_tokens: Nullable(Type.Integer({ minimum: 1 })),
    max_completion_tokens: Nullable(Type.Integer({ minimum: 1 })),
    temperature: Nullable(Type.Number({ minimum: 0, maximum: 2 })),
    top_p: Nullable(Type.Number({ minimum: 0, maximum: 1 })),
    seed: Nullable(Type.Integer()),
    stop: Type.Optional(Type.Union([Type.String(), Type.Array(Type.String(), { maxItems: 4 }), Type.Null()])),
    presence_penalty: Nullable(Type.Number({ minimum: -2, maximum: 2 })),
    frequency_penalty: Nullable(Type.Number({ minimum: -2, maximum: 2 })),
    logit_bias: Type.Optional(
      Type.Union([Type.Record(Type.String({ pattern: "^\\d+$" }), Type.Number({ minimum: -100, maximum: 100 })), Type.Null()]),
    ),
    response_format: Type.Optional(ResponseFormatSchema),
    tools: Type.Optional(Type.Array(FunctionTool)),
    tool_choice: Type.Optional(ToolChoiceSchema),
    parallel_tool_calls: Type.Optional(Type.Boolean()),
    // Accepted and without effect on a local box: identification and storage hints.
    user: Type.Optional(Type.String()),
    metadata: Type.Optional(Type.Union([Type.Record(Type.String(), Type.String()), Type.Null()])),
    store: Type.Optional(Type.Union([Type.Boolean(), Type.Null()])),
    service_tier: Type.Optional(Type.Union([Type.String(), Type.Null()])),
    prompt_cache_key: Type.Optional(Type.String()),
    safety_identifier: Type.Optional(Type.String()),
    // Known to OpenAI, not served: mapping.ts refuses values that would change the result.
    n: Nullable(Type.Integer({ minimum: 1 })),
    logprobs: Type.Optional(Type.Union([Type.Boolean(), Type.Null()])),
    top_logprobs: Nullable(Type.Integer({ minimum: 0 })),
    modalities: Type.Optional(Type.Union([Type.Array(Type.String()), Type.Null()])),
    audio: Type.Optional(Type.Unknown()),
    prediction: Type.Optional(Type.Unknown()),
    reasoning_effort: Type.Optional(Type.Unknown()),
    verbosity: Type.Optional(Type.Unknown()),
    web_search_options: Type.Optional(Type.Unknown()),
    functions: Type.Optional(Type.Unknown()),
    function_call: Type.Optional(Type.Unknown()),
  },
  { additionalProperties: false },
);

export type ChatCompletionBody = Static<typeof ChatCompletionBody>;
export type ChatCompletionMessage = Static<typeof MessageSchema>;

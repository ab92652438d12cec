/**
 * Request bodies of the Ollama dialect. Ollama itself ignores fields it does not know, and its clients send
 * a few that only some versions read, so unknown fields pass here too; the fields chaibox reads are typed.
 */
import { Type, type Static } from "@sinclair/typebox";

const Open = { additionalProperties: true } as const;

/** `keep_alive`: a duration string (`5m`, `1h30m`, `-1`), or a number of seconds (negative keeps it loaded). */
export const KeepAlive = Type.Union([Type.String({ maxLength: 64 }), Type.Number()], {
  description: "how long the model stays loaded after this request: a duration such as 5m, seconds as a number, 0 to unload, -1 to keep it loaded",
});

export const ModelOptions = Type.Object(
  {
    num_ctx: Type.Optional(Type.Integer({ minimum: 1 })),
    num_predict: Type.Optional(Type.Integer()),
    temperature: Type.Optional(Type.Number({ minimum: 0 })),
    top_p: Type.Optional(Type.Number({ minimum: 0, maximum: 1 })),
    top_k: Type.Optional(Type.Integer({ minimum: 0 })),
    seed: Type.Optional(Type.Integer()),
    stop: Type.Optional(Type.Union([Type.Array(Type.String()), Type.String()])),
    repeat_penalty: Type.Optional(Type.Number({ minimum: 0 })),
    presence_penalty: Type.Optional(Type.Number()),
    frequency_penalty: Type.Optional(Type.Number()),
  },
  Open,
);
export type ModelOptions = Static<typeof ModelOptions>;

const ToolCall = Type.Object(
  {
    id: Type.Optional(Type.String()),
    function: Type.Object({ name: Type.String({ minLength: 1 }), arguments: Type.Optional(Type.Unknown()) }, Open),
  },
  Open,
);

export const OllamaMessage = Type.Object(
  {
    role: Type.Union([Type.Literal("system"), Type.Literal("user"), Type.Literal("assistant"), Type.Literal("tool")]),
    content: Type.Optional(Type.Union([Type.String(), Type.Null()])),
    thinking: Type.Optional(Type.Union([Type.String(), Type.Null()])),
    images: Type.Optional(Type.Union([Type.Array(Type.String()), Type.Null()])),
    tool_calls: Type.Optional(Type.Union([Type.Array(ToolCall), Type.Null()])),
    tool_name: Type.Optional(Type.String()),
    tool_call_id: Type.Optional(Type.String()),
  },
  Open,
);
export type OllamaMessage = Static<typeof OllamaMessage>;

export const OllamaTool = Type.Object(
  {
    type: Type.Optional(Type.Literal("function")),
    function: Type.Object(
      {
        name: Type.String({ minLength: 1, maxLength: 64 }),
        description: Type.Optional(Type.String()),
        parameters: Type.Optional(Type.Record(Type.String(), Type.Unknown())),
      },
      Open,
    ),
  },
  Open,
);
export type OllamaTool = Static<typeof OllamaTool>;

/** OpenAI's `tool_choice`, accepted as a chaibox extension: Ollama has no way to force a tool call. */
export const ToolChoice = Type.Union([
  Type.Literal("auto"),
  Type.Literal("none"),
  Type.Literal("required"),
  Type.Object({ type: Type.Literal("function"), function: Type.Object({ name: Type.String() }) }),
]);

/** `format`: `"json"`, or a JSON schema the reply must follow. */
export const Format = Type.Union([Type.Literal("json"), Type.Literal(""), Type.Record(Type.String(), Type.Unknown())]);

const Common = {
  model: Type.String({ minLength: 1, maxLength: 256 }),
  stream: Type.Optional(Type.Boolean({ description: "NDJSON chunks (default true) or one object" })),
  keep_alive: Type.Optional(KeepAlive),
  options: Type.Optional(ModelOptions),
  format: Type.Optional(Format),
  think: Type.Optional(Type.Union([Type.Boolean(), Type.String()])),
};

export const ChatBody = Type.Object(
  {
    ...Common,
    messages: Type.Optional(Type.Array(OllamaMessage)),
    tools: Type.Optional(Type.Union([Type.Array(OllamaTool), Type.Null()])),
    tool_choice: Type.Optional(ToolChoice),
  },
  Open,
);
export type ChatBody = Static<typeof ChatBody>;

export const GenerateBody = Type.Object(
  {
    ...Common,
    prompt: Type.Optional(Type.String()),
    system: Type.Optional(Type.String()),
    suffix: Type.Optional(Type.String()),
    template: Type.Optional(Type.String()),
    raw: Type.Optional(Type.Boolean()),
    images: Type.Optional(Type.Union([Type.Array(Type.String()), Type.Null()])),
  },
  Open,
);
export type GenerateBody = Static<typeof GenerateBody>;

export const EmbedBody = Type.Object(
  {
    model: Type.String({ minLength: 1, maxLength: 256 }),
    input: Type.Union([Type.String(), Type.Array(Type.String())]),
    truncate: Type.Optional(Type.Boolean()),
    dimensions: Type.Optional(Type.Integer({ minimum: 1 })),
    keep_alive: Type.Optional(KeepAlive),
    options: Type.Optional(ModelOptions),
  },
  Open,
);
export type EmbedBody = Static<typeof EmbedBody>;

export const LegacyEmbeddingsBody = Type.Object(
  {
    model: Type.String({ minLength: 1, maxLength: 256 }),
    prompt: Type.String(),
    keep_alive: Type.Optional(KeepAlive),
    options: Type.Optional(ModelOptions),
  },
  Open,
);
export type LegacyEmbeddingsBody = Static<typeof LegacyEmbeddingsBody>;

/** `/api/show`, `/api/delete`: older clients send `name` instead of `model`. */
export const ModelNameBody = Type.Object(
  {
    model: Type.Optional(Type.String({ minLength: 1, maxLength: 256 })),
    name: Type.Optional(Type.String({ minLength: 1, maxLength: 256 })),
    verbose: Type.Optional(Type.Boolean()),
  },
  Open,
);
export type ModelNameBody = Static<typeof ModelNameBody>;

export const PullBody = Type.Object(
  {
    model: Type.Optional(Type.String({ minLength: 1, maxLength: 2048 })),
    name: Type.Optional(Type.String({ minLength: 1, maxLength: 2048 })),
    insecure: Type.Optional(Type.Boolean()),
    stream: Type.Optional(Type.Boolean()),
  },
  Open,
);
export type PullBody = Static<typeof PullBody>;

/**
 * The `chai` object every `/v1/models` entry carries: what an app needs to choose a model without guessing.
 * Field names are snake_case like the rest of the OpenAI wire format. docs/chai-v1.md is the normative text.
 */
import { Type, type Static } from "@sinclair/typebox";

const Nullable = <T extends ReturnType<typeof Type.Number>>(schema: T) => Type.Union([schema, Type.Null()]);

export const ChaiPerformanceSchema = Type.Object(
  {
    /** Tokens per second of one stream generating. */
    generation_tokens_per_second: Nullable(Type.Number({ minimum: 0 })),
    /** Prompt tokens evaluated per second. */
    prompt_tokens_per_second: Nullable(Type.Number({ minimum: 0 })),
    /** Milliseconds from request to the first token of a short prompt, model loaded. */
    time_to_first_token_ms: Nullable(Type.Number({ minimum: 0 })),
    /** measured: `chaibox bench` on this box; live: a moving average of real requests; estimated: from fit. */
    source: Type.Union([Type.Literal("measured"), Type.Literal("live"), Type.Literal("estimated")]),
    /** ISO 8601 time of the figures; null for an estimate. */
    measured_at: Type.Union([Type.String(), Type.Null()]),
  },
  { additionalProperties: false },
);
export type ChaiPerformance = Static<typeof ChaiPerformanceSchema>;

/** The upstream that serves a provider's model (`<provider id>/<model id>`). */
export const ChaiProviderSchema = Type.Object(
  {
    id: Type.String({ minLength: 1 }),
    /** chai: another Chai box; openai: an OpenAI-compatible server. */
    kind: Type.Union([Type.Literal("chai"), Type.Literal("openai")]),
    name: Type.String({ minLength: 1 }),
  },
  { additionalProperties: false },
);

export const ChaiModelInfoSchema = Type.Object(
  {
    /** Context tokens one request may use on this box (set by fit, or by the loaded runner). */
    context_length: Type.Integer({ minimum: 1 }),
    /** The model's trained context. */
    max_context_length: Type.Integer({ minimum: 1 }),
    modalities: Type.Object(
      {
        input: Type.Array(Type.Union([Type.Literal("text"), Type.Literal("image"), Type.Literal("audio")]), { minItems: 1 }),
        output: Type.Array(Type.Union([Type.Literal("text"), Type.Literal("embedding")]), { minItems: 1 }),
      },
      { additionalProperties: false },
    ),
    capabilities: Type.Object(
      {
        tools: Type.Boolean(),
        json_schema: Type.Boolean(),
        reasoning: Type.Boolean(),
        embeddings: Type.Boolean(),
        streaming: Type.Boolean(),
      },
      { additionalProperties: false },
    ),
    performance: ChaiPerformanceSchema,
    pricing: Type.Object(
      {
        input_per_million_tokens: Type.Number({ minimum: 0 }),
        output_per_million_tokens: Type.Number({ minimum: 0 }),
        /** ISO 4217. */
        currency: Type.String({ pattern: "^[A-Z]{3}$" }),
      },
      { additionalProperties: false },
    ),
    /** unavailable: a provider's model while the provider cannot be reached. */
    state: Type.Union([Type.Literal("loaded"), Type.Literal("available"), Type.Literal("unavailable")]),
    size_bytes: Type.Integer({ minimum: 0 }),
    quantization: Type.Union([Type.String(), Type.Null()]),
    parameters: Type.Number({ minimum: 0 }),
    family: Type.Union([Type.String(), Type.Null()]),
    /** Where a provider's model runs; absent on the box's own models. */
    provider: Type.Optional(ChaiProviderSchema),
  },
  { additionalProperties: false },
);
export type ChaiModelInfo = Static<typeof ChaiModelInfoSchema>;

/** A model as Chai describes it: OpenAI's model fields plus `chai` (the response schema of /v1/models). */
export const ChaiModelSchema = Type.Object({
  id: Type.String(),
  object: Type.Literal("model"),
  /** Unix seconds the model was installed. */
  created: Type.Integer(),
  owned_by: Type.String(),
  chai: ChaiModelInfoSchema,
});

/** A model as Chai describes it: OpenAI's model fields plus `chai`. */
export type ChaiModel = Static<typeof ChaiModelSchema>;

/** Where the routes (models, select, `model: "auto"`) get the described models from. */
export interface ChaiModelDirectory {
  list(): Promise<ChaiModel[]>;
}

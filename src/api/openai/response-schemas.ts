/**
 * What the OpenAI-dialect routes answer, for the OpenAPI document (docs/chai-v1.md §3, §8, §9). Open objects
 * (OpenAI adds fields over time and clients ignore unknown ones); the fields Chai requires are required. The
 * conformance run validates real answers against these, so they cannot drift from what is served.
 */
import { Type } from "@sinclair/typebox";

const Nullable = <T extends ReturnType<typeof Type.String>>(schema: T) => Type.Union([schema, Type.Null()]);

/** `{"error": {message, type, param, code}}` (§4). */
export const OpenAiErrorSchema = Type.Object({
  error: Type.Object({
    message: Type.String(),
    type: Type.Union([Type.Literal("invalid_request_error"), Type.Literal("server_error")]),
    param: Nullable(Type.String()),
    code: Nullable(Type.String()),
    /** `budget_exceeded` only: the app's budget figures (§4). */
    budget: Type.Optional(
      Type.Object({
        month: Type.String(),
        budget_usd: Type.Number(),
        spent_usd: Type.Number(),
        remaining_usd: Type.Number(),
        estimated_cost_usd: Type.Number(),
        currency: Type.String(),
      }),
    ),
  }),
});

const ToolCall = Type.Object({
  id: Type.String(),
  type: Type.Literal("function"),
  function: Type.Object({ name: Type.String(), arguments: Type.String() }),
});

const ChatUsage = Type.Object({ prompt_tokens: Type.Integer({ minimum: 0 }), completion_tokens: Type.Integer({ minimum: 0 }), total_tokens: Type.Integer({ minimum: 0 }) });

/** A `chat.completion` (§3). */
export const ChatCompletionSchema = Type.Object({
  id: Type.String(),
  object: Type.Literal("chat.completion"),
  created: Type.Integer(),
  model: Type.String(),
  choices: Type.Array(
    Type.Object({
      index: Type.Integer(),
      message: Type.Object({ role: Type.Literal("assistant"), content: Nullable(Type.String()), tool_calls: Type.Optional(Type.Array(ToolCall)) }),
      finish_reason: Type.Union([Type.Literal("stop"), Type.Literal("length"), Type.Literal("tool_calls"), Type.Literal("content_filter")]),
    }),
  ),
  usage: ChatUsage,
});

/** An embeddings list (§8). */
export const EmbeddingListSchema = Type.Object({
  object: Type.Literal("list"),
  data: Type.Array(Type.Object({ object: Type.Literal("embedding"), index: Type.Integer({ minimum: 0 }), embedding: Type.Union([Type.Array(Type.Number()), Type.String()]) })),
  model: Type.String(),
  usage: Type.Object({ prompt_tokens: Type.Integer({ minimum: 0 }), total_tokens: Type.Integer({ minimum: 0 }) }),
});

/** A `response` object (§9). */
export const ResponseObjectSchema = Type.Object({
  id: Type.String({ pattern: "^resp_" }),
  object: Type.Literal("response"),
  created_at: Type.Number(),
  status: Type.Union([Type.Literal("completed"), Type.Literal("incomplete"), Type.Literal("failed"), Type.Literal("in_progress")]),
  model: Type.String(),
  output: Type.Array(
    Type.Union([
      Type.Object({ type: Type.Literal("message"), id: Type.String(), role: Type.Literal("assistant"), status: Type.String(), content: Type.Array(Type.Object({ type: Type.Literal("output_text"), text: Type.String(), annotations: Type.Array(Type.Unknown()) })) }),
      Type.Object({ type: Type.Literal("function_call"), id: Type.String(), call_id: Type.String(), name: Type.String(), arguments: Type.String(), status: Type.String() }),
    ]),
  ),
  usage: Type.Union([
    Type.Object({
      input_tokens: Type.Integer({ minimum: 0 }),
      output_tokens: Type.Integer({ minimum: 0 }),
      total_tokens: Type.Integer({ minimum: 0 }),
      input_tokens_details: Type.Object({ cached_tokens: Type.Integer({ minimum: 0 }) }),
      output_tokens_details: Type.Object({ reasoning_tokens: Type.Integer({ minimum: 0 }) }),
    }),
    Type.Null(),
  ]),
  instructions: Type.Union([Type.String(), Type.Null()]),
  previous_response_id: Type.Union([Type.String(), Type.Null()]),
  store: Type.Boolean(),
});

/** `DELETE /v1/responses/{id}`. */
export const DeletedResponseSchema = Type.Object({ id: Type.String(), object: Type.Literal("response"), deleted: Type.Literal(true) });

/** A 200 that is JSON, or server-sent events when the request asked for `stream: true`. */
export function jsonOrStream(schema: object, description: string): object {
  return {
    description,
    content: {
      "application/json": { schema },
      "text/event-stream": { schema: { type: "string", description: "server-sent events (stream: true)" } },
    },
  };
}

/** The answers of the OpenAI-dialect routes, by `METHOD url` as registered (the OpenAPI transform adds them). */
export const openAiResponses: Record<string, Record<string, object>> = {
  "POST /v1/chat/completions": { 200: jsonOrStream(ChatCompletionSchema, "a chat.completion, or chat.completion.chunk events") },
  "POST /v1/embeddings": { 200: EmbeddingListSchema },
  "POST /v1/responses": { 200: jsonOrStream(ResponseObjectSchema, "a response, or response.* events") },
  "GET /v1/responses/:id": { 200: ResponseObjectSchema },
  "DELETE /v1/responses/:id": { 200: DeletedResponseSchema },
};

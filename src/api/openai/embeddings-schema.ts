/**
 * The request body of `POST /v1/embeddings`, as OpenAI documents it. The shape of `input` is only loosely
 * typed here: embeddings-mapping.ts checks it (empty, mixed, too many) with messages that name the element
 * at fault, which a schema union could not.
 */
import { Type, type Static } from "@sinclair/typebox";

const TokenId = Type.Integer({ minimum: 0 });

export const EmbeddingsBody = Type.Object(
  {
    model: Type.String({ minLength: 1 }),
    /** A text, an array of texts, an array of token ids, or an array of token-id arrays. */
    input: Type.Union([Type.String(), Type.Array(Type.Union([Type.String(), TokenId, Type.Array(TokenId)]))]),
    encoding_format: Type.Optional(Type.Union([Type.Literal("float"), Type.Literal("base64"), Type.Null()])),
    dimensions: Type.Optional(Type.Union([Type.Integer({ minimum: 1 }), Type.Null()])),
    // Accepted and without effect on a local box: identification only.
    user: Type.Optional(Type.String()),
  },
  { additionalProperties: false },
);

export type EmbeddingsBody = Static<typeof EmbeddingsBody>;

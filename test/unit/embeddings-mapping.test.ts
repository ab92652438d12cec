// The pure parts of embeddings: OpenAI's request body and its mapping to the contract, the response in
// both encodings, float32/base64, the model kind read from a GGUF pooling type, and unit-length vectors.
import { Value } from "@sinclair/typebox/value";
import { describe, expect, it } from "vitest";
import { embeddingsObject, MAX_EMBEDDING_INPUTS, toEmbedRequest } from "../../src/api/openai/embeddings-mapping.js";
import { EmbeddingsBody } from "../../src/api/openai/embeddings-schema.js";
import { normalizeError, openAiError } from "../../src/api/errors.js";
import { float32Base64, fromFloat32Base64 } from "../../src/engine/float32.js";
import { modelKindOf, wrongModelKindError } from "../../src/engine/model-kind.js";
import { unitVector } from "../../src/engine/native/runner-process/embed.js";
import { ChaiboxError } from "../../src/errors.js";

function failure(fn: () => unknown): { code: string; param: string | undefined; message: string } {
  try {
    fn();
  } catch (error) {
    if (error instanceof ChaiboxError) return { code: error.code, param: error.details.param, message: error.message };
    throw error;
  }
  throw new Error("did not throw");
}

describe("embeddings request body", () => {
  it("accepts every input shape OpenAI documents, and the optional parameters", () => {
    for (const input of ["text", ["a", "b"], [1, 2, 3], [[1, 2], [3]]]) {
      expect(Value.Check(EmbeddingsBody, { model: "m", input }), JSON.stringify(input)).toBe(true);
    }
    const full = { model: "m", input: "x", encoding_format: "base64", dimensions: 128, user: "u" };
    expect(Value.Check(EmbeddingsBody, full)).toBe(true);
    expect(Value.Check(EmbeddingsBody, { model: "m", input: "x", encoding_format: null, dimensions: null })).toBe(true);
  });

  it("refuses unknown parameters, other encodings, negative token ids and a missing input", () => {
    expect(Value.Check(EmbeddingsBody, { model: "m", input: "x", temperature: 1 })).toBe(false);
    expect(Value.Check(EmbeddingsBody, { model: "m", input: "x", encoding_format: "hex" })).toBe(false);
    expect(Value.Check(EmbeddingsBody, { model: "m", input: [1, -2] })).toBe(false);
    expect(Value.Check(EmbeddingsBody, { model: "m", input: [1.5] })).toBe(false);
    expect(Value.Check(EmbeddingsBody, { model: "m", input: "x", dimensions: 0 })).toBe(false);
    expect(Value.Check(EmbeddingsBody, { model: "m" })).toBe(false);
    expect(Value.Check(EmbeddingsBody, { model: "", input: "x" })).toBe(false);
  });
});

describe("toEmbedRequest", () => {
  it("maps a text, texts, one token array and token arrays to inputs in order", () => {
    expect(toEmbedRequest({ model: "m", input: "hello" })).toEqual({ inputs: ["hello"] });
    expect(toEmbedRequest({ model: "m", input: ["a", "b"] })).toEqual({ inputs: ["a", "b"] });
    expect(toEmbedRequest({ model: "m", input: [5, 6, 7] })).toEqual({ inputs: [[5, 6, 7]] });
    expect(toEmbedRequest({ model: "m", input: [[5], [6, 7]] })).toEqual({ inputs: [[5], [6, 7]] });
  });

  it("passes dimensions on (the runner checks them against the model) and ignores null", () => {
    expect(toEmbedRequest({ model: "m", input: "x", dimensions: 64 })).toEqual({ inputs: ["x"], dimensions: 64 });
    expect(toEmbedRequest({ model: "m", input: "x", dimensions: null })).toEqual({ inputs: ["x"] });
  });

  it("refuses empty input, naming the input at fault", () => {
    expect(failure(() => toEmbedRequest({ model: "m", input: "" }))).toMatchObject({ code: "invalid_request", param: "input" });
    expect(failure(() => toEmbedRequest({ model: "m", input: [] }))).toMatchObject({ code: "invalid_request", param: "input" });
    expect(failure(() => toEmbedRequest({ model: "m", input: ["a", ""] }))).toMatchObject({ code: "invalid_request", param: "input[1]" });
    expect(failure(() => toEmbedRequest({ model: "m", input: [[1], []] }))).toMatchObject({ code: "invalid_request", param: "input[1]" });
  });

  it("refuses a mix of token ids with texts, and more inputs than OpenAI allows", () => {
    const mixed = failure(() => toEmbedRequest({ model: "m", input: ["a", 5] }));
    expect(mixed).toMatchObject({ code: "invalid_request", param: "input[1]" });
    expect(mixed.message).toMatch(/mixes/);
    const many = Array.from({ length: MAX_EMBEDDING_INPUTS + 1 }, () => "x");
    expect(failure(() => toEmbedRequest({ model: "m", input: many }))).toMatchObject({ code: "invalid_request", param: "input" });
    expect(toEmbedRequest({ model: "m", input: many.slice(1) }).inputs).toHaveLength(MAX_EMBEDDING_INPUTS);
  });
});

describe("embeddingsObject", () => {
  const result = { embeddings: [[1, -0.5], [0.25, 0]], promptTokens: 9 };

  it("lists float vectors in order with the token usage", () => {
    expect(embeddingsObject("embed", result)).toEqual({
      object: "list",
      data: [
        { object: "embedding", index: 0, embedding: [1, -0.5] },
        { object: "embedding", index: 1, embedding: [0.25, 0] },
      ],
      model: "embed",
      usage: { prompt_tokens: 9, total_tokens: 9 },
    });
  });

  it("encodes base64 as little-endian float32 bytes", () => {
    const body = embeddingsObject("embed", result, "base64");
    // 1.0 = 00 00 80 3f, -0.5 = 00 00 00 bf.
    expect(body.data[0]?.embedding).toBe(Buffer.from([0, 0, 0x80, 0x3f, 0, 0, 0, 0xbf]).toString("base64"));
    expect(fromFloat32Base64(body.data[1]?.embedding as string)).toEqual([0.25, 0]);
  });
});

describe("float32 base64", () => {
  it("round-trips float32 values exactly and rounds others to float32", () => {
    const values = [Math.fround(Math.PI), -0, Math.fround(1e-40), Math.fround(3.4e38), -1];
    expect(fromFloat32Base64(float32Base64(values))).toEqual(values);
    expect(fromFloat32Base64(float32Base64([0.1]))).toEqual([Math.fround(0.1)]);
    expect(float32Base64([])).toBe("");
  });
});

describe("model kind", () => {
  it("is embedding for the pooling types that make a vector, chat otherwise", () => {
    expect(modelKindOf(undefined)).toBe("chat");
    expect(modelKindOf(0)).toBe("chat");
    expect([1, 2, 3].map(modelKindOf)).toEqual(["embedding", "embedding", "embedding"]);
    // A reranker (rank) scores pairs; it makes no embedding.
    expect(modelKindOf(4)).toBe("chat");
    expect(modelKindOf(-1)).toBe("chat");
  });

  it("refuses the other kind with a 400 naming the model, in OpenAI's envelope", () => {
    const body = openAiError(normalizeError(wrongModelKindError("nomic", "embedding")));
    expect(body.error).toMatchObject({ type: "invalid_request_error", code: "wrong_model_kind", param: "model" });
    expect(body.error.message).toContain("'nomic' is an embedding model");
    expect(body.error.message).toContain("/v1/embeddings");
    expect(wrongModelKindError("qwen", "chat").status).toBe(400);
    expect(wrongModelKindError("qwen", "chat").message).toContain("'qwen' is a chat model");
  });
});

describe("unitVector", () => {
  it("scales to unit length in float32 and leaves a zero vector zero", () => {
    const vector = unitVector(new Float64Array([3, 4]));
    expect(vector).toEqual([Math.fround(0.6), Math.fround(0.8)]);
    expect(unitVector([0, 0])).toEqual([0, 0]);
  });

  it("treats a non-finite value as a model fault", () => {
    expect(failure(() => unitVector([1, Number.NaN]))).toMatchObject({ code: "internal_error" });
    expect(failure(() => unitVector([Number.POSITIVE_INFINITY]))).toMatchObject({ code: "internal_error" });
  });
});

/**
 * `POST /v1/embeddings` through the official `openai` client against a listening chaibox serving the
 * generated embedding model (128 dimensions, mean pooling, random weights) and the tiny chat model.
 */
import OpenAI, { APIError } from "openai";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ensureTestModels } from "../helpers/models.js";
import { startTestServer, type TestServer } from "../helpers/server.js";

const DIMENSIONS = 128;

let server: TestServer;
let client: OpenAI;

beforeAll(async () => {
  await ensureTestModels([{ preset: "embed" }]);
  server = await startTestServer({ models: { embed: "embed", tiny: "tiny" } });
  client = new OpenAI({ baseURL: server.baseURL, apiKey: "test", maxRetries: 0 });
});
afterAll(async () => server?.dispose());

const norm = (vector: number[]): number => Math.sqrt(vector.reduce((sum, value) => sum + value * value, 0));

async function apiError(promise: Promise<unknown>): Promise<APIError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(APIError);
  return error as APIError;
}

/** status, error.type, error.code, error.param: OpenAI's envelope as the client reads it. */
const envelope = (error: APIError) => [error.status, error.type, error.code, error.param];

async function post(body: unknown): Promise<{ status: number; body: Record<string, unknown> }> {
  const response = await fetch(`${server.baseURL}/embeddings`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(body),
  });
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}

describe("embeddings through the openai client", () => {
  it("embeds a string into one unit vector of the model's dimension", async () => {
    // The client asks for base64 by default and decodes it into floats itself.
    const reply = await client.embeddings.create({ model: "embed", input: "The quick brown fox" });
    expect(reply.object).toBe("list");
    expect(reply.model).toBe("embed");
    expect(reply.data).toHaveLength(1);
    expect(reply.data[0]).toMatchObject({ object: "embedding", index: 0 });
    const vector = reply.data[0]!.embedding;
    expect(vector).toHaveLength(DIMENSIONS);
    expect(norm(vector)).toBeCloseTo(1, 5);
    expect(reply.usage.prompt_tokens).toBeGreaterThan(0);
    expect(reply.usage.total_tokens).toBe(reply.usage.prompt_tokens);
  });

  it("embeds an array one vector per input, in order, the same for the same input and real token counts", async () => {
    const texts = ["A recipe for lentil soup", "Trains leave at nine", "A recipe for lentil soup"];
    const reply = await client.embeddings.create({ model: "embed", input: texts, encoding_format: "float" });
    expect(reply.data.map((d) => d.index)).toEqual([0, 1, 2]);
    expect(reply.data.every((d) => d.embedding.length === DIMENSIONS)).toBe(true);
    const [soup, train, soupAgain] = reply.data.map((d) => d.embedding) as [number[], number[], number[]];
    expect(soupAgain).toEqual(soup);
    expect(train).not.toEqual(soup);
    // Each input alone gives the same vector and token count: the batch's usage is their sum.
    const singles = await Promise.all(texts.map((input) => client.embeddings.create({ model: "embed", input, encoding_format: "float" })));
    expect(singles.map((s) => s.data[0]!.embedding)).toEqual([soup, train, soupAgain]);
    const sum = singles.reduce((total, s) => total + s.usage.prompt_tokens, 0);
    expect(reply.usage).toEqual({ prompt_tokens: sum, total_tokens: sum });
    // Longer text, more tokens.
    expect(singles[0]!.usage.prompt_tokens).toBeGreaterThan(singles[1]!.usage.prompt_tokens);
  });

  it("returns base64 of little-endian float32 that decodes to the same floats", async () => {
    const input = ["base64 please", "and another"];
    const floats = await post({ model: "embed", input, encoding_format: "float" });
    const base64 = await post({ model: "embed", input, encoding_format: "base64" });
    expect(base64.status).toBe(200);
    const decode = (text: string): number[] => {
      const bytes = Buffer.from(text, "base64");
      return Array.from({ length: bytes.length / 4 }, (_, i) => bytes.readFloatLE(i * 4));
    };
    const data = (reply: { body: Record<string, unknown> }) => reply.body.data as { embedding: unknown }[];
    const decoded = data(base64).map((d) => decode(d.embedding as string));
    expect(decoded).toEqual(data(floats).map((d) => d.embedding));
    expect(decoded[0]).toHaveLength(DIMENSIONS);
    // The client's own base64 decoding agrees.
    const viaClient = await client.embeddings.create({ model: "embed", input });
    expect(viaClient.data.map((d) => d.embedding)).toEqual(decoded);
  });

  it("embeds token-id arrays and accepts dimensions equal to the model's", async () => {
    const reply = await client.embeddings.create({ model: "embed", input: [[40, 41, 42], [50, 51]], dimensions: DIMENSIONS });
    expect(reply.data.map((d) => d.embedding.length)).toEqual([DIMENSIONS, DIMENSIONS]);
    // Each input's tokens plus the beginning-of-sequence token the model adds.
    expect(reply.usage.prompt_tokens).toBe(7);
    const single = await client.embeddings.create({ model: "embed", input: [40, 41, 42] });
    expect(single.data[0]!.embedding).toEqual(reply.data[0]!.embedding);
  });
});

describe("embeddings errors in OpenAI's envelope", () => {
  it("400 wrong_model_kind for an embedding request to a chat model, loaded or not", async () => {
    // The first request loads the chat model; the second finds it loaded and is refused before queueing.
    for (let i = 0; i < 2; i++) {
      const error = await apiError(client.embeddings.create({ model: "tiny", input: "hello" }));
      expect(envelope(error)).toEqual([400, "invalid_request_error", "wrong_model_kind", "model"]);
      expect(error.message).toContain("'tiny' is a chat model");
    }
  });

  it("400 wrong_model_kind for a chat request to an embedding model, streamed or not", async () => {
    const messages = [{ role: "user" as const, content: "Hello" }];
    const error = await apiError(client.chat.completions.create({ model: "embed", messages }));
    expect(envelope(error)).toEqual([400, "invalid_request_error", "wrong_model_kind", "model"]);
    expect(error.message).toContain("'embed' is an embedding model");
    const streamed = await apiError(client.chat.completions.create({ model: "embed", messages, stream: true }));
    expect(envelope(streamed)).toEqual([400, "invalid_request_error", "wrong_model_kind", "model"]);
  });

  it("404 model_not_found for an unknown model", async () => {
    const error = await apiError(client.embeddings.create({ model: "nope", input: "hello" }));
    expect(envelope(error)).toEqual([404, "invalid_request_error", "model_not_found", "model"]);
  });

  it("400 unsupported_parameter for dimensions other than the model's", async () => {
    const error = await apiError(client.embeddings.create({ model: "embed", input: "hello", dimensions: 64 }));
    expect(envelope(error)).toEqual([400, "invalid_request_error", "unsupported_parameter", "dimensions"]);
    expect(error.message).toContain(String(DIMENSIONS));
  });

  it("400 for empty input, naming the input at fault", async () => {
    const empty = await apiError(client.embeddings.create({ model: "embed", input: "" }));
    expect(envelope(empty)).toEqual([400, "invalid_request_error", "invalid_request", "input"]);
    const none = await apiError(client.embeddings.create({ model: "embed", input: [] }));
    expect(envelope(none)).toEqual([400, "invalid_request_error", "invalid_request", "input"]);
    const second = await apiError(client.embeddings.create({ model: "embed", input: ["fine", ""] }));
    expect(envelope(second)).toEqual([400, "invalid_request_error", "invalid_request", "input[1]"]);
  });

  it("400 context_length_exceeded naming an input longer than the context", async () => {
    const error = await apiError(client.embeddings.create({ model: "embed", input: ["short", "y".repeat(3000)] }));
    expect(envelope(error)).toEqual([400, "invalid_request_error", "context_length_exceeded", "input[1]"]);
  });

  it("400 naming unknown parameters and invalid values", async () => {
    const unknown = await post({ model: "embed", input: "x", temperature: 1 });
    expect(unknown.status).toBe(400);
    expect(unknown.body.error).toMatchObject({ type: "invalid_request_error", code: "unknown_parameter", param: "temperature" });
    const format = await post({ model: "embed", input: "x", encoding_format: "hex" });
    expect(format.status).toBe(400);
    expect(format.body.error).toMatchObject({ type: "invalid_request_error", param: "encoding_format" });
    const token = await post({ model: "embed", input: [1, -2] });
    expect(token.status).toBe(400);
    expect(token.body.error).toMatchObject({ type: "invalid_request_error" });
  });

  it("keeps serving both models after every error above", async () => {
    const reply = await client.embeddings.create({ model: "embed", input: "still here" });
    expect(reply.data[0]!.embedding).toHaveLength(DIMENSIONS);
    const chat = await client.chat.completions.create({ model: "tiny", messages: [{ role: "user", content: "Hi" }], max_tokens: 3 });
    expect(chat.usage?.completion_tokens).toBe(3);
  });
});

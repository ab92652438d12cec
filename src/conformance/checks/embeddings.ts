/** Checks of §8: embeddings. */
import { chatModel, contextToExceed, embeddingModel, expect, expectError, names, object, ok } from "../context.js";
import type { Answer, Probe } from "../probe.js";
import { NotApplicable, type Check } from "../types.js";

function embed(probe: Probe, model: string, extra: Record<string, unknown>): Promise<Answer> {
  return probe.send("POST", "/v1/embeddings", { body: { model, ...extra } });
}

/** The vectors of a 200 answer, checked for one entry per input in order. */
function vectors(answer: Answer, inputs: number, what: string): unknown[] {
  const body = ok(answer, what);
  expect(body.object === "list" && Array.isArray(body.data), `${what}: not {"object": "list", "data": […]}`, answer.exchange);
  const data = body.data as unknown[];
  expect(data.length === inputs, `${what}: ${data.length} entries for ${inputs} inputs`, answer.exchange);
  data.forEach((entry, index) => {
    const item = object(entry);
    expect(item?.object === "embedding" && item.index === index, `${what}: entry ${index} is not {"object": "embedding", "index": ${index}}`, answer.exchange);
  });
  return data.map((entry) => object(entry)?.embedding);
}

function norm(vector: number[]): number {
  return Math.sqrt(vector.reduce((sum, x) => sum + x * x, 0));
}

export const embeddingChecks: Check[] = [
  {
    id: "§8-1",
    level: "MUST",
    title: "input as a string, strings, token ids or arrays of token ids",
    async run(ctx, probe) {
      const model = embeddingModel(ctx);
      const cases: [unknown, number][] = [["hello", 1], [["hello", "world", "again"], 3], [[1, 2, 3], 1], [[[1, 2], [3, 4]], 2]];
      for (const [input, count] of cases) vectors(await embed(probe, model, { input }), count, `input ${JSON.stringify(input)}`);
    },
  },
  {
    id: "§8-2",
    level: "MUST",
    title: "encoding_format float and base64",
    async run(ctx, probe) {
      const model = embeddingModel(ctx);
      const floats = await embed(probe, model, { input: "hello", encoding_format: "float" });
      const [vector] = vectors(floats, 1, "encoding_format float");
      expect(Array.isArray(vector) && vector.every((x) => typeof x === "number"), "float: the embedding is not an array of numbers", floats.exchange);
      const base64 = await embed(probe, model, { input: "hello", encoding_format: "base64" });
      const [text] = vectors(base64, 1, "encoding_format base64");
      expect(typeof text === "string", "base64: the embedding is not a string", base64.exchange);
      const bytes = Buffer.from(text, "base64");
      const decoded = Array.from({ length: bytes.length / 4 }, (_, i) => bytes.readFloatLE(i * 4));
      expect(decoded.length === vector.length && decoded.every((x, i) => Math.abs(x - (vector[i] as number)) < 1e-4), "base64 does not decode (float32, little-endian) to the float vector", base64.exchange);
    },
  },
  {
    id: "§8-3",
    level: "MUST",
    title: "vectors have the model's length and unit length",
    async run(ctx, probe) {
      const answer = await embed(probe, embeddingModel(ctx), { input: ["a cat", "a much longer sentence about a dog"] });
      const list = vectors(answer, 2, "two inputs") as number[][];
      expect(list.every(Array.isArray) && list[0]?.length === list[1]?.length && (list[0]?.length ?? 0) > 0, "vectors differ in length", answer.exchange);
      expect(list.every((vector) => Math.abs(norm(vector) - 1) < 1e-3), `a vector is not unit length (norms ${list.map((v) => norm(v).toFixed(4)).join(", ")})`, answer.exchange);
    },
  },
  {
    id: "§8-4",
    level: "MUST",
    title: "dimensions other than the model's length are refused (400 unsupported_parameter)",
    async run(ctx, probe) {
      const model = embeddingModel(ctx);
      const [vector] = vectors(await embed(probe, model, { input: "hello" }), 1, "one input") as number[][];
      const answer = await embed(probe, model, { input: "hello", dimensions: (vector?.length ?? 8) + 1 });
      expectError(answer, 400, "unsupported_parameter", names("dimensions"), '"dimensions"');
    },
  },
  {
    id: "§8-5",
    level: "MUST",
    title: "empty input (invalid_request) and input over the context (context_length_exceeded) are refused",
    async run(ctx, probe) {
      const model = embeddingModel(ctx);
      expectError(await embed(probe, model, { input: "" }), 400, "invalid_request", names("input"), '"input"');
      const long = await embed(probe, model, { input: ["hi", "hello ".repeat(contextToExceed(ctx, model) + 64)] });
      expectError(long, 400, "context_length_exceeded", names("input[1]"), '"input[1]"');
    },
  },
  {
    id: "§8-6",
    level: "MUST",
    title: "usage.prompt_tokens counts the input tokens and equals total_tokens",
    async run(ctx, probe) {
      const model = embeddingModel(ctx);
      const one = object(ok(await embed(probe, model, { input: "hello" }), "one input").usage);
      const two = await embed(probe, model, { input: ["hello", "hello"] });
      const usage = object(ok(two, "two inputs").usage);
      expect(usage && one, "no usage", two.exchange);
      expect(typeof usage.prompt_tokens === "number" && usage.prompt_tokens === usage.total_tokens, "prompt_tokens is not total_tokens", two.exchange);
      expect(usage.prompt_tokens === 2 * (one.prompt_tokens as number) && usage.prompt_tokens > 0, `two equal inputs count ${String(usage.prompt_tokens)}, one counts ${String(one.prompt_tokens)}`, two.exchange);
    },
  },
  {
    id: "§8-7",
    level: "MUST",
    title: "the other kind of model is refused (400 wrong_model_kind, param model)",
    async run(ctx, probe) {
      const embedder = embeddingModel(ctx);
      if (chatModel(ctx) === embedder) throw new NotApplicable("the server lists no chat model besides the embedding model");
      expectError(await embed(probe, chatModel(ctx), { input: "hello" }), 400, "wrong_model_kind", names("model"), '"model"');
      const chatting = await probe.send("POST", "/v1/chat/completions", { body: { model: embedder, max_tokens: 1, messages: [{ role: "user", content: "hi" }] } });
      expectError(chatting, 400, "wrong_model_kind", names("model"), '"model"');
    },
  },
];

// Embeddings end to end at the runner: real runner child processes, real llama.cpp, the generated embedding
// model (128 dimensions, mean pooling, random weights) and the tiny chat model. The runner refuses a request
// of the other kind on its own, whatever the scheduler checked before.
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { ChatEvent, EmbedRequest, LoadOptions } from "../../src/engine/contract.js";
import { ChildProcessLauncher } from "../../src/engine/native/client.js";
import type { RunnerClient } from "../../src/engine/runner-client.js";
import { ChaiboxError } from "../../src/errors.js";
import { ensureTestModels, testModelPath } from "../helpers/models.js";

const quiet = { debug: () => {}, info: () => {}, warn: () => {}, error: () => {} };
const neverAborted = new AbortController().signal;
const CONTEXT = 256;

let runtimeDir: string;
let launcher: ChildProcessLauncher;
let embedder: RunnerClient;

function loadOptions(overrides: Partial<LoadOptions> = {}): LoadOptions {
  return { modelPath: testModelPath("embed"), contextSize: CONTEXT, parallel: 2, threads: 1, gpuLayers: 0, ...overrides };
}

async function failureOf(promise: Promise<unknown>, code: string): Promise<ChaiboxError> {
  const error = await promise.then(
    () => undefined,
    (reason: unknown) => reason,
  );
  expect(error).toBeInstanceOf(ChaiboxError);
  expect((error as ChaiboxError).code).toBe(code);
  return error as ChaiboxError;
}

const norm = (vector: number[]): number => Math.sqrt(vector.reduce((sum, value) => sum + value * value, 0));
const dot = (a: number[], b: number[]): number => a.reduce((sum, value, i) => sum + value * (b[i] ?? 0), 0);

beforeAll(async () => {
  await ensureTestModels([{ preset: "embed" }]);
  runtimeDir = await mkdtemp(join(tmpdir(), "chaibox-runner-embed-"));
  launcher = new ChildProcessLauncher({ runtimeDir, logger: quiet });
  embedder = await launcher.launch("embed", loadOptions());
});

afterAll(async () => {
  await embedder?.stop();
  await rm(runtimeDir, { recursive: true, force: true });
});

describe("runner with the embedding model", () => {
  it("loads it as an embedding model, from its GGUF pooling type, serving one request at a time", () => {
    expect(embedder.info).toEqual({
      kind: "embedding",
      embeddingLength: 128,
      contextSize: CONTEXT,
      sequenceContextSize: CONTEXT,
      trainContextSize: 4096,
      parallel: 1,
      threads: 1,
      gpuLayers: 0,
      gpu: false,
    });
  });

  it("returns one unit vector per input, in order, the same for the same text", async () => {
    const texts = ["The cat sat on the mat.", "Quarterly revenue grew by 4%.", "The cat sat on the mat."];
    const result = await embedder.embed({ inputs: texts }, neverAborted);
    expect(result.embeddings).toHaveLength(3);
    for (const vector of result.embeddings) {
      expect(vector).toHaveLength(128);
      expect(norm(vector)).toBeCloseTo(1, 5);
      // float32 values: the IPC carries their bits.
      expect(vector.every((value) => Math.fround(value) === value)).toBe(true);
    }
    const [first, second, third] = result.embeddings as [number[], number[], number[]];
    expect(third).toEqual(first);
    expect(dot(first, second)).toBeLessThan(0.99);
    // One token per character plus the space prefix and the beginning-of-sequence token, per input.
    expect(result.promptTokens).toBe(texts.reduce((sum, text) => sum + text.length + 2, 0));
    // Each input is embedded on its own: alone it gets the same vector as in a batch.
    const alone = await embedder.embed({ inputs: [texts[1]!] }, neverAborted);
    expect(alone.embeddings[0]).toEqual(second);
  });

  it("embeds token ids, counting the beginning-of-sequence token it adds", async () => {
    const result = await embedder.embed({ inputs: [[40, 41, 42]] }, neverAborted);
    expect(result.embeddings[0]).toHaveLength(128);
    expect(result.promptTokens).toBe(4);
  });

  it("refuses other dimensions, bad token ids and an input longer than the context, naming it", async () => {
    const dimensions = await failureOf(embedder.embed({ inputs: ["x"], dimensions: 64 }, neverAborted), "unsupported_parameter");
    expect(dimensions.details.param).toBe("dimensions");
    const token = await failureOf(embedder.embed({ inputs: ["ok", [1, 999_999]] }, neverAborted), "invalid_request");
    expect(token.details.param).toBe("input[1]");
    const long = await failureOf(embedder.embed({ inputs: ["short", "y".repeat(CONTEXT)] }, neverAborted), "context_length_exceeded");
    expect(long.details.param).toBe("input[1]");
    expect(long.message).toContain(`${CONTEXT - 1} tokens`);
    // Still serving.
    expect((await embedder.embed({ inputs: ["again"] }, neverAborted)).embeddings).toHaveLength(1);
  });

  it("cuts inputs longer than the context to fit with truncate, keeping their start", async () => {
    const long = "y".repeat(3 * CONTEXT);
    const result = await embedder.embed({ inputs: ["short", long], truncate: true }, neverAborted);
    expect(result.embeddings).toHaveLength(2);
    expect(norm(result.embeddings[1]!)).toBeCloseTo(1, 5);
    // "short" as is (5 characters, the space prefix, the beginning-of-sequence token); the long one cut to
    // the most the context evaluates, beginning-of-sequence token included.
    expect(result.promptTokens).toBe(5 + 2 + (CONTEXT - 1));
    // The beginning-of-sequence token, the space prefix and CONTEXT - 3 characters: the same vector as that
    // text sent whole.
    const start = await embedder.embed({ inputs: [long.slice(0, CONTEXT - 3)] }, neverAborted);
    expect(result.embeddings[1]).toEqual(start.embeddings[0]);
    // Token ids are cut the same way.
    const ids = await embedder.embed({ inputs: [Array<number>(2 * CONTEXT).fill(40)], truncate: true }, neverAborted);
    expect(ids.promptTokens).toBe(CONTEXT - 1);
  });

  it("rejects at once with the signal's reason when aborted, and keeps serving", async () => {
    const controller = new AbortController();
    const request: EmbedRequest = { inputs: Array.from({ length: 64 }, (_, i) => `sentence number ${i} `.repeat(8)) };
    const pending = embedder.embed(request, controller.signal);
    controller.abort(new Error("client gone"));
    await expect(pending).rejects.toThrow("client gone");
    expect((await embedder.embed({ inputs: ["after"] }, neverAborted)).embeddings).toHaveLength(1);
  });

  it("refuses a chat with wrong_model_kind", async () => {
    const events: ChatEvent[] = [];
    const chat = (async () => {
      for await (const event of embedder.chat({ messages: [{ role: "user", content: "hi" }], sampling: {} }, neverAborted)) events.push(event);
    })();
    const error = await failureOf(chat, "wrong_model_kind");
    expect(events).toEqual([]);
    expect(error.message).toContain("'embed' is an embedding model");
    expect(error.details.param).toBe("model");
  });
});

describe("runner with a chat model", () => {
  it("refuses an embedding with wrong_model_kind and reports its kind", async () => {
    const chat = await launcher.launch("tiny", loadOptions({ modelPath: testModelPath("tiny"), parallel: 1 }));
    try {
      expect(chat.info.kind).toBe("chat");
      const error = await failureOf(chat.embed({ inputs: ["hello"] }, neverAborted), "wrong_model_kind");
      expect(error.message).toContain("'tiny' is a chat model");
    } finally {
      await chat.stop();
    }
  });
});

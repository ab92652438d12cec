// Generated GGUF files in the real llama.cpp (through node-llama-cpp): they load in every written type,
// tokenize, resolve to the ChatML wrapper and generate.
import { ChatMLChatWrapper, getLlama, LlamaChatSession, LlamaLogLevel, type Llama } from "node-llama-cpp";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { quantNames } from "../../src/gguf/presets.js";
import { englishWords } from "../../src/gguf/words.js";
import { ensureTestModels, testModelPath } from "../helpers/models.js";

let llama: Llama;

beforeAll(async () => {
  await ensureTestModels(quantNames.map((quant) => ({ preset: "tiny", quant })));
  llama = await getLlama({ gpu: false, build: "never", maxThreads: 1, logLevel: LlamaLogLevel.error });
});

afterAll(async () => {
  await llama?.dispose();
});

describe.each(quantNames)("tiny model, %s", (quant) => {
  it("loads, round-trips text, uses ChatML and generates printable text up to maxTokens", async () => {
    const model = await llama.loadModel({ modelPath: testModelPath("tiny", quant) });
    try {
      const context = await model.createContext({ contextSize: 512, threads: 1 });
      try {
        const text = "Hello, world! The quick brown fox: 42 + x_y = {ok} ~ [done].";
        const tokens = model.tokenize(text);
        expect(tokens.length).toBeGreaterThan(10);
        expect(model.detokenize(tokens)).toBe(text);

        const session = new LlamaChatSession({ contextSequence: context.getSequence() });
        try {
          expect(session.chatWrapper).toBeInstanceOf(ChatMLChatWrapper);
          const reply = await session.promptWithMeta("Say something.", { maxTokens: 8, temperature: 0.8, seed: 1 });
          // The tiny model emits only printable ASCII and never ends a reply on its own.
          expect(reply.responseText).toMatch(/^[\x20-\x7e]+$/);
          expect(reply.stopReason).toBe("maxTokens");
        } finally {
          session.dispose({ disposeSequence: true });
        }
      } finally {
        await context.dispose();
      }
    } finally {
      await model.dispose();
    }
  });
});

describe("demo model", () => {
  it("answers with English words", async () => {
    const model = await llama.loadModel({ modelPath: testModelPath("demo") });
    try {
      expect(String(model.fileInfo.metadata.general.name)).toMatch(/random weights/i);
      const context = await model.createContext({ contextSize: 1024, threads: 1 });
      try {
        const known = new Set(englishWords);
        for (const [index, prompt] of ["Hello!", "What is the capital of France?"].entries()) {
          const session = new LlamaChatSession({ contextSequence: context.getSequence() });
          try {
            expect(session.chatWrapper).toBeInstanceOf(ChatMLChatWrapper);
            const reply = await session.prompt(prompt, { maxTokens: 24, temperature: 0.8, seed: index + 1 });
            const words = reply.trim().split(/[\s.,]+/).filter((word) => word !== "");
            expect(words.length).toBeGreaterThan(0);
            expect(reply).toMatch(/^[a-z .,]+$/);
            for (const word of words) expect(known.has(word), word).toBe(true);
          } finally {
            session.dispose({ disposeSequence: true });
          }
        }
      } finally {
        await context.dispose();
      }
    } finally {
      await model.dispose();
    }
  });
});

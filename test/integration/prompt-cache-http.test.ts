// The prompt cache as clients see it: the official `openai` and `ollama` clients against a listening chaibox
// with the generated tiny model, resending a long system prompt with tools (Home Assistant's pattern).
import { Ollama } from "ollama";
import OpenAI from "openai";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestServer, type TestServer } from "../helpers/server.js";

let server: TestServer;
let openai: OpenAI;
let ollama: Ollama;

beforeAll(async () => {
  server = await startTestServer({ models: { tiny: "tiny" } });
  openai = new OpenAI({ baseURL: server.baseURL, apiKey: "test", maxRetries: 0 });
  ollama = new Ollama({ host: server.url });
});
afterAll(async () => server?.dispose());

const system = `You are the voice assistant of a house. ${"The kitchen light is on and the hall door is locked. ".repeat(16)}`;
const lightTool = {
  type: "function" as const,
  function: {
    name: "set_light",
    description: "Turns a light on or off",
    parameters: { type: "object", properties: { room: { type: "string" }, on: { type: "boolean" } }, required: ["room", "on"] },
  },
};

describe("prompt cache over HTTP", () => {
  // The first request starts the runner, which takes a while on a busy machine.
  it("reports the cached prefix in OpenAI's usage.prompt_tokens_details, tools included", { timeout: 240_000 }, async () => {
    const ask = (content: string) =>
      openai.chat.completions.create({
        model: "tiny",
        messages: [
          { role: "system", content: system },
          { role: "user", content },
        ],
        tools: [lightTool],
        max_tokens: 4,
        temperature: 0,
      });
    const first = await ask("Turn on the hall light.");
    const second = await ask("Is the door locked?");
    const cached = second.usage?.prompt_tokens_details?.cached_tokens ?? 0;
    // The system prompt and the tool documentation are reused; the new question is not.
    expect(cached).toBeGreaterThan(system.length);
    expect(cached).toBeLessThan(second.usage?.prompt_tokens ?? 0);
    expect(first.usage?.prompt_tokens_details?.cached_tokens ?? 0).toBeLessThan(cached);
  });

  it("serves Ollama's /api/chat through the same cache", async () => {
    const messages = [
      { role: "system" as const, content: `${system} (Ollama)` },
      { role: "user" as const, content: "Turn on the hall light." },
    ];
    const viaOllama = await ollama.chat({ model: "tiny", messages, options: { temperature: 0, num_predict: 4 } });
    // Ollama has no field for it, so the OpenAI dialect tells what the Ollama request left in the cache:
    // the same conversation is then all cached but the last token, which must be decoded again.
    const viaOpenAI = await openai.chat.completions.create({ model: "tiny", messages, max_tokens: 4, temperature: 0 });
    expect(viaOllama.prompt_eval_count).toBe(viaOpenAI.usage?.prompt_tokens);
    expect(viaOpenAI.usage?.prompt_tokens_details?.cached_tokens).toBe((viaOpenAI.usage?.prompt_tokens ?? 0) - 1);
    expect(viaOpenAI.choices[0]?.message.content).toBe(viaOllama.message.content);
  });
});

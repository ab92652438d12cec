// The prompt cache end to end: real runner processes, real llama.cpp, the generated tiny model. A runner with
// the cache and one without it serve the same greedy requests; the cache must change what is evaluated (the
// runner's token meter) and nothing of what is generated.
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { ChatMessage, ChatRequest, LoadOptions } from "../../src/engine/contract.js";
import { ChildProcessLauncher, type RunnerLogger } from "../../src/engine/native/client.js";
import type { RunnerClient } from "../../src/engine/runner-client.js";
import { nativeEngine } from "../../src/engine/native/engine-files.js";
import { collectEvents, type ChatResult } from "../helpers/chat-events.js";
import { testModelPath } from "../helpers/models.js";

const engineLines: Record<string, unknown>[] = [];
const logger: RunnerLogger = {
  debug: () => undefined,
  info: (fields, message) => {
    if (message === "engine loaded") engineLines.push(fields as Record<string, unknown>);
  },
  warn: () => undefined,
  error: () => undefined,
};
const neverAborted = new AbortController().signal;

// A long shared system prompt, as a voice assistant resends it with every command.
const homePrompt = `You are the voice assistant of a house. ${"The kitchen light is on. The hall door is locked. ".repeat(8)}`;
const shopPrompt = `You keep the shopping list of a family. ${"Milk, bread and apples are on the list. ".repeat(8)}`;

function chat(messages: ChatMessage[], maxTokens = 8): ChatRequest {
  return { messages, sampling: { temperature: 0, maxTokens } };
}

function turn(system: string, question: string): ChatMessage[] {
  return [
    { role: "system", content: system },
    { role: "user", content: question },
  ];
}

async function run(runner: RunnerClient, request: ChatRequest): Promise<ChatResult & { done: NonNullable<ChatResult["done"]> }> {
  const result = await collectEvents(runner.chat(request, neverAborted));
  expect(result.error).toBeUndefined();
  expect(result.done).toBeDefined();
  return result as ChatResult & { done: NonNullable<ChatResult["done"]> };
}

let runtimeDir: string;
let launcher: ChildProcessLauncher;
let cached: RunnerClient;
let uncached: RunnerClient;

function loadOptions(promptCache: boolean): LoadOptions {
  return { modelPath: testModelPath("tiny"), contextSize: 1024, parallel: 2, threads: 1, gpuLayers: 0, promptCache };
}

beforeAll(async () => {
  runtimeDir = await mkdtemp(join(tmpdir(), "chaibox-cache-"));
  launcher = new ChildProcessLauncher({ runtimeDir, logger });
  [cached, uncached] = await Promise.all([launcher.launch("tiny", loadOptions(true)), launcher.launch("tiny", loadOptions(false))]);
});

afterAll(async () => {
  await Promise.all([cached?.stop(), uncached?.stop()]);
  await rm(runtimeDir, { recursive: true, force: true });
});

describe("engine", () => {
  it("logs which engine each runner loaded: native once `chaibox engine build` ran, else the prebuilt one", () => {
    expect(engineLines).toHaveLength(2);
    for (const line of engineLines) expect(line.engine).toBe(nativeEngine() ? "native" : "prebuilt");
  });
});

describe("prompt cache", () => {
  it("evaluates only the new tokens of a request that shares a prefix with an earlier one", async () => {
    const first = await run(cached, chat(turn(homePrompt, "Is the door locked?")));
    // A fresh sequence holds nothing: the whole prompt is evaluated.
    expect(first.done.usage.cachedPromptTokens).toBe(0);
    expect(first.done.usage.evaluatedPromptTokens).toBe(first.done.usage.promptTokens);

    const second = await run(cached, chat(turn(homePrompt, "Turn off the kitchen light.")));
    const { promptTokens, cachedPromptTokens = 0, evaluatedPromptTokens } = second.done.usage;
    // The system prompt (hundreds of byte tokens) is reused; only the new question is evaluated, and the
    // runner's token meter agrees with what the cache claims to have saved.
    expect(cachedPromptTokens).toBeGreaterThan(homePrompt.length * 0.9);
    expect(evaluatedPromptTokens).toBe(promptTokens - cachedPromptTokens);
    expect(evaluatedPromptTokens).toBeLessThan(60);
  });

  it("reuses nothing but the common template of a request with a different prefix", async () => {
    await run(cached, chat(turn(homePrompt, "Is the door locked?")));
    await run(cached, chat(turn(homePrompt, "Is the door locked?")));
    const other = await run(cached, chat(turn(shopPrompt, "Is the door locked?")));
    // The only sequence that shares anything shares just the template's opening ("<|im_start|>system\nYou "),
    // too little to give up its conversation for: the request takes the other, empty sequence.
    expect(other.done.usage.cachedPromptTokens).toBe(0);
    expect(other.done.usage.evaluatedPromptTokens).toBe(other.done.usage.promptTokens - (other.done.usage.cachedPromptTokens ?? 0));
    const reference = await run(uncached, chat(turn(shopPrompt, "Is the door locked?")));
    expect(other.text).toBe(reference.text);
  });

  it("gives greedy outputs identical to a runner without the cache, turn after turn", async () => {
    const questions = ["Is the door locked?", "And the kitchen light?", "Lock the door, please."];
    const histories: Record<"cached" | "uncached", ChatMessage[]> = { cached: [{ role: "system", content: homePrompt }], uncached: [{ role: "system", content: homePrompt }] };
    for (const [index, question] of questions.entries()) {
      const replies = await Promise.all(
        (["cached", "uncached"] as const).map(async (side) => {
          histories[side].push({ role: "user", content: question });
          const reply = await run(side === "cached" ? cached : uncached, chat(histories[side], 12));
          histories[side].push({ role: "assistant", content: reply.text });
          return reply;
        }),
      );
      const [withCache, withoutCache] = replies as [ChatResult & { done: NonNullable<ChatResult["done"]> }, typeof replies[0]];
      expect(withCache.text).toBe(withoutCache.text);
      expect(withCache.done.usage.promptTokens).toBe(withoutCache.done.usage.promptTokens);
      expect(withoutCache.done.usage.cachedPromptTokens).toBe(0);
      expect(withoutCache.done.usage.evaluatedPromptTokens).toBe(withoutCache.done.usage.promptTokens);
      // From the second turn on, the whole earlier conversation is cached.
      if (index > 0) expect(withCache.done.usage.cachedPromptTokens).toBeGreaterThan(homePrompt.length);
    }
  });

  it("answers concurrent requests with different prefixes as a runner without the cache does", async () => {
    const requests = [homePrompt, shopPrompt, homePrompt, shopPrompt].map((system, index) => chat(turn(system, `Question number ${index}?`), 10));
    const references = [];
    for (const request of requests) references.push((await run(uncached, request)).text);
    // Four at once on two sequences: two wait, then each takes the free sequence with the longest prefix.
    const concurrent = await Promise.all(requests.map((request) => run(cached, request)));
    expect(concurrent.map((reply) => reply.text)).toEqual(references);
    // The first two found their own system prompt cached, each on its own sequence (the tests above left
    // one conversation on each); the last two got whichever sequence came free first.
    expect(concurrent[0]!.done.usage.cachedPromptTokens).toBeGreaterThan(homePrompt.length);
    expect(concurrent[1]!.done.usage.cachedPromptTokens).toBeGreaterThan(shopPrompt.length);
  });
});

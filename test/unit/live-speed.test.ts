/** Live speed: what one chat contributes to the moving average, and the pipeline's timing step around the service. */
import { describe, expect, it } from "vitest";
import type { ChatEvent, ChatRequest, EmbedRequest, EmbedResult, InferenceService } from "../../src/engine/contract.js";
import { collectChat } from "../../src/engine/collect.js";
import { engineStage } from "../../src/engine/pipeline/index.js";
import { liveSpeedStep } from "../../src/engine/pipeline/live-speed.js";
import { liveSpeedPorts, sampleOf, type ChatTiming, type LiveSpeedOptions } from "../../src/models/performance/live-speed.js";
import type { SpeedSample } from "../../src/models/performance/performance-store.js";

const base: ChatTiming = { startMs: 0, firstTextMs: 100, lastTextMs: 1100, ready: true, promptTokens: 40, completionTokens: 51, toolCalls: false };

describe("sampleOf", () => {
  it("times a short prompt's first token and the generation after it", () => {
    expect(sampleOf(base)).toEqual({ generationTokensPerSecond: 50, timeToFirstTokenMs: 100 });
  });

  it("times prompt speed only on a long prompt, and nothing up to the first token after a wait", () => {
    expect(sampleOf({ ...base, promptTokens: 400, firstTextMs: 200, lastTextMs: 1200 })).toEqual({ generationTokensPerSecond: 50, promptTokensPerSecond: 2000 });
    expect(sampleOf({ ...base, promptTokens: 200 })).toEqual({ generationTokensPerSecond: 50 });
    expect(sampleOf({ ...base, ready: false })).toEqual({ generationTokensPerSecond: 50 });
  });

  it("skips the generation rate of tool calls, very short answers and chats without text", () => {
    expect(sampleOf({ ...base, toolCalls: true })).toEqual({ timeToFirstTokenMs: 100 });
    expect(sampleOf({ ...base, completionTokens: 3 })).toEqual({ timeToFirstTokenMs: 100 });
    expect(sampleOf({ ...base, firstTextMs: undefined, lastTextMs: undefined })).toEqual({});
  });
});

/** A service whose chat advances a fake clock as it emits, and which has more than the contract. */
class FakeService implements InferenceService {
  clock = 0;
  embedded = 0;
  constructor(private readonly steps: [atMs: number, event: ChatEvent][]) {}
  async *chat(_modelId: string, _request: ChatRequest, _signal: AbortSignal): AsyncGenerator<ChatEvent> {
    for (const [at, event] of this.steps) {
      this.clock = at;
      await Promise.resolve();
      yield event;
    }
  }
  embed(_modelId: string, _request: EmbedRequest, _signal: AbortSignal): Promise<EmbedResult> {
    this.embedded += 1;
    return Promise.resolve({ embeddings: [[1]], promptTokens: 2 });
  }
  preload(_modelId: string, _signal: AbortSignal): Promise<void> {
    return Promise.resolve();
  }
  status(): string {
    return `embedded ${this.embedded}`;
  }
}

/** The live-speed step over `service` alone, called as the dialects once called the service; with the service's own status. */
function withLiveSpeed(service: FakeService, options: LiveSpeedOptions) {
  const stage = liveSpeedStep(liveSpeedPorts(options)).wrap(engineStage(service));
  return {
    chat: (modelId: string, chat: ChatRequest, signal: AbortSignal) => stage.chat(modelId, chat, { caller: {}, signal }),
    embed: (modelId: string, embed: EmbedRequest, signal: AbortSignal) => stage.embed(modelId, embed, { caller: {}, signal }),
    status: () => service.status(),
  };
}

const request: ChatRequest = { messages: [{ role: "user", content: "hi" }], sampling: {} };

describe("the live-speed step", () => {
  it("records each chat's figures from its events and ends the request at done, even if the consumer stops there", async () => {
    const service = new FakeService([
      [100, { type: "text", text: "a" }],
      [150, { type: "text", text: "" }],
      [600, { type: "text", text: "b" }],
      [700, { type: "done", finishReason: "length", usage: { promptTokens: 30, completionTokens: 21 } }],
    ]);
    const recorded: [string, SpeedSample][] = [];
    let open = 0;
    const timed = withLiveSpeed(service, {
      isReady: () => true,
      record: (modelId, sample) => recorded.push([modelId, sample]),
      onRequest: () => (open++, () => open--),
      now: () => service.clock,
    });
    // collectChat returns at `done` without closing the iterator, as dialects do.
    const result = await collectChat(timed.chat("m", request, new AbortController().signal));
    expect(result.text).toBe("ab");
    expect(recorded).toEqual([["m", { generationTokensPerSecond: 40, timeToFirstTokenMs: 100 }]]);
    expect(open).toBe(0);
  });

  it("passes embeds through to the service, counting them as requests, and survives a failing recorder", async () => {
    const service = new FakeService([[5, { type: "done", finishReason: "stop", usage: { promptTokens: 1, completionTokens: 0 } }]]);
    let requests = 0;
    const timed = withLiveSpeed(service, {
      isReady: () => false,
      record: () => {
        throw new Error("disk full");
      },
      onRequest: () => (requests++, () => undefined),
    });
    await timed.embed("e", { inputs: ["x"] }, new AbortController().signal);
    expect(timed.status()).toBe("embedded 1");
    expect((await collectChat(timed.chat("m", request, new AbortController().signal))).finishReason).toBe("stop");
    expect(requests).toBe(2);
  });
});

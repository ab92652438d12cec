// Embeddings through the real scheduler on fake runners: the same admission, queue, slots, keep-alive,
// cancellation, crash handling and shutdown as chats, and a request of the wrong kind refused without a slot.
import { describe, expect, it } from "vitest";
import type { ChatEvent, EmbedResult, LoadOptions } from "../../src/engine/contract.js";
import { Scheduler, type SchedulerOptions } from "../../src/engine/scheduler.js";
import { ChaiboxError } from "../../src/errors.js";
import { FAKE_EMBEDDING_LENGTH, FakeClock, FakeLauncher, settle } from "../helpers/fake-runner.js";

type Outcome = { result: EmbedResult; error?: undefined } | { result?: undefined; error: unknown };

const options: LoadOptions = { modelPath: "/models/m.gguf", contextSize: 512, parallel: 2, threads: 2, gpuLayers: 0 };

function setup(overrides: Partial<SchedulerOptions> & { gated?: boolean } = {}) {
  const launcher = new FakeLauncher();
  if (overrides.gated) launcher.configure = (runner) => (runner.autoFinish = false);
  // Models named e* are embedding models, the rest chat models (as each runner would read its file).
  launcher.kinds.set("e", "embedding");
  launcher.kinds.set("e2", "embedding");
  const clock = new FakeClock();
  const scheduler = new Scheduler({
    launcher,
    clock,
    resolveModel: (modelId) =>
      modelId.startsWith("unknown")
        ? Promise.reject(new ChaiboxError("model_not_found", `Model ${modelId} does not exist.`))
        : Promise.resolve(options),
    ...overrides,
  });
  const embed = (modelId: string, inputs: string[] = ["hi"], signal = new AbortController().signal): Promise<Outcome> =>
    scheduler.embed(modelId, { inputs }, signal).then(
      (result) => ({ result }),
      (error: unknown) => ({ error }),
    );
  const chat = async (modelId: string): Promise<{ events: ChatEvent[]; error?: unknown }> => {
    const events: ChatEvent[] = [];
    try {
      for await (const event of scheduler.chat(modelId, { messages: [{ role: "user", content: "hi" }], sampling: {} }, new AbortController().signal)) {
        events.push(event);
      }
      return { events };
    } catch (error) {
      return { events, error };
    }
  };
  /** Finishes every open embedding until none is left. */
  const drain = async (): Promise<void> => {
    for (let round = 0; round < 50; round++) {
      await settle();
      const open = launcher.runners.flatMap((runner) => runner.embedCalls.filter((call) => !call.closed));
      if (open.length === 0) return;
      for (const call of open) call.finish();
    }
  };
  return { scheduler, launcher, clock, embed, chat, drain };
}

function codeOf(outcome: { error?: unknown }): string | undefined {
  return outcome.error instanceof ChaiboxError ? outcome.error.code : undefined;
}

describe("Scheduler embeddings", () => {
  it("returns the runner's vectors, one per input", async () => {
    const { embed } = setup();
    const outcome = await embed("e", ["a", "b"]);
    expect(outcome.result?.embeddings).toHaveLength(2);
    expect(outcome.result?.embeddings[1]).toHaveLength(FAKE_EMBEDDING_LENGTH);
    expect(outcome.result?.embeddings[1]?.[0]).toBe(1);
    expect(outcome.result?.promptTokens).toBe(4);
  });

  it("runs one at a time on an embedding runner, queues in FIFO order and rejects beyond the queue", async () => {
    const { scheduler, launcher, embed, drain } = setup({ gated: true, queueSize: 2 });
    // Loaded first: until its runner reports parallel 1, the scheduler counts the slots it asked for.
    const warm = embed("e", ["warm"]);
    await drain();
    await warm;
    const outcomes = [embed("e", ["r0"]), embed("e", ["r1"]), embed("e", ["r2"]), embed("e", ["r3"])];
    await settle();
    // One runs, two wait, the fourth is refused at once.
    expect(scheduler.stats("e")).toMatchObject({ state: "loaded", active: 1, queued: 2 });
    const rejected = await outcomes[3]!;
    expect(codeOf(rejected)).toBe("queue_full");
    expect((rejected.error as ChaiboxError).details.retryAfterSeconds).toBeGreaterThanOrEqual(1);
    await drain();
    await Promise.all(outcomes.slice(0, 3));
    expect(launcher.runners[0]?.embedCalls.map((call) => call.request.inputs[0])).toEqual(["warm", "r0", "r1", "r2"]);
    expect(scheduler.stats("e")).toMatchObject({ active: 0, queued: 0 });
  });

  it("fails an unknown model fast without launching anything", async () => {
    const { launcher, embed } = setup();
    expect(codeOf(await embed("unknown-x"))).toBe("model_not_found");
    expect(launcher.launches).toEqual([]);
  });

  it("refuses a loaded model of the other kind at once, without a slot or a runner call", async () => {
    const { scheduler, launcher, embed, chat, drain } = setup({ gated: true, queueSize: 0 });
    // Both models loaded and busy, with no queue room: a refusal must not count as queue_full.
    const busyEmbed = embed("e");
    const busyChat = chat("c");
    await settle();
    const chatOnEmbed = await chat("e");
    expect(codeOf(chatOnEmbed)).toBe("wrong_model_kind");
    expect((chatOnEmbed.error as ChaiboxError).details.param).toBe("model");
    expect((chatOnEmbed.error as ChaiboxError).message).toContain("'e' is an embedding model");
    const embedOnChat = await embed("c");
    expect(codeOf(embedOnChat)).toBe("wrong_model_kind");
    expect((embedOnChat.error as ChaiboxError).message).toContain("'c' is a chat model");
    const [embedder, chatter] = [launcher.runnersOf("e")[0], launcher.runnersOf("c")[0]];
    expect(embedder?.calls).toEqual([]);
    expect(chatter?.embedCalls).toEqual([]);
    expect(scheduler.stats("e")).toMatchObject({ active: 1, queued: 0 });
    await drain();
    chatter?.calls[0]?.finish();
    expect((await busyEmbed).result).toBeDefined();
    expect((await busyChat).error).toBeUndefined();
  });

  it("refuses a request of the other kind once the model it loaded reports its kind, leaving it loaded and idle", async () => {
    const { scheduler, launcher, clock, embed } = setup({ keepAliveMs: 1000 });
    const outcome = await embed("c");
    expect(codeOf(outcome)).toBe("wrong_model_kind");
    expect(launcher.runnersOf("c")[0]?.embedCalls).toEqual([]);
    expect(scheduler.loaded()[0]).toMatchObject({ modelId: "c", active: 0, expiresAt: clock.now() + 1000 });
  });

  it("passes an abort to the runner and frees the slot; an abort while queued leaves the queue", async () => {
    const { scheduler, launcher, embed, drain } = setup({ gated: true });
    const running = new AbortController();
    const queued = new AbortController();
    const first = embed("e", ["a"], running.signal);
    const second = embed("e", ["b"], queued.signal);
    const third = embed("e", ["c"]);
    await settle();
    queued.abort(new Error("left the queue"));
    expect((await second).error).toEqual(new Error("left the queue"));
    expect(scheduler.stats("e")).toMatchObject({ active: 1, queued: 1 });
    running.abort(new Error("client went away"));
    expect((await first).error).toEqual(new Error("client went away"));
    expect(launcher.runners[0]?.embedCalls[0]?.signal.aborted).toBe(true);
    await drain();
    expect((await third).result).toBeDefined();
    expect(launcher.runners[0]?.embedCalls.map((call) => call.request.inputs[0])).toEqual(["a", "c"]);
  });

  it("fails a running embedding with runner_crashed and relaunches for the next request", async () => {
    const { scheduler, launcher, embed, drain } = setup({ gated: true });
    const inFlight = embed("e");
    const queued = embed("e");
    await settle();
    launcher.runners[0]?.crash({ code: null, signal: "SIGKILL" });
    expect(codeOf(await inFlight)).toBe("runner_crashed");
    await drain();
    expect((await queued).result).toBeDefined();
    expect(launcher.runners).toHaveLength(2);
    expect(scheduler.loaded().map((m) => m.pid)).toEqual([launcher.runners[1]?.pid]);
  });

  it("stops an idle embedding runner when keep-alive expires, and evicts it for another model", async () => {
    const { scheduler, launcher, clock, embed } = setup({ keepAliveMs: 1000, maxLoadedModels: 1 });
    await embed("e");
    clock.advance(1000);
    await settle();
    expect(launcher.runners[0]?.stopCalls).toHaveLength(1);
    await embed("e");
    expect((await embed("e2")).result).toBeDefined();
    expect(launcher.runners[1]?.stopCalls).toHaveLength(1);
    expect(scheduler.loaded().map((m) => m.modelId)).toEqual(["e2"]);
  });

  it("cuts off an embedding still running at the shutdown deadline with shutting_down", async () => {
    const { scheduler, launcher, clock, embed } = setup({ gated: true });
    const running = embed("e");
    await settle();
    const stopped = scheduler.stop(1000);
    expect(codeOf(await embed("e"))).toBe("shutting_down");
    await settle();
    clock.advance(1000);
    expect(codeOf(await running)).toBe("shutting_down");
    await stopped;
    expect(launcher.runners[0]?.embedCalls[0]?.signal.aborted).toBe(true);
    expect(launcher.runners[0]?.stopCalls).toHaveLength(1);
  });
});

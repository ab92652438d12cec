// Per-request keep-alive (Ollama's keep_alive) and preload, through the real scheduler on fake runners and a
// fake clock: the latest admitted request's keep-alive replaces the configured one until the runner ends.
import { describe, expect, it } from "vitest";
import type { AdmissionOptions, ChatEvent, LoadOptions } from "../../src/engine/contract.js";
import { Scheduler, type SchedulerOptions } from "../../src/engine/scheduler.js";
import { ChaiboxError } from "../../src/errors.js";
import { FakeClock, FakeLauncher, settle } from "../helpers/fake-runner.js";

const options: LoadOptions = { modelPath: "/models/m.gguf", contextSize: 512, parallel: 2, threads: 2, gpuLayers: 0 };
const never = new AbortController().signal;

function setup(overrides: Partial<SchedulerOptions> & { gated?: boolean } = {}) {
  const launcher = new FakeLauncher();
  if (overrides.gated) launcher.configure = (runner) => (runner.autoFinish = false);
  launcher.kinds.set("e", "embedding");
  const clock = new FakeClock();
  const scheduler = new Scheduler({
    launcher,
    clock,
    keepAliveMs: 1000,
    resolveModel: (modelId) =>
      modelId.startsWith("unknown")
        ? Promise.reject(new ChaiboxError("model_not_found", `Model ${modelId} does not exist.`))
        : Promise.resolve(options),
    ...overrides,
  });
  const chat = async (modelId: string, admission?: AdmissionOptions): Promise<{ events: ChatEvent[]; error?: unknown }> => {
    const events: ChatEvent[] = [];
    try {
      const request = { messages: [{ role: "user" as const, content: "hi" }], sampling: {} };
      for await (const event of scheduler.chat(modelId, request, never, admission)) events.push(event);
      return { events };
    } catch (error) {
      return { events, error };
    }
  };
  const stops = (modelId: string, index = 0): number => launcher.runnersOf(modelId)[index]?.stopCalls.length ?? 0;
  return { scheduler, launcher, clock, chat, stops };
}

async function failure(promise: Promise<unknown>): Promise<unknown> {
  return promise.then(
    () => undefined,
    (error: unknown) => error,
  );
}

describe("per-request keep-alive", () => {
  it("extends the model's keep-alive from the request on", async () => {
    const { scheduler, clock, chat, stops } = setup();
    await chat("m", { keepAliveMs: 10_000 });
    expect(scheduler.stats("m").expiresAt).toBe(clock.now() + 10_000);
    expect(scheduler.loaded()[0]?.expiresAt).toBe(clock.now() + 10_000);
    clock.advance(5_000);
    await settle();
    expect(stops("m")).toBe(0);
    clock.advance(5_000);
    await settle();
    expect(stops("m")).toBe(1);
  });

  it("shortens it, and a later request without one keeps the latest", async () => {
    const { scheduler, clock, chat, stops } = setup();
    await chat("m", { keepAliveMs: 100 });
    expect(scheduler.stats("m").expiresAt).toBe(clock.now() + 100);
    clock.advance(50);
    // No keep-alive of its own: the one the previous request set stays in force.
    await chat("m");
    expect(scheduler.stats("m").expiresAt).toBe(clock.now() + 100);
    clock.advance(100);
    await settle();
    expect(stops("m")).toBe(1);
  });

  it("lets the latest admitted request win over one still running", async () => {
    const { scheduler, launcher, clock, chat } = setup({ gated: true });
    const first = chat("m", { keepAliveMs: 60_000 });
    await settle();
    const second = chat("m", { keepAliveMs: 200 });
    await settle();
    for (const call of launcher.runners[0]?.calls ?? []) call.finish();
    await Promise.all([first, second]);
    expect(scheduler.stats("m").expiresAt).toBe(clock.now() + 200);
  });

  it("never expires with Infinity (or a negative keep-alive)", async () => {
    const { scheduler, clock, chat, stops } = setup();
    await chat("m", { keepAliveMs: Number.POSITIVE_INFINITY });
    expect(scheduler.stats("m")).toMatchObject({ state: "loaded", expiresAt: null });
    expect(clock.pending).toBe(0);
    clock.advance(365 * 24 * 3600_000);
    await settle();
    expect(stops("m")).toBe(0);
    await chat("m", { keepAliveMs: -1 });
    expect(scheduler.stats("m").expiresAt).toBeNull();
  });

  it("unloads right after the request with 0", async () => {
    const { scheduler, chat, stops } = setup();
    const outcome = await chat("m", { keepAliveMs: 0 });
    expect(outcome.events.at(-1)?.type).toBe("done");
    await settle();
    expect(stops("m")).toBe(1);
    expect(scheduler.loaded()).toEqual([]);
  });

  it("is forgotten once the runner unloads: the next load has the configured keep-alive again", async () => {
    const { scheduler, launcher, clock, chat } = setup();
    await chat("m", { keepAliveMs: 60_000 });
    await scheduler.unload("m");
    await chat("m");
    expect(launcher.runnersOf("m")).toHaveLength(2);
    expect(scheduler.stats("m").expiresAt).toBe(clock.now() + 1000);
  });

  it("is forgotten when the runner dies", async () => {
    const { scheduler, launcher, clock, chat } = setup();
    await chat("m", { keepAliveMs: 60_000 });
    launcher.runners[0]?.die({ code: 134, signal: null });
    await settle();
    await chat("m");
    expect(scheduler.stats("m").expiresAt).toBe(clock.now() + 1000);
  });

  it("applies to embeddings, and not from a request refused for the wrong model kind", async () => {
    const { scheduler, clock, chat } = setup();
    await scheduler.embed("e", { inputs: ["x"] }, never, { keepAliveMs: 7000 });
    expect(scheduler.stats("e").expiresAt).toBe(clock.now() + 7000);
    const refused = await chat("e", { keepAliveMs: 0 });
    expect((refused.error as ChaiboxError).code).toBe("wrong_model_kind");
    expect(scheduler.stats("e")).toMatchObject({ state: "loaded", expiresAt: clock.now() + 7000 });
  });

  it("refuses a keep-alive that is not a number", async () => {
    const { launcher, chat } = setup();
    const outcome = await chat("m", { keepAliveMs: Number.NaN });
    expect(outcome.error).toMatchObject({ code: "invalid_request", details: { param: "keep_alive" } });
    expect(launcher.launches).toHaveLength(0);
  });
});

describe("preload", () => {
  it("loads a model without running anything and honours its keep-alive", async () => {
    const { scheduler, launcher, clock, stops } = setup();
    await scheduler.preload("m", never, { keepAliveMs: 5000 });
    expect(launcher.launches).toHaveLength(1);
    expect(launcher.runners[0]?.calls).toHaveLength(0);
    expect(scheduler.stats("m")).toMatchObject({ state: "loaded", active: 0, queued: 0, expiresAt: clock.now() + 5000 });
    clock.advance(4999);
    await settle();
    expect(stops("m")).toBe(0);
    clock.advance(1);
    await settle();
    expect(stops("m")).toBe(1);
  });

  it("uses the configured keep-alive without one, and loads a model of either kind", async () => {
    const { scheduler, clock } = setup();
    await scheduler.preload("m", never);
    await scheduler.preload("e", never);
    expect(scheduler.loaded().map((status) => [status.modelId, status.info.kind, status.expiresAt])).toEqual([
      ["m", "chat", clock.now() + 1000],
      ["e", "embedding", clock.now() + 1000],
    ]);
  });

  it("resolves once the load is done, and takes no slot of a loaded busy model", async () => {
    const { scheduler, launcher, clock, chat } = setup({ gated: true });
    launcher.manual = true;
    let preloaded = false;
    const preloading = scheduler.preload("m", never).then(() => (preloaded = true));
    await settle();
    expect(preloaded).toBe(false);
    expect(scheduler.stats("m")).toMatchObject({ state: "loading", queued: 1 });
    launcher.launches[0]?.succeed();
    await preloading;
    expect(preloaded).toBe(true);

    const running = [chat("m"), chat("m")];
    await settle();
    expect(scheduler.stats("m")).toMatchObject({ active: 2 });
    // Both slots busy: the preload still resolves at once, and its keep-alive applies once the model is idle.
    await scheduler.preload("m", never, { keepAliveMs: 3000 });
    expect(scheduler.stats("m")).toMatchObject({ active: 2, queued: 0, expiresAt: null });
    for (const call of launcher.runners[0]?.calls ?? []) call.finish();
    await Promise.all(running);
    expect(scheduler.stats("m").expiresAt).toBe(clock.now() + 3000);
    expect(launcher.launches).toHaveLength(1);
  });

  it("changes the keep-alive of an idle loaded model at once; 0 unloads it", async () => {
    const { scheduler, clock, chat, stops } = setup();
    await chat("m");
    expect(scheduler.stats("m").expiresAt).toBe(clock.now() + 1000);
    await scheduler.preload("m", never, { keepAliveMs: Number.POSITIVE_INFINITY });
    expect(scheduler.stats("m").expiresAt).toBeNull();
    expect(clock.pending).toBe(0);
    await scheduler.preload("m", never, { keepAliveMs: 0 });
    await settle();
    expect(stops("m")).toBe(1);
    expect(scheduler.loaded()).toEqual([]);
  });

  it("rejects an unknown model with model_not_found, launching nothing", async () => {
    const { scheduler, launcher } = setup();
    const error = await failure(scheduler.preload("unknown-model", never));
    expect(error).toBeInstanceOf(ChaiboxError);
    expect((error as ChaiboxError).code).toBe("model_not_found");
    expect(launcher.launches).toHaveLength(0);
  });

  it("rejects with the load's failure and with the signal's reason when aborted while loading", async () => {
    const { scheduler, launcher } = setup();
    launcher.manual = true;
    const failing = failure(scheduler.preload("m", never));
    await settle();
    const loadError = new ChaiboxError("model_load_failed", "bad file");
    launcher.launches[0]?.fail(loadError);
    expect(await failing).toBe(loadError);

    const controller = new AbortController();
    const aborted = failure(scheduler.preload("m", controller.signal));
    await settle();
    controller.abort(new Error("client gone"));
    expect(await aborted).toEqual(new Error("client gone"));
    await settle();
    expect(scheduler.stats("m")).toMatchObject({ state: "unloaded", queued: 0 });
  });
});

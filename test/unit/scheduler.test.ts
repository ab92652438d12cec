import { pino } from "pino";
import { describe, expect, it } from "vitest";
import type { ChatEvent, ChatRequest, LoadOptions } from "../../src/engine/contract.js";
import { Scheduler } from "../../src/engine/scheduler.js";
import type { SchedulerLogger, SchedulerOptions } from "../../src/engine/scheduler.js";
import { ChaiboxError } from "../../src/errors.js";
import { FakeClock, FakeLauncher, settle } from "../helpers/fake-runner.js";

type Outcome = { events: ChatEvent[]; error?: undefined } | { events?: undefined; error: unknown };

function request(text: string): ChatRequest {
  return { messages: [{ role: "user", content: text }], sampling: {} };
}

function optionsFor(parallel: number): LoadOptions {
  return { modelPath: "/models/m.gguf", contextSize: 512, parallel, threads: 2, gpuLayers: 0 };
}

interface Setup {
  scheduler: Scheduler;
  launcher: FakeLauncher;
  clock: FakeClock;
  warnings: object[];
  resolved: string[];
  /** Starts iterating a chat at once; the outcome never rejects. */
  start: (modelId: string, text?: string, signal?: AbortSignal) => Promise<Outcome>;
}

function setup(options: Partial<SchedulerOptions> & { parallel?: number; gated?: boolean } = {}): Setup {
  const launcher = new FakeLauncher();
  if (options.gated) launcher.configure = (runner) => (runner.autoFinish = false);
  const clock = new FakeClock();
  const warnings: object[] = [];
  const resolved: string[] = [];
  const logger: SchedulerLogger = { info: () => {}, error: () => {}, warn: (obj) => warnings.push(obj) };
  const scheduler = new Scheduler({
    launcher,
    clock,
    logger,
    resolveModel: (modelId) => {
      resolved.push(modelId);
      if (modelId.startsWith("unknown")) {
        return Promise.reject(new ChaiboxError("model_not_found", `Model ${modelId} does not exist.`));
      }
      return Promise.resolve(optionsFor(options.parallel ?? 1));
    },
    ...options,
  });
  const start = async (modelId: string, text = "hi", signal = new AbortController().signal): Promise<Outcome> => {
    const events: ChatEvent[] = [];
    try {
      for await (const event of scheduler.chat(modelId, request(text), signal)) events.push(event);
      return { events };
    } catch (error) {
      return { error };
    }
  };
  return { scheduler, launcher, clock, warnings, resolved, start };
}

function codeOf(outcome: Outcome): string | undefined {
  return outcome.error instanceof ChaiboxError ? outcome.error.code : undefined;
}

/** Finishes the open generations of every runner, oldest first, until nothing is left. */
async function drain(launcher: FakeLauncher): Promise<void> {
  for (let round = 0; round < 100; round++) {
    await settle();
    const open = launcher.runners.flatMap((runner) => runner.calls.filter((call) => !call.closed));
    if (open.length === 0) return;
    for (const call of open) call.finish();
  }
}

describe("Scheduler admission and queueing", () => {
  it("runs 2, queues 8 and rejects the other 10 of 20 concurrent requests at once", async () => {
    const { scheduler, launcher, start } = setup({ parallel: 2, queueSize: 8, gated: true });
    launcher.manual = true;
    const outcomes = Array.from({ length: 20 }, (_, i) => start("m", `r${i}`));
    await settle();
    // Still loading: the rejections did not wait for the load or for any generation.
    expect(launcher.launches).toHaveLength(1);
    const early = await Promise.all(outcomes.slice(10));
    expect(early.map(codeOf)).toEqual(Array(10).fill("queue_full"));
    const retry = (early[0]?.error as ChaiboxError).details.retryAfterSeconds;
    expect(retry).toBeGreaterThanOrEqual(1);
    expect(scheduler.stats("m")).toMatchObject({ state: "loading", active: 0, queued: 10 });

    launcher.launches[0]?.succeed();
    await settle();
    expect(scheduler.stats("m")).toMatchObject({ state: "loaded", active: 2, queued: 8 });
    await drain(launcher);
    const done = await Promise.all(outcomes.slice(0, 10));
    expect(done.every((o) => o.events?.at(-1)?.type === "done")).toBe(true);
    expect(scheduler.stats("m")).toMatchObject({ active: 0, queued: 0 });
    expect(launcher.runners[0]?.calls).toHaveLength(10);
  });

  it("serves queued requests in FIFO order", async () => {
    const { launcher, start } = setup({ gated: true });
    const outcomes = ["a", "b", "c", "d"].map((text) => start("m", text));
    await drain(launcher);
    await Promise.all(outcomes);
    const served = launcher.runners[0]?.calls.map((call) => call.request.messages[0]?.content);
    expect(served).toEqual(["a", "b", "c", "d"]);
  });

  it("fails an unknown model fast without launching anything", async () => {
    const { scheduler, launcher, start, resolved } = setup();
    const outcome = await start("unknown-model");
    expect(codeOf(outcome)).toBe("model_not_found");
    expect(resolved).toEqual(["unknown-model"]);
    expect(launcher.launches).toHaveLength(0);
    expect(scheduler.stats("unknown-model")).toMatchObject({ state: "unloaded", active: 0, queued: 0 });
  });

  it("is lazy: nothing is resolved or launched before the first next()", async () => {
    const { scheduler, launcher, resolved } = setup();
    const iterable = scheduler.chat("m", request("hi"), new AbortController().signal);
    await settle();
    expect(resolved).toHaveLength(0);
    expect(launcher.launches).toHaveLength(0);
    const first = await iterable[Symbol.asyncIterator]().next();
    expect(first.value).toMatchObject({ type: "text" });
  });

  it("abandons a load nobody waits for any more, so the next model's load starts at once", async () => {
    const { launcher, start } = setup({ maxLoadedModels: 2 });
    launcher.manual = true;
    const leaving = new AbortController();
    const first = start("a", "hi", leaving.signal);
    await settle();
    expect(launcher.launches.map((l) => l.modelId)).toEqual(["a"]);
    const second = start("b");
    await settle();
    // b waits behind a's load (one load at a time) until a's only request leaves.
    expect(launcher.launches).toHaveLength(1);
    leaving.abort(new Error("client went away"));
    await settle();
    expect(launcher.launches.map((l) => l.modelId)).toEqual(["a", "b"]);
    launcher.launches[1]?.succeed();
    expect((await second).events?.at(-1)).toMatchObject({ type: "done" });
    expect((await first).error).toBeInstanceOf(Error);
    // A request for a after all gets a fresh load.
    const again = start("a");
    await settle();
    launcher.launches[2]?.succeed();
    expect((await again).events?.at(-1)).toMatchObject({ type: "done" });
  });

  it("sizes a model when it is admitted and again right before each load, never while it is loaded", async () => {
    const { scheduler, launcher, start, resolved } = setup();
    await start("m");
    // Admission, then the load itself (after room was made).
    expect(resolved).toEqual(["m", "m"]);
    await start("m");
    await start("m");
    expect(resolved).toEqual(["m", "m"]);
    await scheduler.unload("m");
    await start("m");
    expect(resolved).toEqual(["m", "m", "m", "m"]);
    expect(launcher.launches).toHaveLength(2);
  });

  it("releases the slot once `done` has been handed over, even if the consumer stops pulling", async () => {
    const { scheduler } = setup();
    const iterator = scheduler.chat("m", request("hi"), new AbortController().signal)[Symbol.asyncIterator]();
    expect((await iterator.next()).value).toMatchObject({ type: "text" });
    expect((await iterator.next()).value).toMatchObject({ type: "done" });
    expect(scheduler.stats("m").active).toBe(0);
  });
});

describe("Scheduler loading", () => {
  it("loads one model at a time", async () => {
    const { launcher, start } = setup();
    launcher.manual = true;
    const outcomes = [start("a"), start("b")];
    await settle();
    expect(launcher.launches.map((l) => l.modelId)).toEqual(["a"]);
    launcher.launches[0]?.succeed();
    await settle();
    expect(launcher.launches.map((l) => l.modelId)).toEqual(["a", "b"]);
    launcher.launches[1]?.succeed();
    expect((await Promise.all(outcomes)).every((o) => o.events)).toBe(true);
  });

  it("rejects every waiter with the load error, keeps nothing, and retries on the next request", async () => {
    const { scheduler, launcher, start } = setup({ parallel: 2 });
    launcher.manual = true;
    const outcomes = [start("m"), start("m"), start("m")];
    await settle();
    const failure = new ChaiboxError("model_load_failed", "bad file");
    launcher.launches[0]?.fail(failure);
    const results = await Promise.all(outcomes);
    expect(results.map((o) => o.error)).toEqual([failure, failure, failure]);
    expect(scheduler.stats("m")).toMatchObject({ state: "unloaded", active: 0, queued: 0 });
    expect(scheduler.loaded()).toEqual([]);

    const retry = start("m");
    await settle();
    expect(launcher.launches).toHaveLength(2);
    launcher.launches[1]?.succeed();
    expect((await retry).events?.at(-1)?.type).toBe("done");
  });
});

describe("Scheduler cancellation", () => {
  it("drops a request aborted while queued at once", async () => {
    const { scheduler, launcher, start } = setup({ gated: true });
    const running = start("m", "a");
    const controller = new AbortController();
    const queued = start("m", "b", controller.signal);
    await settle();
    expect(scheduler.stats("m").queued).toBe(1);
    controller.abort(new Error("client went away"));
    expect((await queued).error).toEqual(new Error("client went away"));
    expect(scheduler.stats("m")).toMatchObject({ active: 1, queued: 0 });
    await drain(launcher);
    await running;
    expect(launcher.runners[0]?.calls).toHaveLength(1);
  });

  it("launches nothing when every request for a model waiting to load has been aborted", async () => {
    const { scheduler, launcher, start } = setup({ gated: true, maxLoadedModels: 1 });
    const a = start("a");
    await settle();
    const controller = new AbortController();
    const b = start("b", "hi", controller.signal);
    await settle();
    controller.abort(new Error("gone"));
    expect((await b).error).toEqual(new Error("gone"));
    await drain(launcher);
    await a;
    await settle();
    expect(launcher.launches.map((l) => l.modelId)).toEqual(["a"]);
    expect(scheduler.stats("b")).toMatchObject({ state: "unloaded", queued: 0 });
    expect(scheduler.loaded().map((m) => m.modelId)).toEqual(["a"]);
  });

  it("passes an abort to the runner and frees the slot for the next request", async () => {
    const { scheduler, launcher, start } = setup({ gated: true });
    const controller = new AbortController();
    const running = start("m", "a", controller.signal);
    const next = start("m", "b");
    await settle();
    const call = launcher.runners[0]?.calls[0];
    controller.abort(new Error("client went away"));
    expect((await running).error).toEqual(new Error("client went away"));
    expect(call?.signal.aborted).toBe(true);
    await settle();
    expect(scheduler.stats("m")).toMatchObject({ active: 1, queued: 0 });
    await drain(launcher);
    expect((await next).events).toBeDefined();
  });

  it("frees the slot and cancels the runner chat when the consumer breaks early", async () => {
    const { scheduler, launcher } = setup({ gated: true });
    for await (const event of scheduler.chat("m", request("hi"), new AbortController().signal)) {
      expect(event.type).toBe("text");
      break;
    }
    const call = launcher.runners[0]?.calls[0];
    expect(call?.signal.aborted).toBe(true);
    expect(call?.closed).toBe(true);
    expect(scheduler.stats("m")).toMatchObject({ active: 0, queued: 0 });
  });
});

describe("Scheduler runner lifecycle", () => {
  it("drops a crashed runner, fails its chats, and relaunches for the next request", async () => {
    const { scheduler, launcher, warnings, start } = setup({ gated: true });
    launcher.manual = true;
    const inFlight = start("m", "a");
    const queued = start("m", "b");
    await settle();
    launcher.launches[0]?.succeed();
    await settle();
    launcher.runners[0]?.crash({ code: null, signal: "SIGKILL" });
    expect(codeOf(await inFlight)).toBe("runner_crashed");
    await settle();
    expect(scheduler.loaded()).toEqual([]);
    expect(warnings).toContainEqual(expect.objectContaining({ modelId: "m", signal: "SIGKILL" }));

    // The request queued behind the crashed one gets a fresh runner, and so does the next one.
    expect(launcher.launches).toHaveLength(2);
    launcher.launches[1]?.succeed();
    const next = start("m", "c");
    await drain(launcher);
    expect((await queued).events?.at(-1)?.type).toBe("done");
    expect((await next).events?.at(-1)?.type).toBe("done");
    expect(launcher.runners[1]?.calls.map((call) => call.request.messages[0]?.content)).toEqual(["b", "c"]);
  });

  it("notices a runner that died while idle", async () => {
    const { scheduler, launcher, warnings, start } = setup();
    await start("m");
    launcher.runners[0]?.die({ code: 134, signal: null });
    await settle();
    expect(warnings).toContainEqual(expect.objectContaining({ modelId: "m", code: 134 }));
    expect(scheduler.loaded()).toEqual([]);
    expect((await start("m")).events).toBeDefined();
    expect(launcher.runners).toHaveLength(2);
  });

  it("stops an idle runner when keep-alive expires, and a request before then cancels the timer", async () => {
    const { scheduler, launcher, clock, start } = setup({ keepAliveMs: 1000 });
    await start("m");
    const loadedAt = clock.now();
    expect(scheduler.loaded()[0]).toMatchObject({ modelId: "m", active: 0, expiresAt: loadedAt + 1000 });
    clock.advance(600);
    await start("m");
    expect(scheduler.stats("m").expiresAt).toBe(loadedAt + 1600);
    clock.advance(999);
    await settle();
    expect(launcher.runners[0]?.stopCalls).toHaveLength(0);
    clock.advance(1);
    await settle();
    expect(launcher.runners[0]?.stopCalls).toHaveLength(1);
    expect(scheduler.loaded()).toEqual([]);
    expect(launcher.runners).toHaveLength(1);
  });

  it("unloads at once with keep-alive 0 and never with a negative keep-alive", async () => {
    const eager = setup({ keepAliveMs: 0 });
    await eager.start("m");
    await settle();
    expect(eager.launcher.runners[0]?.stopCalls).toHaveLength(1);
    const never = setup({ keepAliveMs: -1 });
    await never.start("m");
    expect(never.clock.pending).toBe(0);
    expect(never.scheduler.stats("m")).toMatchObject({ state: "loaded", expiresAt: null });
  });

  it("evicts the least recently used idle runner to load another model", async () => {
    const { scheduler, launcher, start } = setup({ maxLoadedModels: 2 });
    await start("a");
    await start("b");
    await start("a");
    const c = start("c");
    await settle();
    expect(launcher.runnersOf("b")[0]?.stopCalls).toHaveLength(1);
    expect(launcher.runnersOf("a")[0]?.stopCalls).toHaveLength(0);
    expect((await c).events).toBeDefined();
    expect(scheduler.loaded().map((m) => m.modelId)).toEqual(["a", "c"]);
  });

  it("makes a load wait, counted as queued, until a loaded model becomes idle and has exited", async () => {
    const { scheduler, launcher, start } = setup({ maxLoadedModels: 1, gated: true });
    const a = start("a");
    await settle();
    const b = start("b");
    await settle();
    expect(launcher.launches).toHaveLength(1);
    expect(scheduler.stats("b")).toMatchObject({ state: "loading", queued: 1 });
    let exitA!: () => void;
    const runnerA = launcher.runners[0];
    if (runnerA) runnerA.stopGate = new Promise((resolve) => (exitA = resolve));
    runnerA?.calls[0]?.finish();
    await a;
    await settle();
    expect(runnerA?.stopCalls).toHaveLength(1);
    expect(launcher.launches).toHaveLength(1); // a still holds its memory until it has exited
    exitA();
    await settle();
    expect(launcher.launches.map((l) => l.modelId)).toEqual(["a", "b"]);
    await drain(launcher);
    expect((await b).events).toBeDefined();
  });

  it("unload() stops an idle runner at once and a busy one when it goes idle", async () => {
    const { scheduler, launcher, start } = setup({ gated: true });
    const running = start("m");
    await settle();
    let unloaded = false;
    const done = scheduler.unload("m").then(() => (unloaded = true));
    await settle();
    expect(unloaded).toBe(false);
    await drain(launcher);
    await running;
    await done;
    expect(launcher.runners[0]?.stopCalls).toHaveLength(1);
    expect(scheduler.loaded()).toEqual([]);
    await scheduler.unload("never-loaded");
  });
});

describe("Scheduler shutdown", () => {
  it("rejects queued and new requests, lets running ones finish, then stops every runner", async () => {
    const { scheduler, launcher, start } = setup({ gated: true });
    const running = start("m", "a");
    const queued = start("m", "b");
    await settle();
    const stopped = scheduler.stop(1000);
    expect(codeOf(await queued)).toBe("shutting_down");
    expect(codeOf(await start("m"))).toBe("shutting_down");
    expect(launcher.runners[0]?.stopCalls).toHaveLength(0);
    launcher.runners[0]?.calls[0]?.finish();
    expect((await running).events?.at(-1)?.type).toBe("done");
    await stopped;
    expect(launcher.runners[0]?.stopCalls).toHaveLength(1);
    expect(scheduler.stop()).toBe(stopped);
  });

  it("cuts off requests still running at the deadline with shutting_down", async () => {
    const { scheduler, launcher, clock, start } = setup({ gated: true });
    const running = start("m");
    await settle();
    const stopped = scheduler.stop(1000);
    await settle();
    clock.advance(1000);
    expect(codeOf(await running)).toBe("shutting_down");
    await stopped;
    expect(launcher.runners[0]?.calls[0]?.signal.aborted).toBe(true);
    expect(launcher.runners[0]?.stopCalls).toHaveLength(1);
    expect(scheduler.stats("m")).toMatchObject({ active: 0, queued: 0 });
  });

  it("stops a runner whose launch finishes during shutdown", async () => {
    const { scheduler, launcher, start } = setup();
    launcher.manual = true;
    const waiting = start("m");
    await settle();
    const stopped = scheduler.stop(1000);
    expect(codeOf(await waiting)).toBe("shutting_down");
    const runner = launcher.launches[0]?.succeed();
    await stopped;
    expect(runner?.stopCalls).toHaveLength(1);
    expect(scheduler.loaded()).toEqual([]);
  });
});

it("accepts a pino logger", () => {
  const logger: SchedulerLogger = pino({ level: "silent" });
  expect(logger).toBeDefined();
});

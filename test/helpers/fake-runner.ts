/**
 * Fakes for the scheduler's unit test: a runner client whose generations (and embeddings) the test
 * finishes, crashes or watches being cancelled, a launcher whose launches the test resolves, and a clock the
 * test advances. They stand in for I/O only; the scheduler under test is the real one.
 */
import type { ChatEvent, ChatRequest, EmbedRequest, EmbedResult, LoadedModelInfo, LoadOptions, ModelKind } from "../../src/engine/contract.js";
import { wrongModelKindError } from "../../src/engine/model-kind.js";
import type { RunnerClient, RunnerLauncher } from "../../src/engine/runner-client.js";
import type { SchedulerClock } from "../../src/engine/scheduler.js";
import { ChaiboxError } from "../../src/errors.js";

interface Deferred<T> {
  promise: Promise<T>;
  resolve(value: T): void;
  reject(error: unknown): void;
}

export function deferred<T = void>(): Deferred<T> {
  let resolve!: (value: T) => void;
  let reject!: (error: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

/** Lets every pending promise continuation run (the scheduler's state changes are microtask chains). */
export async function settle(): Promise<void> {
  for (let i = 0; i < 3; i++) await new Promise((resolve) => setImmediate(resolve));
}

/** One generation on a fake runner, as the test sees it. */
export interface FakeCall {
  request: ChatRequest;
  signal: AbortSignal;
  finish(): void;
  closed: boolean;
}

/** One embedding on a fake runner, as the test sees it. */
export interface FakeEmbedCall {
  request: EmbedRequest;
  signal: AbortSignal;
  finish(): void;
  closed: boolean;
}

/** Vector length of a fake embedding model. */
export const FAKE_EMBEDDING_LENGTH = 8;

type Exit = { code: number | null; signal: string | null };

export class FakeRunner implements RunnerClient {
  readonly info: LoadedModelInfo;
  readonly calls: FakeCall[] = [];
  readonly embedCalls: FakeEmbedCall[] = [];
  readonly stopCalls: (number | undefined)[] = [];
  /** When false, each generation waits for `finish()` after its first event. */
  autoFinish = true;
  /** When set, stop() resolves only once this does (a runner slow to exit). */
  stopGate: Promise<void> | undefined;
  private readonly exit = deferred<Exit>();
  readonly exited = this.exit.promise;
  private crashed: ChaiboxError | undefined;
  private readonly crashWake = deferred();

  constructor(
    readonly modelId: string,
    options: LoadOptions,
    readonly pid: number,
    kind: ModelKind = "chat",
  ) {
    // Like the real runner, an embedding model serves one request at a time.
    const parallel = kind === "embedding" ? 1 : options.parallel;
    this.info = {
      kind,
      embeddingLength: FAKE_EMBEDDING_LENGTH,
      contextSize: options.contextSize * parallel,
      sequenceContextSize: options.contextSize,
      trainContextSize: options.contextSize,
      parallel,
      threads: options.threads,
      gpuLayers: typeof options.gpuLayers === "number" ? options.gpuLayers : 0,
      gpu: false,
    };
  }

  chat(request: ChatRequest, signal: AbortSignal): AsyncIterable<ChatEvent> {
    return this.generate(request, signal);
  }

  private async *generate(request: ChatRequest, signal: AbortSignal): AsyncGenerator<ChatEvent> {
    const gate = deferred();
    const call: FakeCall = { request, signal, finish: () => gate.resolve(), closed: false };
    this.calls.push(call);
    const aborted = new Promise<void>((resolve) => signal.addEventListener("abort", () => resolve()));
    try {
      this.throwIfCrashed();
      yield { type: "text", text: `reply from ${this.modelId}` };
      if (!this.autoFinish) await Promise.race([gate.promise, aborted, this.crashWake.promise]);
      this.throwIfCrashed();
      signal.throwIfAborted();
      yield { type: "done", finishReason: "stop", usage: { promptTokens: 3, completionTokens: 1 } };
    } finally {
      call.closed = true;
    }
  }

  /** Vectors [input index, model-id length, 0, …]; each waits for `finish()` when autoFinish is off. */
  async embed(request: EmbedRequest, signal: AbortSignal): Promise<EmbedResult> {
    const gate = deferred();
    const call: FakeEmbedCall = { request, signal, finish: () => gate.resolve(), closed: false };
    this.embedCalls.push(call);
    const aborted = new Promise<void>((resolve) => signal.addEventListener("abort", () => resolve()));
    try {
      this.throwIfCrashed();
      if (this.info.kind !== "embedding") throw wrongModelKindError(this.modelId, this.info.kind);
      if (!this.autoFinish) await Promise.race([gate.promise, aborted, this.crashWake.promise]);
      this.throwIfCrashed();
      signal.throwIfAborted();
      const embeddings = request.inputs.map((_, i) => [i, this.modelId.length, ...Array<number>(FAKE_EMBEDDING_LENGTH - 2).fill(0)]);
      return { embeddings, promptTokens: 2 * request.inputs.length };
    } finally {
      call.closed = true;
    }
  }

  private throwIfCrashed(): void {
    if (this.crashed) throw this.crashed;
  }

  /** Every open generation fails with runner_crashed and the process is gone. */
  crash(exit: Exit = { code: null, signal: "SIGSEGV" }): void {
    this.crashed = new ChaiboxError("runner_crashed", "The runner process ended.");
    this.crashWake.resolve();
    this.exit.resolve(exit);
  }

  /** The process dies while nothing runs on it (no generation sees an error). */
  die(exit: Exit): void {
    this.crashed = new ChaiboxError("runner_crashed", "The runner process ended.");
    this.exit.resolve(exit);
  }

  async stop(deadlineMs?: number): Promise<void> {
    this.stopCalls.push(deadlineMs);
    if (this.stopGate) await this.stopGate;
    this.exit.resolve({ code: 0, signal: null });
  }
}

/** One launch as the test sees it; `manual` launches wait for `succeed()` or `fail()`. */
export interface FakeLaunch {
  modelId: string;
  options: LoadOptions;
  succeed(): FakeRunner;
  fail(error: Error): void;
}

export class FakeLauncher implements RunnerLauncher {
  readonly launches: FakeLaunch[] = [];
  readonly runners: FakeRunner[] = [];
  /** When true, launches wait for the test; otherwise they succeed at once. */
  manual = false;
  /** Applied to every runner made, e.g. to turn off autoFinish. */
  configure: (runner: FakeRunner) => void = () => {};
  /** The kind each model's runners report, as a real runner reads it from the file. Default: chat. */
  readonly kinds = new Map<string, ModelKind>();
  private nextPid = 1000;

  launch(modelId: string, options: LoadOptions, signal?: AbortSignal): Promise<RunnerClient> {
    const result = deferred<RunnerClient>();
    signal?.addEventListener("abort", () => result.reject(new Error("launch abandoned")), { once: true });
    const launch: FakeLaunch = {
      modelId,
      options,
      succeed: () => {
        const runner = new FakeRunner(modelId, options, this.nextPid++, this.kinds.get(modelId));
        this.configure(runner);
        this.runners.push(runner);
        result.resolve(runner);
        return runner;
      },
      fail: (error) => result.reject(error),
    };
    this.launches.push(launch);
    if (!this.manual) launch.succeed();
    return result.promise;
  }

  runnersOf(modelId: string): FakeRunner[] {
    return this.runners.filter((runner) => runner.modelId === modelId);
  }
}

/** A clock that only moves when the test says so. */
export class FakeClock implements SchedulerClock {
  time = 1_000_000;
  private readonly timers = new Map<number, { at: number; fn: () => void }>();
  private nextId = 1;

  now(): number {
    return this.time;
  }

  setTimeout(fn: () => void, ms: number): unknown {
    const id = this.nextId++;
    this.timers.set(id, { at: this.time + ms, fn });
    return id;
  }

  clearTimeout(handle: unknown): void {
    this.timers.delete(handle as number);
  }

  get pending(): number {
    return this.timers.size;
  }

  /** Moves time forward, firing due timers in order. */
  advance(ms: number): void {
    const target = this.time + ms;
    for (;;) {
      const due = [...this.timers.entries()].filter(([, t]) => t.at <= target).sort((a, b) => a[1].at - b[1].at)[0];
      if (!due) break;
      this.timers.delete(due[0]);
      this.time = due[1].at;
      due[1].fn();
    }
    this.time = target;
  }
}

/**
 * Background benchmarks: a model that has no measured speed (newly installed, or never benchmarked) is
 * benchmarked by itself once the box has been quiet for a while, so `/v1/models` soon shows measured figures
 * without anyone running `chaibox bench`. It is the lowest priority work on the box:
 *
 * - it starts only when no user request is running or queued for any model and none came for `quietMs`;
 * - it never evicts a model to make room: it waits while `maxLoadedModels` runners are up;
 * - a user request arriving aborts it at once (the model it loaded stays loaded, as after any request);
 *   the model is tried again at the next quiet time;
 * - one at a time; a model whose benchmark failed is not tried again until the next start;
 * - a model it loaded for the benchmark alone is unloaded afterwards, returning the memory.
 *
 * A user request that arrives while the benchmark's model is still loading does not wait behind that load
 * either: aborting the benchmark leaves the load with nobody waiting, and the scheduler abandons such a load.
 */
import type { LoadedModelStatus } from "../../engine/scheduler-types.js";
import { runBenchmark, type BenchmarkEngine, type BenchmarkResult } from "./benchmark.js";
import type { ModelTraits } from "../../engine/native/model-traits.js";
import type { StoredModel } from "../store.js";

/** Where the background benchmarks log; a pino logger fits. */
export interface BenchLogger {
  info(object: object, message: string): void;
  warn(object: object, message: string): void;
}

/** What the background benchmarks need; main.ts wires the scheduler, store, insights and performance store. */
export interface BackgroundBenchOptions {
  /** The scheduler: it runs the benchmark and tells what is loaded and busy. */
  engine: BenchmarkEngine & { loaded(): LoadedModelStatus[]; unload(modelId: string): Promise<void> };
  /** Runners allowed at once (`inference.maxLoadedModels`). */
  maxLoadedModels: number;
  models(): Promise<StoredModel[]>;
  traits(model: StoredModel): Promise<ModelTraits>;
  /** Whether the file already has benchmark figures. */
  measured(model: StoredModel): boolean;
  save(model: StoredModel, result: BenchmarkResult): void;
  /** Quiet time before a benchmark starts, ms; Infinity turns background benchmarks off. */
  quietMs: number;
  /** How often to look for work, ms. Default 10 s (at most `quietMs`). */
  checkEveryMs?: number;
  logger?: BenchLogger;
  /** Default `Date.now`. */
  now?: () => number;
}

/** Benchmarks models without measured figures when the box is quiet (see the file comment). Call `start()`, and `stop()` on shutdown. */
export class BackgroundBenchmarks {
  private requests = 0;
  private lastRequestAt: number;
  private running: { modelId: string; controller: AbortController; done: Promise<void> } | undefined;
  private checking = false;
  private stopped = false;
  private timer: NodeJS.Timeout | undefined;
  /** Files tried since start (by SHA-256): one failure must not make every quiet minute retry it. */
  private readonly tried = new Set<string>();
  private readonly now: () => number;

  constructor(private readonly options: BackgroundBenchOptions) {
    this.now = options.now ?? Date.now;
    this.lastRequestAt = this.now();
  }

  /** Starts looking for work periodically (the timer never holds the process open). No-op when off. */
  start(): void {
    if (!Number.isFinite(this.options.quietMs) || this.timer) return;
    const every = Math.max(100, Math.min(this.options.checkEveryMs ?? 10_000, this.options.quietMs));
    this.timer = setInterval(() => void this.check(), every);
    this.timer.unref();
  }

  /** Stops: no new benchmark starts, the running one is aborted; resolves once it has ended. */
  async stop(): Promise<void> {
    this.stopped = true;
    clearInterval(this.timer);
    this.running?.controller.abort(new Error("chaibox is stopping"));
    await this.running?.done;
  }

  /**
   * A user request begins: a running benchmark is abandoned at once. Returns the function to call when the
   * request has ended (the inference pipeline's live-speed step calls `onRequest`).
   */
  readonly onRequest = (): (() => void) => {
    this.requests += 1;
    this.lastRequestAt = this.now();
    this.running?.controller.abort(new Error("a user request arrived"));
    return () => {
      this.requests -= 1;
      this.lastRequestAt = this.now();
    };
  };

  /** The model being benchmarked now, if any. */
  get current(): string | undefined {
    return this.running?.modelId;
  }

  /** Starts a benchmark if the box is quiet and a model needs one; resolves once it has ended. */
  async check(): Promise<void> {
    if (this.checking || this.running || !this.quiet()) return;
    this.checking = true;
    try {
      const model = await this.nextModel();
      if (!model || !this.quiet()) return;
      // Marked before reading its traits: a file that cannot be read is not read again every few seconds.
      this.tried.add(model.sha256);
      const traits = await this.options.traits(model);
      if (!this.quiet()) {
        this.tried.delete(model.sha256);
        return;
      }
      const controller = new AbortController();
      const done = this.run(model, traits, controller);
      this.running = { modelId: model.id, controller, done };
      await done;
    } catch (error) {
      this.options.logger?.warn({ err: (error as Error).message }, "looking for a model to benchmark failed");
    } finally {
      this.checking = false;
    }
  }

  private quiet(): boolean {
    if (this.stopped || this.requests > 0 || this.now() - this.lastRequestAt < this.options.quietMs) return false;
    return this.options.engine.loaded().every((status) => status.active === 0 && status.queued === 0);
  }

  /** The first model without figures that can be benchmarked without evicting another. */
  private async nextModel(): Promise<StoredModel | undefined> {
    const loaded = new Set(this.options.engine.loaded().map((status) => status.modelId));
    const room = loaded.size < this.options.maxLoadedModels;
    for (const model of await this.options.models()) {
      if (this.tried.has(model.sha256) || this.options.measured(model)) continue;
      if (loaded.has(model.id) || room) return model;
    }
    return undefined;
  }

  private async run(model: StoredModel, traits: ModelTraits, controller: AbortController): Promise<void> {
    const { engine, logger } = this.options;
    const wasLoaded = engine.loaded().some((status) => status.modelId === model.id);
    logger?.info({ model: model.id }, "benchmarking a model in the background (it makes way for any request)");
    try {
      const result = await runBenchmark(engine, model.id, {
        kind: traits.embeddings ? "embedding" : "chat",
        endTokens: traits.endTokens,
        signal: controller.signal,
      });
      this.options.save(model, result);
      logger?.info({ model: model.id, generationTokensPerSecond: result.generationTokensPerSecond }, "background benchmark done");
    } catch (error) {
      if (controller.signal.aborted) {
        // Not the model's fault: try again at the next quiet time.
        this.tried.delete(model.sha256);
        logger?.info({ model: model.id, reason: (controller.signal.reason as Error).message }, "background benchmark abandoned");
      } else logger?.warn({ model: model.id, err: (error as Error).message }, "background benchmark failed");
    } finally {
      this.running = undefined;
      // Loaded for the benchmark alone: give the memory back. After an abort a user may be using it now.
      if (!wasLoaded && !controller.signal.aborted) await engine.unload(model.id).catch(() => undefined);
    }
  }
}

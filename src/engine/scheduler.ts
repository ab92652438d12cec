/**
 * The scheduler: admits chats and embeddings into per-model slots and queues, loads one model at a time,
 * unloads idle runners after their keep-alive and evicts the least recently used one when too many are
 * loaded. It is pure: runners come from a {@link RunnerLauncher}, time from a {@link SchedulerClock}.
 */
import type { AdmissionOptions, ChatEvent, ChatRequest, EmbedRequest, EmbedResult, InferenceService, LoadOptions, ModelKind } from "./contract.js";
import type { RunnerLauncher } from "./runner-client.js";
import { realClock, silentLogger, type LoadedModelStatus, type ModelStats, type SchedulerClock, type SchedulerLogger, type SchedulerOptions } from "./scheduler-types.js";
import { type Lease, type ModelEntry, type LaunchedRunner, applyAdmission, armKeepAlive, capacityOf, checkAdmission, clearKeepAlive, deferred, enqueue, isIdle, isUnused, keepsForever } from "./model-entry.js";
import { leastRecentlyUsedIdle, loadedStatusOf, newEntry, nextAverageMs, queueFullError, settleUnload, shuttingDownError, statsOf, takeFair } from "./model-entry.js";
import { callLease, streamLease, type LeaseHooks } from "./lease-stream.js";
import { wrongModelKindError } from "./model-kind.js";
import { ChaiboxError, isChaiboxError } from "../errors.js";

export type { LoadedModelStatus, ModelStats, SchedulerClock, SchedulerLogger, SchedulerOptions };
export { realClock };

/** Implements {@link InferenceService} over runner processes. Call {@link Scheduler.stop} on shutdown. */
export class Scheduler implements InferenceService {
  private readonly launcher: RunnerLauncher;
  private readonly resolveModel: (modelId: string) => Promise<LoadOptions>;
  private readonly queueSize: number;
  private grantCounter = 0; // grants to queued requests so far: the clock of round robin between owners
  private keepAliveMs: number;
  private readonly maxLoadedModels: number;
  private readonly clock: SchedulerClock;
  private readonly log: SchedulerLogger;

  private readonly models = new Map<string, ModelEntry>();
  private readonly leases = new Set<Lease>();
  /** Runners being stopped: they still hold memory, so they count against `maxLoadedModels`. */
  private readonly stopping = new Set<Promise<void>>();
  /** The load mutex: each load runs after the previous one settled. */
  private loadChain: Promise<void> = Promise.resolve();
  private useCounter = 0;
  private readonly averageMs = new Map<string, number>();
  private wake = deferred();
  private shuttingDown = false;
  private stopped: Promise<void> | undefined;

  constructor(options: SchedulerOptions) {
    this.launcher = options.launcher;
    this.resolveModel = (modelId) => options.resolveModel(modelId);
    this.queueSize = Math.max(0, options.queueSize ?? 16);
    this.keepAliveMs = options.keepAliveMs ?? 5 * 60_000;
    this.maxLoadedModels = Math.max(1, options.maxLoadedModels ?? 2);
    this.clock = options.clock ?? realClock;
    this.log = options.logger ?? silentLogger;
  }

  /**
   * Lazy: the first `next()` resolves the model (failing fast with `model_not_found`), then runs at once,
   * waits in the model's FIFO queue, or throws `queue_full` (with `details.retryAfterSeconds`) at once.
   * Aborting `signal` while queued throws its reason; while running it cancels the runner's generation.
   * `admission.keepAliveMs` applies once the request has a slot (default: the model's keep-alive stays).
   */
  chat(modelId: string, request: ChatRequest, signal: AbortSignal, admission?: AdmissionOptions): AsyncIterable<ChatEvent> {
    return this.run(modelId, request, signal, admission);
  }

  /**
   * Admitted as {@link Scheduler.chat} is (same queue, slots and keep-alive), on an embedding model's runner.
   * A model known to be a chat model is refused with `wrong_model_kind` before it takes queue room.
   */
  async embed(modelId: string, request: EmbedRequest, signal: AbortSignal, admission?: AdmissionOptions): Promise<EmbedResult> {
    const lease = await this.acquire(modelId, "embedding", signal, admission);
    return callLease(lease, signal, this.hooksFor(lease, signal), (inner) => lease.client.embed(request, inner));
  }

  /**
   * Loads a model of either kind, running nothing, and applies `admission` (default: none). Without a runner it
   * queues like a request and rejects as one; a loaded model takes no slot: its keep-alive changes at once.
   */
  async preload(modelId: string, signal: AbortSignal, admission?: AdmissionOptions): Promise<void> {
    checkAdmission(admission);
    const entry = this.models.get(modelId);
    if (entry?.runner && !this.shuttingDown) {
      signal.throwIfAborted();
      entry.lastUsed = ++this.useCounter;
      applyAdmission(entry, entry.runner.client, admission);
      if (isIdle(entry)) this.onIdle(entry);
      return;
    }
    // Granted once the runner is up, then given straight back: the release starts the keep-alive.
    const lease = await this.acquire(modelId, undefined, signal, admission);
    this.release(lease, false);
  }

  /** Changes the default keep-alive (Settings); it applies from each model's next idle period. */
  setKeepAlive(ms: number): void {
    this.keepAliveMs = ms;
  }

  /** The models with a running runner, oldest load first. */
  loaded(): LoadedModelStatus[] {
    const statuses = [...this.models.values()].flatMap((entry) => loadedStatusOf(entry) ?? []);
    return statuses.sort((a, b) => a.loadedAt - b.loadedAt);
  }

  /** One model's counts; a model that is neither loaded nor requested reads `unloaded` with zeros. */
  stats(modelId: string): ModelStats {
    return statsOf(modelId, this.models.get(modelId));
  }

  /**
   * Marks the model for unloading: its runner is stopped as soon as it is idle (at once if it is idle now).
   * Requests arriving before then are still served. Resolves once that runner has ended, at once when none.
   */
  unload(modelId: string): Promise<void> {
    const entry = this.models.get(modelId);
    if (!entry || (!entry.runner && !entry.loading)) return Promise.resolve();
    entry.unloadRequested = true;
    const done = new Promise<void>((resolve) => entry.unloadWaiters.push(resolve));
    if (isIdle(entry)) void this.retire(entry, "unload requested");
    return done;
  }

  /**
   * Shuts down: queued and new requests get `shutting_down`, running ones may finish until `deadlineMs`
   * (default 10 s) has passed, then their generations are cancelled and every runner is stopped.
   * Idempotent: later calls return the first call's promise.
   */
  stop(deadlineMs = 10_000): Promise<void> {
    this.stopped ??= this.shutdown(deadlineMs);
    return this.stopped;
  }

  private async shutdown(deadlineMs: number): Promise<void> {
    this.shuttingDown = true;
    for (const entry of this.models.values()) {
      clearKeepAlive(entry, this.clock);
      for (const waiter of entry.queue.splice(0)) waiter.fail(shuttingDownError());
    }
    this.notify();
    let expired = false;
    const timer = this.clock.setTimeout(() => {
      expired = true;
      this.notify();
    }, deadlineMs);
    try {
      // A launch in flight cannot be cancelled; waiting for it means its runner is stopped, not leaked.
      await this.loadChain;
      while (this.leases.size > 0 && !expired) await this.wake.promise;
    } finally {
      this.clock.clearTimeout(timer);
    }
    for (const lease of this.leases) lease.controller.abort(shuttingDownError());
    await Promise.all([...this.models.values()].map((entry) => this.retire(entry, "shutdown")));
    await Promise.all([...this.stopping]);
  }

  private async *run(modelId: string, request: ChatRequest, signal: AbortSignal, admission: AdmissionOptions | undefined): AsyncGenerator<ChatEvent> {
    const lease = await this.acquire(modelId, "chat", signal, admission);
    yield* streamLease(lease, request, signal, this.hooksFor(lease, signal));
  }

  private hooksFor(lease: Lease, signal: AbortSignal): LeaseHooks {
    const translate = (error: unknown): unknown => this.translate(error, lease, signal);
    return { translate, release: (finished) => this.release(lease, finished), log: this.log };
  }

  /**
   * A slot on a runner of `kind` (undefined: either): a loaded model of the other kind is refused at once, a
   * fresh one once up. Only a request that got its slot applies its admission options.
   */
  private async acquire(modelId: string, kind: ModelKind | undefined, signal: AbortSignal, admission: AdmissionOptions | undefined): Promise<Lease> {
    checkAdmission(admission);
    const lease = await this.admit(modelId, kind, signal, admission?.owner ?? "");
    // Granted to a waiter when the runner came up: only now is the kind known.
    const actual = lease.client.info.kind;
    if (kind === undefined || actual === kind) {
      applyAdmission(lease.entry, lease.client, admission);
      return lease;
    }
    this.release(lease, false);
    throw wrongModelKindError(modelId, actual);
  }

  private translate(error: unknown, lease: Lease, signal: AbortSignal): unknown {
    if (signal.aborted) return error;
    if (this.shuttingDown && lease.controller.signal.aborted) return shuttingDownError();
    const runner = lease.entry.runner;
    if (isChaiboxError(error) && error.code === "runner_crashed" && runner?.client === lease.client) {
      // The process may linger after its IPC broke; stop (and if need be kill) it rather than wait for exit.
      this.log.warn({ modelId: lease.entry.modelId, pid: lease.client.pid }, "runner reported a crash; replacing it");
      void this.retire(lease.entry, "runner crashed", false);
    }
    return error;
  }

  private async admit(modelId: string, kind: ModelKind | undefined, signal: AbortSignal, owner: string): Promise<Lease> {
    if (this.shuttingDown) throw shuttingDownError();
    signal.throwIfAborted();
    let entry = this.models.get(modelId);
    if (!entry) {
      // Only a model without a runner is resolved here (failing fast when unknown or too big): a loaded model
      // keeps the settings it was loaded with, and the memory it holds itself must not count against it.
      const options = await this.resolveModel(modelId);
      if (this.shuttingDown) throw shuttingDownError();
      signal.throwIfAborted();
      entry = this.models.get(modelId);
      if (!entry) {
        entry = newEntry(modelId, options);
        this.models.set(modelId, entry);
      }
    }
    const known = entry.runner?.client.info.kind;
    if (known !== undefined && kind !== undefined && known !== kind) throw wrongModelKindError(modelId, known);
    const capacity = capacityOf(entry);
    if (entry.runner && entry.queue.length === 0 && entry.active < capacity) return this.grant(entry);
    // While loading, the first `capacity` waiters are the ones that will run, so they do not use queue room.
    if (entry.active + entry.queue.length >= capacity + this.queueSize) throw queueFullError(entry, this.averageMs.get(modelId));
    const target = entry;
    const queued = enqueue(target, signal, () => {
      // A load nobody waits for would only hold up the next one (and its memory): end it.
      if (target.queue.length === 0 && target.active === 0) target.launchAbort?.abort();
      this.forgetIfUnused(target);
      this.notify();
    }, owner);
    this.pump(target);
    return queued;
  }

  private grant(entry: ModelEntry): Lease {
    const runner = entry.runner;
    if (!runner) throw new ChaiboxError("internal_error", "Granted a slot of a model without a runner.");
    entry.active += 1;
    entry.lastUsed = ++this.useCounter;
    clearKeepAlive(entry, this.clock);
    const lease: Lease = {
      entry,
      client: runner.client,
      controller: new AbortController(),
      startedAt: this.clock.now(),
    };
    this.leases.add(lease);
    return lease;
  }

  private release(lease: Lease, finished: boolean): void {
    if (!this.leases.delete(lease)) return;
    const entry = lease.entry;
    entry.active -= 1;
    entry.lastUsed = ++this.useCounter;
    // A moving average of completed requests feeds the queue_full retry estimate.
    if (finished) this.averageMs.set(entry.modelId, nextAverageMs(this.averageMs.get(entry.modelId), this.clock.now() - lease.startedAt));
    this.pump(entry);
    if (isIdle(entry)) this.onIdle(entry);
    this.forgetIfUnused(entry);
    this.notify();
  }

  /** Hands free slots to waiters round robin by owner (takeFair), or starts a load when waiters have no runner. */
  private pump(entry: ModelEntry): void {
    if (this.shuttingDown) return;
    if (!entry.runner) {
      if (!entry.loading && entry.queue.length > 0) this.startLoad(entry);
      return;
    }
    const capacity = capacityOf(entry);
    while (entry.active < capacity) {
      const waiter = takeFair(entry, ++this.grantCounter);
      if (!waiter) break;
      waiter.grant(this.grant(entry));
    }
  }

  private startLoad(entry: ModelEntry): void {
    entry.loading = true;
    this.loadChain = this.loadChain.then(() => this.load(entry));
  }

  /** Runs under the load mutex; never rejects: a failure goes to the waiters. */
  private async load(entry: ModelEntry): Promise<void> {
    const launch = new AbortController();
    try {
      if (!(await this.makeRoom(entry))) return;
      // Resolved again now that room is made: the settings are sized for the memory free at this moment.
      entry.options = await this.resolveModel(entry.modelId);
      this.log.info({ modelId: entry.modelId, ...(entry.options.summary !== undefined && { plan: entry.options.summary }) }, "loading model");
      const startedAt = this.clock.now();
      entry.launchAbort = launch;
      const client = await this.launcher.launch(entry.modelId, entry.options, launch.signal).finally(() => {
        entry.launchAbort = undefined;
      });
      const runner: LaunchedRunner = { client, loadedAt: this.clock.now(), expectedExit: false, keepAliveMs: undefined };
      entry.runner = runner;
      this.watch(entry, runner);
      this.log.info({ modelId: entry.modelId, pid: client.pid, ms: runner.loadedAt - startedAt }, "model loaded");
      // stop() rejected the waiters already; this runner must not outlive it.
      if (this.shuttingDown) await this.retire(entry, "shutdown");
    } catch (error) {
      if (launch.signal.aborted) {
        // Abandoned because every request left; one that came since starts a fresh load (pump, below).
        this.log.info({ modelId: entry.modelId }, "load abandoned: no request waits for it");
      } else {
        this.log.error({ modelId: entry.modelId, err: error }, "model load failed");
        const failure = error instanceof Error ? error : new ChaiboxError("model_load_failed", String(error));
        for (const waiter of entry.queue.splice(0)) waiter.fail(failure);
      }
    } finally {
      entry.loading = false;
      this.pump(entry);
      if (isIdle(entry)) this.onIdle(entry);
      if (!entry.runner) settleUnload(entry);
      this.forgetIfUnused(entry);
      this.notify();
    }
  }

  /**
   * Waits until another runner fits under `maxLoadedModels`, stopping the LRU idle one when none is free.
   * Returns false when nobody waits for this model any more (all aborted), so nothing is loaded in vain.
   * A model that never goes idle keeps a waiting load waiting: the load is queued behind its traffic.
   */
  private async makeRoom(entry: ModelEntry): Promise<boolean> {
    for (;;) {
      if (this.shuttingDown) throw shuttingDownError();
      if (entry.queue.length === 0) return false;
      const changed = this.wake.promise;
      const live = [...this.models.values()].filter((other) => other.runner !== undefined).length;
      if (live + this.stopping.size < this.maxLoadedModels) return true;
      const victim = leastRecentlyUsedIdle(this.models.values());
      // Runners already stopping will make the room; evict only when the live ones alone fill it.
      if (victim && live >= this.maxLoadedModels) void this.retire(victim, `evicted to load ${entry.modelId}`);
      await changed;
    }
  }

  private watch(entry: ModelEntry, runner: LaunchedRunner): void {
    const onExit = (exit: { code: number | null; signal: string | null }): void => {
      if (!runner.expectedExit) {
        this.log.warn({ modelId: entry.modelId, pid: runner.client.pid, ...exit }, "runner exited unexpectedly");
      }
      if (entry.runner !== runner) return;
      entry.runner = undefined;
      clearKeepAlive(entry, this.clock);
      settleUnload(entry);
      // Waiters get a fresh runner; in-flight chats have failed with runner_crashed from their client.
      this.pump(entry);
      this.forgetIfUnused(entry);
      this.notify();
    };
    void runner.client.exited.then(onExit, () => onExit({ code: null, signal: null }));
  }

  /** Starts the keep-alive of a model that went idle: its runner's own (a request set it) or the scheduler's. */
  private onIdle(entry: ModelEntry): void {
    this.notify();
    if (this.shuttingDown) return;
    const keepAliveMs = entry.runner?.keepAliveMs ?? this.keepAliveMs;
    if (entry.unloadRequested || keepAliveMs === 0) {
      void this.retire(entry, entry.unloadRequested ? "unload requested" : "idle (keep-alive 0)");
      return;
    }
    // Cleared first: a preload may have just turned a running timer into "never".
    if (keepsForever(keepAliveMs)) return clearKeepAlive(entry, this.clock);
    armKeepAlive(entry, this.clock, keepAliveMs, () => {
      if (isIdle(entry)) void this.retire(entry, "keep-alive expired");
    });
  }

  /** Unregisters the runner at once (new requests relaunch) and stops it; resolves once it has ended. */
  private retire(entry: ModelEntry, reason: string, expected = true): Promise<void> {
    const runner = entry.runner;
    if (!runner) return Promise.resolve();
    entry.runner = undefined;
    runner.expectedExit = expected;
    clearKeepAlive(entry, this.clock);
    const waiters = entry.unloadWaiters.splice(0);
    entry.unloadRequested = false;
    this.log.info({ modelId: entry.modelId, pid: runner.client.pid, reason }, "stopping runner");
    const stopped: Promise<void> = runner.client
      .stop()
      .catch((error: unknown) => {
        this.log.warn({ modelId: entry.modelId, err: error }, "stopping the runner failed");
      })
      .then(() => {
        this.stopping.delete(stopped);
        for (const resolve of waiters) resolve();
        this.notify();
      });
    this.stopping.add(stopped);
    this.pump(entry);
    this.forgetIfUnused(entry);
    this.notify();
    return stopped;
  }

  private forgetIfUnused(entry: ModelEntry): void {
    if (isUnused(entry) && this.models.get(entry.modelId) === entry) this.models.delete(entry.modelId);
  }

  /** Wakes every loop waiting for a change (room for a load, shutdown drain). */
  private notify(): void {
    const current = this.wake;
    this.wake = deferred();
    current.resolve();
  }
}

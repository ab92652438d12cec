/** A model's scheduling state (runner, slots, FIFO queue, keep-alive) and the pure helpers around it. */
import type { AdmissionOptions, LoadOptions } from "./contract.js";
import type { RunnerClient } from "./runner-client.js";
import type { LoadedModelStatus, ModelStats, SchedulerClock } from "./scheduler-types.js";
import { ChaiboxError } from "../errors.js";

/** Duration assumed for a request until one has been measured: a short answer on a small box. */
export const assumedRequestMs = 10_000;

/** The scheduler's record of a runner it has launched: its client, when it loaded, how it may end. */
export interface LaunchedRunner {
  readonly client: RunnerClient;
  readonly loadedAt: number;
  /** Set when the scheduler itself stops the runner, so its exit is not reported as a crash. */
  expectedExit: boolean;
  /**
   * The keep-alive the latest admitted request set (Ollama's keep_alive), replacing the scheduler's; it lives
   * on the runner so that it is forgotten with it. Default undefined: the scheduler's.
   */
  keepAliveMs: number | undefined;
}

/** A queued request: the scheduler either grants it a slot or fails it. */
export interface Waiter {
  grant(lease: Lease): void;
  fail(error: Error): void;
  /** Whose request it is (an app token's id; '' for none), for round robin between apps. */
  owner: string;
}

/** Everything the scheduler tracks for one model; it exists while the model has a runner or demand. */
export interface ModelEntry {
  readonly modelId: string;
  /** The settings of the next (or current) load; renewed right before each load. */
  options: LoadOptions;
  runner: LaunchedRunner | undefined;
  /** Waiting for the load mutex, for room, or launching. */
  loading: boolean;
  /** Aborts the launch in progress, when the last request waiting for it leaves. */
  launchAbort: AbortController | undefined;
  active: number;
  readonly queue: Waiter[];
  /** When each owner was last granted a slot (a counter), for round robin; see {@link takeFair}. */
  readonly servedAt: Map<string, number>;
  /** Recency for LRU eviction: a counter, not the clock, so ties cannot happen under a fake clock. */
  lastUsed: number;
  timer: { handle: unknown } | undefined;
  expiresAt: number | null;
  unloadRequested: boolean;
  unloadWaiters: (() => void)[];
}

/** One running request's hold on a slot; released exactly once, in the chat's `finally`. */
export interface Lease {
  readonly entry: ModelEntry;
  readonly client: RunnerClient;
  readonly controller: AbortController;
  readonly startedAt: number;
}

/** The error queued, new and cut-off requests get once `stop()` has begun. */
export function shuttingDownError(): ChaiboxError {
  return new ChaiboxError("shutting_down", "The service is shutting down.");
}

/** A model entry with no runner, no load and no requests. */
export function newEntry(modelId: string, options: LoadOptions): ModelEntry {
  return {
    modelId,
    options,
    runner: undefined,
    loading: false,
    launchAbort: undefined,
    active: 0,
    queue: [],
    servedAt: new Map(),
    lastUsed: 0,
    timer: undefined,
    expiresAt: null,
    unloadRequested: false,
    unloadWaiters: [],
  };
}

/**
 * Queues a request on `entry` (FIFO) until the scheduler grants it a lease or fails it. Aborting `signal`
 * takes it out of the queue, rejects with the signal's reason and calls `onLeave`.
 */
export function enqueue(entry: ModelEntry, signal: AbortSignal, onLeave: () => void, owner = ""): Promise<Lease> {
  return new Promise<Lease>((resolve, reject) => {
    const onAbort = (): void => {
      const index = entry.queue.indexOf(waiter);
      if (index >= 0) entry.queue.splice(index, 1);
      reject(signal.reason as Error);
      onLeave();
    };
    const waiter: Waiter = {
      owner,
      grant: (lease) => {
        signal.removeEventListener("abort", onAbort);
        resolve(lease);
      },
      fail: (error) => {
        signal.removeEventListener("abort", onAbort);
        reject(error);
      },
    };
    entry.queue.push(waiter);
    signal.addEventListener("abort", onAbort, { once: true });
  });
}

/** A promise with its resolver, for waking loops that wait for a change. */
export function deferred(): { promise: Promise<void>; resolve: () => void } {
  let resolve: () => void = () => {};
  const promise = new Promise<void>((r) => (resolve = r));
  return { promise, resolve };
}

/** Sequences one runner serves at once: what the runner reports once up, else what it was asked for. */
export function capacityOf(entry: ModelEntry): number {
  return Math.max(1, entry.runner?.client.info.parallel ?? entry.options.parallel);
}

/**
 * Takes the next waiter round robin by owner: the first in the queue whose owner was served longest ago (or
 * never), so one app with many requests queued cannot starve the others; FIFO within an owner.
 */
export function takeFair(entry: ModelEntry, counter: number): Waiter | undefined {
  let best = -1;
  let bestServed = Infinity;
  for (let i = 0; i < entry.queue.length; i++) {
    const served = entry.servedAt.get((entry.queue[i] as Waiter).owner) ?? -1;
    if (served < bestServed) {
      best = i;
      bestServed = served;
      if (served === -1) break;
    }
  }
  if (best < 0) return undefined;
  const [waiter] = entry.queue.splice(best, 1);
  if (waiter) {
    entry.servedAt.set(waiter.owner, counter);
    // Owners with nothing queued are forgotten, so the map stays as small as the queue.
    if (entry.servedAt.size > 2 * entry.queue.length + 16) {
      const queued = new Set(entry.queue.map((w) => w.owner));
      for (const key of entry.servedAt.keys()) if (!queued.has(key) && key !== waiter.owner) entry.servedAt.delete(key);
    }
  }
  return waiter;
}

/** A runner with nothing running, queued or loading: a candidate for keep-alive expiry and eviction. */
export function isIdle(entry: ModelEntry): boolean {
  return entry.runner !== undefined && !entry.loading && entry.active === 0 && entry.queue.length === 0;
}

/** Nothing left to track: no runner, no load, no request. */
export function isUnused(entry: ModelEntry): boolean {
  return !entry.runner && !entry.loading && entry.active === 0 && entry.queue.length === 0;
}

/** The next moving average of request durations (ms), for {@link queueFullError}'s estimate. */
export function nextAverageMs(previous: number | undefined, tookMs: number): number {
  return previous === undefined ? tookMs : previous * 0.8 + tookMs * 0.2;
}

/** The error of a request that finds the model's queue full, with when to retry. */
export function queueFullError(entry: ModelEntry, averageMs: number | undefined): ChaiboxError {
  const retry = retryAfterSeconds(entry.queue.length, capacityOf(entry), averageMs ?? assumedRequestMs);
  return new ChaiboxError("queue_full", `The queue for model ${entry.modelId} is full; retry later.`, { retryAfterSeconds: retry });
}

/**
 * Seconds until a rejected request would likely get a slot: the queue ahead of it drains `capacity` at a
 * time, each round taking about `averageMs`. At least 1, at most an hour.
 */
export function retryAfterSeconds(queued: number, capacity: number, averageMs: number): number {
  const seconds = Math.ceil(((queued / capacity + 1) * averageMs) / 1000);
  return Math.min(3600, Math.max(1, seconds));
}

/**
 * Checks a request's admission options: a keep-alive must be a number (negative or Infinity = never
 * expires, as the scheduler's own). Throws `invalid_request` naming `keep_alive`.
 */
export function checkAdmission(admission: AdmissionOptions | undefined): void {
  const keepAliveMs = admission?.keepAliveMs;
  if (keepAliveMs !== undefined && (typeof keepAliveMs !== "number" || Number.isNaN(keepAliveMs))) {
    throw new ChaiboxError("invalid_request", `keep-alive must be a duration, got ${String(keepAliveMs)}`, { param: "keep_alive" });
  }
}

/**
 * A request's keep-alive replaces the runner's, if `client` is still the model's runner: the latest admitted
 * request wins, as in Ollama. Without one the runner's stays.
 */
export function applyAdmission(entry: ModelEntry, client: RunnerClient, admission: AdmissionOptions | undefined): void {
  const runner = entry.runner;
  if (admission?.keepAliveMs !== undefined && runner?.client === client) runner.keepAliveMs = admission.keepAliveMs;
}

/** Whether a keep-alive never expires: negative or infinite. */
export function keepsForever(keepAliveMs: number): boolean {
  return keepAliveMs < 0 || !Number.isFinite(keepAliveMs);
}

/** Stops the entry's keep-alive timer; the model then has no expiry. */
export function clearKeepAlive(entry: ModelEntry, clock: SchedulerClock): void {
  if (entry.timer) clock.clearTimeout(entry.timer.handle);
  entry.timer = undefined;
  entry.expiresAt = null;
}

/** (Re)starts the entry's keep-alive timer: `expire` runs after `keepAliveMs` unless cleared before. */
export function armKeepAlive(entry: ModelEntry, clock: SchedulerClock, keepAliveMs: number, expire: () => void): void {
  clearKeepAlive(entry, clock);
  entry.expiresAt = clock.now() + keepAliveMs;
  const handle = clock.setTimeout(() => {
    entry.timer = undefined;
    expire();
  }, keepAliveMs);
  entry.timer = { handle };
}

/** The status-endpoint view of a model, or undefined when it has no runner (yet). */
export function loadedStatusOf(entry: ModelEntry): LoadedModelStatus | undefined {
  const runner = entry.runner;
  if (!runner) return undefined;
  return {
    modelId: entry.modelId,
    info: runner.client.info,
    pid: runner.client.pid,
    active: entry.active,
    queued: entry.queue.length,
    expiresAt: entry.expiresAt,
    loadedAt: runner.loadedAt,
  };
}

/** The counts of a model; no entry means nothing is loaded, loading or requested. */
export function statsOf(modelId: string, entry: ModelEntry | undefined): ModelStats {
  if (!entry) return { modelId, state: "unloaded", active: 0, queued: 0, expiresAt: null, loadedAt: null };
  return {
    modelId,
    state: entry.runner ? "loaded" : entry.loading ? "loading" : "unloaded",
    active: entry.active,
    queued: entry.queue.length,
    expiresAt: entry.expiresAt,
    loadedAt: entry.runner?.loadedAt ?? null,
  };
}

/** The loaded runner whose model is idle and was used longest ago: the one to evict for room. */
export function leastRecentlyUsedIdle(entries: Iterable<ModelEntry>): ModelEntry | undefined {
  let victim: ModelEntry | undefined;
  for (const entry of entries) {
    if (entry.runner && isIdle(entry) && (!victim || entry.lastUsed < victim.lastUsed)) victim = entry;
  }
  return victim;
}

/** Ends a pending unload request: the runner is gone (or never came), so everyone waiting for it may go on. */
export function settleUnload(entry: ModelEntry): void {
  entry.unloadRequested = false;
  for (const resolve of entry.unloadWaiters.splice(0)) resolve();
}

/** The scheduler's public options and status shapes, and the real clock it runs on by default. */
import type { LoadedModelInfo, LoadOptions } from "./contract.js";
import type { RunnerLauncher } from "./runner-client.js";

/** Time as the scheduler sees it; tests pass a fake one to drive keep-alive and deadlines. */
export interface SchedulerClock {
  now(): number;
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

/** The subset of pino's logger the scheduler uses; a pino logger (or child) fits as is. */
export interface SchedulerLogger {
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
  error(obj: object, msg?: string): void;
}

export interface SchedulerOptions {
  launcher: RunnerLauncher;
  /** Maps a model id to its load options; throws `model_not_found` for unknown ids. Called per request. */
  resolveModel(modelId: string): Promise<LoadOptions>;
  /** Requests that may wait per model beyond the running ones. Default 16. */
  queueSize?: number;
  /**
   * Idle time before a model's runner is stopped. Default 5 minutes; 0 = at once; negative/Infinity = never.
   * A request's `AdmissionOptions.keepAliveMs` replaces it for that model's runner.
   */
  keepAliveMs?: number;
  /** Runners alive at once; loading another first stops the LRU idle one. Default 2. */
  maxLoadedModels?: number;
  /** Default: the real clock ({@link realClock}). */
  clock?: SchedulerClock;
  /** Default: logs nothing. */
  logger?: SchedulerLogger;
}

/** One loaded model, as status endpoints (`/api/ps`, admin) show it. */
export interface LoadedModelStatus {
  modelId: string;
  info: LoadedModelInfo;
  pid: number | undefined;
  active: number;
  queued: number;
  /** When keep-alive will stop the runner; null while busy or when it never expires. */
  expiresAt: number | null;
  loadedAt: number;
}

/** One model's scheduling state; a model nobody asked for reads `unloaded` with zero counts. */
export interface ModelStats {
  modelId: string;
  state: "unloaded" | "loading" | "loaded";
  active: number;
  queued: number;
  expiresAt: number | null;
  loadedAt: number | null;
}

/** Wall-clock time; timers are unref'd so an idle keep-alive never holds the process open. */
export const realClock: SchedulerClock = {
  now: () => Date.now(),
  setTimeout: (fn, ms) => {
    // Node fires timers over 2^31-1 ms at once; clamping makes a very long keep-alive merely ~24 days.
    const timer = setTimeout(fn, Math.min(ms, 2_147_483_647));
    timer.unref();
    return timer;
  },
  clearTimeout: (handle) => clearTimeout(handle as NodeJS.Timeout),
};

/** A logger that drops everything: the default when none is given. */
export const silentLogger: SchedulerLogger = { info: () => {}, warn: () => {}, error: () => {} };

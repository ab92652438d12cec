/**
 * The pull manager: every download of this process goes through one. Pulls are keyed by URL, so two
 * requests for one file share one download and get the same pull. Each pull reports its state and progress
 * to subscribers; the admin API streams them as SSE, the CLI draws a bar, and an NDJSON dialect (Ollama's
 * `/api/pull`: `{status, digest, total, completed}`) can map the same {@link PullEvent}s.
 *
 * A model is registered only after its download passed every check (size, SHA-256, GGUF header), through
 * the store's atomic rename: a failed or cancelled pull never leaves a model that lists as installed.
 */
import { randomBytes } from "node:crypto";
import { join, resolve } from "node:path";
import { rm } from "node:fs/promises";
import { ChaiboxError, isChaiboxError, type ErrorCode } from "../../errors.js";
import { readGgufHeader } from "../../gguf/reader.js";
import type { ModelManifest } from "../manifest.js";
import { validateModelId } from "../model-id.js";
import type { ModelStore } from "../store.js";
import { defaultRetryPolicy, type RetryPolicy } from "./backoff.js";
import { diskFullError, isNoSpace } from "./disk.js";
import { sourcePolicy, type SourcePolicy } from "./source-policy.js";
import { downloadFile, type DownloadProgress } from "./download.js";
import { acquireLock, discardPartial, partialPaths, type PartialLock, type PartialPaths } from "./partial.js";
import type { PullEvent, PullLogger, PullRequest, PullState, PullStatus } from "./pull-status.js";
import { RateMeter } from "./rate.js";
import { displayUrl, type PullSource } from "./source.js";

export type { PullEvent, PullLogger, PullRequest, PullState, PullStatus } from "./pull-status.js";

export interface PullManagerOptions {
  store: ModelStore;
  /** Partials go to `<dataDir>/downloads/`, on the store's disk, so installing is a rename. */
  dataDir: string;
  /** Resolves a reference (see `resolvePullSource`). */
  resolve: (ref: string) => Promise<PullSource>;
  /** Default {@link defaultRetryPolicy}: 5 retries from 1 s, at most 30 s apart. */
  retry?: Partial<RetryPolicy>;
  /** Default 60 s. */
  stallTimeoutMs?: number;
  /** Bytes a download must leave free. Default 256 MiB. */
  freeSpaceReserve?: number;
  /** Least time between two `progress` events of one pull. Default 250 ms. */
  progressIntervalMs?: number;
  /** Finished pulls kept for `get`/`list`. Default 50. */
  keepFinished?: number;
  /** Default: silent. */
  logger?: PullLogger;
  /** Which hosts downloads may fetch from. Default: the safe policy with no allowed hosts (source-policy.ts). */
  policy?: SourcePolicy;
  /** Proves a downloaded file loads before it is installed (see `AddModelOptions.checkLoad`). Default none. */
  checkLoad?: (path: string, id: string) => Promise<void>;
}

interface Pull {
  status: PullStatus;
  source: PullSource;
  paths: PartialPaths;
  controller: AbortController;
  listeners: Set<(event: PullEvent) => void>;
  meter: RateMeter;
  lastProgressAt: number;
  error?: ChaiboxError;
  done: Promise<void>;
}

const FINAL: ReadonlySet<PullState> = new Set(["done", "failed", "cancelled"]);
/** Failures after which the partial is worthless; others (network, shutdown) keep it for a resume. */
const DISCARDING: ReadonlySet<ErrorCode> = new Set([
  "pull_cancelled",
  "checksum_mismatch",
  "invalid_model_file",
  "model_load_failed",
  "insufficient_storage",
  "model_exists",
  "invalid_model_id",
]);
const silent: PullLogger = { info: () => undefined, warn: () => undefined };

export class PullManager {
  private readonly pulls = new Map<string, Pull>();
  /** Unfinished pulls by URL. */
  private readonly active = new Map<string, Pull>();
  private readonly downloadsDir: string;
  private readonly retry: RetryPolicy;
  private readonly log: PullLogger;
  private stopping = false;
  private readonly policy: SourcePolicy;

  constructor(private readonly options: PullManagerOptions) {
    this.downloadsDir = join(resolve(options.dataDir), "downloads");
    this.retry = { ...defaultRetryPolicy, ...options.retry };
    this.log = options.logger ?? silent;
    this.policy = options.policy ?? sourcePolicy();
  }

  /**
   * Starts pulling `request.ref`, or joins the pull already downloading the same file. Resolves once the
   * pull exists (not when it ends) with its status.
   * @throws ChaiboxError `invalid_request` / `model_not_found` for a bad reference, `invalid_model_id`,
   *   `model_exists` when the id is installed, `pull_in_progress` when the file is being pulled under
   *   another id (or another pull installs this id), `shutting_down`.
   */
  async start(request: PullRequest): Promise<PullStatus> {
    this.assertRunning();
    const source = await this.options.resolve(request.ref);
    if (request.id !== undefined) validateModelId(request.id);
    const modelId = request.id ?? source.defaultModelId;
    validateModelId(modelId);
    const joined = this.join(source, request.id, modelId);
    if (joined) return joined;
    if ((await this.options.store.get(modelId)) !== undefined) {
      throw new ChaiboxError(
        "model_exists",
        `A model with id '${modelId}' is already installed; remove it first (chaibox models rm ${modelId}) or pull it under another id.`,
        { param: "id", id: modelId },
      );
    }
    this.assertRunning();
    return this.join(source, request.id, modelId) ?? snapshot(this.create(source, modelId));
  }

  /** @throws ChaiboxError `pull_not_found`. */
  get(id: string): PullStatus {
    return snapshot(this.require(id));
  }

  /** Every pull this process knows, unfinished first, then newest first. */
  list(): PullStatus[] {
    const all = [...this.pulls.values()].map(snapshot);
    return all.sort((a, b) => Number(FINAL.has(a.state)) - Number(FINAL.has(b.state)) || b.createdAt.localeCompare(a.createdAt));
  }

  /** Calls `listener` on each later event of the pull; returns the unsubscribe function. @throws `pull_not_found`. */
  subscribe(id: string, listener: (event: PullEvent) => void): () => void {
    const pull = this.require(id);
    pull.listeners.add(listener);
    return () => pull.listeners.delete(listener);
  }

  /**
   * The pull's events: first its current state (or, when it has ended, its final event), then every event
   * until the final `done` or `error`. Progress events a slow reader missed are merged into the latest.
   * Ends early when `signal` aborts. @throws `pull_not_found`.
   */
  async *events(id: string, signal?: AbortSignal): AsyncGenerator<PullEvent> {
    const pull = this.require(id);
    const queue: PullEvent[] = [];
    let wake: (() => void) | undefined;
    const listener = (event: PullEvent) => {
      if (event.type === "progress" && queue[queue.length - 1]?.type === "progress") queue.pop();
      queue.push(event);
      wake?.();
    };
    const onAbort = () => wake?.();
    pull.listeners.add(listener);
    signal?.addEventListener("abort", onAbort);
    try {
      const first = snapshot(pull);
      yield { type: FINAL.has(first.state) ? finalType(first.state) : "state", pull: first };
      if (FINAL.has(first.state)) return;
      while (!signal?.aborted) {
        const event = queue.shift();
        if (!event) {
          await new Promise<void>((resolve) => (wake = resolve));
          continue;
        }
        yield event;
        if (event.type === "done" || event.type === "error") return;
      }
    } finally {
      pull.listeners.delete(listener);
      signal?.removeEventListener("abort", onAbort);
    }
  }

  /** Resolves with the final status once the pull has ended, whatever the outcome. @throws `pull_not_found`. */
  async wait(id: string): Promise<PullStatus> {
    const pull = this.require(id);
    await pull.done;
    return snapshot(pull);
  }

  /** The installed model once the pull is done; rejects with the pull's error otherwise. @throws `pull_not_found`. */
  async result(id: string): Promise<ModelManifest> {
    const pull = this.require(id);
    await pull.done;
    if (pull.status.model) return pull.status.model;
    throw pull.error ?? new ChaiboxError("internal_error", "the pull ended without a model");
  }

  /**
   * Cancels the pull: stops its download and deletes its partial file; nothing is installed. A pull that
   * has already ended is left as it is. Resolves with the final status. @throws `pull_not_found`.
   */
  async cancel(id: string): Promise<PullStatus> {
    const pull = this.require(id);
    if (!FINAL.has(pull.status.state)) pull.controller.abort(new ChaiboxError("pull_cancelled", `The pull of ${pull.status.ref} was cancelled.`));
    await pull.done;
    return snapshot(pull);
  }

  /** Stops every pull, keeping their partial files for a resume (server shutdown, Ctrl-C). Refuses new pulls. */
  async stop(): Promise<void> {
    this.stopping = true;
    const reason = new ChaiboxError("shutting_down", "The pull was stopped; the downloaded part is kept, and pulling again resumes it.");
    for (const pull of this.active.values()) pull.controller.abort(reason);
    await Promise.all([...this.active.values()].map((p) => p.done));
  }

  private join(source: PullSource, requestedId: string | undefined, modelId: string): PullStatus | undefined {
    const existing = this.active.get(source.url);
    if (existing) {
      if (requestedId === undefined || requestedId === existing.status.modelId) return snapshot(existing);
      throw new ChaiboxError("pull_in_progress", `${displayUrl(source.url)} is already being pulled as '${existing.status.modelId}'.`, {
        param: "id",
        pullId: existing.status.id,
      });
    }
    for (const other of this.active.values()) {
      if (other.status.modelId === modelId) {
        throw new ChaiboxError("pull_in_progress", `Another pull (${other.status.ref}) is installing '${modelId}'; wait for it or cancel it.`, {
          param: "id",
          pullId: other.status.id,
        });
      }
    }
    return undefined;
  }

  private create(source: PullSource, modelId: string): Pull {
    const pull: Pull = {
      status: {
        id: `pull-${randomBytes(6).toString("hex")}`,
        ref: source.ref,
        url: displayUrl(source.url),
        modelId,
        state: "queued",
        receivedBytes: 0,
        totalBytes: source.expectedSize ?? source.sizeHint ?? null,
        resumedFromBytes: 0,
        bytesPerSecond: 0,
        etaSeconds: null,
        sha256: source.sha256 ?? null,
        retries: 0,
        retryReason: null,
        createdAt: new Date().toISOString(),
        finishedAt: null,
        error: null,
        model: null,
      },
      source,
      paths: partialPaths(this.downloadsDir, source.url),
      controller: new AbortController(),
      listeners: new Set(),
      meter: new RateMeter(),
      lastProgressAt: 0,
      done: Promise.resolve(),
    };
    this.pulls.set(pull.status.id, pull);
    this.active.set(source.url, pull);
    pull.done = this.run(pull);
    return pull;
  }

  /** Never rejects: the outcome is the pull's final state. */
  private async run(pull: Pull): Promise<void> {
    const { source, paths, status } = pull;
    const signal = pull.controller.signal;
    let lock: PartialLock | undefined;
    try {
      lock = await acquireLock(paths, status.url);
      signal.throwIfAborted();
      this.log.info({ pull: status.id, ref: status.ref, url: status.url, modelId: status.modelId }, "pull started");
      this.setState(pull, "downloading");
      const result = await downloadFile({
        url: source.url,
        headers: source.headers,
        ...(source.expectedSize !== undefined && { expectedSize: source.expectedSize }),
        ...(source.sha256 !== undefined && { sha256: source.sha256 }),
        ...(source.sizeHint !== undefined && { sizeHint: source.sizeHint }),
        paths,
        displayPath: resolve(this.options.dataDir),
        reserveBytes: this.options.freeSpaceReserve ?? 256 * 1024 * 1024,
        retry: this.retry,
        stallTimeoutMs: this.options.stallTimeoutMs ?? 60_000,
        policy: this.policy,
        signal,
        onProgress: (progress) => this.progress(pull, progress),
        onRetry: ({ attempt, delayMs, reason }) => {
          status.retries++;
          status.retryReason = reason;
          this.log.warn({ pull: status.id, attempt, delayMs, reason }, "download interrupted; retrying");
          this.emit(pull, "progress");
        },
      });
      signal.throwIfAborted();
      this.setState(pull, "verifying");
      await validateHeader(paths.file, status.url);
      const model = await this.options.store.add(paths.file, { id: status.modelId, source: source.source, move: true, sha256: result.sha256, ...(this.options.checkLoad && { checkLoad: this.options.checkLoad }) });
      await rm(paths.sidecar, { force: true });
      const { path: _path, dir: _dir, ...manifest } = model;
      Object.assign(status, { sha256: model.sha256, model: manifest, receivedBytes: result.sizeBytes, totalBytes: result.sizeBytes, etaSeconds: 0 });
      this.log.info({ pull: status.id, modelId: model.id, sizeBytes: model.sizeBytes }, "pull installed the model");
      this.finish(pull, "done");
    } catch (caught) {
      const error = await this.toChaiboxError(signal.aborted ? signal.reason : caught, paths, status);
      pull.error = error;
      status.error = { code: error.code, message: error.message };
      // Only the lock holder touches the files: a pull_in_progress failure belongs to someone else's download.
      if (lock && DISCARDING.has(error.code)) await discardPartial(paths).catch(() => undefined);
      if (lock && error.code === "download_failed" && error.details.status !== undefined) await discardPartial(paths).catch(() => undefined);
      if (error.code !== "pull_cancelled" && error.code !== "shutting_down") this.log.warn({ pull: status.id, err: error }, "pull failed");
      this.finish(pull, error.code === "pull_cancelled" ? "cancelled" : "failed");
    } finally {
      await lock?.release();
    }
  }

  private async toChaiboxError(error: unknown, paths: PartialPaths, status: PullStatus): Promise<ChaiboxError> {
    if (isChaiboxError(error)) return error;
    if (isNoSpace(error)) return diskFullError(this.downloadsDir, resolve(this.options.dataDir), status.receivedBytes, status.totalBytes ?? undefined);
    const message = error instanceof Error ? error.message : String(error);
    return new ChaiboxError("internal_error", `Pulling ${status.ref} failed: ${message} (partial file ${paths.file}).`);
  }

  private progress(pull: Pull, progress: DownloadProgress): void {
    const { status } = pull;
    const now = performance.now();
    pull.meter.record(progress.receivedBytes, now);
    status.receivedBytes = progress.receivedBytes;
    status.totalBytes = progress.totalBytes ?? status.totalBytes;
    status.resumedFromBytes = progress.resumedFromBytes;
    status.bytesPerSecond = Math.round(pull.meter.bytesPerSecond());
    status.etaSeconds = pull.meter.etaSeconds(status.totalBytes);
    if (now - pull.lastProgressAt < (this.options.progressIntervalMs ?? 250)) return;
    pull.lastProgressAt = now;
    this.emit(pull, "progress");
  }

  private setState(pull: Pull, state: PullState): void {
    pull.status.state = state;
    this.emit(pull, "state");
  }

  private finish(pull: Pull, state: "done" | "failed" | "cancelled"): void {
    pull.status.state = state;
    pull.status.finishedAt = new Date().toISOString();
    pull.status.bytesPerSecond = 0;
    this.active.delete(pull.source.url);
    this.emit(pull, finalType(state));
    pull.listeners.clear();
    this.forgetOldPulls();
  }

  private emit(pull: Pull, type: PullEvent["type"]): void {
    const event: PullEvent = { type, pull: snapshot(pull) };
    for (const listener of [...pull.listeners]) {
      try {
        listener(event);
      } catch (error) {
        this.log.warn({ pull: pull.status.id, err: error }, "a pull listener threw");
      }
    }
  }

  private forgetOldPulls(): void {
    const finished = [...this.pulls.values()].filter((p) => FINAL.has(p.status.state));
    const excess = finished.length - (this.options.keepFinished ?? 50);
    for (const pull of finished.slice(0, Math.max(0, excess))) this.pulls.delete(pull.status.id);
  }

  private require(id: string): Pull {
    const pull = this.pulls.get(id);
    if (!pull) throw new ChaiboxError("pull_not_found", `There is no pull '${id}'; finished pulls are forgotten after a while.`, { param: "id" });
    return pull;
  }

  private assertRunning(): void {
    if (this.stopping) throw new ChaiboxError("shutting_down", "chaibox is shutting down; pull again once it is back.");
  }
}

function finalType(state: PullState): "done" | "error" {
  return state === "done" ? "done" : "error";
}

function snapshot(pull: Pull): PullStatus {
  return { ...pull.status, error: pull.status.error && { ...pull.status.error } };
}

/** Reads the downloaded file's GGUF header; a failure names the URL rather than the partial's path. */
async function validateHeader(file: string, url: string): Promise<void> {
  try {
    await readGgufHeader(file);
  } catch (error) {
    if (!isChaiboxError(error)) throw error;
    const reason = error.message.startsWith(`${file}: `) ? error.message.slice(file.length + 2) : error.message;
    throw new ChaiboxError("invalid_model_file", `${url} is not a usable GGUF file: ${reason}; nothing was installed.`, error.details);
  }
}

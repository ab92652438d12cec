/**
 * Remembers that a model file failed to load, so a broken file (a tampered header, a truncated copy) costs one
 * runner start rather than one per request: until the file changes, or the back-off passes, the same
 * `model_load_failed` answers at once. Messages leave here without absolute paths (scrub-paths.ts).
 */
import { stat } from "node:fs/promises";
import { ChaiboxError, isChaiboxError } from "../errors.js";
import type { RunnerLauncher } from "./runner-client.js";
import { scrubPaths } from "./scrub-paths.js";

/** A failure is retried after this long even if the file is the same: a box may have lacked something then. */
export const LOAD_FAILURE_BACKOFF_MS = 10 * 60_000;

interface Remembered {
  /** The file's identity when it failed: size, modification time and inode. */
  stamp: string;
  error: ChaiboxError;
  until: number;
}

async function stampOf(path: string): Promise<string | undefined> {
  try {
    const info = await stat(path);
    return `${info.size}:${info.mtimeMs}:${info.ino}`;
  } catch {
    return undefined;
  }
}

/** A `model_load_failed` that names the model (when known) and the reason, never a path. */
export function clearLoadFailure(modelId: string | undefined, error: ChaiboxError): ChaiboxError {
  const reason = scrubPaths(error.message);
  if (modelId === undefined || reason.startsWith("Model '")) return new ChaiboxError("model_load_failed", reason, error.details);
  return new ChaiboxError("model_load_failed", `Model '${modelId}' failed to load: ${reason}`, { ...error.details, model: modelId });
}

export class LoadFailures {
  private readonly failures = new Map<string, Remembered>();

  constructor(
    private readonly backoffMs = LOAD_FAILURE_BACKOFF_MS,
    private readonly now: () => number = Date.now,
  ) {}

  /**
   * Runs `attempt` for the model file at `path` unless it failed to load before and is unchanged since. A
   * `model_load_failed` (from the attempt or remembered) is thrown in its clear, path-free form.
   */
  async guard<T>(modelId: string | undefined, path: string, attempt: () => Promise<T>): Promise<T> {
    const stamp = await stampOf(path);
    const known = this.failures.get(path);
    if (known && known.stamp === stamp && this.now() < known.until) throw clearLoadFailure(modelId, known.error);
    this.failures.delete(path);
    try {
      return await attempt();
    } catch (error) {
      if (!isChaiboxError(error) || error.code !== "model_load_failed") throw error;
      const clear = clearLoadFailure(modelId, error);
      // A load that ran out of time, or a unit systemd would not start, says nothing about the file: only a
      // refusal of the file is remembered.
      if (stamp !== undefined && error.details.transient !== true) this.failures.set(path, { stamp, error: clear, until: this.now() + this.backoffMs });
      throw clear;
    }
  }
}

/** `launcher` with remembered load failures: a file that failed to load is not started again until it changes. */
export function rememberLoadFailures(launcher: RunnerLauncher, failures: LoadFailures): RunnerLauncher {
  return {
    launch: (modelId, options, signal) => failures.guard(modelId, options.modelPath, () => launcher.launch(modelId, options, signal)),
  };
}

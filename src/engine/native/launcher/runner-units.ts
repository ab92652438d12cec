/**
 * The port through which the systemd launcher starts runners as units: what it asks of the service manager,
 * declared here so that engine/ depends on nothing above it. platform/systemd-runner-units.ts is the real
 * one (systemd over D-Bus: the unit's name, its properties and hardening); the composition root passes it in.
 */
import type { RunnerExit } from "../../runner-client.js";

/** What a runner's unit runs and how much memory fit expects it to need. */
export interface RunnerUnitRequest {
  modelId: string;
  /** The executable (absolute) and its full argv, argv[0] included. */
  execPath: string;
  argv: string[];
  /** Fit's RAM estimate for the model and its context; the unit's memory limit is derived from it. */
  estimatedRamBytes: number | undefined;
  /** `KEY=value` entries of the runner's environment. */
  environment: string[];
  /** The user the runner runs as; the manager's default when undefined. */
  user?: string;
}

/** A unit being followed: its main process and its end. */
export interface RunnerUnitWatch {
  /** The main process; undefined until the manager has started it. */
  readonly mainPid: number | undefined;
  /** Resolves once the unit is inactive, failed or gone. */
  readonly ended: Promise<RunnerExit>;
}

/**
 * Why a call of {@link RunnerUnits} failed, when the launcher acts on the reason: the unit already exists
 * (a previous runner of the model is still stopping), or it does not exist (any more).
 */
export class RunnerUnitError extends Error {
  constructor(
    readonly reason: "exists" | "missing",
    message: string,
  ) {
    super(message);
  }
}

/** The service manager, as the systemd launcher uses it. */
export interface RunnerUnits {
  /** The unit name of a model's runner (unique per model id). */
  unitName(modelId: string): string;
  /**
   * Starts the unit. Rejects with {@link RunnerUnitError} `exists` when a unit of that name is still there, or
   * with the manager's own error (access denied, bad property). Resolves to the memory limit it set, if any.
   */
  start(unit: string, request: RunnerUnitRequest): Promise<{ memoryMaxBytes: number | undefined }>;
  /** Follows the unit; one that does not exist comes back already ended. */
  watch(unit: string): Promise<RunnerUnitWatch>;
  /** Signals the unit's processes; rejects with {@link RunnerUnitError} `missing` when it is gone. */
  kill(unit: string, signal: NodeJS.Signals): Promise<void>;
  /** Forgets a failed unit, so that its name can be used again. */
  resetFailed(unit: string): Promise<void>;
}

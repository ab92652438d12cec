/**
 * Starts each runner as a transient systemd service, `chaibox-runner-<model>.service`, through the
 * {@link RunnerUnits} port (platform/systemd-runner-units.ts: systemd's manager on the system D-Bus):
 * memory-limited from fit's estimate, hardened like chaibox.service, its output in the journal tagged with
 * the model. The socket handshake and the load are shared with the child-process
 * launcher (socket-launch.ts); only starting, watching (unit state) and killing differ.
 */
import { userInfo } from "node:os";
import type { LoadOptions } from "../../contract.js";
import { ChaiboxError } from "../../../errors.js";
import type { RunnerExit, RunnerClient, RunnerLauncher } from "../../runner-client.js";
import type { RunnerLogger } from "./output-log.js";
import type { RunnerProcess } from "./socket-runner-client.js";
import { runnerEntryArgs, withRunnerEnv } from "./runner-entry.js";
import { RunnerUnitError, type RunnerUnitRequest, type RunnerUnits, type RunnerUnitWatch } from "./runner-units.js";
import { DEFAULT_LOAD_TIMEOUT_MS, launchOverSocket } from "./socket-launch.js";

export interface SystemdLauncherOptions {
  /** The service manager that runs the units (platform/systemd-runner-units.ts). */
  manager: RunnerUnits;
  /** Directory for the runners' sockets (the service's RuntimeDirectory). */
  runtimeDir: string;
  logger: RunnerLogger;
  /** How long a runner may take to start and load its model; default 120 s. */
  loadTimeoutMs?: number;
  /**
   * Used from the first refusal on when systemd will not start a unit (e.g. polkit denies it), with one
   * warning saying so. Without it, the refusal fails the load.
   */
  fallback?: RunnerLauncher;
  /** The environment the runner's is taken from (default this process's). */
  env?: NodeJS.ProcessEnv;
}

/** How long a previous runner unit of the same name gets to go away before a new one is started (5 s). */
const PREVIOUS_UNIT_WAIT_MS = 5_000;

/**
 * The variables a runner keeps from the API process's environment (chaibox's own, Node's, and the basics),
 * with the runner's own over them ({@link withRunnerEnv}).
 */
export function runnerEnvironment(env: NodeJS.ProcessEnv): string[] {
  const keep = (key: string): boolean => /^(CHAIBOX_|NODE_)/.test(key) || ["PATH", "HOME", "LANG", "TZ"].includes(key);
  const kept = Object.entries(env).filter((entry): entry is [string, string] => entry[1] !== undefined && keep(entry[0]));
  return Object.entries(withRunnerEnv(Object.fromEntries(kept))).map(([key, value]) => `${key}=${value}`);
}

/** The runner as a unit: watched over D-Bus, signalled with KillUnit. */
class UnitRunnerProcess implements RunnerProcess {
  readonly exited: Promise<RunnerExit>;
  private ended = false;
  /** Ends `exited` when systemd says the unit is gone although no signal told us (e.g. the bus restarted). */
  private gone: (() => void) | undefined;

  constructor(
    private readonly manager: RunnerUnits,
    readonly unit: string,
    private readonly watch: RunnerUnitWatch,
    private readonly logger: RunnerLogger,
  ) {
    const vanished = new Promise<RunnerExit>((resolve) => {
      this.gone = () => resolve({ code: null, signal: null });
    });
    this.exited = Promise.race([watch.ended, vanished]).then((exit) => {
      this.ended = true;
      return exit;
    });
  }

  get pid(): number | undefined {
    return this.watch.mainPid;
  }

  kill(signal: NodeJS.Signals): void {
    if (this.ended) return;
    this.manager.kill(this.unit, signal).catch((error: unknown) => {
      if (this.ended) return;
      if (error instanceof RunnerUnitError && error.reason === "missing") this.gone?.();
      else this.logger.warn({ unit: this.unit, signal, err: (error as Error).message }, "cannot signal the runner unit");
    });
  }

  recentOutput(): string[] {
    return [`its output is in the journal: journalctl -u ${this.unit}`];
  }
}

/** A {@link RunnerLauncher} that runs each runner as a transient systemd unit. */
export class SystemdLauncher implements RunnerLauncher {
  private readonly loadTimeoutMs: number;
  private refused = false;

  constructor(private readonly options: SystemdLauncherOptions) {
    this.loadTimeoutMs = options.loadTimeoutMs ?? DEFAULT_LOAD_TIMEOUT_MS;
  }

  async launch(modelId: string, loadOptions: LoadOptions, signal?: AbortSignal): Promise<RunnerClient> {
    const { fallback, logger } = this.options;
    if (this.refused && fallback !== undefined) return fallback.launch(modelId, loadOptions, signal);
    const unit = this.options.manager.unitName(modelId);
    try {
      return await launchOverSocket({
        modelId,
        options: loadOptions,
        signal,
        runtimeDir: this.options.runtimeDir,
        logger,
        loadTimeoutMs: this.loadTimeoutMs,
        fields: { unit },
        start: (socketPath) => this.startUnit(unit, modelId, loadOptions, socketPath),
      });
    } catch (error) {
      if (!(error instanceof RefusedError) || fallback === undefined) throw error;
      this.refused = true;
      logger.warn(
        { unit, err: error.message },
        "systemd refused to start a runner unit: runners start as child processes from now on (check the polkit rule for the chaibox user)",
      );
      return fallback.launch(modelId, loadOptions, signal);
    }
  }

  private request(modelId: string, options: LoadOptions, socketPath: string): RunnerUnitRequest {
    const argv = [process.execPath, ...runnerEntryArgs(), "--socket", socketPath];
    const user = userInfo();
    return {
      modelId,
      execPath: process.execPath,
      argv,
      estimatedRamBytes: options.estimatedRamBytes,
      // The runner runs as chaibox does; systemd gives it the user's groups (render, video: the GPU devices).
      ...(user.uid !== 0 && { user: user.username }),
      environment: runnerEnvironment(this.options.env ?? process.env),
    };
  }

  private async startUnit(unit: string, modelId: string, options: LoadOptions, socketPath: string): Promise<RunnerProcess> {
    const { manager, logger } = this.options;
    const request = this.request(modelId, options, socketPath);
    let started: { memoryMaxBytes: number | undefined };
    try {
      started = await manager.start(unit, request);
    } catch (error) {
      if (!(error instanceof RunnerUnitError && error.reason === "exists")) throw new RefusedError(unit, error);
      // The model's previous runner is still stopping, or failed and was not collected: let it go first.
      const previous = await manager.watch(unit);
      await Promise.race([previous.ended, new Promise((resolve) => setTimeout(resolve, PREVIOUS_UNIT_WAIT_MS).unref())]);
      await manager.resetFailed(unit).catch(() => undefined);
      try {
        started = await manager.start(unit, request);
      } catch (again) {
        throw new ChaiboxError("model_load_failed", `cannot start ${unit}: ${(again as Error).message}`, { modelId, transient: true });
      }
    }
    const watch = await manager.watch(unit);
    logger.info({ modelId, unit, runnerPid: watch.mainPid, memoryMax: started.memoryMaxBytes?.toString() }, "runner unit started");
    return new UnitRunnerProcess(manager, unit, watch, logger);
  }
}

/** systemd would not start the unit at all (access denied, bad property): the fallback may take over. */
class RefusedError extends ChaiboxError {
  constructor(unit: string, cause: unknown) {
    super("model_load_failed", `systemd refused to start ${unit}: ${(cause as Error).message}`, { transient: true });
  }
}

/**
 * Starts each runner as a child process of the API process (the default, and the fallback when chaibox does
 * not run under systemd). The socket handshake and the load are shared with every launcher (socket-launch.ts).
 */
import { spawn, type ChildProcess } from "node:child_process";
import type { LoadOptions } from "../../contract.js";
import type { RunnerExit, RunnerClient, RunnerLauncher } from "../../runner-client.js";
import { RunnerOutput, type RunnerLogger } from "./output-log.js";
import type { RunnerProcess } from "./socket-runner-client.js";
import { runnerEntryArgs, withRunnerEnv } from "./runner-entry.js";
import { DEFAULT_LOAD_TIMEOUT_MS, launchOverSocket } from "./socket-launch.js";

export { DEFAULT_LOAD_TIMEOUT_MS } from "./socket-launch.js";

export interface ChildProcessLauncherOptions {
  /** Directory for the runners' sockets; created (mode 0700) when missing. */
  runtimeDir: string;
  /** Receives the launcher's records and every runner's log lines. */
  logger: RunnerLogger;
  /** How long a runner may take to start and load its model; default 120 s. */
  loadTimeoutMs?: number;
  /** Environment of the runner processes; default this process's environment. */
  env?: NodeJS.ProcessEnv;
}

/** A spawned runner child as the connection sees it. */
class ChildRunnerProcess implements RunnerProcess {
  readonly exited: Promise<RunnerExit>;
  readonly output: RunnerOutput;

  constructor(
    private readonly child: ChildProcess,
    logger: RunnerLogger,
    modelId: string,
  ) {
    this.output = new RunnerOutput(logger, { modelId, runnerPid: child.pid });
    if (child.stdout !== null) this.output.follow(child.stdout);
    if (child.stderr !== null) this.output.follow(child.stderr);
    this.exited = new Promise((resolve) => {
      child.once("exit", (code, signal) => resolve({ code, signal }));
      // A process that could not be spawned emits "error" and never "exit".
      child.once("error", (error) => {
        logger.error({ modelId, err: error.message }, "runner process error");
        if (child.pid === undefined) resolve({ code: null, signal: null });
      });
    });
  }

  get pid(): number | undefined {
    return this.child.pid;
  }

  kill(signal: NodeJS.Signals): void {
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill(signal);
  }

  recentOutput(): string[] {
    return this.output.tail();
  }
}

/** The default {@link RunnerLauncher}: one child process per loaded model. */
export class ChildProcessLauncher implements RunnerLauncher {
  private readonly loadTimeoutMs: number;

  constructor(private readonly options: ChildProcessLauncherOptions) {
    this.loadTimeoutMs = options.loadTimeoutMs ?? DEFAULT_LOAD_TIMEOUT_MS;
  }

  launch(modelId: string, loadOptions: LoadOptions, signal?: AbortSignal): Promise<RunnerClient> {
    const { runtimeDir, logger } = this.options;
    return launchOverSocket({
      modelId,
      options: loadOptions,
      signal,
      runtimeDir,
      logger,
      loadTimeoutMs: this.loadTimeoutMs,
      start: (socketPath) => {
        const child = spawn(process.execPath, [...runnerEntryArgs(), "--socket", socketPath], {
          stdio: ["ignore", "pipe", "pipe"],
          env: withRunnerEnv(this.options.env ?? process.env),
        });
        return Promise.resolve(new ChildRunnerProcess(child, logger, modelId));
      },
    });
  }
}

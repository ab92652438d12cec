/**
 * Starts each runner as a child process of the API process. The API process listens on a fresh unix socket
 * in the runtime directory and passes its path to the runner, which connects back; the socket file is
 * removed as soon as the runner is connected (or the start failed).
 */
import { spawn, type ChildProcess } from "node:child_process";
import { randomBytes } from "node:crypto";
import { chmod, mkdir, rm } from "node:fs/promises";
import { createServer, type Server, type Socket } from "node:net";
import { join } from "node:path";
import type { LoadOptions } from "../contract.js";
import { ChaiboxError, isChaiboxError } from "../../errors.js";
import type { RunnerExit, RunnerHandle, RunnerLauncher } from "../runner-handle.js";
import { RunnerOutput, type RunnerLogger } from "./output-log.js";
import { RunnerConnection, type RunnerProcess } from "./runner-connection.js";
import { runnerEntryArgs } from "./runner-entry.js";

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

/** Default of {@link ChildProcessLauncherOptions.loadTimeoutMs}. */
export const DEFAULT_LOAD_TIMEOUT_MS = 120_000;
/** How long a runner whose load failed gets to exit on its own before SIGKILL (1 s). */
const FAILED_START_GRACE_MS = 1_000;
/** sun_path holds 108 bytes on Linux, including the terminating NUL. */
const MAX_SOCKET_PATH_BYTES = 107;

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

/** Listens on a socket path and hands out the first connection; further ones are refused. */
async function listenOnce(path: string): Promise<{ server: Server; connection: Promise<Socket> }> {
  const server = createServer();
  const connection = new Promise<Socket>((resolve) => {
    server.on("connection", (socket) => {
      resolve(socket);
      server.removeAllListeners("connection");
      server.on("connection", (extra: Socket) => extra.destroy());
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(path, () => {
      server.off("error", reject);
      resolve();
    });
  });
  // Only this user may connect: the socket carries prompts and model output.
  await chmod(path, 0o600);
  return { server, connection };
}

/** Stops accepting (the accepted connection stays open: close() only waits for it) and removes the file. */
async function closeListener(server: Server, path: string): Promise<void> {
  server.close();
  await rm(path, { force: true });
}

/** The default {@link RunnerLauncher}: one child process per loaded model. */
export class ChildProcessLauncher implements RunnerLauncher {
  private readonly loadTimeoutMs: number;

  constructor(private readonly options: ChildProcessLauncherOptions) {
    this.loadTimeoutMs = options.loadTimeoutMs ?? DEFAULT_LOAD_TIMEOUT_MS;
  }

  async launch(modelId: string, loadOptions: LoadOptions, signal?: AbortSignal): Promise<RunnerHandle> {
    const { runtimeDir, logger } = this.options;
    await mkdir(runtimeDir, { recursive: true, mode: 0o700 });
    const socketPath = join(runtimeDir, `runner-${randomBytes(6).toString("hex")}.sock`);
    if (Buffer.byteLength(socketPath) > MAX_SOCKET_PATH_BYTES) {
      throw new ChaiboxError("internal_error", `runtime directory path too long for a unix socket: ${socketPath}`);
    }
    const started = performance.now();
    const { server, connection } = await listenOnce(socketPath);
    let listening = true;
    const stopListening = async (): Promise<void> => {
      if (!listening) return;
      listening = false;
      await closeListener(server, socketPath);
    };

    const child = spawn(process.execPath, [...runnerEntryArgs(), "--socket", socketPath], {
      stdio: ["ignore", "pipe", "pipe"],
      env: this.options.env ?? process.env,
    });
    const runnerProcess = new ChildRunnerProcess(child, logger, modelId);
    logger.info({ modelId, runnerPid: child.pid, modelPath: loadOptions.modelPath }, "runner starting");
    // Nobody waits for this load any more: ending the runner fails the steps below at once.
    const abandon = (): void => runnerProcess.kill("SIGKILL");
    signal?.addEventListener("abort", abandon, { once: true });

    let timer: NodeJS.Timeout | undefined;
    let handle: RunnerConnection | undefined;
    try {
      const socket = await Promise.race([
        connection,
        runnerProcess.exited.then((exit): never => {
          const output = runnerProcess.recentOutput().slice(-5).join(" | ");
          const how = exit.signal !== null ? `was killed by signal ${exit.signal}` : `exited with code ${exit.code}`;
          const message = `the runner ${how} before connecting${output === "" ? "" : `: ${output}`}`;
          throw new ChaiboxError("model_load_failed", message, { modelId });
        }),
        new Promise<never>((_, reject) => {
          timer = setTimeout(
            () => reject(
              new ChaiboxError("model_load_failed", `the runner did not connect within ${this.loadTimeoutMs} ms`),
            ),
            this.loadTimeoutMs,
          );
        }),
      ]);
      clearTimeout(timer);
      await stopListening();
      handle = new RunnerConnection(modelId, socket, runnerProcess, logger);
      const remaining = Math.max(1, this.loadTimeoutMs - (performance.now() - started));
      const info = await handle.load(loadOptions, remaining);
      signal?.removeEventListener("abort", abandon);
      if (signal?.aborted) throw new ChaiboxError("client_disconnected", "the load was abandoned: no request waits for it");
      logger.info({ modelId, runnerPid: child.pid, info, ms: Math.round(performance.now() - started) }, "runner ready");
      return handle;
    } catch (error) {
      clearTimeout(timer);
      signal?.removeEventListener("abort", abandon);
      // A connected runner gets a short graceful exit (it exits when its socket closes); otherwise kill.
      if (handle !== undefined) await handle.stop(FAILED_START_GRACE_MS);
      else runnerProcess.kill("SIGKILL");
      await runnerProcess.exited;
      await stopListening();
      const failure = signal?.aborted
        ? new ChaiboxError("client_disconnected", "the load was abandoned: no request waits for it")
        : isChaiboxError(error)
          ? error
          : new ChaiboxError("model_load_failed", (error as Error).message);
      logger.warn({ modelId, code: failure.code, err: failure.message }, "runner start failed");
      throw failure;
    }
  }
}

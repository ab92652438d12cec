/**
 * What every launcher shares: the API process listens on a fresh unix socket in the runtime directory, starts
 * the runner (however it does that) with the socket's path, waits for it to connect back and load the model,
 * and cleans up on every failure. The socket file is removed as soon as the runner is connected (or the
 * start failed). Launchers differ only in {@link SocketLaunch.start}.
 */
import { randomBytes } from "node:crypto";
import { chmod, mkdir, rm } from "node:fs/promises";
import { createServer, type Server, type Socket } from "node:net";
import { join } from "node:path";
import type { LoadOptions } from "../../contract.js";
import { ChaiboxError, isChaiboxError } from "../../../errors.js";
import type { RunnerExit, RunnerClient } from "../../runner-client.js";
import type { RunnerLogger } from "./output-log.js";
import { SocketRunnerClient, type RunnerProcess } from "./socket-runner-client.js";

/** Default of a launcher's `loadTimeoutMs`: how long a runner may take to start and load its model (120 s). */
export const DEFAULT_LOAD_TIMEOUT_MS = 120_000;
/** How long a runner whose load failed gets to exit on its own before SIGKILL (1 s). */
const FAILED_START_GRACE_MS = 1_000;
/** sun_path holds 108 bytes on Linux, including the terminating NUL. */
const MAX_SOCKET_PATH_BYTES = 107;

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

function describeExit(exit: RunnerExit): string {
  return exit.signal !== null ? `was killed by signal ${exit.signal}` : `exited with code ${exit.code}`;
}

export interface SocketLaunch {
  modelId: string;
  options: LoadOptions;
  signal: AbortSignal | undefined;
  runtimeDir: string;
  logger: RunnerLogger;
  loadTimeoutMs: number;
  /** Starts the runner process with `--socket socketPath`; rejects when it could not be started at all. */
  start(socketPath: string): Promise<RunnerProcess>;
  /** Extra fields of the "runner starting"/"runner ready" records (e.g. the unit name). */
  fields?: Record<string, unknown>;
}

/** Starts a runner through `launch.start`, connects and loads the model: the body of every launcher. */
export async function launchOverSocket(launch: SocketLaunch): Promise<RunnerClient> {
  const { modelId, options, signal, runtimeDir, logger, loadTimeoutMs } = launch;
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

  let runnerProcess: RunnerProcess;
  try {
    runnerProcess = await launch.start(socketPath);
  } catch (error) {
    await stopListening();
    const failure = isChaiboxError(error) ? error : new ChaiboxError("model_load_failed", (error as Error).message, { modelId });
    logger.warn({ modelId, ...launch.fields, code: failure.code, err: failure.message }, "runner start failed");
    throw failure;
  }
  logger.info({ modelId, runnerPid: runnerProcess.pid, ...launch.fields, modelPath: options.modelPath }, "runner starting");
  // Nobody waits for this load any more: ending the runner fails the steps below at once.
  const abandon = (): void => runnerProcess.kill("SIGKILL");
  signal?.addEventListener("abort", abandon, { once: true });
  if (signal?.aborted) abandon();

  let timer: NodeJS.Timeout | undefined;
  let client: SocketRunnerClient | undefined;
  try {
    const socket = await Promise.race([
      connection,
      runnerProcess.exited.then((exit): never => {
        const output = runnerProcess.recentOutput().slice(-5).join(" | ");
        const message = `the runner ${describeExit(exit)} before connecting${output === "" ? "" : `: ${output}`}`;
        throw new ChaiboxError("model_load_failed", message, { modelId });
      }),
      new Promise<never>((_, reject) => {
        timer = setTimeout(
          () => reject(new ChaiboxError("model_load_failed", `the runner did not connect within ${loadTimeoutMs} ms`, { transient: true })),
          loadTimeoutMs,
        );
      }),
    ]);
    clearTimeout(timer);
    await stopListening();
    client = new SocketRunnerClient(modelId, socket, runnerProcess, logger);
    const remaining = Math.max(1, loadTimeoutMs - (performance.now() - started));
    const info = await client.load(options, remaining);
    signal?.removeEventListener("abort", abandon);
    if (signal?.aborted) throw new ChaiboxError("client_disconnected", "the load was abandoned: no request waits for it");
    const ms = Math.round(performance.now() - started);
    logger.info({ modelId, runnerPid: runnerProcess.pid, ...launch.fields, info, ms }, "runner ready");
    return client;
  } catch (error) {
    clearTimeout(timer);
    signal?.removeEventListener("abort", abandon);
    // A connected runner gets a short graceful exit (it exits when its socket closes); otherwise kill.
    if (client !== undefined) await client.stop(FAILED_START_GRACE_MS);
    else runnerProcess.kill("SIGKILL");
    await runnerProcess.exited;
    await stopListening();
    const failure = signal?.aborted
      ? new ChaiboxError("client_disconnected", "the load was abandoned: no request waits for it")
      : isChaiboxError(error)
        ? error
        : new ChaiboxError("model_load_failed", (error as Error).message);
    logger.warn({ modelId, ...launch.fields, code: failure.code, err: failure.message }, "runner start failed");
    throw failure;
  }
}

/**
 * The API side of one runner: the socket connection that the runner opened back to us, and the process
 * behind it. Implements {@link RunnerClient} independently of how the process was started, so a child
 * process and a transient systemd unit share it.
 */
import type { Socket } from "node:net";
import type { ChatEvent, ChatRequest, EmbedRequest, EmbedResult, LoadedModelInfo, LoadOptions } from "../../contract.js";
import { ChaiboxError } from "../../../errors.js";
import type { RunnerExit, RunnerClient } from "../../runner-client.js";
import {
  LineSplitter,
  PROTOCOL_VERSION,
  ProtocolError,
  decodeEmbedResult,
  decodeRunnerMessage,
  encodeMessage,
  type ApiToRunnerMessage,
  type RunnerToApiMessage,
} from "../runner-process/protocol.js";
import { ChatStream } from "./chat-stream.js";
import type { RunnerLogger } from "./output-log.js";

/** The process behind a socket runner client, however it was started. */
export interface RunnerProcess {
  readonly pid: number | undefined;
  /** Resolves once the process has ended. */
  readonly exited: Promise<RunnerExit>;
  kill(signal: NodeJS.Signals): void;
  /** Its latest output lines, to explain a failure. */
  recentOutput(): string[];
}

/** Default grace period of {@link SocketRunnerClient.stop} before SIGKILL (5 s). */
export const DEFAULT_STOP_DEADLINE_MS = 5_000;
/** After the socket closes, how long the process gets to exit before it is killed (2 s). */
const EXIT_AFTER_CLOSE_MS = 2_000;

/** An embedding sent to the runner and not answered yet. */
interface PendingEmbed {
  resolve(result: EmbedResult): void;
  reject(error: unknown): void;
}

/** A rejection value that is an Error, as ChatStream makes it. */
function asError(reason: unknown): Error {
  return reason instanceof Error ? reason : new Error(String(reason));
}

function describeExit(exit: RunnerExit): string {
  return exit.signal !== null ? `was killed by signal ${exit.signal}` : `exited with code ${exit.code}`;
}

/**
 * A runner reached over its socket. In-flight chats and embeddings fail with `runner_crashed` when the
 * process ends (or `shutting_down` after {@link SocketRunnerClient.stop}); a protocol violation kills the process.
 */
export class SocketRunnerClient implements RunnerClient {
  private loadedInfo: LoadedModelInfo | undefined;
  private readonly chats = new Map<string, ChatStream>();
  private readonly embeds = new Map<string, PendingEmbed>();
  /** Chats and embeddings share one id space: `cancel` and `error` name either. */
  private nextRequestId = 0;
  private exit: RunnerExit | undefined;
  private stopping = false;
  /** Why the connection broke, when it was not the process ending on its own. */
  private brokenReason: string | undefined;
  private readonly loadWaiters: { resolve: (m: RunnerToApiMessage) => void; reject: (e: unknown) => void }[] = [];
  private readonly pendingMessages: RunnerToApiMessage[] = [];
  readonly exited: Promise<RunnerExit>;

  constructor(
    readonly modelId: string,
    private readonly socket: Socket,
    private readonly runnerProcess: RunnerProcess,
    private readonly logger: RunnerLogger,
  ) {
    this.exited = runnerProcess.exited.then((exit) => {
      this.onExit(exit);
      return exit;
    });
    const splitter = new LineSplitter();
    socket.on("data", (chunk: Buffer) => {
      try {
        for (const line of splitter.push(chunk)) this.onMessage(decodeRunnerMessage(line));
      } catch (error) {
        if (!(error instanceof ProtocolError)) throw error;
        this.breakConnection(`protocol error: ${error.message}`);
      }
    });
    socket.on("error", (error) => {
      this.logger.warn({ modelId, runnerPid: this.pid, err: error.message }, "runner socket error");
    });
    socket.on("close", () => {
      if (this.exit !== undefined) return;
      // The runner exits when its socket closes; make sure it does.
      const timer = setTimeout(() => this.runnerProcess.kill("SIGKILL"), EXIT_AFTER_CLOSE_MS);
      void this.exited.finally(() => clearTimeout(timer));
    });
  }

  get pid(): number | undefined {
    return this.runnerProcess.pid;
  }

  get info(): LoadedModelInfo {
    if (this.loadedInfo === undefined) throw new ChaiboxError("internal_error", "runner has not loaded its model yet");
    return this.loadedInfo;
  }

  /**
   * Waits for the runner's hello, sends `load` and waits for the outcome. Rejects with the runner's own
   * error (model_load_failed, insufficient_memory), or model_load_failed when the process ends or the
   * deadline passes first.
   */
  async load(options: LoadOptions, timeoutMs: number): Promise<LoadedModelInfo> {
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () => {
          const message = `the runner did not load the model within ${Math.round(timeoutMs / 1000)} s`;
          reject(new ChaiboxError("model_load_failed", message, { transient: true }));
        },
        timeoutMs,
      );
    });
    try {
      const hello = await Promise.race([this.nextLoadMessage(), deadline]);
      if (hello.type !== "hello" || hello.protocol !== PROTOCOL_VERSION) {
        throw new ChaiboxError("model_load_failed", `unexpected runner greeting ${JSON.stringify(hello)}`);
      }
      this.send({ type: "load", modelId: this.modelId, options });
      const reply = await Promise.race([this.nextLoadMessage(), deadline]);
      if (reply.type === "load_failed") throw ChaiboxError.fromJSON(reply.error);
      if (reply.type !== "loaded") throw new ChaiboxError("model_load_failed", `unexpected runner reply ${reply.type}`);
      this.loadedInfo = reply.info;
      return reply.info;
    } finally {
      clearTimeout(timer);
    }
  }

  chat(request: ChatRequest, signal: AbortSignal): AsyncIterable<ChatEvent> {
    return { [Symbol.asyncIterator]: () => this.openChat(request, signal) };
  }

  embed(request: EmbedRequest, signal: AbortSignal): Promise<EmbedResult> {
    if (signal.aborted) return Promise.reject(asError(signal.reason));
    if (this.exit !== undefined || this.stopping) return Promise.reject(this.endedError());
    const id = String(++this.nextRequestId);
    return new Promise<EmbedResult>((resolve, reject) => {
      const onAbort = (): void => {
        if (!this.embeds.delete(id)) return;
        this.send({ type: "cancel", id });
        reject(asError(signal.reason));
      };
      this.embeds.set(id, {
        resolve: (result) => {
          signal.removeEventListener("abort", onAbort);
          resolve(result);
        },
        reject: (error) => {
          signal.removeEventListener("abort", onAbort);
          reject(asError(error));
        },
      });
      signal.addEventListener("abort", onAbort, { once: true });
      this.send({ type: "embed", id, request });
    });
  }

  async stop(deadlineMs = DEFAULT_STOP_DEADLINE_MS): Promise<void> {
    if (this.exit === undefined) {
      this.stopping = true;
      this.send({ type: "shutdown" });
      const timer = setTimeout(() => this.runnerProcess.kill("SIGKILL"), deadlineMs);
      try {
        await this.exited;
      } finally {
        clearTimeout(timer);
        this.socket.destroy();
      }
    }
  }

  private openChat(request: ChatRequest, signal: AbortSignal): AsyncIterator<ChatEvent> {
    const stream = new ChatStream();
    const id = String(++this.nextRequestId);
    if (signal.aborted) {
      stream.abort(signal.reason);
    } else if (this.exit !== undefined || this.stopping) {
      stream.fail(this.endedError());
    } else {
      this.chats.set(id, stream);
      this.send({ type: "chat", id, request });
      const onAbort = (): void => {
        this.cancel(id);
        stream.abort(signal.reason);
      };
      signal.addEventListener("abort", onAbort, { once: true });
      stream.whenSettled(() => signal.removeEventListener("abort", onAbort));
    }
    return {
      next: () => stream.next(),
      return: () => {
        // The consumer stopped early (break, throw): the runner need not generate any further.
        this.cancel(id);
        stream.close();
        return Promise.resolve({ done: true, value: undefined });
      },
    };
  }

  private cancel(id: string): void {
    const stream = this.chats.get(id);
    if (stream === undefined) return;
    this.chats.delete(id);
    if (stream.active) this.send({ type: "cancel", id });
  }

  private send(message: ApiToRunnerMessage): void {
    if (!this.socket.destroyed && this.socket.writable) this.socket.write(encodeMessage(message));
  }

  private nextLoadMessage(): Promise<RunnerToApiMessage> {
    const queued = this.pendingMessages.shift();
    if (queued !== undefined) return Promise.resolve(queued);
    if (this.exit !== undefined) return Promise.reject(this.loadFailure());
    return new Promise((resolve, reject) => this.loadWaiters.push({ resolve, reject }));
  }

  private onMessage(message: RunnerToApiMessage): void {
    switch (message.type) {
      case "hello":
      case "loaded":
      case "load_failed": {
        const waiter = this.loadWaiters.shift();
        if (waiter !== undefined) waiter.resolve(message);
        else this.pendingMessages.push(message);
        break;
      }
      case "event": {
        const stream = this.chats.get(message.id);
        if (stream === undefined) return; // cancelled: late events are dropped
        if (message.event.type === "done") this.chats.delete(message.id);
        stream.push(message.event);
        break;
      }
      case "embedded": {
        const pending = this.embeds.get(message.id);
        if (pending === undefined) return; // cancelled: a late result is dropped
        // Decoded before it is taken off the map: a malformed result breaks the connection, which fails it.
        const result = decodeEmbedResult(message.result);
        this.embeds.delete(message.id);
        pending.resolve(result);
        break;
      }
      case "error": {
        const error = ChaiboxError.fromJSON(message.error);
        const pending = this.embeds.get(message.id);
        if (pending !== undefined) {
          this.embeds.delete(message.id);
          pending.reject(error);
          return;
        }
        const stream = this.chats.get(message.id);
        if (stream === undefined) return;
        this.chats.delete(message.id);
        stream.fail(error);
        break;
      }
    }
  }

  private breakConnection(reason: string): void {
    this.logger.error({ modelId: this.modelId, runnerPid: this.pid, reason }, "runner connection broken");
    this.brokenReason ??= reason;
    this.socket.destroy();
    this.runnerProcess.kill("SIGKILL");
  }

  private loadFailure(): ChaiboxError {
    const output = this.runnerProcess.recentOutput().slice(-5).join(" | ");
    const how = this.exit === undefined ? "ended" : describeExit(this.exit);
    const reason = this.brokenReason === undefined ? "" : ` (${this.brokenReason})`;
    return new ChaiboxError(
      "model_load_failed",
      `the runner ${how} before the model was loaded${reason}${output === "" ? "" : `: ${output}`}`,
      { modelId: this.modelId },
    );
  }

  private endedError(): ChaiboxError {
    const exit = this.exit;
    const details = {
      modelId: this.modelId,
      pid: this.pid,
      exitCode: exit?.code ?? null,
      signal: exit?.signal ?? null,
    };
    if (this.stopping) {
      return new ChaiboxError("shutting_down", `the runner of model "${this.modelId}" is stopping`, details);
    }
    const how = exit === undefined ? "ended" : describeExit(exit);
    const reason = this.brokenReason === undefined ? "" : ` after a ${this.brokenReason}`;
    const message = `the runner of model "${this.modelId}" (pid ${this.pid}) ${how}${reason}`;
    return new ChaiboxError("runner_crashed", message, details);
  }

  private onExit(exit: RunnerExit): void {
    this.exit = exit;
    const level = this.stopping ? "info" : "warn";
    const fields = { modelId: this.modelId, runnerPid: this.pid, ...exit, inFlight: this.chats.size + this.embeds.size };
    this.logger[level](fields, "runner ended");
    const error = this.endedError();
    for (const stream of this.chats.values()) stream.fail(error);
    this.chats.clear();
    for (const pending of this.embeds.values()) pending.reject(error);
    this.embeds.clear();
    for (const waiter of this.loadWaiters.splice(0)) waiter.reject(this.loadFailure());
    this.socket.destroy();
  }
}

/**
 * The runner entry: `node runner-process/main.js --socket PATH`. One runner process serves one loaded model. It
 * connects to the API process's unix socket, loads the model on `load`, serves many chats at once (one
 * context sequence each) — or, for an embedding model, embedding requests — and exits when the socket
 * closes, so it never outlives the API process.
 * Logs go to stderr as pino JSON (level from CHAIBOX_RUNNER_LOG_LEVEL, default info); the launcher forwards
 * them.
 */
import { createConnection, type Socket } from "node:net";
import { parseArgs } from "node:util";
import { pino, type Logger } from "pino";
import type { ChatEvent, ChatRequest, EmbedRequest, LoadOptions } from "../../contract.js";
import { ChaiboxError } from "../../../errors.js";
import { wrongModelKindError } from "../../model-kind.js";
import { runChat } from "./chat.js";
import { EventCoalescer } from "./event-coalescer.js";
import { loadModelHost, toLoadError, type ChatHost, type EmbeddingHost, type ModelHost } from "./model-host.js";
import {
  LineSplitter,
  PROTOCOL_VERSION,
  decodeApiMessage,
  encodeEmbedResult,
  encodeMessage,
  type ApiToRunnerMessage,
  type RunnerToApiMessage,
} from "./protocol.js";

function toSerializable(error: unknown): ChaiboxError {
  if (error instanceof ChaiboxError) return error;
  return new ChaiboxError("internal_error", error instanceof Error ? error.message : String(error));
}

/**
 * The runner process's service loop: answers the API process's messages (load, chat, embed, cancel, stop) for
 * the one model this process hosts.
 */
class RunnerService {
  private host: ModelHost | undefined;
  private modelId = "";
  private loading = false;
  /** The chats and embeddings in progress, by request id, for `cancel`. */
  private readonly requests = new Map<string, AbortController>();
  private shuttingDown = false;

  constructor(
    private readonly socket: Socket,
    private readonly log: Logger,
  ) {}

  send(message: RunnerToApiMessage): void {
    if (!this.socket.destroyed) this.socket.write(encodeMessage(message));
  }

  handle(message: ApiToRunnerMessage): void {
    switch (message.type) {
      case "load":
        void this.load(message.modelId, message.options);
        break;
      case "chat":
        this.startChat(message.id, message.request);
        break;
      case "embed":
        this.startEmbed(message.id, message.request);
        break;
      case "cancel":
        this.requests.get(message.id)?.abort(new ChaiboxError("internal_error", "cancelled"));
        break;
      case "shutdown":
        void this.shutdown(0);
        break;
    }
  }

  private async load(modelId: string, options: LoadOptions): Promise<void> {
    if (this.host !== undefined || this.loading) {
      const error = new ChaiboxError("model_load_failed", "a model is already loaded");
      this.send({ type: "load_failed", error: error.toJSON() });
      return;
    }
    this.loading = true;
    this.modelId = modelId;
    this.log.info({ modelId, options }, "loading model");
    const started = performance.now();
    try {
      this.host = await loadModelHost(options, this.log);
      this.log.info({ modelId, ms: Math.round(performance.now() - started) }, "ready");
      this.send({ type: "loaded", info: this.host.info });
    } catch (error) {
      const failure = toLoadError(error);
      this.log.error({ modelId, code: failure.code, err: failure.message }, "load failed");
      this.send({ type: "load_failed", error: failure.toJSON() });
    } finally {
      this.loading = false;
    }
  }

  /**
   * Registers request `id` for a host of `kind`; answers `error` and returns undefined when it cannot run
   * (stopping, nothing loaded, a duplicate id, or a model of the other kind).
   */
  private admit(id: string, what: string, kind: ModelHost["kind"]): AbortController | undefined {
    const host = this.host;
    let error: ChaiboxError | undefined;
    if (this.shuttingDown) error = new ChaiboxError("shutting_down", `${what} ${id} rejected: the runner is stopping`);
    else if (host === undefined) error = new ChaiboxError("internal_error", `${what} ${id} rejected: no model is loaded`);
    else if (this.requests.has(id)) error = new ChaiboxError("internal_error", `${what} ${id} rejected: duplicate id`);
    // The scheduler checks the kind before it sends anything; this guards the runner on its own.
    else if (host.kind !== kind) error = wrongModelKindError(this.modelId, host.kind);
    if (error !== undefined) {
      this.send({ type: "error", id, error: error.toJSON() });
      return undefined;
    }
    const controller = new AbortController();
    this.requests.set(id, controller);
    return controller;
  }

  private startChat(id: string, request: ChatRequest): void {
    const controller = this.admit(id, "chat", "chat");
    if (controller === undefined || this.host?.kind !== "chat") return;
    void this.serveChat(this.host, id, request, controller.signal).finally(() => this.requests.delete(id));
  }

  private startEmbed(id: string, request: EmbedRequest): void {
    const controller = this.admit(id, "embedding", "embedding");
    if (controller === undefined || this.host?.kind !== "embedding") return;
    void this.serveEmbed(this.host, id, request, controller.signal).finally(() => this.requests.delete(id));
  }

  private async serveEmbed(host: EmbeddingHost, id: string, request: EmbedRequest, signal: AbortSignal): Promise<void> {
    const started = performance.now();
    try {
      const result = await host.embed(request, signal);
      if (!signal.aborted) this.send({ type: "embedded", id, result: encodeEmbedResult(result) });
      this.log.debug({ id, inputs: request.inputs.length, ms: Math.round(performance.now() - started) }, "embedding done");
    } catch (error) {
      this.reportFailure(id, "embedding", error, signal);
    }
  }

  private reportFailure(id: string, what: string, error: unknown, signal: AbortSignal): void {
    // A cancelled request's consumer is gone: nothing more is sent for it.
    if (signal.aborted) {
      this.log.debug({ id }, `${what} cancelled`);
      return;
    }
    const failure = toSerializable(error);
    const level = failure.code === "internal_error" ? "error" : "info";
    this.log[level]({ id, code: failure.code, err: failure.message }, `${what} failed`);
    this.send({ type: "error", id, error: failure.toJSON() });
  }

  private async serveChat(host: ChatHost, id: string, request: ChatRequest, signal: AbortSignal): Promise<void> {
    const started = performance.now();
    try {
      const lease = host.lease(signal);
      const events = new EventCoalescer((event: ChatEvent) => {
        if (!signal.aborted) this.send({ type: "event", id, event });
      });
      let completed = false;
      try {
        await runChat(host, lease, request, signal, (event) => events.push(event));
        completed = !signal.aborted;
      } finally {
        events.discard();
        // An interrupted evaluation leaves nothing to reuse: only a completed chat keeps its tokens.
        await lease.release(completed);
      }
      this.log.debug({ id, ms: Math.round(performance.now() - started), cachedTokens: lease.cachedTokens }, "chat done");
    } catch (error) {
      this.reportFailure(id, "chat", error, signal);
    }
  }

  /** Stops every chat, frees the model and exits. */
  async shutdown(code: number): Promise<never> {
    if (!this.shuttingDown) {
      this.shuttingDown = true;
      const reason = new ChaiboxError("shutting_down", "runner stopping");
      for (const controller of this.requests.values()) controller.abort(reason);
      try {
        await this.host?.dispose();
      } catch (error) {
        this.log.warn({ err: (error as Error).message }, "dispose failed");
      }
      this.log.info("runner exiting");
      this.socket.end();
    }
    process.exit(code);
  }
}

function main(): void {
  const { values } = parseArgs({ options: { socket: { type: "string" } }, strict: true });
  // Synchronous writes: the last lines before a crash are the ones that explain it.
  const log = pino(
    { name: "runner", base: { pid: process.pid }, level: process.env.CHAIBOX_RUNNER_LOG_LEVEL ?? "info" },
    pino.destination({ fd: 2, sync: true }),
  );
  const socketPath = values.socket;
  if (socketPath === undefined) {
    log.fatal("missing --socket PATH");
    process.exit(2);
  }

  const socket = createConnection(socketPath);
  const runner = new RunnerService(socket, log);
  const splitter = new LineSplitter();
  socket.on("connect", () => {
    log.debug({ socketPath }, "connected");
    runner.send({ type: "hello", pid: process.pid, protocol: PROTOCOL_VERSION });
  });
  socket.on("data", (chunk: Buffer) => {
    try {
      for (const line of splitter.push(chunk)) runner.handle(decodeApiMessage(line));
    } catch (error) {
      log.fatal({ err: (error as Error).message }, "protocol error");
      process.exit(3);
    }
  });
  // No API process means nobody to serve: exit at once, the OS frees the model's memory.
  socket.on("close", () => {
    log.info("socket closed, exiting");
    process.exit(0);
  });
  socket.on("error", (error) => log.warn({ err: error.message }, "socket error"));

  // SIGTERM is how systemd stops a runner unit. SIGINT is ignored: Ctrl-C in a terminal reaches the whole
  // process group, and the API process drains its requests before it stops its runners.
  process.on("SIGTERM", () => void runner.shutdown(0));
  process.on("SIGINT", () => log.info("SIGINT ignored: the API process stops its runners"));
  process.on("uncaughtException", (error) => {
    log.fatal({ err: error.message, stack: error.stack }, "uncaught exception");
    process.exit(1);
  });
  process.on("unhandledRejection", (reason) => {
    log.fatal({ err: String(reason) }, "unhandled rejection");
    process.exit(1);
  });
}

main();

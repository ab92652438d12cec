/**
 * Stream writers shared by the dialects (SSE for OpenAI, NDJSON for Ollama) and the link between a client
 * that goes away and the generation it asked for: a closed connection aborts the request's AbortSignal, which
 * frees its sequence in the runner.
 */
import type { OutgoingHttpHeaders } from "node:http";
import type { FastifyReply, FastifyRequest } from "fastify";
import { once } from "node:events";
import { ChaiboxError } from "../errors.js";

/** An AbortSignal that fires when the client disconnects before the reply is complete. */
export function abortOnDisconnect(request: FastifyRequest, reply: FastifyReply): AbortSignal {
  const controller = new AbortController();
  const onClose = () => {
    if (!reply.raw.writableFinished) controller.abort(new ChaiboxError("client_disconnected", "the client disconnected"));
  };
  reply.raw.once("close", onClose);
  request.raw.once("aborted", onClose);
  return controller.signal;
}

/** Writes one event stream to a raw response, honouring backpressure. */
export class StreamWriter {
  private started = false;
  private corked = false;

  constructor(
    private readonly reply: FastifyReply,
    private readonly contentType: "text/event-stream" | "application/x-ndjson",
  ) {}

  /** True once the client has gone; writes are then dropped. */
  get closed(): boolean {
    return this.reply.raw.destroyed || this.reply.raw.writableEnded;
  }

  private start(): void {
    if (this.started) return;
    this.started = true;
    // fastify does not know about raw writes; hijack so it neither writes nor times the reply out.
    this.reply.hijack();
    this.reply.raw.writeHead(200, {
      // Headers set before the stream began (CORS, Retry-After…) would be lost with the hijack: carry them.
      ...(this.reply.getHeaders() as OutgoingHttpHeaders),
      "content-type": this.contentType === "text/event-stream" ? "text/event-stream; charset=utf-8" : "application/x-ndjson",
      "cache-control": "no-cache",
      connection: "keep-alive",
      "x-accel-buffering": "no",
    });
  }

  /**
   * Writes one SSE `data:` line (OpenAI) or one NDJSON line (Ollama). `event` names the SSE event (an
   * `event:` line, for EventSource listeners); default none, i.e. a `message` event. NDJSON ignores it.
   */
  async write(data: unknown, event?: string): Promise<void> {
    this.start();
    if (this.closed) return;
    const text = typeof data === "string" ? data : JSON.stringify(data);
    const name = event !== undefined ? `event: ${event.replace(/[\r\n]/g, "")}\n` : "";
    const frame = this.contentType === "text/event-stream" ? `${name}data: ${text}\n\n` : `${text}\n`;
    this.corkUntilIdle();
    if (!this.reply.raw.write(frame)) await Promise.race([once(this.reply.raw, "drain"), once(this.reply.raw, "close")]);
  }

  /**
   * Holds the frames written in one turn of the event loop (the headers, the role chunk and the first token;
   * several tokens that arrived together) and sends them as one packet, so the client wakes once for them.
   */
  private corkUntilIdle(): void {
    if (this.corked) return;
    this.corked = true;
    this.reply.raw.cork();
    setImmediate(() => {
      this.corked = false;
      this.reply.raw.uncork();
    });
  }

  end(): void {
    this.start();
    if (!this.closed) this.reply.raw.end();
  }
}

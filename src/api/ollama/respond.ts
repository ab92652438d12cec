/**
 * Writes a generation in Ollama's shape: NDJSON chunks ending with a `done: true` chunk that carries the
 * statistics (the default), or with `stream: false` one object with everything. `/api/chat` and
 * `/api/generate` differ only in how a chunk looks, which their {@link Renderer} decides.
 */
import type { FastifyReply, FastifyRequest } from "fastify";
import type { ChatEvent, ToolCall } from "../../engine/contract.js";
import { normalizeError } from "../errors.js";
import { StreamWriter } from "../streaming.js";
import { doneReason, doneStats, type DoneStats } from "./stats.js";

type DoneEvent = Extract<ChatEvent, { type: "done" }>;

/** A whole generation, for `stream: false`. */
export interface Gathered {
  text: string;
  thinking: string;
  toolCalls: ToolCall[];
}

/** The final fields every last chunk carries. */
export interface Final extends DoneStats {
  done: true;
  done_reason: "stop" | "length";
}

export interface Renderer {
  text(text: string): object;
  thinking(text: string): object;
  toolCalls(calls: ToolCall[]): object;
  /** The last chunk of a stream. */
  end(final: Final): object;
  /** The single object of `stream: false`. */
  whole(gathered: Gathered, final: Final): object;
}

export interface Timing {
  /** performance.now() when the request arrived. */
  startedMs: number;
  /** Loading the model before the request ran. */
  loadMs: number;
}

function finalOf(event: DoneEvent, timing: Timing): Final {
  const stats = doneStats(performance.now() - timing.startedMs, timing.loadMs, event.usage, event.timings);
  return { done: true, done_reason: doneReason(event.finishReason), ...stats };
}

async function gather(events: AsyncIterable<ChatEvent>): Promise<{ gathered: Gathered; done: DoneEvent }> {
  const gathered: Gathered = { text: "", thinking: "", toolCalls: [] };
  for await (const event of events) {
    if (event.type === "text") gathered.text += event.text;
    else if (event.type === "reasoning") gathered.thinking += event.text;
    else if (event.type === "tool_calls") gathered.toolCalls.push(...event.calls);
    else if (event.type === "done") return { gathered, done: event };
  }
  throw new Error("the chat stream ended without a done event");
}

/** Replies with the generation; errors before the first byte propagate (the route's error handler answers them). */
export async function respond(
  request: FastifyRequest,
  reply: FastifyReply,
  events: AsyncIterable<ChatEvent>,
  renderer: Renderer,
  stream: boolean,
  timing: Timing,
): Promise<FastifyReply | object> {
  if (!stream) {
    const { gathered, done } = await gather(events);
    return renderer.whole(gathered, finalOf(done, timing));
  }
  const ndjson = new StreamWriter(reply, "application/x-ndjson");
  try {
    for await (const event of events) {
      if (ndjson.closed) break;
      if (event.type === "text") await ndjson.write(renderer.text(event.text));
      else if (event.type === "reasoning") await ndjson.write(renderer.thinking(event.text));
      else if (event.type === "tool_calls") await ndjson.write(renderer.toolCalls(event.calls));
      else if (event.type === "done") await ndjson.write(renderer.end(finalOf(event, timing)));
    }
  } catch (error) {
    // The status line is gone: like Ollama, the failure is a last `{"error": …}` line.
    const normalized = normalizeError(error);
    if (normalized.internal) request.log.error({ err: error }, "ollama stream failed");
    else request.log.warn({ code: normalized.code }, normalized.message);
    await ndjson.write({ error: normalized.message });
  } finally {
    ndjson.end();
  }
  return reply;
}

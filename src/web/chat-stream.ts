/**
 * A streamed chat completion from the page, through the same public API apps use (`POST
 * /v1/chat/completions`), authenticated by the admin session and its CSRF token. Reads the server-sent events
 * by hand: EventSource cannot POST.
 */
import { sessionHeaders } from "./api.js";

export interface ChatMessage {
  role: "system" | "user" | "assistant";
  content: string;
}

export interface StreamResult {
  text: string;
  /** Completion tokens the box counted; null when it sent no usage (stopped early). */
  completionTokens: number | null;
  /** Seconds from the first token to the last. */
  generationSeconds: number;
  stopped: boolean;
}

interface Chunk {
  choices?: { delta?: { content?: string | null } }[];
  usage?: { completion_tokens: number } | null;
  error?: { message?: string };
}

/** Streams a reply; `onText` gets each piece as it comes. Abort `signal` to stop the reply. */
export async function streamChat(model: string, messages: ChatMessage[], onText: (piece: string) => void, signal: AbortSignal): Promise<StreamResult> {
  const response = await fetch("/v1/chat/completions", {
    method: "POST",
    credentials: "same-origin",
    headers: { "content-type": "application/json", accept: "text/event-stream", ...sessionHeaders() },
    // A cap, so a model that never says it is done cannot run on for minutes; Stop ends a reply sooner.
    body: JSON.stringify({ model, messages, max_tokens: 512, stream: true, stream_options: { include_usage: true } }),
    signal,
  });
  if (!response.ok || response.body === null) {
    const data = (await response.json().catch(() => null)) as Chunk | null;
    throw new Error(data?.error?.message ?? `The box answered ${response.status}.`);
  }
  const result: StreamResult = { text: "", completionTokens: null, generationSeconds: 0, stopped: false };
  let first: number | undefined;
  const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
  let buffer = "";
  try {
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      buffer += value;
      let end: number;
      while ((end = buffer.indexOf("\n\n")) >= 0) {
        const event = buffer.slice(0, end);
        buffer = buffer.slice(end + 2);
        const data = event.split("\n").filter((line) => line.startsWith("data:")).map((line) => line.slice(5).trim()).join("");
        if (data === "" || data === "[DONE]") continue;
        const chunk = JSON.parse(data) as Chunk;
        if (chunk.error) throw new Error(chunk.error.message ?? "The reply failed.");
        const piece = chunk.choices?.[0]?.delta?.content;
        if (piece) {
          first ??= performance.now();
          result.text += piece;
          onText(piece);
        }
        if (chunk.usage) result.completionTokens = chunk.usage.completion_tokens;
      }
    }
  } catch (error) {
    if (!signal.aborted) throw error;
    result.stopped = true;
  }
  result.generationSeconds = first === undefined ? 0 : (performance.now() - first) / 1000;
  return result;
}

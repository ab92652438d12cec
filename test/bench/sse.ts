/**
 * A minimal streaming client for `POST /v1/chat/completions`: fetch + a hand-written SSE parser, so the
 * timestamps are taken as the bytes arrive, with nothing between the socket and the clock but undici.
 */
import type { BenchSampling, StreamRequest, StreamTiming } from "./workload.js";

/** A generation that takes longer than this has hung (the slowest real run takes well under a minute). */
const REQUEST_TIMEOUT_MS = 180_000;

interface ChunkShape {
  choices?: { delta?: { content?: string | null } }[];
  usage?: { prompt_tokens?: number; completion_tokens?: number } | null;
  error?: { message?: string; code?: string | null };
}

/** The OpenAI request body for a bench request (streaming, with usage, same sampling as the baseline). */
export function requestBody(model: string, request: StreamRequest, sampling: BenchSampling): Record<string, unknown> {
  return {
    model,
    messages: request.messages,
    max_tokens: request.maxTokens,
    temperature: sampling.temperature,
    seed: sampling.seed,
    ...(sampling.bannedTokens.length > 0 && { logit_bias: Object.fromEntries(sampling.bannedTokens.map((t) => [String(t), -100])) }),
    stream: true,
    stream_options: { include_usage: true },
  };
}

/**
 * Streams one chat completion and times it: the request is sent at `startMs`, the first and last non-empty
 * content deltas give the token timestamps, the usage chunk gives the token counts.
 */
export async function streamChat(baseUrl: string, body: Record<string, unknown>): Promise<StreamTiming> {
  const payload = JSON.stringify(body);
  const startMs = performance.now();
  const response = await fetch(`${baseUrl}/v1/chat/completions`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: payload,
    signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
  });
  if (!response.ok || response.body === null) {
    throw new Error(`chat completion failed: HTTP ${response.status} ${await response.text()}`);
  }
  let firstTokenMs: number | undefined;
  let lastTokenMs: number | undefined;
  let promptTokens = Number.NaN;
  let completionTokens = Number.NaN;
  let textChars = 0;
  let done = false;
  let buffer = "";
  const decoder = new TextDecoder();

  const onEvent = (data: string, now: number): void => {
    if (data === "[DONE]") {
      done = true;
      return;
    }
    const chunk = JSON.parse(data) as ChunkShape;
    if (chunk.error) throw new Error(`stream error ${chunk.error.code ?? ""}: ${chunk.error.message ?? data}`);
    const content = chunk.choices?.[0]?.delta?.content;
    if (typeof content === "string" && content !== "") {
      firstTokenMs ??= now;
      lastTokenMs = now;
      textChars += content.length;
    }
    if (chunk.usage) {
      promptTokens = chunk.usage.prompt_tokens ?? Number.NaN;
      completionTokens = chunk.usage.completion_tokens ?? Number.NaN;
    }
  };

  for await (const bytes of response.body as AsyncIterable<Uint8Array>) {
    const now = performance.now();
    buffer += decoder.decode(bytes, { stream: true });
    let boundary = buffer.indexOf("\n\n");
    while (boundary !== -1) {
      const event = buffer.slice(0, boundary);
      buffer = buffer.slice(boundary + 2);
      const data = event
        .split("\n")
        .filter((line) => line.startsWith("data:"))
        .map((line) => line.slice(5).trimStart())
        .join("\n");
      if (data !== "") onEvent(data, now);
      boundary = buffer.indexOf("\n\n");
    }
  }
  const endMs = performance.now();
  if (!done) throw new Error("the stream ended without [DONE]");
  if (!Number.isFinite(completionTokens)) throw new Error("the stream carried no usage chunk");
  return { startMs, firstTokenMs, lastTokenMs, endMs, promptTokens, completionTokens, textChars };
}

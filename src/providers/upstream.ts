/**
 * The client of one provider's OpenAI-compatible API, over the official `openai` package (it speaks the
 * wire format, streams and errors of every server we use as a provider). Time is bounded here: an answer's
 * headers within `headersMs`, each streamed chunk within `idleMs`. The SDK's own retries are off; the one
 * retry chaibox makes is the caller's (provider-inference.ts), so the bound stays in one place.
 */
import type OpenAI from "openai";
import type { ChatCompletionChunk, ChatCompletionCreateParamsStreaming, CreateEmbeddingResponse, EmbeddingCreateParams } from "openai/resources";
import { ChaiboxError, errorCodes, type ErrorCode } from "../errors.js";
import { apiBase, type ProviderSpec } from "./provider-spec.js";

/** A model as a provider lists it: OpenAI's fields, and whatever else it sends (a Chai box's `chai`, vLLM's `max_model_len`). */
export type UpstreamModel = { id: string } & Record<string, unknown>;

export interface UpstreamTimeouts {
  /** Until an answer's headers arrive (a Chai box sends them once the model is loaded). */
  headersMs: number;
  /** Between two chunks of a streamed answer. */
  idleMs: number;
}

export const defaultUpstreamTimeouts: UpstreamTimeouts = { headersMs: 60_000, idleMs: 60_000 };

/** One provider's API. */
export interface Upstream {
  models(signal: AbortSignal): Promise<UpstreamModel[]>;
  /** The chunks of a streamed chat; throws a {@link ChaiboxError} (see {@link upstreamError}). */
  chat(body: ChatCompletionCreateParamsStreaming, signal: AbortSignal): AsyncIterable<ChatCompletionChunk>;
  embed(body: EmbeddingCreateParams, signal: AbortSignal): Promise<CreateEmbeddingResponse>;
}

let sdk: Promise<typeof OpenAI> | undefined;
/** Imported on first use: a box without providers does not carry the SDK in memory. */
const loadSdk = () => (sdk ??= import("openai").then((m) => m.default));

/** The key replaced wherever a provider's text could have echoed it (some APIs quote a wrong key back). */
export function scrub(text: string, key: string | undefined): string {
  return key === undefined || key.length < 4 ? text : text.split(key).join("[redacted]");
}

function isAbort(error: unknown): boolean {
  return (error as { name?: string } | null)?.name === "AbortError" || (error as { constructor?: { name?: string } } | null)?.constructor?.name === "APIUserAbortError";
}

/**
 * A provider's failure as chaibox's error: the client's own mistakes keep their code (a too-long prompt, an
 * unknown model), a provider that cannot be reached or timed out is `provider_unavailable` (503), a provider
 * that failed or refused this box's key is `provider_error` (502). Messages name the provider, never the key.
 */
export function upstreamError(error: unknown, spec: ProviderSpec): ChaiboxError | Error {
  if (error instanceof ChaiboxError) return error;
  if (isAbort(error)) return error as Error;
  const status = (error as { status?: unknown }).status;
  const code = (error as { code?: unknown }).code;
  const said = scrub((error as Error).message ?? String(error), spec.apiKey);
  const who = `provider '${spec.id}'`;
  if (typeof status !== "number") {
    return new ChaiboxError("provider_unavailable", `${who} cannot be reached: ${said}`, { retryAfterSeconds: 5, provider: spec.id });
  }
  if (status === 401 || status === 403) return new ChaiboxError("provider_error", `${who} refused this box's key (${status}); the owner must update it under Settings, Providers.`, { provider: spec.id });
  if (status === 404) return new ChaiboxError("model_not_found", `${who}: ${said}`, { param: "model", provider: spec.id });
  // A client error the provider names with one of chaibox's own codes (another Chai server's) keeps it.
  const param = (error as { param?: unknown }).param;
  if ((status === 400 || status === 404 || status === 422) && typeof code === "string" && code in errorCodes && errorCodes[code as ErrorCode].status === status) {
    return new ChaiboxError(code as ErrorCode, `${who}: ${said}`, { ...(typeof param === "string" && { param }), provider: spec.id });
  }
  if (status === 400 || status === 422) return new ChaiboxError("invalid_request", `${who} did not accept the request: ${said}`, { provider: spec.id });
  if (status === 429 || status === 503) return new ChaiboxError("provider_unavailable", `${who} is busy (${status}): ${said}`, { retryAfterSeconds: 5, provider: spec.id });
  return new ChaiboxError("provider_error", `${who} failed (${status}): ${said}`, { provider: spec.id });
}

/** Aborts when `signal` does, or when `idleMs` pass without {@link IdleWatch.touch}. */
class IdleWatch {
  readonly controller = new AbortController();
  private timer: NodeJS.Timeout | undefined;
  timedOut = false;

  constructor(
    signal: AbortSignal,
    private readonly idleMs: number,
  ) {
    if (signal.aborted) this.controller.abort(signal.reason);
    else signal.addEventListener("abort", () => this.controller.abort(signal.reason), { once: true });
    this.touch();
  }

  touch(): void {
    clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      this.timedOut = true;
      this.controller.abort(new Error("timed out"));
    }, this.idleMs);
  }

  stop(): void {
    clearTimeout(this.timer);
  }
}

/** The client of `spec`'s API. */
export function openUpstream(spec: ProviderSpec, timeouts: UpstreamTimeouts = defaultUpstreamTimeouts): Upstream {
  let client: OpenAI | undefined;
  const get = async (): Promise<OpenAI> => {
    const OpenAISdk = await loadSdk();
    client ??= new OpenAISdk({
      baseURL: apiBase(spec),
      // The SDK wants a key; a server without one gets no Authorization header at all.
      apiKey: spec.apiKey ?? "none",
      ...(spec.apiKey === undefined && { defaultHeaders: { authorization: null } }),
      maxRetries: 0,
      timeout: timeouts.headersMs,
    });
    return client;
  };
  const timedOut = () => new ChaiboxError("provider_unavailable", `provider '${spec.id}' did not answer within ${Math.round(timeouts.idleMs / 1000)} s.`, { retryAfterSeconds: 5, provider: spec.id });

  return {
    async models(signal) {
      try {
        const page = await (await get()).models.list({ signal });
        return page.data as unknown as UpstreamModel[];
      } catch (error) {
        throw upstreamError(error, spec);
      }
    },

    async *chat(body, signal) {
      const watch = new IdleWatch(signal, timeouts.idleMs);
      try {
        const stream = await (await get()).chat.completions.create(body, { signal: watch.controller.signal });
        for await (const chunk of stream) {
          watch.touch();
          yield chunk;
        }
      } catch (error) {
        if (watch.timedOut) throw timedOut();
        throw upstreamError(error, spec);
      } finally {
        watch.stop();
      }
    },

    async embed(body, signal) {
      try {
        return await (await get()).embeddings.create(body, { signal });
      } catch (error) {
        throw upstreamError(error, spec);
      }
    },
  };
}

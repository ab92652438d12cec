/**
 * Live speed: every real chat is timed from its event stream as it passes through, and its figures feed the
 * model's moving average (state/performance-store.ts). The dialects stay as they are: main.ts wraps the
 * inference service once with {@link withLiveSpeed}. The same wrapper tells the background benchmarks when a
 * user request starts, so they can make way for it.
 */
import type { AdmissionOptions, ChatEvent, ChatRequest, InferenceService } from "../engine/contract.js";
import type { LoadedModelStatus, ModelStats } from "../engine/scheduler-types.js";
import type { SpeedSample } from "../state/performance-store.js";

/** A prompt at most this long times the first token like the benchmark's short prompt does. */
export const SHORT_PROMPT_TOKENS = 128;
/** A prompt at least this long is dominated by its evaluation, not by fixed costs: it times prompt speed. */
export const LONG_PROMPT_TOKENS = 256;
/** Fewer generated tokens than this say too little about the generation rate. */
export const MIN_GENERATION_TOKENS = 8;

/** How one chat went, on one clock (ms). */
export interface ChatTiming {
  /** When the consumer asked for the first event (admission starts). */
  startMs: number;
  /** The first and last non-empty text delta. */
  firstTextMs: number | undefined;
  lastTextMs: number | undefined;
  /** The model was loaded with a free slot and no queue when the chat started: no wait in its first token. */
  ready: boolean;
  promptTokens: number;
  completionTokens: number;
  /** The generation ended in tool calls: its tokens did not all arrive as text. */
  toolCalls: boolean;
}

/**
 * The figures a chat contributes, measured the way the benchmark measures them: generation rate after the
 * first token; time to first token only for a short prompt; prompt rate only for a long one; neither when
 * the chat waited for a load or a slot. Pure.
 */
export function sampleOf(t: ChatTiming): SpeedSample {
  const sample: SpeedSample = {};
  const { firstTextMs: first, lastTextMs: last } = t;
  if (first === undefined) return sample;
  if (!t.toolCalls && last !== undefined && last > first && t.completionTokens >= MIN_GENERATION_TOKENS) {
    sample.generationTokensPerSecond = ((t.completionTokens - 1) * 1000) / (last - first);
  }
  const waited = first - t.startMs;
  if (t.ready && waited > 0) {
    if (t.promptTokens <= SHORT_PROMPT_TOKENS) sample.timeToFirstTokenMs = waited;
    if (t.promptTokens >= LONG_PROMPT_TOKENS) sample.promptTokensPerSecond = (t.promptTokens * 1000) / waited;
  }
  return sample;
}

/** Whether a chat for `modelId` would start at once: loaded, a free slot, nobody queued. */
export function modelIsReady(scheduler: { stats(id: string): ModelStats; loaded(): LoadedModelStatus[] }, modelId: string): boolean {
  const stats = scheduler.stats(modelId);
  const parallel = scheduler.loaded().find((status) => status.modelId === modelId)?.info.parallel ?? 1;
  return stats.state === "loaded" && stats.queued === 0 && stats.active < parallel;
}

/** How {@link withLiveSpeed} learns a model's state and where it puts the figures. */
export interface LiveSpeedOptions {
  /** See {@link modelIsReady}. */
  isReady(modelId: string): boolean;
  /** Receives each chat's figures (never throws into the chat: errors are the caller's to log). */
  record(modelId: string, sample: SpeedSample): void;
  /** Called as a user request (chat or embed) begins; the returned function when it has ended. Default none. */
  onRequest?(): () => void;
  /** Default `performance.now()`. */
  now?(): number;
}

/** `fn`, callable any number of times, running once. */
function once(fn: () => void): () => void {
  let called = false;
  return () => {
    if (called) return;
    called = true;
    fn();
  };
}

/** Methods besides `chat` that serve user requests: they count as activity, untimed. */
const OTHER_REQUESTS: ReadonlySet<PropertyKey> = new Set(["embed", "preload"]);

/**
 * `service` with every chat timed. A proxy rather than a class, so methods the contract gains later (and
 * whatever else the service offers, such as the scheduler's status) pass through unchanged.
 */
export function withLiveSpeed<T extends InferenceService>(service: T, options: LiveSpeedOptions): T {
  const now = (): number => (options.now ? options.now() : performance.now());
  const begin = (): (() => void) => (options.onRequest ? options.onRequest() : () => undefined);
  async function* chat(modelId: string, request: ChatRequest, signal: AbortSignal, admission?: AdmissionOptions): AsyncGenerator<ChatEvent> {
    const end = once(begin());
    try {
      const startMs = now();
      const ready = options.isReady(modelId);
      let firstTextMs: number | undefined;
      let lastTextMs: number | undefined;
      let toolCalls = false;
      for await (const event of service.chat(modelId, request, signal, admission)) {
        if (event.type === "text" && event.text !== "") {
          lastTextMs = now();
          firstTextMs ??= lastTextMs;
        } else if (event.type === "tool_calls") toolCalls = true;
        else if (event.type === "done") {
          const { completionTokens } = event.usage;
          // Only what the runner evaluated took time: prompt tokens the prompt cache held cost nothing.
          const promptTokens = event.usage.promptTokens - (event.usage.cachedPromptTokens ?? 0);
          const sample = sampleOf({ startMs, firstTextMs, lastTextMs, ready, promptTokens, completionTokens, toolCalls });
          try {
            options.record(modelId, sample);
          } catch {
            // Recording is best effort: a figure lost must never fail the chat it came from.
          }
          // Consumers may stop pulling once they have `done` (without return()), so the request ends here.
          end();
        }
        yield event;
      }
    } finally {
      end();
    }
  }
  return new Proxy(service, {
    get(target, property) {
      if (property === "chat") return chat;
      const value: unknown = Reflect.get(target, property, target);
      if (typeof value !== "function") return value;
      // Bound to the service itself: its methods use private state that a proxy receiver would not reach.
      const method = (value as (...args: unknown[]) => unknown).bind(target);
      if (!OTHER_REQUESTS.has(property)) return method;
      return async (...args: unknown[]) => {
        const end = begin();
        try {
          return await method(...args);
        } finally {
          end();
        }
      };
    },
  });
}

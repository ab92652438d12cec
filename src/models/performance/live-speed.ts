/**
 * Live speed: every real chat is timed from its event stream as it passes through, and its figures feed the
 * model's moving average (models/performance/performance-store.ts). The timing is the inference pipeline's live-speed
 * step (engine/pipeline/live-speed.ts); here its timings become figures, measured the way the benchmark
 * measures them.
 */
import type { ChatTiming, ChatTimingPorts } from "../../engine/pipeline/index.js";
import type { LoadedModelStatus, ModelStats } from "../../engine/scheduler-types.js";
import type { SpeedSample } from "./performance-store.js";

/** A prompt at most this long times the first token like the benchmark's short prompt does. */
export const SHORT_PROMPT_TOKENS = 128;
/** A prompt at least this long is dominated by its evaluation, not by fixed costs: it times prompt speed. */
export const LONG_PROMPT_TOKENS = 256;
/** Fewer generated tokens than this say too little about the generation rate. */
export const MIN_GENERATION_TOKENS = 8;

export type { ChatTiming } from "../../engine/pipeline/index.js";

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

/** Where the live figures go and what the pipeline's live-speed step needs besides. */
export interface LiveSpeedOptions {
  /** See {@link modelIsReady}. */
  isReady(modelId: string): boolean;
  /** Receives each chat's figures (never throws into the chat: errors are the caller's to log). */
  record(modelId: string, sample: SpeedSample): void;
  /** Called as a user request (chat, embed or preload) begins; the returned function when it has ended. Default none. */
  onRequest?(): () => void;
  /** Default `performance.now()`. */
  now?(): number;
}

/** The pipeline's live-speed ports: each chat's timing becomes its figures ({@link sampleOf}) for `record`. */
export function liveSpeedPorts(options: LiveSpeedOptions): ChatTimingPorts {
  return { ...options, timed: (modelId, timing) => options.record(modelId, sampleOf(timing)) };
}

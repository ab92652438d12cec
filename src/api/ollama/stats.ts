/**
 * The timing fields of Ollama's final chunk, in nanoseconds. The runner measures prompt evaluation and
 * generation; the route measures the whole request and, when the model had to be loaded first, the load.
 */
import type { ChatTimings, Usage } from "../../engine/contract.js";

export interface DoneStats {
  total_duration: number;
  load_duration: number;
  prompt_eval_count: number;
  prompt_eval_duration: number;
  eval_count: number;
  eval_duration: number;
}

/** Milliseconds as Ollama's whole nanoseconds. */
export const ns = (ms: number): number => Math.max(0, Math.round(ms * 1e6));

/**
 * @param totalMs - the whole request, as the route saw it.
 * @param loadMs - loading the model before the request ran (0 when it was loaded already).
 */
export function doneStats(totalMs: number, loadMs: number, usage: Usage, timings: ChatTimings | undefined): DoneStats {
  return {
    total_duration: ns(totalMs),
    load_duration: ns(loadMs),
    // The whole prompt, as Ollama counts it; the duration is what evaluating it took, which the prompt cache
    // shortens to the tokens it did not hold.
    prompt_eval_count: usage.promptTokens,
    prompt_eval_duration: ns(timings?.promptMs ?? 0),
    eval_count: usage.completionTokens,
    eval_duration: ns(timings?.generationMs ?? 0),
  };
}

/** Ollama's `done_reason`: tool calls end a turn like a stop does. */
export function doneReason(finishReason: "stop" | "length" | "tool_calls"): "stop" | "length" {
  return finishReason === "length" ? "length" : "stop";
}

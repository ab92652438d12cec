/**
 * What the runner's generation strategies share — chats (runner-process/chat.ts) and raw completions
 * (runner-process/completion.ts): the context check that settles the token limit, the clock behind `done`'s timings,
 * and validated outputs (generated under a grammar, buffered, checked and retried).
 */
import type { ChatTimings } from "../../contract.js";
import { ChaiboxError } from "../../../errors.js";

/**
 * Tries at a validated output (JSON schema, forced tool call): the first plus 2 retries with other seeds, all
 * within the request's one token budget, so retries never multiply the time a request takes. Greedy sampling
 * (temperature 0) gets one try, since a retry would produce the same output.
 */
export const VALIDATED_OUTPUT_ATTEMPTS = 3;

/**
 * Settles a generation's token limit: `requested` (default: all the room there is), capped to what is left
 * of the sequence's context after the prompt. Throws `context_length_exceeded` naming `param` when not even
 * one generated token fits, because node-llama-cpp would otherwise silently drop part of the prompt.
 */
export function generationLimit(promptTokens: number, contextSize: number, requested: number | undefined, param: string): number {
  // llama.cpp keeps one cell free and node-llama-cpp shifts the context once the sequence reaches its last
  // cell, so a generation fits while prompt + generated tokens stay below contextSize - 1.
  const room = contextSize - promptTokens - 1;
  if (room < 1) {
    throw new ChaiboxError(
      "context_length_exceeded",
      `the prompt takes ${promptTokens} tokens and leaves no room to generate in a context of ${contextSize} tokens`,
      { param, promptTokens, contextSize },
    );
  }
  return Math.max(1, Math.min(requested ?? room, room));
}

/**
 * Times one request's generation for `done`'s {@link ChatTimings}: started when created (right before the
 * first generation call), told of each generated token through {@link GenerationClock.token}. Over several
 * attempts it spans from the first token of the first attempt to the end of the last.
 */
export class GenerationClock {
  private readonly startedAt = performance.now();
  private firstTokenAt: number | undefined;

  /** Marks a generated token (only the first one counts); a callback for node-llama-cpp's `onToken`. */
  readonly token = (): void => {
    this.firstTokenAt ??= performance.now();
  };

  /** The timings so far: a generation that produced no token spent all its time on the prompt. */
  timings(): ChatTimings {
    const endedAt = performance.now();
    const firstTokenAt = this.firstTokenAt ?? endedAt;
    return { promptMs: firstTokenAt - this.startedAt, generationMs: endedAt - firstTokenAt };
  }
}

/** One try at a validated output: the text generated, whether it ended at the token limit, and its tokens. */
export interface GeneratedText {
  text: string;
  reachedMaxTokens: boolean;
}

/** Whether a validated output is acceptable, with its value, or why not. */
export type Acceptance<T> = { ok: true; value: T } | { ok: false; reason: string };

/**
 * A validated generation's outcome: the accepted value, or — the token budget ran out first — the text of
 * the last try as it stood, which the caller answers as a normal reply with finish reason `length`.
 */
export type Validated<T> = { ok: true; value: T } | { ok: false; cutAtLength: true; text: string };

/**
 * Generates with `generate(attempt, maxTokens)` (attempt 0, 1, … — each with its own seed) until `accept`
 * takes the trimmed output, at most {@link VALIDATED_OUTPUT_ATTEMPTS} times (once at temperature 0), every
 * try drawing on what is left of the one budget (`limits.maxTokens`; `limits.spent()` says what the tries
 * so far used). An output cut by the budget ends it: {@link Validated} `cutAtLength`, never an error.
 * Throws `invalid_model_output` naming `what` when every try ended on its own and none was acceptable.
 */
export async function generateValidated<T>(
  limits: { temperature: number | undefined; maxTokens: number; spent: () => number },
  generate: (attempt: number, maxTokens: number) => Promise<GeneratedText>,
  accept: (text: string) => Acceptance<T>,
  what: string,
): Promise<Validated<T>> {
  const attempts = limits.temperature === 0 ? 1 : VALIDATED_OUTPUT_ATTEMPTS;
  let reason = "";
  let attempt = 0;
  for (; attempt < attempts; attempt++) {
    const left = limits.maxTokens - limits.spent();
    if (left < 1) break;
    const output = await generate(attempt, left);
    const result = accept(output.text.trim());
    if (result.ok) return result;
    if (output.reachedMaxTokens) return { ok: false, cutAtLength: true, text: output.text };
    reason = result.reason;
  }
  const message = `the model's ${what} is invalid after ${attempt} attempt(s): ${reason}`;
  throw new ChaiboxError("invalid_model_output", message, { attempts: attempt, reason });
}

/**
 * The measurements of one round, identical for both sides: they only differ in the {@link RunStream} that
 * carries a request (in-process node-llama-cpp, or chaibox over HTTP).
 */
import type { Prompts, RunStream, StreamTiming } from "./workload.js";

/** One round's figures for one side. */
export interface RoundSample {
  /** Short prompt: request start → first text delta (ms). */
  ttftMs: number;
  /** Long prompt: prompt tokens / time to first token. */
  promptTps: number;
  promptTokens: number;
  /** One stream: tokens after the first / time from the first to the last token. */
  genTps: number;
  genTokens: number;
  /** `parallel` streams at once: tokens after each stream's first / time from the first to the last token. */
  aggregateTps: number;
  aggregateTokens: number;
}

export interface MeasureSettings {
  tokens: number;
  parallel: number;
  /** Tokens generated in the TTFT and prompt runs (only the first one matters). */
  shortTokens: number;
}

/** Anomalies seen while measuring (missing output, short generations); printed under the table. */
export type NoteSink = (note: string) => void;

function ttftOf(t: StreamTiming): number {
  return t.firstTokenMs === undefined ? Number.NaN : t.firstTokenMs - t.startMs;
}

function check(side: string, what: string, t: StreamTiming, expected: number, note: NoteSink): void {
  if (t.firstTokenMs === undefined) note(`${side} ${what}: no text delta arrived (completion tokens ${t.completionTokens})`);
  if (t.completionTokens !== expected) note(`${side} ${what}: ${t.completionTokens} completion tokens instead of ${expected}`);
}

/** Decode rate after the first token: (tokens − 1) / (last − first). */
function decodeRate(tokens: number, firstMs: number | undefined, lastMs: number | undefined): number {
  if (firstMs === undefined || lastMs === undefined || lastMs <= firstMs || tokens < 2) return Number.NaN;
  return ((tokens - 1) * 1000) / (lastMs - firstMs);
}

/**
 * Runs one round on a side: TTFT (short prompt), prompt processing (long prompt), one stream of
 * `tokens`, then `parallel` streams of `tokens` at once. `tag` makes every prompt unique (no prefix reuse);
 * both sides get the same tags, so they evaluate the same tokens.
 */
export async function measureRound(side: string, run: RunStream, prompts: Prompts, s: MeasureSettings, tag: string, note: NoteSink): Promise<RoundSample> {
  const ttft = await run(prompts.short(`${tag}-ttft`, s.shortTokens));
  check(side, "ttft", ttft, s.shortTokens, note);

  const prompt = await run(prompts.long(`${tag}-prompt`, s.shortTokens));
  check(side, "prompt", prompt, s.shortTokens, note);
  const promptTtft = ttftOf(prompt);

  const single = await run(prompts.short(`${tag}-gen`, s.tokens));
  check(side, "single stream", single, s.tokens, note);

  const multi = await Promise.all(Array.from({ length: s.parallel }, (_, i) => run(prompts.short(`${tag}-multi-${i}`, s.tokens))));
  multi.forEach((t, i) => check(side, `stream ${i + 1}/${s.parallel}`, t, s.tokens, note));
  const firsts = multi.map((t) => t.firstTokenMs).filter((v): v is number => v !== undefined);
  const lasts = multi.map((t) => t.lastTokenMs).filter((v): v is number => v !== undefined);
  const aggregateTokens = multi.reduce((sum, t) => sum + t.completionTokens, 0);
  const windowMs = firsts.length === multi.length && lasts.length === multi.length ? Math.max(...lasts) - Math.min(...firsts) : Number.NaN;

  return {
    ttftMs: ttftOf(ttft),
    promptTps: (prompt.promptTokens * 1000) / promptTtft,
    promptTokens: prompt.promptTokens,
    genTps: decodeRate(single.completionTokens, single.firstTokenMs, single.lastTokenMs),
    genTokens: single.completionTokens,
    aggregateTps: windowMs > 0 ? ((aggregateTokens - multi.length) * 1000) / windowMs : Number.NaN,
    aggregateTokens,
  };
}

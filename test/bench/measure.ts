/**
 * The measurements, identical for both sides: they only differ in the {@link RunStream} that carries a
 * request (in-process node-llama-cpp, or chaibox over HTTP).
 */
import { median, type Prompts, type RunStream, type StreamTiming } from "./workload.js";

/** TTFT requests per round and side (alternating with the other side's); the round's figure is their median. */
export const TTFT_REPEATS = 5;

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
  /**
   * The same streams' decode phase: the sum of each stream's own rate after its first token. Unlike the
   * aggregate it does not count the time until the last stream's first token (prompts that a server
   * evaluated one after another instead of in one batch).
   */
  streamsDecodeTps: number;
  /** Turn 2 of a conversation that resends a ~2,300-token system prompt: request start → first text delta (ms). */
  prefixTtftMs: number;
  /** Share of all cores (0–1) that other processes on the machine used while this side was measured. */
  othersCpu: number;
}

export type MeasurementKind = "ttft" | "prompt" | "prefix" | "single" | "multi";

/** The steps of a round, in the order they run; each step runs on every side before the next one starts. */
export const measurementSteps: readonly { kind: MeasurementKind; repeat: number }[] = [
  ...Array.from({ length: TTFT_REPEATS }, (_, repeat) => ({ kind: "ttft" as const, repeat })),
  { kind: "prompt", repeat: 0 },
  { kind: "prefix", repeat: 0 },
  { kind: "single", repeat: 0 },
  { kind: "multi", repeat: 0 },
];

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

/** The figures one measurement contributes to a {@link RoundSample}. */
export type PartialSample = Partial<Omit<RoundSample, "othersCpu" | "ttftMs">> & { ttftSamples?: number[] };

/** Merges a measurement's figures into the round's (TTFT samples accumulate). */
export function mergeParts(into: PartialSample, part: PartialSample): void {
  const ttftSamples = [...(into.ttftSamples ?? []), ...(part.ttftSamples ?? [])];
  Object.assign(into, part, { ttftSamples });
}

/**
 * Runs one measurement on a side. `tag` makes every prompt unique (no side can reuse a cached prefix); both
 * sides get the same tags, so they evaluate the same tokens.
 *
 * - ttft: short prompt, time to the first token (one of {@link TTFT_REPEATS}: the round takes their median);
 * - prompt: long prompt, prompt tokens / time to the first token;
 * - single: one stream of `tokens`;
 * - multi: `parallel` streams of `tokens` at once (aggregate rate from the first token to the last, and the
 *   sum of the streams' own decode rates).
 */
export async function measure(kind: MeasurementKind, side: string, run: RunStream, prompts: Prompts, s: MeasureSettings, tag: string, note: NoteSink): Promise<PartialSample> {
  switch (kind) {
    case "ttft": {
      const t = await run(prompts.short(`${tag}-ttft`, s.shortTokens));
      check(side, "ttft", t, s.shortTokens, note);
      return { ttftSamples: [ttftOf(t)] };
    }
    case "prompt": {
      const t = await run(prompts.long(`${tag}-prompt`, s.shortTokens));
      check(side, "prompt", t, s.shortTokens, note);
      return { promptTps: (t.promptTokens * 1000) / ttftOf(t), promptTokens: t.promptTokens };
    }
    case "prefix": {
      // Turn 1 evaluates the shared prefix (a server with a prompt cache keeps it); turn 2 is measured.
      const first = await run(prompts.prefixed(`${tag}-prefix`, 1, s.shortTokens));
      check(side, "prefix turn 1", first, s.shortTokens, note);
      const t = await run(prompts.prefixed(`${tag}-prefix`, 2, s.shortTokens));
      check(side, "prefix turn 2", t, s.shortTokens, note);
      return { prefixTtftMs: ttftOf(t) };
    }
    case "single": {
      const t = await run(prompts.short(`${tag}-gen`, s.tokens));
      check(side, "single stream", t, s.tokens, note);
      return { genTps: decodeRate(t.completionTokens, t.firstTokenMs, t.lastTokenMs), genTokens: t.completionTokens };
    }
    case "multi": {
      const multi = await Promise.all(Array.from({ length: s.parallel }, (_, i) => run(prompts.short(`${tag}-multi-${i}`, s.tokens))));
      multi.forEach((t, i) => check(side, `stream ${i + 1}/${s.parallel}`, t, s.tokens, note));
      const firsts = multi.map((t) => t.firstTokenMs).filter((v): v is number => v !== undefined);
      const lasts = multi.map((t) => t.lastTokenMs).filter((v): v is number => v !== undefined);
      const aggregateTokens = multi.reduce((sum, t) => sum + t.completionTokens, 0);
      const complete = firsts.length === multi.length && lasts.length === multi.length;
      const windowMs = complete ? Math.max(...lasts) - Math.min(...firsts) : Number.NaN;
      const streamsDecodeTps = multi.reduce((sum, t) => sum + decodeRate(t.completionTokens, t.firstTokenMs, t.lastTokenMs), 0);
      return { aggregateTps: windowMs > 0 ? ((aggregateTokens - multi.length) * 1000) / windowMs : Number.NaN, aggregateTokens, streamsDecodeTps };
    }
  }
}

/** A round's sample from its measurements' parts (NaN for a figure that is missing). */
export function toSample(parts: PartialSample, othersCpu: number): RoundSample {
  return {
    ttftMs: median(parts.ttftSamples ?? []),
    promptTps: parts.promptTps ?? Number.NaN,
    promptTokens: parts.promptTokens ?? Number.NaN,
    prefixTtftMs: parts.prefixTtftMs ?? Number.NaN,
    genTps: parts.genTps ?? Number.NaN,
    genTokens: parts.genTokens ?? 0,
    aggregateTps: parts.aggregateTps ?? Number.NaN,
    aggregateTokens: parts.aggregateTokens ?? 0,
    streamsDecodeTps: parts.streamsDecodeTps ?? Number.NaN,
    othersCpu,
  };
}

/**
 * `chaibox bench`'s measurement: a short, fixed benchmark through the inference service, measured the way
 * `npm run bench` measures (test/bench/measure.ts), at temperature 0 with the end tokens banned so every run
 * generates what it asks for:
 *
 * - time to first token: the short prompt, 8 tokens, the median of 5 runs (ms from the request to its first
 *   text);
 * - prompt speed: a ~400-token prompt, prompt tokens / time to its first token;
 * - generation speed: the short prompt, 128 tokens, tokens after the first / time from the first to the last.
 *
 * An embedding model is measured by its prompt speed only: a ~400-token input, tokens / time, median of 5.
 * One warm-up request comes first (it loads the model; it is not counted).
 */
import type { ChatMessage, ChatRequest, EmbedRequest, EmbedResult, InferenceService } from "../../engine/contract.js";
import { isChaiboxError } from "../../errors.js";
import type { SpeedFigures } from "./performance-store.js";
import { corpusText, longPrompt, shortPrompt } from "./benchmark-workload.js";

/** Runs of the time-to-first-token measurement; the median is reported (as `npm run bench` takes 5). */
export const TTFT_RUNS = 5;
/** Tokens of the generation run (as `npm run bench`'s default). */
export const GENERATION_TOKENS = 128;
/** Tokens of the TTFT and prompt runs: only the first one matters. */
const SHORT_TOKENS = 8;
/** Target size of the long prompt, in tokens (as `npm run bench`'s default). */
export const LONG_PROMPT_TOKENS = 400;
/** Words of the embedding warm-up input, whose token count sizes the measured one. */
const EMBED_WARM_UP_WORDS = 24;

/** What the benchmark needs of the engine; `embed` only for embedding models. */
export type BenchmarkEngine = Pick<InferenceService, "chat"> & { embed?(modelId: string, request: EmbedRequest, signal: AbortSignal): Promise<EmbedResult> };

/** How to run a benchmark; every option has a default. */
export interface BenchmarkOptions {
  /** Default `chat`. */
  kind?: "chat" | "embedding";
  /** Token ids banned so no run ends early (the file's end tokens). Default none. */
  endTokens?: readonly number[];
  /** Aborting it stops the benchmark (the running request is cancelled). Default: never. */
  signal?: AbortSignal;
  /** Told before each step. Default: silent. */
  progress?: (step: string) => void;
}

/** The figures plus what they were measured on. */
export interface BenchmarkResult extends SpeedFigures {
  /** Each TTFT run, ms. */
  ttftRunsMs: number[];
  /** Tokens of the long prompt as the model counted them. */
  promptTokens: number;
  /** Tokens the generation run produced. */
  generatedTokens: number;
  /** Wall time of the whole benchmark, warm-up included, ms. */
  durationMs: number;
}

interface Timing {
  startMs: number;
  firstMs: number | undefined;
  lastMs: number | undefined;
  promptTokens: number;
  completionTokens: number;
}

/** The median of the finite values (NaN when none). */
export function median(values: readonly number[]): number {
  const sorted = values.filter((v) => Number.isFinite(v)).sort((a, b) => a - b);
  if (sorted.length === 0) return Number.NaN;
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? (sorted[mid] as number) : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
}

const finiteOrNull = (value: number): number | null => (Number.isFinite(value) && value > 0 ? value : null);

/** Runs one chat to its end, timing its text deltas. */
async function timeChat(engine: BenchmarkEngine, modelId: string, messages: ChatMessage[], maxTokens: number, options: BenchmarkOptions): Promise<Timing> {
  const tokenBias = Object.fromEntries((options.endTokens ?? []).map((token) => [String(token), -100]));
  const request: ChatRequest = { messages, sampling: { maxTokens, temperature: 0, seed: 1, tokenBias } };
  const signal = options.signal ?? new AbortController().signal;
  const startMs = performance.now();
  let firstMs: number | undefined;
  let lastMs: number | undefined;
  for await (const event of engine.chat(modelId, request, signal)) {
    if (event.type === "text" && event.text !== "") {
      lastMs = performance.now();
      firstMs ??= lastMs;
    } else if (event.type === "done") {
      return { startMs, firstMs, lastMs, promptTokens: event.usage.promptTokens, completionTokens: event.usage.completionTokens };
    }
  }
  throw new Error("the chat ended without finishing");
}

const ttftOf = (t: Timing): number => (t.firstMs === undefined ? Number.NaN : t.firstMs - t.startMs);
const wordCount = (messages: ChatMessage[]): number => messages.reduce((sum, m) => sum + m.content.split(/\s+/).filter(Boolean).length, 0);

/** The long-prompt run, sized from the tokens per word the short prompt took; smaller when the context is. */
async function promptRun(engine: BenchmarkEngine, modelId: string, tokensPerWord: number, options: BenchmarkOptions): Promise<Timing> {
  let words = Math.max(50, Math.round(LONG_PROMPT_TOKENS / tokensPerWord));
  for (let attempt = 0; ; attempt++) {
    try {
      return await timeChat(engine, modelId, longPrompt(`bench-prompt-${attempt}`, words), SHORT_TOKENS, options);
    } catch (error) {
      // A small context (or a byte-level vocabulary) cannot take 400 tokens: measure what it can take.
      if (!isChaiboxError(error) || error.code !== "context_length_exceeded" || attempt >= 3) throw error;
      words = Math.max(10, Math.floor(words / 2));
    }
  }
}

/** Benchmarks `modelId` through `engine` (see the file comment for the workload). */
export async function runBenchmark(engine: BenchmarkEngine, modelId: string, options: BenchmarkOptions = {}): Promise<BenchmarkResult> {
  const started = performance.now();
  const progress = options.progress ?? (() => undefined);
  if ((options.kind ?? "chat") === "embedding") return benchmarkEmbeddings(engine, modelId, options, started);
  progress("warming up (loads the model)");
  const warm = await timeChat(engine, modelId, shortPrompt("bench-warm-up"), SHORT_TOKENS, options);
  const tokensPerWord = Math.max(0.5, warm.promptTokens / wordCount(shortPrompt("bench-warm-up")));

  progress(`time to first token (${TTFT_RUNS} runs)`);
  const ttftRunsMs: number[] = [];
  for (let run = 0; run < TTFT_RUNS; run++) {
    ttftRunsMs.push(ttftOf(await timeChat(engine, modelId, shortPrompt(`bench-ttft-${run}`), SHORT_TOKENS, options)));
  }
  progress(`prompt processing (~${LONG_PROMPT_TOKENS} tokens)`);
  const prompt = await promptRun(engine, modelId, tokensPerWord, options);
  progress(`generation (${GENERATION_TOKENS} tokens)`);
  const gen = await timeChat(engine, modelId, shortPrompt("bench-gen"), GENERATION_TOKENS, options);
  const decodeMs = gen.firstMs !== undefined && gen.lastMs !== undefined ? gen.lastMs - gen.firstMs : Number.NaN;
  return {
    timeToFirstTokenMs: finiteOrNull(median(ttftRunsMs)),
    promptTokensPerSecond: finiteOrNull((prompt.promptTokens * 1000) / ttftOf(prompt)),
    generationTokensPerSecond: gen.completionTokens >= 2 ? finiteOrNull(((gen.completionTokens - 1) * 1000) / decodeMs) : null,
    ttftRunsMs,
    promptTokens: prompt.promptTokens,
    generatedTokens: gen.completionTokens,
    durationMs: performance.now() - started,
  };
}

async function benchmarkEmbeddings(engine: BenchmarkEngine, modelId: string, options: BenchmarkOptions, started: number): Promise<BenchmarkResult> {
  const embed = engine.embed?.bind(engine);
  if (!embed) throw new Error("this engine cannot embed");
  const signal = options.signal ?? new AbortController().signal;
  const progress = options.progress ?? (() => undefined);
  progress("warming up (loads the model)");
  const warm = await embed(modelId, { inputs: [corpusText(EMBED_WARM_UP_WORDS)] }, signal);
  const tokensPerWord = Math.max(0.5, warm.promptTokens / EMBED_WARM_UP_WORDS);
  let words = Math.max(50, Math.round(LONG_PROMPT_TOKENS / tokensPerWord));
  progress(`embedding (~${LONG_PROMPT_TOKENS} tokens, ${TTFT_RUNS} runs)`);
  const rates: number[] = [];
  let promptTokens = 0;
  while (rates.length < TTFT_RUNS) {
    const input = `[bench-embed-${rates.length}] ${corpusText(words)}`;
    const startMs = performance.now();
    try {
      const result = await embed(modelId, { inputs: [input] }, signal);
      promptTokens = result.promptTokens;
      rates.push((result.promptTokens * 1000) / (performance.now() - startMs));
    } catch (error) {
      // A small context cannot take 400 tokens: measure what it can take.
      if (!isChaiboxError(error) || error.code !== "context_length_exceeded" || words <= 10) throw error;
      words = Math.floor(words / 2);
    }
  }
  return {
    timeToFirstTokenMs: null,
    promptTokensPerSecond: finiteOrNull(median(rates)),
    generationTokensPerSecond: null,
    ttftRunsMs: [],
    promptTokens,
    generatedTokens: 0,
    durationMs: performance.now() - started,
  };
}

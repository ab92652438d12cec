/**
 * The workload both sides run: the same messages, sampling and limits, so the only difference between the
 * baseline and chaibox is chaibox itself (HTTP, scheduler, IPC, runner). The prompts are `chaibox bench`'s
 * (src/models/performance/benchmark-workload.ts), so the figures of both compare.
 */
import { corpusText, shortPrompt, summaryPrompt } from "../../src/models/performance/benchmark-workload.js";

/** One chat message, as both sides send it (OpenAI roles; the baseline maps them to a chat history). */
export interface BenchMessage {
  role: "system" | "user";
  content: string;
}

/** What a side is asked to generate. */
export interface StreamRequest {
  messages: BenchMessage[];
  maxTokens: number;
}

/**
 * Sampling shared by both sides: a fixed temperature and seed (so both sample the same tokens), and the
 * end-of-generation tokens banned so that every run generates exactly `maxTokens` tokens — a model with
 * random weights would otherwise stop at a random point. (node-llama-cpp 3.21.1 does not always honour the
 * ban: the demo preset still ends on `<|im_end|>`. Both sides then stop at the same token, and the rates
 * count the tokens actually generated; the notes list the short runs.)
 */
export interface BenchSampling {
  temperature: number;
  seed: number;
  /** Token id → bias; -100 = never (OpenAI's logit_bias, chaibox maps it to node-llama-cpp's "never"). */
  bannedTokens: number[];
}

/** Timestamps (performance.now(), ms) and token counts of one streamed generation. */
export interface StreamTiming {
  /** When the request was sent (HTTP) or the generation was started (baseline). */
  startMs: number;
  /** The first non-empty text delta. */
  firstTokenMs: number | undefined;
  /** The last non-empty text delta. */
  lastTokenMs: number | undefined;
  /** The stream has ended (usage received / generateResponse resolved). */
  endMs: number;
  promptTokens: number;
  completionTokens: number;
  /** Characters of text received, to check that both sides produced output. */
  textChars: number;
}

/** Runs one generation on a side and reports its timing. */
export type RunStream = (request: StreamRequest) => Promise<StreamTiming>;

/**
 * Builds a user text of about `targetTokens` tokens for the model's tokenizer (binary search on the word
 * count), so the prompt-processing run has the intended size whatever the vocabulary.
 */
export function longText(targetTokens: number, countTokens: (text: string) => number): string {
  let low = 1;
  let high = Math.max(2, targetTokens);
  while (countTokens(corpusText(high)) < targetTokens && high < 100_000) high *= 2;
  while (low < high) {
    const mid = Math.floor((low + high) / 2);
    if (countTokens(corpusText(mid)) < targetTokens) low = mid + 1;
    else high = mid;
  }
  return corpusText(low);
}

/** Prompts of the run; `tag` makes each request unique so that no side can reuse a cached prefix. */
export interface Prompts {
  short(tag: string, maxTokens: number): StreamRequest;
  long(tag: string, maxTokens: number): StreamRequest;
  /**
   * Turn `turn` of a conversation whose long system prompt (`prefixText`, ~2,300 tokens) is resent with
   * every turn, as Home Assistant's voice assistant does: the turns of one `tag` share that prefix.
   */
  prefixed(tag: string, turn: number, maxTokens: number): StreamRequest;
}

export function makePrompts(longUserText: string, prefixText: string): Prompts {
  return {
    short: (tag, maxTokens) => ({ messages: shortPrompt(tag), maxTokens }),
    long: (tag, maxTokens) => ({ messages: summaryPrompt(tag, longUserText), maxTokens }),
    prefixed: (tag, turn, maxTokens) => ({
      messages: [
        { role: "system", content: `[${tag}] You control a house. What you know about it:\n\n${prefixText}` },
        { role: "user", content: `Command number ${turn}: turn on the light in room ${turn}.` },
      ],
      maxTokens,
    }),
  };
}

/** The median of a list (NaN when empty). */
export function median(values: readonly number[]): number {
  const sorted = values.filter((v) => Number.isFinite(v)).sort((a, b) => a - b);
  if (sorted.length === 0) return Number.NaN;
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? (sorted[mid] as number) : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
}

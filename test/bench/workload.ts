/**
 * The workload both sides run: the same messages, sampling and limits, so the only difference between the
 * baseline and chaibox is chaibox itself (HTTP, scheduler, IPC, runner).
 */

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

const system = "You are a helpful assistant in a home AI box. Answer briefly and precisely.";

const corpus = `The household assistant keeps track of groceries, reminders and the weather forecast for the week.
It reads the calendar every morning, notices that the dentist appointment moved from Tuesday to Thursday,
and suggests leaving twenty minutes earlier because of the roadworks on the bridge. In the evening it
summarises the messages that arrived during the day, drafts short answers for the ones that need a reply,
and asks before sending anything. The garden sensors report dry soil in the north bed, so it proposes to
run the irrigation for ten minutes after sunset, when less water evaporates. The children ask it for help
with homework about volcanoes, rivers and the water cycle, and it explains each step with a small example
instead of giving the answer away. When the power price drops at night it starts the dishwasher and the
washing machine, and it reminds everyone that the library books are due on Friday.`;

const words = corpus.split(/\s+/).filter((w) => w !== "");

/** The first `count` words of the corpus, repeated as often as needed. */
function text(count: number): string {
  const out: string[] = [];
  for (let i = 0; i < count; i++) out.push(words[i % words.length] as string);
  return out.join(" ");
}

/**
 * Builds a user text of about `targetTokens` tokens for the model's tokenizer (binary search on the word
 * count), so the prompt-processing run has the intended size whatever the vocabulary.
 */
export function longText(targetTokens: number, countTokens: (text: string) => number): string {
  let low = 1;
  let high = Math.max(2, targetTokens);
  while (countTokens(text(high)) < targetTokens && high < 100_000) high *= 2;
  while (low < high) {
    const mid = Math.floor((low + high) / 2);
    if (countTokens(text(mid)) < targetTokens) low = mid + 1;
    else high = mid;
  }
  return text(low);
}

/** Prompts of the run; `tag` makes each request unique so that no side can reuse a cached prefix. */
export interface Prompts {
  short(tag: string, maxTokens: number): StreamRequest;
  long(tag: string, maxTokens: number): StreamRequest;
}

export function makePrompts(longUserText: string): Prompts {
  return {
    short: (tag, maxTokens) => ({
      messages: [
        { role: "system", content: system },
        { role: "user", content: `[${tag}] Write a short story about a robot that waters the garden.` },
      ],
      maxTokens,
    }),
    long: (tag, maxTokens) => ({
      messages: [
        { role: "system", content: system },
        { role: "user", content: `[${tag}] Summarise the following notes in three bullet points.\n\n${longUserText}` },
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

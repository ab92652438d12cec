/**
 * The fixed workload of `chaibox bench`: the same system prompt, short prompt and corpus as `npm run bench`
 * (test/bench/workload.ts), so the figures of both compare. Every request opens with a tag that makes it
 * unique, as there, so that no run could reuse another's evaluated prefix from the prompt cache: the tag
 * leads the system message, before anything two runs could share.
 */
import type { ChatMessage } from "../../engine/contract.js";

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

const words = corpus.split(/\s+/).filter((word) => word !== "");

/** The first `count` words of the corpus, repeated as often as needed. */
export function corpusText(count: number): string {
  const out: string[] = [];
  for (let i = 0; i < count; i++) out.push(words[i % words.length] as string);
  return out.join(" ");
}

/** A system or user turn: what the prompts are made of (a subset of the contract's messages). */
export type PromptMessage = Extract<ChatMessage, { role: "system" | "user" }>;

/** The short prompt (TTFT and generation runs). */
export function shortPrompt(tag: string): PromptMessage[] {
  return [
    { role: "system", content: `[${tag}] ${system}` },
    { role: "user", content: "Write a short story about a robot that waters the garden." },
  ];
}

/** The long prompt (prompt-processing run): `count` words of the corpus to summarise. */
export function longPrompt(tag: string, count: number): PromptMessage[] {
  return summaryPrompt(tag, corpusText(count));
}

/** A prompt that asks to summarise `text` (the long prompt, for a text sized elsewhere). */
export function summaryPrompt(tag: string, text: string): PromptMessage[] {
  return [
    { role: "system", content: `[${tag}] ${system}` },
    { role: "user", content: `Summarise the following notes in three bullet points.\n\n${text}` },
  ];
}

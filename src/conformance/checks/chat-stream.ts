/** Checks of §3.1: streamed Chat Completions, and what a client that goes away leaves behind. */
import { chatModel, expect, object } from "../context.js";
import type { Check } from "../types.js";
import { chat, firstChoice } from "./chat-request.js";

export const chatStreamChecks: Check[] = [
  {
    id: "§3-11",
    level: "MUST",
    title: "a stream is chat.completion.chunk events: role first, finish_reason last, usage chunk, [DONE]",
    async run(ctx, probe) {
      const body = { model: chatModel(ctx), max_tokens: 6, stream: true, stream_options: { include_usage: true }, messages: [{ role: "user", content: "Say hi." }] };
      const { answer, events } = await probe.stream("/v1/chat/completions", body, { maxEvents: 200 });
      const { exchange } = answer;
      expect(answer.status === 200, `answered ${answer.status}`, exchange);
      expect((answer.headers.get("content-type") ?? "").startsWith("text/event-stream"), "the content type is not text/event-stream", exchange);
      expect(events.at(-1)?.data === "[DONE]", "the stream does not end with data: [DONE]", exchange);
      const chunks = events.slice(0, -1).map((event) => object(safeParse(event.data)));
      expect(chunks.length >= 2 && chunks.every((chunk) => chunk?.object === "chat.completion.chunk"), "an event is not a chat.completion.chunk", exchange);
      const usageChunk = chunks.at(-1);
      expect(Array.isArray(usageChunk?.choices) && usageChunk.choices.length === 0 && object(usageChunk.usage), 'with include_usage the last chunk is not {"choices": [], "usage": {…}}', exchange);
      const choiceChunks = chunks.slice(0, -1);
      expect(choiceChunks.every((chunk) => chunk && "usage" in chunk && chunk.usage === null), 'with include_usage every other chunk must carry "usage": null', exchange);
      const choices = choiceChunks.map((chunk) => object((chunk?.choices as unknown[] | undefined)?.[0]));
      expect(object(choices[0]?.delta)?.role === "assistant", 'the first delta does not carry "role": "assistant"', exchange);
      const last = choices.at(-1);
      expect(typeof last?.finish_reason === "string", "the last choice chunk has no finish_reason", exchange);
      expect(Object.keys(object(last?.delta) ?? {}).length === 0, "the last choice chunk's delta is not empty", exchange);
      expect(choices.slice(0, -1).every((choice) => choice?.finish_reason === null), "a chunk before the last has a finish_reason", exchange);
    },
  },
  {
    id: "§3-12",
    level: "MUST",
    title: "a client that disconnects frees what it held: later requests are served",
    async run(ctx, probe) {
      const model = chatModel(ctx);
      // More abandoned streams than a small server has slots: a leak would starve the request that follows.
      for (let i = 0; i < 4; i += 1) {
        const { answer } = await probe.stream("/v1/chat/completions", { model, max_tokens: 200, stream: true, messages: [{ role: "user", content: "Tell a long story." }] }, { abortAfter: 2 });
        expect(answer.status === 200, `a stream answered ${answer.status}`, answer.exchange);
      }
      firstChoice(await chat(probe, model, { max_tokens: 2 }), "a request after 4 abandoned streams");
    },
  },
];

function safeParse(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

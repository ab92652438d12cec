/** `POST /v1/chat/completions`: OpenAI's wire format over the inference contract. */
import type { FastifyPluginAsyncTypebox } from "@fastify/type-provider-typebox";
import { collectChat, primeChat } from "../../engine/collect.js";
import type { RunInference } from "../../engine/pipeline/index.js";
import { callerOf } from "../caller.js";
import { normalizeError, openAiError } from "../errors.js";
import { abortOnDisconnect, StreamWriter } from "../streaming.js";
import { ChatCompletionBody } from "./chat-schema.js";
import { chunkObject, completionId, completionObject, toChatRequest, toolCallsDelta, usageChunkObject, type CompletionMeta } from "./mapping.js";

export interface ChatCompletionsOptions {
  /** The inference pipeline; it also resolves `model: "auto"`. */
  inference: RunInference;
}

export const chatCompletionsRoutes: FastifyPluginAsyncTypebox<ChatCompletionsOptions> = async (app, { inference }) => {
  app.post("/v1/chat/completions", { schema: { body: ChatCompletionBody } }, async (request, reply) => {
    const body = request.body;
    const chat = toChatRequest(body);
    const signal = abortOnDisconnect(request, reply);
    const streaming = body.stream === true;
    const run = await inference({ kind: "chat", model: body.model, auto: true, streaming, request: chat, caller: callerOf(request), signal });
    const { model } = run;
    const events = await primeChat(run.events);
    const meta: CompletionMeta = { id: completionId(), created: Math.floor(Date.now() / 1000), model };

    if (!body.stream) return completionObject(meta, await collectChat(events));

    const includeUsage = body.stream_options?.include_usage === true;
    const sse = new StreamWriter(reply, "text/event-stream");
    try {
      await sse.write(chunkObject(meta, { role: "assistant", content: "" }, null, includeUsage));
      for await (const event of events) {
        if (sse.closed) break;
        if (event.type === "text") await sse.write(chunkObject(meta, { content: event.text }, null, includeUsage));
        else if (event.type === "tool_calls") await sse.write(chunkObject(meta, toolCallsDelta(event.calls), null, includeUsage));
        else if (event.type === "done") {
          await sse.write(chunkObject(meta, {}, event.finishReason, includeUsage));
          if (includeUsage) await sse.write(usageChunkObject(meta, event.usage));
          await sse.write("[DONE]");
        }
      }
    } catch (error) {
      // Headers are gone: the failure travels as an error chunk, which the openai clients raise as an APIError.
      const normalized = normalizeError(error);
      if (normalized.internal) request.log.error({ err: error }, "chat stream failed");
      else request.log.warn({ code: normalized.code }, normalized.message);
      await sse.write(openAiError(normalized));
    } finally {
      sse.end();
    }
    return reply;
  });
};

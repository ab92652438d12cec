/**
 * `POST /v1/responses`, `GET /v1/responses/{id}` and `DELETE /v1/responses/{id}`: OpenAI's Responses API
 * over the inference contract. Stored responses (`store`, the default) keep their conversation, which
 * `previous_response_id` continues; the storage itself comes in through `ResponseRecords` (state/response-record.ts).
 */
import type { FastifyPluginAsyncTypebox } from "@fastify/type-provider-typebox";
import type { FastifyReply, FastifyRequest } from "fastify";
import { primeChat } from "../../engine/collect.js";
import type { ChatEvent, ChatMessage } from "../../engine/contract.js";
import type { RunInference } from "../../engine/pipeline/index.js";
import type { ResponseRecords } from "../../state/response-record.js";
import { ChaiboxError } from "../../errors.js";
import { callerOf } from "../caller.js";
import { normalizeError } from "../errors.js";
import { abortOnDisconnect, StreamWriter } from "../streaming.js";
import { conversationAfter, refuseUnserved, responseEcho, responseId, toChatRequest, toConversation } from "./responses-mapping.js";
import { ResponseCreateBody, ResponseIdParams, RetrieveQuery } from "./responses-schema.js";
import { ResponseEventBuilder, type ResponseStreamEvent } from "./responses-stream.js";

/** The owner of what a request stores: its app token's id; '' for the owner's session, the CLI and open APIs. */
export function ownerOf(request: FastifyRequest): string {
  return callerOf(request).tokenId ?? "";
}

export interface ResponsesOptions {
  /** The inference pipeline; it also resolves `model: "auto"`. */
  inference: RunInference;
  records: ResponseRecords;
}

function priorConversation(records: ResponseRecords, id: string | null | undefined, owner: string): ChatMessage[] {
  if (id == null) return [];
  const record = records.get(id, owner);
  if (record) return record.conversation;
  const message =
    `Previous response with id '${id}' not found. Responses created with store: false are not kept, and stored ` +
    "ones are deleted when they are deleted by a client or older than the retention period (responses.retention).";
  throw new ChaiboxError("previous_response_not_found", message, { param: "previous_response_id" });
}

function notFound(id: string): ChaiboxError {
  return new ChaiboxError("response_not_found", `Response with id '${id}' not found.`);
}

/** Writes a streamed response. `keep` runs as soon as the response is finished, before its last event. */
async function streamResponse(
  request: FastifyRequest,
  reply: FastifyReply,
  builder: ResponseEventBuilder,
  events: AsyncIterable<ChatEvent>,
  keep: () => void,
): Promise<FastifyReply> {
  const sse = new StreamWriter(reply, "text/event-stream");
  const send = async (list: ResponseStreamEvent[]): Promise<void> => {
    for (const event of list) await sse.write(event, event.type);
  };
  try {
    await send(builder.start());
    for await (const event of events) {
      if (sse.closed) break;
      const out = builder.push(event);
      if (builder.result) keep();
      await send(out);
    }
  } catch (error) {
    // Headers are gone: the failure travels as OpenAI's `error` and `response.failed` events.
    const normalized = normalizeError(error);
    if (normalized.internal) request.log.error({ err: error }, "response stream failed");
    else request.log.warn({ code: normalized.code }, normalized.message);
    await send(builder.fail(normalized));
  } finally {
    sse.end();
  }
  return reply;
}

export const responsesRoutes: FastifyPluginAsyncTypebox<ResponsesOptions> = async (app, { inference, records }) => {
  app.post("/v1/responses", { schema: { body: ResponseCreateBody } }, async (request, reply) => {
    const body = request.body;
    const createdAt = Date.now();
    refuseUnserved(body);
    const conversation = toConversation(body, priorConversation(records, body.previous_response_id, ownerOf(request)));
    const chat = toChatRequest(body, conversation);
    const signal = abortOnDisconnect(request, reply);
    const streaming = body.stream === true;
    const run = await inference({ kind: "chat", model: body.model, auto: true, streaming, request: chat, caller: callerOf(request), signal });
    const { model } = run;
    const events = await primeChat(run.events);
    const id = responseId();
    const builder = new ResponseEventBuilder({ id, createdAt: Math.floor(createdAt / 1000), model, echo: responseEcho(body) });
    // Failed and abandoned responses are not kept: there is no whole turn to continue from.
    const keep = (): void => {
      if (body.store === false || !builder.result) return;
      const after = conversationAfter(conversation, builder.text, builder.toolCalls);
      records.save({ id, model, createdAt, previousResponseId: body.previous_response_id ?? null, response: builder.result, conversation: after }, ownerOf(request));
    };

    if (body.stream) return streamResponse(request, reply, builder, events, keep);
    builder.start();
    for await (const event of events) builder.push(event);
    if (!builder.result) throw new Error("the chat stream ended without a done event");
    keep();
    return builder.result;
  });

  app.get("/v1/responses/:id", { schema: { params: ResponseIdParams, querystring: RetrieveQuery } }, async (request) => {
    if (request.query.stream === "true") {
      throw new ChaiboxError("unsupported_parameter", "Replaying a stored response as a stream is not supported; retrieve it without 'stream'.", { param: "stream" });
    }
    const record = records.get(request.params.id, ownerOf(request));
    if (!record) throw notFound(request.params.id);
    return record.response;
  });

  app.delete("/v1/responses/:id", { schema: { params: ResponseIdParams } }, async (request) => {
    if (!records.delete(request.params.id, ownerOf(request))) throw notFound(request.params.id);
    return { id: request.params.id, object: "response" as const, deleted: true };
  });
};

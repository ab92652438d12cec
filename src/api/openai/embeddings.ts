/** `POST /v1/embeddings`: OpenAI's Embeddings API over the inference contract. */
import type { FastifyPluginAsyncTypebox } from "@fastify/type-provider-typebox";
import type { RunInference } from "../../engine/pipeline/index.js";
import { callerOf } from "../caller.js";
import { abortOnDisconnect } from "../streaming.js";
import { embeddingsObject, toEmbedRequest } from "./embeddings-mapping.js";
import { EmbeddingsBody } from "./embeddings-schema.js";

export interface EmbeddingsOptions {
  /** The inference pipeline. */
  inference: RunInference;
}

export const embeddingsRoutes: FastifyPluginAsyncTypebox<EmbeddingsOptions> = async (app, { inference }) => {
  app.post("/v1/embeddings", { schema: { body: EmbeddingsBody } }, async (request, reply) => {
    const body = request.body;
    const embed = toEmbedRequest(body);
    // A client that goes away cancels the work still queued or running for it.
    const signal = abortOnDisconnect(request, reply);
    const result = await inference({ kind: "embed", model: body.model, request: embed, caller: callerOf(request), signal });
    return embeddingsObject(body.model, result, body.encoding_format ?? "float");
  });
};

/** `POST /api/embed` and the older `POST /api/embeddings`, over the inference contract's `embed`. */
import type { FastifyPluginAsyncTypebox } from "@fastify/type-provider-typebox";
import type { CallContext } from "../../engine/pipeline/index.js";
import { callerOf } from "../caller.js";
import { abortOnDisconnect } from "../streaming.js";
import { admissionOf, findModel, loadFirst, type OllamaOptions } from "./context.js";
import { EmbedBody, LegacyEmbeddingsBody } from "./schemas.js";
import { ns } from "./stats.js";

export const embedRoutes: FastifyPluginAsyncTypebox<OllamaOptions> = async (app, options) => {
  app.post("/embed", { schema: { body: EmbedBody } }, async (request, reply) => {
    const startedMs = performance.now();
    const body = request.body;
    const model = await findModel(options, body.model);
    const admission = admissionOf(body.keep_alive);
    const signal = abortOnDisconnect(request, reply);
    const call: CallContext = { caller: callerOf(request), signal, admission };
    const inputs = typeof body.input === "string" ? [body.input] : body.input;
    const loadMs = await loadFirst(options, model.id, call);
    if (inputs.length === 0) {
      // No input: the model is loaded (above) and nothing is embedded, as in Ollama.
      return { model: body.model, embeddings: [], total_duration: ns(performance.now() - startedMs), load_duration: ns(loadMs), prompt_eval_count: 0 };
    }
    // Ollama truncates over-long inputs unless told not to.
    const embed = { inputs, truncate: body.truncate ?? true, ...(body.dimensions !== undefined && { dimensions: body.dimensions }) };
    const result = await options.inference({ kind: "embed", model: model.id, request: embed, ...call });
    return {
      model: body.model,
      embeddings: result.embeddings,
      total_duration: ns(performance.now() - startedMs),
      load_duration: ns(loadMs),
      prompt_eval_count: result.promptTokens,
    };
  });

  app.post("/embeddings", { schema: { body: LegacyEmbeddingsBody } }, async (request, reply) => {
    const body = request.body;
    const model = await findModel(options, body.model);
    const admission = admissionOf(body.keep_alive);
    const signal = abortOnDisconnect(request, reply);
    const call: CallContext = { caller: callerOf(request), signal, admission };
    if (body.prompt === "") {
      await loadFirst(options, model.id, call);
      return { embedding: [] };
    }
    const result = await options.inference({ kind: "embed", model: model.id, request: { inputs: [body.prompt], truncate: true }, ...call });
    return { embedding: result.embeddings[0] ?? [] };
  });
};

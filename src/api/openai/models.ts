/**
 * `GET /v1/models` and `GET /v1/models/{id}` in OpenAI's shape, each model with its `chai` object (context,
 * modalities, capabilities, speed, price, state: see docs/chai-v1.md §2).
 */
import type { FastifyPluginAsyncTypebox } from "@fastify/type-provider-typebox";
import { Type } from "@sinclair/typebox";
import { ChaiboxError } from "../../errors.js";
import { ChaiModelSchema, type ChaiModelDirectory } from "../../models/description/model-description.js";

const ModelList = Type.Object({ object: Type.Literal("list"), data: Type.Array(ChaiModelSchema) });

/** Where the models routes read the described models from. */
export interface ModelsRouteOptions {
  models: ChaiModelDirectory;
}

/** Serves `GET /v1/models` and `GET /v1/models/{id}` (404 `model_not_found` for an unknown id). */
export const modelsRoutes: FastifyPluginAsyncTypebox<ModelsRouteOptions> = async (app, { models }) => {
  app.get("/v1/models", { schema: { response: { 200: ModelList } } }, async () => ({ object: "list" as const, data: await models.list() }));

  // Ollama-style ids contain ':' and may contain '/', so the id is the rest of the path.
  app.get("/v1/models/*", { schema: { params: Type.Object({ "*": Type.String() }), response: { 200: ChaiModelSchema } } }, async (request) => {
    const id = request.params["*"];
    const model = (await models.list()).find((m) => m.id === id);
    if (!model) throw new ChaiboxError("model_not_found", `The model '${id}' does not exist.`, { param: "model" });
    return model;
  });
};

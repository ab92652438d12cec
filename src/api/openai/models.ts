/** `GET /v1/models` and `GET /v1/models/{id}` in OpenAI's shape. */
import type { FastifyPluginAsyncTypebox } from "@fastify/type-provider-typebox";
import { Type } from "@sinclair/typebox";
import { ChaiboxError } from "../../errors.js";

/** What the models routes need to know of an installed model; the model store provides it. */
export interface ModelListing {
  id: string;
  /** ISO 8601 time the model was installed. */
  addedAt: string;
}

export interface ModelDirectory {
  list(): Promise<ModelListing[]>;
}

export interface ModelsRouteOptions {
  models: ModelDirectory;
}

function modelObject(model: ModelListing) {
  return { id: model.id, object: "model" as const, created: Math.floor(Date.parse(model.addedAt) / 1000), owned_by: "chaibox" };
}

export const modelsRoutes: FastifyPluginAsyncTypebox<ModelsRouteOptions> = async (app, { models }) => {
  app.get("/v1/models", async () => ({ object: "list" as const, data: (await models.list()).map(modelObject) }));

  // Ollama-style ids contain ':' and may contain '/', so the id is the rest of the path.
  app.get("/v1/models/*", { schema: { params: Type.Object({ "*": Type.String() }) } }, async (request) => {
    const id = request.params["*"];
    const model = (await models.list()).find((m) => m.id === id);
    if (!model) throw new ChaiboxError("model_not_found", `The model '${id}' does not exist.`, { param: "model" });
    return modelObject(model);
  });
};

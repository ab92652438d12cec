/**
 * The Ollama dialect under `/api`, so Home Assistant's Ollama integration and the other Ollama clients work
 * with chaibox unchanged. Every route maps onto the same inference service, store and pulls as the OpenAI
 * routes; errors use Ollama's envelope `{"error": "…"}`.
 */
import type { FastifyPluginAsyncTypebox } from "@fastify/type-provider-typebox";
import { ChaiboxError } from "../../errors.js";
import { normalizeError } from "../errors.js";
import { notFoundOrWrongMethod, sendError } from "../error-contract.js";
import { chatRoute } from "./chat.js";
import type { OllamaOptions } from "./context.js";
import { embedRoutes } from "./embed.js";
import { generateRoute } from "./generate.js";
import { modelRoutes } from "./models.js";
import { pullRoute } from "./pull.js";

export type { OllamaOptions } from "./context.js";

export const ollamaRoutes: FastifyPluginAsyncTypebox<OllamaOptions> = async (app, options) => {
  app.setErrorHandler((error, request, reply) => {
    const normalized = normalizeError(error);
    if (normalized.internal) request.log.error({ err: error }, "request failed");
    return sendError(request, reply, normalized);
  });
  // Ollama reads every body as JSON whatever its Content-Type, and its documented examples rely on that
  // (`curl … -d '{…}'` sends application/x-www-form-urlencoded).
  app.removeAllContentTypeParsers();
  app.addContentTypeParser("*", { parseAs: "string" }, (_request, body, done) => {
    const text = typeof body === "string" ? body : body.toString("utf8");
    if (text.trim() === "") {
      done(null, {});
      return;
    }
    try {
      done(null, JSON.parse(text));
    } catch {
      done(new ChaiboxError("invalid_request", `invalid JSON in the request body: send a JSON object`), undefined);
    }
  });
  app.setNotFoundHandler(notFoundOrWrongMethod(app));
  // This plugin's own prefix (`/api`) must not be applied again to the routes inside it.
  const routes = { ...options, prefix: "" };
  await app.register(modelRoutes, routes);
  await app.register(chatRoute, routes);
  await app.register(generateRoute, routes);
  await app.register(embedRoutes, routes);
  await app.register(pullRoute, routes);
};

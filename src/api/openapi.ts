/**
 * `GET /openapi.json`: an OpenAPI 3.1 document generated from the route schemas themselves
 * (@fastify/swagger), so it cannot drift from what the server validates. Register {@link openApiCollector}
 * before any route (it records them as they are added) and {@link openApiRoute} after them.
 */
import swagger from "@fastify/swagger";
import type { FastifyInstance, FastifySchema } from "fastify";
import { adminResponses } from "./admin/response-schemas.js";
import { chaiResponses } from "./chai/response-schemas.js";
import { OllamaErrorSchema, ollamaResponses } from "./ollama/response-schemas.js";
import { OpenAiErrorSchema, openAiResponses } from "./openai/response-schemas.js";

/**
 * The answers of routes that do not declare a response schema themselves, by `METHOD url`. Kept beside the
 * routes' areas and added to the document only: a response schema on the route itself would also make
 * fastify serialize through it, dropping any field the schema does not name.
 */
const documentedResponses: Record<string, Record<string, object>> = { ...openAiResponses, ...chaiResponses, ...ollamaResponses, ...adminResponses };

/** The route's responses for the document: its own or the documented ones, plus its dialect's error envelope. */
function withResponses(schema: FastifySchema | undefined, method: string, url: string): FastifySchema {
  const own = (schema?.response ?? documentedResponses[`${method} ${url}`] ?? {}) as Record<string, object>;
  const error = url.startsWith("/api/") ? OllamaErrorSchema : OpenAiErrorSchema;
  return { ...schema, response: { ...own, "4xx": error, "5xx": error } };
}

/** Starts recording routes for the document. */
export async function openApiCollector(app: FastifyInstance, version: string): Promise<void> {
  await app.register(swagger, {
    // Model ids may hold ':' and '/', so the route takes the rest of the path; the document names it `{model}`.
    transform: ({ schema, url, route }) => {
      const method = Array.isArray(route.method) ? String(route.method[0]) : String(route.method);
      return { schema: withResponses(schema, method, url), url: url.replace(/\/\*$/, "/{model}") };
    },
    openapi: {
      openapi: "3.1.0",
      info: {
        title: "Chai (chaibox)",
        version,
        description:
          "Chai v1 as chaibox serves it: the OpenAI Chat Completions, Responses and Embeddings wire formats plus " +
          "discovery (/.well-known/chai, the chai object of /v1/models) and model selection. docs/chai-v1.md is the " +
          "normative specification.",
      },
    },
  });
}

export function openApiRoute(app: FastifyInstance): void {
  app.get("/openapi.json", { schema: { hide: true } }, async () => app.swagger());
}

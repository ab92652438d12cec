/**
 * `GET /openapi.json`: an OpenAPI 3.1 document generated from the route schemas themselves
 * (@fastify/swagger), so it cannot drift from what the server validates. Register {@link openApiCollector}
 * before any route (it records them as they are added) and {@link openApiRoute} after them.
 */
import swagger from "@fastify/swagger";
import type { FastifyInstance } from "fastify";

/** Starts recording routes for the document. */
export async function openApiCollector(app: FastifyInstance, version: string): Promise<void> {
  await app.register(swagger, {
    // Model ids may hold ':' and '/', so the route takes the rest of the path; the document names it `{model}`.
    transform: ({ schema, url }) => ({ schema, url: url.replace(/\/\*$/, "/{model}") }),
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

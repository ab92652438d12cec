/**
 * docs/chai-v1.md and GET /openapi.json agree: every Chai route the server serves is specified, every route
 * the specification names is served, and every field of the `chai` model object
 * is both specified and in the served schema.
 */
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import type { TSchema } from "@sinclair/typebox";
import { Validator } from "@seriousme/openapi-schema-validator";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ChaiModelInfoSchema } from "../../src/models/description/model-description.js";
import { repoRoot } from "../helpers/cli.js";
import { startTestServer, type TestServer } from "../helpers/server.js";

interface OpenApiSchema {
  properties?: Record<string, OpenApiSchema>;
  items?: OpenApiSchema;
}
interface OpenApiDocument {
  openapi: string;
  paths: Record<string, Record<string, { responses?: Record<string, { content?: Record<string, { schema?: OpenApiSchema }> }> }>>;
}

/** Routes outside Chai: the box's own and its Ollama API (§11 of the specification). */
const implementationRoute = (path: string) => path.startsWith("/admin/") || path.startsWith("/api/") || path === "/openapi.json";

/** Dotted paths of every leaf field of a TypeBox object schema: `capabilities.tools`, `performance.source`… */
function fieldPaths(schema: TSchema, prefix = ""): string[] {
  const properties = (schema as { properties?: Record<string, TSchema> }).properties;
  if (!properties) return [prefix];
  return Object.entries(properties).flatMap(([name, child]) => fieldPaths(child, prefix === "" ? name : `${prefix}.${name}`));
}

function openApiFieldPaths(schema: OpenApiSchema | undefined, prefix = ""): string[] {
  if (!schema?.properties) return [prefix];
  return Object.entries(schema.properties).flatMap(([name, child]) => openApiFieldPaths(child, prefix === "" ? name : `${prefix}.${name}`));
}

let server: TestServer;
let openapi: OpenApiDocument;
let spec: string;

beforeAll(async () => {
  server = await startTestServer({ models: { demo: "demo" } });
  openapi = (await (await fetch(`${server.url}/openapi.json`)).json()) as OpenApiDocument;
  spec = await readFile(join(repoRoot, "docs/chai-v1.md"), "utf8");
}, 120_000);
afterAll(async () => {
  await server?.dispose();
});

describe("the specification and /openapi.json", () => {
  it("is an OpenAPI 3.1 document", () => {
    expect(openapi.openapi).toBe("3.1.0");
  });

  it("passes an OpenAPI 3.1 validator", async () => {
    const result = await new Validator().validate(openapi as unknown as Record<string, unknown>);
    expect(result.errors ?? []).toEqual([]);
    expect(result.valid).toBe(true);
  });

  it("declares a success and an error answer with a schema for every route", () => {
    const operations = Object.entries(openapi.paths).flatMap(([path, methods]) => Object.entries(methods).map(([method, operation]) => ({ route: `${method.toUpperCase()} ${path}`, operation })));
    expect(operations.length).toBeGreaterThanOrEqual(40);
    const undeclared = operations.filter(({ operation }) => {
      const responses = operation.responses ?? {};
      const success = Object.entries(responses).find(([status]) => status.startsWith("2"));
      return success === undefined || !responses["4XX"]?.content?.["application/json"]?.schema;
    });
    expect(undeclared.map(({ route }) => route)).toEqual([]);
  });

  it("specifies every Chai route the server serves", () => {
    const served = Object.entries(openapi.paths)
      .filter(([path]) => !implementationRoute(path))
      .flatMap(([path, methods]) => Object.keys(methods).map((method) => `${method.toUpperCase()} ${path}`));
    expect(served.length).toBeGreaterThanOrEqual(10);
    const missing = served.filter((route) => !spec.includes(route));
    expect(missing, "routes served but not in docs/chai-v1.md").toEqual([]);
  });

  it("serves every route the specification names", () => {
    const named = new Set([...spec.matchAll(/`(GET|POST|DELETE) (\/[^\s`?]*)`/g)].map((m) => `${m[1] ?? ""} ${m[2] ?? ""}`));
    const served = new Set(
      Object.entries(openapi.paths).flatMap(([path, methods]) => Object.keys(methods).map((method) => `${method.toUpperCase()} ${path}`)),
    );
    // The document leaves itself out of its own paths.
    served.add("GET /openapi.json");
    const unserved = [...named].filter((route) => !served.has(route));
    expect(unserved, "routes in docs/chai-v1.md the server does not serve").toEqual([]);
  });

  it("has every field of the chai object in both", () => {
    const fields = fieldPaths(ChaiModelInfoSchema);
    expect(fields.length).toBeGreaterThanOrEqual(20);
    const notSpecified = fields.filter((field) => !spec.includes(`\`${field}\``) && !spec.includes(`\`${field.split(".").at(-1) ?? ""}\``));
    expect(notSpecified, "chai fields missing from docs/chai-v1.md").toEqual([]);
    const models = openapi.paths["/v1/models"]?.get?.responses?.["200"]?.content?.["application/json"]?.schema;
    const chai = models?.properties?.data?.items?.properties?.chai;
    expect(openApiFieldPaths(chai).sort()).toEqual([...fields].sort());
    const one = openapi.paths["/v1/models/{model}"]?.get?.responses?.["200"]?.content?.["application/json"]?.schema;
    expect(openApiFieldPaths(one?.properties?.chai).sort()).toEqual([...fields].sort());
  });
});

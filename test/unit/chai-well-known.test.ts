/** The discovery document: its schema, the features derived from the registered routes, and the box id. */
import Fastify from "fastify";
import { Value } from "@sinclair/typebox/value";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { ChaiDiscoverySchema, discoveryDocument, wellKnownRoutes } from "../../src/api/chai/well-known.js";
import { boxId } from "../../src/state/box-identity.js";
import { openStateDatabase, stateDatabasePath } from "../../src/state/db.js";

const dirs: string[] = [];
afterAll(async () => {
  for (const dir of dirs) await rm(dir, { recursive: true, force: true });
});

const options = { server: { name: "chaibox", version: "0.1.0" }, box: { id: "b0c5", name: "kitchen" } };

describe("/.well-known/chai", () => {
  it("builds a document that validates, with auth not yet required", () => {
    const document = discoveryDocument(options, ["chat_completions", "select"]);
    expect([...Value.Errors(ChaiDiscoverySchema, document)]).toEqual([]);
    expect(document).toEqual({
      chai_version: "1.0",
      server: { name: "chaibox", version: "0.1.0" },
      box: { id: "b0c5", name: "kitchen" },
      api_base: "/v1",
      auth: { scheme: "bearer", required: false, pairing_endpoint: "/chai/v1/pairings" },
      features: ["chat_completions", "select"],
    });
    expect(Value.Check(ChaiDiscoverySchema, { ...document, features: ["chat_completions", "chat_completions"] })).toBe(false);
    expect(Value.Check(ChaiDiscoverySchema, { ...document, features: ["telepathy"] })).toBe(false);
  });

  it("lists exactly the features whose routes the app registered, publicly and without a body", async () => {
    const app = Fastify();
    await app.register(async (scope) => {
      scope.post("/v1/chat/completions", async () => ({}));
      scope.post("/v1/embeddings", async () => ({}));
    });
    await app.register(wellKnownRoutes, options);
    // Registered after the discovery route: features are read when asked, so order does not matter.
    await app.register(async (scope) => {
      scope.post("/api/chat", async () => ({}));
    });
    const reply = await app.inject({ method: "GET", url: "/.well-known/chai" });
    expect(reply.statusCode).toBe(200);
    const document: unknown = reply.json();
    expect(Value.Check(ChaiDiscoverySchema, document)).toBe(true);
    expect((document as { features: string[] }).features).toEqual(["chat_completions", "embeddings", "ollama"]);
    await app.close();
  });
});

describe("box id", () => {
  it("is generated once and kept across reopening the state", async () => {
    const dir = await mkdtemp(join(tmpdir(), "chaibox-box-"));
    dirs.push(dir);
    const first = openStateDatabase(stateDatabasePath(dir));
    const id = boxId(first);
    expect(id).toMatch(/^[0-9a-f-]{36}$/);
    expect(boxId(first)).toBe(id);
    first.close();
    const second = openStateDatabase(stateDatabasePath(dir));
    expect(boxId(second)).toBe(id);
    second.close();
    const other = openStateDatabase(":memory:");
    expect(boxId(other)).not.toBe(id);
    other.close();
  });
});

/**
 * `GET /.well-known/chai`: the discovery document. Public (an app reads it before it has a token) and small:
 * who this server is, which box it runs on, where the API is, how to authenticate, and which features it
 * serves. docs/chai-v1.md §6 is the normative text.
 */
import type { FastifyInstance } from "fastify";
import type { FastifyPluginAsyncTypebox } from "@fastify/type-provider-typebox";
import { Type, type Static } from "@sinclair/typebox";

/** The Chai specification version this server implements; minor versions only add fields. */
export const CHAI_SPEC_VERSION = "1.0";

/** Where pairing lives (docs/chai-v1.md §7); `auth.required` says whether a token is needed now. */
export const PAIRING_ENDPOINT = "/chai/v1/pairings";

/** The features a Chai server may serve, in the order the document lists them. */
export const chaiFeatureNames = ["chat_completions", "responses", "embeddings", "ollama", "select"] as const;
/** One of {@link chaiFeatureNames}. */
export type ChaiFeature = (typeof chaiFeatureNames)[number];

/**
 * The route whose presence means a feature is served. Derived from the registered routes at request time, so
 * the document stays true whatever buildApp registers.
 */
const featureRoutes: Readonly<Record<ChaiFeature, { method: "GET" | "POST"; url: string }>> = {
  chat_completions: { method: "POST", url: "/v1/chat/completions" },
  responses: { method: "POST", url: "/v1/responses" },
  embeddings: { method: "POST", url: "/v1/embeddings" },
  ollama: { method: "POST", url: "/api/chat" },
  select: { method: "POST", url: "/chai/v1/select" },
};

/** The discovery document's schema (docs/chai-v1.md §6.1). */
export const ChaiDiscoverySchema = Type.Object(
  {
    /** The Chai specification version, `major.minor`. */
    chai_version: Type.String({ pattern: "^\\d+\\.\\d+$" }),
    server: Type.Object({ name: Type.String({ minLength: 1 }), version: Type.String({ minLength: 1 }) }, { additionalProperties: false }),
    box: Type.Object(
      {
        /** Stable for the life of the box's data: the same box across restarts and address changes. */
        id: Type.String({ minLength: 1 }),
        /** The name people gave the box. */
        name: Type.String({ minLength: 1 }),
      },
      { additionalProperties: false },
    ),
    /** Base path of the OpenAI-compatible API, relative to this document's origin. */
    api_base: Type.String({ pattern: "^/" }),
    auth: Type.Object(
      {
        scheme: Type.Literal("bearer"),
        /** Whether requests to the API need a token now. */
        required: Type.Boolean(),
        /** Where an app asks for a token (relative to this document's origin). */
        pairing_endpoint: Type.String({ pattern: "^/" }),
      },
      { additionalProperties: false },
    ),
    /** What this server serves right now, each at most once. */
    features: Type.Array(Type.Union(chaiFeatureNames.map((name) => Type.Literal(name))), { uniqueItems: true }),
  },
  { additionalProperties: false },
);
/** A discovery document. */
export type ChaiDiscovery = Static<typeof ChaiDiscoverySchema>;

/** What the discovery document says about this server and its box. */
export interface WellKnownOptions {
  server: { name: string; version: string };
  /** The box, or a function giving it now (its name can change while serving: setup, settings). */
  box: { id: string; name: string } | (() => { id: string; name: string });
  /** Whether the API requires a token. Default false (`serve --no-auth`). */
  authRequired?: boolean;
}

/** The features whose routes `app` has registered, in the documented order. */
export function servedFeatures(app: Pick<FastifyInstance, "hasRoute">): ChaiFeature[] {
  return chaiFeatureNames.filter((feature) => app.hasRoute(featureRoutes[feature]));
}

/** The discovery document for these options and features. Pure. */
export function discoveryDocument(options: WellKnownOptions, features: ChaiFeature[]): ChaiDiscovery {
  return {
    chai_version: CHAI_SPEC_VERSION,
    server: { ...options.server },
    box: { ...(typeof options.box === "function" ? options.box() : options.box) },
    api_base: "/v1",
    auth: { scheme: "bearer", required: options.authRequired ?? false, pairing_endpoint: PAIRING_ENDPOINT },
    features,
  };
}

/** Serves `GET /.well-known/chai`; its features are read from the app's routes on each request. */
export const wellKnownRoutes: FastifyPluginAsyncTypebox<WellKnownOptions> = async (app, options) => {
  app.get("/.well-known/chai", { schema: { response: { 200: ChaiDiscoverySchema } } }, async (_request, reply) => {
    // Cheap to rebuild, and may change (a box renamed on restart): caches may keep it briefly only.
    void reply.header("cache-control", "public, max-age=60");
    return discoveryDocument(options, servedFeatures(app));
  });
};

/**
 * Cross-origin access (docs/chai-v1.md §1.3): which web pages on other origins may call the box.
 *
 * - Discovery, health and the pairing endpoints are public: any origin may read them.
 * - The inference API (/v1, /api, /chai/v1/select) answers any origin, but only with a bearer token: no
 *   cookies go cross-origin (no `Access-Control-Allow-Credentials`), so the admin session never leaves the
 *   box's own page.
 * - /admin and the web UI stay same-origin: no CORS headers at all.
 *
 * Registered before the auth hook, so a preflight (which carries no credential) is answered before auth.
 */
import cors, { type FastifyCorsOptions } from "@fastify/cors";
import type { FastifyInstance, FastifyRequest } from "fastify";

/** How long a browser may cache a preflight answer, in seconds. */
const PREFLIGHT_MAX_AGE = 600;

/** The CORS policy of one request path: `public`, `token` (bearer only) or `none` (same-origin). */
export type CorsPolicy = "public" | "token" | "none";

function under(path: string, prefix: string): boolean {
  return path === prefix || path.startsWith(`${prefix}/`);
}

/** Pure: the policy for a request path (without its query). */
export function corsPolicy(path: string): CorsPolicy {
  if (path === "/.well-known/chai" || path === "/health" || under(path, "/chai/v1/pairings")) return "public";
  if (under(path, "/v1") || under(path, "/api") || path === "/chai/v1/select") return "token";
  return "none";
}

function optionsFor(request: FastifyRequest): FastifyCorsOptions {
  const policy = corsPolicy(request.url.split("?")[0] ?? "/");
  if (policy === "none") return { origin: false };
  return {
    origin: "*",
    credentials: false,
    methods: policy === "public" ? ["GET", "HEAD", "POST"] : ["GET", "HEAD", "POST", "DELETE"],
    // No allowedHeaders: the headers a preflight asks for are echoed back, since SDKs send their own
    // (x-stainless-*, openai-*) and a wildcard would not cover Authorization.
    // Headers a page may read: the rate-limit wait and the error's auth challenge.
    exposedHeaders: ["Retry-After", "WWW-Authenticate"],
    maxAge: PREFLIGHT_MAX_AGE,
    // An OPTIONS without Origin is answered like any preflight rather than with a bare-text 400.
    strictPreflight: false,
  };
}

/** Registers CORS on the root instance; call it before the auth hook. */
export async function registerCors(app: FastifyInstance): Promise<void> {
  await app.register(cors, {
    hideOptionsRoute: true,
    delegator: (request, callback) => callback(null, optionsFor(request)),
  });
}

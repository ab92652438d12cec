/**
 * The authentication hook of the whole app: reads the request's credential, checks it against the access its
 * route needs (access.ts), and records who made the request on `request.auth`. Failures are thrown as
 * ChaiboxErrors, so each dialect's error handler renders them in its own envelope (OpenAI's under /v1, /chai
 * and /admin, Ollama's `{"error"}` under /api).
 */
import type { FastifyReply, FastifyRequest } from "fastify";
import { isLoopback } from "./loopback.js";
import { ChaiboxError } from "../errors.js";
import { isSafeMethod, routeAccess } from "./access.js";
import { sameSecret } from "./secrets.js";
import type { AuthService } from "./service.js";
import type { TokenScope } from "./tokens.js";

/** The admin session cookie: HttpOnly, SameSite=Strict, path /. */
export const SESSION_COOKIE = "chaibox_session";
/** The header that carries a session's CSRF token. */
export const CSRF_HEADER = "x-csrf-token";

/** Who made a request. */
export type AuthContext =
  | { kind: "token"; tokenId: string; name: string; scope: TokenScope }
  | { kind: "session"; sessionId: string; csrfToken: string }
  /** The CLI on this machine, with the key the running server wrote to its data dir. */
  | { kind: "local" }
  /** No credential: a public route, or authentication is off. */
  | { kind: "anonymous" };

declare module "fastify" {
  interface FastifyRequest {
    /** Who made the request; set by the auth hook before any handler runs. */
    auth: AuthContext;
  }
}

export interface GuardOptions {
  /** The stores; undefined: no admin account exists (tests of other parts), /admin answers loopback only. */
  service?: AuthService | undefined;
  /** Whether the API needs a token. False (`serve --no-auth`): the API is open, /admin answers loopback only. */
  required: boolean;
  /** The key the CLI on this machine presents as an admin bearer token (see config/server-file.ts). */
  localKey?: string | undefined;
}

function bearer(request: FastifyRequest): string | undefined {
  const header = request.headers.authorization;
  const match = header === undefined ? null : /^Bearer\s+(\S+)\s*$/i.exec(header);
  return match?.[1];
}

function credential(request: FastifyRequest, options: GuardOptions): AuthContext | undefined {
  const token = bearer(request);
  if (token !== undefined) {
    if (options.localKey !== undefined && sameSecret(token, options.localKey)) return { kind: "local" };
    const record = options.service?.tokens.verify(token);
    // With authentication off, apps still send whatever key they were configured with: it is ignored.
    if (!record && !options.required) return undefined;
    if (!record) throw new ChaiboxError("invalid_api_key", "Incorrect or revoked API token. Pair the app with the box again, or create a token with 'chaibox token create'.");
    options.service?.tokens.touch(record.id);
    return { kind: "token", tokenId: record.id, name: record.name, scope: record.scope };
  }
  const cookie = request.cookies[SESSION_COOKIE];
  const session = cookie === undefined ? undefined : options.service?.sessions.get(cookie);
  return session && { kind: "session", sessionId: session.id, csrfToken: session.csrfToken };
}

function sameCsrf(request: FastifyRequest, csrfToken: string): boolean {
  const sent = request.headers[CSRF_HEADER];
  return typeof sent === "string" && sameSecret(sent, csrfToken);
}

function checkAdmin(request: FastifyRequest, auth: AuthContext | undefined, access: "models" | "admin"): void {
  if (auth === undefined || auth.kind === "anonymous") throw new ChaiboxError("not_signed_in", "Sign in as the box's admin (or send an admin token) to use this route.");
  if (auth.kind === "token" && auth.scope !== "admin" && !(access === "models" && auth.scope === "models")) {
    const needs = access === "models" ? "a 'models' or 'admin' token (the owner grants 'models' on the Apps screen or with 'chaibox token create --scope models')" : "an 'admin' token";
    throw new ChaiboxError("forbidden", `This token has the '${auth.scope}' scope; ${access === "models" ? "managing models" : "the admin API"} needs ${needs}.`);
  }
  if (auth.kind === "session" && !isSafeMethod(request.method)) {
    if (!sameCsrf(request, auth.csrfToken)) {
      throw new ChaiboxError("csrf_token_invalid", "Missing or wrong X-CSRF-Token header: send the csrf_token of GET /admin/session.");
    }
  }
}

/** The onRequest hook: register it at the root, before any route. */
export function authGuard(options: GuardOptions) {
  return async function guard(request: FastifyRequest, reply: FastifyReply): Promise<void> {
    request.auth = { kind: "anonymous" };
    const access = routeAccess(request.method, request.routeOptions.url ?? request.url.split("?")[0] ?? "/");
    if (access === "public" && !request.url.startsWith("/admin")) return;
    try {
      const auth = credential(request, options);
      if (auth) request.auth = auth;
      if (access === "public") return;
      if (access === "inference") {
        if (!options.required || auth?.kind === "token" || auth?.kind === "local") return;
        // The box's own Chat screen: the admin session, with its CSRF token on every request (even a GET),
        // so a page on another origin of the same site cannot ride on the cookie.
        if (auth?.kind === "session" && sameCsrf(request, auth.csrfToken)) return;
        throw new ChaiboxError("invalid_api_key", "This API needs a bearer token: 'Authorization: Bearer <token>'. Pair the app with the box, or create a token with 'chaibox token create'.");
      }
      // With authentication off, model management and /admin stay on this machine: an open LAN port must
      // not let any client install, delete or reconfigure.
      if (!options.required && isLoopback(request.socket.remoteAddress)) return;
      if (!options.required && auth?.kind !== "local") {
        const what = access === "models" ? "model management (pull, delete, copy, create)" : "the admin API";
        throw new ChaiboxError("forbidden", `Authentication is off (serve --no-auth): ${what} answers only on this machine (127.0.0.1 or ::1).`);
      }
      checkAdmin(request, auth, access);
    } catch (error) {
      if (error instanceof ChaiboxError && error.status === 401) void reply.header("www-authenticate", 'Bearer realm="chaibox"');
      throw error;
    }
  };
}

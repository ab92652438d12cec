/**
 * buildApp(deps): the HTTP application, without listen(). Tests call `app.inject()` on it; main.ts wires the
 * concrete adapters and listens. Routes only map and stream; everything they use comes in through deps.
 */
import Fastify, { type FastifyInstance } from "fastify";
import type { TypeBoxTypeProvider } from "@fastify/type-provider-typebox";
import type { FastifyBaseLogger } from "fastify";
import type { RunInference } from "./engine/pipeline/index.js";
import { normalizeError } from "./api/errors.js";
import { clientErrorHandler, frameworkErrors, notFoundOrWrongMethod, sendError } from "./api/error-contract.js";
import { chatCompletionsRoutes } from "./api/openai/chat-completions.js";
import { embeddingsRoutes } from "./api/openai/embeddings.js";
import { responsesRoutes } from "./api/openai/responses.js";
import type { ResponseRecords } from "./state/response-record.js";
import { modelsRoutes } from "./api/openai/models.js";
import type { ChaiModelDirectory } from "./models/description/model-description.js";
import { wellKnownRoutes, type WellKnownOptions } from "./api/chai/well-known.js";
import { healthRoutes } from "./api/health.js";
import { adminRoutes, type AdminOptions } from "./api/admin/index.js";
import { openApiCollector, openApiRoute } from "./api/openapi.js";
import { selectRoutes } from "./api/chai/select.js";
import { ollamaRoutes, type OllamaOptions } from "./api/ollama/index.js";
import cookie from "@fastify/cookie";
import rateLimit from "@fastify/rate-limit";
import { ChaiboxError } from "./errors.js";
import { authGuard, type GuardOptions } from "./auth/guard.js";
import type { AuthService } from "./auth/service.js";
import { accountRoutes } from "./api/admin/account.js";
import { appsRoutes } from "./api/admin/apps.js";
import { usageRoutes } from "./api/admin/usage.js";
import type { UsageLedger } from "./budgets/usage-ledger.js";
import { settingsRoutes, type SettingsRoutesOptions } from "./api/admin/settings.js";
import { pairingRoutes } from "./api/chai/pairing.js";
import { pairingLookupRoutes } from "./api/chai/pairing-lookup.js";
import { overviewRoutes, type OverviewOptions } from "./api/admin/overview.js";
import { webRoutes } from "./api/web.js";
import { registerCors } from "./api/cors.js";
import { metricsRoutes } from "./api/metrics.js";
import type { ChaiboxMetrics } from "./metrics/registry.js";

/** Authentication: who may use which route (src/auth/access.ts). */
export interface AppAuth {
  /** The account, sessions, tokens and pairings. */
  service: AuthService;
  /** Each app's monthly budget and its usage and cost per provider and month. */
  budgets: UsageLedger;
  /** Whether the API needs a token; false is `serve --no-auth`. */
  required: boolean;
  /** The key the CLI on this machine sends as an admin bearer token. Default: none. */
  localKey?: string;
  /** The box's name now, for the settings routes. */
  boxName: () => string;
  /** Called after the owner renamed the box (Settings). Default: nothing. */
  onBoxNameChange?: (name: string) => void;
  /** Keep-alive and parallel as the Settings screen shows and changes them. Default: not offered. */
  serving?: SettingsRoutesOptions["serving"];
  /** Sign-in and setup-code attempts per client address per minute. Default 5. */
  attemptsPerMinute?: number;
  /** Pairing requests per client address per minute. Default 10. */
  pairingsPerMinute?: number;
}

export interface AppDeps {
  /** The inference pipeline every dialect calls. */
  inference: RunInference;
  /** The installed models with their `chai` descriptions (`/v1/models`). */
  models: ChaiModelDirectory;
  /** The box `/.well-known/chai` describes; default: the discovery document is not served. */
  discovery?: Pick<WellKnownOptions, "box" | "authRequired">;
  /** Names of the models whose runners are up, for /health. */
  loadedModels: () => string[];
  version: string;
  /** Largest accepted request body in bytes. Default 8 MiB. */
  bodyLimit?: number;
  /**
   * Trust `X-Forwarded-*` from a reverse proxy (Fastify's `trustProxy`: true, or the proxy's addresses), so
   * the client's address and https are seen as the proxy saw them. Default false.
   */
  trustProxy?: boolean | string;
  /** Time for a client to send a whole request, headers and body, in ms. Default 30 s. */
  requestTimeoutMs?: number;
  /** A connection with no traffic either way for this long is closed, in ms. Default 10 min. */
  connectionTimeoutMs?: number;
  /** Storage of the Responses API (`/v1/responses`); default: the Responses API is not served. */
  responses?: ResponseRecords;
  /** The Ollama dialect under `/api`; default: not served. */
  ollama?: OllamaOptions;
  /** The `/admin` API (downloads, model removal); default: not served. */
  admin?: AdminOptions;
  /**
   * Authentication, sign-in, app tokens and pairing. Default: none — the API is open and `/admin` answers
   * loopback clients only (tests of other parts).
   */
  auth?: AppAuth;
  /** The web UI's summaries (`/admin/status`, `/admin/recommendations`, `/admin/connect`); default: not served. */
  overview?: OverviewOptions;
  /** Serve the web UI at `/` from this directory of built files (dist/web); default: no UI. */
  webRoot?: string;
  /** Prometheus metrics, served at `GET /metrics` (token required); default: not served. */
  metrics?: ChaiboxMetrics;
  /** A pino logger; default: logging off (tests). */
  logger?: FastifyBaseLogger | false;
}

export async function buildApp(deps: AppDeps): Promise<FastifyInstance> {
  const requestTimeout = deps.requestTimeoutMs ?? 30_000;
  const app = Fastify({
    loggerInstance: deps.logger || undefined,
    logger: deps.logger === undefined || deps.logger === false ? false : undefined,
    bodyLimit: deps.bodyLimit ?? 8 * 1024 * 1024,
    // Validation must not quietly change a client's request: no type coercion, no dropped keys.
    ajv: { customOptions: { coerceTypes: false, removeAdditional: false, useDefaults: false, allErrors: false } },
    return503OnClosing: true,
    forceCloseConnections: true,
    trustProxy: deps.trustProxy ?? false,
    // A slow client (one byte every few seconds) must not hold a connection for ever: the whole request must
    // arrive within requestTimeout; an idle connection (no bytes either way, e.g. a stalled reader of a
    // stream) closes after connectionTimeout, which is longer than any reply takes to start.
    requestTimeout,
    connectionTimeout: deps.connectionTimeoutMs ?? 600_000,
    // Node checks for late requests every 30 s by default: a 30 s limit would really be up to a minute.
    http: { connectionsCheckingInterval: 1000, headersTimeout: requestTimeout, requestTimeout },
    frameworkErrors,
    clientErrorHandler,
  }).withTypeProvider<TypeBoxTypeProvider>();

  app.setErrorHandler((error, request, reply) => {
    const normalized = normalizeError(error);
    if (normalized.internal) request.log.error({ err: error }, "request failed");
    return sendError(request, reply, normalized);
  });

  app.setNotFoundHandler(notFoundOrWrongMethod(app));

  // Before the auth hook: preflights carry no credential and are answered here.
  await registerCors(app);
  await app.register(cookie);
  // Limits apply only to the routes that ask for one (sign-in, setup code, pairing requests).
  await app.register(rateLimit, {
    global: false,
    errorResponseBuilder: (_request, context) =>
      new ChaiboxError("rate_limited", `Too many attempts: try again in ${context.after}.`, { retryAfterSeconds: Math.ceil(context.ttl / 1000) }),
  });
  const guard: GuardOptions = deps.auth ? { service: deps.auth.service, required: deps.auth.required, localKey: deps.auth.localKey } : { required: false };
  // null only until the guard, the first onRequest hook, sets it on every request.
  app.decorateRequest("auth", null as never);
  app.addHook("onRequest", authGuard(guard));

  await openApiCollector(app, deps.version);
  if (deps.metrics) await app.register(metricsRoutes, { metrics: deps.metrics });
  await app.register(healthRoutes, { version: deps.version, loadedModels: deps.loadedModels });
  await app.register(modelsRoutes, { models: deps.models });
  if (deps.discovery) await app.register(wellKnownRoutes, { server: { name: "chaibox", version: deps.version }, ...deps.discovery });
  await app.register(chatCompletionsRoutes, { inference: deps.inference });
  await app.register(embeddingsRoutes, { inference: deps.inference });
  if (deps.responses) await app.register(responsesRoutes, { inference: deps.inference, records: deps.responses });
  const budgets = deps.auth?.budgets;
  await app.register(selectRoutes, { models: deps.models, budget: budgets && ((tokenId) => budgets.standing(tokenId)) });
  if (deps.ollama) await app.register(ollamaRoutes, { prefix: "/api", ...deps.ollama });
  if (deps.admin) await app.register(adminRoutes, deps.admin);
  if (deps.auth) {
    const { service, required, boxName, onBoxNameChange, serving } = deps.auth;
    await app.register(accountRoutes, {
      auth: service,
      required,
      onBoxNameChange,
      ...(deps.auth.attemptsPerMinute !== undefined && { attemptsPerMinute: deps.auth.attemptsPerMinute }),
    });
    await app.register(appsRoutes, { auth: service, budgets: deps.auth.budgets });
    await app.register(usageRoutes, { auth: service, budgets: deps.auth.budgets });
    await app.register(settingsRoutes, { auth: service, required, boxName, ...(onBoxNameChange && { onBoxNameChange }), ...(serving && { serving }) });
    await app.register(pairingLookupRoutes, { pairings: service.pairings });
    await app.register(pairingRoutes, { pairings: service.pairings, ...(deps.auth.pairingsPerMinute !== undefined && { requestsPerMinute: deps.auth.pairingsPerMinute }) });
  }
  if (deps.overview) await app.register(overviewRoutes, deps.overview);
  if (deps.webRoot !== undefined) await app.register(webRoutes, { root: deps.webRoot });
  openApiRoute(app);
  return app;
}

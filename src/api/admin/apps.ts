/**
 * The apps that may use the box: their tokens (`/admin/apps`: list with last use, request counts, this
 * month's budget and usage per provider; create; change scope or budget; revoke) and the pairing requests
 * waiting for the owner (`/admin/pairings`: list, approve, deny).
 */
import type { FastifyPluginAsyncTypebox } from "@fastify/type-provider-typebox";
import { Type } from "@sinclair/typebox";
import type { AuthService } from "../../auth/service.js";
import type { TokenRecord } from "../../auth/tokens.js";
import type { AppUsage, UsageLedger } from "../../budgets/usage-ledger.js";
import type { AppToken, List, Pairing } from "./admin-api.js";
import { budgetView, providerUsageView } from "./usage.js";

export interface AppsRoutesOptions {
  auth: AuthService;
  /** Each app's monthly budget and its usage and cost per provider. */
  budgets: UsageLedger;
}

function appView(token: TokenRecord, budgets: UsageLedger, usage = budgets.usage().find((u) => u.tokenId === token.id)): AppToken {
  return {
    id: token.id,
    object: "app_token" as const,
    name: token.name,
    scope: token.scope,
    source: token.source,
    created_at: token.createdAt,
    last_used_at: token.lastUsedAt,
    revoked_at: token.revokedAt,
    requests: token.requests,
    prompt_tokens: token.promptTokens,
    completion_tokens: token.completionTokens,
    budget: budgetView(budgets, token.id),
    usage_by_provider: providerUsageView(usage),
  };
}

/** Every app's usage this month, by token id: read once per listing. */
const usageByToken = (budgets: UsageLedger): Map<string, AppUsage> => new Map(budgets.usage().map((u) => [u.tokenId, u]));

const Scope = Type.Union([Type.Literal("inference"), Type.Literal("models"), Type.Literal("admin")]);
const IdParams = Type.Object({ id: Type.String({ minLength: 1, maxLength: 64 }) });

export const appsRoutes: FastifyPluginAsyncTypebox<AppsRoutesOptions> = async (app, { auth, budgets }) => {
  app.get("/admin/apps", async (): Promise<List<AppToken>> => {
    const usage = usageByToken(budgets);
    return { object: "list" as const, data: auth.tokens.list().map((token) => appView(token, budgets, usage.get(token.id))) };
  });

  const CreateBody = Type.Object(
    { name: Type.String({ minLength: 1, maxLength: 100 }), scope: Type.Optional(Scope) },
    { additionalProperties: false },
  );
  app.post("/admin/apps", { schema: { body: CreateBody } }, async (request, reply) => {
    const created = auth.tokens.create(request.body.name, request.body.scope ?? "inference", "admin");
    // The token appears in this answer only; the box keeps its hash.
    return reply.status(201).header("cache-control", "no-store").send({ ...appView(created, budgets), token: created.token });
  });

  // The owner grants an app (a paired one gets `inference`) the right to manage models, or takes it back,
  // and sets or clears (null) its monthly budget in USD.
  const PatchBody = Type.Object(
    { scope: Type.Optional(Scope), monthly_budget_usd: Type.Optional(Type.Union([Type.Number({ minimum: 0, maximum: 1e9 }), Type.Null()])) },
    { additionalProperties: false, minProperties: 1 },
  );
  app.patch("/admin/apps/:id", { schema: { params: IdParams, body: PatchBody } }, async (request) => {
    const { id } = request.params;
    const { scope, monthly_budget_usd: budget } = request.body;
    auth.tokens.require(id);
    if (scope !== undefined) auth.tokens.setScope(id, scope);
    if (budget !== undefined) budgets.setBudget(id, budget);
    return appView(auth.tokens.require(id), budgets);
  });

  app.delete("/admin/apps/:id", { schema: { params: IdParams } }, async (request) => appView(auth.tokens.revoke(request.params.id), budgets));

  app.get("/admin/pairings", async (): Promise<List<Pairing>> => ({
    object: "list" as const,
    data: auth.pairings.pending().map((p) => ({
      id: p.id,
      object: "pairing" as const,
      app_name: p.appName,
      app_id: p.appId,
      user_code: p.userCode,
      client_address: p.clientAddress,
      created_at: p.createdAt,
      expires_at: p.expiresAt,
    })),
  }));

  for (const [action, approve] of [["approve", true], ["deny", false]] as const) {
    app.post(`/admin/pairings/:id/${action}`, { schema: { params: IdParams } }, async (request) => {
      auth.pairings.answer(request.params.id, approve);
      return { id: request.params.id, object: "pairing" as const, status: approve ? "approved" : "denied" };
    });
  }
};

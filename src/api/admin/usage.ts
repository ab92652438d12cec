/**
 * What the apps used and spent: `GET /admin/usage?month=YYYY-MM` (default this month, UTC), per app and per
 * provider, and the budget and usage views that `GET /admin/apps` gives each app.
 */
import type { FastifyPluginAsyncTypebox } from "@fastify/type-provider-typebox";
import { Type } from "@sinclair/typebox";
import type { AuthService } from "../../auth/service.js";
import type { AppUsage, UsageLedger } from "../../budgets/usage-ledger.js";
import type { AppBudget, ProviderUsage, UsageReport } from "./admin-api.js";

/** The name of calls made without an app token in the report. */
export const OWNER_USAGE_NAME = "The owner (no app token)";

/** Micro-USD as USD, to the micro-dollar. */
const usdOf = (micros: number): number => Math.round(micros) / 1e6;

/** One app's usage per provider as the API shows it: this box's own models under `local`. */
export function providerUsageView(usage: AppUsage | undefined): ProviderUsage[] {
  return (usage?.providers ?? []).map((p) => ({
    provider: p.provider === "" ? "local" : p.provider,
    prompt_tokens: p.promptTokens,
    completion_tokens: p.completionTokens,
    requests: p.requests,
    cost_usd: usdOf(p.costMicros),
  }));
}

/** An app's budget this month as the API shows it. */
export function budgetView(ledger: UsageLedger, tokenId: string): AppBudget {
  const standing = ledger.standing(tokenId);
  return {
    monthly_usd: standing.budgetUsd,
    month: standing.month,
    spent_usd: usdOf(standing.spentUsd * 1e6),
    remaining_usd: standing.remainingUsd === null ? null : usdOf(standing.remainingUsd * 1e6),
  };
}

export interface UsageRoutesOptions {
  auth: AuthService;
  budgets: UsageLedger;
}

const Query = Type.Object({ month: Type.Optional(Type.String({ pattern: "^[0-9]{4}-(0[1-9]|1[0-2])$", description: "YYYY-MM (UTC); default this month" })) }, { additionalProperties: false });

export const usageRoutes: FastifyPluginAsyncTypebox<UsageRoutesOptions> = async (app, { auth, budgets }) => {
  app.get("/admin/usage", { schema: { querystring: Query } }, async (request): Promise<UsageReport> => {
    const apps = budgets.usage(request.query.month);
    const month = request.query.month ?? budgets.currentMonth();
    const names = new Map(auth.tokens.list().map((token) => [token.id, token.name]));
    const data = apps.map((usage) => ({
      app_id: usage.tokenId === "" ? null : usage.tokenId,
      name: usage.tokenId === "" ? OWNER_USAGE_NAME : (names.get(usage.tokenId) ?? usage.tokenId),
      cost_usd: usdOf(usage.costMicros),
      usage_by_provider: providerUsageView(usage),
    }));
    return { object: "usage", month, data, total_cost_usd: usdOf(apps.reduce((sum, usage) => sum + usage.costMicros, 0)) };
  });
};

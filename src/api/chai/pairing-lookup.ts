/**
 * `GET /chai/v1/pairings/lookup?user_code=XXXX-XXXX` (public): which app a pending pairing request comes from,
 * for the approval page an app links to (`verification_uri_complete`) when the owner is not signed in yet.
 * Only someone who holds the code, shown by the app itself, learns the app's name; nothing else is told.
 */
import type { FastifyPluginAsyncTypebox } from "@fastify/type-provider-typebox";
import { Type } from "@sinclair/typebox";
import type { Pairings } from "../../auth/pairing.js";
import { ChaiboxError } from "../../errors.js";

const Query = Type.Object({ user_code: Type.String({ minLength: 1, maxLength: 20 }) }, { additionalProperties: false });

export const pairingLookupRoutes: FastifyPluginAsyncTypebox<{ pairings: Pairings }> = async (app, { pairings }) => {
  app.get("/chai/v1/pairings/lookup", { config: { rateLimit: { max: 30, timeWindow: 60_000 } }, schema: { querystring: Query } }, async (request) => {
    const code = request.query.user_code.trim().toUpperCase();
    const pending = pairings.pending().find((p) => p.userCode === code);
    if (!pending) throw new ChaiboxError("pairing_not_found", "No app is waiting with this code: it may have been answered or expired.", { param: "user_code" });
    return { app_name: pending.appName, expires_at: pending.expiresAt };
  });
};

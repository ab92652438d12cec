/**
 * Pairing (docs/chai-v1.md §7), public: `POST /chai/v1/pairings` starts a request, `POST
 * /chai/v1/pairings/token` polls it. The owner answers on the box's page (`/admin/pairings`). Bodies are JSON;
 * the token endpoint also takes RFC 8628's form encoding, so generic OAuth device-flow clients work.
 */
import type { FastifyPluginAsyncTypebox } from "@fastify/type-provider-typebox";
import { Type } from "@sinclair/typebox";
import type { Pairings } from "../../auth/pairing.js";

export interface PairingRoutesOptions {
  pairings: Pairings;
  /** Pairing requests per client address per minute. Default 10. */
  requestsPerMinute?: number;
}

/** The page where the owner approves apps; the web UI serves it. */
export const VERIFICATION_PATH = "/pair";

const RequestBody = Type.Object(
  {
    app_name: Type.String({ minLength: 1, maxLength: 100, description: "the app's name, shown to the owner" }),
    app_id: Type.Optional(Type.String({ minLength: 1, maxLength: 200, description: "a stable id of the app, e.g. a reverse domain name" })),
  },
  { additionalProperties: false },
);
// `grant_type` and `client_id` are what RFC 8628 clients send; they are accepted and not needed.
const TokenBody = Type.Object(
  { device_code: Type.String({ minLength: 1, maxLength: 200 }), grant_type: Type.Optional(Type.String()), client_id: Type.Optional(Type.String()) },
  { additionalProperties: false },
);

const CancelBody = Type.Object({ device_code: Type.String({ minLength: 1, maxLength: 200 }) }, { additionalProperties: false });

export const pairingRoutes: FastifyPluginAsyncTypebox<PairingRoutesOptions> = async (app, { pairings, requestsPerMinute = 10 }) => {
  app.addContentTypeParser("application/x-www-form-urlencoded", { parseAs: "string" }, (_request, body, done) => {
    done(null, Object.fromEntries(new URLSearchParams(typeof body === "string" ? body : body.toString("utf8"))));
  });

  app.post("/chai/v1/pairings", { config: { rateLimit: { max: requestsPerMinute, timeWindow: 60_000 } }, schema: { body: RequestBody } }, async (request) => {
    const grant = pairings.request({ name: request.body.app_name, id: request.body.app_id, address: request.ip });
    const verificationUri = `${request.protocol}://${request.host}${VERIFICATION_PATH}`;
    request.log.info({ pairing: grant.id, app: request.body.app_name, address: request.ip }, "an app asks to pair; approve it on the box's page");
    return {
      device_code: grant.deviceCode,
      user_code: grant.userCode,
      verification_uri: verificationUri,
      verification_uri_complete: `${verificationUri}?user_code=${grant.userCode}`,
      expires_in: grant.expiresIn,
      interval: grant.interval,
    };
  });

  // Generous: apps poll every `interval` seconds; `slow_down` is what paces them, this only stops a flood.
  app.post("/chai/v1/pairings/token", { config: { rateLimit: { max: 120, timeWindow: 60_000 } }, schema: { body: TokenBody } }, async (request, reply) => {
    const { token, scope } = pairings.poll(request.body.device_code);
    void reply.header("cache-control", "no-store");
    return { access_token: token, token_type: "bearer" as const, scope };
  });

  app.post("/chai/v1/pairings/cancel", { config: { rateLimit: { max: 120, timeWindow: 60_000 } }, schema: { body: CancelBody } }, async (request) => {
    pairings.cancel(request.body.device_code);
    return { cancelled: true as const };
  });
};

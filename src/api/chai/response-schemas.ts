/** What the Chai routes of chaibox answer (docs/chai-v1.md §5, §7, §10), for the OpenAPI document. */
import { Type } from "@sinclair/typebox";
import { ChaiModelInfoSchema } from "../../models/description/model-description.js";

export const HealthSchema = Type.Object({
  status: Type.Literal("ok"),
  version: Type.String(),
  uptimeSeconds: Type.Integer({ minimum: 0 }),
  loadedModels: Type.Array(Type.String()),
});

export const SelectionSchema = Type.Object({
  object: Type.Literal("chai.selection"),
  preference: Type.Union([Type.Literal("quality"), Type.Literal("speed"), Type.Literal("cost")]),
  data: Type.Array(Type.Object({ model: Type.String(), rank: Type.Integer({ minimum: 1 }), reason: Type.String(), chai: ChaiModelInfoSchema })),
  rejected: Type.Array(Type.Object({ model: Type.String(), failed: Type.Array(Type.String(), { minItems: 1 }) })),
});

export const PairingGrantSchema = Type.Object({
  device_code: Type.String(),
  user_code: Type.String({ pattern: "^[BCDFGHJKLMNPQRSTVWXZ]{4}-[BCDFGHJKLMNPQRSTVWXZ]{4}$" }),
  verification_uri: Type.String(),
  verification_uri_complete: Type.String(),
  expires_in: Type.Integer({ minimum: 1 }),
  interval: Type.Integer({ minimum: 1 }),
});

export const PairingTokenSchema = Type.Object({ access_token: Type.String(), token_type: Type.Literal("bearer"), scope: Type.String() });

/** The answers of the Chai routes, by `METHOD url` as registered. */
export const chaiResponses: Record<string, Record<string, object>> = {
  "GET /health": { 200: HealthSchema },
  "POST /chai/v1/select": { 200: SelectionSchema },
  "POST /chai/v1/pairings": { 200: PairingGrantSchema },
  "POST /chai/v1/pairings/token": { 200: PairingTokenSchema },
  "GET /chai/v1/pairings/lookup": { 200: Type.Object({ app_name: Type.String(), expires_at: Type.String() }) },
  "POST /chai/v1/pairings/cancel": { 200: Type.Object({ cancelled: Type.Literal(true) }) },
  "GET /metrics": { 200: { description: "Prometheus text exposition format", content: { "text/plain": { schema: { type: "string" } } } } },
};

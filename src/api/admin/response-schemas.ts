/**
 * What the `/admin` routes answer, for the OpenAPI document. They are chaibox's own (docs/chai-v1.md §11) and
 * serve its web UI, so the schemas name the top-level shape and the fields the UI relies on.
 */
import { Type } from "@sinclair/typebox";

const List = (item: ReturnType<typeof Type.Object>) => Type.Object({ object: Type.Literal("list"), data: Type.Array(item) });
const NoContent = { description: "done (no body)" };
const Session = Type.Object({ signed_in: Type.Literal(true), csrf_token: Type.String(), expires_at: Type.String() });
const Pull = Type.Object({ id: Type.String(), state: Type.String() });
const ProviderUsage = Type.Object({
  provider: Type.String(),
  prompt_tokens: Type.Integer(),
  completion_tokens: Type.Integer(),
  requests: Type.Integer(),
  cost_usd: Type.Number(),
});
const App = Type.Object({
  id: Type.String(),
  name: Type.String(),
  scope: Type.String(),
  budget: Type.Object({
    monthly_usd: Type.Union([Type.Number(), Type.Null()]),
    month: Type.String(),
    spent_usd: Type.Number(),
    remaining_usd: Type.Union([Type.Number(), Type.Null()]),
  }),
  usage_by_provider: Type.Array(ProviderUsage),
});
const Usage = Type.Object({
  object: Type.Literal("usage"),
  month: Type.String(),
  data: Type.Array(
    Type.Object({ app_id: Type.Union([Type.String(), Type.Null()]), name: Type.String(), cost_usd: Type.Number(), usage_by_provider: Type.Array(ProviderUsage) }),
  ),
  total_cost_usd: Type.Number(),
});
const Pairing = Type.Object({ id: Type.String(), object: Type.Literal("pairing"), status: Type.String() });
const Settings = Type.Object({ box_name: Type.String(), auth_required: Type.Boolean() });
const AdminModel = Type.Object({ id: Type.String(), object: Type.Literal("model") });
const Provider = Type.Object({
  id: Type.String(),
  object: Type.Literal("provider"),
  kind: Type.String(),
  name: Type.String(),
  status: Type.String(),
  has_api_key: Type.Boolean(),
  models: Type.Array(Type.String()),
});

/** The answers of the admin routes, by `METHOD url` as registered. */
export const adminResponses: Record<string, Record<string, object>> = {
  "GET /admin/server": { 200: Type.Object({}) },
  "GET /admin/session": { 200: Type.Object({ setup_required: Type.Boolean(), signed_in: Type.Boolean(), csrf_token: Type.Union([Type.String(), Type.Null()]), auth_required: Type.Boolean() }) },
  "POST /admin/setup/verify": { 204: NoContent },
  "POST /admin/setup": { 200: Session },
  "POST /admin/login": { 200: Session },
  "POST /admin/logout": { 204: NoContent },
  "POST /admin/password": { 204: NoContent },
  "GET /admin/settings": { 200: Settings },
  "PATCH /admin/settings": { 200: Settings },
  "GET /admin/models": { 200: List(AdminModel) },
  "DELETE /admin/models/:id": { 200: Type.Object({ id: Type.String(), object: Type.Literal("model"), deleted: Type.Literal(true) }) },
  "POST /admin/models/pulls": { 202: Pull },
  "GET /admin/models/pulls": { 200: List(Pull) },
  "GET /admin/models/pulls/:id": { 200: Pull },
  "GET /admin/models/pulls/:id/events": { 200: { description: "the pull's progress as server-sent events", content: { "text/event-stream": { schema: { type: "string" } } } } },
  "DELETE /admin/models/pulls/:id": { 200: Pull },
  "GET /admin/apps": { 200: List(App) },
  "POST /admin/apps": { 201: Type.Intersect([App, Type.Object({ token: Type.String() })]) },
  "PATCH /admin/apps/:id": { 200: App },
  "DELETE /admin/apps/:id": { 200: App },
  "GET /admin/usage": { 200: Usage },
  "GET /admin/pairings": { 200: List(Type.Object({ id: Type.String(), app_name: Type.String(), user_code: Type.String() })) },
  "POST /admin/pairings/:id/approve": { 200: Pairing },
  "POST /admin/pairings/:id/deny": { 200: Pairing },
  "GET /admin/providers": { 200: List(Provider) },
  "POST /admin/providers": { 201: Provider },
  "GET /admin/providers/discovered": { 200: List(Type.Object({ name: Type.String(), url: Type.String(), box_id: Type.Union([Type.String(), Type.Null()]), added: Type.Boolean() })) },
  "GET /admin/providers/:id": { 200: Provider },
  "DELETE /admin/providers/:id": { 200: Type.Intersect([Provider, Type.Object({ deleted: Type.Literal(true) })]) },
  "POST /admin/providers/:id/pair": { 200: Provider },
  "GET /admin/status": { 200: Type.Object({}) },
  "GET /admin/recommendations": { 200: Type.Object({}) },
  "GET /admin/connect": { 200: Type.Object({}) },
};

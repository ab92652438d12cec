/**
 * The providers this box uses (`/admin/providers`): list them with their state, add one (a Chai box pairs,
 * and the answer carries the code its owner approves there), pair again, remove one, and find the Chai
 * boxes on the network. No answer ever carries a key: only whether there is one.
 */
import type { FastifyPluginAsyncTypebox } from "@fastify/type-provider-typebox";
import { Type } from "@sinclair/typebox";
import { ChaiboxError } from "../../errors.js";
import type { NewProvider, ProviderState } from "../../providers/provider-registry.js";
import type { DiscoveredBox, List, ProviderView } from "./admin-api.js";

/** What the routes need of the providers (the registry, and the network browse). */
export interface ProvidersAdmin {
  list(): ProviderState[];
  get(id: string): ProviderState | undefined;
  add(input: NewProvider): Promise<ProviderState>;
  pairAgain(id: string): Promise<ProviderState>;
  remove(id: string): void;
  discover(): Promise<{ name: string; url: string; boxId: string | undefined }[]>;
}

export interface ProvidersRoutesOptions {
  providers: ProvidersAdmin;
}

/** A provider as the owner sees it: never its key. */
export function providerView(state: ProviderState): ProviderView {
  const { spec } = state;
  return {
    id: spec.id,
    object: "provider",
    kind: spec.kind,
    name: spec.name,
    url: spec.url,
    source: spec.source,
    status: state.status,
    error: state.error ?? null,
    has_api_key: spec.apiKey !== undefined,
    prices: spec.prices ? { input_per_million_tokens: spec.prices.inputPerMillion, output_per_million_tokens: spec.prices.outputPerMillion, currency: "USD" } : null,
    models: state.models.map((m) => `${spec.id}/${m.id}`),
    in_flight: [...state.inflight.values()].reduce((a, b) => a + b, 0),
    checked_at: state.checkedAt ?? null,
    pairing: state.pairing ? { user_code: state.pairing.userCode, verification_uri: state.pairing.verificationUri, expires_at: state.pairing.expiresAt } : null,
  };
}

const AddBody = Type.Object(
  {
    id: Type.String({ minLength: 1, maxLength: 32 }),
    kind: Type.Union([Type.Literal("chai"), Type.Literal("openai")]),
    url: Type.String({ minLength: 1, maxLength: 2048 }),
    name: Type.Optional(Type.String({ minLength: 1, maxLength: 100 })),
    api_key: Type.Optional(Type.String({ minLength: 1, maxLength: 4096 })),
    prices: Type.Optional(
      Type.Object(
        { input_per_million_tokens: Type.Number({ minimum: 0, maximum: 1_000_000 }), output_per_million_tokens: Type.Number({ minimum: 0, maximum: 1_000_000 }) },
        { additionalProperties: false },
      ),
    ),
  },
  { additionalProperties: false },
);
const IdParams = Type.Object({ id: Type.String({ minLength: 1, maxLength: 32 }) });

export const providerRoutes: FastifyPluginAsyncTypebox<ProvidersRoutesOptions> = async (app, { providers }) => {
  const find = (id: string) => {
    const state = providers.get(id);
    if (!state) throw new ChaiboxError("provider_not_found", `No provider has the id '${id}'.`, { param: "id" });
    return state;
  };

  app.get("/admin/providers", async (): Promise<List<ProviderView>> => ({ object: "list", data: providers.list().map(providerView) }));

  app.get("/admin/providers/discovered", async () => {
    const added = new Set(providers.list().map((p) => p.spec.url));
    const boxes = await providers.discover();
    const data: DiscoveredBox[] = boxes.map((box) => ({ name: box.name, url: box.url, box_id: box.boxId ?? null, added: added.has(box.url) }));
    return { object: "list" as const, data };
  });

  app.get("/admin/providers/:id", { schema: { params: IdParams } }, async (request) => providerView(find(request.params.id)));

  app.post("/admin/providers", { schema: { body: AddBody } }, async (request, reply) => {
    const { id, kind, url, name, api_key: apiKey, prices } = request.body;
    const state = await providers.add({
      id,
      kind,
      url,
      name,
      apiKey,
      prices: prices && { inputPerMillion: prices.input_per_million_tokens, outputPerMillion: prices.output_per_million_tokens },
    });
    return reply.status(201).send(providerView(state));
  });

  app.post("/admin/providers/:id/pair", { schema: { params: IdParams } }, async (request) => providerView(await providers.pairAgain(find(request.params.id).spec.id)));

  app.delete("/admin/providers/:id", { schema: { params: IdParams } }, async (request) => {
    const view = providerView(find(request.params.id));
    providers.remove(request.params.id);
    return { ...view, deleted: true };
  });
};

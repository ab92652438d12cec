/** `POST /chai/v1/select`: the installed models that meet an app's requirements, best first for its preference. */
import type { FastifyPluginAsyncTypebox } from "@fastify/type-provider-typebox";
import { Type, type Static } from "@sinclair/typebox";
import type { BudgetStanding } from "../../engine/pipeline/index.js";
import type { ChaiModelDirectory } from "../../models/description/model-description.js";
import { selectModels } from "../../models/selection/select-ranking.js";
import { callerOf } from "../caller.js";

const Capability = Type.Union([
  Type.Literal("tools"),
  Type.Literal("json_schema"),
  Type.Literal("reasoning"),
  Type.Literal("embeddings"),
  Type.Literal("streaming"),
]);

export const SelectBody = Type.Object(
  {
    requirements: Type.Optional(
      Type.Object(
        {
          capabilities: Type.Optional(Type.Array(Capability, { uniqueItems: true })),
          input_modalities: Type.Optional(Type.Array(Type.Union([Type.Literal("text"), Type.Literal("image"), Type.Literal("audio")]))),
          output_modalities: Type.Optional(Type.Array(Type.Union([Type.Literal("text"), Type.Literal("embedding")]))),
          min_context_length: Type.Optional(Type.Integer({ minimum: 1 })),
          min_generation_tokens_per_second: Type.Optional(Type.Number({ minimum: 0 })),
          max_input_price_per_million_tokens: Type.Optional(Type.Number({ minimum: 0 })),
          max_output_price_per_million_tokens: Type.Optional(Type.Number({ minimum: 0 })),
        },
        { additionalProperties: false },
      ),
    ),
    preference: Type.Optional(Type.Union([Type.Literal("quality"), Type.Literal("speed"), Type.Literal("cost")], { default: "quality" })),
  },
  { additionalProperties: false },
);
export type SelectBody = Static<typeof SelectBody>;

export interface SelectRouteOptions {
  models: ChaiModelDirectory;
  /** Where an app token stands against its monthly budget: priced models it cannot afford are left out. Default: no budgets. */
  budget?: ((tokenId: string) => BudgetStanding) | undefined;
}

export const selectRoutes: FastifyPluginAsyncTypebox<SelectRouteOptions> = async (app, { models, budget }) => {
  app.post("/chai/v1/select", { schema: { body: SelectBody } }, async (request) => {
    const { requirements = {}, preference = "quality" } = request.body;
    const { tokenId } = callerOf(request);
    const standing = tokenId === undefined || budget === undefined ? undefined : budget(tokenId);
    const result = selectModels(await models.list(), requirements, preference, standing);
    return { object: "chai.selection" as const, preference, ...result };
  });
};

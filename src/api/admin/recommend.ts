/**
 * `GET /admin/models/recommended`: the models that fit this box, best first (`chaibox models recommend --json`
 * without the hardware): the setup page's model step, and the admin page's "add a model".
 */
import type { FastifyPluginAsync } from "fastify";
import type { FitResult } from "../../models/fit.js";

export interface RecommendRoutesOptions {
  /** Fit's choices for the hardware now, over the catalog and the installed models. */
  recommend: () => Promise<FitResult>;
}

export const recommendRoutes: FastifyPluginAsync<RecommendRoutesOptions> = async (app, { recommend }) => {
  app.get("/admin/models/recommended", async () => recommend());
};

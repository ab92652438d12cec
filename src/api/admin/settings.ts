/**
 * `GET /admin/settings` and `PATCH /admin/settings`: what the owner may change from the admin page. Today the
 * box name (stored in the state database, it wins over `box.name` of the configuration file and shows in
 * `/.well-known/chai` at once) and, read-only, whether the API requires tokens.
 */
import type { FastifyPluginAsyncTypebox } from "@fastify/type-provider-typebox";
import { Type } from "@sinclair/typebox";
import type { AuthService } from "../../auth/service.js";

export interface SettingsRoutesOptions {
  auth: AuthService;
  required: boolean;
  /** The box's name now: the stored one, else the configured one, else the host name. */
  boxName: () => string;
}

export const settingsRoutes: FastifyPluginAsyncTypebox<SettingsRoutesOptions> = async (app, { auth, required, boxName }) => {
  const view = () => ({ box_name: boxName(), auth_required: required });
  app.get("/admin/settings", async () => view());
  const Body = Type.Object({ box_name: Type.Optional(Type.String({ minLength: 1, maxLength: 63 })) }, { additionalProperties: false });
  app.patch("/admin/settings", { schema: { body: Body } }, async (request) => {
    if (request.body.box_name !== undefined) auth.account.setBoxName(request.body.box_name);
    return view();
  });
};

/**
 * `GET /admin/settings` and `PATCH /admin/settings`: what the owner may change from the admin page.
 * - `box_name`: stored in the state database, it wins over `box.name` of the configuration file and shows in
 *   `/.well-known/chai` and the mDNS announcement at once;
 * - `keep_alive` and `parallel`: how models are served, stored likewise over `inference.*` of the file;
 *   keep-alive applies from the next idle period, parallel when a model loads next;
 * - read-only: whether the API requires tokens.
 */
import type { FastifyPluginAsyncTypebox } from "@fastify/type-provider-typebox";
import { Type } from "@sinclair/typebox";
import type { AuthService } from "../../auth/service.js";
import type { ServingSettingsValues } from "../../state/serving-settings.js";
import type { Settings } from "./admin-api.js";

export interface SettingsRoutesOptions {
  auth: AuthService;
  required: boolean;
  /** The box's name now: the stored one, else the configured one, else the host name. */
  boxName: () => string;
  /** Called after the box name changed (the mDNS announcement follows it). Default: nothing. */
  onBoxNameChange?: (name: string) => void;
  /** Keep-alive and parallel in effect, and how to change them; default: not shown. */
  serving?: { values(): ServingSettingsValues; update(patch: Partial<ServingSettingsValues>): void };
}

export const settingsRoutes: FastifyPluginAsyncTypebox<SettingsRoutesOptions> = async (app, { auth, required, boxName, onBoxNameChange, serving }) => {
  const view = (): Settings => {
    const values = serving?.values();
    return {
      box_name: boxName(),
      auth_required: required,
      ...(values && { keep_alive: String(values.keepAlive), parallel: values.parallel }),
    };
  };
  app.get("/admin/settings", async () => view());
  const Body = Type.Object(
    {
      box_name: Type.Optional(Type.String({ minLength: 1, maxLength: 63 })),
      keep_alive: Type.Optional(Type.String({ minLength: 1, maxLength: 32, description: "30s, 5m, 1h, forever, or seconds" })),
      parallel: Type.Optional(Type.Union([Type.Literal("auto"), Type.Integer({ minimum: 1, maximum: 64 })])),
    },
    { additionalProperties: false },
  );
  app.patch("/admin/settings", { schema: { body: Body } }, async (request) => {
    const { box_name, keep_alive, parallel } = request.body;
    if (serving && (keep_alive !== undefined || parallel !== undefined)) {
      serving.update({ ...(keep_alive !== undefined && { keepAlive: keep_alive }), ...(parallel !== undefined && { parallel }) });
    }
    if (box_name !== undefined) {
      auth.account.setBoxName(box_name);
      onBoxNameChange?.(box_name);
    }
    return view();
  });
};

/**
 * The box's own API under `/admin`: downloads, model removal, the hardware snapshot. Until admin
 * authentication exists it answers loopback clients only (see loopback.ts). Register at the root: the guard
 * covers every route registered inside this plugin, and each sub-plugin puts its routes under `/admin`.
 */
import type { FastifyPluginAsyncTypebox } from "@fastify/type-provider-typebox";
import type { LoadedModelStatus } from "../../engine/scheduler-types.js";
import type { HardwareSnapshot } from "../../hardware/snapshot.js";
import { hardwareRoutes } from "./hardware.js";
import { loopbackOnly } from "./loopback.js";
import { adminModelRoutes, type AdminModelStore } from "./models.js";
import { pullRoutes, type PullService } from "./pulls.js";

/** Identifies the running server, so a CLI on the same machine can tell it serves the CLI's data dir. */
export interface ServerIdentity {
  pid: number;
  /** Absolute data dir. */
  dataDir: string;
  version: string;
}

export interface AdminOptions {
  pulls: PullService;
  store: AdminModelStore;
  /** Stops a model's runner once idle (the scheduler's `unload`). */
  unloadModel: (id: string) => Promise<void>;
  /** The models whose runners are up (the scheduler's `loaded`). */
  loadedModels: () => LoadedModelStatus[];
  server: ServerIdentity;
  /** The current hardware snapshot, for `GET /admin/hardware`. Default: that route is not served. */
  hardware?: () => Promise<HardwareSnapshot>;
}

export const adminRoutes: FastifyPluginAsyncTypebox<AdminOptions> = async (app, options) => {
  app.addHook("onRequest", loopbackOnly);
  app.get("/admin/server", async () => options.server);
  await app.register(pullRoutes, { prefix: "/admin", pulls: options.pulls });
  await app.register(adminModelRoutes, {
    prefix: "/admin",
    store: options.store,
    unloadModel: options.unloadModel,
    loadedModels: options.loadedModels,
  });
  // hardwareRoutes declares its full path (/admin/hardware) itself.
  if (options.hardware) await app.register(hardwareRoutes, { hardware: options.hardware });
};

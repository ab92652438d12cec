/**
 * The box's own API under `/admin`: downloads, model removal, the hardware snapshot. Who may call it is
 * decided by the app's auth hook (src/auth/guard.ts): a signed-in admin, an admin token or the local CLI;
 * loopback clients only when authentication is off. Each sub-plugin puts its routes under `/admin`.
 */
import type { FastifyPluginAsyncTypebox } from "@fastify/type-provider-typebox";
import type { LoadedModelStatus } from "../../engine/scheduler-types.js";
import type { HardwareSnapshot } from "../../hardware/snapshot.js";
import { hardwareRoutes } from "./hardware.js";
import { adminModelRoutes, type AdminModelStore } from "./models.js";
import { providerRoutes, type ProvidersAdmin } from "./providers.js";
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
  /** Stops a model's runner once idle, waiting a bounded time: false when it was still busy then. */
  unloadModel: (id: string) => Promise<boolean>;
  /** How long unloadModel waits, in ms. Default 10 s. */
  unloadWaitMs?: number;
  /** The models whose runners are up (the scheduler's `loaded`). */
  loadedModels: () => LoadedModelStatus[];
  server: ServerIdentity;
  /** The current hardware snapshot, for `GET /admin/hardware`. Default: that route is not served. */
  hardware?: () => Promise<HardwareSnapshot>;
  /** The providers this box uses, for `/admin/providers`. Default: those routes are not served. */
  providers?: ProvidersAdmin;
}

export const adminRoutes: FastifyPluginAsyncTypebox<AdminOptions> = async (app, options) => {
  app.get("/admin/server", async () => options.server);
  await app.register(pullRoutes, { prefix: "/admin", pulls: options.pulls });
  await app.register(adminModelRoutes, {
    prefix: "/admin",
    store: options.store,
    unloadModel: options.unloadModel,
    loadedModels: options.loadedModels,
    ...(options.unloadWaitMs !== undefined && { unloadWaitMs: options.unloadWaitMs }),
  });
  // hardwareRoutes declares its full path (/admin/hardware) itself.
  if (options.hardware) await app.register(hardwareRoutes, { hardware: options.hardware });
  if (options.providers) await app.register(providerRoutes, { providers: options.providers });
};

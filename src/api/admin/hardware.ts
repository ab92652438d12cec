/** `GET /admin/hardware`: the hardware snapshot the box decides by (the setup page shows it). */
import type { FastifyPluginAsync } from "fastify";
import { HardwareSnapshotSchema, type HardwareSnapshot } from "../../hardware/snapshot.js";

export interface HardwareRoutesOptions {
  /**
   * The current snapshot: the probe (which caches what does not change and re-reads memory, disk and
   * free VRAM) or a saved snapshot under `--hardware FILE`.
   */
  hardware: () => Promise<HardwareSnapshot>;
}

export const hardwareRoutes: FastifyPluginAsync<HardwareRoutesOptions> = async (app, { hardware }) => {
  // The response schema documents the shape and lets fastify serialize it without JSON.stringify.
  app.get("/admin/hardware", { schema: { response: { 200: HardwareSnapshotSchema } } }, async () => hardware());
};

/** `GET /health`: public liveness for load balancers, systemd and the setup page. */
import type { FastifyPluginAsync } from "fastify";

export interface HealthOptions {
  version: string;
  /** Loaded models for the health report; the scheduler provides it. */
  loadedModels: () => string[];
}

export const healthRoutes: FastifyPluginAsync<HealthOptions> = async (app, { version, loadedModels }) => {
  const startedAt = Date.now();
  app.get("/health", async () => ({
    status: "ok",
    version,
    uptimeSeconds: Math.round((Date.now() - startedAt) / 1000),
    loadedModels: loadedModels(),
  }));
};

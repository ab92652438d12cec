/**
 * `GET /metrics`: Prometheus text format (chaibox's own route, docs/chai-v1.md §11; it needs a token like
 * the API). Also counts and times every request by its route pattern (not its URL, so ids do not explode
 * the label set) and status.
 */
import type { FastifyPluginAsync } from "fastify";
import fp from "fastify-plugin";
import type { ChaiboxMetrics } from "../metrics/registry.js";

export interface MetricsRouteOptions {
  metrics: ChaiboxMetrics;
}

const plugin: FastifyPluginAsync<MetricsRouteOptions> = async (app, { metrics }) => {
  app.addHook("onResponse", async (request, reply) => {
    const labels = { method: request.method, route: request.routeOptions.url ?? "unmatched", status: String(reply.statusCode) };
    metrics.httpRequests.inc(labels);
    metrics.httpDuration.observe(labels, reply.elapsedTime / 1000);
  });
  app.get("/metrics", async (_request, reply) => {
    void reply.header("content-type", metrics.registry.contentType);
    return metrics.registry.metrics();
  });
};

/** Registered with fastify-plugin so its hook sees every route, not only its own. */
export const metricsRoutes = fp(plugin, { name: "chaibox-metrics" });

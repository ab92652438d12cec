/**
 * chaibox's Prometheus metrics (prom-client): HTTP requests, generation (time to first token, tokens), the
 * scheduler (queue depth, loaded models), runners (starts, crashes, restarts), downloads, and Node's own
 * process metrics. Gauges read their sources when scraped, so nothing polls between scrapes but the
 * event-loop delay sampler, once a second.
 */
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from "prom-client";

/** What the gauges read at scrape time. */
export interface MetricSources {
  /** The loaded models with the requests waiting for each. */
  loaded: () => { modelId: string; queued: number; active: number }[];
  /** The downloads the box knows, with their state and bytes received so far. */
  pulls: () => { id: string; state: string; receivedBytes: number }[];
}

/** The metrics of one server (one registry, so test servers in one process do not mix). */
export interface ChaiboxMetrics {
  registry: Registry;
  httpRequests: Counter<"method" | "route" | "status">;
  httpDuration: Histogram<"method" | "route" | "status">;
  timeToFirstToken: Histogram<"model">;
  tokensGenerated: Counter<"model">;
  runnerStarts: Counter<"model">;
  runnerCrashes: Counter<"model">;
  runnerRestarts: Counter<"model">;
  runnerLoadFailures: Counter<"model">;
}

/**
 * How often Node's event-loop delay is sampled for `nodejs_eventloop_lag_*`, in ms. prom-client's default (10)
 * wakes the service 100 times a second, idle or not: on a box that is power drawn for nothing, and while a
 * model generates, each wake takes a core from the decode's threads (one stream measured 0.968× of
 * llama-server with 10 ms, 0.990× with 1,000 ms; docs/performance.md). A stalled loop still shows: the next
 * sample comes late by the stall.
 */
export const EVENT_LOOP_SAMPLE_MS = 1000;

const ACTIVE_PULL = new Set(["queued", "downloading", "verifying"]);

export function createMetrics(sources: MetricSources): ChaiboxMetrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, eventLoopMonitoringPrecision: EVENT_LOOP_SAMPLE_MS });
  const registers = [registry];
  const received = new Map<string, number>();
  const downloaded = new Counter({ name: "chaibox_pull_downloaded_bytes_total", help: "Bytes downloaded by model pulls", registers });
  new Gauge({
    name: "chaibox_pulls_in_progress",
    help: "Model pulls queued, downloading or verifying",
    registers,
    collect() {
      const pulls = sources.pulls();
      // The counter grows by what each pull received since the last scrape (a pull may restart at 0: resumed).
      for (const pull of pulls) {
        const before = received.get(pull.id) ?? 0;
        if (pull.receivedBytes > before) downloaded.inc(pull.receivedBytes - before);
        received.set(pull.id, pull.receivedBytes);
      }
      this.set(pulls.filter((pull) => ACTIVE_PULL.has(pull.state)).length);
    },
  });
  new Gauge({
    name: "chaibox_queue_depth",
    help: "Requests waiting for a model's slot, by model",
    labelNames: ["model"],
    registers,
    collect() {
      this.reset();
      for (const model of sources.loaded()) this.set({ model: model.modelId }, model.queued);
    },
  });
  new Gauge({
    name: "chaibox_loaded_models",
    help: "Models whose runner is up",
    registers,
    collect() {
      this.set(sources.loaded().length);
    },
  });
  new Gauge({
    name: "chaibox_active_requests",
    help: "Requests being generated now, by model",
    labelNames: ["model"],
    registers,
    collect() {
      this.reset();
      for (const model of sources.loaded()) this.set({ model: model.modelId }, model.active);
    },
  });
  return {
    registry,
    httpRequests: new Counter({ name: "chaibox_http_requests_total", help: "HTTP requests by route and status", labelNames: ["method", "route", "status"], registers }),
    httpDuration: new Histogram({
      name: "chaibox_http_request_duration_seconds",
      help: "HTTP request latency (to the end of the answer, streams included) by route and status",
      labelNames: ["method", "route", "status"],
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120],
      registers,
    }),
    timeToFirstToken: new Histogram({
      name: "chaibox_time_to_first_token_seconds",
      help: "From a chat's start (queueing and loading included) to its first token, by model",
      labelNames: ["model"],
      buckets: [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60],
      registers,
    }),
    tokensGenerated: new Counter({ name: "chaibox_generated_tokens_total", help: "Completion tokens generated, by model", labelNames: ["model"], registers }),
    runnerStarts: new Counter({ name: "chaibox_runner_starts_total", help: "Runner processes started (model loads), by model", labelNames: ["model"], registers }),
    runnerCrashes: new Counter({ name: "chaibox_runner_crashes_total", help: "Runners that ended without being stopped, by model", labelNames: ["model"], registers }),
    runnerRestarts: new Counter({ name: "chaibox_runner_restarts_total", help: "Runners started for a model whose previous runner crashed, by model", labelNames: ["model"], registers }),
    runnerLoadFailures: new Counter({ name: "chaibox_runner_load_failures_total", help: "Runners started that could not load their model, by model", labelNames: ["model"], registers }),
  };
}

/**
 * The composition root: config → store → scheduler → app → listen. The only place that wires concrete
 * adapters together; everything below it takes its I/O as parameters.
 */
import { mkdir, rmdir } from "node:fs/promises";
import { join } from "node:path";
import pino, { type Logger } from "pino";
import type { FastifyInstance } from "fastify";
import { buildApp } from "./app.js";
import { resolvePaths, type Paths } from "./config/paths.js";
import { durationMs, type Config } from "./config/schema.js";
import type { LoadOptions } from "./engine/contract.js";
import { ChildProcessLauncher } from "./engine/runner-handle.js";
import { Scheduler } from "./engine/scheduler.js";
import { makeTestModel } from "./gguf/presets.js";
import { ModelStore } from "./models/store.js";
import { version } from "./version.js";

export const DEMO_MODEL_ID = "chaibox-demo";

export interface RunningServer {
  app: FastifyInstance;
  /** The address the server listens on, e.g. http://127.0.0.1:8080. */
  url: string;
  logger: Logger;
  scheduler: Scheduler;
  store: ModelStore;
  paths: Paths;
  /** Drains in-flight requests (up to the deadline), stops every runner, closes the server. */
  close(deadlineMs?: number): Promise<void>;
}

/** Installs the demo model when the store is empty and demo mode is on, saying plainly what it is. */
async function ensureDemoModel(store: ModelStore, paths: Paths, logger: Logger): Promise<void> {
  if (!(await store.isEmpty())) return;
  const file = join(paths.cacheDir, "chaibox-demo.gguf");
  await mkdir(paths.cacheDir, { recursive: true });
  await makeTestModel({ preset: "demo", quant: "q8_0", seed: 1, out: file });
  await store.add(file, { id: DEMO_MODEL_ID, source: { type: "generated", ref: "demo" }, move: true });
  logger.warn(
    { model: DEMO_MODEL_ID },
    `installed the demo model '${DEMO_MODEL_ID}': its weights are random, so it answers with word salad. ` +
      "Install a real model from the catalog (chaibox models pull) or add a GGUF file (chaibox models add).",
  );
}

function modelResolver(store: ModelStore, config: Config) {
  return async (modelId: string): Promise<LoadOptions> => {
    const model = await store.require(modelId);
    const trained = model.gguf.contextLength;
    const contextSize = trained ? Math.min(config.inference.contextSize, trained) : config.inference.contextSize;
    return {
      modelPath: model.path,
      contextSize,
      parallel: config.inference.parallel,
      threads: config.inference.threads,
      gpuLayers: config.inference.gpuLayers,
    };
  };
}

/** Starts chaibox with a validated configuration and listens on its port. */
export async function startServer(config: Config, options: { logger?: Logger } = {}): Promise<RunningServer> {
  const logger = options.logger ?? pino({ level: config.logLevel, base: { service: "chaibox" } });
  const paths = resolvePaths(config.dataDir);
  await mkdir(paths.runtimeDir, { recursive: true, mode: 0o700 });
  const store = await ModelStore.open(paths.dataDir);
  if (config.demoModel) await ensureDemoModel(store, paths, logger.child({ module: "demo" }));

  const launcher = new ChildProcessLauncher({ runtimeDir: paths.runtimeDir, logger: logger.child({ module: "runner" }) });
  const scheduler = new Scheduler({
    launcher,
    resolveModel: modelResolver(store, config),
    queueSize: config.inference.queueSize,
    keepAliveMs: durationMs(config.inference.keepAlive),
    maxLoadedModels: config.inference.maxLoadedModels,
    logger: logger.child({ module: "scheduler" }),
  });
  const app = await buildApp({
    inference: scheduler,
    models: store,
    loadedModels: () => scheduler.loaded().map((m) => m.modelId),
    version,
    bodyLimit: config.bodyLimit,
    logger,
  });
  const url = await app.listen({ host: config.host, port: config.port });
  logger.info({ url, dataDir: paths.dataDir, models: (await store.list()).map((m) => m.id) }, "chaibox is serving");

  return {
    app,
    url: url.replace("0.0.0.0", "127.0.0.1"),
    logger,
    scheduler,
    store,
    paths,
    async close(deadlineMs = 10_000) {
      await scheduler.stop(deadlineMs);
      await app.close();
      // Only when empty: the runners' sockets are gone by now, and a directory systemd manages stays intact.
      await rmdir(paths.runtimeDir).catch(() => undefined);
    },
  };
}

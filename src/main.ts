/**
 * The composition root: config → store → scheduler → app → listen. The only place that wires concrete
 * adapters together; everything below it takes its I/O as parameters.
 */
import { mkdir, rmdir } from "node:fs/promises";
import { hostname } from "node:os";
import { join } from "node:path";
import pino, { type Logger } from "pino";
import { logSink } from "./platform/log-sink.js";
import { withRequestLimits } from "./engine/request-limits.js";
import { unloadWithin } from "./engine/bounded-unload.js";
import type { FastifyInstance } from "fastify";
import { buildApp } from "./app.js";
import { resolvePaths, type Paths } from "./config/paths.js";
import { durationMs, type Config, type InferenceConfig } from "./config/schema.js";
import { Scheduler } from "./engine/scheduler.js";
import { makeTestModel } from "./gguf/presets.js";
import { describeHardware } from "./hardware/describe.js";
import { fallbackSnapshot } from "./hardware/fallback.js";
import { loadHardwareSnapshot } from "./hardware/load.js";
import { probeHardware } from "./hardware/probe.js";
import type { HardwareSnapshot } from "./hardware/snapshot.js";
import { checkModelLoads, InsightsProbe, runGpuProbe } from "./engine/native/client.js";
import { LoadFailures, rememberLoadFailures } from "./engine/load-failures.js";
import { loadPlanner, modelPlanner, type LoadPlanDeps } from "./models/load-plan.js";
import { BackgroundBenchmarks } from "./models/background-bench.js";
import { defaultCatalogPath, loadCatalog } from "./models/catalog.js";
import { withLiveSpeed, modelIsReady } from "./models/live-speed.js";
import { ModelInfoDirectory } from "./models/model-info.js";
import { boxId } from "./state/box-identity.js";
import { CHAI_SPEC_VERSION } from "./api/chai/well-known.js";
import { startAdvertising, type Advertiser } from "./platform/mdns.js";
import { ConsoleNotice, ipv4Addresses } from "./platform/console-notice.js";
import { PerformanceStore } from "./state/performance-store.js";
import { ModelStore } from "./models/store.js";
import { pullOptionsFromConfig } from "./models/pull/from-config.js";
import { resolveOllamaPull } from "./models/ollama-names.js";
import { PullManager } from "./models/pull/pull-manager.js";
import { loopbackUrl, removeServerFile, writeServerFile } from "./config/server-file.js";
import { openStateDatabase, stateDatabasePath, type StateDatabase } from "./state/db.js";
import { ResponsesStore } from "./state/responses-store.js";
import { chooseLauncher } from "./wiring/launcher.js";
import { createMetrics } from "./metrics/registry.js";
import { instrumentInference, instrumentLauncher } from "./metrics/instrument.js";
import { version } from "./version.js";
import { recommendModels } from "./models/recommend.js";
import { ServingSettings } from "./state/serving-settings.js";
import { webRoot } from "./api/web.js";
import { openAuth, type AuthService } from "./auth/service.js";
import { randomSecret } from "./auth/secrets.js";
import { withTokenUsage } from "./auth/usage.js";
import type { PairingOptions } from "./auth/pairing.js";

export const DEMO_MODEL_ID = "chaibox-demo";

export interface RunningServer {
  app: FastifyInstance;
  /** The address the server listens on, e.g. http://127.0.0.1:8080. */
  url: string;
  logger: Logger;
  scheduler: Scheduler;
  store: ModelStore;
  /** Model downloads (`/admin/models/pulls`). */
  pulls: PullManager;
  /** The SQLite state (`<dataDir>/state.db`); closed by `close()`. */
  db: StateDatabase;
  /** Admin account, sessions, app tokens and pairings. */
  auth: AuthService;
  /** The admin key of this run that the local CLI reads from `server.json`. */
  localKey: string;
  paths: Paths;
  /** The mDNS advertisement (`update(name)` when the box is renamed). */
  advertiser: Advertiser;
  /** Drains in-flight requests (up to the deadline), stops every runner, closes the server. */
  close(deadlineMs?: number): Promise<void>;
}

/** Installs the demo model when the store is empty and demo mode is on, saying plainly what it is. */
async function ensureDemoModel(store: ModelStore, paths: Paths, logger: Logger): Promise<void> {
  if (!(await store.isEmpty())) return;
  // A name of this process's own: two servers starting on empty stores must not move each other's file.
  const file = join(paths.cacheDir, `chaibox-demo-${process.pid}.gguf`);
  await mkdir(paths.cacheDir, { recursive: true });
  await makeTestModel({ preset: "demo", quant: "q8_0", seed: 1, out: file });
  await store.add(file, { id: DEMO_MODEL_ID, source: { type: "generated", ref: "demo" }, move: true });
  logger.warn(
    { model: DEMO_MODEL_ID },
    `installed the demo model '${DEMO_MODEL_ID}': its weights are random, so it answers with word salad. ` +
      "Install a real model from the catalog (chaibox models pull) or add a GGUF file (chaibox models add).",
  );
}

/**
 * Chai's model descriptions and speed figures: the `/v1/models` directory, the inference service with live
 * timing (what the dialects get), and the background benchmarks, all over one performance store.
 */
/** The catalog file in use: `models.catalogFile`, else the one chaibox ships. */
function catalogPath(config: Config): string {
  return config.models.catalogFile === "" ? defaultCatalogPath : config.models.catalogFile;
}

function chaiModels(config: Config, deps: { store: ModelStore; scheduler: Scheduler; db: StateDatabase; plan: LoadPlanDeps; logger: Logger }) {
  const { store, scheduler, plan, logger } = deps;
  const speeds = new PerformanceStore(deps.db);
  const catalogFile = catalogPath(config);
  let catalog: ReturnType<typeof loadCatalog> | undefined;
  const directory = new ModelInfoDirectory({
    models: () => store.list(),
    insights: plan.insights,
    plan: modelPlanner(plan),
    loaded: () => scheduler.loaded(),
    speed: (sha256) => speeds.get(sha256),
    // Read once: the catalog only names each catalog model's family here.
    catalog: () => (catalog ??= loadCatalog(catalogFile)).catch(() => undefined),
    warn: (object, message) => logger.warn(object, message),
  });
  const benchmarks = new BackgroundBenchmarks({
    engine: scheduler,
    maxLoadedModels: config.inference.maxLoadedModels,
    models: () => store.list(),
    traits: async (model) => (await plan.insights(model.path, model.sha256)).traits,
    measured: (model) => speeds.get(model.sha256).measured !== undefined,
    save: (model, result) => void speeds.saveMeasured(model.sha256, model.id, result),
    quietMs: durationMs(config.models.benchmarkWhenIdle),
    logger: logger.child({ module: "benchmark" }),
  });
  const inference = withLiveSpeed(scheduler, {
    isReady: (modelId) => modelIsReady(scheduler, modelId),
    record: (modelId, sample) => {
      store
        .get(modelId)
        .then((model) => model && speeds.addLiveSample(model.sha256, modelId, sample))
        .catch((error: unknown) => logger.warn({ model: modelId, err: (error as Error).message }, "recording live speed failed"));
    },
    onRequest: benchmarks.onRequest,
  });
  return { directory, benchmarks, inference };
}

/**
 * The hardware fit decides from: a saved snapshot (`--hardware FILE`, for simulations) or this machine,
 * probed again on each load so the memory figures are current (the probe caches what does not change).
 */
async function hardwareSource(options: StartOptions, paths: Paths, logger: Logger): Promise<() => Promise<HardwareSnapshot>> {
  if (options.hardwareFile !== undefined) {
    const snapshot = await loadHardwareSnapshot(options.hardwareFile);
    logger.warn({ file: options.hardwareFile }, `acting as if on simulated hardware: ${snapshot.source}`);
    for (const line of describeHardware(snapshot)) logger.info(line);
    return () => Promise.resolve(snapshot);
  }
  const probe = () =>
    probeHardware({ modelsDir: paths.modelsDir, runGpuProbe, ...options.probe }).catch((error: unknown) => ({
      snapshot: fallbackSnapshot(paths.modelsDir),
      warnings: [`cannot read the hardware (${(error as Error).message}); sizing models for the CPU and the memory free now`],
    }));
  // Logged once, in the background: the GPU probe takes a few seconds and must not delay listening.
  probe().then(
    ({ snapshot, warnings }) => {
      for (const line of describeHardware(snapshot)) logger.info(line);
      for (const warning of warnings) logger.warn(warning);
    },
    // probe() never rejects: a failure comes back as the fallback snapshot and a warning.
    () => undefined,
  );
  return async () => (await probe()).snapshot;
}

/**
 * Says at every start what the owner must know: that the API is open (`--no-auth`), and until setup is done,
 * the setup code that the first-run page asks for.
 */
/** A duration for a Node timer: 'forever' is 0, which Node's HTTP server reads as no timeout. */
function finiteMs(value: number | string): number {
  const ms = durationMs(value);
  return Number.isFinite(ms) ? ms : 0;
}

function announceAuth(config: Config, auth: AuthService, logger: Logger): void {
  if (!config.auth.required) {
    logger.warn(
      "AUTHENTICATION IS OFF (--no-auth): anyone who can reach this port can use every model without a token. " +
        "Use this for development only; /admin still answers only on this machine.",
    );
  }
  const setupCode = auth.account.setupCode();
  if (setupCode !== undefined) {
    logger.warn({ setupCode }, `this box is not set up yet: open its page and enter the setup code ('chaibox setup-code' prints it too)`);
    // On a line of its own, so it stands out on a console and is easy to read from a photo of the screen.
    logger.warn({ setupCode }, `Setup code: ${setupCode}`);
  }
}

export interface StartOptions {
  logger?: Logger;
  /** A saved hardware snapshot to act as if on (`serve --hardware FILE`). */
  hardwareFile?: string;
  /** Pairing timings (tests shorten the polling interval). Default: RFC 8628's 5 s interval, 10 minutes to approve. */
  pairing?: PairingOptions;
  /** Hardware probe settings (tests turn the GPU probe off to start faster). */
  probe?: { gpuProbe?: boolean };
}

/** Starts chaibox with a validated configuration and listens on its port. */
export async function startServer(config: Config, options: StartOptions = {}): Promise<RunningServer> {
  const logger = options.logger ?? pino({ level: config.logLevel, base: { service: "chaibox" } }, logSink());
  const paths = resolvePaths(config.dataDir);
  await mkdir(paths.runtimeDir, { recursive: true, mode: 0o700 });
  const store = await ModelStore.open(paths.dataDir);
  const db = openStateDatabase(stateDatabasePath(paths.dataDir));
  if (config.demoModel) await ensureDemoModel(store, paths, logger.child({ module: "demo" }));

  const hardware = await hardwareSource(options, paths, logger.child({ module: "hardware" }));
  const insights = new InsightsProbe(paths.cacheDir);
  const loadFailures = new LoadFailures();
  const servingSettings = new ServingSettings(db);
  // What the owner chose on the Settings screen wins over the file; loads read this object, so a change
  // applies to the next load.
  const servingConfig: InferenceConfig = { ...config.inference, ...servingSettings.overrides() };
  const planDeps: LoadPlanDeps = {
    model: (id) => store.require(id),
    // A file that cannot be measured is not measured again on every request (see load-failures.ts).
    insights: (path, sha256) => loadFailures.guard(undefined, path, () => insights.measure(path, sha256)),
    hardware,
    inference: servingConfig,
  };
  const resolveModel = loadPlanner(planDeps);

  const runners = await chooseLauncher({
    setting: config.inference.launcher,
    runtimeDir: paths.runtimeDir,
    logger: logger.child({ module: "runner" }),
  });
  // Reads the scheduler and the pulls only when scraped, so they may be made below.
  const metrics = createMetrics({ loaded: () => scheduler.loaded(), pulls: () => pulls.list() });
  const scheduler = new Scheduler({
    // Outside the instrumentation: a remembered failure starts no runner and counts as none.
    launcher: rememberLoadFailures(instrumentLauncher(runners.launcher, metrics), loadFailures),
    resolveModel,
    queueSize: config.inference.queueSize,
    keepAliveMs: durationMs(servingConfig.keepAlive),
    maxLoadedModels: config.inference.maxLoadedModels,
    logger: logger.child({ module: "scheduler" }),
  });
  const chai = chaiModels(config, { store, scheduler, db, plan: planDeps, logger });
  const pulls = new PullManager({ store, dataDir: paths.dataDir, ...pullOptionsFromConfig(config), checkLoad: checkModelLoads, logger: logger.child({ module: "pull" }) });
  const responses = new ResponsesStore(db, { retentionMs: durationMs(config.responses.retention) });
  const responsesLogger = logger.child({ module: "responses" });
  responses.start(undefined, (error) => responsesLogger.warn({ err: error }, "purging expired responses failed; retrying later"));
  const auth = openAuth(db, options.pairing && { pairing: options.pairing });
  announceAuth(config, auth, logger.child({ module: "auth" }));
  const localKey = randomSecret("local_");
  const id = boxId(db);
  // The name the owner chose on the setup page wins over the configured one, which wins over the host name.
  const boxName = () => auth.account.boxName() ?? (config.box.name || hostname() || "chaibox");
  const unloadWaitMs = finiteMs(config.inference.unloadWait);
  const limits = { maxTokens: config.inference.maxTokens, timeoutMs: durationMs(config.inference.requestTimeout) };
  const inference = withTokenUsage(instrumentInference(withRequestLimits(chai.inference, limits), metrics), (tokenId, prompt, completion) => auth.tokens.addUsage(tokenId, prompt, completion));
  // Set once listening: the first publication already carries the name of that moment.
  const mdns: { advertiser?: Advertiser } = {};
  // The name apps and people type: the one the responder really holds (Avahi renames the host on a collision).
  const mdnsHostName = () => mdns.advertiser?.hostName() ?? `${hostname() || "chaibox"}.local`;
  const announceName = (name: string): void => {
    mdns.advertiser?.update(name).catch((error: unknown) => logger.warn({ err: (error as Error).message }, "announcing the new box name over mDNS failed"));
  };
  const app = await buildApp({
    auth: {
      service: auth,
      required: config.auth.required,
      localKey,
      boxName,
      onBoxNameChange: announceName,
      serving: {
        values: () => ({ keepAlive: servingConfig.keepAlive, parallel: servingConfig.parallel }),
        update: (patch) => {
          servingSettings.update(patch);
          Object.assign(servingConfig, patch);
          if (patch.keepAlive !== undefined) scheduler.setKeepAlive(durationMs(patch.keepAlive));
        },
      },
    },
    admin: {
      pulls,
      store,
      unloadModel: (id) => unloadWithin(scheduler.unload(id), unloadWaitMs),
      unloadWaitMs,
      loadedModels: () => scheduler.loaded(),
      server: { pid: process.pid, dataDir: paths.dataDir, version },
      hardware,
    },
    ollama: {
      inference,
      models: chai.directory,
      store,
      loadedModels: () => scheduler.loaded(),
      unloadModel: (id) => unloadWithin(scheduler.unload(id), unloadWaitMs),
      unloadWaitMs,
      pulls,
      // Read per pull: a catalog file edited while serving is picked up, as `chaibox models pull` reads it.
      resolvePull: async (name) => resolveOllamaPull(await loadCatalog(catalogPath(config)), name),
      version,
    },
    overview: {
      boxName,
      // The host name the responder really holds (Avahi renames the host on a collision).
      mdns: () => {
        const responder = mdns.advertiser?.responder ?? "none";
        return { responder, host: responder === "none" ? null : mdnsHostName() };
      },
      version,
      hardware,
      models: chai.directory,
      loadedModels: () => scheduler.loaded(),
      recommend: async () =>
        recommendModels({ catalog: await loadCatalog(catalogPath(config)), installed: await store.list(), insights: planDeps.insights, snapshot: await hardware(), inference: servingConfig }),
      catalog: () => loadCatalog(catalogPath(config)).catch(() => undefined),
    },
    webRoot,
    inference,
    responses,
    models: chai.directory,
    discovery: { box: () => ({ id, name: boxName() }), authRequired: config.auth.required },
    loadedModels: () => scheduler.loaded().map((m) => m.modelId),
    version,
    bodyLimit: config.bodyLimit,
    // From the environment a boolean arrives as text; any other text is the proxy's addresses.
    trustProxy: config.trustProxy === "true" ? true : config.trustProxy === "false" ? false : config.trustProxy,
    requestTimeoutMs: finiteMs(config.http.requestTimeout),
    connectionTimeoutMs: finiteMs(config.http.connectionTimeout),
    metrics,
    logger,
  });
  const url = await app.listen({ host: config.host, port: config.port });
  logger.info({ url, dataDir: paths.dataDir, models: (await store.list()).map((m) => m.id) }, "chaibox is serving");
  await writeServerFile(paths.dataDir, { pid: process.pid, url: loopbackUrl(url), dataDir: paths.dataDir, startedAt: new Date().toISOString(), adminKey: localKey });
  chai.benchmarks.start();
  // After listen: the advertisement carries the real port (port 0 picks one).
  const address = app.server.address();
  const port = typeof address === "object" && address !== null ? address.port : config.port;
  const advertising = await startAdvertising(config.mdns, { boxId: id, name: boxName(), port, specVersion: CHAI_SPEC_VERSION }, logger.child({ module: "mdns" }));
  mdns.advertiser = advertising;
  const consoleNotice = new ConsoleNotice(
    paths.runtimeDir,
    () => ({ boxName: boxName(), mdnsHost: mdnsHostName(), addresses: ipv4Addresses(), port, setupCode: auth.account.setupCode() }),
    logger.child({ module: "console" }),
  );
  await consoleNotice.start();

  return {
    app,
    url: url.replace("0.0.0.0", "127.0.0.1"),
    logger,
    scheduler,
    store,
    pulls,
    db,
    auth,
    localKey,
    paths,
    advertiser: advertising,
    async close(deadlineMs = 10_000) {
      // First: apps stop finding a box that is going away.
      await consoleNotice.stop();
      await advertising.close();
      // Partials stay on disk: the next pull of the same file resumes them.
      await pulls.stop();
      await removeServerFile(paths.dataDir);
      await chai.benchmarks.stop();
      await scheduler.stop(deadlineMs);
      runners.close();
      await app.close();
      responses.stop();
      auth.tokens.flushQuietly();
      db.close();
      // Only when empty: the runners' sockets are gone by now, and a directory systemd manages stays intact.
      await rmdir(paths.runtimeDir).catch(() => undefined);
    },
  };
}

/**
 * The composition root: the only place that wires concrete adapters together; everything below it takes
 * its I/O as parameters. Each concern is wired by a function of what it needs, in wiring/.
 *
 * Startup, in order:
 *  1. stores    wiring/state.ts      runtime directory, model store (+ the demo model), state database,
 *                                    serving settings (the one source of the inference settings in force)
 *  2. hardware  wiring/hardware.ts   the snapshot source: a saved file, or this machine (logged once)
 *  3. engine    wiring/engine.ts     insights probe, load planner, launcher choice (logged once), scheduler;
 *                                    metrics first, since the launcher is instrumented
 *  4. pulls     wiring/state.ts      model downloads
 *  5. accounts  wiring/state.ts      stored responses (purged periodically), auth (+ the setup-code notice),
 *                                    the box's id and name
 *  6. pipeline  wiring/inference.ts  model directory, benchmarks, the inference pipeline the dialects call
 *                                    (its steps and their order: engine/pipeline/index.ts)
 *  7. http      wiring/http.ts       buildApp with every route's dependencies, then listen
 *  8. announce  wiring/platform.ts   server.json for the CLI, background benchmarks, mDNS, console notice
 *  Then cli/serve.ts tells systemd (READY, watchdog, status) through wiring/service.ts.
 *
 * Shutdown (`close`, wiring/lifecycle.ts): console notice and mDNS, pulls, server.json, benchmarks, the
 * scheduler (drains requests up to the deadline and ends every runner), the launcher, the HTTP server,
 * the responses purge, token usage, the usage ledger, the database, the runtime directory.
 */
import type { FastifyInstance } from "fastify";
import pino, { type Logger } from "pino";
import type { PairingOptions } from "./auth/pairing.js";
import type { AuthService } from "./auth/service.js";
import type { UsageLedger } from "./budgets/usage-ledger.js";
import type { Paths } from "./config/paths.js";
import type { Config } from "./config/schema.js";
import type { Scheduler } from "./engine/scheduler.js";
import { createMetrics } from "./metrics/registry.js";
import type { PullManager } from "./models/pull/pull-manager.js";
import type { ModelStore } from "./models/store.js";
import { logSink } from "./platform/log-sink.js";
import type { Advertiser } from "./platform/mdns.js";
import type { StateDatabase } from "./state/db.js";
import { startEngine } from "./wiring/engine.js";
import { hardwareSource, type HardwareOptions } from "./wiring/hardware.js";
import { buildHttpApp } from "./wiring/http.js";
import { wireInference } from "./wiring/inference.js";
import { wireProviders } from "./wiring/providers.js";
import { PerformanceStore } from "./models/performance/performance-store.js";
import { stopRun } from "./wiring/lifecycle.js";
import { announce, MdnsState } from "./wiring/platform.js";
import { openAccounts, openPulls, openStores } from "./wiring/state.js";

export { DEMO_MODEL_ID } from "./wiring/state.js";

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
  /** Usage and cost per app token, provider and month, and each app's monthly budget. */
  budgets: UsageLedger;
  /** The admin key of this run that the local CLI reads from `server.json`. */
  localKey: string;
  paths: Paths;
  /** The mDNS advertisement (`update(name)` when the box is renamed). */
  advertiser: Advertiser;
  /** Drains in-flight requests (up to the deadline), stops every runner, closes the server. */
  close(deadlineMs?: number): Promise<void>;
}

export interface StartOptions extends HardwareOptions {
  logger?: Logger;
  /** Pairing timings (tests shorten the polling interval). Default: RFC 8628's 5 s interval, 10 minutes to approve. */
  pairing?: PairingOptions;
}

/** Starts chaibox with a validated configuration and listens on its port. */
export async function startServer(config: Config, options: StartOptions = {}): Promise<RunningServer> {
  const logger = options.logger ?? pino({ level: config.logLevel, base: { service: "chaibox" } }, logSink());
  const stores = await openStores(config, logger);
  const { paths, store, db, settings } = stores;
  const hardware = await hardwareSource(options, paths, logger.child({ module: "hardware" }));
  // Reads the scheduler and the pulls only when scraped, so they may be made below.
  const metrics = createMetrics({ loaded: () => engine.scheduler.loaded(), pulls: () => pulls.list() });
  const engine = await startEngine(config, { paths, store, settings, hardware, metrics, logger });
  const pulls = openPulls(config, stores, logger);
  const accounts = openAccounts(config, db, options.pairing, logger);
  const speeds = new PerformanceStore(db);
  const providers = wireProviders(config, {
    db,
    store,
    scheduler: engine.scheduler,
    localSpeed: (sha256) => {
      const figures = speeds.get(sha256);
      return (figures.measured ?? figures.live)?.generationTokensPerSecond ?? undefined;
    },
    boxName: accounts.boxName,
    boxId: accounts.boxId,
    logger,
  });
  const chai = wireInference(config, {
    store,
    scheduler: engine.scheduler,
    db,
    plan: engine.planDeps,
    metrics,
    auth: accounts.auth,
    budgets: accounts.budgets,
    speeds,
    providers,
    logger,
  });
  // Filled once listening: the first publication already carries the name of that moment.
  const mdns = new MdnsState(logger);
  const app = await buildHttpApp(config, { paths, store, settings, pulls, engine, chai, providers, accounts, hardware, mdns, metrics, logger });

  const url = await app.listen({ host: config.host, port: config.port });
  logger.info({ url, dataDir: paths.dataDir, models: (await store.list()).map((m) => m.id) }, "chaibox is serving");
  chai.benchmarks.start();
  // After listen: the advertisement carries the real port (port 0 picks one).
  const address = app.server.address();
  const port = typeof address === "object" && address !== null ? address.port : config.port;
  const { boxId, boxName, localKey, auth } = accounts;
  const announcements = await announce(config, { url, port, paths, localKey, boxId, boxName, setupCode: () => auth.account.setupCode(), mdns, logger });

  return {
    app,
    url: url.replace("0.0.0.0", "127.0.0.1"),
    logger,
    scheduler: engine.scheduler,
    store,
    pulls,
    db,
    auth,
    budgets: accounts.budgets,
    localKey,
    paths,
    advertiser: announcements.advertiser,
    close: (deadlineMs = 10_000) => stopRun({ stores, pulls, engine, chai, providers, accounts, app, announcements }, deadlineMs),
  };
}

/**
 * Wiring: the HTTP app — every route group's dependencies from the parts of the run. buildApp (app.ts) only
 * registers routes; here each one is told where its data comes from.
 */
import type { FastifyInstance } from "fastify";
import type { Logger } from "pino";
import { buildApp } from "../app.js";
import { webRoot } from "../api/web.js";
import type { Paths } from "../config/paths.js";
import { durationMs, type Config } from "../config/schema.js";
import { unloadWithin } from "../engine/bounded-unload.js";
import { engineStatus } from "../engine/native/engine-files.js";
import type { ChaiboxMetrics } from "../metrics/registry.js";
import { loadCatalog } from "../models/catalog.js";
import { contextRequests } from "../models/planning/context-request.js";
import { resolveOllamaPull } from "../models/ollama-names.js";
import type { PullManager } from "../models/pull/pull-manager.js";
import { recommendModels } from "../models/planning/recommend.js";
import type { ModelStore } from "../models/store.js";
import type { ServingSettings } from "../state/serving-settings.js";
import { version } from "../version.js";
import type { EngineParts } from "./engine.js";
import { catalogPath, type InferenceParts } from "./inference.js";
import type { MdnsState } from "./platform.js";
import type { ProvidersParts } from "./providers.js";
import type { Accounts } from "./state.js";
import type { HardwareSnapshot } from "../hardware/snapshot.js";

/** A duration for a Node timer: 'forever' is 0, which Node's HTTP server reads as no timeout. */
function finiteMs(value: number | string): number {
  const ms = durationMs(value);
  return Number.isFinite(ms) ? ms : 0;
}

/** The parts of the run the routes use. */
export interface HttpNeeds {
  paths: Paths;
  store: ModelStore;
  settings: ServingSettings;
  pulls: PullManager;
  engine: EngineParts;
  chai: InferenceParts;
  providers: ProvidersParts;
  accounts: Accounts;
  hardware: () => Promise<HardwareSnapshot>;
  mdns: MdnsState;
  metrics: ChaiboxMetrics;
  logger: Logger;
}

/** Builds the app (not listening yet). */
export function buildHttpApp(config: Config, needs: HttpNeeds): Promise<FastifyInstance> {
  const { paths, store, settings, pulls, chai, providers, accounts, hardware, mdns, metrics, logger } = needs;
  const { registry } = providers;
  const { scheduler, planDeps } = needs.engine;
  const { auth, boxName, budgets } = accounts;
  const unloadWaitMs = finiteMs(config.inference.unloadWait);
  const unloadModel = (id: string) => unloadWithin(scheduler.unload(id), unloadWaitMs);
  const loadedModels = () => scheduler.loaded();
  return buildApp({
    auth: {
      service: auth,
      budgets,
      required: config.auth.required,
      localKey: accounts.localKey,
      boxName,
      onBoxNameChange: (name) => mdns.announce(name),
      serving: {
        values: () => settings.values(),
        update: (patch) => {
          settings.update(patch);
          if (patch.keepAlive !== undefined) scheduler.setKeepAlive(durationMs(patch.keepAlive));
        },
      },
    },
    admin: {
      pulls,
      store,
      unloadModel,
      unloadWaitMs,
      loadedModels,
      server: { pid: process.pid, dataDir: paths.dataDir, version },
      hardware,
      providers: {
        list: () => registry.list(),
        get: (id) => registry.get(id),
        add: (input) => registry.add(input),
        pairAgain: (id) => registry.pairAgain(id),
        remove: (id) => registry.remove(id),
        discover: providers.discoverBoxes,
      },
    },
    ollama: {
      inference: chai.inference,
      models: chai.directory,
      store,
      loadedModels,
      unloadModel,
      unloadWaitMs,
      contextFor: contextRequests(planDeps),
      pulls,
      // Read per pull: a catalog file edited while serving is picked up, as `chaibox models pull` reads it.
      resolvePull: async (name) => resolveOllamaPull(await loadCatalog(catalogPath(config)), name),
      version,
    },
    overview: {
      boxName,
      // The host name the responder really holds (Avahi renames the host on a collision).
      mdns: () => mdns.describe(),
      version,
      hardware,
      models: chai.directory,
      loadedModels,
      recommend: async () =>
        recommendModels({ catalog: await loadCatalog(catalogPath(config)), installed: await store.list(), insights: planDeps.insights, snapshot: await hardware(), inference: settings.inference }),
      catalog: () => loadCatalog(catalogPath(config)).catch(() => undefined),
      engine: () => engineStatus(),
    },
    webRoot,
    inference: chai.inference,
    responses: accounts.responses,
    models: chai.directory,
    discovery: { box: () => ({ id: accounts.boxId, name: boxName() }), authRequired: config.auth.required },
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
}

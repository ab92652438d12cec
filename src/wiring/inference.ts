/**
 * Wiring: Chai's model descriptions and speed figures — the `/v1/models` directory, the background
 * benchmarks, and the inference pipeline the dialects call (engine/pipeline): the scheduler with model
 * choice, admission, budgets, per-token usage, metrics, request limits and live timing filled in, all over
 * one performance store.
 */
import type { Logger } from "pino";
import type { AuthService } from "../auth/service.js";
import { priceList } from "../budgets/price-list.js";
import type { UsageLedger } from "../budgets/usage-ledger.js";
import { durationMs, type Config } from "../config/schema.js";
import { chooseModel } from "../models/selection/auto-model.js";
import { inferencePipeline, type BudgetPorts, type RunInference } from "../engine/pipeline/index.js";
import type { Scheduler } from "../engine/scheduler.js";
import { inferenceMetrics } from "../metrics/instrument.js";
import type { ChaiboxMetrics } from "../metrics/registry.js";
import { BackgroundBenchmarks } from "../models/performance/background-bench.js";
import { defaultCatalogPath, loadCatalog } from "../models/catalog.js";
import { liveSpeedPorts, modelIsReady } from "../models/performance/live-speed.js";
import { modelPlanner, type LoadPlanDeps } from "../models/planning/load-plan.js";
import { ModelInfoDirectory } from "../models/description/model-info.js";
import type { ModelStore } from "../models/store.js";
import type { StateDatabase } from "../state/db.js";
import type { PerformanceStore } from "../models/performance/performance-store.js";
import type { ChaiModelDirectory } from "../models/description/model-description.js";
import type { ProvidersParts } from "./providers.js";

/** The catalog file in use: `models.catalogFile`, else the one chaibox ships. */
export function catalogPath(config: Config): string {
  return config.models.catalogFile === "" ? defaultCatalogPath : config.models.catalogFile;
}

/** What the inference wiring needs. */
export interface InferenceNeeds {
  store: ModelStore;
  scheduler: Scheduler;
  db: StateDatabase;
  plan: LoadPlanDeps;
  metrics: ChaiboxMetrics;
  auth: AuthService;
  /** The speed figures of this box's models. */
  speeds: PerformanceStore;
  providers: ProvidersParts;
  budgets: UsageLedger;
  logger: Logger;
}

/** The described models, their benchmarks and the inference service. */
export interface InferenceParts {
  /** This box's models, then the providers' (what `/v1/models`, select and `auto` see). */
  directory: ChaiModelDirectory;
  /** This box's models only. */
  localDirectory: ModelInfoDirectory;
  benchmarks: BackgroundBenchmarks;
  /** What every dialect calls: the inference pipeline. */
  inference: RunInference;
}

/** Builds the model directory, the benchmarks and the inference pipeline around the scheduler. */
export function wireInference(config: Config, needs: InferenceNeeds): InferenceParts {
  const { store, scheduler, plan, metrics, auth, speeds, providers, logger } = needs;
  const catalogFile = catalogPath(config);
  let catalog: ReturnType<typeof loadCatalog> | undefined;
  const localDirectory = new ModelInfoDirectory({
    models: () => store.list(),
    insights: plan.insights,
    plan: modelPlanner(plan),
    loaded: () => scheduler.loaded(),
    speed: (sha256) => speeds.get(sha256),
    // Read once: the catalog only names each catalog model's family here.
    catalog: () => (catalog ??= loadCatalog(catalogFile)).catch(() => undefined),
    warn: (object, message) => logger.warn(object, message),
  });
  // The providers' models come from what their last check found: listing never waits on a provider.
  const directory: ChaiModelDirectory = { list: async () => [...(await localDirectory.list()), ...providers.registry.models()] };
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
  const liveSpeed = liveSpeedPorts({
    isReady: (modelId) => modelIsReady(scheduler, modelId),
    record: (modelId, sample) => {
      store
        .get(modelId)
        .then((model) => model && speeds.addLiveSample(model.sha256, modelId, sample))
        .catch((error: unknown) => logger.warn({ model: modelId, err: (error as Error).message }, "recording live speed failed"));
    },
    onRequest: benchmarks.onRequest,
  });
  const inference = inferencePipeline(providers.engine, {
    route: providers.route,
    chooseModel: (request, streaming, caller) =>
      chooseModel(directory, request, streaming, caller.tokenId === undefined ? undefined : needs.budgets.standing(caller.tokenId)),
    budget: budgetPorts(needs),
    usage: (tokenId, prompt, completion) => auth.tokens.addUsage(tokenId, prompt, completion),
    metrics: inferenceMetrics(metrics),
    limits: { maxTokens: config.inference.maxTokens, timeoutMs: durationMs(config.inference.requestTimeout) },
    liveSpeed,
  });
  return { directory, localDirectory, benchmarks, inference };
}

/**
 * The budget step's ports: prices as `/v1/models` lists them (kept for a few seconds), the ledger, the provider
 * of a model. This box's own models are free, so only the providers' models are read for their prices.
 */
function budgetPorts(needs: InferenceNeeds): BudgetPorts {
  const { budgets, logger, providers } = needs;
  const listed = priceList(async () => providers.registry.models());
  return {
    price: async (modelId) =>
      listed(modelId).catch((error: unknown) => {
        logger.warn({ model: modelId, err: (error as Error).message }, "reading the model prices failed; this call is counted as free");
        return undefined;
      }),
    provider: (modelId) => needs.providers.registry.lookup(modelId)?.state.spec.id ?? "",
    record: (usage) => budgets.record(usage),
    standing: (tokenId) => budgets.standing(tokenId),
  };
}

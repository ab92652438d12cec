/**
 * Wiring: the engine — the load planner (model file → insights → fit on the current hardware and serving
 * settings), the launcher this box starts runners with, and the scheduler over them.
 */
import type { Logger } from "pino";
import type { Paths } from "../config/paths.js";
import { durationMs, type Config } from "../config/schema.js";
import { InsightsProbe } from "../engine/native/client.js";
import { LoadFailures, rememberLoadFailures } from "../engine/load-failures.js";
import { Scheduler } from "../engine/scheduler.js";
import type { HardwareSnapshot } from "../hardware/snapshot.js";
import { instrumentLauncher } from "../metrics/instrument.js";
import type { ChaiboxMetrics } from "../metrics/registry.js";
import { loadPlanner, type LoadPlanDeps } from "../models/planning/load-plan.js";
import type { ModelStore } from "../models/store.js";
import type { ServingSettings } from "../state/serving-settings.js";
import { chooseLauncher, type LauncherChoice } from "./launcher.js";

/** What the engine wiring needs. */
export interface EngineNeeds {
  paths: Paths;
  store: ModelStore;
  settings: ServingSettings;
  hardware: () => Promise<HardwareSnapshot>;
  metrics: ChaiboxMetrics;
  logger: Logger;
}

/** The engine of one run. */
export interface EngineParts {
  /** What the load planner reads: also the model directory's and the recommendations' source. */
  /** The load planner's dependencies, with the contexts clients asked for (num_ctx) that later loads give. */
  planDeps: LoadPlanDeps & { contextWanted: Map<string, number> };
  /** The launcher in use; `close()` after the runners have stopped. */
  launchers: LauncherChoice;
  scheduler: Scheduler;
}

/** Chooses the launcher (logged once) and builds the scheduler over it. */
export async function startEngine(config: Config, needs: EngineNeeds): Promise<EngineParts> {
  const { paths, store, settings, hardware, metrics, logger } = needs;
  const insights = new InsightsProbe(paths.cacheDir);
  const loadFailures = new LoadFailures();
  const planDeps: EngineParts["planDeps"] = {
    model: (id) => store.require(id),
    // A file that cannot be measured is not measured again on every request (see load-failures.ts).
    insights: (path, sha256) => loadFailures.guard(undefined, path, () => insights.measure(path, sha256)),
    hardware,
    // Live: a change on the Settings screen applies to the next load.
    inference: settings.inference,
    // The contexts clients asked for (num_ctx), per model: later loads give them.
    contextWanted: new Map<string, number>(),
  };
  const launchers = await chooseLauncher({
    setting: config.inference.launcher,
    runtimeDir: paths.runtimeDir,
    logger: logger.child({ module: "runner" }),
  });
  const scheduler = new Scheduler({
    // Outside the instrumentation: a remembered failure starts no runner and counts as none.
    launcher: rememberLoadFailures(instrumentLauncher(launchers.launcher, metrics), loadFailures),
    resolveModel: loadPlanner(planDeps),
    queueSize: config.inference.queueSize,
    keepAliveMs: durationMs(settings.inference.keepAlive),
    maxLoadedModels: config.inference.maxLoadedModels,
    logger: logger.child({ module: "scheduler" }),
  });
  return { planDeps, launchers, scheduler };
}

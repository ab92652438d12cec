/**
 * `chaibox bench <model>`: measures an installed model's speed with the fixed benchmark of
 * models/performance/benchmark.ts and stores the figures in the data dir's SQLite state, where `/v1/models` reads them
 * (`performance.source: "measured"`, also in a server already running on the data dir).
 *
 * It runs the engine in this process: the model is loaded into a runner of its own with the settings fit
 * gives it on this box now, exactly as `chaibox serve` would load it, and stopped afterwards. So it needs no
 * running server; next to one it competes for the CPU, and is best run when the box is quiet.
 */
import pino from "pino";
import { resolvePaths } from "../config/paths.js";
import type { Config } from "../config/schema.js";
import { ChildProcessLauncher, InsightsProbe, runGpuProbe } from "../engine/native/client.js";
import { Scheduler } from "../engine/scheduler.js";
import { fallbackSnapshot } from "../hardware/fallback.js";
import { probeHardware } from "../hardware/probe.js";
import { runBenchmark, GENERATION_TOKENS, LONG_PROMPT_TOKENS, TTFT_RUNS, type BenchmarkResult } from "../models/performance/benchmark.js";
import { loadPlanner } from "../models/planning/load-plan.js";
import { ModelStore } from "../models/store.js";
import { openStateDatabase, stateDatabasePath } from "../state/db.js";
import { PerformanceStore, type StoredSpeed } from "../models/performance/performance-store.js";
import { commonHelp, configFrom, parse, UsageError } from "./args.js";
import { jsonOutput } from "./format.js";

/** `chaibox bench --help`. */
export function benchHelp(): string {
  return `Usage: chaibox bench <model> [--json]

Measures an installed model's speed on this box and stores it: /v1/models then reports it with
performance.source "measured" (a running server on the same data dir included), until the next bench.

The benchmark is short and fixed, at temperature 0: time to first token (a short prompt, median of
${TTFT_RUNS} runs), prompt processing (a ~${LONG_PROMPT_TOKENS}-token prompt) and generation (${GENERATION_TOKENS} tokens); an embedding
model gets prompt processing only. The model is loaded in a runner of this command with the settings
chaibox serve would use (context, GPU layers, threads), then stopped. It takes seconds to minutes,
depending on the model; run it when the box is quiet, as it competes with a running server for the CPU.

Options:
  --json            print the result as JSON
${commonHelp}`;
}

/** Benchmarks `modelId` of the data dir `config` names and stores the result. */
export async function benchmarkInstalledModel(config: Config, modelId: string, progress: (line: string) => void): Promise<{ stored: StoredSpeed; result: BenchmarkResult }> {
  const paths = resolvePaths(config.dataDir);
  const store = await ModelStore.open(paths.dataDir);
  const model = await store.require(modelId);
  const insights = new InsightsProbe(paths.cacheDir);
  progress(`reading ${model.id}`);
  const { traits } = await insights.measure(model.path, model.sha256);
  // Runner output (llama.cpp warnings) goes to stderr, so --json output stays clean.
  const logger = pino({ level: "warn", base: { service: "chaibox-bench" } }, pino.destination({ dest: 2, sync: true }));
  const scheduler = new Scheduler({
    launcher: new ChildProcessLauncher({ runtimeDir: paths.runtimeDir, logger: logger.child({ module: "runner" }) }),
    resolveModel: loadPlanner({
      model: (id) => store.require(id),
      insights: (path, sha256) => insights.measure(path, sha256),
      hardware: () => probeHardware({ modelsDir: paths.modelsDir, runGpuProbe }).then((r) => r.snapshot, () => fallbackSnapshot(paths.modelsDir)),
      inference: config.inference,
    }),
    keepAliveMs: Infinity,
    maxLoadedModels: 1,
    logger: logger.child({ module: "scheduler" }),
  });
  try {
    const kind = traits.embeddings ? "embedding" : "chat";
    const result = await runBenchmark(scheduler, model.id, { kind, endTokens: traits.endTokens, progress });
    const db = openStateDatabase(stateDatabasePath(paths.dataDir));
    try {
      return { stored: new PerformanceStore(db).saveMeasured(model.sha256, model.id, result), result };
    } finally {
      db.close();
    }
  } finally {
    await scheduler.stop(2000);
  }
}

function fixed(value: number | null, digits: number, unit: string): string {
  return value === null ? "n/a" : `${value.toFixed(digits)} ${unit}`;
}

/** `chaibox bench <model> [--json]`: measures, stores, and prints the figures (JSON with --json). */
export async function benchCommand(args: string[]): Promise<void> {
  const { values, positionals } = parse(args, { json: { type: "boolean" } });
  if (values.help) {
    console.log(benchHelp());
    return;
  }
  const [modelId, ...extra] = positionals;
  if (modelId === undefined) throw new UsageError("bench needs a model id ('chaibox models list' shows them)");
  if (extra.length > 0) throw new UsageError(`bench takes one model, got ${positionals.length}`);
  const config = await configFrom(values);
  const json = values.json === true;
  const { stored, result } = await benchmarkInstalledModel(config, modelId, (line) => {
    if (!json) console.error(`${line}…`);
  });
  if (json) {
    console.log(jsonOutput({ model: stored.modelId, source: stored.source, measuredAt: stored.measuredAt, ...result }));
    return;
  }
  console.log(
    [
      `${stored.modelId}, measured ${stored.measuredAt}:`,
      `  generation         ${fixed(result.generationTokensPerSecond, 1, "tokens/s")} (${result.generatedTokens} tokens)`,
      `  prompt processing  ${fixed(result.promptTokensPerSecond, 1, "tokens/s")} (${result.promptTokens} tokens)`,
      `  first token        ${fixed(result.timeToFirstTokenMs, 0, "ms")} (short prompt, median of ${result.ttftRunsMs.length})`,
    ].join("\n"),
  );
}

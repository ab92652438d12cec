/**
 * `npm run bench`: chaibox against raw node-llama-cpp, measured in the same run on the same generated model,
 * prompts, sampling and threads. Prints a table with ratios and targets and writes .cache/bench/last.json.
 * Exits 0 when the run completes, even with missed targets; non-zero only when something broke.
 */
import { mkdir, writeFile } from "node:fs/promises";
import { availableParallelism, cpus, loadavg } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { Baseline } from "./baseline.js";
import { buildEntry, tsxEntry, type CliEntry } from "./build.js";
import type { MeasureSettings } from "./measure.js";
import { BENCH_QUANT, BENCH_SEED, ensureBenchModel } from "./model.js";
import { parseBenchOptions, usage, type BenchOptions } from "./options.js";
import { findRunnerPid, rssBytes } from "./proc.js";
import { formatReport, ratiosOf, summarize, targetsOf, type BenchResult } from "./report.js";
import { ChaiboxServer } from "./server.js";
import { baselineSide, chaiboxSide, emptyRuns, measuredRound, warmUp, type Side, type SideRuns } from "./sides.js";
import { longText, makePrompts, type BenchSampling, type Prompts } from "./workload.js";

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), "../..");
const log = (line: string): void => void process.stderr.write(`[bench] ${line}\n`);
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** What the run holds open; released in `finally` (and on SIGINT/SIGTERM). */
interface Resources {
  baseline: Baseline | undefined;
  server: ChaiboxServer | undefined;
}

async function startChaibox(options: BenchOptions, entry: CliEntry, modelPath: string, sampling: BenchSampling, prompts: Prompts, shortTokens: number, res: Resources, note: (n: string) => void) {
  log(`starting chaibox serve (child process, ${entry.kind === "tsx" ? "sources through tsx" : "compiled build"})…`);
  const server = await ChaiboxServer.start({
    repoRoot,
    entry,
    modelPath,
    threads: options.threads,
    parallel: options.parallel,
    contextSize: options.contextSize,
  });
  res.server = server;
  const runner: { pid: number | undefined } = { pid: undefined };
  const side = chaiboxSide(server, sampling, () => runner.pid);
  const firstMs = await warmUp(side, prompts, shortTokens);
  runner.pid = await findRunnerPid(server.pid);
  if (runner.pid === undefined) note("could not find chaibox's runner process below the server pid: its RSS and CPU are missing");
  note(`chaibox's first request (runner start and model load included) took ${(firstMs / 1000).toFixed(2)} s`);
  return { server, side, runnerPid: () => runner.pid };
}

async function bench(options: BenchOptions, res: Resources): Promise<BenchResult> {
  const started = performance.now();
  const loadAvgStart = loadavg();
  const notes: string[] = [];
  const note = (n: string): void => {
    if (!notes.includes(n)) notes.push(n);
  };
  const entry = options.build ? await buildEntry(repoRoot, options.cacheDir, log) : tsxEntry;
  const model = await ensureBenchModel(options.cacheDir, options.preset, log);
  log(`model ${model.path} (${(model.sizeBytes / 1e6).toFixed(0)} MB${model.generated ? ", generated now" : ", cached"})`);

  log(`loading the baseline (node-llama-cpp in-process, ${options.threads} thread(s))…`);
  const baseline = await Baseline.load({ modelPath: model.path, threads: options.threads, contextSize: options.contextSize, parallel: options.parallel });
  res.baseline = baseline;
  const gpu = baseline.gpu;
  const sampling: BenchSampling = { temperature: 0, seed: BENCH_SEED, bannedTokens: baseline.endTokens() };
  baseline.setSampling(sampling);
  const prompts = makePrompts(longText(options.promptTokens, (t) => baseline.countTokens(t)));
  const settings: MeasureSettings = { tokens: options.tokens, parallel: options.parallel, shortTokens: 8 };
  const bSide = baselineSide(baseline);
  await warmUp(bSide, prompts, settings.shortTokens);

  const runs: Record<Side["name"], SideRuns> = { baseline: emptyRuns(), chaibox: emptyRuns() };
  const roundsOf = async (side: Side, others: Side[], round: number): Promise<void> => {
    log(`round ${round + 1}/${options.rounds}: ${side.name}`);
    await measuredRound(side, others, runs[side.name], prompts, settings, `r${round}`, note);
  };

  let chaibox: Awaited<ReturnType<typeof startChaibox>>;
  if (options.sequential) {
    for (let round = 0; round < options.rounds; round++) await roundsOf(bSide, [], round);
    await baseline.dispose();
    res.baseline = undefined;
    chaibox = await startChaibox(options, entry, model.path, sampling, prompts, settings.shortTokens, res, note);
    for (let round = 0; round < options.rounds; round++) await roundsOf(chaibox.side, [], round);
  } else {
    chaibox = await startChaibox(options, entry, model.path, sampling, prompts, settings.shortTokens, res, note);
    for (let round = 0; round < options.rounds; round++) {
      // Swap the order every round so that drift in the machine's load hits both sides alike.
      const order = round % 2 === 0 ? [bSide, chaibox.side] : [chaibox.side, bSide];
      for (const side of order) await roundsOf(side, order.filter((o) => o !== side), round);
    }
    await baseline.dispose();
    res.baseline = undefined;
  }

  log("idle: waiting 3 s before reading RSS…");
  await sleep(3000);
  const runnerPid = chaibox.runnerPid() ?? null;
  const apiBytes = (await rssBytes(chaibox.server.pid)) ?? null;
  const runnerBytes = runnerPid === null ? null : ((await rssBytes(runnerPid)) ?? null);

  const b = summarize(runs.baseline.rounds, runs.baseline.cpuMs, runs.baseline.tokens);
  const c = summarize(runs.chaibox.rounds, runs.chaibox.cpuMs, runs.chaibox.tokens);
  const ratios = ratiosOf(b, c);
  if (chaibox.server.recentOutput !== "") note(`chaibox printed (log level warn):\n${chaibox.server.recentOutput}`);
  return {
    date: new Date().toISOString(),
    durationS: (performance.now() - started) / 1000,
    preset: options.preset,
    model: { path: model.path, sizeBytes: model.sizeBytes, quant: BENCH_QUANT, seed: BENCH_SEED },
    machine: { cpu: cpus()[0]?.model ?? "unknown CPU", cores: availableParallelism(), loadAvgStart, loadAvgEnd: loadavg(), gpu },
    settings: {
      threads: options.threads,
      parallel: options.parallel,
      contextSize: options.contextSize,
      tokens: options.tokens,
      rounds: options.rounds,
      mode: options.sequential ? "sequential" : "alternating",
      chaibox: entry.kind,
    },
    baseline: b,
    chaibox: c,
    rss: { apiPid: chaibox.server.pid, apiBytes, runnerPid, runnerBytes },
    ratios,
    targets: targetsOf(ratios, apiBytes),
    notes,
  };
}

async function release(res: Resources): Promise<void> {
  const { baseline, server } = res;
  res.baseline = undefined;
  res.server = undefined;
  await Promise.allSettled([server?.stop(), baseline?.dispose()]);
}

async function main(): Promise<number> {
  const cacheDir = join(repoRoot, ".cache", "bench");
  let options: BenchOptions | undefined;
  try {
    options = parseBenchOptions(process.argv.slice(2), cacheDir);
  } catch (error) {
    console.error(`bench: ${(error as Error).message}\n\n${usage}`);
    return 2;
  }
  if (options === undefined) {
    console.log(usage);
    return 0;
  }
  const res: Resources = { baseline: undefined, server: undefined };
  const onSignal = (signal: NodeJS.Signals): void => {
    log(`${signal}: stopping chaibox…`);
    void release(res).finally(() => process.exit(130));
  };
  process.once("SIGINT", onSignal);
  process.once("SIGTERM", onSignal);
  try {
    const result = await bench(options, res);
    console.log(formatReport(result));
    await mkdir(cacheDir, { recursive: true });
    await writeFile(join(cacheDir, "last.json"), `${JSON.stringify(result, null, 2)}\n`);
    log(`results written to ${join(cacheDir, "last.json")}`);
    return 0;
  } catch (error) {
    console.error("bench failed:", error);
    if (res.server && res.server.recentOutput !== "") console.error(`chaibox serve printed:\n${res.server.recentOutput}`);
    return 1;
  } finally {
    await release(res);
  }
}

process.exitCode = await main();
// node-llama-cpp may keep handles open after dispose; the run is over either way.
process.exit();

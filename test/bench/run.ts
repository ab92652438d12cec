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
import { LlamaServer, llamaServerBinary } from "./llama-server.js";
import { buildEntry, tsxEntry, type CliEntry } from "./build.js";
import type { MeasureSettings } from "./measure.js";
import { BENCH_QUANT, BENCH_SEED, ensureBenchModel } from "./model.js";
import { nativeEngine } from "../../src/engine/native/engine-files.js";
import { parseBenchOptions, usage, type BenchOptions } from "./options.js";
import { measurePerToken } from "./per-token.js";
import { findRunnerPid, rssBytes } from "./proc.js";
import { formatReport, ratiosOf, summarize, targetsOf, type BenchResult } from "./report.js";
import { BENCH_MODEL_ID, ChaiboxServer, makeDataDir, type BenchDataDir } from "./server.js";
import { baselineSide, chaiboxSide, emptyRuns, noteIdleCpu, runRound, warmUp, type RoundContext, type Side } from "./sides.js";
import { longText, makePrompts, type BenchSampling, type Prompts } from "./workload.js";

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), "../..");
const log = (line: string): void => void process.stderr.write(`[bench] ${line}\n`);
/**
 * Greedy: both sides generate the same tokens, also with 4 streams at once (a fixed seed with temperature 0.8
 * was seen to diverge between the sides under concurrency).
 */
const BENCH_TEMPERATURE = 0;
/** The shared system prompt of the turn-2 measurement, in tokens (Home Assistant's, with its tools). */
const PREFIX_TOKENS = 2300;
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** What the run holds open; released in `finally` (and on SIGINT/SIGTERM). */
interface Resources {
  dataDir: BenchDataDir | undefined;
  baseline: Baseline | undefined;
  server: ChaiboxServer | undefined;
  llamaServer: LlamaServer | undefined;
  /** What a later phase holds open (the per-token run's servers). */
  held: Set<() => Promise<void>>;
}

async function startChaibox(options: BenchOptions, entry: CliEntry, dataDir: string, sampling: BenchSampling, prompts: Prompts, shortTokens: number, res: Resources, note: (n: string) => void) {
  log(`starting chaibox serve (child process, ${entry.kind === "tsx" ? "sources through tsx" : "compiled build"})…`);
  const server = await ChaiboxServer.start({
    repoRoot,
    entry,
    dataDir,
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
  const dataDir = await makeDataDir(model.path);
  res.dataDir = dataDir;
  log(`installed as '${BENCH_MODEL_ID}' in ${dataDir.dir}; both sides load ${dataDir.modelPath}`);

  log(`loading the baseline (node-llama-cpp in-process, ${options.threads} thread(s))…`);
  const rssBeforeLoad = (await rssBytes(process.pid)) ?? Number.NaN;
  const baseline = await Baseline.load({ modelPath: dataDir.modelPath, threads: options.threads, contextSize: options.contextSize, parallel: options.parallel });
  res.baseline = baseline;
  const gpu = baseline.gpu;
  const sampling: BenchSampling = { temperature: BENCH_TEMPERATURE, seed: BENCH_SEED, bannedTokens: baseline.endTokens() };
  baseline.setSampling(sampling);
  const count = (t: string): number => baseline.countTokens(t);
  const prompts = makePrompts(longText(options.promptTokens, count), longText(PREFIX_TOKENS, count));
  const settings: MeasureSettings = { tokens: options.tokens, parallel: options.parallel, shortTokens: 8 };
  const bSide = baselineSide(baseline);
  await warmUp(bSide, prompts, settings.shortTokens);
  const baselineRssDelta = ((await rssBytes(process.pid)) ?? Number.NaN) - rssBeforeLoad;

  const ctx: RoundContext = { prompts, settings, cores: availableParallelism(), note, runs: { baseline: emptyRuns(), chaibox: emptyRuns(), "llama-server": emptyRuns() }, idleCpu: {} };
  // The baseline that counts: llama.cpp's own server, when test/bench/build-llama-server.sh has built it.
  const serverSides: Side[] = [];
  const binary = llamaServerBinary(repoRoot);
  if (binary === undefined) note("llama-server is not built: run 'bash test/bench/build-llama-server.sh' (offline, several minutes) to add it");
  else {
    log(`starting llama-server (${binary})…`);
    res.llamaServer = await LlamaServer.start({ binary, modelPath: dataDir.modelPath, threads: options.threads, contextSize: options.contextSize, parallel: options.parallel });
    const side = res.llamaServer.side(sampling);
    await warmUp(side, prompts, settings.shortTokens);
    serverSides.push(side);
  }
  const rounds = async (sides: Side[]): Promise<void> => {
    for (let round = 0; round < options.rounds; round++) {
      log(`round ${round + 1}/${options.rounds}: ${sides.map((s) => s.name).join(" and ")}`);
      await runRound(sides, round, ctx);
    }
  };

  let chaibox: Awaited<ReturnType<typeof startChaibox>>;
  if (options.sequential) {
    await rounds([bSide, ...serverSides]);
    await baseline.dispose();
    res.baseline = undefined;
    chaibox = await startChaibox(options, entry, dataDir.dir, sampling, prompts, settings.shortTokens, res, note);
    await rounds([chaibox.side]);
  } else {
    chaibox = await startChaibox(options, entry, dataDir.dir, sampling, prompts, settings.shortTokens, res, note);
    await rounds([bSide, chaibox.side, ...serverSides]);
    await baseline.dispose();
    res.baseline = undefined;
  }

  noteIdleCpu(ctx);
  log("idle: waiting 3 s before reading RSS…");
  await sleep(3000);
  const runnerPid = chaibox.runnerPid() ?? null;
  const apiBytes = (await rssBytes(chaibox.server.pid)) ?? null;
  const runnerBytes = runnerPid === null ? null : ((await rssBytes(runnerPid)) ?? null);
  const llamaServerBytes = res.llamaServer ? ((await rssBytes(res.llamaServer.pid)) ?? null) : null;
  const serverRuns = ctx.runs["llama-server"];
  const llamaServer = serverRuns.rounds.length > 0 ? summarize(serverRuns.rounds, serverRuns.cpuMs, serverRuns.tokens) : undefined;

  const { baseline: bRuns, chaibox: cRuns } = ctx.runs;
  const b = summarize(bRuns.rounds, bRuns.cpuMs, bRuns.tokens);
  const c = summarize(cRuns.rounds, cRuns.cpuMs, cRuns.tokens);
  const busy = Math.max(b.othersCpu, c.othersCpu);
  if (busy > 0.1) {
    note(`other processes used ${(busy * 100).toFixed(0)}% of the machine's CPU during the measurements (median): the figures are disturbed; compare ratios only, or rerun on a quiet machine`);
  }
  const ratios = ratiosOf(b, c);
  // The main run's processes are done: stop them before the per-token run, so they cannot compete with it.
  await Promise.allSettled([chaibox.server.stop(), res.llamaServer?.stop()]);
  res.server = undefined;
  res.llamaServer = undefined;
  const perToken = await measurePerToken({
    repoRoot,
    cacheDir: options.cacheDir,
    entry,
    rounds: options.rounds,
    temperature: BENCH_TEMPERATURE,
    seed: BENCH_SEED,
    llamaServer: binary,
    log,
    note,
    hold: (stop) => {
      res.held.add(stop);
      return () => res.held.delete(stop);
    },
  });
  const versusLlamaServer = llamaServer && ratiosOf(llamaServer, c);
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
      temperature: BENCH_TEMPERATURE,
      rounds: options.rounds,
      mode: options.sequential ? "sequential" : "alternating",
      chaibox: entry.kind,
      engine: engineName(),
    },
    baseline: b,
    chaibox: c,
    rss: { apiPid: chaibox.server.pid, apiBytes, runnerPid, runnerBytes, baselineLoadBytes: Number.isFinite(baselineRssDelta) ? baselineRssDelta : null, llamaServerBytes },
    ratios,
    perToken,
    ...(llamaServer && versusLlamaServer && { llamaServer, versusLlamaServer }),
    targets: targetsOf(ratios, apiBytes, versusLlamaServer && { ...versusLlamaServer, perToken: perToken.versusLlamaServer ?? Number.NaN, runnerBytes, llamaServerBytes }),
    notes,
  };
}

/** The engine chaibox's runners and the in-process baseline load (the same choice on both). */
function engineName(): string {
  const native = nativeEngine();
  return native ? `native (${native.variant}, llama.cpp ${native.llamaCppRelease})` : "prebuilt";
}

async function release(res: Resources): Promise<void> {
  const { baseline, server, dataDir, llamaServer } = res;
  const held = [...res.held];
  res.baseline = undefined;
  res.server = undefined;
  res.llamaServer = undefined;
  res.dataDir = undefined;
  res.held.clear();
  await Promise.allSettled([server?.stop(), baseline?.dispose(), llamaServer?.stop(), ...held.map((stop) => stop())]);
  await dataDir?.remove();
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
  const res: Resources = { dataDir: undefined, baseline: undefined, server: undefined, llamaServer: undefined, held: new Set() };
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

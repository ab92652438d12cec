/**
 * The two sides as the rounds see them, and the rounds themselves. A side is a way to run a stream and a
 * way to read the CPU time its processes used. With both sides loaded, each measurement runs on both back
 * to back (the order alternating), so a burst of load from other processes hits both alike.
 */
import type { Baseline } from "./baseline.js";
import { measure, measurementSteps, mergeParts, toSample, TTFT_REPEATS, type MeasureSettings, type NoteSink, type PartialSample } from "./measure.js";
import type { RoundSample } from "./measure.js";
import { cpuMs, cpuSnapshot, othersCpuMs } from "./proc.js";
import { BENCH_MODEL_ID, type ChaiboxServer } from "./server.js";
import { requestBody, streamChat } from "./sse.js";
import type { BenchSampling, Prompts, RunStream } from "./workload.js";

/** Pause before each measurement (ms). */
const SETTLE_MS = 200;

export interface Side {
  name: "baseline" | "chaibox" | "llama-server";
  run: RunStream;
  /** CPU time so far (ms) of each process doing this side's work. */
  cpu(): Promise<Record<string, number>>;
}

function processCpuMs(): number {
  const usage = process.cpuUsage();
  return (usage.user + usage.system) / 1000;
}

export function baselineSide(baseline: Baseline): Side {
  return { name: "baseline", run: baseline.run, cpu: () => Promise.resolve({ "in-process": processCpuMs() }) };
}

export function chaiboxSide(server: ChaiboxServer, sampling: BenchSampling, runnerPid: () => number | undefined): Side {
  return {
    name: "chaibox",
    run: (request) => streamChat(server.baseUrl, requestBody(BENCH_MODEL_ID, request, sampling)),
    cpu: async () => {
      const runner = runnerPid();
      return {
        runner: runner === undefined ? Number.NaN : await cpuMs(runner),
        api: await cpuMs(server.pid),
        // This process is the HTTP client while chaibox runs.
        client: processCpuMs(),
      };
    },
  };
}

function diff(after: Record<string, number>, before: Record<string, number>): Record<string, number> {
  return Object.fromEntries(Object.entries(after).map(([key, value]) => [key, value - (before[key] ?? 0)]));
}

/** Accumulated results of one side over the measured rounds. */
export interface SideRuns {
  rounds: RoundSample[];
  cpuMs: Record<string, number>;
  tokens: number;
}

export function emptyRuns(): SideRuns {
  return { rounds: [], cpuMs: {}, tokens: 0 };
}

/**
 * Checks that the sides that should be idle were: CPU used by chaibox's processes while the baseline ran
 * means the two competed. (The baseline lives in this process, which also drives chaibox as its client, so
 * it cannot be checked this way; its threads only run inside generateResponse.)
 */
async function checkIdle(idle: Side[], before: Record<string, number>[], wallMs: number, ctx: RoundContext): Promise<void> {
  for (const [i, side] of idle.entries()) {
    for (const [key, value] of Object.entries(diff(await side.cpu(), before[i] ?? {}))) {
      if (key === "client" || key === "in-process" || !Number.isFinite(value)) continue;
      const name = `${side.name} ${key}`;
      const entry = ctx.idleCpu[name] ?? { cpuMs: 0, wallMs: 0 };
      entry.cpuMs += value;
      entry.wallMs += wallMs;
      ctx.idleCpu[name] = entry;
    }
  }
}

/** Notes the idle sides' processes that used more than 2 % of a core while the other side was measured. */
export function noteIdleCpu(ctx: RoundContext): void {
  for (const [name, { cpuMs, wallMs }] of Object.entries(ctx.idleCpu)) {
    if (cpuMs > 0.02 * wallMs) {
      ctx.note(`${name} used ${cpuMs.toFixed(0)} ms of CPU (${((cpuMs / wallMs) * 100).toFixed(1)}% of a core) while the other side was measured for ${(wallMs / 1000).toFixed(1)} s`);
    }
  }
}

export interface RoundContext {
  prompts: Prompts;
  settings: MeasureSettings;
  cores: number;
  note: NoteSink;
  runs: Record<Side["name"], SideRuns>;
  /** CPU used by the idle side's processes while the other side was measured, per process. */
  idleCpu: Record<string, { cpuMs: number; wallMs: number }>;
}

/**
 * One round: every measurement on every side in `sides`, back to back, the side order alternating from one
 * measurement (and round) to the next. Each side is charged with the CPU its processes used, and each
 * round records how much CPU other processes on the machine took meanwhile.
 */
export async function runRound(sides: Side[], round: number, ctx: RoundContext): Promise<void> {
  const parts = new Map<Side["name"], PartialSample>(sides.map((s) => [s.name, {}]));
  const others = new Map<Side["name"], { cpuMs: number; wallMs: number }>(sides.map((s) => [s.name, { cpuMs: 0, wallMs: 0 }]));
  for (const [k, { kind, repeat }] of measurementSteps.entries()) {
    const order = (round + k) % 2 === 0 ? sides : [...sides].reverse();
    for (const side of order) {
      // Let the previous measurement's tail (closing the response, releasing the slot) finish first.
      await new Promise((resolve) => setTimeout(resolve, SETTLE_MS));
      const runs = ctx.runs[side.name];
      const idleSides = sides.filter((s) => s !== side);
      const idleBefore = await Promise.all(idleSides.map((s) => s.cpu()));
      const cpuBefore = await side.cpu();
      const before = await cpuSnapshot();
      const part = await measure(kind, side.name, side.run, ctx.prompts, ctx.settings, `r${round}-${repeat}`, ctx.note);
      const after = await cpuSnapshot();
      await checkIdle(idleSides, idleBefore, after.atMs - before.atMs, ctx);
      for (const [key, value] of Object.entries(diff(await side.cpu(), cpuBefore))) runs.cpuMs[key] = (runs.cpuMs[key] ?? 0) + value;
      mergeParts(parts.get(side.name) as PartialSample, part);
      const o = others.get(side.name) as { cpuMs: number; wallMs: number };
      o.cpuMs += othersCpuMs(before, after);
      o.wallMs += after.atMs - before.atMs;
    }
  }
  for (const side of sides) {
    const o = others.get(side.name) as { cpuMs: number; wallMs: number };
    const sample = toSample(parts.get(side.name) as PartialSample, o.wallMs > 0 ? o.cpuMs / (o.wallMs * ctx.cores) : Number.NaN);
    const runs = ctx.runs[side.name];
    runs.rounds.push(sample);
    runs.tokens += sample.genTokens + sample.aggregateTokens + (TTFT_REPEATS + 1) * ctx.settings.shortTokens;
  }
}

/** Warm-up: a short and a long prompt, unmeasured (the first chaibox request also starts the runner). */
export async function warmUp(side: Side, prompts: Prompts, shortTokens: number): Promise<number> {
  const started = performance.now();
  await side.run(prompts.short(`warmup-${side.name}-1`, shortTokens));
  const firstMs = performance.now() - started;
  await side.run(prompts.long(`warmup-${side.name}-2`, shortTokens));
  await side.run(prompts.short(`warmup-${side.name}-3`, shortTokens));
  return firstMs;
}

/**
 * The two sides as the rounds see them: a way to run a stream and a way to read the CPU time the side has
 * used, so each round can be charged to the processes that did its work.
 */
import type { Baseline } from "./baseline.js";
import { measureRound, type MeasureSettings, type NoteSink, type RoundSample } from "./measure.js";
import { cpuMs } from "./proc.js";
import { BENCH_MODEL_ID, type ChaiboxServer } from "./server.js";
import { requestBody, streamChat } from "./sse.js";
import type { BenchSampling, Prompts, RunStream } from "./workload.js";

export interface Side {
  name: "baseline" | "chaibox";
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
 * One measured round of a side, charged with the CPU its processes used. `others` are the sides that should
 * be idle meanwhile: CPU they use during this round means the two competed, which is noted.
 */
export async function measuredRound(
  side: Side,
  others: Side[],
  runs: SideRuns,
  prompts: Prompts,
  settings: MeasureSettings,
  tag: string,
  note: NoteSink,
): Promise<void> {
  const before = await side.cpu();
  const othersBefore = await Promise.all(others.map((o) => o.cpu()));
  const started = performance.now();
  const sample = await measureRound(side.name, side.run, prompts, settings, tag, note);
  const wallMs = performance.now() - started;
  const used = diff(await side.cpu(), before);
  for (const [key, value] of Object.entries(used)) runs.cpuMs[key] = (runs.cpuMs[key] ?? 0) + value;
  runs.tokens += sample.genTokens + sample.aggregateTokens + 2 * settings.shortTokens;
  runs.rounds.push(sample);

  for (const [i, other] of others.entries()) {
    const idle = diff(await other.cpu(), othersBefore[i] ?? {});
    for (const [key, value] of Object.entries(idle)) {
      // The client and in-process entries are this process, which drives the measured side.
      if (key === "client" || key === "in-process") continue;
      if (value > 0.02 * wallMs) {
        note(`${other.name} ${key} used ${value.toFixed(0)} ms CPU while ${side.name} round ${tag} ran ${wallMs.toFixed(0)} ms (not idle)`);
      }
    }
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

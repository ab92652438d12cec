/**
 * The per-token figure: the tiny preset (64 wide, 2 layers) decodes so fast that its rate is set by what each
 * token costs on its way out (IPC, the scheduler, SSE), not by the model. Measured at 1 thread, one stream
 * of {@link PER_TOKEN_TOKENS} tokens, on every side in turn (order alternating), after the main rounds.
 */
import { Baseline } from "./baseline.js";
import type { CliEntry } from "./build.js";
import { LlamaServer } from "./llama-server.js";
import { measure, type NoteSink } from "./measure.js";
import { ensureBenchModel } from "./model.js";
import { ChaiboxServer, makeDataDir } from "./server.js";
import { baselineSide, chaiboxSide, type Side } from "./sides.js";
import { makePrompts, median, type BenchSampling } from "./workload.js";

/** Tokens per run: at thousands of tokens a second, fewer would be over before the clock means anything. */
export const PER_TOKEN_TOKENS = 1000;
const THREADS = 1;
const CONTEXT = 2048;
/** Runs per side in each round; the round's figure is their median. */
const REPEATS = 3;

/** Decode tok/s of the tiny model per side: each round's median, and chaibox's ratios per round pair. */
export interface PerTokenResult {
  tokens: number;
  threads: number;
  rounds: Partial<Record<Side["name"], number[]>>;
  tps: Partial<Record<Side["name"], number>>;
  versusBaseline: number;
  versusLlamaServer?: number;
}

export interface PerTokenOptions {
  repoRoot: string;
  cacheDir: string;
  entry: CliEntry;
  rounds: number;
  temperature: number;
  seed: number;
  /** llama-server's binary, when built. */
  llamaServer: string | undefined;
  log: (line: string) => void;
  note: NoteSink;
  /** Registers a cleanup that SIGINT must run too; the returned function unregisters it. */
  hold: (release: () => Promise<void>) => () => void;
}

function pairRatio(chaibox: number[], other: number[] | undefined): number {
  if (other === undefined) return Number.NaN;
  return median(chaibox.map((c, i) => c / (other[i] ?? Number.NaN)));
}

export async function measurePerToken(o: PerTokenOptions): Promise<PerTokenResult> {
  const model = await ensureBenchModel(o.cacheDir, "tiny", o.log);
  const dataDir = await makeDataDir(model.path);
  const held: (() => void)[] = [o.hold(() => dataDir.remove())];
  const stops: (() => Promise<void>)[] = [() => dataDir.remove()];
  const keep = (stop: () => Promise<void>): void => {
    stops.unshift(stop);
    held.push(o.hold(stop));
  };
  try {
    o.log(`per-token run: the tiny model at ${THREADS} thread, ${PER_TOKEN_TOKENS} tokens per stream`);
    const baseline = await Baseline.load({ modelPath: dataDir.modelPath, threads: THREADS, contextSize: CONTEXT, parallel: 1 });
    keep(() => baseline.dispose());
    const sampling: BenchSampling = { temperature: o.temperature, seed: o.seed, bannedTokens: baseline.endTokens() };
    baseline.setSampling(sampling);
    const sides: Side[] = [baselineSide(baseline)];
    const server = await ChaiboxServer.start({ repoRoot: o.repoRoot, entry: o.entry, dataDir: dataDir.dir, threads: THREADS, parallel: 1, contextSize: CONTEXT });
    keep(() => server.stop());
    sides.push(chaiboxSide(server, sampling, () => undefined));
    if (o.llamaServer !== undefined) {
      const llama = await LlamaServer.start({ binary: o.llamaServer, modelPath: dataDir.modelPath, threads: THREADS, contextSize: CONTEXT, parallel: 1 });
      keep(() => llama.stop());
      sides.push(llama.side(sampling));
    }
    // Only the short prompt is used: the long ones are the main run's.
    const prompts = makePrompts("", "");
    const settings = { tokens: PER_TOKEN_TOKENS, parallel: 1, shortTokens: 8 };
    for (const side of sides) await side.run(prompts.short(`tiny-warmup-${side.name}`, settings.tokens));

    const rounds: PerTokenResult["rounds"] = {};
    for (let round = 0; round < o.rounds; round++) {
      const samples = new Map<Side["name"], number[]>();
      for (let repeat = 0; repeat < REPEATS; repeat++) {
        const order = (round + repeat) % 2 === 0 ? sides : [...sides].reverse();
        for (const side of order) {
          const part = await measure("single", side.name, side.run, prompts, settings, `tiny-r${round}-${repeat}`, o.note);
          samples.set(side.name, [...(samples.get(side.name) ?? []), part.genTps ?? Number.NaN]);
        }
      }
      for (const [name, values] of samples) rounds[name] = [...(rounds[name] ?? []), median(values)];
    }
    const tps = Object.fromEntries(Object.entries(rounds).map(([name, values]) => [name, median(values)]));
    const chaibox = rounds.chaibox ?? [];
    return {
      tokens: PER_TOKEN_TOKENS,
      threads: THREADS,
      rounds,
      tps,
      versusBaseline: pairRatio(chaibox, rounds.baseline),
      ...(rounds["llama-server"] && { versusLlamaServer: pairRatio(chaibox, rounds["llama-server"]) }),
    };
  } finally {
    for (const stop of stops) await stop().catch(() => undefined);
    for (const release of held) release();
  }
}

/** Command-line flags of `npm run bench`. */
import { availableParallelism } from "node:os";
import { parseArgs } from "node:util";
import { defaultThreads } from "../../src/config/schema.js";

export const presets = ["tiny", "demo", "0.5b", "1b"] as const;
export type BenchPreset = (typeof presets)[number];

export interface BenchOptions {
  preset: BenchPreset;
  /** CPU threads for both sides (getLlama maxThreads, context threads, CHAIBOX_INFERENCE_THREADS). */
  threads: number;
  /** max_tokens of the generation runs (single stream and 4 streams). */
  tokens: number;
  /** Rounds of each measurement; the median is reported. */
  rounds: number;
  /** Context tokens per sequence on both sides. */
  contextSize: number;
  /** Sequences on both sides (CHAIBOX_INFERENCE_PARALLEL) and streams in the concurrency run. */
  parallel: number;
  /** Approximate prompt size of the prompt-processing run, in tokens. */
  promptTokens: number;
  /** Run every baseline round first, dispose it, then chaibox (default: both loaded, measurements interleaved). */
  sequential: boolean;
  /** Run chaibox from a compiled build (as in production) instead of the sources through tsx. */
  build: boolean;
  /** Cache dir for generated models and last.json. */
  cacheDir: string;
}

export const usage = `Usage: npm run bench -- [options]

Measures chaibox (a 'chaibox serve' child process, streaming over HTTP) against raw node-llama-cpp in this
process and llama.cpp's llama-server (once 'bash test/bench/build-llama-server.sh' has built it), on the
same generated model, prompts, sampling and threads, then the tiny model at 1 thread on every side, and
prints the ratios. CHAIBOX_ENGINE=prebuilt measures the prebuilt engine after 'chaibox engine build'.

Options:
  --preset P       tiny, demo, 0.5b or 1b (default 0.5b)
  --threads T      CPU threads on both sides (default: chaibox's own default, ${defaultThreads(availableParallelism())})
  --tokens N       max tokens per generation (default 128)
  --rounds R       rounds per measurement, median reported (default 3)
  --context N      context tokens per sequence (default 4096: the turn-2 run's prefix is ~2,300)
  --parallel N     sequences / concurrent streams (default 4)
  --prompt N       approximate tokens of the long prompt (default 400)
  --sequential     all baseline rounds first (then disposed), then chaibox (default: both loaded,
                   each measurement run on both sides back to back)
  --build          compile chaibox (into .cache/bench/dist) and run the build, as in production,
                   instead of the sources through tsx (whose loader adds to every process's RSS)
  -h, --help       this help`;

function positiveInt(name: string, value: string | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new Error(`--${name} must be a positive integer, got '${value}'`);
  return n;
}

/** Parses argv; returns undefined when help was asked for. Throws on invalid flags. */
export function parseBenchOptions(argv: string[], cacheDir: string): BenchOptions | undefined {
  const { values } = parseArgs({
    args: argv,
    strict: true,
    allowPositionals: false,
    options: {
      preset: { type: "string" },
      threads: { type: "string" },
      tokens: { type: "string" },
      rounds: { type: "string" },
      context: { type: "string" },
      parallel: { type: "string" },
      prompt: { type: "string" },
      sequential: { type: "boolean" },
      build: { type: "boolean" },
      help: { type: "boolean", short: "h" },
    },
  });
  if (values.help) return undefined;
  const preset = values.preset ?? "0.5b";
  if (!(presets as readonly string[]).includes(preset)) throw new Error(`--preset must be one of ${presets.join(", ")}`);
  const options: BenchOptions = {
    preset: preset as BenchPreset,
    threads: positiveInt("threads", values.threads, defaultThreads(availableParallelism())),
    tokens: positiveInt("tokens", values.tokens, 128),
    rounds: positiveInt("rounds", values.rounds, 3),
    contextSize: positiveInt("context", values.context, 4096),
    parallel: positiveInt("parallel", values.parallel, 4),
    promptTokens: positiveInt("prompt", values.prompt, 400),
    sequential: values.sequential ?? false,
    build: values.build ?? false,
    cacheDir,
  };
  if (options.promptTokens + options.tokens + 64 > options.contextSize) {
    throw new Error(`--context ${options.contextSize} is too small for a ${options.promptTokens}-token prompt and ${options.tokens} tokens`);
  }
  return options;
}

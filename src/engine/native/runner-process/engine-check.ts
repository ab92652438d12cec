/**
 * The engine check entry: `node runner-process/engine-check.js --model PATH --cmake-options JSON --threads N`.
 * Loads the native build with exactly those cmake options (never the prebuilt binary), evaluates a short
 * prompt and generates a few tokens on the CPU, prints one marked JSON line and exits. `chaibox engine build`
 * runs it before it records a new build, because a build can compile and still crash at the first decode
 * (llama.cpp's AMX path did, see build.ts). It runs as its own process so that such a crash takes only it.
 */
import { parseArgs } from "node:util";
import { getLlama, LlamaLogLevel } from "node-llama-cpp";
import { ENGINE_CHECK_MARKER, type EngineCheckReport } from "../engine-check-wire.js";

/** Tokens to generate: enough to run the prompt batch and several single-token decodes. */
const TOKENS = 8;

function printAndExit(report: EngineCheckReport, code: number): void {
  process.stdout.write(`${ENGINE_CHECK_MARKER}${JSON.stringify(report)}\n`, () => process.exit(code));
}

async function check(): Promise<EngineCheckReport> {
  const { values } = parseArgs({ options: { model: { type: "string" }, "cmake-options": { type: "string" }, threads: { type: "string" } } });
  const modelPath = values.model ?? "";
  const cmakeOptions = JSON.parse(values["cmake-options"] ?? "{}") as Record<string, string>;
  const threads = Number(values.threads ?? "1");
  const llama = await getLlama({
    cmakeOptions,
    gpu: false,
    build: "never",
    // A local build that does not load would otherwise be replaced by the prebuilt binary without a word.
    usePrebuiltBinaries: false,
    maxThreads: threads,
    progressLogs: false,
    logLevel: LlamaLogLevel.error,
    logger: (_level, message) => {
      if (message.trim() !== "") process.stderr.write(message.endsWith("\n") ? message : `${message}\n`);
    },
  });
  if (llama.buildType !== "localBuild") return { ok: false, error: `node-llama-cpp loaded its ${llama.buildType} binary instead of the new build` };
  const model = await llama.loadModel({ modelPath, gpuLayers: 0 });
  const context = await model.createContext({ contextSize: 256, threads, flashAttention: "auto" });
  const started = performance.now();
  let tokens = 0;
  for await (const token of context.getSequence().evaluate(model.tokenize("Hello, box. How are you today?"), { temperature: 0 })) {
    void token;
    if (++tokens >= TOKENS) break;
  }
  return { ok: true, tokens, ms: Math.round(performance.now() - started) };
}

try {
  const report = await check();
  printAndExit(report, report.ok ? 0 : 1);
} catch (error) {
  printAndExit({ ok: false, error: error instanceof Error ? error.message : String(error) }, 1);
}

/**
 * `node runner-process/insights.js <model.gguf> <sha256>`: measures what a model file needs with node-llama-cpp's
 * GgufInsights and prints one JSON line (a GgufInsightsTable). It runs as a short-lived child because
 * GgufInsights loads llama.cpp's native addon, which only runner processes may do; the API caches the result.
 * The figures are hardware-independent (computed without a GPU backend); fit splits them between RAM and VRAM.
 * The table also carries the file's traits (pooling, tool calling, reasoning: see traits.ts).
 */
import { getLlama, GgufInsights, LlamaLogLevel, readGgufFileInfo } from "node-llama-cpp";
import { INSIGHTS_TABLE_VERSION, type GgufInsightsTable } from "../insights-table.js";
import { readModelTraits } from "./traits.js";

/** Sequence counts measured: `inference.parallel` rarely exceeds this; fit scales beyond it. */
const MAX_SEQUENCES = 8;

/** Context sizes measured: powers of two from 512 up to the trained size (and the trained size itself). */
function contextSizes(trained: number): number[] {
  const sizes: number[] = [];
  for (let size = 512; size < trained; size *= 2) sizes.push(size);
  sizes.push(Math.max(trained, 512));
  return sizes;
}

async function measure(path: string, sha256: string): Promise<GgufInsightsTable> {
  const info = await readGgufFileInfo(path, { readTensorInfo: true });
  const insights = await GgufInsights.from(info);
  const totalLayers = insights.totalLayers;
  const model: GgufInsightsTable["model"] = [];
  for (let gpuLayers = 0; gpuLayers <= totalLayers; gpuLayers++) {
    // The synchronous estimator gives V2's model figures without a simulated load per layer count. A GPU
    // backend copies its layers out of the mapped file, so VRAM is the tensors' own size (gpuSupportsMmap: false),
    // not the span of the file they sit in.
    const need = insights.estimateModelResourceRequirements({ gpuLayers, gpuSupportsMmap: false });
    model.push({ ramBytes: need.cpuRam, vramBytes: need.gpuVram });
  }
  const trained = insights.trainContextSize ?? 4096;
  const sizes = contextSizes(trained);
  const context: number[][] = [];
  for (let sequences = 1; sequences <= MAX_SEQUENCES; sequences++) {
    const row: number[] = [];
    for (const contextSize of sizes) {
      const need = await insights.estimateContextResourceRequirementsV2({ contextSize, modelGpuLayers: 0, sequences });
      row.push(need.cpuRam + need.gpuVram);
    }
    context.push(row);
  }
  // The CPU binding suffices to load a vocabulary; `build: "never"` because this child must never compile.
  const llama = await getLlama({ gpu: false, build: "never", maxThreads: 1, progressLogs: false, logLevel: LlamaLogLevel.error });
  const traits = await readModelTraits(llama, path);
  return {
    version: INSIGHTS_TABLE_VERSION,
    sha256,
    totalLayers,
    trainContextSize: trained,
    modelSize: insights.modelSize,
    parameters: insights.totalParameters,
    model,
    contextSizes: sizes,
    context,
    traits,
  };
}

const [path, sha256] = process.argv.slice(2);
if (!path || !sha256) {
  process.stderr.write("usage: insights <model.gguf> <sha256>\n");
  process.exit(2);
}
try {
  process.stdout.write(JSON.stringify(await measure(path, sha256)) + "\n");
  process.exit(0);
} catch (error) {
  process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
}

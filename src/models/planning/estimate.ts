/**
 * Memory estimators for fit: what a model file needs in RAM and VRAM for a given offload and context.
 * Two sources, one interface: GgufInsights' numbers for an installed file (measured by
 * engine/native/runner-process/insights.ts, which reads the real header), and the catalog's architecture numbers for a file
 * not downloaded yet. Pure: no I/O.
 */
import type { Architecture, CatalogEntry, CatalogFile } from "../catalog.js";
import type { GgufInsightsTable } from "../../engine/native/insights-table.js";

export interface MemoryNeed {
  ramBytes: number;
  vramBytes: number;
}

/** What fit asks of a model file. `gpuLayers` counts like node-llama-cpp: 0 … `totalLayers` (blocks + output). */
export interface FileEstimator {
  /** Where the numbers come from, for the reason line: "GGUF header" or "catalog". */
  readonly basis: "gguf" | "catalog";
  readonly totalLayers: number;
  /** Bytes of weights read for each generated token (the speed estimate's basis). */
  readonly weightBytes: number;
  /** The weights: `gpuLayers` of them in VRAM, the rest in RAM (memory-mapped, but resident once used). */
  model(gpuLayers: number): MemoryNeed;
  /** The context: KV cache for `sequences` × `contextSize` tokens plus compute buffers. */
  context(contextSize: number, sequences: number, gpuLayers: number): MemoryNeed;
}

/** RAM a runner process needs beyond the model and context: Node, llama.cpp and its buffers (measured ~150–200 MB). */
export const RUNNER_OVERHEAD_BYTES = 200 * 1024 * 1024;

/** llama.cpp evaluates prompts in micro-batches of 512 tokens; the compute buffer is sized for one. */
const MICRO_BATCH = 512;

/**
 * The compute buffer of one micro-batch: its logits (vocabulary × 4 bytes per token) and activations. This
 * matches GgufInsights' graph estimate for the Qwen2.5-0.5B shape within a few per cent.
 */
function computeBufferBytes(vocabularySize: number, embeddingLength: number): number {
  return MICRO_BATCH * (vocabularySize + 8 * embeddingLength) * 4;
}

/** Splits a context need between VRAM and RAM in proportion to the offloaded layers. */
function splitContext(kvBytes: number, computeBytes: number, gpuLayers: number, totalLayers: number): MemoryNeed {
  const share = Math.min(1, gpuLayers / totalLayers);
  if (share === 0) return { ramBytes: kvBytes + computeBytes, vramBytes: 0 };
  // With any offload the compute graph runs on the GPU; the host keeps a small staging buffer.
  return { ramBytes: kvBytes * (1 - share) + computeBytes * 0.1, vramBytes: kvBytes * share + computeBytes };
}

/** An estimator from the catalog's architecture numbers, for a file that is not on disk yet. */
export function catalogEstimator(entry: CatalogEntry, file: CatalogFile): FileEstimator {
  const arch: Architecture = entry.architecture;
  const totalLayers = arch.layers + 1;
  const bytesPerWeight = file.sizeBytes / entry.parameters;
  // node-llama-cpp keeps the token embedding table on the CPU even with every layer offloaded.
  const embeddingBytes = Math.min(file.sizeBytes * 0.5, arch.vocabularySize * arch.embeddingLength * bytesPerWeight);
  const offloadable = file.sizeBytes - embeddingBytes;
  const headDim = arch.headDim ?? Math.floor(arch.embeddingLength / arch.headCount);
  const kvBytesPerTokenLayer = 2 * arch.headCountKv * headDim * 2; // K and V, f16
  const swaLayers = arch.slidingWindow !== undefined ? (arch.slidingWindowLayers ?? 0) : 0;
  const compute = computeBufferBytes(arch.vocabularySize, arch.embeddingLength);
  return {
    basis: "catalog",
    totalLayers,
    // A mixture of experts reads only its active experts' weights for each token.
    weightBytes: file.sizeBytes * Math.min(1, (entry.activeParameters ?? entry.parameters) / entry.parameters),
    model(gpuLayers) {
      // As llama.cpp counts: the first offloaded "layer" is the output, the rest are blocks from the top down.
      const blocks = Math.max(0, Math.min(gpuLayers - 1, arch.layers));
      const onGpu = (offloadable * blocks) / arch.layers;
      // The output layer (the last one counted) needs the embedding-sized output matrix on the GPU, while the
      // token lookup table stays on the CPU: the same size again, as GgufInsights counts it.
      const output = gpuLayers >= totalLayers ? embeddingBytes : 0;
      return { ramBytes: file.sizeBytes - onGpu, vramBytes: onGpu + output };
    },
    context(contextSize, sequences, gpuLayers) {
      const window = arch.slidingWindow ?? contextSize;
      // Sliding-window layers keep only the window (plus a micro-batch) of each sequence.
      const swaTokens = Math.min(contextSize, window + MICRO_BATCH) * sequences;
      const fullTokens = contextSize * sequences;
      const kv = kvBytesPerTokenLayer * ((arch.layers - swaLayers) * fullTokens + swaLayers * swaTokens);
      return splitContext(kv, compute, gpuLayers, totalLayers);
    },
  };
}

/** An estimator from GgufInsights' numbers for an installed file. */
export function insightsEstimator(table: GgufInsightsTable): FileEstimator {
  const { totalLayers } = table;
  return {
    basis: "gguf",
    totalLayers,
    weightBytes: table.modelSize,
    model(gpuLayers) {
      const row = table.model[Math.max(0, Math.min(gpuLayers, totalLayers))];
      return row ? { ...row } : { ramBytes: table.modelSize, vramBytes: 0 };
    },
    context(contextSize, sequences, gpuLayers) {
      const total = contextBytes(table, contextSize, sequences);
      // The smallest measured context is nearly all compute buffer; the rest grows with the KV cache.
      const compute = contextBytes(table, table.contextSizes[0] ?? contextSize, 1);
      return splitContext(Math.max(0, total - compute), compute, gpuLayers, totalLayers);
    },
  };
}

/** Interpolates (or extrapolates linearly past the last point) the measured context bytes. */
function contextBytes(table: GgufInsightsTable, contextSize: number, sequences: number): number {
  const rows = table.context;
  const row = rows[Math.min(sequences, rows.length) - 1] ?? [];
  const sizes = table.contextSizes;
  // More sequences than measured: the KV cache scales with the tokens, so scale the largest row.
  const scale = sequences > rows.length ? sequences / rows.length : 1;
  let i = sizes.findIndex((s) => s >= contextSize);
  if (i === -1) i = sizes.length - 1;
  if (i === 0) i = 1;
  const [s0, s1, b0, b1] = [sizes[i - 1] ?? 0, sizes[i] ?? 1, row[i - 1] ?? 0, row[i] ?? 0];
  const bytes = s1 === s0 ? b1 : b0 + ((b1 - b0) * (contextSize - s0)) / (s1 - s0);
  return bytes * scale;
}

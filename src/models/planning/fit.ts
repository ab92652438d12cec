/**
 * Fit: which models this box can run well, and how to configure each one. Pure: it takes the candidates
 * (with their memory estimators), a hardware snapshot and a policy, and returns ranked choices with a
 * one-line reason each, plus the models it skipped and why. It never recommends what does not fit.
 *
 * How it decides, per model: try its files best quantization first, at the target context (halving down to
 * the minimum), fully offloaded to the GPU when there is one, else with as many layers offloaded as fit.
 * It prefers, in order: the larger context, full GPU offload, the better quantization, and a speed above
 * the floor. Models are ranked usable first, then fully offloaded before split, then by size (a bigger model
 * answers better), then by speed.
 */
import type { Gpu, HardwareSnapshot } from "../../hardware/snapshot.js";
import { RUNNER_OVERHEAD_BYTES, type FileEstimator, type MemoryNeed } from "./estimate.js";

export interface FitCandidateFile {
  quant: string;
  sizeBytes: number;
  estimator: FileEstimator;
  /** The installed model id when this file is on disk. */
  installedId?: string;
}

export interface FitCandidate {
  /** Catalog id, or the installed id of a model that is not in the catalog. */
  id: string;
  name: string;
  kind: "chat" | "embedding";
  parameters: number;
  trainContextSize: number;
  /** Best quantization first. */
  files: FitCandidateFile[];
}

export interface FitPolicy {
  /** RAM kept free for the OS and other services. */
  reserveRamBytes: number;
  /** VRAM kept free on the GPU (display, driver). */
  reserveVramBytes: number;
  /** Context tokens per sequence to aim for; capped at the model's trained context. */
  targetContextSize: number;
  /** The smallest context fit will go down to before declaring a model too big. */
  minContextSize: number;
  /** Sequences served at once: each gets its own context. */
  parallel: number;
  /** A context size the user set: used as is, never reduced. */
  contextSize?: number;
  /** GPU layers the user set: used as is. */
  gpuLayers?: number;
  /** Generation speed below which a chat model counts as too slow, unless nothing is faster. */
  minTokensPerSecond: number;
}

/** Defaults a box without a configuration gets. */
export const defaultFitPolicy: FitPolicy = {
  reserveRamBytes: 1024 ** 3,
  reserveVramBytes: 256 * 1024 ** 2,
  targetContextSize: 4096,
  minContextSize: 2048,
  parallel: 1,
  minTokensPerSecond: 5,
};

export interface FitChoice {
  modelId: string;
  name: string;
  kind: "chat" | "embedding";
  parameters: number;
  quant: string;
  sizeBytes: number;
  installedId?: string;
  gpuLayers: number;
  totalLayers: number;
  /** Every layer on the GPU. */
  fullOffload: boolean;
  /** Context tokens per sequence. */
  contextSize: number;
  parallel: number;
  /** Estimated memory of the runner, model and context together. */
  estimate: MemoryNeed;
  /** Estimated generation speed of one stream. */
  tokensPerSecond: number;
  /** Below the policy's speed floor (recommended only because nothing faster fits). */
  slow: boolean;
  reason: string;
}

export interface FitSkip {
  modelId: string;
  name: string;
  parameters: number;
  reason: string;
}

export interface FitBudget {
  /** RAM fit may use: available minus the reserve. */
  ramBytes: number;
  /** VRAM fit may use on the chosen GPU; 0 without a usable GPU. */
  vramBytes: number;
  /** RAM and VRAM are one pool (their sum is limited by ramBytes). */
  unified: boolean;
  gpu?: Gpu;
}

export interface FitResult {
  budget: FitBudget;
  /** Best first: chat models, then embedding models. */
  choices: FitChoice[];
  skipped: FitSkip[];
  /** Set when nothing fits: what the smallest model would need. */
  message?: string;
}

/** Memory bandwidth guesses for a snapshot that does not state it: typical of the platform. */
const DEFAULT_RAM_BANDWIDTH = { x64: 25e9, arm64: 12e9 } as Record<string, number>;
const DEFAULT_DISCRETE_GPU_BANDWIDTH = 300e9;
/** Share of the nominal bandwidth generation reaches (memory-bound reads of every weight per token). */
const BANDWIDTH_EFFICIENCY = 0.55;
/**
 * Time each token costs whatever the model's size: kernel launches and synchronisation on a GPU (measured
 * with Vulkan on an H200: 0.5B and 1B models ran at 376–446 tok/s where bandwidth alone predicts thousands),
 * sampling and bookkeeping on the CPU (~0.5 ms per token in node-llama-cpp).
 */
const GPU_TOKEN_OVERHEAD_SECONDS = 0.002;
const CPU_TOKEN_OVERHEAD_SECONDS = 0.0005;

/** The memory fit may use on this snapshot under this policy. */
export function fitBudget(snapshot: HardwareSnapshot, policy: FitPolicy): FitBudget {
  const ramBytes = Math.max(0, snapshot.memory.availableBytes - policy.reserveRamBytes);
  const gpu = snapshot.backends.length > 0 ? largestGpu(snapshot.gpus) : undefined;
  if (!gpu) return { ramBytes, vramBytes: 0, unified: false };
  const free = gpu.vramFreeBytes ?? gpu.vramTotalBytes;
  if (gpu.unified) return { ramBytes, vramBytes: Math.max(0, Math.min(ramBytes, free - policy.reserveVramBytes)), unified: true, gpu };
  return { ramBytes, vramBytes: Math.max(0, free - policy.reserveVramBytes), unified: false, gpu };
}

function largestGpu(gpus: Gpu[]): Gpu | undefined {
  return [...gpus].sort((a, b) => (b.vramFreeBytes ?? b.vramTotalBytes) - (a.vramFreeBytes ?? a.vramTotalBytes))[0];
}

function fits(need: MemoryNeed, budget: FitBudget): boolean {
  if (budget.unified) return need.ramBytes + need.vramBytes <= Math.min(budget.ramBytes, budget.vramBytes);
  return need.ramBytes <= budget.ramBytes && need.vramBytes <= budget.vramBytes;
}

function need(estimator: FileEstimator, gpuLayers: number, contextSize: number, parallel: number, budget: FitBudget): MemoryNeed {
  const model = estimator.model(gpuLayers);
  const context = estimator.context(contextSize, parallel, gpuLayers);
  if (budget.unified) {
    // One pool: the GPU maps the same pages as the CPU, so the weights count once wherever the layers run.
    const weights = estimator.model(0).ramBytes;
    return { ramBytes: Math.ceil(weights + context.ramBytes + context.vramBytes + RUNNER_OVERHEAD_BYTES), vramBytes: 0 };
  }
  return {
    ramBytes: Math.ceil(model.ramBytes + context.ramBytes + RUNNER_OVERHEAD_BYTES),
    vramBytes: Math.ceil(model.vramBytes + context.vramBytes),
  };
}

/**
 * Fit's choice for `candidate` with the largest context per sequence, from the choice's doubling up to `upTo`
 * (and `upTo` itself), that still fits the budget with the same file and GPU layers: how
 * `inference.contextSize: auto` grows a model's context. The choice itself when nothing larger fits.
 */
export function growContext(candidate: FitCandidate, picked: FitChoice, upTo: number, budget: FitBudget, policy: FitPolicy): FitChoice {
  const file = candidate.files.find((f) => f.quant === picked.quant);
  if (!file) return picked;
  let best: Option | undefined;
  const sizes: number[] = [];
  for (let size = picked.contextSize * 2; size < upTo; size *= 2) sizes.push(size);
  sizes.push(upTo);
  for (const contextSize of sizes) {
    if (contextSize <= (best?.contextSize ?? picked.contextSize)) continue;
    const estimate = need(file.estimator, picked.gpuLayers, contextSize, policy.parallel, budget);
    if (!fits(estimate, budget)) break;
    best = { file, gpuLayers: picked.gpuLayers, contextSize, estimate, tokensPerSecond: picked.tokensPerSecond };
  }
  return best ? choice(candidate, best, picked.slow, budget, policy) : picked;
}

/** Estimated tokens per second: every weight is read once per token, from wherever it lives. */
export function estimateSpeed(snapshot: HardwareSnapshot, budget: FitBudget, estimator: FileEstimator, gpuLayers: number): number {
  const ramBandwidth = snapshot.memory.bandwidthBytesPerSecond ?? DEFAULT_RAM_BANDWIDTH[snapshot.os.arch] ?? 15e9;
  const gpuBandwidth = budget.gpu?.bandwidthBytesPerSecond ?? (budget.unified ? ramBandwidth : DEFAULT_DISCRETE_GPU_BANDWIDTH);
  const share = Math.min(1, gpuLayers / estimator.totalLayers);
  const seconds =
    (share > 0 ? GPU_TOKEN_OVERHEAD_SECONDS : CPU_TOKEN_OVERHEAD_SECONDS) +
    (estimator.weightBytes * (1 - share)) / (ramBandwidth * BANDWIDTH_EFFICIENCY) +
    (estimator.weightBytes * share) / (gpuBandwidth * BANDWIDTH_EFFICIENCY);
  return 1 / seconds;
}

interface Option {
  file: FitCandidateFile;
  gpuLayers: number;
  contextSize: number;
  estimate: MemoryNeed;
  tokensPerSecond: number;
}

/** Context sizes to try: the user's, or the target halving down to the minimum (all capped at the trained size). */
function contextSizes(candidate: FitCandidate, policy: FitPolicy): number[] {
  if (policy.contextSize !== undefined) return [policy.contextSize];
  const cap = (n: number) => Math.min(n, candidate.trainContextSize);
  const sizes: number[] = [];
  for (let size = policy.targetContextSize; size >= policy.minContextSize; size = Math.floor(size / 2)) sizes.push(cap(size));
  if (sizes.length === 0) sizes.push(cap(policy.minContextSize));
  return [...new Set(sizes)];
}

/** The most layers that fit (full offload first), or undefined when not even the CPU-only layout fits. */
function bestOffload(file: FitCandidateFile, contextSize: number, policy: FitPolicy, budget: FitBudget): number | undefined {
  const total = file.estimator.totalLayers;
  if (policy.gpuLayers !== undefined) {
    const layers = Math.min(policy.gpuLayers, budget.vramBytes > 0 ? total : 0);
    return fits(need(file.estimator, layers, contextSize, policy.parallel, budget), budget) ? layers : undefined;
  }
  const maxLayers = budget.vramBytes > 0 ? total : 0;
  for (let layers = maxLayers; layers >= 0; layers--) {
    if (fits(need(file.estimator, layers, contextSize, policy.parallel, budget), budget)) return layers;
  }
  return undefined;
}

/** Every layout of a candidate that fits, in order of preference. */
function options(candidate: FitCandidate, snapshot: HardwareSnapshot, policy: FitPolicy, budget: FitBudget): Option[] {
  const found: Option[] = [];
  for (const contextSize of contextSizes(candidate, policy)) {
    const atThisContext: Option[] = [];
    for (const file of candidate.files) {
      const gpuLayers = bestOffload(file, contextSize, policy, budget);
      if (gpuLayers === undefined) continue;
      atThisContext.push({
        file,
        gpuLayers,
        contextSize,
        estimate: need(file.estimator, gpuLayers, contextSize, policy.parallel, budget),
        tokensPerSecond: estimateSpeed(snapshot, budget, file.estimator, gpuLayers),
      });
    }
    // Full offload beats a better quantization split between GPU and CPU: it is several times faster.
    atThisContext.sort((a, b) => Number(isFull(b)) - Number(isFull(a)));
    found.push(...atThisContext);
  }
  return found;
}

function isFull(option: Option): boolean {
  return option.gpuLayers >= option.file.estimator.totalLayers;
}

/** Ranks the candidates that fit the snapshot under the policy. */
export function fitModels(candidates: FitCandidate[], snapshot: HardwareSnapshot, policy: FitPolicy = defaultFitPolicy): FitResult {
  const budget = fitBudget(snapshot, policy);
  const picked: { candidate: FitCandidate; option: Option; fast: boolean }[] = [];
  const tooBig: FitCandidate[] = [];
  for (const candidate of candidates) {
    const all = options(candidate, snapshot, policy, budget);
    if (all.length === 0) {
      tooBig.push(candidate);
      continue;
    }
    const fast = all.find((o) => candidate.kind === "embedding" || o.tokensPerSecond >= policy.minTokensPerSecond);
    // Too slow everywhere: keep its fastest layout, in case nothing else is faster either.
    const option = fast ?? [...all].sort((a, b) => b.tokensPerSecond - a.tokensPerSecond)[0];
    if (option) picked.push({ candidate, option, fast: fast !== undefined });
  }

  const anyFastChat = picked.some((p) => p.fast && p.candidate.kind === "chat");
  const skipped: FitSkip[] = tooBig.map((c) => ({ modelId: c.id, name: c.name, parameters: c.parameters, reason: tooBigReason(c, policy, budget) }));
  const choices: FitChoice[] = [];
  for (const p of picked) {
    if (!p.fast && anyFastChat) {
      skipped.push({ modelId: p.candidate.id, name: p.candidate.name, parameters: p.candidate.parameters, reason: tooSlowReason(p.option, policy) });
      continue;
    }
    choices.push(choice(p.candidate, p.option, !p.fast, budget, policy));
  }
  choices.sort(
    (a, b) =>
      Number(a.kind === "embedding") - Number(b.kind === "embedding") ||
      Number(a.slow) - Number(b.slow) ||
      // A model that runs wholly on the GPU beats a bigger one split with the CPU: several times the speed.
      Number(b.fullOffload && budget.vramBytes > 0) - Number(a.fullOffload && budget.vramBytes > 0) ||
      b.parameters - a.parameters ||
      b.tokensPerSecond - a.tokensPerSecond,
  );
  skipped.sort((a, b) => b.parameters - a.parameters);
  const result: FitResult = { budget, choices, skipped };
  if (choices.length === 0) result.message = nothingFitsMessage(candidates, policy, budget);
  return result;
}

function choice(candidate: FitCandidate, option: Option, slow: boolean, budget: FitBudget, policy: FitPolicy): FitChoice {
  const totalLayers = option.file.estimator.totalLayers;
  const fullOffload = option.gpuLayers >= totalLayers;
  const where = fullOffload
    ? `fully on the ${budget.gpu?.model ?? "GPU"}`
    : option.gpuLayers > 0
      ? `${option.gpuLayers} of ${totalLayers} layers on the GPU, the rest on the CPU`
      : "on the CPU";
  const memory = budget.unified || option.estimate.vramBytes === 0
    ? `${gb(option.estimate.ramBytes + option.estimate.vramBytes)} of ${gb(budget.ramBytes)}`
    : `${gb(option.estimate.vramBytes)} of ${gb(budget.vramBytes)} VRAM, ${gb(option.estimate.ramBytes)} RAM`;
  const speed = `~${Math.round(option.tokensPerSecond)} tok/s`;
  const reason =
    `${option.file.quant} ${where}, ${option.contextSize}-token context: ${memory}, ${speed}` +
    (slow ? " (slow, but nothing faster fits)" : "");
  return {
    modelId: candidate.id,
    name: candidate.name,
    kind: candidate.kind,
    parameters: candidate.parameters,
    quant: option.file.quant,
    sizeBytes: option.file.sizeBytes,
    ...(option.file.installedId !== undefined && { installedId: option.file.installedId }),
    gpuLayers: option.gpuLayers,
    totalLayers,
    fullOffload,
    contextSize: option.contextSize,
    parallel: policy.parallel,
    estimate: option.estimate,
    tokensPerSecond: option.tokensPerSecond,
    slow,
    reason,
  };
}

/** The smallest layout of a model: its last (smallest) file, the minimum context, nothing offloaded. */
function smallestNeed(candidate: FitCandidate, policy: FitPolicy, budget: FitBudget): { quant: string; contextSize: number; need: MemoryNeed } | undefined {
  const file = candidate.files[candidate.files.length - 1];
  if (!file) return undefined;
  const contextSize = policy.contextSize ?? Math.min(policy.minContextSize, candidate.trainContextSize);
  return { quant: file.quant, contextSize, need: need(file.estimator, 0, contextSize, policy.parallel, budget) };
}

function tooBigReason(candidate: FitCandidate, policy: FitPolicy, budget: FitBudget): string {
  const smallest = smallestNeed(candidate, policy, budget);
  if (!smallest) return "no files";
  const total = smallest.need.ramBytes + smallest.need.vramBytes;
  const room = budget.vramBytes > 0 && !budget.unified ? `${gb(budget.ramBytes)} RAM + ${gb(budget.vramBytes)} VRAM` : gb(budget.ramBytes);
  return `too big: needs ${gb(total)} even as ${smallest.quant} with a ${smallest.contextSize}-token context; ${room} available`;
}

function tooSlowReason(option: Option, policy: FitPolicy): string {
  return (
    `too slow: fits as ${option.file.quant} but would generate ~${option.tokensPerSecond.toFixed(1)} tok/s, ` +
    `below the ${policy.minTokensPerSecond} tok/s floor`
  );
}

function nothingFitsMessage(candidates: FitCandidate[], policy: FitPolicy, budget: FitBudget): string {
  const smallest = candidates
    .map((c) => ({ c, s: smallestNeed(c, policy, budget) }))
    .filter((x): x is { c: FitCandidate; s: NonNullable<ReturnType<typeof smallestNeed>> } => x.s !== undefined)
    .sort((a, b) => a.s.need.ramBytes - b.s.need.ramBytes)[0];
  if (!smallest) return "No models to choose from.";
  return (
    `Nothing fits this box: the smallest model, ${smallest.c.name} (${smallest.s.quant}), needs ${gb(smallest.s.need.ramBytes)} of RAM, ` +
    `and ${gb(budget.ramBytes)} is available after keeping ${gb(policy.reserveRamBytes)} for the system.`
  );
}

function gb(bytes: number): string {
  return `${(bytes / 1e9).toFixed(bytes >= 10e9 ? 0 : 1)} GB`;
}

/** fit (pure): layouts that fit, offload preference, unified memory, context sizing, speed floor, overrides. */
import { describe, expect, it } from "vitest";
import type { CatalogEntry } from "../../src/models/catalog.js";
import { catalogEstimator } from "../../src/models/planning/estimate.js";
import { defaultFitPolicy, fitModels, growContext, type FitCandidate, type FitPolicy } from "../../src/models/planning/fit.js";
import type { HardwareSnapshot } from "../../src/hardware/snapshot.js";

const GB = 1e9;

/** A Qwen3-like entry of `billions` parameters with files at 8.5 and 4.9 bits per weight. */
function entry(id: string, billions: number, layers: number, embd: number): CatalogEntry {
  const parameters = billions * 1e9;
  return {
    id,
    name: id,
    family: "test",
    description: "test",
    kind: "chat",
    parameters,
    license: "apache-2.0",
    capabilities: { tools: true, reasoning: false, embeddings: false, vision: false },
    contextLength: 40960,
    architecture: { layers, embeddingLength: embd, headCount: embd / 128, headCountKv: 8, headDim: 128, vocabularySize: 151_936 },
    files: [
      { quant: "Q8_0", uri: "hf:o/r/m-Q8_0.gguf", sizeBytes: Math.round((parameters * 8.5) / 8) },
      { quant: "Q4_K_M", uri: "hf:o/r/m-Q4_K_M.gguf", sizeBytes: Math.round((parameters * 4.9) / 8) },
    ],
  };
}

function candidate(e: CatalogEntry): FitCandidate {
  return {
    id: e.id,
    name: e.name,
    kind: e.kind,
    parameters: e.parameters,
    trainContextSize: e.contextLength,
    files: e.files.map((f) => ({ quant: f.quant, sizeBytes: f.sizeBytes, estimator: catalogEstimator(e, f) })),
  };
}

const small = candidate(entry("m-1b", 1.7, 28, 2048));
const medium = candidate(entry("m-8b", 8.2, 36, 4096));
const large = candidate(entry("m-32b", 32.8, 64, 5120));
const all = [small, medium, large];

function box(options: { ramGB: number; vramGB?: number; unified?: boolean; ramBandwidth?: number; gpuBandwidth?: number }): HardwareSnapshot {
  const gpu = options.vramGB !== undefined;
  return {
    version: 1,
    takenAt: "2026-01-01T00:00:00Z",
    source: "test",
    os: { platform: "linux", arch: "x64" },
    cpu: { model: "test", physicalCores: 8, logicalCores: 16, simd: ["avx2"] },
    memory: { totalBytes: options.ramGB * GB, availableBytes: options.ramGB * GB * 0.9, bandwidthBytesPerSecond: options.ramBandwidth ?? 50e9 },
    gpus: gpu
      ? [
          {
            vendor: "NVIDIA",
            model: "Test GPU",
            vramTotalBytes: (options.vramGB ?? 0) * GB,
            vramFreeBytes: (options.vramGB ?? 0) * GB * 0.97,
            unified: options.unified ?? false,
            bandwidthBytesPerSecond: options.gpuBandwidth ?? 400e9,
          },
        ]
      : [],
    disk: { path: "/", totalBytes: 500 * GB, freeBytes: 400 * GB },
    backends: gpu ? ["cuda"] : [],
  };
}

const policy: FitPolicy = { ...defaultFitPolicy, parallel: 2 };

function withinBudget(result: ReturnType<typeof fitModels>): void {
  for (const c of result.choices) {
    if (result.budget.unified) expect(c.estimate.ramBytes + c.estimate.vramBytes).toBeLessThanOrEqual(result.budget.ramBytes);
    else expect(c.estimate.ramBytes).toBeLessThanOrEqual(result.budget.ramBytes);
    expect(c.estimate.vramBytes).toBeLessThanOrEqual(result.budget.vramBytes);
  }
}

describe("fit", () => {
  it("ranks by size what fits fully on a big GPU, and never plans past the memory left after the reserve", () => {
    const result = fitModels(all, box({ ramGB: 64, vramGB: 48 }), policy);
    withinBudget(result);
    expect(result.choices.map((c) => c.modelId)).toEqual(["m-32b", "m-8b", "m-1b"]);
    expect(result.choices.every((c) => c.fullOffload && c.quant === "Q8_0" && c.contextSize === 4096)).toBe(true);
    expect(result.choices[0]?.reason).toMatch(/Q8_0 fully on the Test GPU, 4096-token context: .* VRAM.*tok\/s/);
  });

  it("prefers full offload of a smaller quantization over a better one split between GPU and CPU", () => {
    // 8B: Q8_0 ≈ 8.7 GB does not fit 8 GB of VRAM; Q4_K_M ≈ 5 GB does.
    const result = fitModels([medium], box({ ramGB: 32, vramGB: 8 }), policy);
    withinBudget(result);
    expect(result.choices[0]).toMatchObject({ quant: "Q4_K_M", fullOffload: true });
  });

  it("offloads as many layers as fit when no file fits the GPU whole, and says so", () => {
    const result = fitModels([large], box({ ramGB: 64, vramGB: 12, ramBandwidth: 80e9 }), { ...policy, minTokensPerSecond: 1 });
    withinBudget(result);
    const choice = result.choices[0];
    expect(choice?.fullOffload).toBe(false);
    expect(choice?.gpuLayers).toBeGreaterThan(10);
    expect(choice?.reason).toMatch(/\d+ of 65 layers on the GPU/);
  });

  it("counts a unified GPU's memory against the one shared pool", () => {
    const unified = box({ ramGB: 16, vramGB: 16, unified: true, gpuBandwidth: 120e9, ramBandwidth: 120e9 });
    const result = fitModels(all, unified, policy);
    withinBudget(result);
    expect(result.budget.unified).toBe(true);
    expect(result.choices[0]?.modelId).toBe("m-8b");
    expect(result.skipped.find((s) => s.modelId === "m-32b")?.reason).toMatch(/^too big: needs .* GB even as Q4_K_M/);
  });

  it("on a CPU box skips a model that would be too slow, explaining why, when a faster one fits", () => {
    const result = fitModels(all, box({ ramGB: 32, ramBandwidth: 20e9 }), policy);
    withinBudget(result);
    expect(result.choices.map((c) => c.modelId)).toEqual(["m-1b"]);
    expect(result.choices[0]).toMatchObject({ gpuLayers: 0, slow: false });
    const skipped8b = result.skipped.find((s) => s.modelId === "m-8b");
    expect(skipped8b?.reason).toMatch(/^too slow: fits as Q4_K_M but would generate ~\d+(\.\d)? tok\/s, below the 5 tok\/s floor/);
  });

  it("recommends the fastest model that fits when none reaches the speed floor, flagged slow", () => {
    const result = fitModels(all, box({ ramGB: 8, ramBandwidth: 4e9 }), policy);
    withinBudget(result);
    expect(result.choices[0]).toMatchObject({ modelId: "m-1b", slow: true, quant: "Q4_K_M" });
    expect(result.choices[0]?.reason).toMatch(/slow, but nothing faster fits/);
  });

  it("halves the context before giving up on a model, and stops at the minimum", () => {
    // 1.7B Q4_K_M ≈ 1.04 GB of weights, and 115 KB of KV cache per token: 4 × 4096 tokens do not fit ~3 GB, 4 × 2048 do.
    const tight = box({ ramGB: 4.5, ramBandwidth: 50e9 });
    const result = fitModels([small], tight, { ...policy, parallel: 4 });
    withinBudget(result);
    expect(result.choices[0]).toMatchObject({ contextSize: 2048, quant: "Q4_K_M" });
    const tighter = fitModels([small], box({ ramGB: 3.5 }), { ...policy, parallel: 4 });
    expect(tighter.choices).toEqual([]);
    expect(tighter.skipped[0]?.reason).toMatch(/2048-token context/);
  });

  it("says clearly when nothing fits, with what the smallest model needs", () => {
    const result = fitModels(all, box({ ramGB: 1.5 }), policy);
    expect(result.choices).toEqual([]);
    expect(result.message).toMatch(/^Nothing fits this box: the smallest model, m-1b \(Q4_K_M\), needs [\d.]+ GB of RAM, and [\d.]+ GB is available after keeping 1\.1 GB for the system\.$/);
  });

  it("keeps the user's context size and GPU layers as they are", () => {
    const result = fitModels([medium], box({ ramGB: 64, vramGB: 24 }), { ...policy, contextSize: 16384, gpuLayers: 10 });
    expect(result.choices[0]).toMatchObject({ contextSize: 16384, gpuLayers: 10, fullOffload: false });
    const tooBig = fitModels([medium], box({ ramGB: 8 }), { ...policy, contextSize: 131072 });
    expect(tooBig.choices).toEqual([]);
    expect(tooBig.skipped[0]?.reason).toMatch(/131072-token context/);
  });

  it("caps the context at the model's trained size", () => {
    const short = { ...small, trainContextSize: 2048 };
    expect(fitModels([short], box({ ramGB: 32 }), policy).choices[0]?.contextSize).toBe(2048);
  });
});

describe("growContext (inference.contextSize auto)", () => {
  it("grows a choice to the largest context that fits, keeping its file and GPU layers, and never past the budget", () => {
    const roomy = fitModels([small], box({ ramGB: 64 }), policy);
    const picked = roomy.choices[0];
    if (!picked) throw new Error("the small model fits");
    const grown = growContext(small, picked, 32_768, roomy.budget, policy);
    expect(grown).toMatchObject({ quant: picked.quant, gpuLayers: picked.gpuLayers, contextSize: 32_768 });
    expect(grown.reason).toMatch(/32768-token context/);
    expect(grown.estimate.ramBytes).toBeGreaterThan(picked.estimate.ramBytes);
    expect(grown.estimate.ramBytes).toBeLessThanOrEqual(roomy.budget.ramBytes);

    // Where memory runs out, the context stops at the last size that fits.
    const tight = fitModels([small], box({ ramGB: 4.5 }), policy);
    const first = tight.choices[0];
    if (!first) throw new Error("the small model fits");
    const limited = growContext(small, first, 32_768, tight.budget, policy);
    expect(limited.contextSize).toBeGreaterThanOrEqual(first.contextSize);
    expect(limited.contextSize).toBeLessThan(32_768);
    expect(limited.estimate.ramBytes).toBeLessThanOrEqual(tight.budget.ramBytes);
    // Capped at what it may grow to (the trained length).
    expect(growContext(small, picked, picked.contextSize, roomy.budget, policy)).toBe(picked);
  });
});

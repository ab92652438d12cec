/**
 * fit on every hardware fixture with the real catalog: the expected ranked choices, each within the memory
 * left after the reserve. The policy is the default each box gets: parallel = its cores, at most 4.
 */
import { readdirSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { beforeAll, describe, expect, it } from "vitest";
import { loadHardwareSnapshot } from "../../src/hardware/load.js";
import type { HardwareSnapshot } from "../../src/hardware/snapshot.js";
import { buildCandidates } from "../../src/models/planning/candidates.js";
import { loadCatalog, type Catalog } from "../../src/models/catalog.js";
import { defaultFitPolicy, fitModels, type FitPolicy, type FitResult } from "../../src/models/planning/fit.js";
import { autoParallel } from "../../src/models/planning/load-plan.js";

const fixtures = fileURLToPath(new URL("../fixtures/hardware/", import.meta.url));
const policyFor = (snapshot: HardwareSnapshot): FitPolicy => ({ ...defaultFitPolicy, parallel: autoParallel(snapshot) });

/** Per fixture: the top chat choices in order (catalog id:quant), and how the best one runs. */
const expected: Record<string, { top: string[]; where: "gpu" | "cpu" | "split" }> = {
  "raspberry-pi-5-8gb": { top: ["qwen3-1.7b:Q8_0", "llama-3.2-1b:Q8_0", "gemma-3-1b:Q8_0"], where: "cpu" },
  "intel-n100-16gb": { top: ["qwen3-4b:Q6_K", "gemma-3-4b:Q8_0", "phi-4-mini:Q8_0"], where: "gpu" },
  "rtx-3060-12gb": { top: ["qwen3-14b:Q4_K_M", "gemma-3-12b:Q4_K_M", "qwen3-8b:Q8_0"], where: "gpu" },
  "rtx-4090-24gb": { top: ["qwen3-32b:Q4_K_M", "qwen3-30b-a3b:Q4_K_M", "gemma-3-27b:Q4_K_M"], where: "gpu" },
  "jetson-orin-nano-8gb": { top: ["qwen3-4b:Q4_K_M", "gemma-3-4b:Q6_K", "phi-4-mini:Q4_K_M"], where: "gpu" },
  "mac-mini-m4-16gb": { top: ["qwen3-8b:Q4_K_M", "llama-3.1-8b:Q6_K", "qwen3-4b:Q8_0"], where: "gpu" },
  "x86-4gb-cpu": { top: ["llama-3.2-1b:Q8_0", "gemma-3-1b:Q8_0", "qwen3-0.6b:Q8_0"], where: "cpu" },
  "nvidia-h200-141gb": { top: ["qwen3-32b:Q8_0", "qwen3-30b-a3b:Q8_0", "gemma-3-27b:Q8_0"], where: "gpu" },
};

describe("fit on the hardware fixtures", () => {
  let catalog: Catalog;
  const results = new Map<string, { snapshot: HardwareSnapshot; result: FitResult }>();

  beforeAll(async () => {
    catalog = await loadCatalog();
    for (const file of readdirSync(fixtures).filter((f) => f.endsWith(".json"))) {
      const snapshot = await loadHardwareSnapshot(join(fixtures, file));
      results.set(file.replace(/\.json$/, ""), { snapshot, result: fitModels(buildCandidates(catalog, []), snapshot, policyFor(snapshot)) });
    }
  });

  it("has an expectation for every fixture", () => {
    expect([...results.keys()].sort()).toEqual(Object.keys(expected).sort());
  });

  for (const [name, want] of Object.entries(expected)) {
    it(`${name}: ranks ${want.top[0] ?? ""} first, within the memory left after the reserve`, () => {
      const entry = results.get(name);
      if (!entry) throw new Error(`no fixture ${name}`);
      const { result, snapshot } = entry;
      const chat = result.choices.filter((c) => c.kind === "chat");
      expect(chat.slice(0, want.top.length).map((c) => `${c.modelId}:${c.quant}`)).toEqual(want.top);
      const best = chat[0];
      expect(best?.slow).toBe(false);
      expect(best && (best.fullOffload ? "gpu" : best.gpuLayers > 0 ? "split" : "cpu")).toBe(want.where);
      const available = snapshot.memory.availableBytes - defaultFitPolicy.reserveRamBytes;
      for (const c of result.choices) {
        if (result.budget.unified) expect(c.estimate.ramBytes + c.estimate.vramBytes).toBeLessThanOrEqual(available);
        else expect(c.estimate.ramBytes).toBeLessThanOrEqual(available);
        expect(c.estimate.vramBytes).toBeLessThanOrEqual(result.budget.vramBytes);
        expect(c.reason.length).toBeGreaterThan(20);
      }
      // At least two embedding models fit every box, and every bigger chat model not chosen says why.
      expect(result.choices.filter((c) => c.kind === "embedding").length).toBeGreaterThanOrEqual(2);
      const chosen = new Set(result.choices.map((c) => c.modelId));
      for (const model of catalog.models.filter((m) => m.kind === "chat" && m.parameters > (best?.parameters ?? 0))) {
        if (chosen.has(model.id)) continue;
        expect(result.skipped.find((s) => s.modelId === model.id)?.reason).toMatch(/^too (big|slow): /);
      }
    });
  }

  it("gives a box where nothing fits a clear message", () => {
    const tiny = results.get("x86-4gb-cpu")?.snapshot;
    if (!tiny) throw new Error("no 4 GB fixture");
    const starved: HardwareSnapshot = { ...tiny, memory: { ...tiny.memory, totalBytes: 1.5e9, availableBytes: 1.2e9 } };
    const result = fitModels(buildCandidates(catalog, []), starved, policyFor(starved));
    expect(result.choices).toEqual([]);
    expect(result.message).toMatch(/^Nothing fits this box: the smallest model, .+ needs [\d.]+ GB of RAM, and 0\.1 GB is available/);
  });
});

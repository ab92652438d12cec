import { beforeAll, describe, expect, it } from "vitest";
import { ChaiboxError } from "../../src/errors.js";
import { findCatalogFile, isCatalogRef, loadCatalog, parseCatalog, type Catalog, type CatalogEntry } from "../../src/models/catalog.js";
import { bitsPerWeight, estimateFileBytes } from "../../src/models/planning/quant.js";

let catalog: Catalog;

beforeAll(async () => {
  // The catalog the package ships, validated against its schema on the way in.
  catalog = await loadCatalog();
});

const chat = (): CatalogEntry[] => catalog.models.filter((m) => m.kind === "chat");
const embedding = (): CatalogEntry[] => catalog.models.filter((m) => m.kind === "embedding");

function codeOf(thrown: () => unknown): { code: string; message: string } {
  try {
    thrown();
  } catch (error) {
    expect(error).toBeInstanceOf(ChaiboxError);
    return { code: (error as ChaiboxError).code, message: (error as ChaiboxError).message };
  }
  throw new Error("expected a ChaiboxError");
}

describe("the shipped catalog", () => {
  it("covers chat models from ~0.5B to ~32B and at least two embedding models", () => {
    const sizes = chat().map((m) => m.parameters);
    expect(Math.min(...sizes)).toBeLessThan(0.8e9);
    expect(Math.max(...sizes)).toBeGreaterThan(30e9);
    const ids = catalog.models.map((m) => m.id);
    for (const id of [
      "qwen3-0.6b", "qwen3-1.7b", "qwen3-4b", "qwen3-8b", "qwen3-14b", "qwen3-32b",
      "llama-3.2-1b", "llama-3.2-3b", "llama-3.1-8b",
      "gemma-3-1b", "gemma-3-4b", "gemma-3-12b", "gemma-3-27b",
      "phi-4-mini", "smollm3-3b",
    ]) {
      expect(ids).toContain(id);
    }
    expect(embedding().length).toBeGreaterThanOrEqual(2);
    for (const m of embedding()) expect(m.capabilities.embeddings, m.id).toBe(true);
    for (const m of chat()) expect(m.capabilities.embeddings, m.id).toBe(false);
  });

  it("has unique ids and unique download URIs", () => {
    const ids = catalog.models.map((m) => m.id);
    expect(new Set(ids).size).toBe(ids.length);
    const uris = catalog.models.flatMap((m) => m.files.map((f) => f.uri));
    expect(new Set(uris).size).toBe(uris.length);
  });

  it("lists every model's files from best to worst quantization", () => {
    for (const m of catalog.models) {
      const bits = m.files.map((f) => bitsPerWeight(f.quant));
      expect(bits.every((b) => b !== undefined), `${m.id}: unknown quantization in ${m.files.map((f) => f.quant).join(", ")}`).toBe(true);
      for (let i = 1; i < bits.length; i++) {
        expect(bits[i]! <= bits[i - 1]!, `${m.id}: ${m.files[i]!.quant} listed after ${m.files[i - 1]!.quant}`).toBe(true);
      }
    }
  });

  it("names each file after its quantization", () => {
    // A quant label that disagrees with the file would make fit plan with the wrong size class.
    for (const m of catalog.models) {
      for (const f of m.files) {
        const name = f.uri.slice(f.uri.lastIndexOf("/") + 1).toLowerCase();
        expect(name.includes(f.quant.toLowerCase()), `${m.id}: ${name} is not ${f.quant}`).toBe(true);
      }
    }
  });

  it("gives sizes that fit the parameter count and bits per weight", () => {
    // Catches a slipped digit, a wrong file or a wrong parameter count; real files land within a few percent.
    for (const m of catalog.models) {
      const embeddingParameters = m.architecture.vocabularySize * m.architecture.embeddingLength;
      for (const f of m.files) {
        const ratio = f.sizeBytes / estimateFileBytes(m.parameters, embeddingParameters, f.quant);
        expect(ratio, `${m.id}:${f.quant} is ${ratio.toFixed(2)}× its estimate`).toBeGreaterThan(0.8);
        expect(ratio, `${m.id}:${f.quant} is ${ratio.toFixed(2)}× its estimate`).toBeLessThan(1.25);
      }
    }
  });

  it("carries a SHA-256 only with an exact size", () => {
    // A hash comes from the same listing as the exact size; one without the other means a copy error.
    for (const m of catalog.models) {
      for (const f of m.files) {
        if (f.sizeEstimated) expect(f.sha256, `${m.id}:${f.quant}`).toBeUndefined();
      }
    }
  });

  it("has consistent attention shapes", () => {
    for (const { id, architecture: a, contextLength } of catalog.models) {
      expect(a.headCountKv, id).toBeLessThanOrEqual(a.headCount);
      expect(a.headCount % a.headCountKv, `${id}: query heads not a multiple of KV heads`).toBe(0);
      if (a.headDim === undefined) {
        expect(a.embeddingLength % a.headCount, `${id}: embeddingLength / headCount is not whole`).toBe(0);
      } else {
        // Qwen3 and Gemma 3 decouple the head size from the hidden size, but not by more than 2×.
        const ratio = (a.headDim * a.headCount) / a.embeddingLength;
        expect(ratio, `${id}: headDim × headCount is ${ratio.toFixed(2)}× embeddingLength`).toBeGreaterThanOrEqual(0.5);
        expect(ratio, `${id}: headDim × headCount is ${ratio.toFixed(2)}× embeddingLength`).toBeLessThanOrEqual(2);
        expect([64, 80, 96, 128, 256], id).toContain(a.headDim);
      }
      expect(a.slidingWindow === undefined, `${id}: slidingWindow and slidingWindowLayers go together`).toBe(a.slidingWindowLayers === undefined);
      if (a.slidingWindow !== undefined) {
        expect(a.slidingWindowLayers!, id).toBeLessThan(a.layers);
        expect(a.slidingWindow, id).toBeLessThan(contextLength);
      }
    }
  });

  it("names the Ollama library models of each entry that has one", () => {
    const of = (id: string): string[] | undefined => catalog.models.find((m) => m.id === id)?.ollama;
    expect(of("qwen3-8b")).toEqual(["qwen3:8b", "qwen3:latest"]);
    expect(of("qwen3-30b-a3b")).toEqual(["qwen3:30b"]);
    expect(of("qwen3-embedding-0.6b")).toEqual(["qwen3-embedding:0.6b"]);
    expect(of("smollm3-3b")).toBeUndefined();
    for (const m of catalog.models.filter((e) => e.id !== "smollm3-3b")) expect(m.ollama, m.id).toBeDefined();
    const names = catalog.models.flatMap((m) => m.ollama ?? []);
    expect(new Set(names).size).toBe(names.length);
  });

  it("gives Gemma 3 its 5-of-6 sliding-window layers", () => {
    for (const m of catalog.models.filter((e) => e.family === "gemma3")) {
      const { layers, slidingWindowLayers } = m.architecture;
      expect(slidingWindowLayers, m.id).toBe(layers - Math.floor(layers / 6));
    }
  });
});

describe("findCatalogFile", () => {
  it("resolves an id to its best file and id:quant to that file, quant case-insensitively", () => {
    const best = findCatalogFile(catalog, "qwen3-4b");
    expect(best.entry.id).toBe("qwen3-4b");
    expect(best.file).toBe(best.entry.files[0]);
    expect(findCatalogFile(catalog, "qwen3-4b:Q4_K_M").file.quant).toBe("Q4_K_M");
    expect(findCatalogFile(catalog, "qwen3-4b:q4_k_m").file.quant).toBe("Q4_K_M");
    expect(findCatalogFile(catalog, "qwen3-4b:Q8_0").file.uri).toBe("hf:Qwen/Qwen3-4B-GGUF/Qwen3-4B-Q8_0.gguf");
  });

  it("answers model_not_found for an unknown id, naming it", () => {
    const error = codeOf(() => findCatalogFile(catalog, "no-such-model"));
    expect(error.code).toBe("model_not_found");
    expect(error.message).toContain("no-such-model");
  });

  it("answers model_not_found for an unknown quantization, listing the ones that exist", () => {
    const error = codeOf(() => findCatalogFile(catalog, "qwen3-4b:IQ1_S"));
    expect(error.code).toBe("model_not_found");
    expect(error.message).toContain("IQ1_S");
    expect(error.message).toContain("Q8_0, Q6_K, Q5_K_M, Q4_K_M");
  });

  it("tells catalog references from URIs", () => {
    expect(isCatalogRef("qwen3-4b")).toBe(true);
    expect(isCatalogRef("qwen3-4b:Q8_0")).toBe(true);
    expect(isCatalogRef("hf:Qwen/Qwen3-4B-GGUF/Qwen3-4B-Q8_0.gguf")).toBe(false);
    expect(isCatalogRef("https://example.com/model.gguf")).toBe(false);
  });
});

describe("parseCatalog", () => {
  /** A well-formed entry (a copy of a real one, without its Ollama names) under `id`. */
  const entry = (id: string, ollama?: string[]): CatalogEntry => {
    const copy: CatalogEntry = { ...structuredClone(catalog.models.find((m) => m.id === "qwen3-0.6b")!), id };
    delete copy.ollama;
    return ollama === undefined ? copy : { ...copy, ollama };
  };
  const problemsOf = (data: unknown): string => {
    try {
      parseCatalog(data, "test.json");
    } catch (error) {
      return (error as Error).message;
    }
    throw new Error("expected the catalog to be refused");
  };

  it("accepts a well-formed catalog", () => {
    expect(parseCatalog({ version: 1, models: [entry("a"), entry("b")] }).models).toHaveLength(2);
  });

  it("refuses bad data and lists every problem at once", () => {
    const bad = entry("a");
    bad.files[0]!.uri = "ftp://example.com/model.gguf";
    bad.files[1]!.sizeBytes = -5;
    let message = "";
    try {
      parseCatalog({ version: 2, models: [bad, entry("a")] }, "test.json");
    } catch (error) {
      message = (error as Error).message;
    }
    expect(message).toContain("invalid model catalog (test.json)");
    expect(message).toMatch(/\/version: /);
    expect(message).toMatch(/\/models\/0\/files\/0\/uri: /);
    expect(message).toMatch(/\/models\/0\/files\/1\/sizeBytes: /);
    expect(message).toContain("duplicate id 'a'");
  });

  it("refuses a quantization listed twice in one entry", () => {
    const twice = entry("a");
    twice.files[1]!.quant = "q8_0";
    expect(() => parseCatalog({ version: 1, models: [twice] })).toThrow(/quantization q8_0 listed twice/);
  });

  it("accepts Ollama names, including <id>:latest on the entry <id> itself", () => {
    const models = [entry("a", ["fam:1b", "fam:latest"]), entry("b", ["fam:2b", "b:latest", "b:x1"]), entry("c")];
    expect(parseCatalog({ version: 1, models }).models.map((m) => m.ollama)).toEqual([["fam:1b", "fam:latest"], ["fam:2b", "b:latest", "b:x1"], undefined]);
  });

  it("refuses an Ollama name listed by two entries, naming the first", () => {
    const message = problemsOf({ version: 1, models: [entry("a", ["fam:1b", "fam:latest"]), entry("b", ["fam:2b"]), entry("c", ["fam:latest"])] });
    expect(message).toContain("/models/2/ollama: Ollama name 'fam:latest' is already listed by 'a'; a name may denote one entry only");
    expect(message).not.toContain("/models/1/ollama");
  });

  it("refuses Ollama names that are not lowercase name:tag", () => {
    for (const name of ["Qwen3:4B", "qwen3", "qwen3:", ":4b", "qwen3:4b:q4", "qwen3 :4b", "qwen3:4b..x", "-qwen3:4b"]) {
      expect(problemsOf({ version: 1, models: [entry("a", [name])] }), name).toMatch(/\/models\/0\/ollama\/0: /);
    }
    expect(problemsOf({ version: 1, models: [entry("a", ["fam:1b", "fam:1b"])] })).toMatch(/\/models\/0\/ollama: /);
  });

  it("refuses Ollama names that read as a catalog reference of another meaning", () => {
    const message = problemsOf({ version: 1, models: [entry("a", ["a:q4_k_m"]), entry("b", ["a:latest"])] });
    expect(message).toContain("/models/0/ollama: Ollama name 'a:q4_k_m' reads as the catalog reference a:q4_k_m");
    expect(message).toContain("/models/1/ollama: Ollama name 'a:latest' would make 'a' mean another entry than the catalog's 'a'");
  });
});

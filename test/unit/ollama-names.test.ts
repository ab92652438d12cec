import { beforeAll, describe, expect, it } from "vitest";
import { ChaiboxError } from "../../src/errors.js";
import { loadCatalog, parseCatalog, type Catalog, type CatalogEntry } from "../../src/models/catalog.js";
import { isValidModelId } from "../../src/models/model-id.js";
import { installedIdFor, ollamaName, resolveOllamaPull } from "../../src/models/ollama-names.js";
import { resolvePullSource } from "../../src/models/pull/source.js";

let shipped: Catalog;

beforeAll(async () => {
  shipped = await loadCatalog();
});

/** A minimal valid entry; `files` are the quantizations, best first. */
function entry(id: string, ollama: string[] | undefined, quants = ["Q8_0", "Q4_K_M"]): CatalogEntry {
  return {
    id,
    name: id,
    family: "test",
    ...(ollama !== undefined && { ollama }),
    description: "test entry",
    kind: "chat",
    parameters: 1e9,
    license: "apache-2.0",
    capabilities: { tools: false, reasoning: false, embeddings: false, vision: false },
    contextLength: 4096,
    architecture: { layers: 2, embeddingLength: 64, headCount: 4, headCountKv: 4, vocabularySize: 256 },
    files: quants.map((quant) => ({ quant, uri: `hf:o/${id}/${id}-${quant}.gguf`, sizeBytes: 1000 })),
  };
}

const catalog = parseCatalog({
  version: 1,
  models: [
    entry("qwen3-4b", ["qwen3:4b"], ["Q8_0", "Q6_K", "Q4_K_M"]),
    entry("qwen3-8b", ["qwen3:8b", "qwen3:latest"]),
    entry("llama-3.2-3b", ["llama3.2:3b", "llama3.2:latest"]),
    entry("bge-m3", ["bge-m3:567m", "bge-m3:latest"], ["FP16", "Q8_0"]),
    entry("smollm3-3b", undefined),
  ],
});

function errorOf(thrown: () => unknown): ChaiboxError {
  try {
    thrown();
  } catch (error) {
    expect(error).toBeInstanceOf(ChaiboxError);
    return error as ChaiboxError;
  }
  throw new Error("expected a ChaiboxError");
}

describe("ollamaName", () => {
  it("adds :latest to an id without a tag and keeps a tagged id as it is", () => {
    expect(ollamaName("llama3.2")).toBe("llama3.2:latest");
    expect(ollamaName("qwen3-4b")).toBe("qwen3-4b:latest");
    expect(ollamaName("qwen3:4b")).toBe("qwen3:4b");
    expect(ollamaName("qwen3-4b:q4_k_m")).toBe("qwen3-4b:q4_k_m");
  });
});

describe("installedIdFor", () => {
  const installed = new Set(["qwen3", "qwen3:4b", "qwen3-4b", "gemma3:latest"]);

  it("answers the id itself when it is installed, case-insensitively and trimmed", () => {
    expect(installedIdFor("qwen3:4b", installed)).toBe("qwen3:4b");
    expect(installedIdFor("qwen3-4b", installed)).toBe("qwen3-4b");
    expect(installedIdFor("  Qwen3:4B ", installed)).toBe("qwen3:4b");
    expect(installedIdFor("gemma3:latest", installed)).toBe("gemma3:latest");
  });

  it("drops :latest to find an id installed without a tag", () => {
    expect(installedIdFor("qwen3:latest", installed)).toBe("qwen3");
    expect(installedIdFor("qwen3-4b:latest", installed)).toBe("qwen3-4b");
    expect(installedIdFor("QWEN3:Latest", installed)).toBe("qwen3");
  });

  it("reads a name without a tag as name:latest", () => {
    expect(installedIdFor("gemma3", installed)).toBe("gemma3:latest");
  });

  it("answers undefined when nothing of that name is installed", () => {
    expect(installedIdFor("qwen3:8b", installed)).toBeUndefined();
    expect(installedIdFor("llama3.2", installed)).toBeUndefined();
    expect(installedIdFor("llama3.2:latest", installed)).toBeUndefined();
    expect(installedIdFor("", installed)).toBeUndefined();
    expect(installedIdFor("qwen3:4b", new Set())).toBeUndefined();
  });

  it("round-trips every id through ollamaName", () => {
    for (const id of installed) expect(installedIdFor(ollamaName(id), installed)).toBe(id);
  });
});

describe("resolveOllamaPull", () => {
  it("installs an Ollama library name's entry under the name itself, in the quantization Ollama serves", () => {
    expect(resolveOllamaPull(catalog, "qwen3:4b")).toEqual({ ref: "qwen3-4b:Q4_K_M", id: "qwen3:4b" });
    expect(resolveOllamaPull(catalog, "qwen3:8b")).toEqual({ ref: "qwen3-8b:Q4_K_M", id: "qwen3:8b" });
    // Embedding models: Ollama serves them at full precision, the catalog's first file.
    expect(resolveOllamaPull(catalog, "bge-m3:567m")).toEqual({ ref: "bge-m3", id: "bge-m3:567m" });
  });

  it("reads a name without a tag as :latest and installs it without the tag", () => {
    expect(resolveOllamaPull(catalog, "qwen3")).toEqual({ ref: "qwen3-8b:Q4_K_M", id: "qwen3" });
    expect(resolveOllamaPull(catalog, "qwen3:latest")).toEqual({ ref: "qwen3-8b:Q4_K_M", id: "qwen3" });
    expect(resolveOllamaPull(catalog, "llama3.2")).toEqual({ ref: "llama-3.2-3b:Q4_K_M", id: "llama3.2" });
    // An Ollama name that is also a catalog id means the same entry either way.
    expect(resolveOllamaPull(catalog, "bge-m3")).toEqual({ ref: "bge-m3", id: "bge-m3" });
  });

  it("matches names case-insensitively and ignores surrounding space", () => {
    expect(resolveOllamaPull(catalog, "Qwen3:4B")).toEqual({ ref: "qwen3-4b:Q4_K_M", id: "qwen3:4b" });
    expect(resolveOllamaPull(catalog, " LLAMA3.2:Latest ")).toEqual({ ref: "llama-3.2-3b:Q4_K_M", id: "llama3.2" });
  });

  it("passes catalog references through, leaving the id to the pull", () => {
    expect(resolveOllamaPull(catalog, "qwen3-4b")).toEqual({ ref: "qwen3-4b" });
    expect(resolveOllamaPull(catalog, "smollm3-3b")).toEqual({ ref: "smollm3-3b" });
    expect(resolveOllamaPull(catalog, "qwen3-4b:Q4_K_M")).toEqual({ ref: "qwen3-4b:Q4_K_M" });
    // The quantization as the catalog spells it, whatever the case the client used.
    expect(resolveOllamaPull(catalog, "qwen3-4b:q6_k")).toEqual({ ref: "qwen3-4b:Q6_K" });
    expect(resolveOllamaPull(catalog, "Qwen3-4B")).toEqual({ ref: "qwen3-4b" });
    expect(resolveOllamaPull(catalog, "bge-m3:fp16")).toEqual({ ref: "bge-m3:FP16" });
  });

  it("reads id:latest, the name Ollama lists an installed catalog model under, as the bare catalog id", () => {
    expect(resolveOllamaPull(catalog, "qwen3-4b:latest")).toEqual({ ref: "qwen3-4b" });
    expect(resolveOllamaPull(catalog, ollamaName("smollm3-3b"))).toEqual({ ref: "smollm3-3b" });
  });

  it("passes hf: URIs and http(s) URLs through", () => {
    const hf = "hf:Qwen/Qwen3-4B-GGUF/Qwen3-4B-Q8_0.gguf";
    expect(resolveOllamaPull(catalog, hf)).toEqual({ ref: hf });
    expect(resolveOllamaPull(catalog, ` ${hf} `)).toEqual({ ref: hf });
    expect(resolveOllamaPull(catalog, "https://example.com/Model-Q4_K_M.gguf")).toEqual({ ref: "https://example.com/Model-Q4_K_M.gguf" });
    expect(resolveOllamaPull(catalog, "HTTP://example.com/m.gguf")).toEqual({ ref: "HTTP://example.com/m.gguf" });
  });

  it("answers model_not_found for other names, suggesting names that can be pulled", () => {
    for (const name of ["qwen3:235b", "mistral", "mistral:7b", "qwen3:4b:extra", "no such model!", ""]) {
      const error = errorOf(() => resolveOllamaPull(catalog, name));
      expect(error.code, name).toBe("model_not_found");
      expect(error.message, name).toContain(`'${name}'`);
      // One name per Ollama model, the explicit tag of the entry `latest` denotes.
      expect(error.message, name).toContain("pull one of qwen3:8b, llama3.2:3b, bge-m3:567m, …");
    }
  });

  it("answers model_not_found for a catalog id with a quantization it lacks, listing those it has", () => {
    const error = errorOf(() => resolveOllamaPull(catalog, "qwen3-4b:IQ1_S"));
    expect(error.code).toBe("model_not_found");
    expect(error.message).toContain("Q8_0, Q6_K, Q4_K_M");
  });

  it("suggests a bare name for a model listed only as :latest, and catalog ids when no entry has Ollama names", () => {
    const onlyLatest = parseCatalog({ version: 1, models: [entry("foo-1b", ["foo:latest"]), entry("bar-2b", ["bar:2b"])] });
    expect(errorOf(() => resolveOllamaPull(onlyLatest, "baz")).message).toContain("pull one of foo, bar:2b, …");
    const none = parseCatalog({ version: 1, models: [entry("smollm3-3b", undefined)] });
    expect(errorOf(() => resolveOllamaPull(none, "qwen3:4b")).message).toContain("pull one of smollm3-3b, …");
  });
});

describe("the shipped catalog's Ollama names", () => {
  it("each resolve to their own entry, installed under a valid model id, in Ollama's quantization", async () => {
    const aliased = shipped.models.filter((m) => m.ollama !== undefined);
    expect(aliased.length).toBeGreaterThan(0);
    for (const m of aliased) {
      for (const name of m.ollama!) {
        const pull = resolveOllamaPull(shipped, name);
        const expected = m.kind === "chat" && m.files.some((f) => f.quant === "Q4_K_M") ? `${m.id}:Q4_K_M` : m.id;
        expect(pull.ref, name).toBe(expected);
        expect(pull.id, name).toBe(name.replace(/:latest$/, ""));
        expect(isValidModelId(pull.id!), name).toBe(true);
        const source = await resolvePullSource(pull.ref, { catalog: async () => shipped });
        expect(source.source.ref, name).toBe(expected === m.id ? `${m.id}:${m.files[0]!.quant}` : expected);
      }
    }
  });

  it("include the library's latest tags", () => {
    const latest = { qwen3: "qwen3-8b", "llama3.2": "llama-3.2-3b", "llama3.1": "llama-3.1-8b", gemma3: "gemma-3-4b", "phi4-mini": "phi-4-mini" };
    for (const [name, id] of Object.entries(latest)) {
      expect(resolveOllamaPull(shipped, name), name).toEqual({ ref: `${id}:Q4_K_M`, id: name });
    }
    expect(resolveOllamaPull(shipped, "qwen3:30b").ref).toBe("qwen3-30b-a3b:Q4_K_M");
    expect(resolveOllamaPull(shipped, "nomic-embed-text").ref).toBe("nomic-embed-text-v1.5");
    expect(resolveOllamaPull(shipped, "embeddinggemma").ref).toBe("embeddinggemma-300m");
  });
});

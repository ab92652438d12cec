import { describe, expect, it } from "vitest";
import type { Catalog } from "../../src/models/catalog.js";
import { authHeaders, displayUrl, hfResolveUrl, parseHfUri, resolvePullSource } from "../../src/models/pull/source.js";

/** `expect.stringMatching`, typed so that it can sit in an object literal. */
const matching = (pattern: RegExp): unknown => expect.stringMatching(pattern);

const catalog = {
  version: 1,
  models: [
    {
      id: "qwen3-4b",
      name: "Qwen3 4B",
      family: "qwen3",
      description: "test entry",
      kind: "chat",
      parameters: 4e9,
      license: "apache-2.0",
      capabilities: { tools: true, reasoning: true, embeddings: false, vision: false },
      contextLength: 32768,
      architecture: { layers: 36, embeddingLength: 2560, headCount: 32, headCountKv: 8, vocabularySize: 151936 },
      files: [
        { quant: "Q4_K_M", uri: "hf:Qwen/Qwen3-4B-GGUF/Qwen3-4B-Q4_K_M.gguf", sizeBytes: 2_500_000_000, sha256: "a".repeat(64) },
        { quant: "Q8_0", uri: "hf:Qwen/Qwen3-4B-GGUF:v2/sub/Qwen3-4B-Q8_0.gguf", sizeBytes: 4_280_000_000, sizeEstimated: true },
        { quant: "F16", uri: "https://example.com/models/Qwen3-4B-F16.gguf", sizeBytes: 8_000_000_000 },
      ],
    },
  ],
} as Catalog;
const options = { hfEndpoint: "http://127.0.0.1:9999/hf", hfToken: "tok", catalog: async () => catalog };

describe("pull sources", () => {
  it("parses hf: URIs with and without a revision and refuses paths that leave the repository", () => {
    expect(parseHfUri("hf:owner/repo/dir/file.gguf")).toEqual({ owner: "owner", repo: "repo", revision: "main", file: "dir/file.gguf" });
    expect(parseHfUri("hf:owner/repo:abc123/file.gguf")).toEqual({ owner: "owner", repo: "repo", revision: "abc123", file: "file.gguf" });
    expect(parseHfUri("hf:owner/repo/../x.gguf")).toBeUndefined();
    expect(parseHfUri("hf:owner/file.gguf")).toBeUndefined();
    expect(hfResolveUrl("https://huggingface.co/", { owner: "o", repo: "r", revision: "main", file: "a b/c.gguf" })).toBe(
      "https://huggingface.co/o/r/resolve/main/a%20b/c.gguf",
    );
  });

  it("resolves a catalog name to its first file under the bare id, with the size and sha256 to verify", async () => {
    const source = await resolvePullSource("qwen3-4b", options);
    expect(source).toEqual({
      ref: "qwen3-4b",
      url: "http://127.0.0.1:9999/hf/Qwen/Qwen3-4B-GGUF/resolve/main/Qwen3-4B-Q4_K_M.gguf",
      expectedSize: 2_500_000_000,
      sha256: "a".repeat(64),
      defaultModelId: "qwen3-4b",
      source: { type: "catalog", ref: "qwen3-4b:Q4_K_M" },
      headers: { authorization: "Bearer tok" },
    });
    expect((await resolvePullSource("qwen3-4b:q4_k_m", options)).defaultModelId).toBe("qwen3-4b");
  });

  it("tags other quantizations and treats an estimated size as a hint only", async () => {
    const q8 = await resolvePullSource("qwen3-4b:Q8_0", options);
    expect(q8).toMatchObject({ url: "http://127.0.0.1:9999/hf/Qwen/Qwen3-4B-GGUF/resolve/v2/sub/Qwen3-4B-Q8_0.gguf", defaultModelId: "qwen3-4b:q8_0", sizeHint: 4_280_000_000 });
    expect(q8.expectedSize).toBeUndefined();
    const f16 = await resolvePullSource("qwen3-4b:F16", options);
    expect(f16).toMatchObject({ url: "https://example.com/models/Qwen3-4B-F16.gguf", defaultModelId: "qwen3-4b:f16", headers: {} });
    await expect(resolvePullSource("qwen3-4b:Q2_K", options)).rejects.toMatchObject({ code: "model_not_found", message: matching(/Q4_K_M, Q8_0, F16/) });
    await expect(resolvePullSource("nope", options)).rejects.toMatchObject({ code: "model_not_found" });
  });

  it("resolves hf: URIs and URLs, deriving the id from the file name", async () => {
    const hf = await resolvePullSource("hf:bartowski/Llama-3.2-1B-Instruct-GGUF/Llama-3.2-1B-Instruct-Q4_K_M.gguf", options);
    expect(hf).toMatchObject({ defaultModelId: "llama-3.2-1b-instruct-q4_k_m", source: { type: "hf" }, headers: { authorization: "Bearer tok" } });
    const url = await resolvePullSource("https://cdn.example.com/files/My%20Model.Q8_0.gguf?sig=secret", options);
    expect(url).toMatchObject({ defaultModelId: "my-model.q8_0", source: { type: "url" }, headers: {} });
    expect(displayUrl(url.url)).toBe("https://cdn.example.com/files/My%20Model.Q8_0.gguf");
    await expect(resolvePullSource("ftp://x/y.gguf", options)).rejects.toMatchObject({ code: "invalid_request", details: { param: "ref" } });
    await expect(resolvePullSource("Not A Ref", options)).rejects.toMatchObject({ code: "invalid_request" });
  });

  it("sends the token only under the hf endpoint", () => {
    expect(authHeaders("http://127.0.0.1:9999/hf/o/r/resolve/main/f.gguf", options)).toEqual({ authorization: "Bearer tok" });
    expect(authHeaders("http://127.0.0.1:9999/other/f.gguf", options)).toEqual({});
    expect(authHeaders("http://127.0.0.1:9998/hf/f.gguf", options)).toEqual({});
    expect(authHeaders("https://huggingface.co/o/r/resolve/main/f.gguf", { hfToken: "t" })).toEqual({ authorization: "Bearer t" });
    expect(authHeaders("https://huggingface.co/o/r/resolve/main/f.gguf", {})).toEqual({});
  });
});

/** select (pure): requirements, rejections with every failed requirement, ranking by preference; model "auto". */
import { describe, expect, it } from "vitest";
import { chooseModel, requirementsOf } from "../../src/models/selection/auto-model.js";
import type { ChaiModel, ChaiModelInfo } from "../../src/models/description/model-description.js";
import { selectModels } from "../../src/models/selection/select-ranking.js";
import { ChaiboxError } from "../../src/errors.js";
import type { ChatRequest } from "../../src/engine/contract.js";

function model(id: string, chai: Partial<ChaiModelInfo> & { speed?: number | null; tools?: boolean; embeddings?: boolean; price?: number }): ChaiModel {
  const { speed = 20, tools = true, embeddings = false, price = 0, ...rest } = chai;
  return {
    id,
    object: "model",
    created: 0,
    owned_by: "chaibox",
    chai: {
      context_length: 4096,
      max_context_length: 32768,
      modalities: { input: ["text"], output: [embeddings ? "embedding" : "text"] },
      capabilities: { tools, json_schema: !embeddings, reasoning: false, embeddings, streaming: !embeddings },
      performance: { generation_tokens_per_second: speed, prompt_tokens_per_second: null, time_to_first_token_ms: null, source: "estimated", measured_at: null },
      pricing: { input_per_million_tokens: price, output_per_million_tokens: price, currency: "USD" },
      state: "available",
      size_bytes: 1e9,
      quantization: "Q4_K_M",
      parameters: 1e9,
      family: "test",
      ...rest,
    },
  };
}

const big = model("big-8b", { parameters: 8e9, speed: 12, context_length: 8192 });
const small = model("small-1b", { parameters: 1e9, speed: 60, tools: false });
const mid = model("mid-4b", { parameters: 4e9, speed: 25, state: "loaded" });
const embedder = model("embed", { parameters: 0.3e9, embeddings: true, tools: false, speed: null });
const cloud = model("cloud-70b", { parameters: 70e9, speed: 40, price: 2, context_length: 131072 });
const all = [small, embedder, big, cloud, mid];

describe("select", () => {
  it("ranks by quality (size), speed or cost, each with a reason", () => {
    const requirements = { output_modalities: ["text" as const] };
    expect(selectModels(all, requirements, "quality").data.map((c) => c.model)).toEqual(["cloud-70b", "big-8b", "mid-4b", "small-1b"]);
    expect(selectModels(all, requirements, "speed").data.map((c) => c.model)).toEqual(["small-1b", "cloud-70b", "mid-4b", "big-8b"]);
    expect(selectModels(all, requirements, "cost").data.map((c) => c.model)).toEqual(["small-1b", "mid-4b", "big-8b", "cloud-70b"]);
    const top = selectModels(all, requirements, "quality").data[0];
    expect(top).toMatchObject({ rank: 1, reason: expect.stringMatching(/^70B parameters, ~40 tok\/s \(estimated\), 131072-token context, 2\/2 USD per million tokens in\/out, available \(ranked by quality/) as unknown });
  });

  it("rejects every model that fails a requirement, listing each failure", () => {
    const result = selectModels(all, {
      capabilities: ["tools"],
      min_context_length: 8000,
      min_generation_tokens_per_second: 10,
      max_output_price_per_million_tokens: 1,
    });
    expect(result.data.map((c) => c.model)).toEqual(["big-8b"]);
    const failed = Object.fromEntries(result.rejected.map((r) => [r.model, r.failed]));
    expect(failed["small-1b"]).toEqual(["capabilities: no tools", "min_context_length: serves 4096 tokens, 8000 needed"]);
    expect(failed.embed).toEqual([
      "capabilities: no tools",
      "min_context_length: serves 4096 tokens, 8000 needed",
      "min_generation_tokens_per_second: unknown, 10 needed",
    ]);
    expect(failed["cloud-70b"]).toEqual(["max_output_price_per_million_tokens: costs 2 USD, at most 1"]);
    expect(failed["mid-4b"]).toEqual(["min_context_length: serves 4096 tokens, 8000 needed"]);
  });

  it("finds embedding models by their output modality", () => {
    expect(selectModels(all, { output_modalities: ["embedding"] }).data.map((c) => c.model)).toEqual(["embed"]);
  });

  it("leaves out the priced models an app's spent budget cannot afford, saying the figures; free ones stay", () => {
    const requirements = { output_modalities: ["text" as const] };
    const spent = { month: "2026-12", budgetUsd: 1, spentUsd: 1.25, remainingUsd: 0 };
    const result = selectModels(all, requirements, "quality", spent);
    expect(result.data.map((c) => c.model)).toEqual(["big-8b", "mid-4b", "small-1b"]);
    expect(result.rejected).toContainEqual({
      model: "cloud-70b",
      failed: ["budget: this app's monthly budget of 1 USD for 2026-12 is spent (1.25 USD spent, 0 USD left), and this model costs 2/2 USD per million tokens in/out"],
    });
    // A budget with money left, no budget, or no app token: the priced model is ranked as before.
    const left = { ...spent, spentUsd: 0.5, remainingUsd: 0.5 };
    const unlimited = { month: "2026-12", budgetUsd: null, spentUsd: 3, remainingUsd: null };
    for (const budget of [left, unlimited, undefined]) expect(selectModels(all, requirements, "quality", budget).data[0]?.model).toBe("cloud-70b");
    // A budget of 0 is spent from the start.
    expect(selectModels(all, requirements, "cost", { month: "2026-12", budgetUsd: 0, spentUsd: 0, remainingUsd: 0 }).data.map((c) => c.model)).not.toContain("cloud-70b");
  });
});

describe('model "auto"', () => {
  const chat = (extra: Partial<ChatRequest> = {}): ChatRequest => ({ messages: [{ role: "user", content: "Hello there" }], sampling: {}, ...extra });

  it("takes its requirements from the request", () => {
    expect(requirementsOf(chat(), false)).toEqual({ capabilities: [], input_modalities: ["text"], output_modalities: ["text"], min_context_length: 4 + 256 });
    const withTools = chat({ tools: [{ name: "lookup" }], responseFormat: { type: "json_object" }, sampling: { maxTokens: 10 } });
    expect(requirementsOf(withTools, true).capabilities).toEqual(["tools", "json_schema", "streaming"]);
    expect(requirementsOf({ ...withTools, toolChoice: { type: "none" } }, false).capabilities).toEqual(["json_schema"]);
    expect(requirementsOf(chat({ messages: [{ role: "user", content: "x".repeat(30_000) }] }), false).min_context_length).toBe(10_000 + 256);
  });

  it("chooses the best model that can serve it, or says why none can", async () => {
    const directory = { list: () => Promise.resolve(all.filter((m) => m.id !== "cloud-70b")) };
    expect(await chooseModel(directory, chat(), false)).toBe("big-8b");
    const long = chat({ messages: [{ role: "user", content: "x".repeat(30_000) }], tools: [{ name: "lookup" }] });
    const error = await chooseModel(directory, long, false).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ChaiboxError);
    expect((error as ChaiboxError).code).toBe("model_not_found");
    expect((error as ChaiboxError).message).toMatch(/^model "auto": no installed model meets this request's needs: .*big-8b \(min_context_length: serves 8192 tokens, \d+ needed\)/);
    const none = await chooseModel({ list: () => Promise.resolve([]) }, chat(), false).catch((e: unknown) => e);
    expect((none as Error).message).toMatch(/no models are installed/);
  });

  it("chooses among what the caller can afford", async () => {
    const directory = { list: () => Promise.resolve(all) };
    expect(await chooseModel(directory, chat(), false)).toBe("cloud-70b");
    const spent = { month: "2026-12", budgetUsd: 0.5, spentUsd: 0.5, remainingUsd: 0 };
    expect(await chooseModel(directory, chat(), false, spent)).toBe("big-8b");
    const onlyPriced = { list: () => Promise.resolve([cloud]) };
    const error = await chooseModel(onlyPriced, chat(), false, spent).catch((e: unknown) => e);
    expect((error as ChaiboxError).code).toBe("model_not_found");
    expect((error as ChaiboxError).message).toMatch(/cloud-70b \(budget: this app's monthly budget of 0.5 USD for 2026-12 is spent/);
  });
});

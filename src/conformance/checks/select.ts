/** Checks of §10 (model selection) and §11 (extensions). */
import { chatModel, embeddingModel, expect, expectError, listsFeature, names, object, ok, type ConformanceContext } from "../context.js";
import type { Probe } from "../probe.js";
import { NotApplicable, type Check } from "../types.js";
import { chat } from "./chat-request.js";

function selectServed(ctx: ConformanceContext): void {
  if (listsFeature(ctx, "select") !== true) throw new NotApplicable("the discovery document does not list 'select'");
}

/** OpenAI's own top-level fields of a chat completion and of a model. */
const completionFields = new Set(["id", "object", "created", "model", "choices", "usage", "system_fingerprint", "service_tier"]);
const modelFields = new Set(["id", "object", "created", "owned_by", "chai"]);

/** Fields that are neither OpenAI's nor Chai's and not namespaced (`x_<impl>_…` or an object named after it). */
function unnamespaced(keys: string[], known: Set<string>, implementation: string | undefined): string[] {
  return keys.filter((key) => !known.has(key) && !key.startsWith("x_") && key !== implementation);
}

async function refusesUnknown(probe: Probe, path: string, body: object): Promise<void> {
  expectError(await probe.send("POST", path, { body: { ...body, chai_conformance_unknown: 1 } }), 400, "unknown_parameter", names("chai_conformance_unknown"), '"chai_conformance_unknown"');
}

export const selectChecks: Check[] = [
  {
    id: "§10-1",
    level: "MUST",
    title: "select refuses unknown fields (400 unknown_parameter)",
    async run(ctx, probe) {
      selectServed(ctx);
      await refusesUnknown(probe, "/chai/v1/select", {});
      const nested = await probe.send("POST", "/chai/v1/select", { body: { requirements: { min_context_lenght: 10 } } });
      expectError(nested, 400, "unknown_parameter", names("min_context_lenght"), '"min_context_lenght"');
    },
  },
  {
    id: "§10-3",
    level: "MUST",
    title: "every model not ranked is under rejected with each requirement it failed",
    async run(ctx, probe) {
      selectServed(ctx);
      const answer = await probe.send("POST", "/chai/v1/select", { body: { requirements: { min_context_length: 1_000_000_000, capabilities: ["tools"] } } });
      const body = ok(answer, "an impossible selection");
      expect(body.object === "chai.selection" && Array.isArray(body.data) && Array.isArray(body.rejected), "not a chai.selection", answer.exchange);
      expect(body.data.length === 0, "a model was ranked that serves fewer than 10⁹ tokens", answer.exchange);
      const rejected = body.rejected.map((entry) => object(entry));
      for (const model of ctx.models) {
        const entry = rejected.find((item) => item?.model === model.id);
        expect(entry && Array.isArray(entry.failed), `'${model.id}' is not under rejected`, answer.exchange);
        const failed = entry.failed as unknown[];
        expect(failed.some((text) => typeof text === "string" && text.startsWith("min_context_length: ")), `'${model.id}' does not list "min_context_length: …"`, answer.exchange);
        if (model.chai?.capabilities.tools === false) expect(failed.some((text) => typeof text === "string" && text.startsWith("capabilities")), `'${model.id}' does not list its missing tools capability`, answer.exchange);
      }
    },
  },
  {
    id: "§10-5",
    level: "MUST",
    title: "model auto with needs no model meets: 404 model_not_found",
    async run(ctx, probe) {
      chatModel(ctx);
      const answer = await chat(probe, "auto", { max_tokens: 1_000_000_000 });
      expectError(answer, 404, "model_not_found");
    },
  },
  {
    id: "§11-3",
    level: "MUST",
    title: "unknown request parameters are refused on every endpoint (400 unknown_parameter)",
    async run(ctx, probe) {
      await refusesUnknown(probe, "/v1/chat/completions", { model: chatModel(ctx), max_tokens: 1, messages: [{ role: "user", content: "hi" }] });
      if (listsFeature(ctx, "responses") !== false) await refusesUnknown(probe, "/v1/responses", { model: chatModel(ctx), max_output_tokens: 1, input: "hi", store: false });
      if (ctx.embeddingModel !== null) await refusesUnknown(probe, "/v1/embeddings", { model: embeddingModel(ctx), input: "hi" });
    },
  },
  {
    id: "§11-4",
    level: "MUST",
    title: "the server's own response fields are namespaced",
    async run(ctx, probe) {
      const implementation = ctx.discovery?.server.name;
      for (const model of ctx.models) {
        const extra = unnamespaced(Object.keys(model), modelFields, implementation);
        expect(extra.length === 0, `model '${model.id}' has fields outside OpenAI's, Chai's and a namespace: ${extra.join(", ")}`, ctx.modelsAnswer?.exchange);
      }
      const answer = await chat(probe, chatModel(ctx), { max_tokens: 2 });
      const extra = unnamespaced(Object.keys(ok(answer, "a chat")), completionFields, implementation);
      expect(extra.length === 0, `the chat completion has fields outside OpenAI's and a namespace: ${extra.join(", ")}`, answer.exchange);
    },
  },
];

/** Checks of §1 (transport), §2 (models), §4 (errors) and §5 (health). */
import { Value } from "@sinclair/typebox/value";
import { ChaiModelInfoSchema } from "../../models/description/model-description.js";
import { chatModel, contextToExceed, envelope, expect, expectError, names, object, ok } from "../context.js";
import { NotApplicable } from "../failures.js";
import type { Check } from "../types.js";

export const basicChecks: Check[] = [
  {
    id: "§1-1",
    level: "MUST",
    title: "a body over the size limit is answered 413",
    async run(ctx, probe) {
      // 1 GiB announced, 1 KiB sent: no server serves chat bodies that large, and nothing large travels.
      const { status, exchange } = await probe.oversized("/v1/chat/completions", 1024 * 1024 * 1024);
      void ctx;
      expect(status === 413, `answered ${status}, expected 413`, exchange);
    },
  },
  {
    id: "§2-1",
    level: "MUST",
    title: "GET /v1/models lists the models; GET /v1/models/{model} returns one",
    async run(ctx, probe) {
      const answer = ctx.modelsAnswer ?? (await probe.send("GET", "/v1/models"));
      const body = ok(answer, "GET /v1/models");
      expect(body.object === "list" && Array.isArray(body.data), 'the answer is not {"object": "list", "data": […]}', answer.exchange);
      expect(ctx.models.length > 0, "the list is empty: nothing to check the API with", answer.exchange);
      for (const model of ctx.models) {
        expect(typeof model.id === "string" && model.object === "model", `an entry lacks id or object "model"`, answer.exchange);
      }
      const first = ctx.models[0]?.id ?? "";
      const one = await probe.send("GET", `/v1/models/${first}`);
      const entry = ok(one, `GET /v1/models/${first}`);
      expect(entry.id === first && entry.object === "model", `the answer is not the model '${first}'`, one.exchange);
      const missing = await probe.send("GET", "/v1/models/chai-conformance-no-such-model");
      expect(missing.status === 404, `an unknown model answered ${missing.status}, expected 404`, missing.exchange);
    },
  },
  {
    id: "§2-2",
    level: "MUST",
    title: "every model entry carries a complete chai object",
    async run(ctx) {
      for (const model of ctx.models) {
        const exchange = ctx.modelsAnswer?.exchange;
        expect(object(model.chai), `'${model.id}' has no chai object`, exchange);
        const errors = [...Value.Errors(ChaiModelInfoSchema, model.chai)].slice(0, 3);
        expect(errors.length === 0, `'${model.id}'.chai does not match §2.1: ${errors.map((e) => `${e.path || "/"} ${e.message}`).join("; ")}`, exchange);
      }
    },
  },
  {
    id: "§2-6",
    level: "MUST",
    title: "a provider's model is named <provider id>/<model id> after its chai.provider",
    async run(ctx) {
      const served = ctx.models.filter((model) => (model.chai as { provider?: unknown } | undefined)?.provider !== undefined);
      if (served.length === 0) throw new NotApplicable("the server lists no provider's model");
      for (const model of served) {
        const provider = (model.chai as { provider: { id?: unknown } }).provider;
        expect(typeof provider.id === "string" && model.id.startsWith(`${provider.id}/`), `'${model.id}' names provider '${String(provider.id)}' but its id does not start with '${String(provider.id)}/'`, ctx.modelsAnswer?.exchange);
      }
    },
  },
  {
    id: "§4-1",
    level: "MUST",
    title: "errors under /v1 have the envelope and the codes of §4",
    async run(ctx, probe) {
      const unknownModel = await probe.send("POST", "/v1/chat/completions", { body: { model: "chai-conformance-no-such-model", messages: [{ role: "user", content: "hi" }] } });
      expectError(unknownModel, 404, "model_not_found");
      const notJson = await probe.send("POST", "/v1/chat/completions", { body: "{not json" });
      expect(notJson.status === 400, `a body that is not JSON answered ${notJson.status}, expected 400`, notJson.exchange);
      envelope(notJson);
      const missing = await probe.send("POST", "/v1/chat/completions", { body: { model: chatModel(ctx) } });
      expectError(missing, 400, "missing_required_parameter", names("messages"), '"messages"');
      const wrongType = await probe.send("POST", "/v1/chat/completions", { body: { model: chatModel(ctx), messages: [{ role: "user", content: "hi" }], temperature: "hot" } });
      expect(wrongType.status === 400, `a string temperature answered ${wrongType.status}, expected 400`, wrongType.exchange);
      const code = envelope(wrongType).code;
      expect(code === "invalid_type" || code === "invalid_value", `error.code is ${JSON.stringify(code)}, expected "invalid_type"`, wrongType.exchange);
    },
  },
  {
    id: "§5-1",
    level: "MUST",
    title: "GET /health is public and says ok, version, uptime and loaded models",
    async run(_ctx, probe) {
      const answer = await probe.send("GET", "/health", { token: false });
      const body = ok(answer, "GET /health without a token");
      expect(body.status === "ok", 'status is not "ok"', answer.exchange);
      expect(typeof body.version === "string", "version is missing", answer.exchange);
      expect(typeof body.uptimeSeconds === "number", "uptimeSeconds is missing", answer.exchange);
      expect(Array.isArray(body.loadedModels), "loadedModels is missing", answer.exchange);
    },
  },
  {
    id: "§12-10",
    level: "MUST",
    title: "limits are enforced with §4's errors: body size (413) and context length (400)",
    async run(ctx, probe) {
      const body = await probe.oversized("/v1/chat/completions", 1024 * 1024 * 1024);
      expect(body.status === 413, `an oversized body answered ${body.status}, expected 413`, body.exchange);
      const model = chatModel(ctx);
      const words = contextToExceed(ctx, model) + 64;
      const long = await probe.send("POST", "/v1/chat/completions", {
        body: { model, max_tokens: 1, messages: [{ role: "user", content: "hello ".repeat(words) }] },
        timeoutMs: 120_000,
      });
      expectError(long, 400, "context_length_exceeded");
    },
  },
];

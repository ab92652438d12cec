/** `POST /api/generate`: a prompt (templated, or `raw`) over the inference contract. */
import { modelBusyError } from "../../engine/bounded-unload.js";
import type { FastifyPluginAsyncTypebox } from "@fastify/type-provider-typebox";
import { primeChat } from "../../engine/collect.js";
import type { CallContext } from "../../engine/pipeline/index.js";
import { callerOf } from "../caller.js";
import { abortOnDisconnect } from "../streaming.js";
import { checkContext, checkThink } from "./chat.js";
import { admissionOf, findModel, loadFirst, type OllamaOptions } from "./context.js";
import { generateRequestOf } from "./mapping.js";
import { respond, type Renderer } from "./respond.js";
import { GenerateBody } from "./schemas.js";

const now = (): string => new Date().toISOString();

function generateRenderer(model: string): Renderer {
  const chunk = (fields: object) => ({ model, created_at: now(), response: "", ...fields, done: false });
  return {
    text: (text) => chunk({ response: text }),
    thinking: (text) => chunk({ thinking: text }),
    // /api/generate has no tools; a forced call cannot happen here, but a chunk must still be valid.
    toolCalls: () => chunk({}),
    end: (final) => ({ model, created_at: now(), response: "", ...final }),
    whole: ({ text, thinking }, final) => ({ model, created_at: now(), response: text, ...(thinking !== "" && { thinking }), ...final }),
  };
}

export const generateRoute: FastifyPluginAsyncTypebox<OllamaOptions> = async (app, options) => {
  app.post("/generate", { schema: { body: GenerateBody } }, async (request, reply) => {
    const startedMs = performance.now();
    const body = request.body;
    const model = await findModel(options, body.model);
    const admission = admissionOf(body.keep_alive);
    const signal = abortOnDisconnect(request, reply);
    const call: CallContext = { caller: callerOf(request), signal, admission };
    if ((body.prompt ?? "") === "" && !body.raw) {
      // An empty prompt loads the model (or with keep_alive 0 unloads it), as in Ollama.
      const unload = admission.keepAliveMs === 0;
      if (unload && !(await options.unloadModel(model.id))) throw modelBusyError(model.id, options.unloadWaitMs);
      else await options.inference({ kind: "preload", model: model.id, ...call });
      return { model: body.model, created_at: now(), response: "", done: true, done_reason: unload ? "unload" : "load" };
    }
    await checkThink(options, body.model, model.id, body.think);
    const generation = generateRequestOf(body, body.model);
    const loadMs = await loadFirst(options, model.id, call, body.options?.num_ctx);
    checkContext(request.log, options, model.id, body.options);
    const events = await primeChat((await options.inference({ kind: "chat", model: model.id, request: generation, ...call })).events);
    return respond(request, reply, events, generateRenderer(body.model), body.stream !== false, { startedMs, loadMs });
  });
};

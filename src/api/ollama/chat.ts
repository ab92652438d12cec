/** `POST /api/chat`: Ollama's chat over the inference contract. */
import { modelBusyError } from "../../engine/bounded-unload.js";
import type { FastifyPluginAsyncTypebox } from "@fastify/type-provider-typebox";
import type { FastifyBaseLogger } from "fastify";
import { primeChat } from "../../engine/collect.js";
import { ChaiboxError } from "../../errors.js";
import type { CallContext } from "../../engine/pipeline/index.js";
import { callerOf } from "../caller.js";
import { abortOnDisconnect } from "../streaming.js";
import { admissionOf, findModel, findProviderModel, loadFirst, type OllamaOptions } from "./context.js";
import { chatRequestOf, ollamaToolCall } from "./mapping.js";
import { respond, type Renderer } from "./respond.js";
import { ChatBody, type ModelOptions } from "./schemas.js";

const now = (): string => new Date().toISOString();

/** Refuses `think: true` for a model that does not reason, as Ollama does. */
export async function checkThink(options: OllamaOptions, name: string, id: string, think: boolean | string | undefined): Promise<void> {
  if (think === undefined || think === false) return;
  const described = (await options.models.list()).find((m) => m.id === id);
  if (described?.chai.capabilities.reasoning !== true) {
    throw new ChaiboxError("unsupported_parameter", `"${name}" does not support thinking`, { param: "think" });
  }
}

/** The clamps already logged, per server: Home Assistant sends the same num_ctx with every request. */
const warnedClamps = new WeakMap<OllamaOptions, Set<string>>();

/**
 * `options.num_ctx`, checked once the model is loaded (with `inference.contextSize: auto`, loaded with at least
 * that much where it fits, see loadFirst): a request for more than the model runs with (more than it was
 * trained for, or than a configured context size) is clamped to it, with a warning in the log (once per
 * model, size and load), as Ollama clamps to what the model takes.
 */
export function checkContext(log: FastifyBaseLogger, options: OllamaOptions, id: string, modelOptions: ModelOptions | undefined): void {
  const wanted = modelOptions?.num_ctx;
  const loaded = options.loadedModels().find((m) => m.modelId === id);
  const has = loaded?.info.sequenceContextSize;
  if (wanted === undefined || has === undefined || wanted <= has) return;
  const warned = warnedClamps.get(options) ?? new Set<string>();
  warnedClamps.set(options, warned);
  const key = `${id} ${wanted} ${loaded?.loadedAt ?? 0}`;
  if (!warned.has(key)) {
    // One entry per load that clamped: cleared now and then so a long-running box does not collect them.
    if (warned.size >= 256) warned.clear();
    warned.add(key);
    log.warn({ model: id, num_ctx: wanted, context_length: has }, `num_ctx ${wanted} is larger than the ${has} tokens '${id}' runs with; using ${has}`);
  }
}

function chatRenderer(model: string): Renderer {
  const chunk = (message: object) => ({ model, created_at: now(), message: { role: "assistant", content: "", ...message }, done: false });
  return {
    text: (text) => chunk({ content: text }),
    thinking: (text) => chunk({ thinking: text }),
    toolCalls: (calls) => chunk({ tool_calls: calls.map(ollamaToolCall) }),
    end: (final) => ({ model, created_at: now(), message: { role: "assistant", content: "" }, ...final }),
    whole: ({ text, thinking, toolCalls }, final) => ({
      model,
      created_at: now(),
      message: {
        role: "assistant",
        content: text,
        ...(thinking !== "" && { thinking }),
        ...(toolCalls.length > 0 && { tool_calls: toolCalls.map(ollamaToolCall) }),
      },
      ...final,
    }),
  };
}

export const chatRoute: FastifyPluginAsyncTypebox<OllamaOptions> = async (app, options) => {
  app.post("/chat", { schema: { body: ChatBody } }, async (request, reply) => {
    const startedMs = performance.now();
    const body = request.body;
    const remote = await findProviderModel(options, body.model);
    const admission = admissionOf(body.keep_alive);
    const signal = abortOnDisconnect(request, reply);
    const call: CallContext = { caller: callerOf(request), signal, admission };
    const messages = body.messages ?? [];
    if (remote && messages.length > 0) {
      await checkThink(options, body.model, remote.id, body.think);
      const run = await options.inference({ kind: "chat", model: remote.id, request: chatRequestOf(body, body.model), ...call });
      return respond(request, reply, await primeChat(run.events), chatRenderer(body.model), body.stream !== false, { startedMs, loadMs: 0 });
    }
    const model = await findModel(options, body.model);
    if (messages.length === 0) {
      // No messages: load the model (or with keep_alive 0 unload it) and say so, as Ollama does.
      const unload = admission.keepAliveMs === 0;
      if (unload && !(await options.unloadModel(model.id))) throw modelBusyError(model.id, options.unloadWaitMs);
      else await options.inference({ kind: "preload", model: model.id, ...call });
      return { model: body.model, created_at: now(), message: { role: "assistant", content: "" }, done_reason: unload ? "unload" : "load", done: true };
    }
    await checkThink(options, body.model, model.id, body.think);
    const chat = chatRequestOf(body, body.model);
    const loadMs = await loadFirst(options, model.id, call, body.options?.num_ctx);
    checkContext(request.log, options, model.id, body.options);
    const events = await primeChat((await options.inference({ kind: "chat", model: model.id, request: chat, ...call })).events);
    return respond(request, reply, events, chatRenderer(body.model), body.stream !== false, { startedMs, loadMs });
  });
};

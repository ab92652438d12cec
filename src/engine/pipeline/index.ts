/**
 * The inference pipeline: the one function every dialect calls (OpenAI Chat Completions, Responses and
 * Embeddings, Ollama's chat, generate, embed and preload). It runs these named steps, in this order, around
 * the engine's {@link InferenceService} (the scheduler):
 *
 *  1. model resolution  model-resolution.ts  the named model, or the pick for `model: "auto"` (chats only)
 *  2. routing           routing.ts           the place that serves it: this box, or the least busy provider
 *  3. admission         admission.ts         the caller's app token becomes the queue owner (round robin)
 *  4. budget            budget.ts            a priced call the app's budget cannot cover is refused (402);
 *                                            each call's cost recorded per app token, provider and month
 *  4. usage             usage.ts             each reply's tokens counted against the caller's app token
 *  5. metrics           metrics.ts           time to first token, generated tokens
 *  6. request limits    request-limits.ts    default max tokens, the wall-clock limit of one generation
 *  7. live speed        live-speed.ts        each chat timed for the model's speed figures; benchmarks yield
 *  9. engine            the scheduler        queue, load, run on a runner (a provider's models: its API)
 *
 * Steps 2-8 wrap the stage below them (a step sees what the steps above it made of the call, and the events
 * the steps below it produce: a timed-out chat's `done` from step 7 is counted by 4, 5 and 6, not timed by 8).
 * The caller is an argument of every call; nothing travels in ambient request state.
 */
import type { ChatEvent, ChatRequest, EmbedRequest, EmbedResult, InferenceService } from "../contract.js";
import { admissionStep } from "./admission.js";
import { budgetStep, type BudgetPorts } from "./budget.js";
import { liveSpeedStep, type ChatTimingPorts } from "./live-speed.js";
import { metricsStep, type InferenceMetricsSink } from "./metrics.js";
import { resolveModel, type ModelChooser, type ModelRequest } from "./model-resolution.js";
import { requestLimitsStep, type RequestLimits } from "./request-limits.js";
import { routingStep, type RouteModel } from "./routing.js";
import type { CallContext, InferenceStage, InferenceStep } from "./types.js";
import { usageStep, type UsageSink } from "./usage.js";

export type { Caller, CallContext, InferenceStage, InferenceStep } from "./types.js";
export { AUTO_MODEL, type ModelChooser } from "./model-resolution.js";
export type { BudgetPorts, BudgetStanding, ModelPrice, UsageRecord } from "./budget.js";
export type { ChatTiming, ChatTimingPorts } from "./live-speed.js";
export type { InferenceMetricsSink } from "./metrics.js";
export type { RequestLimits } from "./request-limits.js";
export type { RouteModel } from "./routing.js";
export type { UsageSink } from "./usage.js";

/** A chat through the pipeline. */
export interface ChatCall extends CallContext, ModelRequest {
  kind: "chat";
  request: ChatRequest;
}

/** An embedding through the pipeline. `model` is taken as named. */
export interface EmbedCall extends CallContext {
  kind: "embed";
  model: string;
  request: EmbedRequest;
}

/** Loading a model without running anything (Ollama's preload). */
export interface PreloadCall extends CallContext {
  kind: "preload";
  model: string;
}

/** A chat under way: the model that serves it, and its lazy event stream (admission on the first `next()`). */
export interface ChatRun {
  model: string;
  events: AsyncIterable<ChatEvent>;
}

/** The one function the dialects call; what it returns follows the call's `kind`. */
export interface RunInference {
  (call: ChatCall): Promise<ChatRun>;
  (call: EmbedCall): Promise<EmbedResult>;
  (call: PreloadCall): Promise<void>;
}

/** What the steps need from the layers above engine/; the wiring fills them. */
export interface PipelinePorts {
  /** Picks the model for `auto`. Default: none ("auto" is an unknown model). */
  chooseModel?: ModelChooser | undefined;
  /** Chooses the place that serves a model. Default: the model as named (this box only). */
  route?: RouteModel | undefined;
  budget: BudgetPorts;
  usage: UsageSink;
  metrics: InferenceMetricsSink;
  limits: RequestLimits;
  liveSpeed: ChatTimingPorts;
}

/** The engine as the bottom stage: the call's context spread into the contract's arguments. */
export function engineStage(engine: InferenceService): InferenceStage {
  return {
    chat: (modelId, request, context) => engine.chat(modelId, request, context.signal, context.admission),
    embed: (modelId, request, context) => engine.embed(modelId, request, context.signal, context.admission),
    preload: (modelId, context) => engine.preload(modelId, context.signal, context.admission),
  };
}

/** `steps` around `bottom`, the first step outermost. */
export function stack(bottom: InferenceStage, steps: readonly InferenceStep[]): InferenceStage {
  return steps.reduceRight((next, step) => step.wrap(next), bottom);
}

/** The steps 2-7 in their order (see above). */
export function pipelineSteps(ports: PipelinePorts): InferenceStep[] {
  return [
    routingStep(ports.route ?? ((modelId) => Promise.resolve(modelId))),
    admissionStep,
    budgetStep(ports.budget),
    usageStep(ports.usage),
    metricsStep(ports.metrics),
    requestLimitsStep(ports.limits),
    liveSpeedStep(ports.liveSpeed),
  ];
}

/** The pipeline over `engine`: model resolution, then the steps. */
export function inferencePipeline(engine: InferenceService, ports: PipelinePorts): RunInference {
  const stage = stack(engineStage(engine), pipelineSteps(ports));
  async function run(call: ChatCall | EmbedCall | PreloadCall): Promise<ChatRun | EmbedResult | undefined> {
    const context: CallContext = { caller: call.caller, signal: call.signal, admission: call.admission };
    if (call.kind === "embed") return stage.embed(call.model, call.request, context);
    if (call.kind === "preload") return stage.preload(call.model, context).then(() => undefined);
    const model = await resolveModel(call, call.request, call.caller, ports.chooseModel);
    return { model, events: stage.chat(model, call.request, context) };
  }
  // One implementation behind the overloads: each `kind` returns the type its overload names.
  return run as RunInference;
}

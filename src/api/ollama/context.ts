/**
 * What the Ollama routes share: their dependencies, how a client's model name finds an installed model, and
 * loading a model ahead of a request so that its load time can be reported apart.
 */
import { modelBusyError } from "../../engine/bounded-unload.js";
import type { AdmissionOptions } from "../../engine/contract.js";
import type { CallContext, RunInference } from "../../engine/pipeline/index.js";
import type { LoadedModelStatus } from "../../engine/scheduler-types.js";
import { ChaiboxError } from "../../errors.js";
import type { ContextRequest } from "../../models/planning/context-request.js";
import type { PullEvent, PullRequest, PullStatus } from "../../models/pull/pull-status.js";
import { installedIdFor } from "../../models/ollama-names.js";
import type { StoredModel } from "../../models/store.js";
import type { ChaiModel, ChaiModelDirectory } from "../../models/description/model-description.js";
import { parseKeepAlive } from "./mapping.js";

export interface OllamaModelStore {
  list(): Promise<StoredModel[]>;
  /** Throws `model_not_found` for an unknown id. */
  remove(id: string): Promise<void>;
}

export interface OllamaPulls {
  start(request: PullRequest): Promise<PullStatus>;
  events(id: string, signal?: AbortSignal): AsyncIterable<PullEvent>;
}

export interface OllamaOptions {
  /** The inference pipeline. */
  inference: RunInference;
  /** The models with their Chai descriptions (context, capabilities, family, quantization). */
  models: ChaiModelDirectory;
  store: OllamaModelStore;
  /** The models whose runners are up (the scheduler's `loaded`). */
  loadedModels: () => LoadedModelStatus[];
  /** Stops a model's runner once idle (the scheduler's `unload`). */
  /**
   * Unloads a model, waiting a bounded time for its requests: true once its runner ended, false when it was
   * still busy (it unloads once they finish).
   */
  unloadModel: (id: string) => Promise<boolean>;
  /** How long {@link unloadModel} waits, in ms, for the messages. */
  unloadWaitMs: number;
  /** The context a model is to run with for a request's `num_ctx` (the load planner's; see context-request.ts). */
  contextFor: ContextRequest;
  pulls: OllamaPulls;
  /** What pulling a name downloads, and under which id (catalog aliases such as `qwen3:4b`, catalog refs, hf:, URLs). */
  resolvePull: (name: string) => Promise<{ ref: string; id?: string }>;
  /** chaibox's version, reported next to the Ollama API level it speaks. */
  version: string;
}

/** An installed model as a request names it. */
export interface NamedModel {
  /** The installed model id. */
  id: string;
  manifest: StoredModel;
  /** Its Chai description, when asked for (absent too when describing it failed). */
  chai: ChaiModel | undefined;
}

export function modelNotFound(name: string): ChaiboxError {
  return new ChaiboxError("model_not_found", `model "${name}" not found, try pulling it first`, { param: "model" });
}

/**
 * Finds the installed model `name` means (`tiny`, `tiny:latest`, `qwen3:4b`); 404 with a pull hint otherwise.
 * `described` adds its Chai description (default false: describing every model costs a little, and a
 * chat does not need it).
 */
export async function findModel(options: OllamaOptions, name: string, described = false): Promise<NamedModel> {
  const installed = await options.store.list();
  const id = installedIdFor(name, new Set(installed.map((m) => m.id)));
  const manifest = installed.find((m) => m.id === id);
  if (id === undefined || manifest === undefined) throw modelNotFound(name);
  const chai = described ? (await options.models.list()).find((m) => m.id === id) : undefined;
  return { id, manifest, chai };
}

/**
 * The provider's model `name` means (`study/tiny`, `study/tiny:latest`), or undefined: a provider's models
 * are chatted with as named, with nothing to load or size here.
 */
export async function findProviderModel(options: OllamaOptions, name: string): Promise<ChaiModel | undefined> {
  if (!name.includes("/")) return undefined;
  const bare = name.endsWith(":latest") ? name.slice(0, -":latest".length) : name;
  return (await options.models.list()).find((m) => m.chai.provider !== undefined && (m.id === name || m.id === bare));
}

/** `keep_alive` as admission options (none: the model keeps its current keep-alive). */
export function admissionOf(keepAlive: string | number | undefined): AdmissionOptions {
  return keepAlive === undefined ? {} : { keepAliveMs: parseKeepAlive(keepAlive) };
}

/**
 * A request's `num_ctx` before its model runs: the planner sizes the model's next load for it, and a model
 * running with less context than asked for, where more fits, is unloaded so that it loads again with more.
 */
async function sizeContext(options: OllamaOptions, id: string, numCtx: number | undefined): Promise<void> {
  if (numCtx === undefined) return;
  const running = options.loadedModels().find((m) => m.modelId === id)?.info;
  if (running !== undefined && numCtx <= running.sequenceContextSize) return;
  const layout = running && { contextSize: running.sequenceContextSize, parallel: running.parallel, gpuLayers: running.gpuLayers };
  const planned = await options.contextFor(id, numCtx, layout);
  if (running === undefined || planned <= running.sequenceContextSize) return;
  if (!(await options.unloadModel(id))) throw modelBusyError(id, options.unloadWaitMs);
}

/**
 * Loads the model first when it is not loaded (or again with a larger context, for `numCtx`), so the
 * request's `load_duration` is the load alone; returns the milliseconds it took (0 when the model was up).
 */
export async function loadFirst(options: OllamaOptions, id: string, call: CallContext, numCtx?: number): Promise<number> {
  await sizeContext(options, id, numCtx);
  if (options.loadedModels().some((m) => m.modelId === id)) return 0;
  const started = performance.now();
  await options.inference({ kind: "preload", model: id, ...call });
  return performance.now() - started;
}

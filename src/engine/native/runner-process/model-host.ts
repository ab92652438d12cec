/**
 * The loaded model of a runner: the llama.cpp binding, the model, and what serves its requests — for a chat
 * model one context with a sequence per parallel request and a pool that hands those sequences out, for an
 * embedding model one embedding context. Which one is read from the GGUF file (see model-kind.ts).
 */
import {
  InsufficientMemoryError,
  LlamaLogLevel,
  getLlama,
  resolveChatWrapper,
  type ChatWrapper,
  type Llama,
  type LlamaContext,
  type LlamaEmbeddingContext,
  type LlamaModel,
} from "node-llama-cpp";
import type { Logger } from "pino";
import type { EmbedRequest, EmbedResult, LoadedModelInfo, LoadOptions } from "../../contract.js";
import { ChaiboxError } from "../../../errors.js";
import { modelKindOf } from "../../model-kind.js";
import { nativeEngine, type EngineManifest } from "../engine-files.js";
import { alignBatches, gatheringSchedule, installBatchAlignment } from "./batch-alignment.js";
import { runEmbed } from "./embed.js";
import { SequenceSlots, type SequenceLease } from "./sequence-slots.js";

/** A loaded model: a chat model with its sequence pool, or an embedding model. */
export type ModelHost = ChatHost | EmbeddingHost;

/** A loaded chat model with its context and sequence pool. */
export interface ChatHost {
  readonly kind: "chat";
  readonly llama: Llama;
  readonly model: LlamaModel;
  readonly context: LlamaContext;
  /** The model's chat format, resolved once from its metadata and template. */
  readonly chatWrapper: ChatWrapper;
  readonly info: LoadedModelInfo;
  /**
   * A hold on one of the context's sequences for one request (see sequence-slots.ts): acquiring waits while
   * `parallel` chats run, picks the free sequence with the longest cached prefix, and rejects when `signal`
   * aborts.
   */
  lease(signal: AbortSignal): SequenceLease;
  dispose(): Promise<void>;
}

/** A loaded embedding model with its embedding context. */
export interface EmbeddingHost {
  readonly kind: "embedding";
  readonly info: LoadedModelInfo;
  /** Embeds one request's inputs; requests take turns on the one embedding context. */
  embed(request: EmbedRequest, signal: AbortSignal): Promise<EmbedResult>;
  dispose(): Promise<void>;
}

function checkOptions(options: LoadOptions): void {
  const positive = (value: number): boolean => Number.isInteger(value) && value >= 1;
  if (
    typeof options.modelPath !== "string" ||
    !positive(options.contextSize) ||
    !positive(options.parallel) ||
    !positive(options.threads) ||
    !(options.gpuLayers === "auto" || (Number.isInteger(options.gpuLayers) && options.gpuLayers >= 0))
  ) {
    throw new ChaiboxError("model_load_failed", `invalid load options ${JSON.stringify(options)}`);
  }
}

const llamaLogLevels: Partial<Record<LlamaLogLevel, "error" | "warn" | "info" | "debug">> = {
  [LlamaLogLevel.fatal]: "error",
  [LlamaLogLevel.error]: "error",
  [LlamaLogLevel.warn]: "warn",
  [LlamaLogLevel.info]: "debug",
  [LlamaLogLevel.log]: "debug",
  [LlamaLogLevel.debug]: "debug",
};

/** Maps a load failure to the registry: memory shortage is its own code, anything else fails the load. */
export function toLoadError(error: unknown): ChaiboxError {
  if (error instanceof ChaiboxError) return error;
  const message = error instanceof Error ? error.message : String(error);
  if (error instanceof InsufficientMemoryError) {
    return new ChaiboxError("insufficient_memory", message);
  }
  return new ChaiboxError("model_load_failed", message);
}

/** What the log says about the loaded binding: native (which build) or prebuilt. */
function engineOf(llama: Llama, native: EngineManifest | undefined): Record<string, unknown> {
  const engine = llama.buildType === "localBuild" ? "native" : "prebuilt";
  return {
    engine,
    ...(engine === "native" && native && { variant: native.variant, builtAt: native.builtAt }),
    ...(engine === "prebuilt" && native && { fallback: "the native engine did not load" }),
    gpu: llama.gpu,
    llamaCpp: llama.llamaCppRelease.release,
  };
}

/**
 * Loads a model: an embedding model (its GGUF declares a pooling type) into an embedding context, any other
 * as a chat model. The chat context holds `parallel` sequences of `contextSize` tokens each: node-llama-cpp's
 * `contextSize` is per sequence and it allocates contextSize × sequences cells. Threads are always passed
 * explicitly: node-llama-cpp's default (at least 4) makes a small CPU ~100× slower.
 */
export async function loadModelHost(options: LoadOptions, log: Logger): Promise<ModelHost> {
  checkOptions(options);
  // The native engine (`chaibox engine build`) when there is one; node-llama-cpp falls back to its prebuilt
  // binary when the build with these cmake options is missing or does not load.
  const native = nativeEngine();
  const llama = await getLlama({
    ...(native && { cmakeOptions: native.cmakeOptions }),
    gpu: options.gpuLayers === 0 ? false : "auto",
    // "auto" would try to download and build llama.cpp when no prebuilt binary fits, which fails offline.
    build: "never",
    maxThreads: options.threads,
    progressLogs: false,
    logLevel: LlamaLogLevel.warn,
    logger: (level, message) => {
      const method = llamaLogLevels[level] ?? "debug";
      const text = message.trim();
      if (text !== "") log[method]({ source: "llama.cpp" }, text);
    },
  });
  log.info(engineOf(llama, native), "engine loaded");
  try {
    const model = await llama.loadModel({ modelPath: options.modelPath, gpuLayers: options.gpuLayers });
    const { pooling_type: poolingType } = model.fileInfo.architectureMetadata as { pooling_type?: number };
    if (modelKindOf(poolingType) === "embedding") return await loadEmbeddingHost(llama, model, options, log);
    // The schedule is given before the context exists; it reads the context when a dispatch is due.
    const created: { context?: LlamaContext } = {};
    const context = await model.createContext({
      contextSize: options.contextSize,
      sequences: options.parallel,
      threads: options.threads,
      // llama.cpp's own default, as llama-server runs: on where the backend supports it (the CPU does),
      // off otherwise. Measured 5–10 % faster decode on the CPU (docs/performance.md).
      flashAttention: "auto",
      batching: { dispatchSchedule: gatheringSchedule(() => created.context) },
    });
    created.context = context;
    const sequenceContextSize = context.contextSize;
    const info: LoadedModelInfo = {
      kind: "chat",
      embeddingLength: model.embeddingVectorSize,
      contextSize: sequenceContextSize * options.parallel,
      sequenceContextSize,
      trainContextSize: model.trainContextSize,
      parallel: options.parallel,
      threads: options.threads,
      gpuLayers: model.gpuLayers,
      gpu: llama.gpu,
    };
    const chatWrapper = resolveChatWrapper(model);
    const loaded = { info, chatWrapper: chatWrapper.wrapperName };
    log.info(loaded, "model loaded");
    if (options.parallel > 1 && !installBatchAlignment()) {
      log.warn("this node-llama-cpp has no after-batch step to align parallel streams on: they decode in smaller batches");
    }
    return createHost(llama, model, context, chatWrapper, info, options.promptCache ?? true);
  } catch (error) {
    await llama.dispose().catch(() => undefined);
    throw toLoadError(error);
  }
}

/**
 * An embedding model gets one embedding context: node-llama-cpp's holds a single sequence, so the runner
 * reports `parallel: 1` and the scheduler queues further requests. The batch spans the whole context:
 * pooling happens per llama.cpp batch, so an input split over several batches would be pooled over its
 * last batch only (llama.cpp's own server likewise needs an input to fit one batch).
 */
async function loadEmbeddingHost(llama: Llama, model: LlamaModel, options: LoadOptions, log: Logger): Promise<EmbeddingHost> {
  const contextSize = options.contextSize;
  const context: LlamaEmbeddingContext = await model.createEmbeddingContext({
    contextSize,
    batchSize: contextSize,
    threads: options.threads,
  });
  const info: LoadedModelInfo = {
    kind: "embedding",
    embeddingLength: model.embeddingVectorSize,
    contextSize,
    sequenceContextSize: contextSize,
    trainContextSize: model.trainContextSize,
    parallel: 1,
    threads: options.threads,
    gpuLayers: model.gpuLayers,
    gpu: llama.gpu,
  };
  log.info({ info }, "model loaded");
  return {
    kind: "embedding",
    info,
    embed: (request, signal) => runEmbed({ model, context, contextSize }, request, signal),
    dispose: async () => {
      await context.dispose();
      await model.dispose();
      await llama.dispose();
    },
  };
}

function createHost(
  llama: Llama,
  model: LlamaModel,
  context: LlamaContext,
  chatWrapper: ChatWrapper,
  info: LoadedModelInfo,
  promptCache: boolean,
): ChatHost {
  const slots = new SequenceSlots(context, { promptCache });
  alignBatches(context, () => slots.leased, () => slots.requests);
  const dispose = async (): Promise<void> => {
    await context.dispose();
    await model.dispose();
    await llama.dispose();
  };
  return { kind: "chat", llama, model, context, chatWrapper, info, lease: (signal) => slots.lease(signal), dispose };
}

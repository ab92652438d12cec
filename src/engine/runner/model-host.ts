/**
 * The loaded model of a runner: the llama.cpp binding, the model, one context with a sequence per parallel
 * request, and a pool that hands those sequences out.
 */
import {
  InsufficientMemoryError,
  LlamaLogLevel,
  getLlama,
  resolveChatWrapper,
  type ChatWrapper,
  type Llama,
  type LlamaContext,
  type LlamaContextSequence,
  type LlamaModel,
} from "node-llama-cpp";
import type { Logger } from "pino";
import type { LoadedModelInfo, LoadOptions } from "../contract.js";
import { ChaiboxError } from "../../errors.js";

/** A loaded model with its context and sequence pool. */
export interface ModelHost {
  readonly llama: Llama;
  readonly model: LlamaModel;
  readonly context: LlamaContext;
  /** The model's chat format, resolved once from its metadata and template. */
  readonly chatWrapper: ChatWrapper;
  readonly info: LoadedModelInfo;
  /** Waits for a free sequence (they are all busy while `parallel` chats run). Rejects when `signal` aborts. */
  acquire(signal: AbortSignal): Promise<LlamaContextSequence>;
  /** Disposes a sequence (clearing its cells) and hands its slot to the next waiter. */
  release(sequence: LlamaContextSequence): Promise<void>;
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

/**
 * Loads a model. The context holds `parallel` sequences of `contextSize` tokens each: node-llama-cpp's
 * `contextSize` is per sequence and it allocates contextSize × sequences cells. Threads are always passed
 * explicitly: node-llama-cpp's default (at least 4) makes a small CPU ~100× slower.
 */
export async function loadModelHost(options: LoadOptions, log: Logger): Promise<ModelHost> {
  checkOptions(options);
  const llama = await getLlama({
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
  try {
    const model = await llama.loadModel({ modelPath: options.modelPath, gpuLayers: options.gpuLayers });
    const context = await model.createContext({
      contextSize: options.contextSize,
      sequences: options.parallel,
      threads: options.threads,
    });
    const sequenceContextSize = context.contextSize;
    const info: LoadedModelInfo = {
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
    return createHost(llama, model, context, chatWrapper, info);
  } catch (error) {
    await llama.dispose().catch(() => undefined);
    throw toLoadError(error);
  }
}

function createHost(
  llama: Llama,
  model: LlamaModel,
  context: LlamaContext,
  chatWrapper: ChatWrapper,
  info: LoadedModelInfo,
): ModelHost {
  const waiters: (() => void)[] = [];

  const acquire = async (signal: AbortSignal): Promise<LlamaContextSequence> => {
    while (context.sequencesLeft === 0) {
      signal.throwIfAborted();
      await new Promise<void>((resolve, reject) => {
        const onAbort = (): void => {
          const index = waiters.indexOf(wake);
          if (index !== -1) waiters.splice(index, 1);
          reject(signal.reason as Error);
        };
        const wake = (): void => {
          signal.removeEventListener("abort", onAbort);
          resolve();
        };
        waiters.push(wake);
        signal.addEventListener("abort", onAbort, { once: true });
      });
    }
    signal.throwIfAborted();
    return context.getSequence();
  };

  const release = async (sequence: LlamaContextSequence): Promise<void> => {
    try {
      await sequence.dispose();
    } finally {
      waiters.shift()?.();
    }
  };

  const dispose = async (): Promise<void> => {
    await context.dispose();
    await model.dispose();
    await llama.dispose();
  };

  return { llama, model, context, chatWrapper, info, acquire, release, dispose };
}

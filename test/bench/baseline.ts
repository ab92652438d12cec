/**
 * The baseline: raw node-llama-cpp in this process, loaded the way a careful user would load it (and the way
 * chaibox's runner does): explicit threads, `build: "never"`, one context with a sequence per stream, a
 * `LlamaChat` per request on a fresh sequence.
 */
import {
  getLlama,
  LlamaChat,
  LlamaLogLevel,
  TokenBias,
  resolveChatWrapper,
  type ChatHistoryItem,
  type ChatWrapper,
  type Llama,
  type LlamaContext,
  type LlamaModel,
  type Token,
} from "node-llama-cpp";
import { nativeEngine } from "../../src/engine/native/engine-files.js";
import type { BenchMessage, BenchSampling, StreamRequest, StreamTiming } from "./workload.js";

export interface BaselineOptions {
  modelPath: string;
  threads: number;
  contextSize: number;
  parallel: number;
}

function toHistory(messages: readonly BenchMessage[]): ChatHistoryItem[] {
  const history: ChatHistoryItem[] = messages.map((m) => (m.role === "system" ? { type: "system", text: m.content } : { type: "user", text: m.content }));
  history.push({ type: "model", response: [] });
  return history;
}

/** A loaded baseline; `dispose()` frees the model, the context and the binding's threads. */
export class Baseline {
  private sampling: BenchSampling | undefined;
  /** The chat wrapper LlamaChat would resolve for this model ("auto"), resolved once. */
  private readonly wrapper: ChatWrapper;

  private constructor(
    readonly llama: Llama,
    readonly model: LlamaModel,
    readonly context: LlamaContext,
  ) {
    this.wrapper = resolveChatWrapper(model);
  }

  /**
   * Loads the model like the runner does (`gpu: "auto"` falls back to the CPU where there is no GPU), with the
   * same engine: the native one when `chaibox engine build` made one (and CHAIBOX_ENGINE does not say
   * prebuilt), else the prebuilt binary.
   */
  static async load(options: BaselineOptions): Promise<Baseline> {
    const native = nativeEngine();
    const llama = await getLlama({
      ...(native && { cmakeOptions: native.cmakeOptions }),
      gpu: "auto",
      build: "never",
      maxThreads: options.threads,
      progressLogs: false,
      logLevel: LlamaLogLevel.warn,
    });
    try {
      const model = await llama.loadModel({ modelPath: options.modelPath });
      const context = await model.createContext({
        contextSize: options.contextSize,
        sequences: options.parallel,
        threads: options.threads,
      });
      return new Baseline(llama, model, context);
    } catch (error) {
      await llama.dispose();
      throw error;
    }
  }

  /** The GPU backend in use, or false for the CPU. */
  get gpu(): string | false {
    return this.llama.gpu;
  }

  countTokens(text: string): number {
    return this.model.tokenize(text).length;
  }

  /**
   * The tokens that end a generation: every token llama.cpp treats as end-of-generation (EOS, EOT, ChatML's
   * `<|im_end|>`, `</s>`…) and every special token (LlamaChat stops on those too, e.g. `<unk>`), found by
   * scanning the vocabulary. Banning them keeps every run at exactly maxTokens: a model with random weights
   * would otherwise stop at a random point.
   */
  endTokens(): number[] {
    const metadata = this.model.fileInfo.metadata as { tokenizer?: { ggml?: { tokens?: readonly unknown[] } } };
    const size = metadata.tokenizer?.ggml?.tokens?.length ?? 0;
    const ids: number[] = [];
    for (let token = 0; token < size; token++) if (this.model.isEogToken(token as Token) || this.model.isSpecialToken(token as Token)) ids.push(token);
    for (const token of [this.model.tokens.eos, this.model.tokens.eot]) if (token !== null && !ids.includes(token)) ids.push(token);
    return ids.sort((a, b) => a - b);
  }

  setSampling(sampling: BenchSampling): void {
    this.sampling = sampling;
  }

  /** One generation on a fresh sequence, timed like chaibox's stream: start → text deltas → end. */
  readonly run = async (request: StreamRequest): Promise<StreamTiming> => {
    const sampling = this.sampling;
    if (sampling === undefined) throw new Error("setSampling() first");
    const history = toHistory(request.messages);
    // prompt_tokens as chaibox counts them (the history as the chat wrapper renders it). Counted before the
    // clock starts: it is work chaibox's runner adds per request, not work a raw user has to do.
    const { contextText } = this.wrapper.generateContextState({ chatHistory: history });
    const promptTokens = contextText.tokenize(this.model.tokenizer).length;

    const startMs = performance.now();
    let firstTokenMs: number | undefined;
    let lastTokenMs: number | undefined;
    let textChars = 0;
    const sequence = this.context.getSequence();
    try {
      // The chat wrapper is resolved once, at load: resolving it renders the model's Jinja template against
      // every compatible built-in wrapper, which takes a noticeable time (hundreds of ms on a small CPU).
      const chat = new LlamaChat({ contextSequence: sequence, chatWrapper: this.wrapper });
      try {
        const tokenBias = TokenBias.for(this.model);
        for (const token of sampling.bannedTokens) tokenBias.set(token as Token, "never");
        const meter = sequence.tokenMeter.getState();
        await chat.generateResponse(history, {
          temperature: sampling.temperature,
          seed: sampling.seed,
          maxTokens: request.maxTokens,
          tokenBias,
          onTextChunk: (text) => {
            if (text === "") return;
            const now = performance.now();
            firstTokenMs ??= now;
            lastTokenMs = now;
            textChars += text.length;
          },
        });
        const endMs = performance.now();
        const completionTokens = sequence.tokenMeter.diff(meter).usedOutputTokens;
        return { startMs, firstTokenMs, lastTokenMs, endMs, promptTokens, completionTokens, textChars };
      } finally {
        chat.dispose({ disposeSequence: false });
      }
    } finally {
      await sequence.dispose();
    }
  };

  async dispose(): Promise<void> {
    await this.context.dispose();
    await this.model.dispose();
    await this.llama.dispose();
  }
}

/**
 * The one inference contract. Every wire dialect (OpenAI Chat Completions, Responses, Ollama) maps its
 * request into a {@link ChatRequest} and renders the {@link ChatEvent} stream back into its own bytes; the
 * engine never sees a dialect. The same types travel over the runner IPC, so they are plain JSON data.
 *
 * The dialects do not call {@link InferenceService} directly: they call the inference pipeline
 * (engine/pipeline/index.ts), one function whose named steps run in this order around it — model resolution
 * (`model: "auto"`), admission (the caller's app token as queue owner), budget, usage, metrics, request
 * limits, live speed — and the scheduler implements this contract at the bottom. The caller is an argument of each call.
 */

/** A JSON Schema document, as sent by a client (validated where it is used). */
export type JsonSchema = Record<string, unknown>;

/** A function call the model made. `arguments` is JSON text, as OpenAI clients expect it. */
export interface ToolCall {
  id: string;
  name: string;
  arguments: string;
}

/** A chat message in dialect-neutral form. Content is plain text: text parts are joined by the dialect. */
export type ChatMessage =
  | { role: "system"; content: string }
  | { role: "user"; content: string }
  | { role: "assistant"; content: string; toolCalls?: ToolCall[] }
  | { role: "tool"; toolCallId: string; content: string };

export interface ToolDefinition {
  name: string;
  description?: string;
  /** JSON Schema of the arguments object; absent means the function takes no arguments. */
  parameters?: JsonSchema;
}

/**
 * Whether and which tool the model must call. `auto` lets the model decide (the default when tools are
 * given), `required` forces a call to one of the tools, `function` forces a call to the named tool.
 */
export type ToolChoice =
  | { type: "auto" }
  | { type: "none" }
  | { type: "required" }
  | { type: "function"; name: string };

export type ResponseFormat =
  | { type: "text" }
  | { type: "json_object" }
  | { type: "json_schema"; name: string; schema: JsonSchema; strict: boolean };

/**
 * The repeat penalty that penalizes nothing. OpenAI's wire formats have no repeat penalty, and their presence
 * and frequency penalties default to 0: a request in them penalizes no token unless it asks to, as with
 * OpenAI and llama-server. (A penalty also bends structured output: JSON repeats its braces and quotes.)
 */
export const NO_REPEAT_PENALTY = 1;

/** Sampling options. Absent fields take the runner's defaults (greedy-free sampling at temperature 0.8). */
export interface SamplingOptions {
  /** Upper bound on generated tokens; the runner also stops at the end of the context. */
  maxTokens?: number;
  temperature?: number;
  topP?: number;
  seed?: number;
  /** Generation stops before any of these strings; they are not part of the output. */
  stop?: string[];
  presencePenalty?: number;
  frequencyPenalty?: number;
  /** Samples among the K most likely tokens only; 0 disables it (as in llama.cpp). Default 40. */
  topK?: number;
  /**
   * llama.cpp's repeat penalty: divides the logits of the tokens among the last 64 generated ones (combined
   * with the presence/frequency penalties); 1 = off. Default 1.1 (node-llama-cpp's, and Ollama's); the
   * OpenAI formats, which have no repeat penalty, send {@link NO_REPEAT_PENALTY}.
   */
  repeatPenalty?: number;
  /** Token id (decimal string) → additive logit bias, as OpenAI's `logit_bias` (-100..100). */
  tokenBias?: Record<string, number>;
}

export interface ChatRequest {
  messages: ChatMessage[];
  tools?: ToolDefinition[];
  /** Default: `auto` when tools are given, else `none`. */
  toolChoice?: ToolChoice;
  /** Default: `text`. */
  responseFormat?: ResponseFormat;
  sampling: SamplingOptions;
  /**
   * Evaluated as is, without the chat template; `messages`, `tools` must then be empty. The model continues
   * the text (Ollama's `/api/generate` with `raw: true`). Special-token text in it (e.g. `<|im_start|>`) is
   * read as those tokens, so a client can write its own template. Default: none (a chat).
   */
  rawPrompt?: string;
  /**
   * false asks a reasoning model to skip its thinking (a thought budget of 0). Default: the model's own
   * behaviour.
   */
  think?: boolean;
  /**
   * When the conversation does not fit the context, drop its oldest turns (system messages and the last
   * turn stay) until it leaves room to answer, as Ollama does, instead of failing with
   * `context_length_exceeded`. Default false.
   */
  truncateHistory?: boolean;
}

export interface Usage {
  promptTokens: number;
  completionTokens: number;
  /**
   * Prompt tokens the prompt cache already held, so they were not evaluated again (part of promptTokens).
   * Absent when the runner did not say (0 is a miss).
   */
  cachedPromptTokens?: number;
  /**
   * Prompt tokens the runner evaluated, over all attempts, as counted by node-llama-cpp's token meter (the
   * runner's counter). Absent when the runner did not say.
   */
  evaluatedPromptTokens?: number;
}

export type FinishReason = "stop" | "length" | "tool_calls";

/** Where a generation's time went, measured in the runner (milliseconds). */
export interface ChatTimings {
  /** From the start of the generation to its first token: evaluating the prompt. */
  promptMs: number;
  /** From the first token to the end of the generation. */
  generationMs: number;
}

/**
 * What a generation emits, in order: any number of `reasoning` and `text` deltas, at most one `tool_calls`,
 * then exactly one `done`. A failure ends the stream by throwing a {@link ChaiboxError} instead of `done`.
 * Consumers must ignore event types they do not know.
 */
export type ChatEvent =
  /** The model's thinking, before its answer; only models whose chat wrapper has a thought segment emit it. */
  | { type: "reasoning"; text: string }
  | { type: "text"; text: string }
  | { type: "tool_calls"; calls: ToolCall[] }
  /** `timings` is absent when the runner did not measure the generation. */
  | { type: "done"; finishReason: FinishReason; usage: Usage; timings?: ChatTimings };

/**
 * What a model is for, read from its GGUF file (never guessed from its name): `embedding` when the file
 * declares how to pool its token states into one vector (`<arch>.pooling_type` mean, cls or last), else `chat`.
 */
export type ModelKind = "chat" | "embedding";

/** One input to embed: a text, or token ids of the model's vocabulary. */
export type EmbedInput = string | number[];

export interface EmbedRequest {
  /** The inputs, at least one; they are embedded in this order. */
  inputs: EmbedInput[];
  /**
   * The vector length the client expects. A model serves only its own length (`unsupported_parameter`
   * otherwise). Default: the model's.
   */
  dimensions?: number;
  /**
   * Cut inputs longer than the context to fit (keeping their start) instead of failing with
   * context_length_exceeded. Default false.
   */
  truncate?: boolean;
}

export interface EmbedResult {
  /**
   * One vector per input, in input order, each of the model's `embeddingLength`, scaled to unit length
   * (cosine similarity is their dot product) and exactly representable as float32.
   */
  embeddings: number[][];
  /** Tokens the model evaluated over all inputs, including the beginning-of-sequence token it adds to each. */
  promptTokens: number;
}

/** What a loaded model reports about itself once its runner is up. */
export interface LoadedModelInfo {
  /** Which service the model serves: `chat` or `embed`. */
  kind: ModelKind;
  /** Length of the model's vectors (its hidden size): what `embed` returns per input. */
  embeddingLength: number;
  /** The context size actually allocated (tokens), shared by all sequences. */
  contextSize: number;
  /** Context available to one request (contextSize / parallel sequences). */
  sequenceContextSize: number;
  trainContextSize: number;
  parallel: number;
  threads: number;
  /** Layers llama.cpp put on the GPU (0 on a CPU-only box). */
  gpuLayers: number;
  /** The GPU backend in use: cuda, vulkan, metal, or false for the CPU. */
  gpu: string | false;
}

/** How a model is to be loaded in its runner. */
export interface LoadOptions {
  modelPath: string;
  /** Tokens of context per sequence; the runner allocates contextSize × parallel. */
  contextSize: number;
  parallel: number;
  threads: number;
  /** Layers to offload to a GPU; 0 = CPU only. Default "auto" lets node-llama-cpp choose. */
  gpuLayers: number | "auto";
  /** Why these settings, in a line for the log (fit's reason). */
  summary?: string;
  /** Fit's estimate of the runner's RAM (model, context, runner overhead); a systemd runner's MemoryMax comes from it. */
  estimatedRamBytes?: number;
  /**
   * Keep each sequence's evaluated tokens between requests and reuse the longest common prefix (the prompt
   * cache). Default true; false evaluates every prompt from scratch.
   */
  promptCache?: boolean;
}

/** How a request is admitted, beyond the model and the request itself. */
export interface AdmissionOptions {
  /**
   * How long the model stays loaded once idle, from this request on (Ollama's keep_alive): it replaces the
   * configured keep-alive for this model until the model unloads or another request sets it again. 0 unloads
   * the model as soon as it is idle; Infinity keeps it loaded. Default: the model's current keep-alive.
   */
  keepAliveMs?: number;
  /**
   * Who asks (an app token's id): a busy model's queue is served round robin between owners, so one app
   * cannot starve the others. Default: '' (all requests without an owner share one turn).
   */
  owner?: string;
}

/** The engine's view of inference, below the pipeline's steps (the scheduler implements it). */
export interface InferenceService {
  /**
   * Runs one chat. The iterable is lazy: admission (queueing, loading) happens on the first `next()`, so a
   * dialect can still turn a queue-full or unknown-model error into a plain HTTP error before streaming.
   * Aborting `signal` cancels the generation and frees its sequence. `admission` default: none.
   */
  chat(modelId: string, request: ChatRequest, signal: AbortSignal, admission?: AdmissionOptions): AsyncIterable<ChatEvent>;
  /**
   * Embeds the inputs with an embedding model, under the same admission as `chat` (queue, slots,
   * keep-alive). Throws `wrong_model_kind` for a chat model (and `chat` throws it for an embedding model),
   * `context_length_exceeded` naming `input[i]` for an input longer than the context (unless
   * `request.truncate`). Aborting `signal` cancels it. `admission` default: none.
   */
  embed(modelId: string, request: EmbedRequest, signal: AbortSignal, admission?: AdmissionOptions): Promise<EmbedResult>;
  /**
   * Loads the model when it is not loaded (queueing like a request, any model kind) and applies `admission`,
   * running nothing: Ollama's preload. Resolves once the model is loaded. `admission` default: none.
   */
  preload(modelId: string, signal: AbortSignal, admission?: AdmissionOptions): Promise<void>;
}

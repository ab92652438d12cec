/**
 * What a model file says it can do, read from the file itself by engine/native/runner-process/traits.ts (the GGUF metadata,
 * and the chat wrapper node-llama-cpp resolves for it exactly as the runner does) and cached with its
 * GgufInsights table. Nothing here is guessed from a model's name.
 */

/** llama.cpp's `enum llama_pooling_type`, by name; null when the file does not declare one. */
export type PoolingName = "none" | "mean" | "cls" | "last" | "rank";

/** The traits of one model file, cached with its GgufInsights table (by the file's SHA-256). */
export interface ModelTraits {
  /** `general.architecture`, e.g. `llama`, `qwen3`, `bert`. */
  architecture: string;
  /** `<arch>.pooling_type`; null when absent (a generative model). */
  pooling: PoolingName | null;
  /** The file pools its token states into one vector (mean, cls or last): an embedding model. */
  embeddings: boolean;
  /** The file carries a chat template (`tokenizer.chat_template`). */
  chatTemplate: boolean;
  /** Name of the chat wrapper node-llama-cpp resolves for the file (`ChatML`, `Qwen`, `Jinja`…). */
  chatWrapper: string;
  /**
   * The wrapper calls functions in a syntax of the model's own (its template's `<tool_call>`, Llama 3.1's
   * `<|python_tag|>`…). False when it falls back to node-llama-cpp's generic `||call:` syntax, which the
   * model was never trained on: chaibox still accepts `tools` then, but the model will not call one unasked.
   */
  tools: boolean;
  /**
   * The wrapper has a thought segment and the file's template writes its markers (`<think>`…`</think>`): the
   * model reasons before it answers. A wrapper resolved without a template counts on its own.
   */
  reasoning: boolean;
  /**
   * Token ids that end or interrupt a generation (end-of-generation and special tokens), ascending. The
   * benchmark bans them so that every run generates the tokens it asks for.
   */
  endTokens: number[];
}

const poolingNames: Readonly<Record<number, PoolingName>> = { 0: "none", 1: "mean", 2: "cls", 3: "last", 4: "rank" };

/** The name of a `<arch>.pooling_type` value; null when absent, unspecified (-1) or unknown. */
export function poolingName(value: unknown): PoolingName | null {
  return typeof value === "number" ? (poolingNames[value] ?? null) : null;
}

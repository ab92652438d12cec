/**
 * Model presets with seeded random weights: `tiny` for tests, `demo` so chaibox answers out of the box, the
 * shapes of two small real models (`0.5b` = Qwen2.5-0.5B, `1b` = Llama-3.2-1B) for speed and memory
 * figures, and `embed`, a tiny embedding model. All are GGUF v3 files with a SentencePiece vocabulary; the chat
 * models carry a ChatML template (llama architecture) unless a variant asks for a real tool-calling template
 * (Qwen2.5's on the qwen2 architecture, Llama 3.1's), the embedding model a pooling type instead.
 * The same preset, quantization, seed and variant always give the same bytes.
 */
import { mkdir } from "node:fs/promises";
import { dirname } from "node:path";
import { FileType, GgmlType, type WritableGgmlType } from "./constants.js";
import { chatTemplates, templateNames, type TemplateName } from "./chat-templates.js";
export { CHATML_TEMPLATE } from "./chat-templates.js";
import { buildVocabulary, type Vocabulary } from "./vocabulary.js";
import { englishWords } from "./words.js";
import {
  ggufValue,
  writeGguf,
  type GgufMetadataValue,
  type GgufTensorSpec,
  type GgufWriteProgress,
  type GgufWriteSpec,
} from "./writer.js";

export const presetNames = ["tiny", "demo", "0.5b", "1b", "embed"] as const;
export type PresetName = (typeof presetNames)[number];

export const quantNames = ["f32", "f16", "q8_0"] as const;
export type QuantName = (typeof quantNames)[number];

/**
 * Bumped whenever a change here alters the bytes of a preset, so caches keyed on it (test models) regenerate.
 */
export const PRESET_REVISION = 1;

export interface PresetShape {
  name: string;
  description: string;
  embeddingLength: number;
  blockCount: number;
  headCount: number;
  headCountKv: number;
  feedForwardLength: number;
  contextLength: number;
  ropeFreqBase: number;
  rmsEpsilon: number;
  /** Add the English word list as `▁word` tokens. */
  words: boolean;
  /** Total vocabulary size; default: the base vocabulary (plus words). */
  vocabSize?: number;
  /** No `output.weight`: the token embedding doubles as the output projection (as in both real shapes). */
  tiedEmbeddings: boolean;
  /** Standard deviation of the token embedding. Default 0.02, like every other matrix. */
  embeddingStd?: number;
  /** Shapes the output layer (needs untied embeddings). Absent: a random matrix like the others. */
  output?: OutputShape;
  /**
   * Makes an embedding model: how llama.cpp pools the token states into one vector, written as
   * `llama.pooling_type`. Such a file has no chat template, as real embedding models have none. Absent: a
   * chat model with the ChatML template.
   */
  pooling?: PoolingName;
}

/** llama.cpp's pooling types (`enum llama_pooling_type`) that make one vector per input. */
export const poolingTypes = { mean: 1, cls: 2, last: 3 } as const;
export type PoolingName = keyof typeof poolingTypes;

/**
 * Which tokens a random model emits. The rows of all other tokens are zero, so their logit is exactly 0 while
 * the emitted tokens' logits spread around it with `logitStd`: with top-k sampling (node-llama-cpp's default
 * k is 40) the others are never drawn, and without it rarely.
 */
export interface OutputShape {
  /** `chars`: printable ASCII characters; `words`: the whole-word tokens plus `.` and `,`. */
  emit: "chars" | "words";
  /** Standard deviation of the emitted tokens' logits (the hidden state after output_norm has unit RMS). */
  logitStd: number;
  /** Scale of `<|im_end|>`'s row relative to the emitted tokens: 0 means replies never end on their own. */
  endBoost: number;
}

const RANDOM_WEIGHTS_NOTE =
  "Its weights are random, not trained: its output is meaningless. " +
  "A real model comes from the catalog (chaibox models pull) or a GGUF file (chaibox models add).";

export const presets: Readonly<Record<PresetName, PresetShape>> = {
  tiny: {
    name: "chaibox tiny test model (random weights)",
    description: `A tiny model for tests: 64 wide, 2 layers, a byte and ASCII vocabulary. ${RANDOM_WEIGHTS_NOTE}`,
    embeddingLength: 64,
    blockCount: 2,
    headCount: 4,
    headCountKv: 2,
    feedForwardLength: 128,
    contextLength: 4096,
    ropeFreqBase: 10_000,
    rmsEpsilon: 1e-5,
    words: false,
    tiedEmbeddings: false,
    // Printable output keeps test assertions simple; no end token makes reply lengths exactly max_tokens.
    output: { emit: "chars", logitStd: 2.5, endBoost: 0 },
  },
  demo: {
    name: "chaibox demo (random weights, not a real model)",
    description:
      "The chaibox demo model has RANDOM WEIGHTS: it was never trained and answers with random English words. " +
      "It exists so chaibox works out of the box. For real answers install a real model from the catalog " +
      "(chaibox models pull, or the setup page) or add a GGUF file (chaibox models add).",
    embeddingLength: 256,
    blockCount: 4,
    headCount: 4,
    headCountKv: 2,
    feedForwardLength: 768,
    contextLength: 4096,
    ropeFreqBase: 10_000,
    rmsEpsilon: 1e-5,
    words: true,
    tiedEmbeddings: false,
    // A strong embedding lets the current word steer the next one (more varied salad than a context-dominated
    // state), and makes <|im_end|> likely after some words only: replies end after roughly 15–90 words.
    embeddingStd: 0.3,
    output: { emit: "words", logitStd: 2.5, endBoost: 2 },
  },
  "0.5b": {
    name: "chaibox random 0.5b",
    description: `Random weights in the shape of Qwen2.5-0.5B, for speed and memory measurements. ${RANDOM_WEIGHTS_NOTE}`,
    embeddingLength: 896,
    blockCount: 24,
    headCount: 14,
    headCountKv: 2,
    feedForwardLength: 4864,
    contextLength: 32_768,
    ropeFreqBase: 1_000_000,
    rmsEpsilon: 1e-6,
    words: true,
    vocabSize: 151_936,
    tiedEmbeddings: true,
  },
  "1b": {
    name: "chaibox random 1b",
    description: `Random weights in the shape of Llama-3.2-1B, for speed and memory measurements. ${RANDOM_WEIGHTS_NOTE}`,
    embeddingLength: 2048,
    blockCount: 16,
    headCount: 32,
    headCountKv: 8,
    feedForwardLength: 8192,
    contextLength: 131_072,
    ropeFreqBase: 500_000,
    rmsEpsilon: 1e-5,
    words: true,
    vocabSize: 128_256,
    tiedEmbeddings: true,
  },
  embed: {
    name: "chaibox tiny embedding model (random weights)",
    description: `A tiny embedding model for tests: 128-dimensional vectors, mean pooling. ${RANDOM_WEIGHTS_NOTE}`,
    // Wider than tiny, so a test can tell the two models' vectors apart by their length.
    embeddingLength: 128,
    blockCount: 2,
    headCount: 4,
    headCountKv: 2,
    feedForwardLength: 256,
    contextLength: 4096,
    ropeFreqBase: 10_000,
    rmsEpsilon: 1e-5,
    words: false,
    // An embedding model has no use for a language-model head; llama.cpp falls back to the token embedding.
    tiedEmbeddings: true,
    // A strong token embedding keeps different texts' mean-pooled vectors clearly apart.
    embeddingStd: 0.3,
    pooling: "mean",
  },
};

// Standard deviation of the hidden weight matrices (the usual initialization scale).
const WEIGHT_STD = 0.02;
const PUNCTUATION_BOOST = 2;

const quantTypes: Readonly<Record<QuantName, { type: WritableGgmlType; fileType: number }>> = {
  f32: { type: GgmlType.F32, fileType: FileType.ALL_F32 },
  f16: { type: GgmlType.F16, fileType: FileType.MOSTLY_F16 },
  q8_0: { type: GgmlType.Q8_0, fileType: FileType.MOSTLY_Q8_0 },
};

/** Uniform amplitude that gives standard deviation `std`. */
function amplitudeFor(std: number): number {
  return std * Math.sqrt(3);
}

/**
 * What a test model may change in its preset: the chat template (default ChatML, with the special tokens the
 * template needs in the vocabulary) and the trained context length written to the file (default the preset's).
 */
export interface PresetVariant {
  template?: TemplateName;
  contextLength?: number;
}

/** The vocabulary of a preset (deterministic). */
export function presetVocabulary(preset: PresetName, template: TemplateName = "chatml"): Vocabulary {
  const shape = presets[preset];
  const { controlTokens, userDefinedTokens } = chatTemplates[template];
  return buildVocabulary({
    ...(shape.words && { words: englishWords }),
    ...(shape.vocabSize !== undefined && { size: shape.vocabSize }),
    controlTokens,
    userDefinedTokens,
  });
}

/** The complete file description of a preset: metadata and tensors with their fills. */
export function presetSpec(preset: PresetName, quant: QuantName, seed: number, variant: PresetVariant = {}): GgufWriteSpec {
  const shape = presets[preset];
  const chat = chatTemplates[variant.template ?? "chatml"];
  const vocabulary = presetVocabulary(preset, variant.template);
  const arch = chat.architecture;
  const tokenId = (text: string | undefined, fallback: number): number => (text === undefined ? fallback : vocabulary.tokens.indexOf(text));
  const endId = tokenId(chat.eos, vocabulary.imEndId);
  const { type, fileType } = quantTypes[quant];
  const headDim = shape.embeddingLength / shape.headCount;
  const n = shape.embeddingLength;
  const kvWidth = headDim * shape.headCountKv;
  const vocabSize = vocabulary.tokens.length;

  const metadata: Record<string, GgufMetadataValue> = {
    "general.architecture": ggufValue.string(arch),
    "general.type": ggufValue.string("model"),
    "general.name": ggufValue.string(shape.name),
    "general.description": ggufValue.string(shape.description),
    "general.file_type": ggufValue.uint32(fileType),
    ...(quant === "q8_0" && { "general.quantization_version": ggufValue.uint32(2) }),
    [`${arch}.vocab_size`]: ggufValue.uint32(vocabSize),
    [`${arch}.context_length`]: ggufValue.uint32(variant.contextLength ?? shape.contextLength),
    [`${arch}.embedding_length`]: ggufValue.uint32(n),
    [`${arch}.block_count`]: ggufValue.uint32(shape.blockCount),
    [`${arch}.feed_forward_length`]: ggufValue.uint32(shape.feedForwardLength),
    [`${arch}.attention.head_count`]: ggufValue.uint32(shape.headCount),
    [`${arch}.attention.head_count_kv`]: ggufValue.uint32(shape.headCountKv),
    [`${arch}.rope.dimension_count`]: ggufValue.uint32(headDim),
    [`${arch}.rope.freq_base`]: ggufValue.float32(shape.ropeFreqBase),
    [`${arch}.attention.layer_norm_rms_epsilon`]: ggufValue.float32(shape.rmsEpsilon),
    ...(shape.pooling !== undefined && { [`${arch}.pooling_type`]: ggufValue.uint32(poolingTypes[shape.pooling]) }),
    "tokenizer.ggml.model": ggufValue.string("llama"),
    "tokenizer.ggml.tokens": ggufValue.stringArray(vocabulary.tokens),
    "tokenizer.ggml.scores": ggufValue.float32Array(vocabulary.scores),
    "tokenizer.ggml.token_type": ggufValue.int32Array(vocabulary.types),
    "tokenizer.ggml.bos_token_id": ggufValue.uint32(tokenId(chat.bos, vocabulary.bosId)),
    // <|im_end|> ends a ChatML turn (<|eot_id|> a Llama 3 one), so declaring it end-of-sequence makes every
    // runtime stop there.
    "tokenizer.ggml.eos_token_id": ggufValue.uint32(endId),
    "tokenizer.ggml.unknown_token_id": ggufValue.uint32(vocabulary.unkId),
    "tokenizer.ggml.padding_token_id": ggufValue.uint32(vocabulary.endOfTextId),
    "tokenizer.ggml.add_bos_token": ggufValue.bool(true),
    "tokenizer.ggml.add_eos_token": ggufValue.bool(false),
    "tokenizer.ggml.add_space_prefix": ggufValue.bool(true),
    ...(shape.pooling === undefined && { "tokenizer.chat_template": ggufValue.string(chat.template) }),
  };

  const tensors: GgufTensorSpec[] = [];
  const matrix = (name: string, dims: [number, number], std = WEIGHT_STD, rowScale?: (row: number) => number): void => {
    const fill = { kind: "uniform" as const, amplitude: amplitudeFor(std), seed, stream: tensors.length, ...(rowScale && { rowScale }) };
    tensors.push({ name, type, dims, fill });
  };
  const norm = (name: string): void => {
    // Norm weights stay F32 in every quantization, as llama.cpp's own quantizer leaves them.
    tensors.push({ name, type: GgmlType.F32, dims: [n], fill: { kind: "constant", value: 1 } });
  };

  matrix("token_embd.weight", [n, vocabSize], shape.embeddingStd ?? WEIGHT_STD);
  norm("output_norm.weight");
  if (!shape.tiedEmbeddings) {
    if (shape.output) {
      // The hidden state after output_norm has unit RMS, so a row of std s gives logits of std s·√n.
      matrix("output.weight", [n, vocabSize], shape.output.logitStd / Math.sqrt(n), outputRowScale(vocabulary, shape.output, endId));
    } else {
      matrix("output.weight", [n, vocabSize]);
    }
  }
  for (let layer = 0; layer < shape.blockCount; layer++) {
    const prefix = `blk.${layer}.`;
    norm(`${prefix}attn_norm.weight`);
    matrix(`${prefix}attn_q.weight`, [n, n]);
    matrix(`${prefix}attn_k.weight`, [n, kvWidth]);
    matrix(`${prefix}attn_v.weight`, [n, kvWidth]);
    matrix(`${prefix}attn_output.weight`, [n, n]);
    norm(`${prefix}ffn_norm.weight`);
    matrix(`${prefix}ffn_gate.weight`, [n, shape.feedForwardLength]);
    matrix(`${prefix}ffn_up.weight`, [n, shape.feedForwardLength]);
    matrix(`${prefix}ffn_down.weight`, [shape.feedForwardLength, n]);
  }
  return { metadata, tensors };
}

function outputRowScale(vocabulary: Vocabulary, output: OutputShape, endId: number): (row: number) => number {
  const { wordIds, charIds, tokens } = vocabulary;
  const punctuation = new Set([tokens.indexOf("."), tokens.indexOf(",")]);
  const emitted = output.emit === "words" ? wordIds : charIds;
  return (row) => {
    if (row >= emitted.start && row < emitted.end) return 1;
    if (row === endId) return output.endBoost;
    if (output.emit === "words" && punctuation.has(row)) return PUNCTUATION_BOOST;
    return 0;
  };
}

export interface MakeTestModelOptions {
  preset: PresetName;
  /** Default `q8_0`. */
  quant?: QuantName;
  /** Any safe integer. Default 1. */
  seed?: number;
  /** Output file; its directory is created if missing. */
  out: string;
  /** Default `chatml`. */
  template?: TemplateName;
  /** The trained context length written to the file. Default: the preset's. */
  contextLength?: number;
}

export interface MakeTestModelResult {
  path: string;
  sizeBytes: number;
  elapsedMs: number;
}

/**
 * Writes a preset model to `out` (atomically: a crash never leaves a partial file under that name).
 * `onProgress` is called after each chunk of a few MiB.
 */
export async function makeTestModel(
  options: MakeTestModelOptions,
  onProgress?: (progress: GgufWriteProgress) => void,
): Promise<MakeTestModelResult> {
  const started = performance.now();
  if (!presetNames.includes(options.preset)) throw new RangeError(`unknown preset ${String(options.preset)}`);
  const quant = options.quant ?? "q8_0";
  if (!quantNames.includes(quant)) throw new RangeError(`unknown quantization ${String(quant)}`);
  const template = options.template ?? "chatml";
  if (!templateNames.includes(template)) throw new RangeError(`unknown chat template ${String(template)}`);
  const { contextLength } = options;
  if (contextLength !== undefined && (!Number.isSafeInteger(contextLength) || contextLength < 64 || contextLength > 2 ** 24)) {
    throw new RangeError(`context length must be an integer from 64 to ${2 ** 24}`);
  }
  const spec = presetSpec(options.preset, quant, options.seed ?? 1, { template, ...(contextLength !== undefined && { contextLength }) });
  await mkdir(dirname(options.out), { recursive: true });
  const result = await writeGguf(options.out, spec, { ...(onProgress && { onProgress }) });
  return { path: result.path, sizeBytes: result.sizeBytes, elapsedMs: Math.round(performance.now() - started) };
}

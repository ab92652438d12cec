/**
 * Bits per weight of llama.cpp's quantization types, as whole files built with them come out: the figures
 * llama.cpp's quantize tool reports for a typical model, block scales and its mixed-precision choices (which
 * tensors a "_M" or "_L" mix keeps wider) included. They order a model's files from best to worst and
 * estimate a file's size before it is downloaded; they are not exact for any one model.
 */

/** Bits per weight by quantization name, upper case as written in GGUF file names. */
export const quantBitsPerWeight: Readonly<Record<string, number>> = {
  F32: 32,
  F16: 16,
  FP16: 16,
  BF16: 16,
  Q8_0: 8.5,
  Q6_K: 6.5625,
  Q5_1: 6,
  Q5_K_M: 5.69,
  Q5_K_S: 5.54,
  Q5_0: 5.54,
  Q4_1: 5,
  Q4_K_M: 4.85,
  Q4_K_S: 4.58,
  Q4_0: 4.55,
  IQ4_NL: 4.5,
  Q3_K_L: 4.27,
  IQ4_XS: 4.25,
  Q3_K_M: 3.91,
  IQ3_M: 3.66,
  Q3_K_S: 3.5,
  IQ3_S: 3.44,
  IQ3_XS: 3.3,
  Q2_K: 3.17,
  IQ3_XXS: 3.06,
  IQ2_M: 2.7,
  IQ2_S: 2.5,
  IQ2_XS: 2.31,
  IQ2_XXS: 2.06,
  IQ1_M: 1.75,
  IQ1_S: 1.56,
};

/** Q6_K: the floor llama.cpp's k-quant mixes keep the token embedding / output table at. */
const EMBEDDING_FLOOR_BITS = 6.5625;

/** Bits per weight of `quant` (case-insensitive), or undefined for a name this table does not know. */
export function bitsPerWeight(quant: string): number | undefined {
  return quantBitsPerWeight[quant.toUpperCase()];
}

/**
 * Estimated size in bytes of a GGUF file of a model with `parameters` weights, `embeddingParameters` of them in
 * the token embedding table, quantized as `quant`. The embedding table is counted at no less than Q6_K because
 * llama.cpp keeps it (or the output head it doubles as) wider in every mix below Q6_K; on small models with
 * large vocabularies (Gemma, Qwen) that table is a third of the file, and ignoring it misjudges them by ~30 %.
 * Metadata (the tokenizer, a few MB) is not counted. Throws on an unknown quantization.
 */
export function estimateFileBytes(parameters: number, embeddingParameters: number, quant: string): number {
  const bits = bitsPerWeight(quant);
  if (bits === undefined) throw new Error(`unknown quantization ${quant}`);
  const embedding = Math.min(embeddingParameters, parameters);
  return Math.round(((parameters - embedding) * bits + embedding * Math.max(bits, EMBEDDING_FLOOR_BITS)) / 8);
}

/** What a model file says about itself, in the few fields the store, the API and the CLI show. */
import { fileTypeName, ggmlTypeInfo } from "./constants.js";
import type { GgufHeader } from "./reader.js";

export interface GgufSummary {
  /** `general.architecture`, e.g. `llama`, `qwen2`. */
  architecture: string;
  /** `general.name`, when the file has one. */
  name?: string;
  /** `general.description`, when the file has one. */
  description?: string;
  /** Total elements of all tensors: the parameter count, counting tied or shared tensors once. */
  parameters: number;
  /** Training context length in tokens (`<architecture>.context_length`), when present. */
  contextLength?: number;
  /**
   * Quantization of the bulk of the weights, as usually written in file names: `Q8_0`, `Q4_K_M`, `F16`…
   * From `general.file_type`, or else the type holding most of the tensor bytes.
   */
  fileType?: string;
  /** Whether the file carries a chat template (`tokenizer.chat_template`). */
  chatTemplate: boolean;
}

/** Summarizes a header read by `readGgufHeader`. */
export function summarizeGguf(header: GgufHeader): GgufSummary {
  const { metadata } = header;
  const architecture = String(metadata["general.architecture"]);
  const name = nonEmptyString(metadata["general.name"]);
  const description = nonEmptyString(metadata["general.description"]);
  const contextLength = positiveInteger(metadata[`${architecture}.context_length`]);
  const fileTypeId = metadata["general.file_type"];
  const fileType = (typeof fileTypeId === "number" ? fileTypeName(fileTypeId) : undefined) ?? dominantTensorType(header);
  const chatTemplate = nonEmptyString(metadata["tokenizer.chat_template"]) !== undefined;
  const parameters = header.tensors.reduce((sum, tensor) => sum + tensor.dims.reduce((product, dim) => product * dim, 1), 0);
  return {
    architecture,
    ...(name !== undefined && { name }),
    ...(description !== undefined && { description }),
    parameters,
    ...(contextLength !== undefined && { contextLength }),
    ...(fileType !== undefined && { fileType }),
    chatTemplate,
  };
}

function dominantTensorType(header: GgufHeader): string | undefined {
  const bytesByType = new Map<number, number>();
  for (const tensor of header.tensors) {
    const info = ggmlTypeInfo(tensor.type);
    if (info === undefined) continue;
    const elements = tensor.dims.reduce((product, dim) => product * dim, 1);
    bytesByType.set(tensor.type, (bytesByType.get(tensor.type) ?? 0) + (elements / info.blockSize) * info.typeSize);
  }
  let best: [type: number, bytes: number] | undefined;
  for (const entry of bytesByType) if (best === undefined || entry[1] > best[1]) best = entry;
  return best === undefined ? undefined : ggmlTypeInfo(best[0])?.name;
}

function nonEmptyString(value: unknown): string | undefined {
  return typeof value === "string" && value !== "" ? value : undefined;
}

function positiveInteger(value: unknown): number | undefined {
  return typeof value === "number" && Number.isSafeInteger(value) && value > 0 ? value : undefined;
}

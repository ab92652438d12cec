/**
 * How installed and loaded models look in Ollama's listings (`/api/tags`, `/api/ps`, `/api/show`). Pure: the
 * routes pass the store's manifest, the model's Chai description and, for `show`, the file's GGUF metadata.
 */
import type { LoadedModelStatus } from "../../engine/scheduler-types.js";
import type { ModelManifest } from "../../models/manifest.js";
import { ollamaName } from "../../models/ollama-names.js";
import type { ChaiModel } from "../../models/description/model-description.js";

export interface OllamaDetails {
  parent_model: string;
  format: "gguf";
  family: string;
  families: string[];
  parameter_size: string;
  quantization_level: string;
  /** A chaibox addition: the context a request gets, as `chai.context_length`. */
  context_length?: number;
}

/** A parameter count the way Ollama prints it: `494.03M`, `3.2B`. */
export function parameterSize(count: number): string {
  if (count >= 1e9) return `${(count / 1e9).toFixed(1)}B`;
  if (count >= 1e6) return `${Number((count / 1e6).toFixed(2))}M`;
  if (count >= 1e3) return `${Number((count / 1e3).toFixed(2))}K`;
  return String(count);
}

export function detailsOf(model: ModelManifest, chai: ChaiModel | undefined): OllamaDetails {
  const family = chai?.chai.family ?? model.gguf.architecture;
  return {
    parent_model: "",
    format: "gguf",
    family,
    families: [family],
    parameter_size: parameterSize(chai?.chai.parameters ?? model.gguf.parameters),
    quantization_level: chai?.chai.quantization ?? model.gguf.fileType ?? "unknown",
    ...(chai && { context_length: chai.chai.context_length }),
  };
}

/** Ollama's capability names: `completion`, `tools`, `thinking` for chat models, `embedding` for the others. */
export function capabilitiesOf(chai: ChaiModel | undefined): string[] {
  if (!chai) return [];
  const { capabilities } = chai.chai;
  if (capabilities.embeddings) return ["embedding"];
  return ["completion", ...(capabilities.tools ? ["tools"] : []), ...(capabilities.reasoning ? ["thinking"] : [])];
}

/**
 * One `/api/tags` entry for a provider's model (`<provider>/<model>`): what its Chai description says, as
 * there is no file here (size 0, no digest).
 */
export function providerTagEntry(chai: ChaiModel) {
  const name = ollamaName(chai.id);
  const family = chai.chai.family ?? "unknown";
  return {
    name,
    model: name,
    modified_at: new Date(chai.created * 1000).toISOString(),
    size: chai.chai.size_bytes,
    digest: "",
    details: {
      parent_model: "",
      format: "gguf" as const,
      family,
      families: [family],
      parameter_size: parameterSize(chai.chai.parameters),
      quantization_level: chai.chai.quantization ?? "unknown",
      context_length: chai.chai.context_length,
    },
    capabilities: capabilitiesOf(chai),
  };
}

/** One `/api/tags` entry. */
export function tagEntry(model: ModelManifest, chai: ChaiModel | undefined) {
  const name = ollamaName(model.id);
  return {
    name,
    model: name,
    modified_at: model.addedAt,
    size: model.sizeBytes,
    digest: model.sha256,
    details: detailsOf(model, chai),
    capabilities: capabilitiesOf(chai),
  };
}

/**
 * One `/api/ps` entry. `size` is the weights (the KV cache comes on top); `size_vram` is the share of the
 * layers on the GPU (`blockCount` from the file, when known).
 */
export function psEntry(model: ModelManifest, chai: ChaiModel | undefined, status: LoadedModelStatus, blockCount: number | undefined) {
  const name = ollamaName(model.id);
  const { info } = status;
  const offloaded = info.gpu === false || info.gpuLayers === 0 ? 0 : blockCount ? Math.min(1, info.gpuLayers / (blockCount + 1)) : 1;
  return {
    name,
    model: name,
    size: model.sizeBytes,
    digest: model.sha256,
    details: detailsOf(model, chai),
    // Ollama writes a far-future time for a model kept loaded; a year from now reads the same to clients.
    expires_at: new Date(status.expiresAt ?? Date.now() + 365 * 86_400_000).toISOString(),
    size_vram: Math.round(model.sizeBytes * offloaded),
    context_length: info.sequenceContextSize,
  };
}

/** GGUF metadata as `/api/show`'s `model_info`: big arrays (the vocabulary) are null unless `verbose`. */
export function modelInfoOf(metadata: Record<string, unknown>, verbose: boolean): Record<string, unknown> {
  const info: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(metadata)) {
    if (key === "tokenizer.chat_template") continue;
    if (Array.isArray(value)) info[key] = verbose ? value.map((v: unknown) => (typeof v === "bigint" ? Number(v) : v)) : null;
    else info[key] = typeof value === "bigint" ? Number(value) : value;
  }
  return info;
}

/** The body of `/api/show`. */
export function showBody(model: ModelManifest, chai: ChaiModel | undefined, metadata: Record<string, unknown>, verbose: boolean) {
  const template = typeof metadata["tokenizer.chat_template"] === "string" ? metadata["tokenizer.chat_template"] : "";
  const modelInfo = modelInfoOf(metadata, verbose);
  modelInfo["general.parameter_count"] ??= model.gguf.parameters;
  return {
    license: typeof metadata["general.license"] === "string" ? metadata["general.license"] : "",
    modelfile: `# Served by chaibox from its model store\nFROM ${model.id}\n`,
    parameters: "",
    template,
    details: detailsOf(model, chai),
    model_info: modelInfo,
    capabilities: capabilitiesOf(chai),
    modified_at: model.addedAt,
  };
}

/** The `manifest.json` kept next to each stored model file. */
import type { GgufSummary } from "../gguf/summary.js";
import { isValidModelId } from "./model-id.js";

/** Where a stored model came from. Known types: `file` (added from a path), `generated`, `catalog`, `hf`, `url`. */
export interface ModelSource {
  type: "file" | "generated" | "catalog" | "hf" | "url" | (string & {});
  /** The path, preset, catalog entry or URL it came from. */
  ref?: string;
}

export interface ModelManifest {
  id: string;
  /** File name of the model inside its directory (always `model.gguf`). */
  file: string;
  sizeBytes: number;
  /** Hex SHA-256 of the model file. */
  sha256: string;
  /** ISO 8601 time the model was added. */
  addedAt: string;
  source: ModelSource;
  gguf: GgufSummary;
}

/** `data` as a manifest, or a description of what is wrong with it. */
export function parseManifest(data: unknown): ModelManifest | string {
  if (!isRecord(data)) return "not a JSON object";
  const { id, file, sizeBytes, sha256, addedAt, source, gguf } = data;
  if (typeof id !== "string" || !isValidModelId(id)) return "missing or invalid id";
  if (typeof file !== "string" || file === "" || file.includes("/") || file.startsWith(".")) return "missing or invalid file";
  if (typeof sizeBytes !== "number" || !Number.isSafeInteger(sizeBytes) || sizeBytes < 0) return "missing or invalid sizeBytes";
  if (typeof sha256 !== "string" || !/^[0-9a-f]{64}$/.test(sha256)) return "missing or invalid sha256";
  if (typeof addedAt !== "string" || Number.isNaN(Date.parse(addedAt))) return "missing or invalid addedAt";
  if (!isRecord(source) || typeof source.type !== "string" || (source.ref !== undefined && typeof source.ref !== "string")) {
    return "missing or invalid source";
  }
  if (!isRecord(gguf) || typeof gguf.architecture !== "string" || typeof gguf.chatTemplate !== "boolean" || typeof gguf.parameters !== "number") {
    return "missing or invalid gguf summary";
  }
  for (const key of ["name", "description", "fileType"] as const) {
    if (gguf[key] !== undefined && typeof gguf[key] !== "string") return `invalid gguf.${key}`;
  }
  if (gguf.contextLength !== undefined && typeof gguf.contextLength !== "number") return "invalid gguf.contextLength";
  return data as unknown as ModelManifest;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

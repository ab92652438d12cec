/**
 * Reads and validates the header of a GGUF file (versions 2 and 3, little-endian) without loading its tensor
 * data. Every problem is reported as a {@link ChaiboxError} with code `invalid_model_file` and
 * `details.problem` saying which check failed, so a store can refuse a bad file before copying it.
 */
import { open } from "node:fs/promises";
import { ChaiboxError } from "../errors.js";
import { GGUF_DEFAULT_ALIGNMENT, GGUF_MAGIC, GgufValueType, ggmlTensorBytes, ggmlTypeInfo, ggufValueTypeSize } from "./constants.js";
import { FileWindow } from "./file-window.js";

/** One tensor of the file. `offset` is relative to {@link GgufHeader.dataOffset}. */
export interface GgufTensorInfo {
  name: string;
  /** ggml order: `dims[0]` is the contiguous row length. */
  dims: number[];
  /** ggml type id (0 = F32, 1 = F16, 8 = Q8_0, …). */
  type: number;
  offset: number;
}

export interface GgufHeader {
  version: number;
  /**
   * Metadata by key. Integers and floats are numbers, except 64-bit integers beyond 2^53, which are bigints;
   * booleans, strings and arrays (of any of these) are plain JS values.
   */
  metadata: Record<string, unknown>;
  tensors: GgufTensorInfo[];
  /** Absolute file offset where tensor data starts. */
  dataOffset: number;
  /** Alignment of the data section (`general.alignment`, default 32). */
  alignment: number;
  fileSize: number;
}

/** Which validation a file failed (in `ChaiboxError.details.problem`). */
export type GgufProblem =
  | "not_found"
  | "not_gguf"
  | "unsupported_version"
  | "truncated"
  | "corrupt"
  | "unsupported_tensor_type"
  | "missing_architecture";

// Far above any real model (a few hundred metadata keys, a few thousand tensors), low enough that a corrupt
// count fails at once instead of looping over garbage.
const MAX_METADATA_ENTRIES = 1_000_000;
const MAX_TENSORS = 1_000_000;
const MAX_STRING_BYTES = 64 * 1024 * 1024;
const MAX_ARRAY_NESTING = 2;
// Smallest possible encodings, used to reject counts that cannot fit the bytes left in the file.
const MIN_METADATA_ENTRY_BYTES = 8 + 4 + 1;
const MIN_TENSOR_INFO_BYTES = 8 + 4 + 8 + 4 + 8;
const MIN_STRING_BYTES = 8;
const MAX_DIMS = 4;

/** Creates the error for a file that failed validation. */
export function invalidModelFile(path: string, problem: GgufProblem, message: string): ChaiboxError {
  return new ChaiboxError("invalid_model_file", `${path}: ${message}`, { path, problem });
}

/**
 * Reads the header of the GGUF file at `path`, reading only the header bytes (in 1 MiB windows).
 * @throws ChaiboxError `invalid_model_file` when the file is missing, not GGUF, of an unsupported version,
 *   truncated (header cut off, or shorter than the end of its last tensor), corrupt, or has no
 *   `general.architecture`.
 */
export async function readGgufHeader(path: string): Promise<GgufHeader> {
  let handle;
  try {
    handle = await open(path, "r");
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === "ENOENT") throw invalidModelFile(path, "not_found", "no such file");
    if (code === "EISDIR") throw invalidModelFile(path, "not_gguf", "is a directory, not a GGUF file");
    throw error;
  }
  try {
    const stats = await handle.stat();
    if (stats.isDirectory()) throw invalidModelFile(path, "not_gguf", "is a directory, not a GGUF file");
    if (!stats.isFile()) throw invalidModelFile(path, "not_gguf", "is not a regular file");
    const window = new FileWindow(handle, stats.size, (neededEnd) => {
      throw invalidModelFile(
        path,
        "truncated",
        `file is truncated: its header needs at least ${neededEnd} bytes but the file has ${stats.size}`,
      );
    });
    return await parseHeader(path, window);
  } finally {
    await handle.close();
  }
}

async function parseHeader(path: string, window: FileWindow): Promise<GgufHeader> {
  const fail = (problem: GgufProblem, message: string): never => {
    throw invalidModelFile(path, problem, message);
  };
  if (window.fileSize < 4) fail("not_gguf", `not a GGUF file (only ${window.fileSize} bytes)`);
  await window.need(4);
  const magic = window.u32();
  if (magic !== GGUF_MAGIC) {
    window.position = 0;
    const start = window.raw(4).toString("latin1").replace(/[^\x20-\x7e]/g, "?");
    fail("not_gguf", `not a GGUF file (it starts with "${start}", a GGUF file starts with "GGUF")`);
  }
  await window.need(4);
  const version = window.u32();
  if (version !== 2 && version !== 3) {
    // A big-endian file stores 3 as 0x03000000.
    const hint = version === 0x02000000 || version === 0x03000000 ? " (big-endian files are not supported)" : "";
    fail("unsupported_version", `GGUF version ${version} is not supported, only versions 2 and 3${hint}`);
  }
  await window.need(16);
  const tensorCount = toSafeNumber(window.u64());
  const entryCount = toSafeNumber(window.u64());
  if (entryCount > MAX_METADATA_ENTRIES || tensorCount > MAX_TENSORS) {
    fail("corrupt", `the header claims ${entryCount} metadata entries and ${tensorCount} tensors, which no model has`);
  }
  const minimumBytes = entryCount * MIN_METADATA_ENTRY_BYTES + tensorCount * MIN_TENSOR_INFO_BYTES;
  window.mustFit(minimumBytes);

  const metadata: Record<string, unknown> = {};
  for (let i = 0; i < entryCount; i++) {
    const key = await readString(window, fail);
    await window.need(4);
    const type = window.u32();
    if (Object.hasOwn(metadata, key)) fail("corrupt", `metadata key ${key} appears twice`);
    metadata[key] = await readValue(window, type, key, 0, fail);
  }

  const alignmentValue = metadata["general.alignment"] ?? GGUF_DEFAULT_ALIGNMENT;
  if (typeof alignmentValue !== "number" || !Number.isInteger(alignmentValue) || alignmentValue < 1 || (alignmentValue & (alignmentValue - 1)) !== 0) {
    fail("corrupt", `general.alignment must be a power of two (got ${JSON.stringify(alignmentValue) ?? typeof alignmentValue})`);
  }
  const align = alignmentValue as number;

  const tensors: GgufTensorInfo[] = [];
  for (let i = 0; i < tensorCount; i++) {
    const name = await readString(window, fail);
    await window.need(4);
    const dimCount = window.u32();
    if (dimCount < 1 || dimCount > MAX_DIMS) fail("corrupt", `tensor ${name} has ${dimCount} dimensions (1 to ${MAX_DIMS} allowed)`);
    await window.need(dimCount * 8 + 12);
    const dims: number[] = [];
    for (let d = 0; d < dimCount; d++) dims.push(toSafeNumber(window.u64()));
    const type = window.u32();
    const offset = toSafeNumber(window.u64());
    if (!dims.every((dim) => dim > 0 && Number.isSafeInteger(dim))) {
      fail("corrupt", `tensor ${name} has invalid dimensions [${dims.join(", ")}]`);
    }
    if (ggmlTypeInfo(type) === undefined) {
      fail("unsupported_tensor_type", `tensor ${name} has ggml type ${type}, which this llama.cpp cannot load`);
    }
    if (offset % align !== 0) fail("corrupt", `tensor ${name} is not aligned to ${align} bytes`);
    tensors.push({ name, dims, type, offset });
  }

  const dataOffset = Math.ceil(window.position / align) * align;
  checkTensorExtents(tensors, dataOffset, window.fileSize, fail);

  const architecture = metadata["general.architecture"];
  if (typeof architecture !== "string" || architecture === "") {
    fail("missing_architecture", "the file has no general.architecture, so no runtime knows how to load it");
  }
  return { version, metadata, tensors, dataOffset, alignment: align, fileSize: window.fileSize };
}

function checkTensorExtents(
  tensors: readonly GgufTensorInfo[],
  dataOffset: number,
  fileSize: number,
  fail: (problem: GgufProblem, message: string) => never,
): void {
  let lastEnd = dataOffset;
  let lastName = "";
  for (const tensor of tensors) {
    const bytes = ggmlTensorBytes(tensor.type, tensor.dims);
    if (bytes === undefined || !Number.isSafeInteger(bytes)) {
      fail("corrupt", `tensor ${tensor.name}: its first dimension is not a whole number of blocks`);
    }
    const end = dataOffset + tensor.offset + bytes;
    if (end > lastEnd) {
      lastEnd = end;
      lastName = tensor.name;
    }
  }
  if (lastEnd > fileSize) {
    fail("truncated", `file is truncated: tensor ${lastName} ends at byte ${lastEnd} but the file has ${fileSize} bytes`);
  }
}

type Fail = (problem: GgufProblem, message: string) => never;

async function readString(window: FileWindow, fail: Fail): Promise<string> {
  if (!window.has(8)) await window.need(8);
  const length = toSafeNumber(window.u64());
  if (length > MAX_STRING_BYTES) fail("corrupt", `a string of ${length} bytes at offset ${window.position - 8}`);
  if (!window.has(length)) await window.need(length);
  return window.utf8(length);
}

async function readValue(window: FileWindow, type: number, key: string, depth: number, fail: Fail): Promise<unknown> {
  if (type === GgufValueType.STRING) return readString(window, fail);
  if (type === GgufValueType.ARRAY) {
    if (depth >= MAX_ARRAY_NESTING) fail("corrupt", `metadata ${key} nests arrays too deeply`);
    await window.need(12);
    const itemType = window.u32();
    const length = toSafeNumber(window.u64());
    const itemSize = itemType === GgufValueType.STRING ? MIN_STRING_BYTES : (ggufValueTypeSize[itemType] ?? 12);
    // Checked before the loop so a corrupt length fails at once, not after millions of reads.
    window.mustFit(length * itemSize);
    const items: unknown[] = [];
    // The loops await only when the window must move, so a vocabulary of 150k strings parses in milliseconds.
    if (itemType === GgufValueType.STRING) {
      for (let i = 0; i < length; i++) {
        if (!window.has(8)) await window.need(8);
        const byteLength = toSafeNumber(window.u64());
        if (byteLength > MAX_STRING_BYTES) fail("corrupt", `metadata ${key}[${i}] claims ${byteLength} bytes`);
        if (!window.has(byteLength)) await window.need(byteLength);
        items.push(window.utf8(byteLength));
      }
    } else if (itemType === GgufValueType.ARRAY) {
      for (let i = 0; i < length; i++) items.push(await readValue(window, itemType, key, depth + 1, fail));
    } else {
      const size = ggufValueTypeSize[itemType];
      if (size === undefined) fail("corrupt", `metadata ${key} is an array of unknown value type ${itemType}`);
      for (let i = 0; i < length; i++) {
        if (!window.has(size)) await window.need(size);
        items.push(readScalar(window, itemType));
      }
    }
    return items;
  }
  const size = ggufValueTypeSize[type];
  if (size === undefined) fail("corrupt", `metadata ${key} has unknown value type ${type}`);
  if (!window.has(size)) await window.need(size);
  return readScalar(window, type);
}

function readScalar(window: FileWindow, type: number): unknown {
  switch (type) {
    case GgufValueType.UINT8: return window.u8();
    case GgufValueType.INT8: return window.i8();
    case GgufValueType.UINT16: return window.u16();
    case GgufValueType.INT16: return window.i16();
    case GgufValueType.UINT32: return window.u32();
    case GgufValueType.INT32: return window.i32();
    case GgufValueType.FLOAT32: return window.f32();
    case GgufValueType.FLOAT64: return window.f64();
    case GgufValueType.BOOL: return window.u8() !== 0;
    case GgufValueType.UINT64: return toNumberIfSafe(window.u64());
    default: return toNumberIfSafe(window.i64());
  }
}

function toNumberIfSafe(value: bigint): number | bigint {
  const number = Number(value);
  return Number.isSafeInteger(number) ? number : value;
}

// Counts, lengths and offsets beyond 2^53 cannot be real; Infinity then trips every bound check.
function toSafeNumber(value: bigint): number {
  return value <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(value) : Number.POSITIVE_INFINITY;
}

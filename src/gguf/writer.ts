/**
 * Streams a GGUF v3 file to disk: header, metadata, tensor infos, then the tensor data, each tensor aligned.
 * The file is written under a temporary name in the same directory and renamed at the end, so a crash never
 * leaves a half-written file under the final name.
 */
import { randomBytes } from "node:crypto";
import { open, rename, rm } from "node:fs/promises";
import type { FileHandle } from "node:fs/promises";
import {
  GGUF_DEFAULT_ALIGNMENT,
  GGUF_MAGIC,
  GgmlType,
  GgufValueType,
  ggmlTensorBytes,
  type GgufValueTypeId,
} from "./constants.js";
import { tensorChunks, type GgufTensorSpec } from "./tensor-data.js";

export type { GgufTensorFill, GgufTensorSpec } from "./tensor-data.js";

/** Scalar metadata types by their GGUF names. */
export type GgufScalarTypeName =
  | "uint8" | "int8" | "uint16" | "int16" | "uint32" | "int32" | "float32" | "bool" | "uint64" | "int64" | "float64";

/** A typed metadata value. Arrays hold scalars or strings (nested arrays are not needed by llama models). */
export type GgufMetadataValue =
  | { type: Exclude<GgufScalarTypeName, "bool">; value: number | bigint }
  | { type: "bool"; value: boolean }
  | { type: "string"; value: string }
  | { type: "array"; itemType: GgufScalarTypeName | "string"; value: readonly (number | bigint | boolean | string)[] };

/** Shorthands for building metadata values. */
export const ggufValue = {
  uint32: (value: number): GgufMetadataValue => ({ type: "uint32", value }),
  int32: (value: number): GgufMetadataValue => ({ type: "int32", value }),
  uint64: (value: number | bigint): GgufMetadataValue => ({ type: "uint64", value }),
  float32: (value: number): GgufMetadataValue => ({ type: "float32", value }),
  bool: (value: boolean): GgufMetadataValue => ({ type: "bool", value }),
  string: (value: string): GgufMetadataValue => ({ type: "string", value }),
  stringArray: (value: readonly string[]): GgufMetadataValue => ({ type: "array", itemType: "string", value }),
  float32Array: (value: readonly number[]): GgufMetadataValue => ({ type: "array", itemType: "float32", value }),
  int32Array: (value: readonly number[]): GgufMetadataValue => ({ type: "array", itemType: "int32", value }),
} as const;

export interface GgufWriteSpec {
  /** Metadata in the order it is written (JS objects keep insertion order for these keys). */
  metadata: Readonly<Record<string, GgufMetadataValue>>;
  tensors: readonly GgufTensorSpec[];
  /** Data alignment in bytes; a power of two. Default 32 (written as `general.alignment` only if different). */
  alignment?: number;
}

export interface GgufWriteProgress {
  bytesWritten: number;
  totalBytes: number;
}

export interface GgufWriteOptions {
  /** Called after each chunk (a few MiB) is handed to the file. */
  onProgress?: (progress: GgufWriteProgress) => void;
  /** fsync the file before the rename, so the final name never points at unflushed data. Default true. */
  sync?: boolean;
}

export interface GgufWriteResult {
  path: string;
  sizeBytes: number;
}

const CHUNK_BYTES = 8 * 1024 * 1024;
// GGML_MAX_NAME is 64 including the terminating NUL; GGML_MAX_DIMS is 4.
const MAX_TENSOR_NAME_BYTES = 63;
const MAX_DIMS = 4;

const scalarTypeIds: Readonly<Record<GgufScalarTypeName | "string", GgufValueTypeId>> = {
  uint8: GgufValueType.UINT8,
  int8: GgufValueType.INT8,
  uint16: GgufValueType.UINT16,
  int16: GgufValueType.INT16,
  uint32: GgufValueType.UINT32,
  int32: GgufValueType.INT32,
  float32: GgufValueType.FLOAT32,
  bool: GgufValueType.BOOL,
  uint64: GgufValueType.UINT64,
  int64: GgufValueType.INT64,
  float64: GgufValueType.FLOAT64,
  string: GgufValueType.STRING,
};

/**
 * Writes a GGUF v3 file at `path` (parent directory must exist) and returns its size. An existing file at
 * `path` is replaced atomically. Throws RangeError on an invalid spec, before anything is written.
 */
export async function writeGguf(path: string, spec: GgufWriteSpec, options: GgufWriteOptions = {}): Promise<GgufWriteResult> {
  const layout = planLayout(spec);
  const temporaryPath = `${path}.tmp-${process.pid}-${randomBytes(4).toString("hex")}`;
  const handle = await open(temporaryPath, "w");
  let closed = false;
  let pending: Promise<void> | undefined;
  try {
    await writeFully(handle, layout.header);
    let written = layout.header.length;
    options.onProgress?.({ bytesWritten: written, totalBytes: layout.totalBytes });
    // One write is in flight while the next chunk is generated into the other buffer. The alternation runs
    // across tensors: a buffer is reused only after the write before the current one has completed.
    const buffers = [new ArrayBuffer(CHUNK_BYTES), new ArrayBuffer(CHUNK_BYTES)] as const;
    let taken = 0;
    const takeBuffer = (): ArrayBuffer => buffers[taken++ % 2] as ArrayBuffer;
    for (const [index, tensor] of spec.tensors.entries()) {
      for (const chunk of tensorChunks(tensor, CHUNK_BYTES, takeBuffer)) {
        await pending;
        pending = writeFully(handle, chunk);
        written += chunk.length;
        options.onProgress?.({ bytesWritten: written, totalBytes: layout.totalBytes });
      }
      const padding = (layout.paddedSizes[index] ?? 0) - (layout.sizes[index] ?? 0);
      if (padding > 0) {
        await pending;
        pending = writeFully(handle, new Uint8Array(padding));
        written += padding;
        options.onProgress?.({ bytesWritten: written, totalBytes: layout.totalBytes });
      }
    }
    await pending;
    if (written !== layout.totalBytes) throw new Error(`wrote ${written} bytes, planned ${layout.totalBytes}`);
    if (options.sync ?? true) await handle.sync();
    await handle.close();
    closed = true;
    await rename(temporaryPath, path);
    return { path, sizeBytes: written };
  } catch (error) {
    // Let an in-flight write settle before closing the handle under it.
    await pending?.catch(() => undefined);
    if (!closed) await handle.close().catch(() => undefined);
    await rm(temporaryPath, { force: true });
    throw error;
  }
}

/**
 * Largest single write. Model files written with multi-MiB buffered writes were measured to generate up to
 * several times slower once llama.cpp memory-maps them (same bytes; a file copied with small writes or
 * copy_file_range was fast), so the file is written in 64 KiB pieces.
 */
const MAX_WRITE_BYTES = 64 * 1024;

async function writeFully(handle: FileHandle, bytes: Uint8Array): Promise<void> {
  let offset = 0;
  while (offset < bytes.length) {
    const length = Math.min(MAX_WRITE_BYTES, bytes.length - offset);
    const { bytesWritten } = await handle.write(bytes, offset, length);
    offset += bytesWritten;
  }
}

interface Layout {
  header: Uint8Array;
  sizes: number[];
  paddedSizes: number[];
  totalBytes: number;
}

function planLayout(spec: GgufWriteSpec): Layout {
  const alignment = spec.alignment ?? GGUF_DEFAULT_ALIGNMENT;
  if (!Number.isInteger(alignment) || alignment < 1 || (alignment & (alignment - 1)) !== 0) {
    throw new RangeError(`alignment must be a power of two (got ${alignment})`);
  }
  const metadata: Record<string, GgufMetadataValue> = { ...spec.metadata };
  if (alignment !== GGUF_DEFAULT_ALIGNMENT) metadata["general.alignment"] = ggufValue.uint32(alignment);

  const sizes: number[] = [];
  const paddedSizes: number[] = [];
  const names = new Set<string>();
  for (const tensor of spec.tensors) {
    validateTensor(tensor, names);
    const size = ggmlTensorBytes(tensor.type, tensor.dims);
    if (size === undefined) {
      throw new RangeError(`tensor ${tensor.name}: dims[0] must be a multiple of the block size of its type`);
    }
    sizes.push(size);
    paddedSizes.push(alignUp(size, alignment));
  }

  const sink = new ByteSink();
  sink.u32(GGUF_MAGIC);
  sink.u32(3);
  sink.u64(spec.tensors.length);
  sink.u64(Object.keys(metadata).length);
  for (const [key, value] of Object.entries(metadata)) {
    sink.string(key);
    writeValue(sink, key, value);
  }
  let offset = 0;
  for (const [index, tensor] of spec.tensors.entries()) {
    sink.string(tensor.name);
    sink.u32(tensor.dims.length);
    for (const dim of tensor.dims) sink.u64(dim);
    sink.u32(tensor.type);
    sink.u64(offset);
    offset += paddedSizes[index] ?? 0;
  }
  sink.padTo(alignment);
  const header = sink.bytes();
  return { header, sizes, paddedSizes, totalBytes: header.length + offset };
}

function validateTensor(tensor: GgufTensorSpec, names: Set<string>): void {
  if (names.has(tensor.name)) throw new RangeError(`duplicate tensor name ${tensor.name}`);
  names.add(tensor.name);
  if (Buffer.byteLength(tensor.name) > MAX_TENSOR_NAME_BYTES) throw new RangeError(`tensor name too long: ${tensor.name}`);
  if (tensor.dims.length < 1 || tensor.dims.length > MAX_DIMS) {
    throw new RangeError(`tensor ${tensor.name}: 1 to ${MAX_DIMS} dimensions expected`);
  }
  if (!tensor.dims.every((dim) => Number.isSafeInteger(dim) && dim > 0)) {
    throw new RangeError(`tensor ${tensor.name}: dimensions must be positive integers`);
  }
  if (!Object.values(GgmlType).includes(tensor.type)) throw new RangeError(`tensor ${tensor.name}: type ${tensor.type} cannot be written`);
}

function writeValue(sink: ByteSink, key: string, value: GgufMetadataValue): void {
  if (value.type === "array") {
    sink.u32(GgufValueType.ARRAY);
    sink.u32(scalarTypeIds[value.itemType]);
    sink.u64(value.value.length);
    for (const item of value.value) writeScalar(sink, key, value.itemType, item);
    return;
  }
  sink.u32(scalarTypeIds[value.type]);
  writeScalar(sink, key, value.type, value.value);
}

function writeScalar(sink: ByteSink, key: string, type: GgufScalarTypeName | "string", item: unknown): void {
  const fail = (): never => {
    throw new RangeError(`metadata ${key}: ${String(item)} is not a valid ${type}`);
  };
  if (type === "string") return typeof item === "string" ? sink.string(item) : fail();
  if (type === "bool") return typeof item === "boolean" ? sink.u8(item ? 1 : 0) : fail();
  if (typeof item !== "number" && typeof item !== "bigint") return fail();
  if (type === "uint64" || type === "int64") {
    const big = typeof item === "bigint" ? item : Number.isSafeInteger(item) ? BigInt(item) : fail();
    return type === "uint64" ? sink.u64(big) : sink.i64(big);
  }
  const number = Number(item);
  if (type !== "float32" && type !== "float64" && !Number.isInteger(number)) return fail();
  sink.scalar(type, number);
}

function alignUp(value: number, alignment: number): number {
  return Math.ceil(value / alignment) * alignment;
}

/** A growable little-endian byte buffer for the header. */
class ByteSink {
  private buffer = new Uint8Array(1 << 16);
  private view = new DataView(this.buffer.buffer);
  private length = 0;
  private readonly encoder = new TextEncoder();

  u8(value: number): void {
    this.reserve(1);
    this.view.setUint8(this.length, value);
    this.length += 1;
  }

  u32(value: number): void {
    this.reserve(4);
    this.view.setUint32(this.length, value, true);
    this.length += 4;
  }

  u64(value: number | bigint): void {
    this.reserve(8);
    this.view.setBigUint64(this.length, BigInt(value), true);
    this.length += 8;
  }

  i64(value: bigint): void {
    this.reserve(8);
    this.view.setBigInt64(this.length, value, true);
    this.length += 8;
  }

  scalar(type: Exclude<GgufScalarTypeName, "bool" | "uint64" | "int64">, value: number): void {
    const size = type === "float64" ? 8 : type.endsWith("32") ? 4 : type.endsWith("16") ? 2 : 1;
    this.reserve(size);
    const at = this.length;
    switch (type) {
      case "uint8": this.view.setUint8(at, value); break;
      case "int8": this.view.setInt8(at, value); break;
      case "uint16": this.view.setUint16(at, value, true); break;
      case "int16": this.view.setInt16(at, value, true); break;
      case "uint32": this.view.setUint32(at, value, true); break;
      case "int32": this.view.setInt32(at, value, true); break;
      case "float32": this.view.setFloat32(at, value, true); break;
      case "float64": this.view.setFloat64(at, value, true); break;
    }
    this.length += size;
  }

  string(value: string): void {
    const encoded = this.encoder.encode(value);
    this.u64(encoded.length);
    this.reserve(encoded.length);
    this.buffer.set(encoded, this.length);
    this.length += encoded.length;
  }

  padTo(alignment: number): void {
    const padded = alignUp(this.length, alignment);
    this.reserve(padded - this.length);
    this.length = padded;
  }

  bytes(): Uint8Array {
    return this.buffer.subarray(0, this.length);
  }

  private reserve(extra: number): void {
    if (this.length + extra <= this.buffer.length) return;
    let capacity = this.buffer.length * 2;
    while (capacity < this.length + extra) capacity *= 2;
    const grown = new Uint8Array(capacity);
    grown.set(this.buffer.subarray(0, this.length));
    this.buffer = grown;
    this.view = new DataView(grown.buffer);
  }
}

/**
 * Produces the bytes of generated tensors chunk by chunk, so a model of any size is written with a few
 * megabytes of memory. Each tensor draws from its own random stream (seed, stream), which makes its bytes
 * independent of the chunk size and of the other tensors.
 */
import { GgmlType, ggmlTensorBytes, type WritableGgmlType } from "./constants.js";
import { RandomStream, toHalfBits } from "./random.js";

/** How a generated tensor is filled. */
export type GgufTensorFill =
  /** Every element equals `value` (norm weights use 1). */
  | { kind: "constant"; value: number }
  /**
   * Elements uniform in [-amplitude, amplitude), scaled per row by `rowScale(row)` when given (a row is
   * `dims[0]` elements, e.g. one token's vector in `token_embd` or `output`). Default rowScale: 1.
   */
  | { kind: "uniform"; amplitude: number; seed: number; stream: number; rowScale?: (row: number) => number };

/** A tensor to write. `dims` are in ggml order: `dims[0]` is the contiguous row length. */
export interface GgufTensorSpec {
  name: string;
  type: WritableGgmlType;
  dims: readonly number[];
  fill: GgufTensorFill;
}

const Q8_0_BLOCK = 32;
const Q8_0_BYTES = 34;
// Random int8 quants are uniform in [-128, 127], so a block scale of amplitude / 128 gives the amplitude.
const Q8_0_QUANT_RANGE = 128;
const HALF_TABLE_SIZE = 4096;

/** Bytes of one row (`dims[0]` elements) of a writable tensor. */
export function rowBytes(spec: GgufTensorSpec): number {
  const bytes = ggmlTensorBytes(spec.type, [spec.dims[0] ?? 0]);
  if (bytes === undefined) throw new RangeError(`tensor ${spec.name}: bad row length for its type`);
  return bytes;
}

/** Number of rows (product of all dimensions but the first). */
export function rowCount(spec: GgufTensorSpec): number {
  return spec.dims.slice(1).reduce((product, dim) => product * dim, 1);
}

/**
 * Yields the tensor's bytes in chunks of whole rows, each generated into the buffer `takeBuffer()` returns
 * (the caller alternates buffers, so it can write one while the next chunk is generated into another).
 * Buffers must all be `bufferBytes` long and hold at least one row.
 */
export function* tensorChunks(spec: GgufTensorSpec, bufferBytes: number, takeBuffer: () => ArrayBuffer): Generator<Uint8Array> {
  const bytesPerRow = rowBytes(spec);
  const rows = rowCount(spec);
  const rowsPerChunk = Math.max(1, Math.floor(bufferBytes / bytesPerRow));
  if (rowsPerChunk * bytesPerRow > bufferBytes) {
    throw new RangeError(`tensor ${spec.name}: a row of ${bytesPerRow} bytes does not fit the write buffer`);
  }
  const fill = spec.fill;
  const random = fill.kind === "uniform" ? new RandomStream(fill.seed, fill.stream) : undefined;
  const halfTables = new Map<number, Uint16Array>();
  for (let firstRow = 0; firstRow < rows; firstRow += rowsPerChunk) {
    const chunkRows = Math.min(rowsPerChunk, rows - firstRow);
    const bytes = new Uint8Array(takeBuffer(), 0, chunkRows * bytesPerRow);
    if (fill.kind === "constant") {
      fillConstant(spec.type, bytes, fill.value);
    } else if (random !== undefined) {
      fillUniform(spec, bytes, random, fill, firstRow, chunkRows, halfTables);
    }
    yield bytes;
  }
}

function fillConstant(type: WritableGgmlType, bytes: Uint8Array, value: number): void {
  switch (type) {
    case GgmlType.F32:
      new Float32Array(bytes.buffer, bytes.byteOffset, bytes.length / 4).fill(value);
      return;
    case GgmlType.F16:
      new Uint16Array(bytes.buffer, bytes.byteOffset, bytes.length / 2).fill(toHalfBits(value));
      return;
    case GgmlType.Q8_0: {
      // The largest quant times a scale of |value| / 127 reproduces the value (up to the half-float scale).
      const scale = toHalfBits(Math.abs(value) / 127);
      const quant = value < 0 ? -127 & 0xff : 127;
      for (let o = 0; o < bytes.length; o += Q8_0_BYTES) {
        bytes[o] = scale & 0xff;
        bytes[o + 1] = scale >>> 8;
        bytes.fill(value === 0 ? 0 : quant, o + 2, o + Q8_0_BYTES);
      }
      return;
    }
  }
}

function fillUniform(
  spec: GgufTensorSpec,
  bytes: Uint8Array,
  random: RandomStream,
  fill: Extract<GgufTensorFill, { kind: "uniform" }>,
  firstRow: number,
  chunkRows: number,
  halfTables: Map<number, Uint16Array>,
): void {
  const rowLength = spec.dims[0] ?? 0;
  const bytesPerRow = bytes.length / chunkRows;
  // Without a row scale the whole chunk is one run; with one, each row gets its own amplitude.
  const runs: Array<[start: number, count: number, amplitude: number]> = [];
  if (fill.rowScale === undefined) {
    runs.push([0, chunkRows, fill.amplitude]);
  } else {
    for (let r = 0; r < chunkRows; r++) runs.push([r, 1, fill.amplitude * fill.rowScale(firstRow + r)]);
  }
  for (const [start, count, amplitude] of runs) {
    const offset = bytes.byteOffset + start * bytesPerRow;
    switch (spec.type) {
      case GgmlType.F32:
        random.fillUniformFloat32(new Float32Array(bytes.buffer, offset, count * rowLength), amplitude);
        break;
      case GgmlType.F16:
        random.fillFromHalfTable(new Uint16Array(bytes.buffer, offset, count * rowLength), halfTable(halfTables, amplitude));
        break;
      case GgmlType.Q8_0:
        random.fillQ8_0Blocks(
          bytes,
          start * bytesPerRow,
          (count * rowLength) / Q8_0_BLOCK,
          toHalfBits(amplitude / Q8_0_QUANT_RANGE),
        );
        break;
    }
  }
}

function halfTable(cache: Map<number, Uint16Array>, amplitude: number): Uint16Array {
  let table = cache.get(amplitude);
  if (table === undefined) {
    table = new Uint16Array(HALF_TABLE_SIZE);
    for (let i = 0; i < HALF_TABLE_SIZE; i++) {
      table[i] = toHalfBits(((2 * i + 1) / HALF_TABLE_SIZE - 1) * amplitude);
    }
    cache.set(amplitude, table);
  }
  return table;
}

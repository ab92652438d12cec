import { mkdtemp, readFile, rm, truncate, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ChaiboxError } from "../../src/errors.js";
import { GgmlType } from "../../src/gguf/constants.js";
import { CHATML_TEMPLATE, makeTestModel, presetSpec } from "../../src/gguf/presets.js";
import { readGgufHeader, type GgufProblem } from "../../src/gguf/reader.js";
import { summarizeGguf } from "../../src/gguf/summary.js";
import { ggufValue, writeGguf, type GgufTensorSpec } from "../../src/gguf/writer.js";

let dir: string;
let tinyPath: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "chaibox-gguf-reader-"));
  tinyPath = (await makeTestModel({ preset: "tiny", quant: "q8_0", seed: 1, out: join(dir, "tiny.gguf") })).path;
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

const smallTensor: GgufTensorSpec = { name: "weight", type: GgmlType.F32, dims: [32, 2], fill: { kind: "constant", value: 2 } };

async function expectInvalid(path: string, problem: GgufProblem, message: RegExp): Promise<void> {
  const error: unknown = await readGgufHeader(path).then(
    () => undefined,
    (caught: unknown) => caught,
  );
  expect(error).toBeInstanceOf(ChaiboxError);
  expect((error as ChaiboxError).code).toBe("invalid_model_file");
  expect((error as ChaiboxError).details.problem).toBe(problem);
  expect((error as ChaiboxError).message).toMatch(message);
}

/** Writes a copy of `source` with `patch` applied to its bytes. */
async function patched(source: string, name: string, patch: (bytes: Buffer) => void): Promise<string> {
  const bytes = await readFile(source);
  patch(bytes);
  const path = join(dir, name);
  await writeFile(path, bytes);
  return path;
}

describe("readGgufHeader", () => {
  it("round-trips metadata of every value type", async () => {
    const path = join(dir, "types.gguf");
    await writeGguf(path, {
      metadata: {
        "general.architecture": ggufValue.string("llama"),
        u8: { type: "uint8", value: 250 },
        i8: { type: "int8", value: -100 },
        u16: { type: "uint16", value: 60_000 },
        i16: { type: "int16", value: -30_000 },
        u32: ggufValue.uint32(4_000_000_000),
        i32: ggufValue.int32(-2_000_000_000),
        f32: ggufValue.float32(1e-5),
        f64: { type: "float64", value: Math.PI },
        small64: ggufValue.uint64(42),
        big64: ggufValue.uint64(2n ** 63n + 5n),
        neg64: { type: "int64", value: -(2n ** 62n) },
        yes: ggufValue.bool(true),
        no: ggufValue.bool(false),
        text: ggufValue.string("héllo ▁wörld 🎉"),
        empty: ggufValue.string(""),
        strings: ggufValue.stringArray(["a", "", "<0x0A>", "▁word"]),
        floats: ggufValue.float32Array([0.5, -1.25, 3]),
        ints: ggufValue.int32Array([1, -2, 3]),
        bools: { type: "array", itemType: "bool", value: [true, false] },
        none: ggufValue.stringArray([]),
      },
      tensors: [smallTensor],
    });
    const header = await readGgufHeader(path);
    expect(header.version).toBe(3);
    expect(header.metadata).toEqual({
      "general.architecture": "llama",
      u8: 250,
      i8: -100,
      u16: 60_000,
      i16: -30_000,
      u32: 4_000_000_000,
      i32: -2_000_000_000,
      f32: Math.fround(1e-5),
      f64: Math.PI,
      small64: 42,
      big64: 2n ** 63n + 5n,
      neg64: -(2n ** 62n),
      yes: true,
      no: false,
      text: "héllo ▁wörld 🎉",
      empty: "",
      strings: ["a", "", "<0x0A>", "▁word"],
      floats: [0.5, -1.25, 3],
      ints: [1, -2, 3],
      bools: [true, false],
      none: [],
    });
    expect(header.tensors).toEqual([{ name: "weight", dims: [32, 2], type: GgmlType.F32, offset: 0 }]);
    expect(header.dataOffset % 32).toBe(0);
    expect(header.fileSize).toBe(header.dataOffset + 256);
  });

  it("reads a preset's header and tensor table", async () => {
    const header = await readGgufHeader(tinyPath);
    const spec = presetSpec("tiny", "q8_0", 1);
    expect(header.tensors.map((t) => t.name)).toEqual(spec.tensors.map((t) => t.name));
    expect(header.tensors.map((t) => t.dims)).toEqual(spec.tensors.map((t) => t.dims));
    expect(header.metadata["tokenizer.chat_template"]).toBe(CHATML_TEMPLATE);
    expect(header.metadata["tokenizer.ggml.model"]).toBe("llama");
    const tokens = header.metadata["tokenizer.ggml.tokens"] as string[];
    expect(tokens[header.metadata["tokenizer.ggml.eos_token_id"] as number]).toBe("<|im_end|>");
    expect(header.metadata["tokenizer.ggml.token_type"]).toHaveLength(tokens.length);
  });

  it("reads only the header of a large file", async () => {
    // A 4 GiB tensor in a sparse file: reading must not touch the data.
    const base = join(dir, "big-base.gguf");
    await writeGguf(base, { metadata: { "general.architecture": ggufValue.string("llama") }, tensors: [smallTensor] });
    const path = await patched(base, "big.gguf", (bytes) => {
      const at = bytes.indexOf("weight") + "weight".length + 4;
      bytes.writeBigUInt64LE(2n ** 20n, at);
      bytes.writeBigUInt64LE(2n ** 10n, at + 8);
    });
    const { dataOffset } = await readGgufHeader(base);
    await truncate(path, dataOffset + 4 * 2 ** 30);
    const started = performance.now();
    const header = await readGgufHeader(path);
    expect(performance.now() - started).toBeLessThan(1000);
    expect(header.fileSize).toBe(dataOffset + 4 * 2 ** 30);
    expect(header.tensors[0]?.dims).toEqual([2 ** 20, 2 ** 10]);
  });

  it("rejects files that are not GGUF", async () => {
    const text = join(dir, "notes.txt");
    await writeFile(text, "just some text, long enough to have a header");
    await expectInvalid(text, "not_gguf", /not a GGUF file/);
    const png = join(dir, "image.png");
    await writeFile(png, Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 0]));
    await expectInvalid(png, "not_gguf", /not a GGUF file/);
    const empty = join(dir, "empty.gguf");
    await writeFile(empty, "");
    await expectInvalid(empty, "not_gguf", /not a GGUF file/);
    await expectInvalid(dir, "not_gguf", /directory/);
    await expectInvalid(join(dir, "missing.gguf"), "not_found", /no such file/);
  });

  it("rejects unsupported versions and accepts version 2", async () => {
    for (const [name, version] of [["v1", 1], ["v4", 4], ["v-big-endian", 0x03000000]] as const) {
      const path = await patched(tinyPath, `${name}.gguf`, (bytes) => bytes.writeUInt32LE(version, 4));
      await expectInvalid(path, "unsupported_version", version === 0x03000000 ? /big-endian/ : /version \d+ is not supported/);
    }
    const v2 = await patched(tinyPath, "v2.gguf", (bytes) => bytes.writeUInt32LE(2, 4));
    expect((await readGgufHeader(v2)).version).toBe(2);
  });

  it("rejects truncated files", async () => {
    const { size } = await readGgufHeader(tinyPath).then((h) => ({ size: h.fileSize }));
    const withoutTail = join(dir, "cut-data.gguf");
    await writeFile(withoutTail, (await readFile(tinyPath)).subarray(0, size - 100));
    await expectInvalid(withoutTail, "truncated", /truncated: tensor .* ends at byte/);
    const inHeader = join(dir, "cut-header.gguf");
    await writeFile(inHeader, (await readFile(tinyPath)).subarray(0, 2000));
    await expectInvalid(inHeader, "truncated", /truncated/);
    const tooShort = join(dir, "cut-counts.gguf");
    await writeFile(tooShort, (await readFile(tinyPath)).subarray(0, 12));
    await expectInvalid(tooShort, "truncated", /truncated/);
  });

  it("rejects absurd counts and lengths", async () => {
    const manyTensors = await patched(tinyPath, "many-tensors.gguf", (bytes) => bytes.writeBigUInt64LE(2n ** 40n, 8));
    await expectInvalid(manyTensors, "corrupt", /claims/);
    const manyKeys = await patched(tinyPath, "many-keys.gguf", (bytes) => bytes.writeBigUInt64LE(2n ** 64n - 1n, 16));
    await expectInvalid(manyKeys, "corrupt", /claims/);
    const longKey = await patched(tinyPath, "long-key.gguf", (bytes) => bytes.writeBigUInt64LE(2n ** 50n, 24));
    await expectInvalid(longKey, "corrupt", /string of/);
    const longArray = await patched(tinyPath, "long-array.gguf", (bytes) => {
      const at = bytes.indexOf("tokenizer.ggml.tokens") + "tokenizer.ggml.tokens".length + 8;
      bytes.writeBigUInt64LE(2n ** 40n, at);
    });
    await expectInvalid(longArray, "truncated", /truncated/);
  });

  it("rejects unknown tensor types and a missing architecture", async () => {
    const base = join(dir, "one-tensor.gguf");
    await writeGguf(base, { metadata: { "general.architecture": ggufValue.string("llama") }, tensors: [smallTensor] });
    const unknownType = await patched(base, "unknown-type.gguf", (bytes) => {
      bytes.writeUInt32LE(4, bytes.indexOf("weight") + "weight".length + 4 + 2 * 8);
    });
    await expectInvalid(unknownType, "unsupported_tensor_type", /ggml type 4/);
    const noArchitecture = join(dir, "no-arch.gguf");
    await writeGguf(noArchitecture, { metadata: { "general.name": ggufValue.string("x") }, tensors: [smallTensor] });
    await expectInvalid(noArchitecture, "missing_architecture", /general\.architecture/);
  });
});

describe("summarizeGguf", () => {
  it("summarizes a preset", async () => {
    const summary = summarizeGguf(await readGgufHeader(tinyPath));
    const spec = presetSpec("tiny", "q8_0", 1);
    const parameters = spec.tensors.reduce((sum, t) => sum + t.dims.reduce((a, b) => a * b, 1), 0);
    expect(summary).toEqual({
      architecture: "llama",
      name: spec.metadata["general.name"]?.value,
      description: spec.metadata["general.description"]?.value,
      parameters,
      contextLength: 4096,
      fileType: "Q8_0",
      chatTemplate: true,
    });
  });

  it.each([["f32", "F32"], ["f16", "F16"]] as const)("names the %s file type", async (quant, name) => {
    const path = (await makeTestModel({ preset: "tiny", quant, out: join(dir, `tiny-${quant}.gguf`) })).path;
    expect(summarizeGguf(await readGgufHeader(path)).fileType).toBe(name);
  });

  it("falls back to the dominant tensor type and leaves out what the file lacks", async () => {
    const path = join(dir, "bare.gguf");
    await writeGguf(path, {
      metadata: { "general.architecture": ggufValue.string("qwen2") },
      tensors: [
        { name: "norm", type: GgmlType.F32, dims: [32], fill: { kind: "constant", value: 1 } },
        { name: "matrix", type: GgmlType.Q8_0, dims: [64, 64], fill: { kind: "constant", value: 1 } },
      ],
    });
    expect(summarizeGguf(await readGgufHeader(path))).toEqual({
      architecture: "qwen2",
      parameters: 32 + 64 * 64,
      fileType: "Q8_0",
      chatTemplate: false,
    });
  });
});

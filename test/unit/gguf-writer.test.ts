import { createHash } from "node:crypto";
import { mkdtemp, readFile, readdir, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { GgmlType, TokenType } from "../../src/gguf/constants.js";
import { makeTestModel, presetSpec, presetVocabulary, quantNames } from "../../src/gguf/presets.js";
import { fromHalfBits, RandomStream, toHalfBits } from "../../src/gguf/random.js";
import { readGgufHeader } from "../../src/gguf/reader.js";
import { englishWords } from "../../src/gguf/words.js";
import { ggufValue, writeGguf } from "../../src/gguf/writer.js";

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "chaibox-gguf-writer-"));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function sha256(path: string): Promise<string> {
  return createHash("sha256").update(await readFile(path)).digest("hex");
}

describe("makeTestModel", () => {
  it.each(quantNames)("writes the same bytes for the same seed and different bytes for another (%s)", async (quant) => {
    const a = await makeTestModel({ preset: "tiny", quant, seed: 7, out: join(dir, `a-${quant}.gguf`) });
    const b = await makeTestModel({ preset: "tiny", quant, seed: 7, out: join(dir, `b-${quant}.gguf`) });
    const c = await makeTestModel({ preset: "tiny", quant, seed: 8, out: join(dir, `c-${quant}.gguf`) });
    expect(await sha256(a.path)).toBe(await sha256(b.path));
    expect(await sha256(a.path)).not.toBe(await sha256(c.path));
    expect(a.sizeBytes).toBe(c.sizeBytes);
    expect(a.sizeBytes).toBeLessThan(1_000_000);
  });

  it("writes the demo preset deterministically, with its word vocabulary", async () => {
    const a = await makeTestModel({ preset: "demo", seed: 1, out: join(dir, "demo-a.gguf") });
    const b = await makeTestModel({ preset: "demo", seed: 1, out: join(dir, "demo-b.gguf") });
    expect(await sha256(a.path)).toBe(await sha256(b.path));
    const header = await readGgufHeader(a.path);
    const tokens = header.metadata["tokenizer.ggml.tokens"] as string[];
    expect(tokens).toContain("\u2581house");
    expect(String(header.metadata["general.name"])).toMatch(/random weights/i);
    expect(String(header.metadata["general.description"])).toMatch(/random weights/i);
    expect(String(header.metadata["general.description"])).toMatch(/catalog/);
  });

  it("reports progress up to the file size and creates the output directory", async () => {
    const seen: number[] = [];
    let total = 0;
    const result = await makeTestModel({ preset: "tiny", out: join(dir, "nested", "deeper", "tiny.gguf") }, (progress) => {
      seen.push(progress.bytesWritten);
      total = progress.totalBytes;
    });
    expect(seen.at(-1)).toBe(result.sizeBytes);
    expect(total).toBe(result.sizeBytes);
    expect([...seen].sort((x, y) => x - y)).toEqual(seen);
  });
});

describe("preset vocabulary", () => {
  it("has the SentencePiece and ChatML tokens with their types", () => {
    const vocabulary = presetVocabulary("tiny");
    const { tokens, types } = vocabulary;
    expect(tokens.slice(0, 3)).toEqual(["<unk>", "<s>", "</s>"]);
    expect(types.slice(0, 3)).toEqual([TokenType.UNKNOWN, TokenType.CONTROL, TokenType.CONTROL]);
    expect(tokens[3]).toBe("<0x00>");
    expect(tokens[3 + 0xff]).toBe("<0xFF>");
    expect(types.slice(3, 259).every((type) => type === TokenType.BYTE)).toBe(true);
    expect(tokens[vocabulary.imStartId]).toBe("<|im_start|>");
    expect(tokens[vocabulary.imEndId]).toBe("<|im_end|>");
    expect(types[vocabulary.imEndId]).toBe(TokenType.CONTROL);
    for (let code = 0x21; code <= 0x7e; code++) expect(tokens).toContain(String.fromCharCode(code));
    expect(tokens).toContain("\u2581");
    expect(new Set(tokens).size).toBe(tokens.length);
  });

  it("holds a tool-calling template's special tokens, and declares its begin and end tokens", async () => {
    const llama = presetSpec("tiny", "q8_0", 1, { template: "llama3.1", contextLength: 32_768 }).metadata;
    const tokens = llama["tokenizer.ggml.tokens"]?.value as string[];
    const types = llama["tokenizer.ggml.token_type"]?.value as number[];
    for (const token of ["<|begin_of_text|>", "<|start_header_id|>", "<|end_header_id|>", "<|eot_id|>", "<|eom_id|>", "<|python_tag|>"]) {
      expect(types[tokens.indexOf(token)], token).toBe(TokenType.CONTROL);
    }
    expect(tokens[Number(llama["tokenizer.ggml.bos_token_id"]?.value)]).toBe("<|begin_of_text|>");
    expect(tokens[Number(llama["tokenizer.ggml.eos_token_id"]?.value)]).toBe("<|eot_id|>");
    expect(llama["llama.context_length"]?.value).toBe(32_768);
    const qwen = presetSpec("tiny", "q8_0", 1, { template: "qwen2.5" }).metadata;
    const qwenTokens = qwen["tokenizer.ggml.tokens"]?.value as string[];
    expect((qwen["tokenizer.ggml.token_type"]?.value as number[])[qwenTokens.indexOf("<tool_call>")]).toBe(TokenType.USER_DEFINED);
    expect(qwen["general.architecture"]?.value).toBe("qwen2");
    expect(String(qwen["tokenizer.chat_template"]?.value)).toContain("<tool_call>");
    // The default stays ChatML on the llama architecture, byte for byte what it was.
    expect(presetSpec("tiny", "q8_0", 1).metadata["tokenizer.ggml.tokens"]).toEqual(presetSpec("tiny", "q8_0", 1, { template: "chatml" }).metadata["tokenizer.ggml.tokens"]);
    await expect(makeTestModel({ preset: "tiny", template: "mistral" as never, out: join(dir, "x.gguf") })).rejects.toThrow(/unknown chat template/);
    await expect(makeTestModel({ preset: "tiny", contextLength: 10, out: join(dir, "x.gguf") })).rejects.toThrow(/context length/);
  });

  it("fills the large shapes to their exact vocabulary size with unique tokens", () => {
    const vocabulary = presetVocabulary("1b");
    expect(vocabulary.tokens).toHaveLength(128_256);
    expect(new Set(vocabulary.tokens).size).toBe(128_256);
    expect(vocabulary.scores).toHaveLength(128_256);
  });

  it("has a few thousand plain English words", () => {
    expect(englishWords.length).toBeGreaterThanOrEqual(3000);
    expect(englishWords.every((word) => /^[a-z]+$/.test(word))).toBe(true);
  });
});

describe("preset specs", () => {
  it("keeps norm weights F32 and quantizes the matrices", () => {
    const spec = presetSpec("tiny", "q8_0", 1);
    for (const tensor of spec.tensors) {
      expect(tensor.type).toBe(tensor.name.endsWith("norm.weight") ? GgmlType.F32 : GgmlType.Q8_0);
    }
  });

  it.each([
    ["0.5b", 896, 24, 14, 2, 4864, 151_936, 32_768],
    ["1b", 2048, 16, 32, 8, 8192, 128_256, 131_072],
  ] as const)("gives %s the shape of the real model", (preset, width, layers, heads, kvHeads, ffn, vocab, context) => {
    const { metadata, tensors } = presetSpec(preset, "q8_0", 1);
    expect(metadata["llama.embedding_length"]?.value).toBe(width);
    expect(metadata["llama.block_count"]?.value).toBe(layers);
    expect(metadata["llama.attention.head_count"]?.value).toBe(heads);
    expect(metadata["llama.attention.head_count_kv"]?.value).toBe(kvHeads);
    expect(metadata["llama.feed_forward_length"]?.value).toBe(ffn);
    expect(metadata["llama.context_length"]?.value).toBe(context);
    expect(tensors.find((t) => t.name === "token_embd.weight")?.dims).toEqual([width, vocab]);
    expect(tensors.find((t) => t.name === "blk.0.attn_k.weight")?.dims).toEqual([width, (width / heads) * kvHeads]);
    expect(tensors).toHaveLength(2 + 9 * layers);
  });
});

describe("writeGguf", () => {
  it("lays out aligned tensors whose bytes decode to the requested values", async () => {
    const path = join(dir, "layout.gguf");
    const progress: number[] = [];
    await writeGguf(path, {
      metadata: { "general.architecture": ggufValue.string("llama") },
      tensors: [
        { name: "ones", type: GgmlType.F32, dims: [5], fill: { kind: "constant", value: 1 } },
        { name: "halves", type: GgmlType.F16, dims: [3, 3], fill: { kind: "constant", value: 0.5 } },
        { name: "q", type: GgmlType.Q8_0, dims: [64, 2], fill: { kind: "uniform", amplitude: 0.5, seed: 3, stream: 0 } },
      ],
    }, { onProgress: ({ bytesWritten }) => progress.push(bytesWritten) });
    const header = await readGgufHeader(path);
    const bytes = await readFile(path);
    expect(header.dataOffset % 32).toBe(0);
    expect(header.tensors.map((t) => t.offset)).toEqual([0, 32, 64]);
    // Every tensor, the last included, is padded to the alignment.
    expect(header.fileSize).toBe(header.dataOffset + 64 + 4 * 34 + 24);
    expect(progress.at(-1)).toBe(header.fileSize);
    const at = (index: number) => header.dataOffset + (header.tensors[index]?.offset ?? 0);
    for (let i = 0; i < 5; i++) expect(bytes.readFloatLE(at(0) + 4 * i)).toBe(1);
    for (let i = 0; i < 9; i++) expect(fromHalfBits(bytes.readUInt16LE(at(1) + 2 * i))).toBe(0.5);
    for (let block = 0; block < 4; block++) {
      const scale = fromHalfBits(bytes.readUInt16LE(at(2) + 34 * block));
      expect(scale).toBeCloseTo(0.5 / 128, 5);
      const quants = [...bytes.subarray(at(2) + 34 * block + 2, at(2) + 34 * (block + 1))].map((b) => (b << 24) >> 24);
      expect(new Set(quants).size).toBeGreaterThan(16);
    }
  });

  it("leaves no file, temporary or final, when writing fails", async () => {
    const sub = await mkdtemp(join(dir, "fail-"));
    const spec = presetSpec("tiny", "f32", 1);
    await expect(
      writeGguf(join(sub, "x.gguf"), spec, {
        onProgress: ({ bytesWritten }) => {
          if (bytesWritten > 1000) throw new Error("disk full");
        },
      }),
    ).rejects.toThrow("disk full");
    expect(await readdir(sub)).toEqual([]);
  });

  it("replaces an existing file", async () => {
    const path = join(dir, "replace.gguf");
    await writeFile(path, "old");
    await writeGguf(path, presetSpec("tiny", "q8_0", 1));
    expect((await readGgufHeader(path)).version).toBe(3);
  });

  it("rejects a spec llama.cpp could not load, before writing", async () => {
    const path = join(dir, "bad.gguf");
    const tensor = { name: "t", type: GgmlType.Q8_0, dims: [48], fill: { kind: "constant" as const, value: 0 } };
    await expect(writeGguf(path, { metadata: {}, tensors: [tensor] })).rejects.toThrow(RangeError);
    await expect(writeGguf(path, { metadata: {}, tensors: [{ ...tensor, dims: [32] }, { ...tensor, dims: [32] }] })).rejects.toThrow(/duplicate/);
    await expect(writeGguf(path, { metadata: { k: ggufValue.uint32(1.5) }, tensors: [] })).rejects.toThrow(RangeError);
    await expect(readdir(dir)).resolves.not.toContain("bad.gguf");
  });
});

describe("random numbers and half floats", () => {
  it("repeats a stream for the same seed and stream", () => {
    const take = (seed: number, stream: number) => {
      const random = new RandomStream(seed, stream);
      return Array.from({ length: 4 }, () => random.nextUint32());
    };
    expect(take(1, 0)).toEqual(take(1, 0));
    expect(take(1, 0)).not.toEqual(take(1, 1));
    expect(take(1, 0)).not.toEqual(take(2, 0));
    expect(take(2 ** 40, 0)).not.toEqual(take(0, 0));
  });

  it("converts to half precision with rounding, subnormals and overflow", () => {
    // Half precision keeps 11 significant bits: a relative error of at most 2^-11 for normal numbers.
    for (const value of [0, 1, -2, 0.5, 65504, 6.103515625e-5, 0.0001, 3.14159, -123.456]) {
      expect(Math.abs(fromHalfBits(toHalfBits(value)) - value)).toBeLessThanOrEqual(Math.abs(value) * 2 ** -11);
    }
    expect(fromHalfBits(toHalfBits(5.960464477539063e-8))).toBe(5.960464477539063e-8);
    expect(toHalfBits(1 + 2 ** -11)).toBe(0x3c00);
    expect(toHalfBits(1 + 3 * 2 ** -11)).toBe(0x3c02);
    expect(toHalfBits(1)).toBe(0x3c00);
    expect(toHalfBits(-2)).toBe(0xc000);
    expect(toHalfBits(1e6)).toBe(0x7c00);
    expect(toHalfBits(1e-10)).toBe(0);
    expect(fromHalfBits(toHalfBits(Number.NaN))).toBeNaN();
  });
});

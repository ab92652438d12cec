import { createHash } from "node:crypto";
import { copyFile, mkdir, mkdtemp, readFile, readdir, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { ChaiboxError, type ErrorCode } from "../../src/errors.js";
import { isValidModelId, modelIdFromFileName, ModelStore, validateModelId, type StoreLogger } from "../../src/models/store.js";
import { testModelPath } from "../helpers/models.js";

let dataDir: string;
let warnings: Array<{ object: object; message: string }>;
const logger: StoreLogger = { warn: (object, message) => warnings.push({ object, message }) };

beforeEach(async () => {
  dataDir = await mkdtemp(join(tmpdir(), "chaibox-store-"));
  warnings = [];
});
afterEach(async () => {
  await rm(dataDir, { recursive: true, force: true });
});

async function rejection(promise: Promise<unknown>): Promise<ChaiboxError> {
  const error: unknown = await promise.then(
    () => undefined,
    (caught: unknown) => caught,
  );
  expect(error).toBeInstanceOf(ChaiboxError);
  return error as ChaiboxError;
}

async function expectCode(promise: Promise<unknown>, code: ErrorCode, message?: RegExp): Promise<void> {
  const error = await rejection(promise);
  expect(error.code).toBe(code);
  if (message) expect(error.message).toMatch(message);
}

/** A copy of the tiny test model under `name`, outside the store. */
async function tinyCopy(name: string): Promise<string> {
  const path = join(dataDir, name);
  await copyFile(testModelPath("tiny"), path);
  return path;
}

const modelsDir = () => join(dataDir, "models");

describe("ModelStore", () => {
  it("adds, lists, gets and removes models", async () => {
    const store = await ModelStore.open(dataDir, { logger });
    expect(await store.list()).toEqual([]);
    expect(await store.isEmpty()).toBe(true);

    const source = await tinyCopy("Tiny Model:Q8_0.gguf");
    const added = await store.add(source);
    expect(added.id).toBe("tiny-model-q8_0");
    expect(added.path).toBe(join(modelsDir(), "tiny-model-q8_0", "model.gguf"));
    expect(added.file).toBe("model.gguf");
    expect(added.sha256).toBe(createHash("sha256").update(await readFile(source)).digest("hex"));
    expect(added.sizeBytes).toBe((await readFile(source)).length);
    expect(added.source).toEqual({ type: "file", ref: source });
    expect(Date.parse(added.addedAt)).not.toBeNaN();
    expect(added.gguf).toMatchObject({ architecture: "llama", contextLength: 4096, fileType: "Q8_0", chatTemplate: true });
    expect(added.gguf.name).toMatch(/tiny/);
    expect(added.gguf.parameters).toBeGreaterThan(10_000);
    expect(await readFile(added.path)).toEqual(await readFile(source));

    const manifest = JSON.parse(await readFile(join(added.dir, "manifest.json"), "utf8")) as Record<string, unknown>;
    expect(manifest).toEqual(JSON.parse(JSON.stringify({ ...added, path: undefined, dir: undefined })));

    const tagged = await store.add(source, { id: "tiny:q8", source: { type: "generated", ref: "tiny" } });
    expect(tagged.source).toEqual({ type: "generated", ref: "tiny" });
    expect((await store.list()).map((m) => m.id)).toEqual(["tiny-model-q8_0", "tiny:q8"]);
    expect(await store.get("tiny:q8")).toEqual(tagged);
    expect(await store.require("tiny:q8")).toEqual(tagged);
    expect(await store.isEmpty()).toBe(false);

    // A second store on the same directory (the CLI next to a server) sees the same models.
    expect(await (await ModelStore.open(dataDir, { logger })).list()).toEqual(await store.list());

    await store.remove("tiny-model-q8_0");
    expect((await store.list()).map((m) => m.id)).toEqual(["tiny:q8"]);
    expect(await store.get("tiny-model-q8_0")).toBeUndefined();
    await expectCode(store.remove("tiny-model-q8_0"), "model_not_found");
    expect(await readdir(modelsDir())).toEqual(["tiny:q8"]);
    expect(warnings).toEqual([]);
  });

  it("moves a file when asked", async () => {
    const store = await ModelStore.open(dataDir, { logger });
    const source = await tinyCopy("moved.gguf");
    const bytes = await readFile(source);
    const model = await store.add(source, { move: true });
    expect(model.id).toBe("moved");
    expect(await readFile(model.path)).toEqual(bytes);
    await expect(readFile(source)).rejects.toThrow(/ENOENT/);
  });

  it("refuses a duplicate id and keeps the first model", async () => {
    const store = await ModelStore.open(dataDir, { logger });
    const source = await tinyCopy("dup.gguf");
    const first = await store.add(source, { id: "same" });
    await expectCode(store.add(source, { id: "same" }), "model_exists", /already exists/);
    expect(await store.list()).toEqual([first]);
    expect((await readdir(modelsDir())).sort()).toEqual(["same"]);
  });

  it("says which models exist when one is missing", async () => {
    const store = await ModelStore.open(dataDir, { logger });
    await expectCode(store.require("nope"), "model_not_found", /'nope' does not exist.*No model is installed.*models add/);
    await store.add(await tinyCopy("here.gguf"));
    await expectCode(store.require("nope"), "model_not_found", /Installed models: here\./);
    await expectCode(store.require("../here"), "model_not_found");
    expect(await store.get("../here")).toBeUndefined();
  });

  it("rejects bad files and bad ids, leaving no trace", async () => {
    const store = await ModelStore.open(dataDir, { logger });
    const text = join(dataDir, "readme.gguf");
    await writeFile(text, "this is not a model");
    await expectCode(store.add(text), "invalid_model_file", /not a GGUF file/);

    const truncated = join(dataDir, "cut.gguf");
    const bytes = await readFile(testModelPath("tiny"));
    await writeFile(truncated, bytes.subarray(0, bytes.length - 64));
    await expectCode(store.add(truncated), "invalid_model_file", /truncated/);

    const badVersion = join(dataDir, "v9.gguf");
    const copy = Buffer.from(bytes);
    copy.writeUInt32LE(9, 4);
    await writeFile(badVersion, copy);
    await expectCode(store.add(badVersion), "invalid_model_file", /version 9/);

    await expectCode(store.add(join(dataDir, "missing.gguf")), "invalid_model_file", /no such file/);
    await expectCode(store.add(await tinyCopy("ok.gguf"), { id: "../escape" }), "invalid_model_id", /Invalid model id/);
    await expectCode(store.add(await tinyCopy("___.gguf")), "invalid_model_id", /give an id/);

    expect(await readdir(modelsDir())).toEqual([]);
    expect(await store.list()).toEqual([]);
  });

  it("removes temporary directories that crashed adds left, but not those of live processes", async () => {
    await mkdir(join(modelsDir(), ".tmp-999999999-abc"), { recursive: true });
    await writeFile(join(modelsDir(), ".tmp-999999999-abc", "model.gguf"), "half a model");
    await mkdir(join(modelsDir(), ".tmp-junk"));
    const live = `.tmp-${process.ppid}-def`;
    await mkdir(join(modelsDir(), live));
    const store = await ModelStore.open(dataDir, { logger });
    expect(await readdir(modelsDir())).toEqual([live]);
    expect(await store.list()).toEqual([]);
  });

  it("skips unusable entries with a warning", async () => {
    const store = await ModelStore.open(dataDir, { logger });
    const good = await store.add(await tinyCopy("good.gguf"));
    await mkdir(join(modelsDir(), "garbled"));
    await writeFile(join(modelsDir(), "garbled", "manifest.json"), "{ not json");
    await mkdir(join(modelsDir(), "renamed"));
    await writeFile(join(modelsDir(), "renamed", "manifest.json"), await readFile(join(good.dir, "manifest.json")));
    await mkdir(join(modelsDir(), "empty"));
    await mkdir(join(modelsDir(), "No Such Id"));
    await writeFile(join(modelsDir(), "stray-file"), "");

    expect((await store.list()).map((m) => m.id)).toEqual(["good"]);
    expect(await store.get("garbled")).toBeUndefined();
    const problems = warnings.map((w) => w.message).join("\n");
    expect(problems).toMatch(/unusable manifest/);
    expect(problems).toMatch(/without manifest\.json/);
    expect(problems).toMatch(/not a valid id/);
    expect(JSON.stringify(warnings)).toMatch(/does not match the directory/);
  });
});

describe("model ids", () => {
  it.each(["tiny", "qwen2.5:0.5b", "llama3.2:1b-instruct-q8_0", "a", "0", "a-b_c.d", "x".repeat(128), "name:latest"])(
    "accepts %s",
    (id) => {
      expect(isValidModelId(id)).toBe(true);
      expect(() => validateModelId(id)).not.toThrow();
    },
  );

  it.each(["", "A", "Tiny", "../x", "a/b", "a\\b", "x..y", "..", ".", ".hidden", "-x", "_x", ":tag", "a:", "a:b:c", "a:.b", "a b", "é", "x".repeat(129)])(
    "rejects %j",
    (id) => {
      expect(isValidModelId(id)).toBe(false);
      expect(() => validateModelId(id)).toThrow(ChaiboxError);
    },
  );

  it.each([
    ["/models/Qwen2.5-0.5B-Instruct-Q8_0.gguf", "qwen2.5-0.5b-instruct-q8_0"],
    ["llama:3.GGUF", "llama-3"],
    ["my model (final)...gguf", "my-model-final"],
    ["..hidden..name.gguf", "hidden.name"],
    [`${"y".repeat(200)}.gguf`, "y".repeat(128)],
    ["plain", "plain"],
  ])("derives an id from %s", (path, id) => {
    expect(modelIdFromFileName(path)).toBe(id);
  });
});

/**
 * The model store: `<dataDir>/models/<id>/model.gguf` plus `manifest.json`. The CLI and a running server
 * share it, so every change is a directory rename: a model is assembled in `.tmp-<pid>-<random>/` (file
 * copied and fsynced, manifest written) and renamed into place, and removed by renaming it out of the way
 * first. A crash leaves only a `.tmp-*` directory, which the next `open()` deletes.
 */
import { createHash, randomBytes } from "node:crypto";
import { constants, createReadStream } from "node:fs";
import { copyFile, mkdir, open, readFile, readdir, rename, rm, stat, unlink, writeFile } from "node:fs/promises";
import { basename, join, resolve } from "node:path";
import { ChaiboxError } from "../errors.js";
import { readGgufHeader } from "../gguf/reader.js";
import { summarizeGguf } from "../gguf/summary.js";
import { parseManifest, type ModelManifest, type ModelSource } from "./manifest.js";
import { isValidModelId, modelIdFromFileName, validateModelId } from "./model-id.js";

export type { ModelManifest, ModelSource } from "./manifest.js";
export { isValidModelId, modelIdFromFileName, validateModelId } from "./model-id.js";

/** A model in the store: its manifest plus where its file is. */
export interface StoredModel extends ModelManifest {
  /** Absolute path of the model file. */
  path: string;
  /** Absolute path of the model's directory. */
  dir: string;
}

export interface AddModelOptions {
  /** Default: derived from the file name (see `modelIdFromFileName`). */
  id?: string;
  /** Default `{ type: "file", ref: <absolute source path> }`. */
  source?: ModelSource;
  /** Move the file into the store instead of copying it (a copy and delete across file systems). Default false. */
  move?: boolean;
  /**
   * The file's SHA-256 when the caller has just computed it (a download hashes while streaming), so a large
   * file is not read twice. Trusted only when `move` renames the file in; a copy is always hashed. Default none.
   */
  sha256?: string;
  /**
   * Proves the copied file loads before it is installed (see engine/native/launcher/load-check.ts); it throws
   * `model_load_failed` to refuse the file. Default none: callers that made the file themselves skip it.
   */
  checkLoad?: (path: string, id: string) => Promise<void>;
}

/** Where the store's warnings go; a pino logger fits. */
export interface StoreLogger {
  warn(object: object, message: string): void;
}

const MODEL_FILE = "model.gguf";
const MANIFEST_FILE = "manifest.json";
const TEMP_PREFIX = ".tmp-";

const defaultLogger: StoreLogger = {
  warn: (object, message) => process.emitWarning(`${message} ${JSON.stringify(object)}`, "ChaiboxModelStore"),
};

export class ModelStore {
  private constructor(
    /** Absolute path of `<dataDir>/models`. */
    readonly modelsDir: string,
    private readonly logger: StoreLogger,
  ) {}

  /**
   * Opens (creating if needed) the store in `<dataDir>/models` and deletes what crashed adds and removes
   * left behind. Default logger: process warnings.
   */
  static async open(dataDir: string, options: { logger?: StoreLogger } = {}): Promise<ModelStore> {
    const modelsDir = join(resolve(dataDir), "models");
    await mkdir(modelsDir, { recursive: true });
    const store = new ModelStore(modelsDir, options.logger ?? defaultLogger);
    await store.removeStaleTempDirs();
    return store;
  }

  /** Every valid model, sorted by id. Entries with a missing or unreadable manifest or file are skipped with a warning. */
  async list(): Promise<StoredModel[]> {
    const entries = await readdir(this.modelsDir, { withFileTypes: true });
    const models: StoredModel[] = [];
    for (const entry of entries) {
      if (!entry.isDirectory() || entry.name.startsWith(".")) continue;
      if (!isValidModelId(entry.name)) {
        this.logger.warn({ dir: join(this.modelsDir, entry.name) }, "skipping a model directory whose name is not a valid id");
        continue;
      }
      const model = await this.load(entry.name);
      if (model !== undefined) models.push(model);
    }
    return models.sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  }

  /** The model with this id, or undefined (also for an id that is not valid). */
  async get(id: string): Promise<StoredModel | undefined> {
    return isValidModelId(id) ? this.load(id) : undefined;
  }

  /**
   * The model with this id.
   * @throws ChaiboxError `model_not_found` naming the installed models and how to add one.
   */
  async require(id: string): Promise<StoredModel> {
    const model = await this.get(id);
    if (model !== undefined) return model;
    const installed = (await this.list()).map((m) => m.id);
    const hint =
      installed.length > 0
        ? ` Installed models: ${installed.join(", ")}.`
        : " No model is installed: add one with 'chaibox models add <file.gguf>' or 'chaibox models pull <name>'.";
    throw new ChaiboxError("model_not_found", `The model '${id}' does not exist.${hint}`, { param: "model" });
  }

  /** Whether the store has no valid model. */
  async isEmpty(): Promise<boolean> {
    return (await this.list()).length === 0;
  }

  /**
   * Validates `sourcePath` as GGUF, then copies (or moves) it into the store under `id`.
   * Nothing is stored when any step fails.
   * @throws ChaiboxError `invalid_model_id`, `invalid_model_file` (not GGUF, truncated, unsupported), `model_exists`,
   * `model_load_failed` (from `checkLoad`).
   */
  async add(sourcePath: string, options: AddModelOptions = {}): Promise<StoredModel> {
    const id = options.id ?? modelIdFromFileName(sourcePath);
    validateModelId(id);
    await this.assertFree(id);
    const source = resolve(sourcePath);
    const summary = summarizeGguf(await readGgufHeader(source));

    const tempDir = await this.makeTempDir();
    const tempFile = join(tempDir, MODEL_FILE);
    let movedIn = false;
    try {
      let sha256: string;
      if (options.move && (await renameUnlessCrossDevice(source, tempFile))) {
        movedIn = true;
        sha256 = options.sha256 !== undefined && /^[0-9a-f]{64}$/i.test(options.sha256) ? options.sha256.toLowerCase() : await hashFile(tempFile);
        await fsyncPath(tempFile);
      } else {
        sha256 = await copyAndHash(source, tempFile);
      }
      // Validates the copy too: the source may have changed between the check and the copy.
      const copied = await readGgufHeader(tempFile);
      await options.checkLoad?.(tempFile, id);
      const manifest: ModelManifest = {
        id,
        file: MODEL_FILE,
        sizeBytes: copied.fileSize,
        sha256,
        addedAt: new Date().toISOString(),
        source: options.source ?? { type: "file", ref: source },
        gguf: summary,
      };
      await writeFile(join(tempDir, MANIFEST_FILE), `${JSON.stringify(manifest, null, 2)}\n`, { flush: true });
      await fsyncPath(tempDir);
      await this.renameIntoPlace(tempDir, id);
      await fsyncPath(this.modelsDir);
      if (options.move && !movedIn) await unlink(source);
      return this.describe(manifest);
    } catch (error) {
      if (movedIn) await rename(tempFile, source).catch(() => undefined);
      await rm(tempDir, { recursive: true, force: true });
      throw error;
    }
  }

  /**
   * Deletes the model. It disappears from the store at once (one rename); the bytes are freed after.
   * @throws ChaiboxError `model_not_found`.
   */
  async remove(id: string): Promise<void> {
    if (!isValidModelId(id)) throw notFound(id);
    const doomed = join(this.modelsDir, tempName());
    try {
      await rename(join(this.modelsDir, id), doomed);
    } catch (error) {
      if (errorCode(error) === "ENOENT") throw notFound(id);
      throw error;
    }
    await rm(doomed, { recursive: true, force: true });
  }

  private async load(id: string): Promise<StoredModel | undefined> {
    const manifestPath = join(this.modelsDir, id, MANIFEST_FILE);
    let text: string;
    try {
      text = await readFile(manifestPath, "utf8");
    } catch (error) {
      const code = errorCode(error);
      if (code !== "ENOENT" && code !== "ENOTDIR") throw error;
      if (code === "ENOENT" && (await exists(join(this.modelsDir, id)))) {
        this.logger.warn({ dir: join(this.modelsDir, id) }, "skipping a model directory without manifest.json");
      }
      return undefined;
    }
    let parsed: ModelManifest | string;
    try {
      parsed = parseManifest(JSON.parse(text));
    } catch (error) {
      parsed = `not valid JSON (${(error as Error).message})`;
    }
    if (typeof parsed === "string" || parsed.id !== id) {
      const problem = typeof parsed === "string" ? parsed : `its id '${parsed.id}' does not match the directory`;
      this.logger.warn({ manifest: manifestPath, problem }, "skipping a model with an unusable manifest");
      return undefined;
    }
    const model = this.describe(parsed);
    if (!(await exists(model.path))) {
      this.logger.warn({ manifest: manifestPath, file: model.path }, "skipping a model whose file is missing");
      return undefined;
    }
    return model;
  }

  private describe(manifest: ModelManifest): StoredModel {
    const dir = join(this.modelsDir, manifest.id);
    return { ...manifest, dir, path: join(dir, basename(manifest.file)) };
  }

  private async assertFree(id: string): Promise<void> {
    if (await exists(join(this.modelsDir, id))) {
      throw new ChaiboxError("model_exists", `A model with id '${id}' already exists; remove it first or choose another id.`, {
        param: "id",
        id,
      });
    }
  }

  private async renameIntoPlace(tempDir: string, id: string): Promise<void> {
    try {
      // Fails on a non-empty target, so a model added concurrently under the same id is never replaced.
      await rename(tempDir, join(this.modelsDir, id));
    } catch (error) {
      const code = errorCode(error);
      if (code === "ENOTEMPTY" || code === "EEXIST") await this.assertFree(id);
      throw error;
    }
  }

  private async makeTempDir(): Promise<string> {
    const dir = join(this.modelsDir, tempName());
    await mkdir(dir);
    return dir;
  }

  private async removeStaleTempDirs(): Promise<void> {
    for (const entry of await readdir(this.modelsDir)) {
      if (!entry.startsWith(TEMP_PREFIX)) continue;
      // A live process (a CLI add next to a running server) may still be working in its directory.
      const pid = Number(/^\.tmp-(\d+)-/.exec(entry)?.[1]);
      if (Number.isInteger(pid) && pid !== process.pid && isProcessAlive(pid)) continue;
      await rm(join(this.modelsDir, entry), { recursive: true, force: true });
    }
  }
}

function notFound(id: string): ChaiboxError {
  return new ChaiboxError("model_not_found", `The model '${id}' does not exist.`, { param: "model" });
}

function tempName(): string {
  return `${TEMP_PREFIX}${process.pid}-${randomBytes(6).toString("hex")}`;
}

function isProcessAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: the process exists but belongs to someone else.
    return errorCode(error) === "EPERM";
  }
}

function errorCode(error: unknown): string | undefined {
  return (error as NodeJS.ErrnoException | undefined)?.code;
}

async function exists(path: string): Promise<boolean> {
  try {
    await stat(path);
    return true;
  } catch (error) {
    if (errorCode(error) === "ENOENT") return false;
    throw error;
  }
}

async function renameUnlessCrossDevice(from: string, to: string): Promise<boolean> {
  try {
    await rename(from, to);
    return true;
  } catch (error) {
    if (errorCode(error) === "EXDEV") return false;
    throw error;
  }
}

/** Copies `from` to `to` (flushed to disk) and returns the hex SHA-256 of the bytes, in one pass. */
/**
 * Copies with the kernel's copy (copy_file_range) and hashes the copy, so the manifest describes the bytes
 * actually stored. Not a streamed copy: model files written through 1 MiB buffered writes were measured to
 * generate several times slower when llama.cpp memory-maps them (3–20 instead of 31–38 tok/s, same bytes).
 */
async function copyAndHash(from: string, to: string): Promise<string> {
  await copyFile(from, to, constants.COPYFILE_EXCL);
  await fsyncPath(to);
  return hashFile(to);
}

async function hashFile(path: string): Promise<string> {
  const hash = createHash("sha256");
  for await (const chunk of createReadStream(path, { highWaterMark: 1 << 20 })) hash.update(chunk as Buffer);
  return hash.digest("hex");
}

async function fsyncPath(path: string): Promise<void> {
  const handle = await open(path, "r");
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

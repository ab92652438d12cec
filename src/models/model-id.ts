/**
 * Model ids. An id names a directory of the store and appears in URLs and API bodies, so its charset is
 * small enough that no id can escape the store or need escaping:
 *
 * - lowercase letters `a-z`, digits `0-9`, `.`, `_`, `-`;
 * - at most one `:` separating a name from a tag, Ollama style (`qwen2.5:0.5b`);
 * - the name and the tag each start with a letter or digit;
 * - no `..` anywhere; at most 128 characters.
 */
import { basename } from "node:path";
import { ChaiboxError } from "../errors.js";

export const MAX_MODEL_ID_LENGTH = 128;

const MODEL_ID_PATTERN = /^[a-z0-9][a-z0-9._-]*(?::[a-z0-9][a-z0-9._-]*)?$/;

/** Why `id` is not a valid model id, or undefined when it is. */
export function modelIdProblem(id: string): string | undefined {
  if (id === "") return "it is empty";
  if (id.length > MAX_MODEL_ID_LENGTH) return `it is longer than ${MAX_MODEL_ID_LENGTH} characters`;
  if (id.includes("..")) return "it contains '..'";
  if (!MODEL_ID_PATTERN.test(id)) {
    return (
      "ids use lowercase letters, digits, '.', '_' and '-', with one optional ':tag', " +
      "and start (as does the tag) with a letter or digit"
    );
  }
  return undefined;
}

/** Whether `id` is a valid model id (see the module comment for the rules). */
export function isValidModelId(id: string): boolean {
  return modelIdProblem(id) === undefined;
}

/**
 * Throws unless `id` is a valid model id.
 * @throws ChaiboxError `invalid_model_id` with the reason.
 */
export function validateModelId(id: string): void {
  const problem = modelIdProblem(id);
  if (problem !== undefined) {
    throw new ChaiboxError("invalid_model_id", `Invalid model id '${id}': ${problem}.`, { param: "id", id });
  }
}

/**
 * The default id of a model file: its name without `.gguf`, lowercased, with every run of other characters
 * (including `:`) turned into `-`, e.g. `Qwen2.5-0.5B-Instruct-Q8_0.gguf` → `qwen2.5-0.5b-instruct-q8_0`.
 * @throws ChaiboxError `invalid_model_id` when nothing usable is left of the name.
 */
export function modelIdFromFileName(path: string): string {
  const name = basename(path).replace(/\.gguf$/i, "");
  let id = name
    .toLowerCase()
    .replace(/[^a-z0-9._-]+/g, "-")
    .replace(/\.{2,}/g, ".")
    .replace(/^[^a-z0-9]+/, "");
  id = id.slice(0, MAX_MODEL_ID_LENGTH).replace(/[._-]+$/, "");
  if (!isValidModelId(id)) {
    throw new ChaiboxError("invalid_model_id", `Cannot make a model id from the file name '${basename(path)}'; give an id.`, {
      param: "id",
    });
  }
  return id;
}

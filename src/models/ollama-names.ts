/**
 * Ollama's model names and chaibox's: what Ollama calls an installed model, which installed model a client's
 * name means, and what pulling a name downloads. An Ollama name is `name:tag`, and `name` alone means
 * `name:latest`; an installed chaibox id (src/models/model-id.ts) has the same shape with the tag optional, so
 * a name such as `qwen3:4b` is itself an id. The catalog's `ollama` field maps Ollama library names to entries.
 *
 * Pure: the caller supplies the catalog and the installed ids. Names are matched case-insensitively.
 */
import { ChaiboxError } from "../errors.js";
import { findCatalogFile, isCatalogRef, type Catalog, type CatalogEntry } from "./catalog.js";

const LATEST = "latest";

/** How many names an unknown-model error suggests. */
const SUGGESTED_NAMES = 6;

/** Ollama's name for an installed model id: ids without a tag get `:latest` (Ollama lists `llama3.2:latest`). */
export function ollamaName(modelId: string): string {
  return modelId.includes(":") ? modelId : `${modelId}:${LATEST}`;
}

/**
 * The installed model a client's name means: the id itself when installed, else the name without `:latest`
 * (`qwen3:latest` → `qwen3`), or for a name without a tag the id with `:latest` (`qwen3` → an id installed as
 * `qwen3:latest`); undefined when none is installed.
 */
export function installedIdFor(name: string, installed: ReadonlySet<string>): string | undefined {
  const wanted = name.trim().toLowerCase();
  if (wanted === "") return undefined;
  if (installed.has(wanted)) return wanted;
  const { base, tag } = splitTag(wanted);
  const other = tag === undefined ? `${base}:${LATEST}` : tag === LATEST ? base : undefined;
  return other !== undefined && installed.has(other) ? other : undefined;
}

/**
 * What pulling `name` downloads and under which id it installs: an Ollama library name from the catalog's
 * `ollama` aliases (`qwen3:4b`, `qwen3` = `qwen3:latest`) installs the file Ollama's library serves under
 * that name (Q4_K_M for a chat model, see {@link ollamaLibraryRef}) under the name itself (without `:latest`); a catalog ref (`qwen3-4b`, `qwen3-4b:Q4_K_M`, also `qwen3-4b:latest`, the name
 * Ollama lists an installed `qwen3-4b` under) installs as the catalog says (id undefined = the pull's
 * default). `hf:` URIs and http(s) URLs pass through as `{ ref: name }` (a chaibox extension).
 * @throws ChaiboxError `model_not_found` for other names, listing a few known names in the message ("pull one
 *   of qwen3:8b, llama3.2:3b, …"), or for a catalog id with a quantization the entry lacks.
 */
export function resolveOllamaPull(catalog: Catalog, name: string): { ref: string; id?: string } {
  const trimmed = name.trim();
  if (trimmed.startsWith("hf:") || /^https?:\/\//i.test(trimmed)) return { ref: trimmed };
  const lower = trimmed.toLowerCase();
  const { base, tag = LATEST } = splitTag(lower);
  const full = `${base}:${tag}`;
  const entry = catalog.models.find((m) => m.ollama?.some((n) => n.toLowerCase() === full) === true);
  if (entry) return { ref: ollamaLibraryRef(entry), id: tag === LATEST ? base : full };

  const ref = tag === LATEST ? base : lower;
  if (isCatalogRef(ref) && catalog.models.some((m) => m.id === base)) {
    // Known id: an unknown quantization is findCatalogFile's error, which lists the ones that exist.
    const found = findCatalogFile(catalog, ref);
    return { ref: ref === base ? found.entry.id : `${found.entry.id}:${found.file.quant}` };
  }
  throw new ChaiboxError(
    "model_not_found",
    `'${trimmed}' is not a model chaibox can pull: pull one of ${suggestedNames(catalog).join(", ")}, …, ` +
      "a catalog name (see 'chaibox models recommend'), an hf:<owner>/<repo>/<file.gguf> URI or an http(s) URL.",
    { param: "model" },
  );
}

/**
 * The file that matches what Ollama's library serves under a name: its chat models are Q4_K_M builds, so a
 * chat entry's Q4_K_M file when the catalog lists one; otherwise (embedding models, which Ollama serves
 * at full precision, or no Q4_K_M) the entry's first file.
 */
function ollamaLibraryRef(entry: CatalogEntry): string {
  const q4 = entry.kind === "chat" ? entry.files.find((f) => f.quant.toUpperCase() === "Q4_K_M") : undefined;
  return q4 ? `${entry.id}:${q4.quant}` : entry.id;
}

/** `qwen3:4b` → base `qwen3`, tag `4b`; `qwen3` → tag undefined. */
function splitTag(name: string): { base: string; tag?: string } {
  const colon = name.indexOf(":");
  return colon < 0 ? { base: name } : { base: name.slice(0, colon), tag: name.slice(colon + 1) };
}

/**
 * A few names worth pulling: per Ollama model, the explicit tag of the entry its `latest` denotes (`qwen3:8b`),
 * else its first listed name; catalog ids when the catalog lists no Ollama names.
 */
function suggestedNames(catalog: Catalog): string[] {
  const byBase = new Map<string, { name: string; isLatest: boolean }>();
  for (const entry of catalog.models) {
    const names = (entry.ollama ?? []).map((n) => n.toLowerCase());
    for (const name of names) {
      const { base, tag } = splitTag(name);
      if (byBase.get(base)?.isLatest === true) continue;
      // An entry listing only `base:latest` is suggested as the bare `base` until an explicit tag turns up.
      if (tag === LATEST) {
        if (!byBase.has(base)) byBase.set(base, { name: base, isLatest: false });
        continue;
      }
      const isLatest = names.includes(`${base}:${LATEST}`);
      if (isLatest || !byBase.has(base)) byBase.set(base, { name, isLatest });
    }
  }
  const names = [...byBase.values()].map((n) => n.name);
  return (names.length > 0 ? names : catalog.models.map((m) => m.id)).slice(0, SUGGESTED_NAMES);
}

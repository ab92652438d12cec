/**
 * The curated model catalog (config/catalog.json): loading it, validated, and finding a file by reference.
 * A reference is `<catalog-id>` (the best quantization that is listed first) or `<catalog-id>:<quant>`.
 */
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { Value } from "@sinclair/typebox/value";
import { ChaiboxError } from "../errors.js";
import { packageRoot } from "../package-root.js";
import { CatalogSchema, type Catalog, type CatalogEntry, type CatalogFile } from "./catalog-schema.js";

/** The catalog's types, owned here; catalog-schema.ts is the file format they come from. */
export type { Architecture, Catalog, CatalogEntry, CatalogFile } from "./catalog-schema.js";

/** config/catalog.json of this installation (the package ships it next to dist/). */
export const defaultCatalogPath = join(packageRoot, "config", "catalog.json");

/**
 * Reads and validates a catalog file. A catalog that breaks the schema is refused whole, every problem
 * listed, because a wrong size or URI would only surface later as a failed download.
 */
export async function loadCatalog(file: string = defaultCatalogPath): Promise<Catalog> {
  let data: unknown;
  try {
    data = JSON.parse(await readFile(file, "utf8"));
  } catch (error) {
    throw new Error(`cannot read the model catalog ${file}: ${(error as Error).message}`);
  }
  return parseCatalog(data, file);
}

/** Validates catalog data; `source` names it in errors. */
export function parseCatalog(data: unknown, source = "catalog"): Catalog {
  const problems = [...Value.Errors(CatalogSchema, data), ...consistencyProblems(data)].map((e) => `${e.path || "/"}: ${e.message}`);
  if (problems.length > 0) throw new Error(`invalid model catalog (${source}):\n${problems.map((p) => `  - ${p}`).join("\n")}`);
  return data as Catalog;
}

/**
 * What the schema cannot express: repeated ids, repeated quantizations within an entry, and Ollama names that
 * are ambiguous (see {@link ollamaNameProblems}). Read from whatever is well-formed enough to inspect, so that
 * they are listed together with the schema's own problems.
 */
function consistencyProblems(data: unknown): { path: string; message: string }[] {
  const found: { path: string; message: string }[] = [];
  const models = (data as { models?: unknown } | null)?.models;
  if (!Array.isArray(models)) return found;
  const ids = new Set<string>();
  models.forEach((entry: unknown, index) => {
    const { id, files } = (entry ?? {}) as { id?: unknown; files?: unknown };
    if (typeof id === "string") {
      if (ids.has(id)) found.push({ path: `/models/${index}/id`, message: `duplicate id '${id}'` });
      ids.add(id);
    }
    if (!Array.isArray(files)) return;
    const quants = new Set<string>();
    for (const file of files as unknown[]) {
      const quant = (file as { quant?: unknown } | null)?.quant;
      if (typeof quant !== "string") continue;
      if (quants.has(quant.toLowerCase())) found.push({ path: `/models/${index}/files`, message: `quantization ${quant} listed twice` });
      quants.add(quant.toLowerCase());
    }
  });
  return [...found, ...ollamaNameProblems(models as unknown[])];
}

/**
 * Ollama names (`ollama`) that would not resolve to one entry: a name listed by two entries, and a name that
 * reads as a catalog reference of another meaning: `<id>:<quant>` of an entry's own file, or `<id>:latest`
 * (which means the bare `<id>`) listed by an entry other than `<id>`.
 */
function ollamaNameProblems(models: unknown[]): { path: string; message: string }[] {
  const found: { path: string; message: string }[] = [];
  const entries = models.map((entry) => {
    const { id, files, ollama } = (entry ?? {}) as { id?: unknown; files?: unknown; ollama?: unknown };
    const quants = Array.isArray(files)
      ? (files as unknown[]).flatMap((f) => {
          const quant = (f as { quant?: unknown } | null)?.quant;
          return typeof quant === "string" ? [quant.toLowerCase()] : [];
        })
      : [];
    return { id: typeof id === "string" ? id : undefined, quants, names: Array.isArray(ollama) ? (ollama as unknown[]) : [] };
  });
  const byId = new Map(entries.flatMap((e) => (e.id === undefined ? [] : [[e.id, e] as const])));
  const owners = new Map<string, number>();
  entries.forEach((entry, index) => {
    for (const raw of entry.names) {
      if (typeof raw !== "string") continue;
      const name = raw.toLowerCase();
      const path = `/models/${index}/ollama`;
      const owner = owners.get(name);
      if (owner !== undefined && owner !== index) {
        const first = entries[owner]?.id ?? `entry ${owner}`;
        found.push({ path, message: `Ollama name '${raw}' is already listed by '${first}'; a name may denote one entry only` });
        continue;
      }
      owners.set(name, index);
      const [base = "", tag = ""] = name.split(":");
      const target = byId.get(base);
      if (target === undefined) continue;
      if (target.quants.includes(tag)) {
        found.push({ path, message: `Ollama name '${raw}' reads as the catalog reference ${base}:${tag}` });
      } else if (tag === "latest" && target !== entry) {
        found.push({ path, message: `Ollama name '${raw}' would make '${base}' mean another entry than the catalog's '${base}'` });
      }
    }
  });
  return found;
}

/** Whether `ref` names a catalog entry (`id` or `id:quant`), as opposed to a URL or `hf:` URI. */
export function isCatalogRef(ref: string): boolean {
  return /^[a-z0-9][a-z0-9._-]*(:[A-Za-z0-9_]+)?$/.test(ref);
}

/**
 * The entry and file `ref` names. Quantization names match case-insensitively. Unknown ids and
 * quantizations are a `model_not_found` error that lists what exists.
 */
export function findCatalogFile(catalog: Catalog, ref: string): { entry: CatalogEntry; file: CatalogFile } {
  const [id = "", quant] = ref.split(":");
  const entry = catalog.models.find((m) => m.id === id);
  if (!entry) {
    throw new ChaiboxError("model_not_found", `'${id}' is not in the model catalog; see 'chaibox models recommend' for the models that fit this box`);
  }
  if (quant === undefined) return { entry, file: entry.files[0] as CatalogFile };
  const file = entry.files.find((f) => f.quant.toLowerCase() === quant.toLowerCase());
  if (!file) {
    const listed = entry.files.map((f) => f.quant).join(", ");
    throw new ChaiboxError("model_not_found", `the catalog has no ${quant} file of ${id}; it lists ${listed}`);
  }
  return { entry, file };
}
